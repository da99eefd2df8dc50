//! Who is asking: user and group ids, and Linux's permission rules.

use crate::file_type::S_IXUGO;
use crate::{FileType, Stat};
use bitflags::bitflags;

/// The filesystem identity of a caller: its fsuid, fsgid and supplementary groups.
///
/// uid 0 stands for the capabilities root has (`CAP_DAC_OVERRIDE`, `CAP_DAC_READ_SEARCH`, `CAP_FOWNER`,
/// `CAP_FSETID`, `CAP_MKNOD`); finer-grained capabilities are the kernel's business.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Credentials<'a> {
    /// Filesystem user id: owner of what the caller creates.
    pub uid: u32,
    /// Filesystem group id: group of what the caller creates (unless the directory is set-group-id).
    pub gid: u32,
    /// Supplementary group ids.
    pub groups: &'a [u32],
}

impl Credentials<'static> {
    /// root (uid 0, gid 0, no supplementary groups).
    pub const ROOT: Credentials<'static> = Credentials {
        uid: 0,
        gid: 0,
        groups: &[],
    };
}

impl Credentials<'_> {
    /// True for uid 0, which bypasses permission checks as Linux's capabilities do.
    pub fn is_root(&self) -> bool {
        self.uid == 0
    }

    /// True if `gid` is the caller's group or one of its supplementary groups (`in_group_p`).
    pub fn in_group(&self, gid: u32) -> bool {
        self.gid == gid || self.groups.contains(&gid)
    }
}

bitflags! {
    /// The access a caller wants (`MAY_READ`, `MAY_WRITE`, `MAY_EXEC`); on directories `EXEC` means search.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct Access: u8 {
        /// Read a file or list a directory.
        const READ = 4;
        /// Write a file or change a directory's entries.
        const WRITE = 2;
        /// Execute a file or search a directory.
        const EXEC = 1;
    }
}

/// Linux's `generic_permission`: the owner class if `cred.uid` owns the inode, else the group class if the caller
/// is in its group, else the other class, must grant every bit of `want`. Root is refused only execution of a
/// non-directory that has no execute bit at all.
pub fn may_access(stat: &Stat, cred: &Credentials<'_>, want: Access) -> bool {
    let mode = stat.mode;
    let class_bits = if cred.uid == stat.uid {
        mode >> 6
    } else if cred.in_group(stat.gid) {
        mode >> 3
    } else {
        mode
    };
    let wanted = u32::from(want.bits());
    if class_bits & wanted == wanted {
        return true;
    }
    if !cred.is_root() {
        return false;
    }
    let is_dir = stat.file_type() == Some(FileType::Directory);
    is_dir || !want.contains(Access::EXEC) || mode & S_IXUGO != 0
}

/// Who performs an operation, and whether its permissions are checked: path operations check them, by-name
/// operations (the kernel's own setup) do not but still create inodes owned by `cred`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Actor<'a> {
    pub(crate) cred: Credentials<'a>,
    pub(crate) enforce: bool,
}

impl<'a> Actor<'a> {
    /// An actor whose permissions are checked.
    pub(crate) fn checked(cred: Credentials<'a>) -> Self {
        Self {
            cred,
            enforce: true,
        }
    }

    /// An actor trusted to do anything (permissions are not checked).
    pub(crate) fn trusted(cred: Credentials<'a>) -> Self {
        Self {
            cred,
            enforce: false,
        }
    }

    /// Whether this actor bypasses owner-only checks (`CAP_FOWNER`-like): trusted actors and root.
    pub(crate) fn is_privileged(&self) -> bool {
        !self.enforce || self.cred.is_root()
    }
}
