//! Unnamed regular files (memfd_create): an inode with no directory entry.

use crate::file_data::FileData;
use crate::inode::Node;
use crate::{Credentials, InodeId, MemFs, Timestamp};
use basalt_linux_abi::Errno;

impl MemFs {
    /// A regular file with no name: link count 0, so it is freed when the last [`MemFs::hold`] is released.
    /// The caller holds it at once. Permission bits `perm & 0o7777`, owned by `owner`. `ENOSPC` when out of inodes.
    pub fn create_unnamed(
        &mut self,
        perm: u32,
        owner: &Credentials<'_>,
        now: Timestamp,
    ) -> Result<InodeId, Errno> {
        let ino = self.allocate(
            Node::Regular(FileData::default()),
            perm,
            (owner.uid, owner.gid),
            now,
        )?;
        self.inode_mut(ino)?.nlink = 0;
        Ok(ino)
    }
}
