//! Path walking across mounts, as Linux's `link_path_walk` over an abstract [`Tree`]: `.`, `..` (never above
//! the caller's root; at a mount root it continues from the mount point in the parent mount), repeated and
//! trailing slashes, symlinks (at most [`MAX_SYMLINKS`] per walk; absolute targets restart at the caller's
//! root), mounts entered wherever a step lands on a mount point, and search permission on every directory.

use crate::{Loc, MountTable};
use alloc::borrow::Cow;
use alloc::vec::Vec;
use basalt_linux_abi::Errno;

/// Most symlinks one walk follows (Linux's `MAXSYMLINKS`).
pub const MAX_SYMLINKS: u32 = 40;
/// Longest path from user space plus its NUL.
const PATH_MAX: usize = 4096;
/// Longest entry name.
const NAME_MAX: usize = 255;

/// The filesystems as a walk sees them. `Loc::mnt` tells the implementation which filesystem to ask.
pub trait Tree {
    /// The entry `name` (never `.`, `..` or empty) of directory `dir`: `ENOENT` if missing.
    fn lookup(&self, dir: Loc, name: &[u8]) -> Result<u64, Errno>;
    /// `..` of directory `dir` within its filesystem (the filesystem root's is itself).
    fn parent(&self, dir: Loc) -> Result<u64, Errno>;
    /// Whether `at` is a directory.
    fn is_dir(&self, at: Loc) -> bool;
    /// The target of `at` if it is a symlink.
    fn symlink(&self, at: Loc) -> Option<Vec<u8>>;
    /// Whether the caller may search directory `dir`.
    fn may_search(&self, dir: Loc) -> bool;
}

/// The last component of a path, as Linux's `last_type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Component {
    /// The path is only slashes.
    Root,
    /// `.`
    Dot,
    /// `..`
    DotDot,
    /// An ordinary name.
    Name(Vec<u8>),
}

impl Component {
    fn classify(name: &[u8]) -> Self {
        match name {
            b"." => Self::Dot,
            b".." => Self::DotDot,
            _ => Self::Name(name.to_vec()),
        }
    }

    /// The component as path text.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Root => b"/",
            Self::Dot => b".",
            Self::DotDot => b"..",
            Self::Name(name) => name,
        }
    }
}

/// A path walked up to its last component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parent {
    /// The directory holding the last component.
    pub dir: Loc,
    /// The last component, not looked up.
    pub last: Component,
    /// Whether slashes followed it.
    pub trailing_slash: bool,
}

fn check_path(path: &[u8]) -> Result<(), Errno> {
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    if path.len() >= PATH_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    Ok(())
}

/// Resolves `path` from `start` (relative) or `root` (absolute). A final symlink is followed if `follow_last`
/// or slashes follow it; a trailing slash requires a directory.
pub fn walk(
    mounts: &MountTable,
    tree: &dyn Tree,
    root: Loc,
    start: Loc,
    path: &[u8],
    follow_last: bool,
) -> Result<Loc, Errno> {
    check_path(path)?;
    Walker::new(mounts, tree, root).run(start, path, follow_last)
}

/// Walks `path` up to its last component (`filename_parentat`), checking search permission on the directory
/// it ends in.
pub fn walk_parent(
    mounts: &MountTable,
    tree: &dyn Tree,
    root: Loc,
    start: Loc,
    path: &[u8],
) -> Result<Parent, Errno> {
    check_path(path)?;
    let end = path.iter().rposition(|&b| b != b'/');
    let Some(end) = end else {
        return Ok(Parent {
            dir: root,
            last: Component::Root,
            trailing_slash: true,
        });
    };
    let trailing_slash = end + 1 < path.len();
    let begin = path[..end]
        .iter()
        .rposition(|&b| b == b'/')
        .map_or(0, |i| i + 1);
    let last = Component::classify(&path[begin..=end]);
    let walker = &mut Walker::new(mounts, tree, root);
    let dir = if begin == 0 {
        start
    } else {
        walker.run(start, &path[..begin], true)?
    };
    if !tree.is_dir(dir) {
        return Err(Errno::ENOTDIR);
    }
    if !tree.may_search(dir) {
        return Err(Errno::EACCES);
    }
    Ok(Parent {
        dir,
        last,
        trailing_slash,
    })
}

/// One string being walked: a path or a symlink target, with the position reached.
struct Frame<'p> {
    /// The caller's path is borrowed, symlink targets are owned: a walk without symlinks copies nothing.
    text: Cow<'p, [u8]>,
    pos: usize,
    /// A slash followed the symlink this frame expands: its result must be a directory.
    slash_after: bool,
}

impl Frame<'_> {
    fn skip_slashes(&mut self) {
        while self.text.get(self.pos) == Some(&b'/') {
            self.pos += 1;
        }
    }

    fn done(&self) -> bool {
        self.text[self.pos..].iter().all(|&b| b == b'/')
    }
}

/// The strings being walked: the path, and above it the symlink targets being expanded (kept apart so a walk
/// that meets no symlink allocates nothing).
struct Frames<'p> {
    path: Frame<'p>,
    links: Vec<Frame<'p>>,
}

impl<'p> Frames<'p> {
    fn top(&self) -> &Frame<'p> {
        self.links.last().unwrap_or(&self.path)
    }

    fn top_mut(&mut self) -> &mut Frame<'p> {
        self.links.last_mut().unwrap_or(&mut self.path)
    }

    /// Whether nothing is left to walk in any frame.
    fn all_done(&self) -> bool {
        self.path.done() && self.links.iter().all(Frame::done)
    }
}

struct Walker<'a> {
    mounts: &'a MountTable,
    tree: &'a dyn Tree,
    root: Loc,
    links: u32,
}

impl<'a> Walker<'a> {
    fn new(mounts: &'a MountTable, tree: &'a dyn Tree, root: Loc) -> Self {
        Self {
            mounts,
            tree,
            root,
            links: 0,
        }
    }

    fn run(&mut self, start: Loc, path: &[u8], follow_last: bool) -> Result<Loc, Errno> {
        let mut cur = if path.first() == Some(&b'/') {
            self.root
        } else {
            start
        };
        let mut frames = Frames {
            path: Frame {
                text: Cow::Borrowed(path),
                pos: 0,
                slash_after: false,
            },
            links: Vec::new(),
        };
        loop {
            let frame = frames.top_mut();
            frame.skip_slashes();
            if frame.pos >= frame.text.len() {
                let Some(link) = frames.links.pop() else {
                    break;
                };
                if link.slash_after && !self.tree.is_dir(cur) {
                    return Err(Errno::ENOTDIR);
                }
                continue;
            }
            let begin = frame.pos;
            let rest = &frame.text[begin..];
            let len = rest.iter().position(|&b| b == b'/').unwrap_or(rest.len());
            frame.pos += len;
            let slash_follows = frame.pos < frame.text.len();
            let last_of_walk = frames.all_done();
            if !self.tree.is_dir(cur) {
                return Err(Errno::ENOTDIR);
            }
            if !self.tree.may_search(cur) {
                return Err(Errno::EACCES);
            }
            let found = match &frames.top().text[begin..begin + len] {
                b"." => cur,
                b".." => self.dotdot(cur)?,
                name => {
                    if name.len() > NAME_MAX {
                        return Err(Errno::ENAMETOOLONG);
                    }
                    let ino = self.tree.lookup(cur, name)?;
                    self.mounts.follow_down(Loc { mnt: cur.mnt, ino })
                }
            };
            let follow = !last_of_walk || slash_follows || follow_last;
            if follow {
                if let Some(target) = self.tree.symlink(found) {
                    if self.links >= MAX_SYMLINKS {
                        return Err(Errno::ELOOP);
                    }
                    self.links += 1;
                    if target.first() == Some(&b'/') {
                        cur = self.root;
                    }
                    frames.links.push(Frame {
                        text: Cow::Owned(target),
                        pos: 0,
                        slash_after: slash_follows,
                    });
                    continue;
                }
            }
            if slash_follows && !self.tree.is_dir(found) {
                return Err(Errno::ENOTDIR);
            }
            cur = found;
        }
        Ok(cur)
    }

    /// `..` from `cur`: stays at the caller's root, climbs out of mounts whose root `cur` is, then steps to the
    /// parent directory and into anything mounted there.
    fn dotdot(&self, mut cur: Loc) -> Result<Loc, Errno> {
        loop {
            if cur == self.root {
                return Ok(cur);
            }
            match self.mounts.up(cur) {
                Some(point) => cur = point,
                None => break,
            }
        }
        let ino = self.tree.parent(cur)?;
        Ok(self.mounts.follow_down(Loc { mnt: cur.mnt, ino }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FsId, MountId};
    use alloc::collections::BTreeMap;
    use alloc::vec;

    /// A directory: its parent and its entries.
    type Dir = (u64, Vec<(&'static [u8], u64)>);

    /// Filesystems as maps: (fs, dir ino) -> entries; symlinks by (fs, ino).
    struct Fake {
        mounts: MountTable,
        dirs: BTreeMap<(u32, u64), Dir>,
        links: BTreeMap<(u32, u64), &'static [u8]>,
        no_search: Vec<(u32, u64)>,
    }

    impl Fake {
        fn fs(&self, at: Loc) -> u32 {
            self.mounts.get(at.mnt).unwrap().fs.0
        }
    }

    impl Tree for Fake {
        fn lookup(&self, dir: Loc, name: &[u8]) -> Result<u64, Errno> {
            let (_, entries) = self
                .dirs
                .get(&(self.fs(dir), dir.ino))
                .ok_or(Errno::ENOTDIR)?;
            entries
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, ino)| *ino)
                .ok_or(Errno::ENOENT)
        }
        fn parent(&self, dir: Loc) -> Result<u64, Errno> {
            Ok(self
                .dirs
                .get(&(self.fs(dir), dir.ino))
                .ok_or(Errno::ENOTDIR)?
                .0)
        }
        fn is_dir(&self, at: Loc) -> bool {
            self.dirs.contains_key(&(self.fs(at), at.ino))
        }
        fn symlink(&self, at: Loc) -> Option<Vec<u8>> {
            self.links.get(&(self.fs(at), at.ino)).map(|t| t.to_vec())
        }
        fn may_search(&self, dir: Loc) -> bool {
            !self.no_search.contains(&(self.fs(dir), dir.ino))
        }
    }

    /// fs 0: / (1) { mnt (2) { empty (9) }, etc (3) { passwd (4) }, lnk (5) -> /mnt/p/self, abs (6) -> /etc,
    /// locked (7) { x (8) } }. fs 1 on /mnt: / (1) { p (2) { self (3) -> "../q" }, q (4) { f (5) } }.
    fn fake() -> (Fake, MountId) {
        let mut mounts = MountTable::new(FsId(0), 1);
        let root = mounts.root_mount();
        let m = mounts.mount(Loc { mnt: root, ino: 2 }, FsId(1), 1).unwrap();
        let mut dirs = BTreeMap::new();
        dirs.insert(
            (0, 1),
            (
                1,
                vec![
                    (&b"mnt"[..], 2),
                    (b"etc", 3),
                    (b"lnk", 5),
                    (b"abs", 6),
                    (b"locked", 7),
                ],
            ),
        );
        dirs.insert((0, 2), (1, vec![(&b"empty"[..], 9)]));
        dirs.insert((0, 3), (1, vec![(&b"passwd"[..], 4)]));
        dirs.insert((0, 7), (1, vec![(&b"x"[..], 8)]));
        dirs.insert((1, 1), (1, vec![(&b"p"[..], 2), (b"q", 4)]));
        dirs.insert((1, 2), (1, vec![(&b"self"[..], 3)]));
        dirs.insert((1, 4), (1, vec![(&b"f"[..], 5)]));
        let mut links = BTreeMap::new();
        links.insert((0, 5), &b"/mnt/p/self"[..]);
        links.insert((0, 6), &b"/etc"[..]);
        links.insert((1, 3), &b"../q"[..]);
        let fake = Fake {
            mounts,
            dirs,
            links,
            no_search: vec![(0, 7)],
        };
        (fake, m)
    }

    fn resolve(f: &Fake, root: Loc, path: &[u8], follow: bool) -> Result<Loc, Errno> {
        walk(&f.mounts, f, root, root, path, follow)
    }

    #[test]
    fn walks_into_mounts_and_back_out_with_dotdot() {
        let (f, m) = fake();
        let root = f.mounts.root();
        assert_eq!(resolve(&f, root, b"/mnt", true), Ok(Loc { mnt: m, ino: 1 }));
        assert_eq!(
            resolve(&f, root, b"/mnt/q/f", true),
            Ok(Loc { mnt: m, ino: 5 })
        );
        // The covered directory's entries are hidden.
        assert_eq!(resolve(&f, root, b"/mnt/empty", true), Err(Errno::ENOENT));
        assert_eq!(resolve(&f, root, b"/mnt/..", true), Ok(root));
        assert_eq!(
            resolve(&f, root, b"/mnt/q/../../etc/passwd", true).map(|l| l.ino),
            Ok(4)
        );
        assert_eq!(resolve(&f, root, b"/../..", true), Ok(root));
    }

    #[test]
    fn symlinks_cross_mounts_and_restart_at_the_root() {
        let (f, m) = fake();
        let root = f.mounts.root();
        assert_eq!(resolve(&f, root, b"/lnk", true), Ok(Loc { mnt: m, ino: 4 }));
        assert_eq!(
            resolve(&f, root, b"/lnk/f", false),
            Ok(Loc { mnt: m, ino: 5 })
        );
        assert_eq!(resolve(&f, root, b"/lnk", false).map(|l| l.ino), Ok(5));
        assert_eq!(
            resolve(&f, root, b"/abs/passwd", false).map(|l| l.ino),
            Ok(4)
        );
        assert_eq!(
            resolve(&f, root, b"/abs/passwd/", true),
            Err(Errno::ENOTDIR)
        );
        assert_eq!(
            resolve(&f, root, b"/etc/passwd/x", true),
            Err(Errno::ENOTDIR)
        );
    }

    #[test]
    fn a_changed_root_is_never_left() {
        let (f, m) = fake();
        let jail = Loc { mnt: m, ino: 1 };
        assert_eq!(resolve(&f, jail, b"/..", true), Ok(jail));
        assert_eq!(resolve(&f, jail, b"/q/../../..", true), Ok(jail));
        // An absolute symlink inside the jail starts at the jail's root.
        assert_eq!(
            resolve(&f, jail, b"/p/self/f", true),
            Ok(Loc { mnt: m, ino: 5 })
        );
        // A working directory outside the jail climbs to the real root (Linux's chroot escape).
        let outside = f.mounts.root();
        let etc = walk(&f.mounts, &f, jail, outside, b"etc/..", true);
        assert_eq!(etc, Ok(outside));
    }

    #[test]
    fn errors_follow_linux() {
        let (f, _) = fake();
        let root = f.mounts.root();
        assert_eq!(resolve(&f, root, b"", true), Err(Errno::ENOENT));
        assert_eq!(resolve(&f, root, b"/locked/x", true), Err(Errno::EACCES));
        assert_eq!(resolve(&f, root, b"/locked", true).map(|l| l.ino), Ok(7));
        let long = vec![b'a'; 256];
        assert_eq!(resolve(&f, root, &long, true), Err(Errno::ENAMETOOLONG));
        assert_eq!(
            resolve(&f, root, &vec![b'/'; 4096], true),
            Err(Errno::ENAMETOOLONG)
        );
    }

    #[test]
    fn symlink_loops_end_in_eloop() {
        let (mut f, _) = fake();
        f.links.insert((0, 5), &b"/lnk"[..]);
        let root = f.mounts.root();
        assert_eq!(resolve(&f, root, b"/lnk", true), Err(Errno::ELOOP));
    }

    #[test]
    fn parents_split_the_last_component() {
        let (f, m) = fake();
        let root = f.mounts.root();
        let p = walk_parent(&f.mounts, &f, root, root, b"/mnt/q/new/").unwrap();
        assert_eq!(p.dir, Loc { mnt: m, ino: 4 });
        assert_eq!(p.last, Component::Name(b"new".to_vec()));
        assert!(p.trailing_slash);
        let p = walk_parent(&f.mounts, &f, root, root, b"//").unwrap();
        assert_eq!(p.last, Component::Root);
        let p = walk_parent(&f.mounts, &f, root, root, b"mnt").unwrap();
        assert_eq!((p.dir, p.last), (root, Component::Name(b"mnt".to_vec())));
        let p = walk_parent(&f.mounts, &f, root, root, b"/lnk/..").unwrap();
        assert_eq!((p.dir, p.last), (Loc { mnt: m, ino: 4 }, Component::DotDot));
        assert_eq!(
            walk_parent(&f.mounts, &f, root, root, b"/locked/y").map(|p| p.last),
            Err(Errno::EACCES)
        );
    }
}
