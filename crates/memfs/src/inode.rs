//! One inode: its type-specific contents and its attributes.

use crate::directory::Directory;
use crate::file_data::FileData;
use crate::{DeviceNumber, FileType, Timestamp};
use alloc::boxed::Box;

/// Type-specific contents.
#[derive(Debug)]
pub(crate) enum Node {
    Regular(FileData),
    Directory(Directory),
    /// The link target, 1..=4095 bytes without NUL.
    Symlink(Box<[u8]>),
    CharDevice(DeviceNumber),
    BlockDevice(DeviceNumber),
    Fifo,
    Socket,
}

impl Node {
    pub(crate) fn file_type(&self) -> FileType {
        match self {
            Self::Regular(_) => FileType::Regular,
            Self::Directory(_) => FileType::Directory,
            Self::Symlink(_) => FileType::Symlink,
            Self::CharDevice(_) => FileType::CharDevice,
            Self::BlockDevice(_) => FileType::BlockDevice,
            Self::Fifo => FileType::Fifo,
            Self::Socket => FileType::Socket,
        }
    }
}

/// An inode.
#[derive(Debug)]
pub(crate) struct Inode {
    pub(crate) node: Node,
    /// Permission, set-id and sticky bits (`mode & 0o7777`).
    pub(crate) perm: u32,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    /// Directory entries naming this inode; for directories 2 + subdirectories, and 0 once removed.
    pub(crate) nlink: u32,
    pub(crate) atime: Timestamp,
    pub(crate) mtime: Timestamp,
    pub(crate) ctime: Timestamp,
    /// References the kernel holds (open files, working directories): the inode outlives its last link while
    /// any remain.
    pub(crate) holds: u32,
}

impl Inode {
    pub(crate) fn file_type(&self) -> FileType {
        self.node.file_type()
    }

    pub(crate) fn is_dir(&self) -> bool {
        matches!(self.node, Node::Directory(_))
    }

    /// Full `st_mode`: type bits and permission bits.
    pub(crate) fn mode(&self) -> u32 {
        self.file_type().mode_bits() | self.perm
    }

    pub(crate) fn directory(&self) -> Option<&Directory> {
        match &self.node {
            Node::Directory(dir) => Some(dir),
            _ => None,
        }
    }

    pub(crate) fn directory_mut(&mut self) -> Option<&mut Directory> {
        match &mut self.node {
            Node::Directory(dir) => Some(dir),
            _ => None,
        }
    }

    /// Marks a change of attributes or links (`ctime`).
    pub(crate) fn touch_change(&mut self, now: Timestamp) {
        self.ctime = now;
    }

    /// Marks a change of contents (`mtime` and `ctime`), as writes and directory entry changes do.
    pub(crate) fn touch_modify(&mut self, now: Timestamp) {
        self.mtime = now;
        self.ctime = now;
    }
}
