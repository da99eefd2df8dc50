//! An in-memory filesystem with Linux semantics: Basalt's root filesystem (the initramfs is unpacked into it)
//! and, later, tmpfs under the VFS.
//!
//! [`MemFs`] is ONE filesystem: inodes with numbers, directories, and path resolution within it. Mounts, open
//! files and locking belong to the kernel, which wraps the filesystem in a lock; the API is plain `&self` /
//! `&mut self`.
//!
//! Two levels of operations:
//! - by name ([`MemFs::lookup`], [`MemFs::create`], [`MemFs::mkdir`], [`MemFs::rename`], …): a directory inode
//!   and one entry name, no permission checks (for the kernel's own setup and for callers that resolved paths
//!   themselves);
//! - by path ([`MemFs::mkdir_at`], [`MemFs::unlink_at`], [`MemFs::rename_at`], [`MemFs::open_create`], …): the
//!   whole `*at(2)` system call as Linux's VFS performs it, with the caller's root directory and credentials
//!   ([`Walker`]), trailing-slash rules, symlinks and permission checks, and the same errno in the same order.
//!
//! Every operation returns `Result<_, Errno>` with the errno Linux returns. Times are passed in by the caller.
//! File data lives in sparse 4 KiB pages charged against a byte budget ([`Config::max_data_bytes`], `ENOSPC`).

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(test)]
extern crate std;

mod budget;
mod credentials;
mod device;
mod directory;
mod dirents;
mod file_data;
mod file_type;
mod fs;
mod inode;
mod names;
mod ops_anon;
mod ops_attr;
mod ops_create;
mod ops_data;
mod ops_remove;
mod ops_rename;
mod path_ops;
mod populate;
mod resolve;
mod stat;
mod time;

#[cfg(test)]
mod tests;

pub use basalt_linux_abi::Errno;
pub use credentials::{may_access, Access, Credentials};
pub use device::DeviceNumber;
pub use file_type::{FileType, NodeKind};
pub use fs::{Config, InodeId, MemFs, Usage};
pub use names::{LastComponent, NAME_MAX, PATH_MAX};
pub use ops_attr::{SetAttr, TimeUpdate};
pub use ops_rename::RenameFlags;
pub use path_ops::{PathAt, Walker};
pub use populate::{populate_from_cpio, PopulateError, PopulateReport, SkippedEntry};
pub use resolve::{ParentPath, MAX_SYMLINKS};
pub use stat::{encode_stat, Stat, STAT_SIZE};
pub use time::Timestamp;
