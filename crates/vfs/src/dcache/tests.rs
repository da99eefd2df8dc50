//! The dentry cache as a walk uses it, over a small filesystem that reuses inode numbers.
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
