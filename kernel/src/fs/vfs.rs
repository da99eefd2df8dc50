//! The virtual filesystem switch: the [`FileSystem`] trait every filesystem implements (tmpfs on basalt-memfs,
//! procfs, sysfs; block filesystems with a page cache later), the mount namespace (basalt-vfs's mount table
//! and the filesystems it names) and path walks across mounts on behalf of a process.
//!
//! The namespace is an immutable snapshot behind an `Arc`: a walk takes the current one and walks without
//! holding any lock (so a filesystem may itself resolve paths, as procfs's symlinks do); mount and umount
//! publish a changed copy. Places that processes and open files use are [`Held`]: the inode stays alive and
//! its mount counts as busy for `umount`.
#![forbid(unsafe_code)]

use super::dcache::{self, WalkAttrs};
use super::FileOps;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use basalt_linux_abi::Errno;
use basalt_memfs::{Access, Credentials, FileType, MemFs, NodeKind, RenameFlags, Stat};
pub use basalt_vfs::dcache::CachePolicy;
pub use basalt_vfs::encode::StatFs;
pub use basalt_vfs::{Component, FsId, Loc, MountId, Parent};
use basalt_vfs::{MountTable, Tree};
use core::cell::Cell;
use spin::Mutex;

/// The kinds of change a read-only filesystem refuses, each with its own errno on Linux.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Creating an entry (open O_CREAT, mkdir, mknod, symlink, link).
    Create,
    /// Removing or renaming an entry.
    Remove,
    /// Changing attributes or contents (chmod, chown, truncate).
    Attr,
}

/// An entry to create or remove: directory `dir`, the last component of the path as text (`.`, `..`, `/` or a
/// name, with its trailing slash kept so the filesystem applies Linux's rules for it), and who asks. The VFS has
/// walked to `dir` and checked search permission on the way; the filesystem checks the rest, in Linux's order.
#[derive(Clone, Copy)]
pub struct EntryAt<'a> {
    pub dir: u64,
    pub name: &'a [u8],
    pub cred: Credentials<'a>,
}

/// One filesystem instance (a superblock with its inode operations). Inodes are named by number. The
/// operations that change the tree default to the filesystem's refusal ([`FileSystem::refuse`]).
pub trait FileSystem: Send + Sync {
    /// The type name (`tmpfs`, `proc`, ...), as `/proc/mounts` shows it.
    fn type_name(&self) -> &'static str;
    /// The root directory.
    fn root(&self) -> u64;
    /// Entry `name` of directory `dir` (never `.` or `..`).
    fn lookup(&self, dir: u64, name: &[u8]) -> Result<u64, Errno>;
    /// `..` of directory `dir` (the root's is itself).
    fn parent(&self, dir: u64) -> Result<u64, Errno>;
    /// The attributes `stat` reports.
    fn getattr(&self, ino: u64) -> Result<Stat, Errno>;
    /// A symlink's target.
    fn readlink(&self, ino: u64) -> Result<Vec<u8>, Errno>;
    /// `getdents64` records of directory `dir` from `cookie`, at most `max` bytes.
    fn read_dir(&self, dir: u64, cookie: u64, max: usize) -> Result<(Vec<u8>, u64), Errno>;
    /// Opens the regular file or directory at `at` (device nodes, fifos and sockets are the VFS's business).
    fn open(&self, at: Loc) -> Result<Arc<dyn FileOps>, Errno>;
    /// `statfs(2)`.
    fn statfs(&self) -> StatFs;
    /// Filesystem options for `/proc/mounts` (after the mount's own `rw,relatime`), empty or `,size=...`.
    fn options(&self) -> String {
        String::new()
    }
    /// Whether the VFS may cache this filesystem's lookups, `..` and walk attributes ([`super::dcache`]). A
    /// filesystem that opts in changes its tree and its inodes' permissions only through the VFS's operations,
    /// which tell the cache, or tells it itself (`tree_change::changed_directly`). Computed trees (procfs,
    /// sysfs) must not opt in.
    fn caching(&self) -> CachePolicy {
        CachePolicy::Never
    }
    /// Keeps `ino` alive while a process or open file uses it.
    fn hold(&self, _ino: u64) -> Result<(), Errno> {
        Ok(())
    }
    /// Drops what [`FileSystem::hold`] took.
    fn release(&self, _ino: u64) {}
    /// The in-memory filesystem behind a writable tmpfs: changes go through its `*_at` operations.
    fn memfs(&self) -> Option<&Mutex<MemFs>> {
        None
    }
    /// The errno for a change this filesystem does not allow.
    fn refuse(&self, _change: Change) -> Errno {
        Errno::EPERM
    }
    /// open(O_CREAT) of a missing or existing regular file: its inode and whether it was made.
    fn create(&self, _at: EntryAt<'_>, _perm: u32, _exclusive: bool) -> Result<(u64, bool), Errno> {
        Err(self.refuse(Change::Create))
    }
    /// mkdir.
    fn mkdir(&self, _at: EntryAt<'_>, _perm: u32) -> Result<u64, Errno> {
        Err(self.refuse(Change::Create))
    }
    /// mknod (regular files, fifos, sockets, device nodes).
    fn mknod(&self, _at: EntryAt<'_>, _kind: NodeKind, _perm: u32) -> Result<u64, Errno> {
        Err(self.refuse(Change::Create))
    }
    /// symlink.
    fn symlink(&self, _at: EntryAt<'_>, _target: &[u8]) -> Result<u64, Errno> {
        Err(self.refuse(Change::Create))
    }
    /// A hard link to inode `target` of this filesystem.
    fn link(&self, _at: EntryAt<'_>, _target: u64) -> Result<(), Errno> {
        Err(self.refuse(Change::Create))
    }
    /// unlink.
    fn unlink(&self, _at: EntryAt<'_>) -> Result<(), Errno> {
        Err(self.refuse(Change::Remove))
    }
    /// rmdir.
    fn rmdir(&self, _at: EntryAt<'_>) -> Result<(), Errno> {
        Err(self.refuse(Change::Remove))
    }
    /// rename within this filesystem.
    fn rename(
        &self,
        _from: EntryAt<'_>,
        _to: EntryAt<'_>,
        _flags: RenameFlags,
    ) -> Result<(), Errno> {
        Err(self.refuse(Change::Remove))
    }
}

/// What `/proc/mounts` shows of a mount besides its filesystem.
#[derive(Clone, Debug)]
pub struct MountInfo {
    /// The `source` argument of mount(2) (`proc`, `none`, a device).
    pub source: Vec<u8>,
    /// `MS_RDONLY`, `MS_NOSUID`, `MS_NODEV`, `MS_NOEXEC` as given.
    pub flags: u64,
}

/// The mount namespace: the mount table and the filesystems its mounts show.
#[derive(Clone)]
pub struct Namespace {
    pub mounts: MountTable,
    filesystems: BTreeMap<FsId, Arc<dyn FileSystem>>,
    info: BTreeMap<MountId, MountInfo>,
    next_fs: u32,
}

impl Namespace {
    /// The filesystem seen through mount `mnt`.
    pub fn fs(&self, mnt: MountId) -> Result<&Arc<dyn FileSystem>, Errno> {
        let mount = self.mounts.get(mnt).ok_or(Errno::ENOENT)?;
        self.filesystems.get(&mount.fs).ok_or(Errno::ENOENT)
    }

    /// The filesystem seen through mount `mnt`, with its number (what the dentry cache keys it by).
    pub fn fs_with_id(&self, mnt: MountId) -> Result<(FsId, &Arc<dyn FileSystem>), Errno> {
        let mount = self.mounts.get(mnt).ok_or(Errno::ENOENT)?;
        let fs = self.filesystems.get(&mount.fs).ok_or(Errno::ENOENT)?;
        Ok((mount.fs, fs))
    }

    /// What mount(2) was told about mount `mnt`.
    pub fn info(&self, mnt: MountId) -> Option<&MountInfo> {
        self.info.get(&mnt)
    }

    /// The attributes of the inode at `at`.
    pub fn getattr(&self, at: Loc) -> Result<Stat, Errno> {
        self.fs(at.mnt)?.getattr(at.ino)
    }

    /// The file type at `at`.
    pub fn file_type(&self, at: Loc) -> Result<FileType, Errno> {
        self.getattr(at)?.file_type().ok_or(Errno::EIO)
    }

    /// The numbers filesystem instance `fs` has in this namespace (none if unmounted, else one).
    pub fn ids_of(&self, fs: &dyn FileSystem) -> Vec<FsId> {
        self.filesystems
            .iter()
            .filter(|(_, f)| core::ptr::addr_eq(Arc::as_ptr(f), fs as *const dyn FileSystem))
            .map(|(&id, _)| id)
            .collect()
    }

    /// Adds a filesystem instance (not yet mounted). An instance already here (devtmpfs mounted twice) keeps
    /// its number: one superblock, whose cached lookups every mount of it shares.
    pub fn add_fs(&mut self, fs: Arc<dyn FileSystem>) -> Result<FsId, Errno> {
        if let Some(&id) = self.ids_of(fs.as_ref()).first() {
            return Ok(id);
        }
        let id = FsId(self.next_fs);
        self.next_fs = self.next_fs.checked_add(1).ok_or(Errno::ENOMEM)?;
        self.filesystems.insert(id, fs);
        Ok(id)
    }

    /// Records what mount(2) was told about a new mount.
    pub fn set_info(&mut self, mnt: MountId, info: MountInfo) {
        self.info.insert(mnt, info);
    }

    /// Forgets a detached mount, and its filesystem if no mount shows it any more.
    pub fn forget(&mut self, mnt: MountId) {
        let Some(fs) = self.mounts.get(mnt).filter(|m| !m.attached).map(|m| m.fs) else {
            return;
        };
        self.mounts.forget(mnt);
        self.info.remove(&mnt);
        if !self.mounts.fs_in_use(fs) {
            self.filesystems.remove(&fs);
            dcache::drop_fs(fs);
        }
    }
}

static NAMESPACE: Mutex<Option<Arc<Namespace>>> = Mutex::new(None);
/// Holders of places in each mount (working directories, roots, open files): a mount with any is busy.
static MOUNT_USERS: Mutex<BTreeMap<MountId, usize>> = Mutex::new(BTreeMap::new());

/// Makes `root_fs` the root of the namespace (at boot).
pub fn init(root_fs: Arc<dyn FileSystem>) {
    let mut filesystems: BTreeMap<FsId, Arc<dyn FileSystem>> = BTreeMap::new();
    let root = root_fs.root();
    filesystems.insert(FsId(0), root_fs);
    let mounts = MountTable::new(FsId(0), root);
    let mut info = BTreeMap::new();
    info.insert(
        mounts.root_mount(),
        MountInfo {
            source: b"rootfs".to_vec(),
            flags: 0,
        },
    );
    *NAMESPACE.lock() = Some(Arc::new(Namespace {
        mounts,
        filesystems,
        info,
        next_fs: 1,
    }));
}

/// The current namespace.
pub fn namespace() -> Result<Arc<Namespace>, Errno> {
    NAMESPACE.lock().clone().ok_or(Errno::ENOENT)
}

/// Changes the namespace: `f` edits a copy, which replaces the current one if `f` succeeds.
pub fn change<T>(f: impl FnOnce(&mut Namespace) -> Result<T, Errno>) -> Result<T, Errno> {
    let mut guard = NAMESPACE.lock();
    let current = guard.as_ref().ok_or(Errno::ENOENT)?;
    let mut copy = Namespace::clone(current);
    let out = f(&mut copy)?;
    *guard = Some(Arc::new(copy));
    Ok(out)
}

/// Whether anything holds a place in mount `mnt`.
pub fn mount_in_use(mnt: MountId) -> bool {
    MOUNT_USERS.lock().get(&mnt).is_some_and(|&n| n > 0)
}

fn use_mount(mnt: MountId) {
    *MOUNT_USERS.lock().entry(mnt).or_insert(0) += 1;
}

fn unuse_mount(mnt: MountId) {
    let unused = {
        let mut users = MOUNT_USERS.lock();
        let count = users.entry(mnt).or_insert(1);
        *count = count.saturating_sub(1);
        let unused = *count == 0;
        if unused {
            users.remove(&mnt);
        }
        unused
    };
    let detached =
        unused && namespace().is_ok_and(|ns| ns.mounts.get(mnt).is_some_and(|m| !m.attached));
    if detached {
        let _ = change(|ns| {
            ns.forget(mnt);
            Ok(())
        });
    }
}

/// A place in use (a working directory, a root, an open file): its inode is held and its mount is busy.
pub struct Held {
    loc: Loc,
    fs: Arc<dyn FileSystem>,
}

impl Held {
    /// Takes hold of `loc`.
    pub fn new(loc: Loc) -> Result<Held, Errno> {
        let fs = namespace()?.fs(loc.mnt)?.clone();
        Held::with_fs(loc, fs)
    }

    /// Takes hold of `loc` in `fs` (the filesystem of its mount).
    pub fn with_fs(loc: Loc, fs: Arc<dyn FileSystem>) -> Result<Held, Errno> {
        fs.hold(loc.ino)?;
        use_mount(loc.mnt);
        Ok(Held { loc, fs })
    }

    /// The place.
    pub fn loc(&self) -> Loc {
        self.loc
    }

    /// Another hold on the same place.
    pub fn try_clone(&self) -> Result<Held, Errno> {
        Held::with_fs(self.loc, self.fs.clone())
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.fs.release(self.loc.ino);
        unuse_mount(self.loc.mnt);
    }
}

/// The filesystem behind one mount, as a walk uses it.
#[derive(Clone, Copy)]
struct MountFs<'a> {
    mnt: MountId,
    id: FsId,
    fs: &'a dyn FileSystem,
    policy: CachePolicy,
}

/// The namespace as a walk sees it for one caller.
struct View<'a> {
    ns: &'a Namespace,
    cred: Credentials<'a>,
    /// The attributes last asked for: a walk asks about each place several times in a row (is it a directory,
    /// may it be searched, is it a symlink), and one answer serves them all, as Linux's walk reads the inode.
    last: Cell<Option<(Loc, WalkAttrs)>>,
    /// The mount last asked about: most walks stay in one, and finding its filesystem takes two map lookups.
    mount: Cell<Option<MountFs<'a>>>,
}

impl<'a> View<'a> {
    fn new(ns: &'a Namespace, cred: Credentials<'a>) -> Self {
        Self {
            ns,
            cred,
            last: Cell::new(None),
            mount: Cell::new(None),
        }
    }

    /// The filesystem seen through mount `mnt`.
    fn mount_fs(&self, mnt: MountId) -> Result<MountFs<'a>, Errno> {
        if let Some(m) = self.mount.get().filter(|m| m.mnt == mnt) {
            return Ok(m);
        }
        let (id, fs) = self.ns.fs_with_id(mnt)?;
        let m = MountFs {
            mnt,
            id,
            fs: fs.as_ref(),
            policy: fs.caching(),
        };
        self.mount.set(Some(m));
        Ok(m)
    }

    /// The attributes a walk checks, from the cache for a filesystem that allows it.
    fn walk_attrs(&self, at: Loc) -> Option<WalkAttrs> {
        if let Some((loc, attrs)) = self.last.get() {
            if loc == at {
                return Some(attrs);
            }
        }
        let m = self.mount_fs(at.mnt).ok()?;
        let attrs = match m.policy {
            CachePolicy::Cache => dcache::attrs(m.id, m.fs, at.ino).ok(),
            CachePolicy::Never => m.fs.getattr(at.ino).ok().map(|s| WalkAttrs::of(&s)),
        }?;
        self.last.set(Some((at, attrs)));
        Some(attrs)
    }
}

impl Tree for View<'_> {
    fn lookup(&self, dir: Loc, name: &[u8]) -> Result<u64, Errno> {
        let m = self.mount_fs(dir.mnt)?;
        match m.policy {
            CachePolicy::Cache => {
                let (ino, attrs) = dcache::lookup_with_attrs(m.id, m.fs, dir.ino, name)?;
                // The walk asks about what it found next; the cache answered that under the same lock.
                if let Some(attrs) = attrs {
                    self.last.set(Some((Loc { mnt: dir.mnt, ino }, attrs)));
                }
                Ok(ino)
            }
            CachePolicy::Never => m.fs.lookup(dir.ino, name),
        }
    }

    fn parent(&self, dir: Loc) -> Result<u64, Errno> {
        let m = self.mount_fs(dir.mnt)?;
        match m.policy {
            CachePolicy::Cache => dcache::parent(m.id, m.fs, dir.ino),
            CachePolicy::Never => m.fs.parent(dir.ino),
        }
    }

    fn is_dir(&self, at: Loc) -> bool {
        self.walk_attrs(at)
            .is_some_and(|a| a.file_type() == Some(FileType::Directory))
    }

    fn symlink(&self, at: Loc) -> Option<Vec<u8>> {
        if self.walk_attrs(at)?.file_type()? != FileType::Symlink {
            return None;
        }
        self.mount_fs(at.mnt).ok()?.fs.readlink(at.ino).ok()
    }

    fn may_search(&self, dir: Loc) -> bool {
        self.walk_attrs(dir)
            .is_some_and(|a| basalt_memfs::may_access(&a.as_stat(), &self.cred, Access::EXEC))
    }
}

/// Resolves `path` for a caller with credentials `cred` whose root is `root`, relative paths from `start`.
pub fn walk(
    ns: &Namespace,
    cred: Credentials<'_>,
    root: Loc,
    start: Loc,
    path: &[u8],
    follow_last: bool,
) -> Result<Loc, Errno> {
    let view = View::new(ns, cred);
    basalt_vfs::walk(&ns.mounts, &view, root, start, path, follow_last)
}

/// Walks `path` up to its last component (see [`walk`]).
pub fn walk_parent(
    ns: &Namespace,
    cred: Credentials<'_>,
    root: Loc,
    start: Loc,
    path: &[u8],
) -> Result<Parent, Errno> {
    let view = View::new(ns, cred);
    basalt_vfs::walk_parent(&ns.mounts, &view, root, start, path)
}

/// Looks up `name` in directory `dir` and enters anything mounted on it (no permission check).
pub fn lookup_child(ns: &Namespace, dir: Loc, name: &[u8]) -> Result<Loc, Errno> {
    let ino = ns.fs(dir.mnt)?.lookup(dir.ino, name)?;
    Ok(ns.mounts.follow_down(Loc { mnt: dir.mnt, ino }))
}

/// The absolute path of `loc` as seen from `root` (d_path): names looked up in each parent, across mounts. A
/// place not below `root` yields the path from the top it reached (see [`path_from`]).
pub fn path_of(ns: &Namespace, loc: Loc, root: Loc) -> Result<Vec<u8>, Errno> {
    path_from(ns, loc, root).map(|(path, _)| path)
}

/// [`path_of`], and whether the walk up reached `root` (false for a place outside a chroot).
pub fn path_from(ns: &Namespace, loc: Loc, root: Loc) -> Result<(Vec<u8>, bool), Errno> {
    let mut parts: Vec<Vec<u8>> = Vec::new();
    let mut cur = loc;
    let mut reached = false;
    // Bounded: every step climbs one directory or one mount.
    for _ in 0..4096 {
        if cur == root {
            reached = true;
            break;
        }
        if let Some(point) = ns.mounts.up(cur) {
            cur = point;
            continue;
        }
        if ns.mounts.is_mount_root(cur) {
            break;
        }
        let fs = ns.fs(cur.mnt)?;
        let parent = fs.parent(cur.ino)?;
        if parent == cur.ino {
            break;
        }
        parts.push(name_in(fs.as_ref(), parent, cur.ino)?);
        cur = Loc {
            mnt: cur.mnt,
            ino: parent,
        };
    }
    let mut out = Vec::new();
    for part in parts.iter().rev() {
        out.push(b'/');
        out.extend_from_slice(part);
    }
    if out.is_empty() {
        out.push(b'/');
    }
    Ok((out, reached))
}

/// The name under which inode `ino` appears in directory `dir`.
fn name_in(fs: &dyn FileSystem, dir: u64, ino: u64) -> Result<Vec<u8>, Errno> {
    let mut cookie = 0;
    loop {
        let (bytes, next) = fs.read_dir(dir, cookie, 4096)?;
        if bytes.is_empty() {
            return Err(Errno::ENOENT);
        }
        let found = basalt_vfs::encode::decode_dirents(&bytes)
            .into_iter()
            .find(|&(d_ino, _, name)| d_ino == ino && name != b"." && name != b"..");
        if let Some((_, _, name)) = found {
            return Ok(name.to_vec());
        }
        cookie = next;
    }
}

/// A path (seen from `root`) of a non-directory tmpfs inode, which has no parent link: a bounded search of the
/// mounts showing its instance (for /proc/<pid>/maps and fd links of files opened without a place).
pub fn path_of_inode(ns: &Namespace, ino: u64, root: Loc) -> Option<Vec<u8>> {
    const MAX_VISITED: usize = 20_000;
    let instance = ino >> 32;
    let mut visited = 0;
    for mnt in ns.mounts.attached() {
        let Some(top) = ns.mounts.mount_root(mnt) else {
            continue;
        };
        if top.ino >> 32 != instance || ns.fs(mnt).ok()?.memfs().is_none() {
            continue;
        }
        let fs = ns.fs(mnt).ok()?;
        let mut dirs = alloc::vec![top.ino];
        while let Some(dir) = dirs.pop() {
            let mut cookie = 0;
            while let Ok((bytes, next)) = fs.read_dir(dir, cookie, 4096) {
                if bytes.is_empty() {
                    break;
                }
                for (d_ino, dtype, name) in basalt_vfs::encode::decode_dirents(&bytes) {
                    visited += 1;
                    if visited > MAX_VISITED {
                        return None;
                    }
                    if name == b"." || name == b".." {
                        continue;
                    }
                    if d_ino == ino {
                        let mut path = path_of(ns, Loc { mnt, ino: dir }, root).ok()?;
                        if path != b"/" {
                            path.push(b'/');
                        }
                        path.extend_from_slice(name);
                        return Some(path);
                    }
                    if dtype == basalt_vfs::encode::DT_DIR {
                        dirs.push(d_ino);
                    }
                }
                cookie = next;
            }
        }
    }
    None
}
