//! Removing entries: `unlink` and `rmdir`, and the deletion checks `rename` shares.

use crate::credentials::Actor;
use crate::file_type::S_ISVTX;
use crate::names::{check_name_length, entry_name};
use crate::{Access, Credentials, InodeId, LastComponent, MemFs, Timestamp};
use basalt_linux_abi::Errno;

impl MemFs {
    /// Removes the non-directory entry `name` from `dir`; the inode goes when its last link does and nothing
    /// holds it. `EISDIR` for a directory (also `.`/`..`), `ENOENT`, `ENOTDIR`, `ENAMETOOLONG`. No permission checks.
    pub fn unlink(&mut self, dir: InodeId, name: &[u8], now: Timestamp) -> Result<(), Errno> {
        let last = entry_name(name)?;
        self.unlink_entry(&Actor::trusted(Credentials::ROOT), dir, last, false, now)
    }

    /// Removes the empty directory `name` from `dir`. `ENOTEMPTY` if it has entries (and for `..`), `EINVAL` for
    /// `.`, `ENOTDIR` if it is not a directory, `ENOENT`, `ENAMETOOLONG`. No permission checks.
    pub fn rmdir(&mut self, dir: InodeId, name: &[u8], now: Timestamp) -> Result<(), Errno> {
        let last = entry_name(name)?;
        self.rmdir_entry(&Actor::trusted(Credentials::ROOT), dir, last, now)
    }

    /// `do_unlinkat` from the lookup of the last component on.
    pub(crate) fn unlink_entry(
        &mut self,
        actor: &Actor<'_>,
        dir: InodeId,
        last: LastComponent<'_>,
        trailing_slash: bool,
        now: Timestamp,
    ) -> Result<(), Errno> {
        let LastComponent::Name(name) = last else {
            return Err(Errno::EISDIR);
        };
        let victim = self.lookup_entry(dir, name)?;
        if trailing_slash {
            return Err(if self.is_dir(victim) {
                Errno::EISDIR
            } else {
                Errno::ENOTDIR
            });
        }
        self.may_delete(actor, dir, victim, false)?;
        self.directory_mut(dir)?.remove(name);
        self.inode_mut(dir)?.touch_modify(now);
        self.drop_link(victim, now);
        Ok(())
    }

    /// `do_rmdir` from the lookup of the last component on.
    pub(crate) fn rmdir_entry(
        &mut self,
        actor: &Actor<'_>,
        dir: InodeId,
        last: LastComponent<'_>,
        now: Timestamp,
    ) -> Result<(), Errno> {
        let name = match last {
            LastComponent::Name(name) => name,
            LastComponent::DotDot => return Err(Errno::ENOTEMPTY),
            LastComponent::Dot => return Err(Errno::EINVAL),
            LastComponent::Root => return Err(Errno::EBUSY),
        };
        let victim = self.lookup_entry(dir, name)?;
        self.may_delete(actor, dir, victim, true)?;
        if !self.directory(victim)?.is_empty() {
            return Err(Errno::ENOTEMPTY);
        }
        self.directory_mut(dir)?.remove(name);
        let parent = self.inode_mut(dir)?;
        parent.nlink = parent.nlink.saturating_sub(1);
        parent.touch_modify(now);
        self.drop_directory(victim, now);
        Ok(())
    }

    /// The inode `name` names in `dir` (no `.`/`..`): `ENAMETOOLONG`, `ENOTDIR`, `ENOENT`.
    pub(crate) fn lookup_entry(&self, dir: InodeId, name: &[u8]) -> Result<InodeId, Errno> {
        check_name_length(name)?;
        self.directory(dir)?.get(name).ok_or(Errno::ENOENT)
    }

    /// Linux's `may_delete`: write and search permission on `dir`, the sticky-directory rule (`EPERM` unless the
    /// actor owns the entry or the directory), then the type: `ENOTDIR`/`EBUSY` when a directory is expected,
    /// `EISDIR` when not.
    pub(crate) fn may_delete(
        &self,
        actor: &Actor<'_>,
        dir: InodeId,
        victim: InodeId,
        want_dir: bool,
    ) -> Result<(), Errno> {
        self.require_access(actor, dir, Access::WRITE | Access::EXEC)?;
        let parent = self.inode(dir)?;
        let inode = self.inode(victim)?;
        let sticky_protected = parent.perm & S_ISVTX != 0
            && inode.uid != actor.cred.uid
            && parent.uid != actor.cred.uid
            && !actor.is_privileged();
        if sticky_protected {
            return Err(Errno::EPERM);
        }
        if want_dir {
            if !inode.is_dir() {
                return Err(Errno::ENOTDIR);
            }
            if victim == self.root() {
                return Err(Errno::EBUSY);
            }
        } else if inode.is_dir() {
            return Err(Errno::EISDIR);
        }
        Ok(())
    }
}
