//! The mount table: which filesystem is mounted on which directory, and Linux's rules for `umount2(2)`.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use basalt_linux_abi::Errno;

/// A mount (`struct mount`); ids are never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MountId(pub u32);

/// A filesystem instance (a superblock), numbered by the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FsId(pub u32);

/// A place in the tree: an inode of the filesystem mounted as `mnt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Loc {
    /// The mount the inode is seen through.
    pub mnt: MountId,
    /// Inode number within that mount's filesystem.
    pub ino: u64,
}

/// One mount: a filesystem (or, for a bind mount, a directory of one) attached at a place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// The filesystem seen through this mount.
    pub fs: FsId,
    /// The inode of `fs` this mount shows as its root (the filesystem root, or a bind mount's source).
    pub root: u64,
    /// Where it is mounted; `None` for the namespace root and for detached mounts.
    pub parent: Option<Loc>,
    /// Still in the tree (a lazily unmounted mount lives on, detached, while used).
    pub attached: bool,
}

/// `umount2(2)` flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UmountFlags {
    /// `MNT_FORCE`: accepted (no filesystem here has anything to abort).
    pub force: bool,
    /// `MNT_DETACH`: take the mount and everything below it out of the tree now, free it when unused.
    pub detach: bool,
    /// `MNT_EXPIRE`: mark for expiry; the first call on an unused mount fails with `EAGAIN`.
    pub expire: bool,
    /// `UMOUNT_NOFOLLOW`: do not follow a final symlink (a lookup matter).
    pub nofollow: bool,
}

impl UmountFlags {
    const MNT_FORCE: u32 = 1;
    const MNT_DETACH: u32 = 2;
    const MNT_EXPIRE: u32 = 4;
    const UMOUNT_NOFOLLOW: u32 = 8;

    /// Decodes the flags argument; unknown bits are `EINVAL` (checked before the lookup, as Linux).
    pub fn from_linux(flags: u32) -> Result<Self, Errno> {
        let known = Self::MNT_FORCE | Self::MNT_DETACH | Self::MNT_EXPIRE | Self::UMOUNT_NOFOLLOW;
        if flags & !known != 0 {
            return Err(Errno::EINVAL);
        }
        Ok(Self {
            force: flags & Self::MNT_FORCE != 0,
            detach: flags & Self::MNT_DETACH != 0,
            expire: flags & Self::MNT_EXPIRE != 0,
            nofollow: flags & Self::UMOUNT_NOFOLLOW != 0,
        })
    }
}

/// All mounts of the (one) mount namespace.
#[derive(Debug, Clone)]
pub struct MountTable {
    mounts: BTreeMap<MountId, Mount>,
    /// The mount on top of each mount point.
    covers: BTreeMap<Loc, MountId>,
    /// Mounts marked by a first `MNT_EXPIRE`.
    expiring: BTreeMap<MountId, ()>,
    root: MountId,
    next: u32,
}

impl MountTable {
    /// A namespace whose root is inode `root` of `fs`.
    pub fn new(fs: FsId, root: u64) -> Self {
        let id = MountId(1);
        let mut mounts = BTreeMap::new();
        mounts.insert(
            id,
            Mount {
                fs,
                root,
                parent: None,
                attached: true,
            },
        );
        Self {
            mounts,
            covers: BTreeMap::new(),
            expiring: BTreeMap::new(),
            root: id,
            next: 2,
        }
    }

    /// The root mount of the namespace.
    pub fn root_mount(&self) -> MountId {
        self.root
    }

    /// The root of the namespace as a place.
    pub fn root(&self) -> Loc {
        let root = self.mounts.get(&self.root).map_or(0, |m| m.root);
        Loc {
            mnt: self.root,
            ino: root,
        }
    }

    /// A mount, attached or not (`None` once forgotten).
    pub fn get(&self, id: MountId) -> Option<&Mount> {
        self.mounts.get(&id)
    }

    /// The root of mount `id` as a place.
    pub fn mount_root(&self, id: MountId) -> Option<Loc> {
        self.get(id).map(|m| Loc {
            mnt: id,
            ino: m.root,
        })
    }

    /// Whether `at` is the root of its mount (what `umount` needs its target to be).
    pub fn is_mount_root(&self, at: Loc) -> bool {
        self.get(at.mnt).is_some_and(|m| m.root == at.ino)
    }

    /// Mounts `fs` (showing its inode `root`) on `at`, on top of anything already there. `EINVAL` if `at` is
    /// not in an attached mount.
    pub fn mount(&mut self, at: Loc, fs: FsId, root: u64) -> Result<MountId, Errno> {
        if !self.get(at.mnt).is_some_and(|m| m.attached) {
            return Err(Errno::EINVAL);
        }
        let id = MountId(self.next);
        self.next = self.next.checked_add(1).ok_or(Errno::ENOMEM)?;
        let at = self.follow_down(at);
        self.mounts.insert(
            id,
            Mount {
                fs,
                root,
                parent: Some(at),
                attached: true,
            },
        );
        self.covers.insert(at, id);
        Ok(id)
    }

    /// A bind mount (`MS_BIND`) of `source` on `at`: the same filesystem, rooted at `source`'s inode. With
    /// `recursive` (`MS_REC`) the mounts below `source` are copied too; `is_below(fs, ino, ancestor)` says
    /// whether inode `ino` lies under directory `ancestor` in filesystem `fs` (or is it).
    pub fn bind(
        &mut self,
        at: Loc,
        source: Loc,
        recursive: bool,
        is_below: &dyn Fn(FsId, u64, u64) -> bool,
    ) -> Result<MountId, Errno> {
        let fs = self.get(source.mnt).ok_or(Errno::EINVAL)?.fs;
        let top = self.mount(at, fs, source.ino)?;
        if recursive {
            // Copy the submounts of `source.mnt` that sit under `source`, then theirs, breadth first.
            let mut work: Vec<(MountId, MountId)> = Vec::new();
            work.push((source.mnt, top));
            while let Some((original, copy)) = work.pop() {
                let children: Vec<(Loc, MountId)> = self
                    .covers
                    .iter()
                    .filter(|(point, _)| point.mnt == original)
                    .map(|(point, child)| (*point, *child))
                    .collect();
                for (point, child) in children {
                    let Some(child_mount) = self.get(child).cloned() else {
                        continue;
                    };
                    let base = if original == source.mnt {
                        source.ino
                    } else {
                        self.get(original).map_or(0, |m| m.root)
                    };
                    let original_fs = self.get(original).map_or(fs, |m| m.fs);
                    if !is_below(original_fs, point.ino, base) {
                        continue;
                    }
                    let new = self.mount(
                        Loc {
                            mnt: copy,
                            ino: point.ino,
                        },
                        child_mount.fs,
                        child_mount.root,
                    )?;
                    work.push((child, new));
                }
            }
        }
        Ok(top)
    }

    /// `MS_MOVE`: mount `id` (with everything on it) moves to `at`. `EINVAL` for the namespace root, a detached
    /// mount or an `at` outside the tree; `ELOOP` if `at` lies inside the mount being moved.
    pub fn move_mount(&mut self, id: MountId, at: Loc) -> Result<(), Errno> {
        let mount = self.get(id).ok_or(Errno::EINVAL)?;
        let Some(old_point) = mount.parent.filter(|_| mount.attached && id != self.root) else {
            return Err(Errno::EINVAL);
        };
        if !self.get(at.mnt).is_some_and(|m| m.attached) {
            return Err(Errno::EINVAL);
        }
        if self.subtree(id).contains(&at.mnt) {
            return Err(Errno::ELOOP);
        }
        let at = self.follow_down(at);
        self.covers.remove(&old_point);
        self.covers.insert(at, id);
        if let Some(mount) = self.mounts.get_mut(&id) {
            mount.parent = Some(at);
        }
        Ok(())
    }

    /// The mount on `at`, if any.
    pub fn covering(&self, at: Loc) -> Option<MountId> {
        self.covers.get(&at).copied()
    }

    /// `at`, or the root of the topmost mount stacked on it.
    pub fn follow_down(&self, mut at: Loc) -> Loc {
        // Bounded by the number of mounts: every step goes to a newer mount root.
        for _ in 0..=self.mounts.len() {
            match self.covering(at).and_then(|id| self.mount_root(id)) {
                Some(next) => at = next,
                None => break,
            }
        }
        at
    }

    /// Where the root of `at`'s mount is mounted, if `at` is such a root and the mount has a parent.
    pub fn up(&self, at: Loc) -> Option<Loc> {
        let mount = self.get(at.mnt)?;
        if mount.root != at.ino {
            return None;
        }
        mount.parent
    }

    /// Attached mounts directly on places in `id`.
    fn children(&self, id: MountId) -> Vec<MountId> {
        self.covers
            .iter()
            .filter(|(point, _)| point.mnt == id)
            .map(|(_, child)| *child)
            .collect()
    }

    /// `id` and every attached mount below it, parents before children.
    pub fn subtree(&self, id: MountId) -> Vec<MountId> {
        let mut out = Vec::new();
        out.push(id);
        let mut i = 0;
        while let Some(&next) = out.get(i) {
            out.extend(self.children(next));
            i += 1;
        }
        out
    }

    /// Attached mounts in the order they were made (what `/proc/mounts` lists).
    pub fn attached(&self) -> Vec<MountId> {
        self.mounts
            .iter()
            .filter(|(_, m)| m.attached)
            .map(|(id, _)| *id)
            .collect()
    }

    /// `umount2(2)` of mount `id` (the caller checked privilege and that the path named a mount root).
    /// `busy(m)` says whether anything but the mount tree uses mount `m` (open files, working directories).
    /// Returns the mounts taken out of the tree.
    ///
    /// Linux's rules: the namespace root cannot go (`EINVAL`: it has no parent); `MNT_EXPIRE` with
    /// `MNT_FORCE`/`MNT_DETACH` is `EINVAL`, and marks an unused mount on the first call (`EAGAIN`), unmounting
    /// it on the second; without `MNT_DETACH` a mount with mounts on it or in use is `EBUSY`; `MNT_DETACH` takes
    /// the mount and all below it out of the tree at once.
    pub fn umount(
        &mut self,
        id: MountId,
        flags: UmountFlags,
        busy: &dyn Fn(MountId) -> bool,
    ) -> Result<Vec<MountId>, Errno> {
        let mount = self.get(id).ok_or(Errno::EINVAL)?;
        if !mount.attached || mount.parent.is_none() || id == self.root {
            return Err(Errno::EINVAL);
        }
        if flags.expire {
            if flags.force || flags.detach {
                return Err(Errno::EINVAL);
            }
            if busy(id) || !self.children(id).is_empty() {
                return Err(Errno::EBUSY);
            }
            if self.expiring.remove(&id).is_none() {
                self.expiring.insert(id, ());
                return Err(Errno::EAGAIN);
            }
        } else if !flags.detach && (!self.children(id).is_empty() || busy(id)) {
            return Err(Errno::EBUSY);
        }
        let gone = self.subtree(id);
        for &m in &gone {
            if let Some(mount) = self.mounts.get_mut(&m) {
                if let Some(point) = mount.parent.take() {
                    self.covers.remove(&point);
                }
                mount.attached = false;
            }
            self.expiring.remove(&m);
        }
        Ok(gone)
    }

    /// Drops a detached mount nothing uses any more.
    pub fn forget(&mut self, id: MountId) {
        if self.get(id).is_some_and(|m| !m.attached) {
            self.mounts.remove(&id);
        }
    }

    /// Whether any attached mount shows filesystem `fs`.
    pub fn fs_in_use(&self, fs: FsId) -> bool {
        self.mounts.values().any(|m| m.fs == fs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(mnt: MountId, ino: u64) -> Loc {
        Loc { mnt, ino }
    }

    #[test]
    fn mounts_stack_and_lead_back_up() {
        let mut t = MountTable::new(FsId(0), 1);
        let root = t.root_mount();
        let proc = t.mount(loc(root, 5), FsId(1), 1).unwrap();
        assert_eq!(t.follow_down(loc(root, 5)), loc(proc, 1));
        let over = t.mount(loc(root, 5), FsId(2), 7).unwrap();
        // The second mount goes on top of the first.
        assert_eq!(t.get(over).unwrap().parent, Some(loc(proc, 1)));
        assert_eq!(t.follow_down(loc(root, 5)), loc(over, 7));
        assert_eq!(t.up(loc(over, 7)), Some(loc(proc, 1)));
        assert_eq!(t.up(loc(proc, 1)), Some(loc(root, 5)));
        assert_eq!(t.up(loc(proc, 2)), None);
        assert_eq!(t.up(t.root()), None);
    }

    #[test]
    fn umount_follows_linux_rules() {
        let mut t = MountTable::new(FsId(0), 1);
        let root = t.root_mount();
        let a = t.mount(loc(root, 5), FsId(1), 1).unwrap();
        let b = t.mount(loc(a, 3), FsId(2), 1).unwrap();
        let idle = |_: MountId| false;
        let plain = UmountFlags::default();
        assert_eq!(t.umount(root, plain, &idle), Err(Errno::EINVAL));
        assert_eq!(t.umount(a, plain, &idle), Err(Errno::EBUSY));
        assert_eq!(t.umount(b, plain, &|m| m == b), Err(Errno::EBUSY));
        assert_eq!(t.umount(b, plain, &idle), Ok(alloc::vec![b]));
        assert_eq!(t.umount(b, plain, &idle), Err(Errno::EINVAL));
        let expire = UmountFlags {
            expire: true,
            ..plain
        };
        assert_eq!(t.umount(a, expire, &idle), Err(Errno::EAGAIN));
        assert_eq!(t.umount(a, expire, &idle), Ok(alloc::vec![a]));
        assert_eq!(t.follow_down(loc(root, 5)), loc(root, 5));
    }

    #[test]
    fn detach_takes_the_subtree_even_when_busy() {
        let mut t = MountTable::new(FsId(0), 1);
        let root = t.root_mount();
        let a = t.mount(loc(root, 5), FsId(1), 1).unwrap();
        let b = t.mount(loc(a, 3), FsId(2), 1).unwrap();
        let detach = UmountFlags {
            detach: true,
            ..Default::default()
        };
        assert_eq!(t.umount(a, detach, &|_| true), Ok(alloc::vec![a, b]));
        assert!(!t.get(b).unwrap().attached);
        assert_eq!(t.attached(), alloc::vec![root]);
        t.forget(a);
        assert!(t.get(a).is_none());
        let both = UmountFlags {
            expire: true,
            detach: true,
            ..Default::default()
        };
        let c = t.mount(loc(root, 5), FsId(1), 1).unwrap();
        assert_eq!(t.umount(c, both, &|_| false), Err(Errno::EINVAL));
    }

    #[test]
    fn moving_takes_the_submounts_along() {
        let mut t = MountTable::new(FsId(0), 1);
        let root = t.root_mount();
        let a = t.mount(loc(root, 5), FsId(1), 1).unwrap();
        let b = t.mount(loc(a, 3), FsId(2), 1).unwrap();
        assert_eq!(t.move_mount(a, loc(b, 1)), Err(Errno::ELOOP));
        assert_eq!(t.move_mount(root, loc(root, 6)), Err(Errno::EINVAL));
        assert_eq!(t.move_mount(a, loc(root, 6)), Ok(()));
        assert_eq!(t.follow_down(loc(root, 5)), loc(root, 5));
        assert_eq!(t.follow_down(loc(root, 6)), loc(a, 1));
        assert_eq!(t.follow_down(loc(a, 3)), loc(b, 1));
        assert_eq!(t.up(loc(a, 1)), Some(loc(root, 6)));
    }

    #[test]
    fn flags_decode() {
        assert_eq!(UmountFlags::from_linux(16), Err(Errno::EINVAL));
        assert!(UmountFlags::from_linux(2).unwrap().detach);
    }

    #[test]
    fn recursive_bind_copies_submounts_below_the_source() {
        let mut t = MountTable::new(FsId(0), 1);
        let root = t.root_mount();
        // fs 0: 1 is the root, 5 and 6 are directories in it, 7 is inside 5.
        let under_5 = t.mount(loc(root, 7), FsId(1), 1).unwrap();
        let _elsewhere = t.mount(loc(root, 6), FsId(2), 1).unwrap();
        let below = |_: FsId, ino: u64, anc: u64| ino == anc || (anc == 5 && ino == 7) || anc == 1;
        let plain = t.bind(loc(root, 8), loc(root, 5), false, &below).unwrap();
        assert_eq!(t.follow_down(loc(plain, 7)), loc(plain, 7));
        let rec = t.bind(loc(root, 9), loc(root, 5), true, &below).unwrap();
        let copied = t.covering(loc(rec, 7)).unwrap();
        assert_ne!(copied, under_5);
        assert_eq!(t.get(copied).unwrap().fs, FsId(1));
        assert_eq!(t.covering(loc(rec, 6)), None);
    }
}
