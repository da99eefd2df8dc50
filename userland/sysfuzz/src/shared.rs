//! Per-worker call counters in memory shared between the supervisor and its workers.
//!
//! A worker publishes its running count after every call; the supervisor reads it to notice progress (the
//! watchdog) and adds the last value to the total when the worker ends, however it ends. A worker's fuzzed calls
//! can scribble over its own view of this memory (say `mprotect` over a guard page, then a long `read`), so each
//! count is stored twice, the second copy inverted: a reading whose copies disagree is refused.

use core::ptr::NonNull;
use core::sync::atomic::{AtomicU64, Ordering};
use std::io;

/// Words per slot: the count and its bitwise complement.
const WORDS_PER_SLOT: usize = 2;

/// One counter per worker slot, in a `MAP_SHARED` anonymous mapping that survives `fork`.
pub struct SharedCounters {
    base: NonNull<AtomicU64>,
    slots: usize,
    bytes: usize,
}

impl SharedCounters {
    /// Maps `slots` counters, all zero.
    pub fn new(slots: usize) -> io::Result<Self> {
        let bytes = slots
            .max(1)
            .checked_mul(WORDS_PER_SLOT * core::mem::size_of::<AtomicU64>())
            .ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
        // SAFETY: an anonymous shared mapping at an address of the kernel's choosing; no existing memory is
        // affected. Anonymous mappings are zeroed, and zero is a valid AtomicU64.
        let address = unsafe {
            libc::mmap(
                core::ptr::null_mut(),
                bytes,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if address == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let base = NonNull::new(address.cast::<AtomicU64>())
            .ok_or_else(|| io::Error::from(io::ErrorKind::AddrNotAvailable))?;
        let counters = Self { base, slots, bytes };
        for slot in 0..slots {
            counters.publish(slot, 0);
        }
        Ok(counters)
    }

    fn words(&self, slot: usize) -> Option<(&AtomicU64, &AtomicU64)> {
        if slot >= self.slots {
            return None;
        }
        // SAFETY: both words of `slot` are in bounds of the mapping, which lives as long as `self`; page-aligned
        // memory is aligned for AtomicU64, and all access goes through atomics.
        unsafe {
            let first = self.base.as_ptr().add(slot * WORDS_PER_SLOT);
            Some((&*first, &*first.add(1)))
        }
    }

    /// Stores `count` for `slot` (ignored past the end).
    pub fn publish(&self, slot: usize, count: u64) {
        if let Some((value, complement)) = self.words(slot) {
            value.store(count, Ordering::Relaxed);
            complement.store(!count, Ordering::Relaxed);
        }
    }

    /// The count of `slot`, or `None` past the end or when the two copies disagree (corrupted, or caught
    /// between the two stores of a running worker).
    pub fn read(&self, slot: usize) -> Option<u64> {
        let (value, complement) = self.words(slot)?;
        let count = value.load(Ordering::Relaxed);
        (complement.load(Ordering::Relaxed) == !count).then_some(count)
    }
}

impl Drop for SharedCounters {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping made in `new`; no reference into it outlives `self`.
        unsafe {
            libc::munmap(self.base.as_ptr().cast(), self.bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_start_at_zero_and_round_trip() {
        let counters = SharedCounters::new(3).expect("mmap");
        assert_eq!(counters.read(2), Some(0));
        counters.publish(2, 7);
        assert_eq!(counters.read(2), Some(7));
        assert_eq!(counters.read(1), Some(0));
        counters.publish(2, 0);
        assert_eq!(counters.read(2), Some(0));
        assert_eq!(counters.read(3), None);
        counters.publish(99, 1);
    }

    #[test]
    fn a_scribbled_counter_is_refused() {
        let counters = SharedCounters::new(1).expect("mmap");
        counters.publish(0, 1000);
        let (value, _) = counters.words(0).unwrap();
        value.store(0xdead_beef_dead_beef, Ordering::Relaxed);
        assert_eq!(counters.read(0), None);
        counters.publish(0, 5);
        assert_eq!(counters.read(0), Some(5));
    }

    #[test]
    fn a_forked_child_writes_where_the_parent_reads() {
        let counters = SharedCounters::new(1).expect("mmap");
        // SAFETY: the child only stores to the shared counter and exits without running destructors.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0);
        if pid == 0 {
            counters.publish(0, 42);
            // SAFETY: ends the child at once, as fork children must in a test harness.
            unsafe { libc::_exit(0) };
        }
        let mut status = 0;
        // SAFETY: waits for the child just created.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert_eq!(counters.read(0), Some(42));
    }
}
