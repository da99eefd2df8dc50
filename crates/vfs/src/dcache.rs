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
mod tests {
    use super::*;
    use alloc::collections::BTreeMap;
    use alloc::vec::Vec;
    use core::cell::{Cell, RefCell};

    const FS: FsId = FsId(1);
    const OTHER: FsId = FsId(2);

    /// An inode: mode, parent, and for a directory its entries.
    type Node = (u32, u64, Option<BTreeMap<Vec<u8>, u64>>);

    /// A filesystem that reuses the lowest free inode number (as ext2's bitmaps do) and counts its calls.
    struct Disk {
        /// ino -> (mode, parent, entries); files have no entries.
        nodes: BTreeMap<u64, Node>,
        calls: Cell<u32>,
    }

    impl Disk {
        fn new() -> Self {
            let mut nodes = BTreeMap::new();
            nodes.insert(1, (0o755, 1, Some(BTreeMap::new())));
            Self {
                nodes,
                calls: Cell::new(0),
            }
        }
        fn free_ino(&self) -> u64 {
            (2..).find(|i| !self.nodes.contains_key(i)).unwrap()
        }
        fn add(&mut self, dir: u64, name: &[u8], is_dir: bool) -> u64 {
            let ino = self.free_ino();
            let entries = is_dir.then(BTreeMap::new);
            self.nodes.insert(ino, (0o644, dir, entries));
            self.entries(dir).insert(name.to_vec(), ino);
            ino
        }
        fn entries(&mut self, dir: u64) -> &mut BTreeMap<Vec<u8>, u64> {
            self.nodes.get_mut(&dir).unwrap().2.as_mut().unwrap()
        }
        fn remove(&mut self, dir: u64, name: &[u8]) -> u64 {
            let ino = self.entries(dir).remove(name).unwrap();
            self.nodes.remove(&ino);
            ino
        }
        fn lookup(&self, dir: u64, name: &[u8]) -> Option<u64> {
            self.calls.set(self.calls.get() + 1);
            self.nodes[&dir].2.as_ref().unwrap().get(name).copied()
        }
        fn parent(&self, dir: u64) -> u64 {
            self.calls.set(self.calls.get() + 1);
            self.nodes[&dir].1
        }
        fn mode(&self, ino: u64) -> u32 {
            self.calls.set(self.calls.get() + 1);
            self.nodes[&ino].0
        }
    }

    /// The disk seen through the cache, the way the kernel's walk asks.
    struct Cached {
        disk: RefCell<Disk>,
        cache: RefCell<DentryCache<u32>>,
    }

    impl Cached {
        fn new(capacity: usize) -> Self {
            Self {
                disk: RefCell::new(Disk::new()),
                cache: RefCell::new(DentryCache::new(Capacity {
                    inodes: capacity,
                    names: capacity,
                    parents: capacity,
                })),
            }
        }
        fn calls(&self) -> u32 {
            self.disk.borrow().calls.get()
        }
        fn mode(&self, ino: u64) -> u32 {
            let ticket = {
                let mut c = self.cache.borrow_mut();
                if let Some(mode) = c.attrs(FS, ino) {
                    return mode;
                }
                c.ticket()
            };
            let mode = self.disk.borrow().mode(ino);
            self.cache.borrow_mut().insert_attrs(ticket, FS, ino, mode);
            mode
        }
        /// A walk step: the directory's attributes first, then the name.
        fn lookup(&self, dir: u64, name: &[u8]) -> Option<u64> {
            self.mode(dir);
            let ticket = {
                let mut c = self.cache.borrow_mut();
                match c.lookup(FS, dir, name) {
                    Some(Lookup::Found(ino)) => return Some(ino),
                    Some(Lookup::Missing) => return None,
                    None => c.ticket(),
                }
            };
            let found = self.disk.borrow().lookup(dir, name);
            let entry = found.map_or(Lookup::Missing, Lookup::Found);
            self.cache
                .borrow_mut()
                .insert_lookup(ticket, FS, dir, name, entry);
            found
        }
        fn parent(&self, dir: u64) -> u64 {
            self.mode(dir);
            let ticket = {
                let mut c = self.cache.borrow_mut();
                if let Some(p) = c.parent(FS, dir) {
                    return p;
                }
                c.ticket()
            };
            let p = self.disk.borrow().parent(dir);
            self.cache.borrow_mut().insert_parent(ticket, FS, dir, p);
            p
        }
        fn path(&self, path: &[&[u8]]) -> Option<u64> {
            path.iter().try_fold(1, |dir, name| self.lookup(dir, name))
        }
        fn changed(&self, change: TreeChange<'_>) {
            self.cache.borrow_mut().changed(FS, change);
        }
        fn create(&self, dir: u64, name: &[u8], is_dir: bool) -> u64 {
            let ino = self.disk.borrow_mut().add(dir, name, is_dir);
            let ino_some = Some(ino);
            self.changed(TreeChange::Created {
                dir,
                name,
                ino: ino_some,
            });
            ino
        }
        fn remove(&self, dir: u64, name: &[u8]) {
            self.disk.borrow_mut().remove(dir, name);
            self.changed(TreeChange::Removed { dir, name });
        }
    }

    #[test]
    fn a_second_walk_is_answered_from_the_cache() {
        let c = Cached::new(64);
        let a = c.create(1, b"a", true);
        let f = c.create(a, b"f", false);
        assert_eq!(c.path(&[b"a", b"f"]), Some(f));
        let asked = c.calls();
        assert_eq!(c.path(&[b"a", b"f"]), Some(f));
        assert_eq!(c.calls(), asked);
        assert_eq!(c.parent(a), 1);
        let asked = c.calls();
        assert_eq!(c.parent(a), 1);
        assert_eq!(c.calls(), asked);
        assert!(c.cache.borrow().stats().hits > 0);
    }

    #[test]
    fn a_missing_name_is_remembered_until_it_is_made() {
        let c = Cached::new(64);
        assert_eq!(c.lookup(1, b"x"), None);
        let asked = c.calls();
        assert_eq!(c.lookup(1, b"x"), None);
        assert_eq!(c.calls(), asked, "negative entry");
        let x = c.create(1, b"x", false);
        assert_eq!(c.lookup(1, b"x"), Some(x));
        c.remove(1, b"x");
        assert_eq!(c.lookup(1, b"x"), None);
    }

    #[test]
    fn every_kind_of_creation_shows_the_new_entry() {
        let c = Cached::new(64);
        for name in [&b"file"[..], b"dir", b"node", b"symlink"] {
            assert_eq!(c.lookup(1, name), None);
            let ino = c.create(1, name, name == b"dir");
            assert_eq!(c.lookup(1, name), Some(ino), "{name:?}");
        }
        // A hard link.
        assert_eq!(c.lookup(1, b"hard"), None);
        let target = c.lookup(1, b"file").unwrap();
        c.disk
            .borrow_mut()
            .entries(1)
            .insert(b"hard".to_vec(), target);
        c.changed(TreeChange::Linked {
            dir: 1,
            name: b"hard",
        });
        assert_eq!(c.lookup(1, b"hard"), Some(target));
    }

    #[test]
    fn unlink_and_rmdir_forget_the_entry() {
        let c = Cached::new(64);
        let d = c.create(1, b"d", true);
        c.create(1, b"f", false);
        assert!(c.lookup(1, b"d").is_some() && c.lookup(1, b"f").is_some());
        // A negative entry below the directory, then both go.
        assert_eq!(c.lookup(d, b"y"), None);
        c.remove(1, b"f");
        c.remove(1, b"d");
        assert_eq!(c.lookup(1, b"f"), None);
        assert_eq!(c.lookup(1, b"d"), None);
        // The removed directory's number goes to a new directory, filled behind the cache's back: nothing
        // cached of the old directory is served for it.
        let d2 = c.create(1, b"d2", true);
        assert_eq!(d2, d, "the disk reuses numbers");
        c.disk.borrow_mut().entries(d2).insert(b"y".to_vec(), 99);
        assert_eq!(c.lookup(d2, b"y"), Some(99));
    }

    #[test]
    fn a_reused_number_forgets_entries_made_while_the_old_inode_was_open() {
        let c = Cached::new(64);
        let d = c.create(1, b"d", true);
        // The directory goes while a process has it as working directory...
        c.remove(1, b"d");
        c.disk
            .borrow_mut()
            .nodes
            .insert(d, (0o755, 1, Some(BTreeMap::new())));
        // ...which looks up a name there (a negative entry under d).
        assert_eq!(c.lookup(d, b"name"), None);
        c.disk.borrow_mut().nodes.remove(&d);
        // The number goes to a new directory holding `name`, made behind the cache's back (as by a
        // filesystem populating a new directory) except for its creation being reported.
        let d2 = c.create(1, b"new", true);
        assert_eq!(d2, d);
        c.disk.borrow_mut().entries(d2).insert(b"name".to_vec(), 99);
        c.disk.borrow_mut().nodes.insert(99, (0o644, d2, None));
        assert_eq!(c.lookup(d2, b"name"), Some(99));
    }

    #[test]
    fn renaming_a_directory_keeps_what_is_below_it_and_moves_its_parent() {
        let c = Cached::new(64);
        let a = c.create(1, b"a", true);
        let b = c.create(1, b"b", true);
        let sub = c.create(a, b"sub", true);
        let f = c.create(sub, b"f", false);
        assert_eq!(c.path(&[b"a", b"sub", b"f"]), Some(f));
        assert_eq!(c.parent(sub), a);
        // rename a/sub -> b/moved
        {
            let mut disk = c.disk.borrow_mut();
            disk.entries(a).remove(&b"sub"[..]);
            disk.entries(b).insert(b"moved".to_vec(), sub);
            disk.nodes.get_mut(&sub).unwrap().1 = b;
        }
        c.changed(TreeChange::Renamed {
            from_dir: a,
            from_name: b"sub",
            to_dir: b,
            to_name: b"moved",
            moved: Some(sub),
            replaced: None,
            left_behind: None,
        });
        assert_eq!(c.path(&[b"a", b"sub"]), None);
        assert_eq!(c.parent(sub), b);
        let asked = c.calls();
        assert_eq!(c.lookup(sub, b"f"), Some(f), "entries below stay cached");
        assert_eq!(c.calls(), asked);
        assert_eq!(c.path(&[b"b", b"moved", b"f"]), Some(f));
    }

    #[test]
    fn rename_exchange_and_whiteout() {
        let c = Cached::new(64);
        let a = c.create(1, b"a", true);
        let b = c.create(1, b"b", true);
        let x = c.create(a, b"x", true);
        let y = c.create(b, b"y", true);
        assert_eq!((c.lookup(a, b"x"), c.lookup(b, b"y")), (Some(x), Some(y)));
        assert_eq!((c.parent(x), c.parent(y)), (a, b));
        // RENAME_EXCHANGE a/x <-> b/y
        {
            let mut disk = c.disk.borrow_mut();
            disk.entries(a).insert(b"x".to_vec(), y);
            disk.entries(b).insert(b"y".to_vec(), x);
            disk.nodes.get_mut(&x).unwrap().1 = b;
            disk.nodes.get_mut(&y).unwrap().1 = a;
        }
        c.changed(TreeChange::Renamed {
            from_dir: a,
            from_name: b"x",
            to_dir: b,
            to_name: b"y",
            moved: Some(x),
            replaced: Some(y),
            left_behind: Some(y),
        });
        assert_eq!((c.lookup(a, b"x"), c.lookup(b, b"y")), (Some(y), Some(x)));
        assert_eq!((c.parent(x), c.parent(y)), (b, a));
        // RENAME_WHITEOUT b/y -> a/z: a new inode (a reused number) stays at b/y.
        let old = c.create(1, b"old", false);
        assert_eq!(c.mode(old), 0o644);
        c.remove(1, b"old");
        let wh = {
            let mut disk = c.disk.borrow_mut();
            disk.entries(b).remove(&b"y"[..]);
            disk.entries(a).insert(b"z".to_vec(), x);
            disk.nodes.get_mut(&x).unwrap().1 = a;
            let wh = disk.free_ino();
            disk.nodes.insert(wh, (0o000, b, None));
            disk.entries(b).insert(b"y".to_vec(), wh);
            wh
        };
        assert_eq!(wh, old);
        c.changed(TreeChange::Renamed {
            from_dir: b,
            from_name: b"y",
            to_dir: a,
            to_name: b"z",
            moved: Some(x),
            replaced: None,
            left_behind: Some(wh),
        });
        assert_eq!(c.lookup(b, b"y"), Some(wh));
        assert_eq!(
            c.mode(wh),
            0o000,
            "the whiteout's attributes, not the dead inode's"
        );
        assert_eq!(c.lookup(a, b"z"), Some(x));
        assert_eq!(c.parent(x), a);
    }

    #[test]
    fn attribute_changes_are_seen_and_keep_the_entries_below() {
        let c = Cached::new(64);
        let d = c.create(1, b"d", true);
        let f = c.create(d, b"f", false);
        assert_eq!(c.lookup(d, b"f"), Some(f));
        assert_eq!(c.mode(d), 0o644);
        c.disk.borrow_mut().nodes.get_mut(&d).unwrap().0 = 0o700;
        c.changed(TreeChange::Attrs { ino: d });
        assert_eq!(c.mode(d), 0o700);
        let asked = c.calls();
        assert_eq!(c.lookup(d, b"f"), Some(f));
        assert_eq!(c.calls(), asked);
    }

    #[test]
    fn an_answer_older_than_a_change_is_not_recorded() {
        let c = Cached::new(64);
        let f = c.create(1, b"f", false);
        c.mode(1);
        // A walk asks the filesystem...
        let ticket = c.cache.borrow().ticket();
        let answer = c.disk.borrow().lookup(1, b"f");
        assert_eq!(answer, Some(f));
        // ...while another thread removes the file and tells the cache...
        c.remove(1, b"f");
        // ...and then records its stale answer: dropped.
        c.cache
            .borrow_mut()
            .insert_lookup(ticket, FS, 1, b"f", Lookup::Found(f));
        assert_eq!(c.lookup(1, b"f"), None);
        let ticket = c.cache.borrow().ticket();
        c.cache.borrow_mut().insert_attrs(ticket, FS, 77, 1);
        c.cache.borrow_mut().inode_changed(FS, 5);
        c.cache.borrow_mut().insert_attrs(ticket, FS, 78, 1);
        assert_eq!(c.cache.borrow_mut().attrs(FS, 77), Some(1));
        assert_eq!(c.cache.borrow_mut().attrs(FS, 78), None);
    }

    #[test]
    fn the_cache_stays_within_its_size() {
        let c = Cached::new(16);
        let mut files = Vec::new();
        for i in 0..200u32 {
            let name = alloc::format!("f{i}");
            files.push(c.create(1, name.as_bytes(), false));
        }
        for (i, &ino) in files.iter().enumerate() {
            let name = alloc::format!("f{i}");
            assert_eq!(c.lookup(1, name.as_bytes()), Some(ino));
            let (inodes, names, parents) = c.cache.borrow().len();
            assert!(inodes <= 16 && names <= 16 && parents <= 16);
        }
        // Still correct after evictions, and the root's entry (used all the time) survived them.
        assert_eq!(c.lookup(1, b"f3"), Some(files[3]));
        assert!(c.cache.borrow_mut().attrs(FS, 1).is_some());
    }

    #[test]
    fn unmounting_drops_only_that_filesystem() {
        let mut cache: DentryCache<u32> = DentryCache::new(Capacity::for_memory(1 << 20));
        for fs in [FS, OTHER] {
            let t = cache.ticket();
            cache.insert_attrs(t, fs, 1, 0o755);
            cache.insert_lookup(t, fs, 1, b"a", Lookup::Found(2));
            cache.insert_parent(t, fs, 1, 1);
        }
        cache.drop_fs(FS);
        assert_eq!(cache.len(), (1, 1, 1));
        assert_eq!(cache.lookup(FS, 1, b"a"), None);
        assert_eq!(cache.lookup(OTHER, 1, b"a"), Some(Lookup::Found(2)));
        assert_eq!(cache.parent(OTHER, 1), Some(1));
        cache.drop_fs(OTHER);
        assert!(cache.is_empty());
    }

    #[test]
    fn entries_need_their_directory() {
        let mut cache: DentryCache<u32> = DentryCache::new(Capacity::for_memory(1 << 30));
        let t = cache.ticket();
        // No inode entry for directory 5: nothing to hang the name on.
        cache.insert_lookup(t, FS, 5, b"a", Lookup::Missing);
        cache.insert_parent(t, FS, 5, 1);
        assert_eq!(cache.len(), (0, 0, 0));
        // Forgetting the directory's inode forgets its names.
        cache.insert_attrs(t, FS, 5, 0o755);
        cache.insert_lookup(t, FS, 5, b"a", Lookup::Missing);
        assert_eq!(cache.lookup(FS, 5, b"a"), Some(Lookup::Missing));
        cache.inode_changed(FS, 5);
        let t = cache.ticket();
        cache.insert_attrs(t, FS, 5, 0o755);
        assert_eq!(cache.lookup(FS, 5, b"a"), None);
        assert_eq!(Capacity::for_memory(4 << 20).names, 256);
        assert_eq!(Capacity::for_memory(1 << 40).names, 65536);
    }
}
