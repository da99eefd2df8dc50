//! File contents and symlink targets: `read`/`write`/`truncate` on regular files, `readlink`.

use crate::inode::{Inode, Node};
use crate::{InodeId, MemFs, Timestamp};
use basalt_linux_abi::Errno;

/// `EISDIR` for a directory, `EINVAL` for anything but a regular file (devices and FIFOs are the kernel's).
fn regular_only(inode: &Inode) -> Errno {
    if inode.is_dir() {
        Errno::EISDIR
    } else {
        Errno::EINVAL
    }
}

impl MemFs {
    /// Reads from regular file `ino` at `offset` into `buf`: the count read, 0 at or past the end; holes read as
    /// zeros. Does not touch the access time (see [`MemFs::mark_accessed`]). `EISDIR`, `EINVAL` (other types).
    pub fn read_at(&self, ino: InodeId, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let inode = self.inode(ino)?;
        match &inode.node {
            Node::Regular(data) => Ok(data.read_at(offset, buf)),
            _ => Err(regular_only(inode)),
        }
    }

    /// Writes `data` to regular file `ino` at `offset` (a gap before it becomes a hole) and returns the count
    /// written, which is short if the data budget runs out part way. `ENOSPC` if nothing could be stored, `EFBIG`
    /// at the maximum file size, `EISDIR`, `EINVAL`. A non-empty write updates mtime and ctime. Set-id bits are
    /// left alone: clearing them on a write by a non-owner is the kernel's decision (via [`MemFs::setattr`]).
    pub fn write_at(
        &mut self,
        ino: InodeId,
        offset: u64,
        data: &[u8],
        now: Timestamp,
    ) -> Result<usize, Errno> {
        let inode = self.inodes.get_mut(&ino).ok_or(Errno::ENOENT)?;
        let Node::Regular(file) = &mut inode.node else {
            return Err(regular_only(inode));
        };
        let written = file.write_at(offset, data, &mut self.budget)?;
        if written > 0 {
            inode.touch_modify(now);
        }
        Ok(written)
    }

    /// Sets the size of regular file `ino` (`truncate(2)`): shrinking discards data, growing adds a hole (no
    /// budget used). Always updates mtime and ctime, as Linux does. `EISDIR`, `EINVAL` (other types), `EFBIG`.
    pub fn truncate(&mut self, ino: InodeId, size: u64, now: Timestamp) -> Result<(), Errno> {
        let inode = self.inodes.get_mut(&ino).ok_or(Errno::ENOENT)?;
        let Node::Regular(file) = &mut inode.node else {
            return Err(regular_only(inode));
        };
        file.truncate(size, &mut self.budget)?;
        inode.touch_modify(now);
        Ok(())
    }

    /// The target of symlink `ino`; `EINVAL` if it is not a symlink.
    pub fn readlink(&self, ino: InodeId) -> Result<&[u8], Errno> {
        match &self.inode(ino)?.node {
            Node::Symlink(target) => Ok(target),
            _ => Err(Errno::EINVAL),
        }
    }
}
