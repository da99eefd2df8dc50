//! Path resolution within the filesystem, as Linux's `link_path_walk`: `.`, `..` (never above the caller's root),
//! repeated and trailing slashes, symlinks (at most [`MAX_SYMLINKS`] per walk, nested or not) and search
//! permission on every directory passed through.

use crate::credentials::Actor;
use crate::inode::Node;
use crate::names::{
    check_name_length, check_path, classify, skip_slashes, split_component, split_last,
};
use crate::{Access, Credentials, InodeId, LastComponent, MemFs};
use basalt_linux_abi::Errno;

/// Most symlinks one path walk follows before failing with `ELOOP` (Linux's `MAXSYMLINKS`).
pub const MAX_SYMLINKS: u32 = 40;

/// A path split for operations that create, remove or rename its last component (`filename_parentat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParentPath<'p> {
    /// The directory holding the last component (every symlink on the way followed).
    pub dir: InodeId,
    /// The last component, not looked up.
    pub last: LastComponent<'p>,
    /// Whether slashes follow the last component (`a/b/`): the caller then requires a directory.
    pub trailing_slash: bool,
}

impl MemFs {
    /// Resolves `path` with root's permissions: absolute paths start at `root` (the caller's root directory, which
    /// `..` never leaves), relative ones at `cwd`. A symlink as last component is followed only if `follow_last`
    /// or the path ends in `/`, and a trailing `/` requires a directory (`ENOTDIR`).
    ///
    /// Errors: `ENOENT` (empty path or missing component), `ENOTDIR`, `ENAMETOOLONG` (path ≥ [`crate::PATH_MAX`]
    /// or component > [`crate::NAME_MAX`]), `ELOOP` (more than [`MAX_SYMLINKS`] symlinks).
    pub fn resolve(
        &self,
        root: InodeId,
        cwd: InodeId,
        path: &[u8],
        follow_last: bool,
    ) -> Result<InodeId, Errno> {
        Walk::new(self, root, Actor::trusted(Credentials::ROOT)).resolve(cwd, path, follow_last)
    }

    /// Walks `path` up to its last component, with root's permissions (see [`MemFs::resolve`]).
    pub fn resolve_parent<'p>(
        &self,
        root: InodeId,
        cwd: InodeId,
        path: &'p [u8],
    ) -> Result<ParentPath<'p>, Errno> {
        Walk::new(self, root, Actor::trusted(Credentials::ROOT)).parent(cwd, path)
    }

    /// Looks `name` up in directory `dir`: `.` is `dir`, `..` its parent (the root's is itself). `ENOTDIR` if
    /// `dir` is not a directory, `ENOENT` if the name is missing (or empty), `ENAMETOOLONG` beyond
    /// [`crate::NAME_MAX`], `EINVAL` if it holds `/` or NUL. No permission check.
    pub fn lookup(&self, dir: InodeId, name: &[u8]) -> Result<InodeId, Errno> {
        let component = crate::names::entry_name(name)?;
        self.directory(dir)?;
        self.lookup_component(dir, component, self.root())
    }

    /// One step of a walk from directory `dir`; `..` stops at `root` (the caller's) and at the filesystem root.
    pub(crate) fn lookup_component(
        &self,
        dir: InodeId,
        component: LastComponent<'_>,
        root: InodeId,
    ) -> Result<InodeId, Errno> {
        match component {
            LastComponent::Root => Ok(root),
            LastComponent::Dot => Ok(dir),
            LastComponent::DotDot if dir == root || dir == self.root() => Ok(dir),
            LastComponent::DotDot => self.parent_of(dir),
            LastComponent::Name(name) => {
                check_name_length(name)?;
                self.directory(dir)?.get(name).ok_or(Errno::ENOENT)
            }
        }
    }

    /// `EACCES` unless `actor` may access `ino` as `want` asks (always allowed when not enforcing).
    pub(crate) fn require_access(
        &self,
        actor: &Actor<'_>,
        ino: InodeId,
        want: Access,
    ) -> Result<(), Errno> {
        if !actor.enforce || self.may_access(ino, &actor.cred, want) {
            return Ok(());
        }
        Err(Errno::EACCES)
    }
}

/// One path walk: the caller's root, who walks, and the symlink count shared by everything walked.
pub(crate) struct Walk<'f, 'c> {
    fs: &'f MemFs,
    root: InodeId,
    actor: Actor<'c>,
    links_followed: u32,
}

impl<'f, 'c> Walk<'f, 'c> {
    pub(crate) fn new(fs: &'f MemFs, root: InodeId, actor: Actor<'c>) -> Self {
        Self {
            fs,
            root,
            actor,
            links_followed: 0,
        }
    }

    /// Full resolution of a path from user space (`filename_lookup`).
    pub(crate) fn resolve(
        &mut self,
        start: InodeId,
        path: &[u8],
        follow_last: bool,
    ) -> Result<InodeId, Errno> {
        check_path(path)?;
        self.walk(start, path, follow_last)
    }

    /// Resolution up to the last component of a path from user space (`filename_parentat`).
    pub(crate) fn parent<'p>(
        &mut self,
        start: InodeId,
        path: &'p [u8],
    ) -> Result<ParentPath<'p>, Errno> {
        check_path(path)?;
        self.parent_unchecked(start, path)
    }

    /// [`Walk::parent`] for a non-empty path already known to be short enough (a symlink target).
    pub(crate) fn parent_unchecked<'p>(
        &mut self,
        start: InodeId,
        path: &'p [u8],
    ) -> Result<ParentPath<'p>, Errno> {
        let (prefix, last, trailing_slash) = split_last(path);
        if last == LastComponent::Root {
            return Ok(ParentPath {
                dir: self.root,
                last,
                trailing_slash,
            });
        }
        // Walking the prefix ("a/b/" of "a/b/c") follows and checks exactly the components Linux's walk does
        // before it stops at the last one; the prefix always ends in '/', so it must be a directory.
        let dir = if prefix.is_empty() {
            start
        } else {
            self.walk(start, prefix, true)?
        };
        self.require_search(dir)?;
        Ok(ParentPath {
            dir,
            last,
            trailing_slash,
        })
    }

    /// Follows the symlink `link` found in directory `dir` (counting it) up to the last component of its target.
    pub(crate) fn follow_to_parent(
        &mut self,
        dir: InodeId,
        link: InodeId,
    ) -> Result<ParentPath<'f>, Errno> {
        let target = self.count_link(link)?;
        self.parent_unchecked(dir, target)
    }

    /// The target of `ino` if it is a symlink.
    pub(crate) fn symlink_target(&self, ino: InodeId) -> Option<&'f [u8]> {
        match &self.fs.inode(ino).ok()?.node {
            Node::Symlink(target) => Some(target),
            _ => None,
        }
    }

    /// Counts one more symlink followed and returns its target; `ELOOP` past [`MAX_SYMLINKS`].
    fn count_link(&mut self, link: InodeId) -> Result<&'f [u8], Errno> {
        let target = self.symlink_target(link).ok_or(Errno::EINVAL)?;
        if self.links_followed >= MAX_SYMLINKS {
            return Err(Errno::ELOOP);
        }
        self.links_followed += 1;
        Ok(target)
    }

    fn require_search(&self, dir: InodeId) -> Result<(), Errno> {
        self.fs.require_access(&self.actor, dir, Access::EXEC)
    }

    /// The walk proper, iterative so that nested symlinks cost no kernel stack: `pending` holds, for each
    /// symlink being expanded, what remained of the path that named it and whether a slash followed it.
    fn walk<'a>(
        &mut self,
        start: InodeId,
        path: &'a [u8],
        follow_last: bool,
    ) -> Result<InodeId, Errno>
    where
        'f: 'a,
    {
        let mut pending = PendingStack::<'a>::new();
        let (mut dir, mut rest) = self.enter(start, path);
        loop {
            let result = if rest.is_empty() {
                // A string of only slashes (the path "/" or a symlink to "/") names where it starts.
                dir
            } else {
                self.require_search(dir)?;
                let (component, after) = split_component(rest);
                let next = skip_slashes(after);
                let trailing_slash = !after.is_empty();
                let found = self
                    .fs
                    .lookup_component(dir, classify(component), self.root)?;
                let last_of_path = next.is_empty() && pending.is_empty();
                let follow = !last_of_path || trailing_slash || follow_last;
                if follow && self.symlink_target(found).is_some() {
                    let target = self.count_link(found)?;
                    pending.push(next, trailing_slash)?;
                    (dir, rest) = self.enter(dir, target);
                    continue;
                }
                if !next.is_empty() {
                    if !self.fs.is_dir(found) {
                        return Err(Errno::ENOTDIR);
                    }
                    dir = found;
                    rest = next;
                    continue;
                }
                if trailing_slash && !self.fs.is_dir(found) {
                    return Err(Errno::ENOTDIR);
                }
                found
            };
            // `result` is what the current string names; hand it back to the strings that named the symlinks.
            match self.unwind(&mut pending, result)? {
                Some((resume_dir, resume_rest)) => (dir, rest) = (resume_dir, resume_rest),
                None => return Ok(result),
            }
        }
    }

    /// Starts walking `path` from `dir`, or from the root if it is absolute.
    fn enter<'a>(&self, dir: InodeId, path: &'a [u8]) -> (InodeId, &'a [u8]) {
        let dir = if path.first() == Some(&b'/') {
            self.root
        } else {
            dir
        };
        (dir, skip_slashes(path))
    }

    /// Pops finished symlink expansions: returns where to resume, or `None` when the whole path is done.
    fn unwind<'a>(
        &self,
        pending: &mut PendingStack<'a>,
        result: InodeId,
    ) -> Result<Option<(InodeId, &'a [u8])>, Errno> {
        while let Some((rest, trailing_slash)) = pending.pop() {
            if (trailing_slash || !rest.is_empty()) && !self.fs.is_dir(result) {
                return Err(Errno::ENOTDIR);
            }
            if !rest.is_empty() {
                return Ok(Some((result, rest)));
            }
        }
        Ok(None)
    }
}

/// A fixed-size stack of pending path remainders: one per symlink being expanded, so never more than
/// [`MAX_SYMLINKS`] (no allocation during a walk).
struct PendingStack<'a> {
    entries: [(&'a [u8], bool); MAX_SYMLINKS as usize],
    len: usize,
}

impl<'a> PendingStack<'a> {
    fn new() -> Self {
        Self {
            entries: [(&[], false); MAX_SYMLINKS as usize],
            len: 0,
        }
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn push(&mut self, rest: &'a [u8], trailing_slash: bool) -> Result<(), Errno> {
        let slot = self.entries.get_mut(self.len).ok_or(Errno::ELOOP)?;
        *slot = (rest, trailing_slash);
        self.len += 1;
        Ok(())
    }

    fn pop(&mut self) -> Option<(&'a [u8], bool)> {
        self.len = self.len.checked_sub(1)?;
        Some(self.entries[self.len])
    }
}
