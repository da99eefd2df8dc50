//! The dentry and inode cache: what path walks learn from a filesystem, kept so the next walk need not ask it
//! again. For filesystems whose lookups are expensive (a block filesystem reading directory blocks through its
//! page cache); in-memory filesystems are their own cache and do not use it.
//!
//! Three bounded tables, keyed by filesystem and inode number (never by path, so renaming a directory
//! leaves everything below it valid):
//!
//! - inodes: `(fs, ino)` → the attributes a walk needs (type, permissions, owner: `A`), and a *stamp*;
//! - names: `(fs, dir, name)` → the inode found, or that there is none (a negative entry);
//! - parents: `(fs, dir)` → the inode of `dir/..`.
//!
//! A name or parent entry belongs to its directory's inode entry: it records the stamp that entry had and is
//! valid only while the directory's entry exists with that stamp. Forgetting an inode therefore forgets
//! everything cached below it at once (as Linux's dentries hang off their inodes), which is what is needed
//! when an inode number is given to a new inode.
//!
//! Walks do not hold the cache's lock while they ask the filesystem, so a change may happen between asking
//! and recording. Every invalidation advances a generation; a walk takes a [`Ticket`] before asking the
//! filesystem and the answer is recorded only if no invalidation happened since. The filesystem must be
//! changed before the cache is told, so an answer either predates the ticket or reflects the change.

use crate::FsId;
use alloc::boxed::Box;
use core::hash::BuildHasher;
use hashbrown::DefaultHashBuilder;

use crate::clock::ClockMap;

/// Whether a filesystem's lookups and attributes may be cached by the VFS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CachePolicy {
    /// Never: the filesystem computes its tree (procfs, sysfs) or is itself memory (tmpfs).
    Never,
    /// Lookups, `..` and walk attributes are cached; the filesystem changes only through the VFS.
    Cache,
}

/// A change made through the VFS, as [`DentryCache::changed`] takes it: what happened to which entries and
/// inodes. Names are without trailing slashes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TreeChange<'a> {
    /// `name` in `dir` was (or may have been) made: create, mkdir, mknod, symlink. `ino` is the new inode when
    /// one was made; its number may be one a dead inode had.
    Created {
        dir: u64,
        name: &'a [u8],
        ino: Option<u64>,
    },
    /// A hard link `name` in `dir` was (or may have been) made to an existing inode.
    Linked { dir: u64, name: &'a [u8] },
    /// `name` in `dir` was (or may have been) removed: unlink, rmdir.
    Removed { dir: u64, name: &'a [u8] },
    /// A rename (with any of RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT) was attempted.
    Renamed {
        from_dir: u64,
        from_name: &'a [u8],
        to_dir: u64,
        to_name: &'a [u8],
        /// The inode that was at `from_name` before (it may have moved to another directory).
        moved: Option<u64>,
        /// The inode that was at `to_name` before (with RENAME_EXCHANGE it moved the other way).
        replaced: Option<u64>,
        /// What is at `from_name` after the rename (RENAME_WHITEOUT's new inode, or the exchanged one).
        left_behind: Option<u64>,
    },
    /// The attributes of `ino` changed: chmod, chown.
    Attrs { ino: u64 },
}

/// What a cached lookup found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// The name is an entry for this inode.
    Found(u64),
    /// The name is not in the directory (a negative entry).
    Missing,
}

/// Proof of when a walk started asking the filesystem (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ticket(u64);

/// Counts of cache use, for tests and statistics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub hits: u64,
    pub misses: u64,
}

/// Table sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capacity {
    pub inodes: usize,
    pub names: usize,
    pub parents: usize,
}

impl Capacity {
    /// Sizes for a machine with `memory_bytes` of memory: about 1/256 of it at ~100 bytes an entry, between
    /// 256 and 65536 names (inodes as many, parents a quarter).
    pub fn for_memory(memory_bytes: u64) -> Self {
        let names = usize::try_from(memory_bytes / (256 * 100))
            .unwrap_or(usize::MAX)
            .clamp(256, 65536);
        Self {
            inodes: names,
            names,
            parents: names / 4,
        }
    }
}

struct InodeEntry<A> {
    /// `None` after an attribute change: the entry keeps its stamp (and so the names below it) while the
    /// attributes are asked for again.
    attrs: Option<A>,
    stamp: u64,
}

struct NameEntry {
    found: Lookup,
    dir_stamp: u64,
}

struct ParentEntry {
    parent: u64,
    dir_stamp: u64,
}

type InodeKey = (FsId, u64);
type NameKey = (FsId, u64, Box<[u8]>);

/// The cache. `A` is what a walk needs to know of an inode (the kernel's choice).
pub struct DentryCache<A> {
    inodes: ClockMap<InodeKey, InodeEntry<A>>,
    names: ClockMap<NameKey, NameEntry>,
    parents: ClockMap<InodeKey, ParentEntry>,
    hasher: DefaultHashBuilder,
    generation: u64,
    next_stamp: u64,
    stats: Stats,
}

impl<A: Clone> DentryCache<A> {
    /// An empty cache of the given size (nothing is allocated until entries arrive).
    pub fn new(capacity: Capacity) -> Self {
        Self {
            inodes: ClockMap::new(capacity.inodes),
            names: ClockMap::new(capacity.names),
            parents: ClockMap::new(capacity.parents),
            hasher: DefaultHashBuilder::default(),
            generation: 0,
            next_stamp: 1,
            stats: Stats::default(),
        }
    }

    /// How the cache has been used so far.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Entries held: inodes, names, parents.
    pub fn len(&self) -> (usize, usize, usize) {
        (self.inodes.len(), self.names.len(), self.parents.len())
    }

    /// Whether the cache holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == (0, 0, 0)
    }

    /// Taken before asking the filesystem something to record afterwards.
    pub fn ticket(&self) -> Ticket {
        Ticket(self.generation)
    }

    fn hash_inode(&self, fs: FsId, ino: u64) -> u64 {
        self.hasher.hash_one((fs, ino))
    }

    fn hash_name(&self, fs: FsId, dir: u64, name: &[u8]) -> u64 {
        self.hasher.hash_one((fs, dir, name))
    }

    fn count(&mut self, hit: bool) {
        if hit {
            self.stats.hits += 1;
        } else {
            self.stats.misses += 1;
        }
    }

    /// The stamp of `ino`'s entry, if it has one.
    fn stamp_of(&self, fs: FsId, ino: u64) -> Option<u64> {
        let hash = self.hash_inode(fs, ino);
        self.inodes.peek(hash, |k| *k == (fs, ino)).map(|e| e.stamp)
    }

    fn invalidated(&mut self) {
        self.generation = self.generation.wrapping_add(1);
    }

    /// The cached walk attributes of `ino`.
    pub fn attrs(&mut self, fs: FsId, ino: u64) -> Option<A> {
        let hash = self.hash_inode(fs, ino);
        let found = self
            .inodes
            .get(hash, |k| *k == (fs, ino))
            .and_then(|e| e.attrs.clone());
        self.count(found.is_some());
        found
    }

    /// Records `ino`'s attributes as the filesystem gave them after `ticket` was taken.
    pub fn insert_attrs(&mut self, ticket: Ticket, fs: FsId, ino: u64, attrs: A) {
        if ticket != self.ticket() {
            return;
        }
        let hash = self.hash_inode(fs, ino);
        if let Some(entry) = self.inodes.get(hash, |k| *k == (fs, ino)) {
            entry.attrs = Some(attrs);
            return;
        }
        let stamp = self.next_stamp;
        self.next_stamp += 1;
        let entry = InodeEntry {
            attrs: Some(attrs),
            stamp,
        };
        self.inodes
            .insert(hash, (fs, ino), entry, |k| *k == (fs, ino));
    }

    /// The cached result of looking up `name` in directory `dir`.
    pub fn lookup(&mut self, fs: FsId, dir: u64, name: &[u8]) -> Option<Lookup> {
        let stamp = self.stamp_of(fs, dir);
        let hash = self.hash_name(fs, dir, name);
        let eq = |k: &NameKey| k.0 == fs && k.1 == dir && *k.2 == *name;
        let found = match self.names.get(hash, eq) {
            Some(e) if Some(e.dir_stamp) == stamp => Some(e.found),
            Some(_) => {
                // Left from an earlier life of the directory's inode number.
                self.names.remove(hash, eq);
                None
            }
            None => None,
        };
        self.count(found.is_some());
        found
    }

    /// Records what looking up `name` in `dir` gave after `ticket` was taken. Kept only while `dir`'s inode
    /// entry is (walks ask for a directory's attributes before looking in it).
    pub fn insert_lookup(
        &mut self,
        ticket: Ticket,
        fs: FsId,
        dir: u64,
        name: &[u8],
        found: Lookup,
    ) {
        if ticket != self.ticket() {
            return;
        }
        let Some(dir_stamp) = self.stamp_of(fs, dir) else {
            return;
        };
        let hash = self.hash_name(fs, dir, name);
        let key: NameKey = (fs, dir, Box::from(name));
        let entry = NameEntry { found, dir_stamp };
        self.names.insert(hash, key, entry, |k| {
            k.0 == fs && k.1 == dir && *k.2 == *name
        });
    }

    /// The cached `..` of directory `dir`.
    pub fn parent(&mut self, fs: FsId, dir: u64) -> Option<u64> {
        let stamp = self.stamp_of(fs, dir);
        let hash = self.hash_inode(fs, dir);
        let found = match self.parents.get(hash, |k| *k == (fs, dir)) {
            Some(e) if Some(e.dir_stamp) == stamp => Some(e.parent),
            Some(_) => {
                self.parents.remove(hash, |k| *k == (fs, dir));
                None
            }
            None => None,
        };
        self.count(found.is_some());
        found
    }

    /// Records `dir`'s `..` as the filesystem gave it after `ticket` was taken (kept while `dir`'s inode entry is).
    pub fn insert_parent(&mut self, ticket: Ticket, fs: FsId, dir: u64, parent: u64) {
        if ticket != self.ticket() {
            return;
        }
        let Some(dir_stamp) = self.stamp_of(fs, dir) else {
            return;
        };
        let hash = self.hash_inode(fs, dir);
        let entry = ParentEntry { parent, dir_stamp };
        self.parents
            .insert(hash, (fs, dir), entry, |k| *k == (fs, dir));
    }

    /// Entry `name` of `dir` was made, removed or replaced (create, mkdir, mknod, symlink, link, unlink,
    /// rmdir, either side of rename).
    pub fn entry_changed(&mut self, fs: FsId, dir: u64, name: &[u8]) {
        self.invalidated();
        let hash = self.hash_name(fs, dir, name);
        self.names
            .remove(hash, |k| k.0 == fs && k.1 == dir && *k.2 == *name);
    }

    /// Directory `dir` moved to another parent (rename): its `..` changed.
    pub fn parent_changed(&mut self, fs: FsId, dir: u64) {
        self.invalidated();
        let hash = self.hash_inode(fs, dir);
        self.parents.remove(hash, |k| *k == (fs, dir));
    }

    /// The attributes of `ino` changed (chmod, chown); what is cached below it stays.
    pub fn attrs_changed(&mut self, fs: FsId, ino: u64) {
        self.invalidated();
        let hash = self.hash_inode(fs, ino);
        if let Some(entry) = self.inodes.get(hash, |k| *k == (fs, ino)) {
            entry.attrs = None;
        }
    }

    /// Inode number `ino` now names another inode (the filesystem gave it to a new one): everything cached
    /// of it, and below it, is forgotten.
    pub fn inode_changed(&mut self, fs: FsId, ino: u64) {
        self.invalidated();
        let hash = self.hash_inode(fs, ino);
        self.inodes.remove(hash, |k| *k == (fs, ino));
        self.parents.remove(hash, |k| *k == (fs, ino));
    }

    /// Applies a change made through the VFS in filesystem `fs`, after the filesystem made it (or failed to:
    /// a failed change is reported too, since a filesystem may fail half way).
    pub fn changed(&mut self, fs: FsId, change: TreeChange<'_>) {
        match change {
            TreeChange::Created { dir, name, ino } => {
                self.entry_changed(fs, dir, name);
                if let Some(ino) = ino {
                    self.inode_changed(fs, ino);
                }
            }
            TreeChange::Linked { dir, name } | TreeChange::Removed { dir, name } => {
                // A removed inode's number is forgotten when a new inode gets it (`Created`): until then an
                // open descriptor or working directory may still walk from it, and what is cached is true.
                self.entry_changed(fs, dir, name);
            }
            TreeChange::Renamed {
                from_dir,
                from_name,
                to_dir,
                to_name,
                moved,
                replaced,
                left_behind,
            } => {
                self.entry_changed(fs, from_dir, from_name);
                self.entry_changed(fs, to_dir, to_name);
                // Directories that changed parents (an exchange moves both ways); entries below them stay.
                for ino in [moved, replaced].into_iter().flatten() {
                    self.parent_changed(fs, ino);
                }
                // A whiteout is a new inode, perhaps with a dead inode's number.
                if let Some(ino) = left_behind.filter(|&i| Some(i) != replaced) {
                    self.inode_changed(fs, ino);
                }
            }
            TreeChange::Attrs { ino } => self.attrs_changed(fs, ino),
        }
    }

    /// Filesystem `fs` is gone (unmounted): its entries are dropped.
    pub fn drop_fs(&mut self, fs: FsId) {
        self.invalidated();
        self.inodes.retain(|k, _| k.0 != fs);
        self.names.retain(|k, _| k.0 != fs);
        self.parents.retain(|k, _| k.0 != fs);
    }
}

#[cfg(test)]
mod tests;
