//! Resource limits as Linux keeps them per process: the `RLIMIT_*` table with Linux's boot defaults, the rules of
//! `setrlimit`/`prlimit64` (checked in Linux's order, so a request with several problems gets Linux's error), and
//! the `RLIMIT_FSIZE` rule that `write` and `truncate` apply. The kernel stores one [`Rlimits`] per process (copied
//! by fork, kept over exec) and enforces the limits where the resource is used.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use basalt_linux_abi::Errno;

/// "No limit".
pub const RLIM_INFINITY: u64 = u64::MAX;
/// Number of resources (`RLIM_NLIMITS`).
pub const RLIM_NLIMITS: usize = 16;
/// Linux's default `fs.nr_open`: the most descriptors a process may ever have (`RLIMIT_NOFILE`'s ceiling).
pub const NR_OPEN: u64 = 1 << 20;

/// A resource number (`RLIMIT_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Resource(u32);

impl Resource {
    /// CPU time in seconds.
    pub const CPU: Resource = Resource(0);
    /// Largest file a process may create, in bytes.
    pub const FSIZE: Resource = Resource(1);
    /// Data segment size.
    pub const DATA: Resource = Resource(2);
    /// Main thread stack size.
    pub const STACK: Resource = Resource(3);
    /// Core dump size.
    pub const CORE: Resource = Resource(4);
    /// Resident set size.
    pub const RSS: Resource = Resource(5);
    /// Number of processes of the user.
    pub const NPROC: Resource = Resource(6);
    /// One more than the highest descriptor number.
    pub const NOFILE: Resource = Resource(7);
    /// Locked memory.
    pub const MEMLOCK: Resource = Resource(8);
    /// Address space size.
    pub const AS: Resource = Resource(9);
    /// File locks.
    pub const LOCKS: Resource = Resource(10);
    /// Queued signals.
    pub const SIGPENDING: Resource = Resource(11);
    /// POSIX message queue bytes.
    pub const MSGQUEUE: Resource = Resource(12);
    /// Ceiling of the nice value.
    pub const NICE: Resource = Resource(13);
    /// Ceiling of the real-time priority.
    pub const RTPRIO: Resource = Resource(14);
    /// Real-time CPU time without blocking.
    pub const RTTIME: Resource = Resource(15);

    /// The resource with number `n`; `EINVAL` for numbers Linux does not know.
    pub fn from_number(n: u32) -> Result<Resource, Errno> {
        if (n as usize) < RLIM_NLIMITS {
            Ok(Resource(n))
        } else {
            Err(Errno::EINVAL)
        }
    }

    fn index(self) -> usize {
        self.0 as usize
    }
}

/// One limit: the soft value enforced, and the hard ceiling of the soft value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rlimit {
    /// Enforced value (`rlim_cur`).
    pub soft: u64,
    /// Ceiling for `soft` (`rlim_max`).
    pub hard: u64,
}

impl Rlimit {
    /// A limit of `soft` and `hard`.
    pub const fn new(soft: u64, hard: u64) -> Rlimit {
        Rlimit { soft, hard }
    }

    /// `struct rlimit` / `struct rlimit64` as user space lays it out.
    pub fn to_bytes(self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.soft.to_le_bytes());
        b[8..].copy_from_slice(&self.hard.to_le_bytes());
        b
    }

    /// Reads a `struct rlimit64`.
    pub fn from_bytes(b: [u8; 16]) -> Rlimit {
        let mut soft = [0u8; 8];
        let mut hard = [0u8; 8];
        soft.copy_from_slice(&b[..8]);
        hard.copy_from_slice(&b[8..]);
        Rlimit::new(u64::from_le_bytes(soft), u64::from_le_bytes(hard))
    }
}

const INF: Rlimit = Rlimit::new(RLIM_INFINITY, RLIM_INFINITY);

/// Every limit of one process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rlimits([Rlimit; RLIM_NLIMITS]);

impl Default for Rlimits {
    fn default() -> Self {
        Rlimits::linux_defaults()
    }
}

impl Rlimits {
    /// What Linux gives init (`INIT_RLIMITS`, with the boot-time values of `RLIMIT_NPROC` and
    /// `RLIMIT_SIGPENDING` for a small machine).
    pub const fn linux_defaults() -> Rlimits {
        let mut l = [INF; RLIM_NLIMITS];
        l[Resource::STACK.0 as usize] = Rlimit::new(8 << 20, RLIM_INFINITY);
        l[Resource::CORE.0 as usize] = Rlimit::new(0, RLIM_INFINITY);
        l[Resource::NPROC.0 as usize] = Rlimit::new(4096, 4096);
        l[Resource::NOFILE.0 as usize] = Rlimit::new(1024, 4096);
        l[Resource::MEMLOCK.0 as usize] = Rlimit::new(8 << 20, 8 << 20);
        l[Resource::SIGPENDING.0 as usize] = Rlimit::new(4096, 4096);
        l[Resource::MSGQUEUE.0 as usize] = Rlimit::new(819_200, 819_200);
        l[Resource::NICE.0 as usize] = Rlimit::new(0, 0);
        l[Resource::RTPRIO.0 as usize] = Rlimit::new(0, 0);
        Rlimits(l)
    }

    /// The limit on `resource`.
    pub fn get(&self, resource: Resource) -> Rlimit {
        self.0[resource.index()]
    }

    /// The enforced (soft) value of `resource`.
    pub fn soft(&self, resource: Resource) -> u64 {
        self.get(resource).soft
    }

    /// `setrlimit`: replaces the limit on `resource` with `new` and returns the old one. Linux's checks, in order:
    /// soft above hard `EINVAL`; `RLIMIT_NOFILE` above `nr_open` `EPERM` (even for root); raising the hard limit
    /// `EPERM` unless `may_raise_hard` (the caller holds `CAP_SYS_RESOURCE`). Nothing changes on error.
    pub fn set(
        &mut self,
        resource: Resource,
        new: Rlimit,
        may_raise_hard: bool,
    ) -> Result<Rlimit, Errno> {
        check_new(resource, new)?;
        let old = self.get(resource);
        if new.hard > old.hard && !may_raise_hard {
            return Err(Errno::EPERM);
        }
        self.0[resource.index()] = new;
        Ok(old)
    }
}

/// The checks Linux makes on a new limit before looking at the current one.
pub fn check_new(resource: Resource, new: Rlimit) -> Result<(), Errno> {
    if new.soft > new.hard {
        return Err(Errno::EINVAL);
    }
    if resource == Resource::NOFILE && new.hard > NR_OPEN {
        return Err(Errno::EPERM);
    }
    Ok(())
}

/// A write or truncate would pass `RLIMIT_FSIZE`: the kernel sends `SIGXFSZ` and fails with `EFBIG`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileTooBig;

/// Linux's `generic_write_check_limits`: how many of `count` bytes a write at `pos` may store under the file-size
/// limit `limit` (a write is shortened to end at the limit; one starting at or past it fails). An empty write is
/// never refused.
pub fn write_allowance(pos: u64, count: usize, limit: u64) -> Result<usize, FileTooBig> {
    if count == 0 || limit == RLIM_INFINITY {
        return Ok(count);
    }
    if pos >= limit {
        return Err(FileTooBig);
    }
    let room = limit - pos;
    Ok(usize::try_from(room).map_or(count, |room| room.min(count)))
}

/// Linux's `inode_newsize_ok`: growing a file from `old_size` to `new_size` must stay within `limit`; shrinking is
/// always allowed.
pub fn check_new_size(old_size: u64, new_size: u64, limit: u64) -> Result<(), FileTooBig> {
    if new_size > old_size && limit != RLIM_INFINITY && new_size > limit {
        return Err(FileTooBig);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_numbers() {
        assert_eq!(Resource::from_number(7), Ok(Resource::NOFILE));
        assert_eq!(Resource::from_number(15), Ok(Resource::RTTIME));
        assert_eq!(Resource::from_number(16), Err(Errno::EINVAL));
        assert_eq!(Resource::from_number(u32::MAX), Err(Errno::EINVAL));
    }

    #[test]
    fn defaults_match_linux() {
        let l = Rlimits::linux_defaults();
        assert_eq!(l.get(Resource::NOFILE), Rlimit::new(1024, 4096));
        assert_eq!(l.get(Resource::STACK), Rlimit::new(8 << 20, RLIM_INFINITY));
        assert_eq!(l.get(Resource::CORE), Rlimit::new(0, RLIM_INFINITY));
        assert_eq!(l.get(Resource::AS), INF);
        assert_eq!(l.get(Resource::FSIZE), INF);
    }

    #[test]
    fn set_checks_in_linux_order() {
        let mut l = Rlimits::linux_defaults();
        // soft > hard wins over nr_open.
        assert_eq!(
            l.set(Resource::NOFILE, Rlimit::new(1 << 31, 1 << 30), true),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            l.set(Resource::NOFILE, Rlimit::new(1 << 30, 1 << 30), true),
            Err(Errno::EPERM)
        );
        assert_eq!(
            l.set(Resource::NOFILE, Rlimit::new(NR_OPEN, NR_OPEN), true),
            Ok(Rlimit::new(1024, 4096))
        );
        assert_eq!(l.soft(Resource::NOFILE), NR_OPEN);
    }

    #[test]
    fn raising_hard_needs_privilege() {
        let mut l = Rlimits::linux_defaults();
        assert!(l
            .set(Resource::NOFILE, Rlimit::new(100, 100), false)
            .is_ok());
        assert_eq!(
            l.set(Resource::NOFILE, Rlimit::new(100, 200), false),
            Err(Errno::EPERM)
        );
        assert_eq!(l.get(Resource::NOFILE), Rlimit::new(100, 100));
        // Lowering, or raising soft up to hard, is always allowed.
        assert!(l.set(Resource::NOFILE, Rlimit::new(50, 90), false).is_ok());
        assert!(l.set(Resource::NOFILE, Rlimit::new(90, 90), false).is_ok());
        assert!(l.set(Resource::NOFILE, Rlimit::new(90, 200), true).is_ok());
    }

    #[test]
    fn byte_layout_round_trips() {
        let r = Rlimit::new(10, RLIM_INFINITY);
        assert_eq!(Rlimit::from_bytes(r.to_bytes()), r);
        assert_eq!(&r.to_bytes()[..8], &10u64.to_le_bytes());
    }

    #[test]
    fn write_allowance_rules() {
        assert_eq!(write_allowance(0, 20, 10), Ok(10));
        assert_eq!(write_allowance(10, 20, 10), Err(FileTooBig));
        assert_eq!(write_allowance(11, 0, 10), Ok(0));
        assert_eq!(write_allowance(5, 3, 10), Ok(3));
        assert_eq!(write_allowance(1 << 40, 7, RLIM_INFINITY), Ok(7));
    }

    #[test]
    fn new_size_rules() {
        assert_eq!(check_new_size(0, 11, 10), Err(FileTooBig));
        assert_eq!(check_new_size(0, 10, 10), Ok(()));
        assert_eq!(check_new_size(100, 20, 10), Ok(()));
        assert_eq!(check_new_size(0, 1 << 50, RLIM_INFINITY), Ok(()));
    }
}
