//! Changing attributes: `chmod`, `chown`, `utimensat`.

use crate::file_type::{PERMISSION_BITS, S_ISGID, S_ISUID, S_IXGRP};
use crate::{InodeId, MemFs, Timestamp};
use basalt_linux_abi::Errno;

/// A new access or modification time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUpdate {
    /// The operation's `now` (`UTIME_NOW`).
    Now,
    /// This time.
    At(Timestamp),
}

/// Attributes to change; `None` leaves one alone (`-1` for `chown`, `UTIME_OMIT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SetAttr {
    /// New permission, set-id and sticky bits (`mode & 0o7777`); the type never changes.
    pub perm: Option<u32>,
    /// New owner.
    pub uid: Option<u32>,
    /// New group.
    pub gid: Option<u32>,
    /// New access time.
    pub atime: Option<TimeUpdate>,
    /// New modification time.
    pub mtime: Option<TimeUpdate>,
}

impl MemFs {
    /// Changes attributes of `ino` and sets its ctime to `now` (nothing at all if `attr` is empty). Who may do
    /// what is the kernel's to check. As in Linux, a change of owner or group of a non-directory clears its
    /// set-user-id bit and, if group-executable, its set-group-id bit (to match `chown(f, -1, -1)` on Linux, pass
    /// the current owner); `perm`, applied after that, wins.
    pub fn setattr(&mut self, ino: InodeId, attr: &SetAttr, now: Timestamp) -> Result<(), Errno> {
        let inode = self.inode_mut(ino)?;
        if *attr == SetAttr::default() {
            return Ok(());
        }
        if attr.uid.is_some() || attr.gid.is_some() {
            inode.uid = attr.uid.unwrap_or(inode.uid);
            inode.gid = attr.gid.unwrap_or(inode.gid);
            if !inode.is_dir() {
                inode.perm &= !S_ISUID;
                if inode.perm & S_IXGRP != 0 {
                    inode.perm &= !S_ISGID;
                }
            }
        }
        if let Some(perm) = attr.perm {
            inode.perm = perm & PERMISSION_BITS;
        }
        let resolve = |update: TimeUpdate| match update {
            TimeUpdate::Now => now,
            TimeUpdate::At(time) => time,
        };
        if let Some(atime) = attr.atime {
            inode.atime = resolve(atime);
        }
        if let Some(mtime) = attr.mtime {
            inode.mtime = resolve(mtime);
        }
        inode.touch_change(now);
        Ok(())
    }
}
