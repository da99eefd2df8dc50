//! The operations that change a filesystem's tree, as the system calls reach them: the filesystem's own
//! operation, then (for a filesystem whose lookups the VFS caches) the dentry cache told what changed. The
//! cache is told after the filesystem changed, whether or not the operation succeeded (a filesystem may fail
//! half way), and what it needs to know of the inodes involved is looked up only for caching filesystems.
#![forbid(unsafe_code)]

use super::dcache;
use super::vfs::{self, CachePolicy, EntryAt, FileSystem, FsId, Loc, MountId, Namespace};
use alloc::sync::Arc;
use basalt_linux_abi::Errno;
use basalt_memfs::{NodeKind, RenameFlags};
use basalt_vfs::dcache::TreeChange;

/// The entry's name as the cache keys it: without the trailing slashes the filesystem is given.
fn name_of<'a>(at: &EntryAt<'a>) -> &'a [u8] {
    let end = at
        .name
        .iter()
        .rposition(|&b| b != b'/')
        .map_or(0, |i| i + 1);
    &at.name[..end]
}

/// The filesystem of mount `mnt` and, if it is cached, its number.
fn cached(ns: &Namespace, mnt: MountId) -> Result<(&Arc<dyn FileSystem>, Option<FsId>), Errno> {
    let (id, fs) = ns.fs_with_id(mnt)?;
    let id = (fs.caching() == CachePolicy::Cache).then_some(id);
    Ok((fs, id))
}

/// An inode made (or not) at `at`: the cache forgets the name, and whatever it knew of the new inode's number.
fn made<T>(id: Option<FsId>, at: &EntryAt<'_>, result: &Result<T, Errno>, ino: impl Fn(&T) -> u64) {
    if let Some(id) = id {
        let change = TreeChange::Created {
            dir: at.dir,
            name: name_of(at),
            ino: result.as_ref().ok().map(ino),
        };
        dcache::changed(id, change);
    }
}

impl Namespace {
    /// open(O_CREAT) in mount `mnt`: the inode and whether it was made.
    pub fn create(
        &self,
        mnt: MountId,
        at: EntryAt<'_>,
        perm: u32,
        exclusive: bool,
    ) -> Result<(u64, bool), Errno> {
        let (fs, id) = cached(self, mnt)?;
        let result = fs.create(at, perm, exclusive);
        // An existing file opened is no change.
        if result.as_ref().map_or(true, |&(_, made)| made) {
            made(id, &at, &result, |&(ino, _)| ino);
        }
        result
    }

    /// mkdir in mount `mnt`.
    pub fn mkdir(&self, mnt: MountId, at: EntryAt<'_>, perm: u32) -> Result<u64, Errno> {
        let (fs, id) = cached(self, mnt)?;
        let result = fs.mkdir(at, perm);
        made(id, &at, &result, |&ino| ino);
        result
    }

    /// mknod in mount `mnt`.
    pub fn mknod(
        &self,
        mnt: MountId,
        at: EntryAt<'_>,
        kind: NodeKind,
        perm: u32,
    ) -> Result<u64, Errno> {
        let (fs, id) = cached(self, mnt)?;
        let result = fs.mknod(at, kind, perm);
        made(id, &at, &result, |&ino| ino);
        result
    }

    /// symlink in mount `mnt`.
    pub fn symlink(&self, mnt: MountId, at: EntryAt<'_>, target: &[u8]) -> Result<u64, Errno> {
        let (fs, id) = cached(self, mnt)?;
        let result = fs.symlink(at, target);
        made(id, &at, &result, |&ino| ino);
        result
    }

    /// A hard link at `at` to inode `target` of mount `mnt`'s filesystem.
    pub fn link(&self, mnt: MountId, at: EntryAt<'_>, target: u64) -> Result<(), Errno> {
        let (fs, id) = cached(self, mnt)?;
        let result = fs.link(at, target);
        if let Some(id) = id {
            let (dir, name) = (at.dir, name_of(&at));
            dcache::changed(id, TreeChange::Linked { dir, name });
        }
        result
    }

    /// unlink, or with `directory` rmdir, in mount `mnt`.
    pub fn remove(&self, mnt: MountId, at: EntryAt<'_>, directory: bool) -> Result<(), Errno> {
        let (fs, id) = cached(self, mnt)?;
        let result = if directory {
            fs.rmdir(at)
        } else {
            fs.unlink(at)
        };
        if let Some(id) = id {
            let (dir, name) = (at.dir, name_of(&at));
            dcache::changed(id, TreeChange::Removed { dir, name });
        }
        result
    }

    /// rename within mount `mnt`.
    pub fn rename(
        &self,
        mnt: MountId,
        from: EntryAt<'_>,
        to: EntryAt<'_>,
        flags: RenameFlags,
    ) -> Result<(), Errno> {
        let (fs, id) = cached(self, mnt)?;
        let Some(id) = id else {
            return fs.rename(from, to, flags);
        };
        let (from_name, to_name) = (name_of(&from), name_of(&to));
        let inode_at = |dir: u64, name: &[u8]| {
            // `.` and `..` are never entries (the filesystem refuses to rename them).
            let ordinary = !matches!(name, b"" | b"." | b"..");
            ordinary.then(|| fs.lookup(dir, name).ok()).flatten()
        };
        let moved = inode_at(from.dir, from_name);
        let replaced = inode_at(to.dir, to_name);
        let result = fs.rename(from, to, flags);
        let left_behind = inode_at(from.dir, from_name);
        let change = TreeChange::Renamed {
            from_dir: from.dir,
            from_name,
            to_dir: to.dir,
            to_name,
            moved,
            replaced,
            left_behind,
        };
        dcache::changed(id, change);
        result
    }

    /// The permissions or owner of the inode at `at` changed (chmod, chown).
    pub fn attrs_changed(&self, at: Loc) {
        if let Ok((_, Some(id))) = cached(self, at.mnt) {
            dcache::changed(id, TreeChange::Attrs { ino: at.ino });
        }
    }
}

/// Changes that a filesystem's own code made without the VFS (devtmpfs's device nodes, the root's /dev/pts
/// nodes), after making them: the dentry cache is told under the instance's number in the namespace.
pub fn changed_directly(fs: &dyn FileSystem, changes: &[TreeChange<'_>]) {
    if fs.caching() != CachePolicy::Cache {
        return;
    }
    let Ok(ns) = vfs::namespace() else {
        return;
    };
    for id in ns.ids_of(fs) {
        for &change in changes {
            dcache::changed(id, change);
        }
    }
}
