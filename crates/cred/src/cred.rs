//! The credentials of a process and Linux's set*id rules (kernel/sys.c).

use alloc::vec::Vec;
use basalt_linux_abi::Errno;

/// `(uid_t)-1` / `(gid_t)-1`: "leave this id unchanged" in set*id calls, and never a valid id.
pub const UNCHANGED: u32 = u32::MAX;

/// Who a process is: Linux's `struct cred` without capabilities (privilege is an effective uid of 0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cred {
    /// Real user id.
    pub uid: u32,
    /// Effective user id: permission checks and privilege.
    pub euid: u32,
    /// Saved set-user-id.
    pub suid: u32,
    /// Filesystem user id: file access checks and ownership of created files.
    pub fsuid: u32,
    /// Real group id.
    pub gid: u32,
    /// Effective group id.
    pub egid: u32,
    /// Saved set-group-id.
    pub sgid: u32,
    /// Filesystem group id.
    pub fsgid: u32,
    /// Supplementary groups, sorted ascending (as `setgroups` leaves them).
    pub groups: Vec<u32>,
}

impl Default for Cred {
    fn default() -> Self {
        Cred::root()
    }
}

impl Cred {
    /// root: every id 0, no supplementary groups (init's credentials).
    pub const fn root() -> Cred {
        Cred {
            uid: 0,
            euid: 0,
            suid: 0,
            fsuid: 0,
            gid: 0,
            egid: 0,
            sgid: 0,
            fsgid: 0,
            groups: Vec::new(),
        }
    }

    /// Whether the process holds the capabilities root has (`capable(CAP_*)`): effective uid 0.
    pub fn is_privileged(&self) -> bool {
        self.euid == 0
    }

    /// True if `gid` is the filesystem group or a supplementary group (`in_group_p`).
    pub fn in_group(&self, gid: u32) -> bool {
        self.fsgid == gid || self.groups.contains(&gid)
    }

    /// The identity `access`/`faccessat` checks with: the real ids instead of the filesystem ids, unless
    /// `AT_EACCESS` asks for the effective ones (Linux's `access_override_creds`).
    pub fn for_access_check(&self, effective: bool) -> Cred {
        let mut c = self.clone();
        if !effective {
            c.fsuid = self.uid;
            c.fsgid = self.gid;
        }
        c
    }

    /// Whether a process with these credentials may send a signal to one with `target`'s (`kill_ok_by_cred`):
    /// the sender's real or effective uid is the target's real or saved uid, or the sender is privileged.
    pub fn may_signal(&self, target: &Cred) -> bool {
        self.euid == target.suid
            || self.euid == target.uid
            || self.uid == target.suid
            || self.uid == target.uid
            || self.is_privileged()
    }

    /// Whether a file owned by `owner`:`group` may be given owner `uid` and group `gid` (`None`: unchanged), as
    /// Linux's `chown_ok`/`chgrp_ok` decide: the owner may "change" the owner to itself and the group to its
    /// own group or a supplementary one; anything else takes privilege (`CAP_CHOWN`, which follows the fsuid).
    /// `clears_setid`: the call will clear the file's set-id bits (a non-directory with them), which is a mode
    /// change only the owner or a privileged caller may make, even for `chown(f, -1, -1)`.
    pub fn may_chown(
        &self,
        owner: u32,
        group: u32,
        clears_setid: bool,
        uid: Option<u32>,
        gid: Option<u32>,
    ) -> bool {
        let privileged = self.fsuid == 0;
        let is_owner = self.fsuid == owner;
        let uid_ok = uid.is_none_or(|u| (is_owner && u == owner) || privileged);
        let gid_ok =
            gid.is_none_or(|g| (is_owner && (g == group || self.in_group(g))) || privileged);
        let mode_ok = !clears_setid || is_owner || privileged;
        uid_ok && gid_ok && mode_ok
    }

    /// Whether these credentials may read or change another process's resource limits (`prlimit64` on another
    /// pid, Linux's `check_prlimit_permission`): the caller's real uid and gid are all three of the target's uids
    /// and gids, or the caller is privileged (`CAP_SYS_RESOURCE`).
    pub fn may_prlimit(&self, target: &Cred) -> bool {
        let uids = [target.uid, target.euid, target.suid];
        let gids = [target.gid, target.egid, target.sgid];
        (uids.iter().all(|&u| u == self.uid) && gids.iter().all(|&g| g == self.gid))
            || self.is_privileged()
    }

    /// Whether these credentials may change another process's scheduling (`sched_setaffinity`,
    /// `sched_setscheduler`; Linux's `check_same_owner`): the caller's effective uid is the target's real or
    /// effective uid, or the caller is privileged (`CAP_SYS_NICE`).
    pub fn same_owner(&self, target: &Cred) -> bool {
        self.euid == target.uid || self.euid == target.euid || self.is_privileged()
    }

    /// Whether these credentials may change another process's nice value at all (`setpriority`, Linux's
    /// `set_one_prio`; EPERM otherwise): same rule as [`Cred::same_owner`]. Lowering the value further needs
    /// privilege (or RLIMIT_NICE), which is the caller's check (EACCES).
    pub fn may_renice(&self, target: &Cred) -> bool {
        self.same_owner(target)
    }

    /// `setuid(uid)`: privileged, it sets the real, effective, saved and filesystem uids; otherwise only the
    /// effective (and filesystem) uid, to the real or saved uid. EINVAL for -1, EPERM when not allowed.
    pub fn setuid(&mut self, uid: u32) -> Result<(), Errno> {
        if uid == UNCHANGED {
            return Err(Errno::EINVAL);
        }
        if self.is_privileged() {
            self.uid = uid;
            self.suid = uid;
        } else if uid != self.uid && uid != self.suid {
            return Err(Errno::EPERM);
        }
        self.euid = uid;
        self.fsuid = uid;
        Ok(())
    }

    /// `setgid(gid)`: the gid twin of [`Cred::setuid`].
    pub fn setgid(&mut self, gid: u32) -> Result<(), Errno> {
        if gid == UNCHANGED {
            return Err(Errno::EINVAL);
        }
        if self.is_privileged() {
            self.gid = gid;
            self.sgid = gid;
        } else if gid != self.gid && gid != self.sgid {
            return Err(Errno::EPERM);
        }
        self.egid = gid;
        self.fsgid = gid;
        Ok(())
    }

    /// `setreuid(ruid, euid)` (-1 leaves one unchanged). Unprivileged, the real uid may become the real or
    /// effective uid, the effective uid any of the three. The saved uid follows the new effective uid when the
    /// real uid is set or the effective uid is set to something other than the old real uid.
    pub fn setreuid(&mut self, ruid: u32, euid: u32) -> Result<(), Errno> {
        let privileged = self.is_privileged();
        if ruid != UNCHANGED && !privileged && ruid != self.uid && ruid != self.euid {
            return Err(Errno::EPERM);
        }
        if euid != UNCHANGED
            && !privileged
            && euid != self.uid
            && euid != self.euid
            && euid != self.suid
        {
            return Err(Errno::EPERM);
        }
        let old_ruid = self.uid;
        if ruid != UNCHANGED {
            self.uid = ruid;
        }
        if euid != UNCHANGED {
            self.euid = euid;
        }
        if ruid != UNCHANGED || (euid != UNCHANGED && euid != old_ruid) {
            self.suid = self.euid;
        }
        self.fsuid = self.euid;
        Ok(())
    }

    /// `setregid(rgid, egid)`: the gid twin of [`Cred::setreuid`].
    pub fn setregid(&mut self, rgid: u32, egid: u32) -> Result<(), Errno> {
        let privileged = self.is_privileged();
        if rgid != UNCHANGED && !privileged && rgid != self.gid && rgid != self.egid {
            return Err(Errno::EPERM);
        }
        if egid != UNCHANGED
            && !privileged
            && egid != self.gid
            && egid != self.egid
            && egid != self.sgid
        {
            return Err(Errno::EPERM);
        }
        let old_rgid = self.gid;
        if rgid != UNCHANGED {
            self.gid = rgid;
        }
        if egid != UNCHANGED {
            self.egid = egid;
        }
        if rgid != UNCHANGED || (egid != UNCHANGED && egid != old_rgid) {
            self.sgid = self.egid;
        }
        self.fsgid = self.egid;
        Ok(())
    }

    /// `setresuid(ruid, euid, suid)` (-1 leaves one unchanged). Unprivileged, each new id must be one of the
    /// current real, effective and saved uids. The filesystem uid follows the effective uid.
    pub fn setresuid(&mut self, ruid: u32, euid: u32, suid: u32) -> Result<(), Errno> {
        let current = [self.uid, self.euid, self.suid];
        let allowed = |id: u32| id == UNCHANGED || current.contains(&id);
        if !(self.is_privileged() || [ruid, euid, suid].into_iter().all(allowed)) {
            return Err(Errno::EPERM);
        }
        if ruid != UNCHANGED {
            self.uid = ruid;
        }
        if euid != UNCHANGED {
            self.euid = euid;
        }
        if suid != UNCHANGED {
            self.suid = suid;
        }
        self.fsuid = self.euid;
        Ok(())
    }

    /// `setresgid(rgid, egid, sgid)`: the gid twin of [`Cred::setresuid`].
    pub fn setresgid(&mut self, rgid: u32, egid: u32, sgid: u32) -> Result<(), Errno> {
        let current = [self.gid, self.egid, self.sgid];
        let allowed = |id: u32| id == UNCHANGED || current.contains(&id);
        if !(self.is_privileged() || [rgid, egid, sgid].into_iter().all(allowed)) {
            return Err(Errno::EPERM);
        }
        if rgid != UNCHANGED {
            self.gid = rgid;
        }
        if egid != UNCHANGED {
            self.egid = egid;
        }
        if sgid != UNCHANGED {
            self.sgid = sgid;
        }
        self.fsgid = self.egid;
        Ok(())
    }

    /// `setfsuid(uid)`: returns the previous filesystem uid whatever happens; the new one is taken when it is
    /// valid and one of the real, effective, saved or filesystem uids, or the caller is privileged.
    pub fn setfsuid(&mut self, uid: u32) -> u32 {
        let old = self.fsuid;
        let known = [self.uid, self.euid, self.suid, self.fsuid].contains(&uid);
        if uid != UNCHANGED && (known || self.is_privileged()) {
            self.fsuid = uid;
        }
        old
    }

    /// `setfsgid(gid)`: the gid twin of [`Cred::setfsuid`].
    pub fn setfsgid(&mut self, gid: u32) -> u32 {
        let old = self.fsgid;
        let known = [self.gid, self.egid, self.sgid, self.fsgid].contains(&gid);
        if gid != UNCHANGED && (known || self.is_privileged()) {
            self.fsgid = gid;
        }
        old
    }

    /// What execve does to the ids of a program without set-id bits: the saved and filesystem ids become the
    /// effective ones (so a process that kept a saved root uid loses it by exec'ing).
    pub fn exec(&mut self) {
        self.suid = self.euid;
        self.fsuid = self.euid;
        self.sgid = self.egid;
        self.fsgid = self.egid;
    }

    /// `setgroups` after [`crate::setgroups_count`] allowed it and the list was read: EINVAL for a -1 entry;
    /// the list is kept sorted, as Linux's `groups_sort` leaves it (and `getgroups` returns it).
    pub fn set_groups(&mut self, mut groups: Vec<u32>) -> Result<(), Errno> {
        if groups.contains(&UNCHANGED) {
            return Err(Errno::EINVAL);
        }
        groups.sort_unstable();
        self.groups = groups;
        Ok(())
    }
}
