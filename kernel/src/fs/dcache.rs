//! The VFS's dentry and inode cache (basalt-vfs's [`DentryCache`]) for filesystems that opt in with
//! [`CachePolicy::Cache`]: lookups (positive and negative), `..`, and the attributes a walk checks. One cache
//! for all filesystems, keyed by the namespace's [`FsId`], sized from memory at first use.
//!
//! The lock is never held while a filesystem is asked (a block filesystem may sleep on its device, procfs
//! resolves paths itself): tickets keep answers that a concurrent change made stale out of the cache.
#![forbid(unsafe_code)]

use super::vfs::FileSystem;
use basalt_linux_abi::Errno;
use basalt_memfs::{FileType, Stat, Timestamp};
use basalt_vfs::dcache::{Capacity, DentryCache, Lookup, Ticket, TreeChange};
use basalt_vfs::FsId;
use spin::Mutex;

/// What a walk needs of an inode: its type and permission bits, its owner. Size, times and link counts change
/// without the VFS seeing it (writes go to the file), so `stat` always asks the filesystem.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WalkAttrs {
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

impl WalkAttrs {
    pub fn of(stat: &Stat) -> Self {
        Self {
            mode: stat.mode,
            uid: stat.uid,
            gid: stat.gid,
        }
    }

    pub fn file_type(&self) -> Option<FileType> {
        FileType::from_mode(self.mode)
    }

    /// A stat carrying these attributes (and nothing else), for the permission checks that take one.
    pub fn as_stat(&self) -> Stat {
        let never = Timestamp::default();
        Stat {
            dev: 0,
            ino: 0,
            nlink: 0,
            mode: self.mode,
            uid: self.uid,
            gid: self.gid,
            rdev: 0,
            size: 0,
            blksize: 0,
            blocks: 0,
            atime: never,
            mtime: never,
            ctime: never,
        }
    }
}

static CACHE: Mutex<Option<DentryCache<WalkAttrs>>> = Mutex::new(None);

fn with<T>(f: impl FnOnce(&mut DentryCache<WalkAttrs>) -> T) -> T {
    let mut guard = CACHE.lock();
    let cache = guard.get_or_insert_with(|| {
        let memory = crate::mm::frames::total_frames() * 4096;
        DentryCache::new(Capacity::for_memory(memory))
    });
    f(cache)
}

/// The walk attributes of `ino` in `fs` (numbered `id`).
pub fn attrs(id: FsId, fs: &dyn FileSystem, ino: u64) -> Result<WalkAttrs, Errno> {
    let ticket = match with(|c| c.attrs(id, ino).ok_or(c.ticket())) {
        Ok(attrs) => return Ok(attrs),
        Err(ticket) => ticket,
    };
    let attrs = WalkAttrs::of(&fs.getattr(ino)?);
    with(|c| c.insert_attrs(ticket, id, ino, attrs));
    Ok(attrs)
}

/// Asks the filesystem for a name the cache does not know, and records the answer if `ticket` is still current.
fn lookup_uncached(
    ticket: Ticket,
    id: FsId,
    fs: &dyn FileSystem,
    dir: u64,
    name: &[u8],
) -> Result<u64, Errno> {
    let found = fs.lookup(dir, name);
    let entry = match found {
        Ok(ino) => Lookup::Found(ino),
        Err(Errno::ENOENT) => Lookup::Missing,
        // Other failures (an I/O error, a directory gone) are not facts about the name.
        Err(_) => return found,
    };
    with(|c| c.insert_lookup(ticket, id, dir, name, entry));
    found
}

/// Entry `name` of directory `dir` (found and missing names are both remembered), and the walk attributes of
/// the inode found if the cache has them, under one taking of the lock (a walk asks about every inode it finds
/// next: is it a symlink, a directory, may it be searched).
pub fn lookup_with_attrs(
    id: FsId,
    fs: &dyn FileSystem,
    dir: u64,
    name: &[u8],
) -> Result<(u64, Option<WalkAttrs>), Errno> {
    let cached = with(|c| match c.lookup(id, dir, name) {
        Some(Lookup::Found(ino)) => Ok(Ok((ino, c.attrs(id, ino)))),
        Some(Lookup::Missing) => Ok(Err(Errno::ENOENT)),
        None => Err(c.ticket()),
    });
    match cached {
        Ok(answer) => answer,
        Err(ticket) => lookup_uncached(ticket, id, fs, dir, name).map(|ino| (ino, None)),
    }
}

/// `..` of directory `dir`.
pub fn parent(id: FsId, fs: &dyn FileSystem, dir: u64) -> Result<u64, Errno> {
    let ticket = match with(|c| c.parent(id, dir).ok_or(c.ticket())) {
        Ok(parent) => return Ok(parent),
        Err(ticket) => ticket,
    };
    let parent = fs.parent(dir)?;
    with(|c| c.insert_parent(ticket, id, dir, parent));
    Ok(parent)
}

/// A change made through the VFS in filesystem `id` (after the filesystem made it).
pub fn changed(id: FsId, change: TreeChange<'_>) {
    with(|c| c.changed(id, change));
}

/// Filesystem `id` left the namespace.
pub fn drop_fs(id: FsId) {
    let mut guard = CACHE.lock();
    if let Some(cache) = guard.as_mut() {
        cache.drop_fs(id);
    }
}
