//! `rename(2)` and `renameat2(2)`: replacing, moving directories, exchanging, and every Linux check in order.

use crate::credentials::Actor;
use crate::names::entry_name;
use crate::{Access, Credentials, InodeId, LastComponent, MemFs, ParentPath, Timestamp};
use basalt_linux_abi::Errno;
use bitflags::bitflags;

bitflags! {
    /// `renameat2(2)` flags this filesystem supports.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct RenameFlags: u32 {
        /// `RENAME_NOREPLACE`: fail with `EEXIST` instead of replacing an existing target.
        const NOREPLACE = 1;
        /// `RENAME_EXCHANGE`: swap source and target, which must both exist.
        const EXCHANGE = 2;
    }
}

impl RenameFlags {
    /// Checks `renameat2`'s flags argument: unknown bits, `RENAME_WHITEOUT` (not supported here) and
    /// `NOREPLACE | EXCHANGE` together are `EINVAL`.
    pub fn from_linux(flags: u32) -> Result<Self, Errno> {
        let flags = Self::from_bits(flags).ok_or(Errno::EINVAL)?;
        if flags.contains(Self::NOREPLACE | Self::EXCHANGE) {
            return Err(Errno::EINVAL);
        }
        Ok(flags)
    }
}

impl MemFs {
    /// Renames entry `old_name` of `old_dir` to `new_name` of `new_dir`, with Linux's rules: a target is replaced
    /// atomically (a directory only by a directory and only if empty: `ENOTEMPTY`; `EISDIR`/`ENOTDIR` for a type
    /// mismatch); renaming onto a link to the same inode does nothing; `EINVAL` when moving a directory into
    /// its own subtree; `EBUSY` for `.`/`..` (`EEXIST` with `NOREPLACE` for the target). No permission checks.
    pub fn rename(
        &mut self,
        old_dir: InodeId,
        old_name: &[u8],
        new_dir: InodeId,
        new_name: &[u8],
        flags: RenameFlags,
        now: Timestamp,
    ) -> Result<(), Errno> {
        let old = ParentPath {
            dir: old_dir,
            last: entry_name(old_name)?,
            trailing_slash: false,
        };
        let new = ParentPath {
            dir: new_dir,
            last: entry_name(new_name)?,
            trailing_slash: false,
        };
        self.directory(old_dir)?;
        self.directory(new_dir)?;
        self.rename_entries(&Actor::trusted(Credentials::ROOT), old, new, flags, now)
    }

    /// `do_renameat2` from the last-component checks on, then `vfs_rename` and tmpfs' `shmem_rename2`.
    pub(crate) fn rename_entries(
        &mut self,
        actor: &Actor<'_>,
        old: ParentPath<'_>,
        new: ParentPath<'_>,
        flags: RenameFlags,
        now: Timestamp,
    ) -> Result<(), Errno> {
        if flags.contains(RenameFlags::NOREPLACE | RenameFlags::EXCHANGE) {
            return Err(Errno::EINVAL);
        }
        let exchange = flags.contains(RenameFlags::EXCHANGE);
        let LastComponent::Name(old_name) = old.last else {
            return Err(Errno::EBUSY);
        };
        let LastComponent::Name(new_name) = new.last else {
            let noreplace = flags.contains(RenameFlags::NOREPLACE);
            return Err(if noreplace {
                Errno::EEXIST
            } else {
                Errno::EBUSY
            });
        };
        let source = self.lookup_entry(old.dir, old_name)?;
        let target = match self.lookup_entry(new.dir, new_name) {
            Ok(target) => Some(target),
            Err(Errno::ENOENT) => None,
            Err(errno) => return Err(errno),
        };
        if flags.contains(RenameFlags::NOREPLACE) && target.is_some() {
            return Err(Errno::EEXIST);
        }
        if exchange {
            let target = target.ok_or(Errno::ENOENT)?;
            if !self.is_dir(target) && new.trailing_slash {
                return Err(Errno::ENOTDIR);
            }
        }
        let source_is_dir = self.is_dir(source);
        if !source_is_dir && (old.trailing_slash || (!exchange && new.trailing_slash)) {
            return Err(Errno::ENOTDIR);
        }
        let trap = self.rename_trap(old.dir, new.dir);
        if trap == Some(source) {
            return Err(Errno::EINVAL);
        }
        if target.is_some() && target == trap {
            return Err(if exchange {
                Errno::EINVAL
            } else {
                Errno::ENOTEMPTY
            });
        }
        if target == Some(source) {
            return Ok(());
        }

        self.may_delete(actor, old.dir, source, source_is_dir)?;
        let target_is_dir = target.is_some_and(|target| self.is_dir(target));
        match target {
            None => {
                if self.inode(new.dir)?.nlink == 0 {
                    return Err(Errno::ENOENT);
                }
                self.require_access(actor, new.dir, Access::WRITE | Access::EXEC)?;
            }
            Some(target) => {
                let want_dir = if exchange {
                    target_is_dir
                } else {
                    source_is_dir
                };
                self.may_delete(actor, new.dir, target, want_dir)?;
            }
        }
        if old.dir != new.dir {
            // Moving a directory rewrites its "..": that needs write permission on it.
            if source_is_dir {
                self.require_access(actor, source, Access::WRITE)?;
            }
            if let (true, true, Some(target)) = (exchange, target_is_dir, target) {
                self.require_access(actor, target, Access::WRITE)?;
            }
        }
        if let (false, true, Some(target)) = (exchange, target_is_dir, target) {
            if !self.directory(target)?.is_empty() {
                return Err(Errno::ENOTEMPTY);
            }
        }
        if old.dir != new.dir {
            // The directory that gains a subdirectory gains a link (its "..").
            let gaining = if source_is_dir && !target_is_dir {
                Some(new.dir)
            } else if exchange && target_is_dir && !source_is_dir {
                Some(old.dir)
            } else {
                None
            };
            if let Some(dir) = gaining {
                if self.inode(dir)?.nlink == u32::MAX {
                    return Err(Errno::EMLINK);
                }
            }
        }

        match target {
            Some(target) if exchange => {
                self.exchange_entries((old, old_name, source), (new, new_name, target), now)
            }
            _ => self.move_entry((old, old_name, source), (new, new_name, target), now),
        }
    }

    /// Moves `source` to the new name, dropping a replaced `target`.
    fn move_entry(
        &mut self,
        (old, old_name, source): (ParentPath<'_>, &[u8], InodeId),
        (new, new_name, target): (ParentPath<'_>, &[u8], Option<InodeId>),
        now: Timestamp,
    ) -> Result<(), Errno> {
        let source_is_dir = self.is_dir(source);
        self.directory_mut(old.dir)?.remove(old_name);
        match target {
            Some(_) => self.directory_mut(new.dir)?.replace(new_name, source),
            None => self.directory_mut(new.dir)?.insert(new_name, source),
        }
        if let Some(target) = target {
            if self.is_dir(target) {
                let parent = self.inode_mut(new.dir)?;
                parent.nlink = parent.nlink.saturating_sub(1);
                self.drop_directory(target, now);
            } else {
                self.drop_link(target, now);
            }
        }
        if source_is_dir && old.dir != new.dir {
            self.reparent(source, old.dir, new.dir)?;
        }
        self.inode_mut(source)?.touch_change(now);
        self.inode_mut(old.dir)?.touch_modify(now);
        self.inode_mut(new.dir)?.touch_modify(now);
        Ok(())
    }

    /// Swaps two entries (`RENAME_EXCHANGE`).
    fn exchange_entries(
        &mut self,
        (old, old_name, source): (ParentPath<'_>, &[u8], InodeId),
        (new, new_name, target): (ParentPath<'_>, &[u8], InodeId),
        now: Timestamp,
    ) -> Result<(), Errno> {
        self.directory_mut(old.dir)?.replace(old_name, target);
        self.directory_mut(new.dir)?.replace(new_name, source);
        if old.dir != new.dir {
            if self.is_dir(source) {
                self.reparent(source, old.dir, new.dir)?;
            }
            if self.is_dir(target) {
                self.reparent(target, new.dir, old.dir)?;
            }
        }
        for ino in [source, target] {
            self.inode_mut(ino)?.touch_change(now);
        }
        for dir in [old.dir, new.dir] {
            self.inode_mut(dir)?.touch_modify(now);
        }
        Ok(())
    }

    /// Points directory `moved`'s `..` at `to` and moves its link from `from`'s count to `to`'s.
    fn reparent(&mut self, moved: InodeId, from: InodeId, to: InodeId) -> Result<(), Errno> {
        self.directory_mut(moved)?.parent = to;
        let from = self.inode_mut(from)?;
        from.nlink = from.nlink.saturating_sub(1);
        let to = self.inode_mut(to)?;
        to.nlink = to.nlink.saturating_add(1);
        Ok(())
    }

    /// Linux's `lock_rename` trap: when one parent is an ancestor of the other, the ancestor's child on the way
    /// down to the other. Renaming that child would move a directory into itself (source: `EINVAL`) or replace an
    /// ancestor of the source (target: `ENOTEMPTY`).
    fn rename_trap(&self, old_dir: InodeId, new_dir: InodeId) -> Option<InodeId> {
        if old_dir == new_dir {
            return None;
        }
        self.child_toward(new_dir, old_dir)
            .or_else(|| self.child_toward(old_dir, new_dir))
    }

    /// If `ancestor` is a proper ancestor of `node`, its child that `node` descends from (or is).
    fn child_toward(&self, ancestor: InodeId, node: InodeId) -> Option<InodeId> {
        let mut current = node;
        // Bounded by the number of inodes, so a damaged parent chain cannot loop forever.
        for _ in 0..self.inodes.len() {
            let parent = self.parent_of(current).ok()?;
            if parent == ancestor {
                return Some(current);
            }
            if parent == current {
                return None;
            }
            current = parent;
        }
        None
    }
}
