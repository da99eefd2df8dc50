//! Scheduling attributes Linux keeps per thread and the rules of the calls that change them: the CPU affinity
//! mask (`sched_setaffinity`/`sched_getaffinity`) and the nice value (`getpriority`/`setpriority`).
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use basalt_linux_abi::Errno;

/// Most CPUs a mask describes (the kernel's `MAX_CPUS`); `cpumask_size()` is one 64-bit word.
pub const MAX_CPUS: usize = 64;
/// Bytes of Linux's `cpumask_size()` for up to [`MAX_CPUS`] CPUs.
pub const MASK_BYTES: usize = 8;

/// A set of CPUs by index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CpuMask(u64);

impl CpuMask {
    /// No CPU.
    pub const EMPTY: CpuMask = CpuMask(0);
    /// Every CPU there could be (what a new thread may run on).
    pub const ALL: CpuMask = CpuMask(u64::MAX);

    /// The first `count` CPUs (the online ones).
    pub fn first(count: usize) -> CpuMask {
        if count >= MAX_CPUS {
            CpuMask::ALL
        } else {
            CpuMask((1u64 << count) - 1)
        }
    }

    /// The mask with these bits.
    pub const fn from_bits(bits: u64) -> CpuMask {
        CpuMask(bits)
    }

    /// The bits.
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// Whether `cpu` is in the set.
    pub fn contains(self, cpu: usize) -> bool {
        cpu < MAX_CPUS && self.0 & (1 << cpu) != 0
    }

    /// CPUs in both sets.
    pub fn and(self, other: CpuMask) -> CpuMask {
        CpuMask(self.0 & other.0)
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The lowest CPU in the set.
    pub fn first_cpu(self) -> Option<usize> {
        (self.0 != 0).then(|| self.0.trailing_zeros() as usize)
    }

    /// `sched_setaffinity`'s mask from the user's `bytes` (`get_user_cpu_mask`: a shorter buffer is zero-extended,
    /// a longer one's excess ignored), restricted to the `online` CPUs. `EINVAL` when no online CPU remains.
    pub fn from_user(bytes: &[u8], online: CpuMask) -> Result<CpuMask, Errno> {
        let mut word = [0u8; MASK_BYTES];
        let n = bytes.len().min(MASK_BYTES);
        word[..n].copy_from_slice(&bytes[..n]);
        let mask = CpuMask(u64::from_le_bytes(word)).and(online);
        if mask.is_empty() {
            return Err(Errno::EINVAL);
        }
        Ok(mask)
    }

    /// `sched_getaffinity`'s answer for a buffer of `len` bytes with `online_count` CPUs online: the bytes to copy
    /// out (also the return value's length). `EINVAL` when the buffer cannot hold a bit per CPU or is not a whole
    /// number of words.
    pub fn to_user(self, len: u64, online_count: usize) -> Result<[u8; MASK_BYTES], Errno> {
        if len.saturating_mul(8) < online_count as u64 || !len.is_multiple_of(8) {
            return Err(Errno::EINVAL);
        }
        Ok(self.and(CpuMask::first(online_count)).0.to_le_bytes())
    }
}

/// Lowest (most favoured) nice value.
pub const NICE_MIN: i32 = -20;
/// Highest nice value.
pub const NICE_MAX: i32 = 19;

/// What `getpriority`/`setpriority` select by (`which`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PriorityTarget {
    /// `PRIO_PROCESS`: one thread by id (0: the caller).
    Process,
    /// `PRIO_PGRP`: every thread of a process group (0: the caller's).
    ProcessGroup,
    /// `PRIO_USER`: every thread of a user (0: the caller's real uid).
    User,
}

impl PriorityTarget {
    /// The target kind for `which`; `EINVAL` for anything else.
    pub fn from_which(which: i32) -> Result<PriorityTarget, Errno> {
        match which {
            0 => Ok(PriorityTarget::Process),
            1 => Ok(PriorityTarget::ProcessGroup),
            2 => Ok(PriorityTarget::User),
            _ => Err(Errno::EINVAL),
        }
    }
}

/// `setpriority` clamps the requested nice value into `[-20, 19]`.
pub fn clamp_nice(requested: i32) -> i8 {
    requested.clamp(NICE_MIN, NICE_MAX) as i8
}

/// The raw `getpriority` return for the highest-priority (lowest) nice value found: `20 - nice`, in `1..=40`,
/// so that it is never mistaken for an error.
pub fn getpriority_value(nice: i8) -> usize {
    (20 - i32::from(nice)) as usize
}

/// Timer ticks a thread may run before being preempted, from its nice value: the default slice at nice 0, more
/// for favoured threads and less for nice ones (a coarse version of CFS's weights), at least one tick.
pub fn slice_ticks(nice: i8, default_ticks: u64) -> u64 {
    let nice = i64::from(nice);
    // Roughly 10% of CPU share per nice step, as CFS's weight table: halve or double every 7 steps.
    let scaled = if nice >= 0 {
        (default_ticks as i64 * 8) >> (nice / 7)
    } else {
        (default_ticks as i64 * 8) << ((-nice) / 7)
    };
    ((scaled / 8).max(1)) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_masks() {
        let online = CpuMask::first(2);
        assert_eq!(CpuMask::from_user(&[0xff; 128], online), Ok(online));
        assert_eq!(CpuMask::from_user(&[0; 128], online), Err(Errno::EINVAL));
        // Only offline CPUs: EINVAL.
        assert_eq!(CpuMask::from_user(&[0x04], online), Err(Errno::EINVAL));
        assert_eq!(
            CpuMask::from_user(&[0x02], online),
            Ok(CpuMask::from_bits(2))
        );
        assert_eq!(CpuMask::from_user(&[], online), Err(Errno::EINVAL));
    }

    #[test]
    fn getaffinity_sizes() {
        let mask = CpuMask::from_bits(0b10);
        assert_eq!(mask.to_user(128, 2), Ok(2u64.to_le_bytes()));
        assert_eq!(mask.to_user(12, 2), Err(Errno::EINVAL));
        assert_eq!(mask.to_user(0, 2), Err(Errno::EINVAL));
        assert_eq!(CpuMask::ALL.to_user(8, 3), Ok(7u64.to_le_bytes()));
    }

    #[test]
    fn mask_queries() {
        assert_eq!(CpuMask::first(64), CpuMask::ALL);
        assert_eq!(CpuMask::first(0), CpuMask::EMPTY);
        assert!(CpuMask::first(3).contains(2));
        assert!(!CpuMask::first(3).contains(3));
        assert!(!CpuMask::ALL.contains(64));
        assert_eq!(CpuMask::from_bits(0b1100).first_cpu(), Some(2));
        assert_eq!(CpuMask::EMPTY.first_cpu(), None);
    }

    #[test]
    fn priority_rules() {
        assert_eq!(PriorityTarget::from_which(0), Ok(PriorityTarget::Process));
        assert_eq!(PriorityTarget::from_which(2), Ok(PriorityTarget::User));
        assert_eq!(PriorityTarget::from_which(42), Err(Errno::EINVAL));
        assert_eq!(PriorityTarget::from_which(-1), Err(Errno::EINVAL));
        assert_eq!(clamp_nice(100), 19);
        assert_eq!(clamp_nice(-100), -20);
        assert_eq!(clamp_nice(5), 5);
        assert_eq!(getpriority_value(0), 20);
        assert_eq!(getpriority_value(5), 15);
        assert_eq!(getpriority_value(-20), 40);
        assert_eq!(getpriority_value(19), 1);
    }

    #[test]
    fn slices_follow_nice() {
        assert_eq!(slice_ticks(0, 2), 2);
        assert_eq!(slice_ticks(19, 2), 1);
        assert_eq!(slice_ticks(-20, 2), 8);
        assert!(slice_ticks(-7, 2) > slice_ticks(0, 2));
    }
}
