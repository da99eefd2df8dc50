//! Whole `*at(2)` operations on paths, as Linux's VFS performs them: resolution with the caller's root and
//! credentials, the checks on the last component in Linux's order, then the by-name operation.

use crate::credentials::Actor;
use crate::ops_create::{check_symlink_target, NewInode};
use crate::resolve::Walk;
use crate::{
    Credentials, InodeId, LastComponent, MemFs, NodeKind, ParentPath, RenameFlags, Timestamp,
};
use alloc::vec::Vec;
use basalt_linux_abi::Errno;

/// The calling process as path walks see it: its root directory (`..` never leaves it, absolute paths and
/// symlinks start there) and its filesystem credentials, checked for search permission on every directory and
/// for the permissions each operation needs.
#[derive(Debug, Clone, Copy)]
pub struct Walker<'a> {
    /// The process's root directory (the filesystem root unless `chroot`ed).
    pub root: InodeId,
    /// Its fsuid, fsgid and groups.
    pub cred: Credentials<'a>,
}

/// A path from user space and the directory a relative one starts from (the working directory, or a `dirfd`).
#[derive(Debug, Clone, Copy)]
pub struct PathAt<'p> {
    /// Start of a relative path.
    pub dir: InodeId,
    /// The path bytes, without NUL.
    pub path: &'p [u8],
}

impl<'p> PathAt<'p> {
    /// `path` relative to `dir`.
    pub fn new(dir: InodeId, path: &'p [u8]) -> Self {
        Self { dir, path }
    }
}

impl MemFs {
    fn walk<'f, 'c>(&'f self, walker: &Walker<'c>) -> Walk<'f, 'c> {
        Walk::new(self, walker.root, Actor::checked(walker.cred))
    }

    /// Resolves a path as `stat`/`lstat`/`open` do (see [`MemFs::resolve`]), plus `EACCES` for a directory on the
    /// way that the caller may not search.
    pub fn lookup_at(
        &self,
        walker: &Walker<'_>,
        at: PathAt<'_>,
        follow_last: bool,
    ) -> Result<InodeId, Errno> {
        self.walk(walker).resolve(at.dir, at.path, follow_last)
    }

    /// Walks a path up to its last component, with permission checks (see [`MemFs::resolve_parent`]).
    pub fn lookup_parent_at<'p>(
        &self,
        walker: &Walker<'_>,
        at: PathAt<'p>,
    ) -> Result<ParentPath<'p>, Errno> {
        self.walk(walker).parent(at.dir, at.path)
    }

    /// `mkdirat(2)`: `perm` after the umask. `EEXIST` (also for an existing symlink, `.`, `..`, `/`), `EACCES`,
    /// `ENOENT` (missing parent, removed parent), `ENOTDIR`, `ENAMETOOLONG`, `ELOOP`, `ENOSPC`, `EMLINK`.
    pub fn mkdir_at(
        &mut self,
        walker: &Walker<'_>,
        at: PathAt<'_>,
        perm: u32,
        now: Timestamp,
    ) -> Result<InodeId, Errno> {
        let parent = self.walk(walker).parent(at.dir, at.path)?;
        let actor = Actor::checked(walker.cred);
        self.create_entry(
            &actor,
            parent.dir,
            parent.last,
            parent.trailing_slash,
            NewInode::Directory,
            perm,
            now,
        )
    }

    /// `mknodat(2)` (see [`NodeKind::from_mknod`]): as [`MemFs::mkdir_at`], plus `ENOENT` for a trailing slash and
    /// `EPERM` for a device node made by someone other than root.
    pub fn mknod_at(
        &mut self,
        walker: &Walker<'_>,
        at: PathAt<'_>,
        kind: NodeKind,
        perm: u32,
        now: Timestamp,
    ) -> Result<InodeId, Errno> {
        let parent = self.walk(walker).parent(at.dir, at.path)?;
        let actor = Actor::checked(walker.cred);
        self.create_entry(
            &actor,
            parent.dir,
            parent.last,
            parent.trailing_slash,
            NewInode::Node(kind),
            perm,
            now,
        )
    }

    /// `symlinkat(2)`: `ENOENT` for an empty target and `ENAMETOOLONG` for a long one (checked first), then as
    /// [`MemFs::mknod_at`].
    pub fn symlink_at(
        &mut self,
        walker: &Walker<'_>,
        target: &[u8],
        at: PathAt<'_>,
        now: Timestamp,
    ) -> Result<InodeId, Errno> {
        check_symlink_target(target)?;
        let parent = self.walk(walker).parent(at.dir, at.path)?;
        let actor = Actor::checked(walker.cred);
        let new = NewInode::Symlink(target);
        self.create_entry(
            &actor,
            parent.dir,
            parent.last,
            parent.trailing_slash,
            new,
            0o777,
            now,
        )
    }

    /// `linkat(2)`: `old` is resolved first (following a final symlink only if `follow_old`, as
    /// `AT_SYMLINK_FOLLOW`), then `new` is created. `EPERM` for a directory, or (protected hard links) a file
    /// the caller neither owns nor may read and write; `EEXIST`, `ENOENT`, `EACCES`, `EMLINK`.
    pub fn link_at(
        &mut self,
        walker: &Walker<'_>,
        old: PathAt<'_>,
        follow_old: bool,
        new: PathAt<'_>,
        now: Timestamp,
    ) -> Result<(), Errno> {
        let target = self.walk(walker).resolve(old.dir, old.path, follow_old)?;
        let parent = self.walk(walker).parent(new.dir, new.path)?;
        let actor = Actor::checked(walker.cred);
        self.link_entry(
            &actor,
            parent.dir,
            parent.last,
            parent.trailing_slash,
            target,
            now,
        )
    }

    /// [`MemFs::link_at`] for a source the caller already resolved (across mounts, say): links `target` as
    /// `new`, with the same checks.
    pub fn link_inode_at(
        &mut self,
        walker: &Walker<'_>,
        target: InodeId,
        new: PathAt<'_>,
        now: Timestamp,
    ) -> Result<(), Errno> {
        let parent = self.walk(walker).parent(new.dir, new.path)?;
        let actor = Actor::checked(walker.cred);
        self.link_entry(
            &actor,
            parent.dir,
            parent.last,
            parent.trailing_slash,
            target,
            now,
        )
    }

    /// `unlinkat(2)` without `AT_REMOVEDIR`: `EISDIR` for a directory (and `.`, `..`, `/`, `dir/`), `ENOTDIR` for
    /// `file/`, `EACCES`, `EPERM` (sticky directory), `ENOENT`.
    pub fn unlink_at(
        &mut self,
        walker: &Walker<'_>,
        at: PathAt<'_>,
        now: Timestamp,
    ) -> Result<(), Errno> {
        let parent = self.walk(walker).parent(at.dir, at.path)?;
        let actor = Actor::checked(walker.cred);
        self.unlink_entry(&actor, parent.dir, parent.last, parent.trailing_slash, now)
    }

    /// `rmdir(2)`: `EINVAL` for `.`, `ENOTEMPTY` for `..` and non-empty directories, `EBUSY` for `/`, `ENOTDIR`
    /// (also for a symlink to a directory), `EACCES`, `EPERM`, `ENOENT`.
    pub fn rmdir_at(
        &mut self,
        walker: &Walker<'_>,
        at: PathAt<'_>,
        now: Timestamp,
    ) -> Result<(), Errno> {
        let parent = self.walk(walker).parent(at.dir, at.path)?;
        let actor = Actor::checked(walker.cred);
        self.rmdir_entry(&actor, parent.dir, parent.last, now)
    }

    /// `renameat2(2)` (see [`MemFs::rename`] for the rules): both paths are walked first, then trailing slashes
    /// on a non-directory source give `ENOTDIR`, and the permission checks of deleting the source and creating or
    /// deleting the target apply.
    pub fn rename_at(
        &mut self,
        walker: &Walker<'_>,
        old: PathAt<'_>,
        new: PathAt<'_>,
        flags: RenameFlags,
        now: Timestamp,
    ) -> Result<(), Errno> {
        if flags.contains(RenameFlags::NOREPLACE | RenameFlags::EXCHANGE) {
            return Err(Errno::EINVAL);
        }
        let old = self.walk(walker).parent(old.dir, old.path)?;
        let new = self.walk(walker).parent(new.dir, new.path)?;
        let actor = Actor::checked(walker.cred);
        self.rename_entries(&actor, old, new, flags, now)
    }

    /// The lookup-or-create half of `open(2)` with `O_CREAT`: returns the inode and whether it was created (a
    /// regular file with `perm` after the umask). Without `exclusive` (`O_EXCL`) an existing file is returned and a
    /// final symlink is followed — creating its missing target, as Linux does. `EISDIR` for a trailing slash,
    /// `.`, `..`, `/` or an existing directory; `EEXIST` with `exclusive` if anything (even a dangling symlink)
    /// has the name, and for `.`, `..`, `/`; `EACCES`, `ENOENT`, `ENOTDIR`, `ELOOP`, `ENAMETOOLONG`, `ENOSPC`. Access-mode checks on an
    /// existing file are the kernel's.
    pub fn open_create(
        &mut self,
        walker: &Walker<'_>,
        at: PathAt<'_>,
        perm: u32,
        exclusive: bool,
        now: Timestamp,
    ) -> Result<(InodeId, bool), Errno> {
        let (dir, name) = {
            let mut walk = self.walk(walker);
            let mut parent = walk.parent(at.dir, at.path)?;
            loop {
                let LastComponent::Name(name) = parent.last else {
                    // `.`, `..` or `/`: an existing directory, so "exists" wins over "is a directory" for O_EXCL.
                    return Err(if exclusive {
                        Errno::EEXIST
                    } else {
                        Errno::EISDIR
                    });
                };
                if parent.trailing_slash {
                    return Err(Errno::EISDIR);
                }
                match self.lookup_entry(parent.dir, name) {
                    Ok(_) if exclusive => return Err(Errno::EEXIST),
                    Ok(found) if walk.symlink_target(found).is_some() => {
                        parent = walk.follow_to_parent(parent.dir, found)?;
                    }
                    Ok(found) if self.is_dir(found) => return Err(Errno::EISDIR),
                    Ok(found) => return Ok((found, false)),
                    // The name came from the path or a symlink target borrowed from `self`: copy it out so the
                    // filesystem can be changed.
                    Err(Errno::ENOENT) => break (parent.dir, Vec::from(name)),
                    Err(errno) => return Err(errno),
                }
            }
        };
        let actor = Actor::checked(walker.cred);
        let new = NewInode::Node(NodeKind::Regular);
        let ino = self.create_entry(
            &actor,
            dir,
            LastComponent::Name(&name),
            false,
            new,
            perm,
            now,
        )?;
        Ok((ino, true))
    }
}
