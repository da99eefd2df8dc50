//! Creating entries: files and device nodes, directories, symlinks and hard links.

use crate::credentials::Actor;
use crate::directory::Directory;
use crate::file_data::FileData;
use crate::file_type::{PERMISSION_BITS, S_ISGID, S_ISUID, S_ISVTX, S_IXGRP};
use crate::inode::Node;
use crate::names::{check_name_length, entry_name, PATH_MAX};
use crate::{Access, Credentials, FileType, InodeId, LastComponent, MemFs, NodeKind, Timestamp};
use basalt_linux_abi::Errno;

/// What a creation makes.
#[derive(Debug, Clone, Copy)]
pub(crate) enum NewInode<'t> {
    Node(NodeKind),
    Directory,
    Symlink(&'t [u8]),
}

/// Checks a symlink target as `symlink(2)` does: `ENOENT` if empty, `ENAMETOOLONG` if 4096 bytes or more.
pub(crate) fn check_symlink_target(target: &[u8]) -> Result<(), Errno> {
    if target.is_empty() {
        return Err(Errno::ENOENT);
    }
    if target.len() >= PATH_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    Ok(())
}

impl MemFs {
    /// Creates a regular file or device, FIFO or socket node `name` in `dir`, owned by `creator` (group: the
    /// directory's if it is set-group-id), with permission bits `perm & 0o7777` (apply the umask first). Like
    /// `mknod(2)`: `EEXIST` if the name exists (also for `.`/`..`); open-or-create is [`MemFs::open_create`].
    /// No permission checks. Errors: `ENOTDIR`, `ENOENT` (removed directory), `ENAMETOOLONG`, `ENOSPC` (inodes).
    pub fn create(
        &mut self,
        dir: InodeId,
        name: &[u8],
        kind: NodeKind,
        perm: u32,
        creator: &Credentials<'_>,
        now: Timestamp,
    ) -> Result<InodeId, Errno> {
        let last = entry_name(name)?;
        self.create_entry(
            &Actor::trusted(*creator),
            dir,
            last,
            false,
            NewInode::Node(kind),
            perm,
            now,
        )
    }

    /// Creates directory `name` in `dir` with permission bits `perm & 0o1777` (set-group-id inherited from a
    /// set-group-id parent). Errors as [`MemFs::create`], plus `EMLINK` if `dir` has too many subdirectories.
    pub fn mkdir(
        &mut self,
        dir: InodeId,
        name: &[u8],
        perm: u32,
        creator: &Credentials<'_>,
        now: Timestamp,
    ) -> Result<InodeId, Errno> {
        let last = entry_name(name)?;
        self.create_entry(
            &Actor::trusted(*creator),
            dir,
            last,
            false,
            NewInode::Directory,
            perm,
            now,
        )
    }

    /// Creates symlink `name` in `dir` pointing at `target` (mode 0777). `ENOENT` for an empty target,
    /// `ENAMETOOLONG` for one of [`crate::PATH_MAX`] bytes or more; `ENOSPC` if the data budget cannot hold it;
    /// otherwise errors as [`MemFs::create`].
    pub fn symlink(
        &mut self,
        dir: InodeId,
        name: &[u8],
        target: &[u8],
        creator: &Credentials<'_>,
        now: Timestamp,
    ) -> Result<InodeId, Errno> {
        check_symlink_target(target)?;
        let last = entry_name(name)?;
        self.create_entry(
            &Actor::trusted(*creator),
            dir,
            last,
            false,
            NewInode::Symlink(target),
            0o777,
            now,
        )
    }

    /// Adds the hard link `name` in `dir` to `target`. `EPERM` for a directory, `ENOENT` if `target` has no links
    /// left (unlinked but still held), `EEXIST` if the name exists, `EMLINK` at `u32::MAX` links.
    pub fn link(
        &mut self,
        dir: InodeId,
        name: &[u8],
        target: InodeId,
        now: Timestamp,
    ) -> Result<(), Errno> {
        let last = entry_name(name)?;
        self.link_entry(
            &Actor::trusted(Credentials::ROOT),
            dir,
            last,
            false,
            target,
            now,
        )
    }

    /// `filename_create` + `vfs_mknod`/`vfs_mkdir`/`vfs_symlink`, checks in Linux's order.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn create_entry(
        &mut self,
        actor: &Actor<'_>,
        dir: InodeId,
        last: LastComponent<'_>,
        trailing_slash: bool,
        new: NewInode<'_>,
        perm: u32,
        now: Timestamp,
    ) -> Result<InodeId, Errno> {
        let LastComponent::Name(name) = last else {
            return Err(Errno::EEXIST);
        };
        check_name_length(name)?;
        let parent = self.inode(dir)?;
        let entries = parent.directory().ok_or(Errno::ENOTDIR)?;
        if entries.get(name).is_some() {
            return Err(Errno::EEXIST);
        }
        let is_dir = matches!(new, NewInode::Directory);
        if trailing_slash && !is_dir {
            // "You had / on the end, you've been asking for a (non-existent) directory."
            return Err(Errno::ENOENT);
        }
        if parent.nlink == 0 {
            return Err(Errno::ENOENT);
        }
        self.require_access(actor, dir, Access::WRITE | Access::EXEC)?;
        let is_device = matches!(
            new,
            NewInode::Node(NodeKind::CharDevice(_) | NodeKind::BlockDevice(_))
        );
        if is_device && !actor.is_privileged() {
            return Err(Errno::EPERM);
        }
        if is_dir && parent.nlink == u32::MAX {
            return Err(Errno::EMLINK);
        }

        let (perm, gid) = self.new_inode_owner(actor, dir, new, perm)?;
        let node = match new {
            NewInode::Node(kind) => match kind {
                NodeKind::Regular => Node::Regular(FileData::default()),
                NodeKind::CharDevice(dev) => Node::CharDevice(dev),
                NodeKind::BlockDevice(dev) => Node::BlockDevice(dev),
                NodeKind::Fifo => Node::Fifo,
                NodeKind::Socket => Node::Socket,
            },
            NewInode::Directory => Node::Directory(Directory::new(dir)),
            NewInode::Symlink(target) => {
                if !self.budget.try_charge(target.len() as u64) {
                    return Err(Errno::ENOSPC);
                }
                Node::Symlink(target.into())
            }
        };
        let ino = match self.allocate(node, perm, (actor.cred.uid, gid), now) {
            Ok(ino) => ino,
            Err(errno) => {
                if let NewInode::Symlink(target) = new {
                    self.budget.refund(target.len() as u64);
                }
                return Err(errno);
            }
        };
        let parent = self.inode_mut(dir)?;
        if is_dir {
            parent.nlink += 1;
        }
        parent.touch_modify(now);
        self.directory_mut(dir)?.insert(name, ino);
        Ok(ino)
    }

    /// Permission bits and group of a new inode (`inode_init_owner`): a set-group-id directory passes on its group,
    /// and to subdirectories its set-group-id bit; a new file keeps set-group-id only if its creator could have
    /// set it (member of that group, or privileged).
    fn new_inode_owner(
        &self,
        actor: &Actor<'_>,
        dir: InodeId,
        new: NewInode<'_>,
        perm: u32,
    ) -> Result<(u32, u32), Errno> {
        let parent = self.inode(dir)?;
        let mut perm = match new {
            NewInode::Directory => perm & (0o777 | S_ISVTX),
            NewInode::Symlink(_) => 0o777,
            NewInode::Node(_) => perm & PERMISSION_BITS,
        };
        if parent.perm & S_ISGID == 0 {
            return Ok((perm, actor.cred.gid));
        }
        if matches!(new, NewInode::Directory) {
            perm |= S_ISGID;
        } else if perm & (S_ISGID | S_IXGRP) == (S_ISGID | S_IXGRP)
            && !actor.cred.in_group(parent.gid)
            && !actor.cred.is_root()
        {
            perm &= !S_ISGID;
        }
        Ok((perm, parent.gid))
    }

    /// `filename_create` + `may_linkat` + `vfs_link`, checks in Linux's order.
    pub(crate) fn link_entry(
        &mut self,
        actor: &Actor<'_>,
        dir: InodeId,
        last: LastComponent<'_>,
        trailing_slash: bool,
        target: InodeId,
        now: Timestamp,
    ) -> Result<(), Errno> {
        let LastComponent::Name(name) = last else {
            return Err(Errno::EEXIST);
        };
        check_name_length(name)?;
        let parent = self.inode(dir)?;
        if parent
            .directory()
            .ok_or(Errno::ENOTDIR)?
            .get(name)
            .is_some()
        {
            return Err(Errno::EEXIST);
        }
        if trailing_slash {
            return Err(Errno::ENOENT);
        }
        self.check_protected_hardlink(actor, target)?;
        if self.inode(dir)?.nlink == 0 {
            return Err(Errno::ENOENT);
        }
        self.require_access(actor, dir, Access::WRITE | Access::EXEC)?;
        let inode = self.inode(target)?;
        if inode.is_dir() {
            return Err(Errno::EPERM);
        }
        if inode.nlink == 0 {
            return Err(Errno::ENOENT);
        }
        let nlink = inode.nlink.checked_add(1).ok_or(Errno::EMLINK)?;
        let inode = self.inode_mut(target)?;
        inode.nlink = nlink;
        inode.touch_change(now);
        self.inode_mut(dir)?.touch_modify(now);
        self.directory_mut(dir)?.insert(name, target);
        Ok(())
    }

    /// `fs.protected_hardlinks` (on by default in distributions): someone other than the owner may only link to a
    /// regular file they could read and write that is neither set-user-id nor executable set-group-id.
    fn check_protected_hardlink(&self, actor: &Actor<'_>, target: InodeId) -> Result<(), Errno> {
        let inode = self.inode(target)?;
        if actor.is_privileged() || inode.uid == actor.cred.uid {
            return Ok(());
        }
        let safe = inode.file_type() == FileType::Regular
            && inode.perm & S_ISUID == 0
            && inode.perm & (S_ISGID | S_IXGRP) != (S_ISGID | S_IXGRP)
            && self.may_access(target, &actor.cred, Access::READ | Access::WRITE);
        if safe {
            Ok(())
        } else {
            Err(Errno::EPERM)
        }
    }
}
