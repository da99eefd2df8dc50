//! The filesystem: the inode table, inode lifetime, budgets and attribute queries.

use crate::budget::Budget;
use crate::directory::Directory;
use crate::file_data::PAGE_SIZE;
use crate::file_type::PERMISSION_BITS;
use crate::inode::{Inode, Node};
use crate::{may_access, Access, Credentials, FileType, Stat, Timestamp};
use alloc::collections::BTreeMap;
use basalt_linux_abi::Errno;

/// tmpfs reports directory sizes in these units per entry (`BOGO_DIRENT_SIZE`), plus two for `.` and `..`.
const BOGO_DIRENT_SIZE: u64 = 20;
/// Seconds after which `relatime` refreshes the access time even if it is newer than the other times.
const RELATIME_INTERVAL_SECS: i64 = 24 * 60 * 60;

/// An inode of a [`MemFs`]; its value is the inode number (`st_ino`). Numbers are never reused, so an id kept
/// after its inode was freed only ever yields `ENOENT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InodeId(pub(crate) u64);

impl InodeId {
    /// The inode number.
    pub const fn number(self) -> u64 {
        self.0
    }

    /// The id of inode number `number` (ids are never reused, so a stale number only yields `ENOENT`).
    pub const fn from_number(number: u64) -> Self {
        InodeId(number)
    }
}

/// Limits and identity of a filesystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Most bytes of file data (whole 4 KiB pages) and symlink targets; beyond it writes fail with `ENOSPC`.
    pub max_data_bytes: u64,
    /// Most inodes, the root included; beyond it creation fails with `ENOSPC`.
    pub max_inodes: u64,
    /// `st_dev` reported for every inode.
    pub device: u64,
    /// Permission bits of the root directory.
    pub root_perm: u32,
    /// Owner of the root directory.
    pub root_uid: u32,
    /// Number of the root directory; the others follow it. Several filesystems in one kernel give each a range
    /// of its own so that inode numbers (and [`InodeId`]s) name one inode across all of them.
    pub first_ino: u64,
    /// Group of the root directory.
    pub root_gid: u32,
}

impl Default for Config {
    /// 256 MiB of data, a million inodes, device 0, root directory `0755 root:root` with inode number 1.
    fn default() -> Self {
        Self {
            max_data_bytes: 256 << 20,
            max_inodes: 1 << 20,
            device: 0,
            root_perm: 0o755,
            root_uid: 0,
            root_gid: 0,
            first_ino: 1,
        }
    }
}

/// How much of the budgets is in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    /// Bytes charged for file pages and symlink targets.
    pub data_bytes: u64,
    /// [`Config::max_data_bytes`].
    pub max_data_bytes: u64,
    /// Live inodes, including unlinked ones still held.
    pub inodes: u64,
    /// [`Config::max_inodes`].
    pub max_inodes: u64,
}

/// An in-memory filesystem. See the crate documentation.
#[derive(Debug)]
pub struct MemFs {
    pub(crate) inodes: BTreeMap<InodeId, Inode>,
    next_ino: u64,
    root: InodeId,
    device: u64,
    pub(crate) budget: Budget,
    max_inodes: u64,
}

impl MemFs {
    /// An empty filesystem: just the root directory ([`Config::first_ino`]), created at `now`.
    pub fn new(config: &Config, now: Timestamp) -> Self {
        let root = InodeId(config.first_ino);
        let root_inode = Inode {
            node: Node::Directory(Directory::new(root)),
            perm: config.root_perm & PERMISSION_BITS,
            uid: config.root_uid,
            gid: config.root_gid,
            nlink: 2,
            atime: now,
            mtime: now,
            ctime: now,
            holds: 0,
        };
        let mut inodes = BTreeMap::new();
        inodes.insert(root, root_inode);
        Self {
            inodes,
            next_ino: config.first_ino.saturating_add(1),
            root,
            device: config.device,
            budget: Budget::new(config.max_data_bytes),
            max_inodes: config.max_inodes,
        }
    }

    /// The root directory. It is never freed, and `..` of the root is the root.
    pub fn root(&self) -> InodeId {
        self.root
    }

    /// Current use of the data and inode budgets.
    pub fn usage(&self) -> Usage {
        Usage {
            data_bytes: self.budget.used(),
            max_data_bytes: self.budget.limit(),
            inodes: self.inodes.len() as u64,
            max_inodes: self.max_inodes,
        }
    }

    /// The attributes of `ino`; `ENOENT` if it no longer exists.
    pub fn stat(&self, ino: InodeId) -> Result<Stat, Errno> {
        let inode = self.inode(ino)?;
        let (size, blocks, rdev) = match &inode.node {
            Node::Regular(data) => (data.size(), data.allocated_bytes() / 512, 0),
            Node::Directory(dir) => ((dir.len() as u64 + 2) * BOGO_DIRENT_SIZE, 0, 0),
            Node::Symlink(target) => (target.len() as u64, 0, 0),
            Node::CharDevice(dev) | Node::BlockDevice(dev) => (0, 0, dev.encode()),
            Node::Fifo | Node::Socket => (0, 0, 0),
        };
        Ok(Stat {
            dev: self.device,
            ino: ino.number(),
            nlink: u64::from(inode.nlink),
            mode: inode.mode(),
            uid: inode.uid,
            gid: inode.gid,
            rdev,
            size,
            blksize: PAGE_SIZE as u64,
            blocks,
            atime: inode.atime,
            mtime: inode.mtime,
            ctime: inode.ctime,
        })
    }

    /// The type of `ino`.
    pub fn file_type(&self, ino: InodeId) -> Result<FileType, Errno> {
        Ok(self.inode(ino)?.file_type())
    }

    /// Whether `cred` may access `ino` as `want` asks (see [`may_access`]); false if `ino` does not exist.
    pub fn may_access(&self, ino: InodeId, cred: &Credentials<'_>, want: Access) -> bool {
        self.stat(ino)
            .is_ok_and(|stat| may_access(&stat, cred, want))
    }

    /// Takes a reference on `ino` (an open file, a working directory): it stays readable and writable after its
    /// last link goes, until [`MemFs::release`]. `ENOENT` if it does not exist, `EOVERFLOW` past `u32::MAX`.
    pub fn hold(&mut self, ino: InodeId) -> Result<(), Errno> {
        let inode = self.inode_mut(ino)?;
        inode.holds = inode.holds.checked_add(1).ok_or(Errno::EOVERFLOW)?;
        Ok(())
    }

    /// Drops a reference taken by [`MemFs::hold`], freeing the inode if it has no links left. `EINVAL` if no
    /// reference is held.
    pub fn release(&mut self, ino: InodeId) -> Result<(), Errno> {
        let inode = self.inode_mut(ino)?;
        inode.holds = inode.holds.checked_sub(1).ok_or(Errno::EINVAL)?;
        self.free_if_unused(ino);
        Ok(())
    }

    /// Updates the access time after a read, following Linux's default `relatime`: only if the access time is
    /// not newer than the modification or change time, or is a day old.
    pub fn mark_accessed(&mut self, ino: InodeId, now: Timestamp) -> Result<(), Errno> {
        let inode = self.inode_mut(ino)?;
        let stale = inode.mtime >= inode.atime
            || inode.ctime >= inode.atime
            || now.seconds_since(inode.atime) >= RELATIME_INTERVAL_SECS;
        if stale {
            inode.atime = now;
        }
        Ok(())
    }

    pub(crate) fn inode(&self, ino: InodeId) -> Result<&Inode, Errno> {
        self.inodes.get(&ino).ok_or(Errno::ENOENT)
    }

    pub(crate) fn inode_mut(&mut self, ino: InodeId) -> Result<&mut Inode, Errno> {
        self.inodes.get_mut(&ino).ok_or(Errno::ENOENT)
    }

    /// The directory `ino`; `ENOTDIR` if it is something else.
    pub(crate) fn directory(&self, ino: InodeId) -> Result<&Directory, Errno> {
        self.inode(ino)?.directory().ok_or(Errno::ENOTDIR)
    }

    pub(crate) fn directory_mut(&mut self, ino: InodeId) -> Result<&mut Directory, Errno> {
        self.inode_mut(ino)?.directory_mut().ok_or(Errno::ENOTDIR)
    }

    pub(crate) fn is_dir(&self, ino: InodeId) -> bool {
        self.inode(ino).is_ok_and(Inode::is_dir)
    }

    /// `..` of directory `dir`.
    pub(crate) fn parent_of(&self, dir: InodeId) -> Result<InodeId, Errno> {
        Ok(self.directory(dir)?.parent)
    }

    /// Adds an inode (not yet linked anywhere: the caller links it) with one link, or two for a directory.
    /// `ENOSPC` when the inode budget is used up.
    pub(crate) fn allocate(
        &mut self,
        node: Node,
        perm: u32,
        owner: (u32, u32),
        now: Timestamp,
    ) -> Result<InodeId, Errno> {
        if self.inodes.len() as u64 >= self.max_inodes {
            return Err(Errno::ENOSPC);
        }
        let ino = InodeId(self.next_ino);
        self.next_ino = self.next_ino.checked_add(1).ok_or(Errno::ENOSPC)?;
        let nlink = if matches!(node, Node::Directory(_)) {
            2
        } else {
            1
        };
        self.inodes.insert(
            ino,
            Inode {
                node,
                perm: perm & PERMISSION_BITS,
                uid: owner.0,
                gid: owner.1,
                nlink,
                atime: now,
                mtime: now,
                ctime: now,
                holds: 0,
            },
        );
        Ok(ino)
    }

    /// Accounts for a removed directory entry naming the non-directory `ino`.
    pub(crate) fn drop_link(&mut self, ino: InodeId, now: Timestamp) {
        if let Ok(inode) = self.inode_mut(ino) {
            inode.nlink = inode.nlink.saturating_sub(1);
            inode.touch_change(now);
        }
        self.free_if_unused(ino);
    }

    /// Accounts for the removal of directory `ino` (already out of its parent, whose link count the caller
    /// fixes). If the kernel still holds it, it keeps its parent alive in turn, so `..` keeps working from it.
    pub(crate) fn drop_directory(&mut self, ino: InodeId, now: Timestamp) {
        let Ok(inode) = self.inode_mut(ino) else {
            return;
        };
        inode.nlink = 0;
        inode.touch_change(now);
        if inode.holds > 0 {
            if let Some(dir) = inode.directory_mut() {
                dir.holds_parent = true;
                let parent = dir.parent;
                if let Ok(parent) = self.inode_mut(parent) {
                    parent.holds = parent.holds.saturating_add(1);
                }
            }
        }
        self.free_if_unused(ino);
    }

    /// Frees `ino` if nothing links to or holds it (never the root), and then whatever it kept alive.
    fn free_if_unused(&mut self, mut ino: InodeId) {
        loop {
            let unused = self
                .inodes
                .get(&ino)
                .is_some_and(|inode| inode.nlink == 0 && inode.holds == 0 && ino != self.root);
            if !unused {
                return;
            }
            let Some(inode) = self.inodes.remove(&ino) else {
                return;
            };
            match inode.node {
                Node::Regular(mut data) => data.release(&mut self.budget),
                Node::Symlink(target) => self.budget.refund(target.len() as u64),
                Node::Directory(dir) if dir.holds_parent => {
                    // The reference this directory held on its parent goes with it.
                    let Ok(parent) = self.inode_mut(dir.parent) else {
                        return;
                    };
                    parent.holds = parent.holds.saturating_sub(1);
                    ino = dir.parent;
                    continue;
                }
                _ => {}
            }
            return;
        }
    }
}
