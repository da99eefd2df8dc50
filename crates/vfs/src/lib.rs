//! The VFS's pure logic, independent of any filesystem: the mount table ([`MountTable`]: which filesystem is
//! mounted where, Linux's `umount2` rules), path walking across mounts over an abstract tree ([`walk`]:
//! `..` at a mount root leaves to the parent mount, symlinks restart at the caller's root, `chroot` roots are
//! never left by `..`), the parsing of mount options ([`options`]), and
//! the dentry and inode cache for filesystems that want one ([`dcache`]).
//!
//! A location is a [`Loc`]: a mount and an inode number within the filesystem mounted there. Filesystems are
//! named by an opaque [`FsId`] the kernel hands out.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(test)]
extern crate std;

mod clock;
pub mod dcache;
pub mod encode;
mod mounts;
pub mod options;
mod walk;

pub use basalt_linux_abi::Errno;
pub use mounts::{FsId, Loc, Mount, MountId, MountTable, UmountFlags};
pub use walk::{walk, walk_parent, Component, Parent, Tree, MAX_SYMLINKS};
