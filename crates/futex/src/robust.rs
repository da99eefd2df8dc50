//! The robust futex list a thread registers with set_robust_list, walked when the thread exits or execs (Linux's
//! `exit_robust_list` / `handle_futex_death`): every lock the thread still holds gets FUTEX_OWNER_DIED and one
//! waiter is woken.
//!
//! Layout (`struct robust_list_head`, 24 bytes): `next` (the first entry; the head itself when empty),
//! `futex_offset` (signed, from an entry to its futex word), `list_op_pending` (an entry being locked or unlocked).
//! Bit 0 of every pointer marks a priority-inheritance futex. The list is in user memory: any pointer may be
//! garbage (a failed read ends the walk) and the list may be circular (at most [`LIST_LIMIT`] entries are walked).

/// `sizeof(struct robust_list_head)`, the only length set_robust_list accepts.
pub const HEAD_SIZE: u64 = 24;
/// Linux's `ROBUST_LIST_LIMIT`: entries walked at most.
pub const LIST_LIMIT: usize = 2048;
/// The futex word has waiters.
pub const FUTEX_WAITERS: u32 = 0x8000_0000;
/// The owner died holding the lock.
pub const FUTEX_OWNER_DIED: u32 = 0x4000_0000;
/// The owner's thread id.
pub const FUTEX_TID_MASK: u32 = 0x3fff_ffff;

/// A word that keeps changing under the compare-and-exchange is retried this often before the walk gives up on
/// it (Linux retries without bound; a bound keeps a hostile program from holding the exiting thread forever).
const CMPXCHG_RETRIES: usize = 1000;

/// The dying thread's user memory, and futex wake-ups. Every access may fail (None).
pub trait RobustMemory {
    /// The 8 bytes at `addr`.
    fn read_u64(&mut self, addr: u64) -> Option<u64>;
    /// The 4 bytes at `addr`.
    fn read_u32(&mut self, addr: u64) -> Option<u32>;
    /// Atomically store `new` at `addr` if it holds `old`; returns the value that was there.
    fn cmpxchg_u32(&mut self, addr: u64, old: u32, new: u32) -> Option<u32>;
    /// Wake one waiter of the (shared) futex at `addr`.
    fn wake_one(&mut self, addr: u64);
}

/// A list pointer: the entry address and its PI bit.
fn fetch_entry(mem: &mut impl RobustMemory, addr: u64) -> Option<(u64, bool)> {
    let raw = mem.read_u64(addr)?;
    Some((raw & !1, raw & 1 != 0))
}

/// Walk the list at `head` for thread `tid`, which is exiting (or exec'ing).
pub fn exit_robust_list(mem: &mut impl RobustMemory, head: u64, tid: u32) {
    let Some((mut entry, mut pi)) = fetch_entry(mem, head) else {
        return;
    };
    let Some(futex_offset) = mem.read_u64(head.wrapping_add(8)) else {
        return;
    };
    let Some((pending, pending_pi)) = fetch_entry(mem, head.wrapping_add(16)) else {
        return;
    };
    let mut limit = LIST_LIMIT;
    while entry != head {
        // Fetch the next entry before this one's lock is given away.
        let next = fetch_entry(mem, entry);
        // A pending lock may already be on the list: handled once, below.
        if entry != pending
            && handle_futex_death(mem, entry.wrapping_add(futex_offset), tid, pi, false).is_err()
        {
            return;
        }
        let Some((next_entry, next_pi)) = next else {
            return;
        };
        entry = next_entry;
        pi = next_pi;
        limit -= 1;
        if limit == 0 {
            break;
        }
    }
    if pending != 0 {
        let _ = handle_futex_death(
            mem,
            pending.wrapping_add(futex_offset),
            tid,
            pending_pi,
            true,
        );
    }
}

/// The lock at `uaddr` if `tid` holds it: mark its owner dead and wake a waiter. Err when the word cannot be
/// reached (the walk stops).
fn handle_futex_death(
    mem: &mut impl RobustMemory,
    uaddr: u64,
    tid: u32,
    pi: bool,
    pending_op: bool,
) -> Result<(), ()> {
    if !uaddr.is_multiple_of(4) {
        return Err(());
    }
    for _ in 0..CMPXCHG_RETRIES {
        let uval = mem.read_u32(uaddr).ok_or(())?;
        let owner = uval & FUTEX_TID_MASK;
        // Unlocked while the thread died in the middle of an unlock (or a woken waiter died before taking it):
        // wake someone without touching the word.
        if pending_op && !pi && owner == 0 {
            mem.wake_one(uaddr);
            return Ok(());
        }
        if owner != tid {
            return Ok(());
        }
        let mval = (uval & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
        let found = mem.cmpxchg_u32(uaddr, uval, mval).ok_or(())?;
        if found != uval {
            continue;
        }
        // PI futexes would be handed over by their PI state, which this kernel does not keep.
        if !pi && uval & FUTEX_WAITERS != 0 {
            mem.wake_one(uaddr);
        }
        return Ok(());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::collections::BTreeMap;
    use std::vec::Vec;

    /// Sparse memory of 4-byte words; reads of unset words fail.
    #[derive(Default)]
    struct Mem {
        words: BTreeMap<u64, u32>,
        woken: Vec<u64>,
        /// Values another thread stores just before each compare-and-exchange.
        interference: Vec<u32>,
    }

    impl Mem {
        fn put64(&mut self, addr: u64, v: u64) {
            self.words.insert(addr, v as u32);
            self.words.insert(addr + 4, (v >> 32) as u32);
        }
        fn put32(&mut self, addr: u64, v: u32) {
            self.words.insert(addr, v);
        }
        fn word(&self, addr: u64) -> u32 {
            self.words[&addr]
        }
    }

    impl RobustMemory for Mem {
        fn read_u64(&mut self, addr: u64) -> Option<u64> {
            let lo = *self.words.get(&addr)? as u64;
            let hi = *self.words.get(&addr.checked_add(4)?)? as u64;
            Some(lo | hi << 32)
        }
        fn read_u32(&mut self, addr: u64) -> Option<u32> {
            self.words.get(&addr).copied()
        }
        fn cmpxchg_u32(&mut self, addr: u64, old: u32, new: u32) -> Option<u32> {
            if let Some(v) = self.interference.pop() {
                self.words.insert(addr, v);
            }
            let w = self.words.get_mut(&addr)?;
            let found = *w;
            if found == old {
                *w = new;
            }
            Some(found)
        }
        fn wake_one(&mut self, addr: u64) {
            self.woken.push(addr);
        }
    }

    const HEAD: u64 = 0x1000;
    const TID: u32 = 42;

    /// A head with `futex_offset` 8 and no pending op, and locks at `entries` (each: next link, then the word).
    fn list(entries: &[(u64, u32)]) -> Mem {
        let mut m = Mem::default();
        m.put64(HEAD + 8, 8);
        m.put64(HEAD + 16, 0);
        let mut prev = HEAD;
        for &(e, word) in entries {
            m.put64(prev, e);
            m.put32(e + 8, word);
            prev = e;
        }
        m.put64(prev, HEAD);
        m
    }

    #[test]
    fn held_lock_gets_owner_died_and_waiter_woken() {
        let mut m = list(&[(0x2000, TID | FUTEX_WAITERS), (0x3000, TID)]);
        exit_robust_list(&mut m, HEAD, TID);
        assert_eq!(m.word(0x2008), FUTEX_WAITERS | FUTEX_OWNER_DIED);
        assert_eq!(m.word(0x3008), FUTEX_OWNER_DIED);
        // Only the lock with waiters wakes anyone.
        assert_eq!(m.woken, [0x2008]);
    }

    #[test]
    fn locks_of_other_threads_are_left_alone() {
        let mut m = list(&[(0x2000, 7 | FUTEX_WAITERS), (0x3000, 0)]);
        exit_robust_list(&mut m, HEAD, TID);
        assert_eq!(m.word(0x2008), 7 | FUTEX_WAITERS);
        assert_eq!(m.word(0x3008), 0);
        assert!(m.woken.is_empty());
    }

    #[test]
    fn empty_list_and_unreadable_head() {
        let mut m = list(&[]);
        exit_robust_list(&mut m, HEAD, TID);
        assert!(m.woken.is_empty());
        let mut m = Mem::default();
        exit_robust_list(&mut m, HEAD, TID);
        exit_robust_list(&mut m, u64::MAX - 3, TID);
    }

    #[test]
    fn garbage_pointer_ends_the_walk_after_the_readable_entries() {
        let mut m = list(&[(0x2000, TID)]);
        // 0x2000's link points into nowhere.
        m.put64(0x2000, 0xdead_0000);
        exit_robust_list(&mut m, HEAD, TID);
        assert_eq!(m.word(0x2008), FUTEX_OWNER_DIED);
    }

    #[test]
    fn unreadable_futex_word_stops_the_walk() {
        let mut m = list(&[(0x2000, TID), (0x3000, TID)]);
        m.words.remove(&0x2008);
        exit_robust_list(&mut m, HEAD, TID);
        assert_eq!(m.word(0x3008), TID);
    }

    #[test]
    fn misaligned_futex_stops_the_walk() {
        let mut m = list(&[(0x2000, TID)]);
        m.put64(HEAD + 8, 6);
        exit_robust_list(&mut m, HEAD, TID);
        assert_eq!(m.word(0x2008), TID);
    }

    #[test]
    fn cycle_is_bounded() {
        // head -> a -> b -> a -> ...: never back at the head.
        let mut m = list(&[(0x2000, TID | FUTEX_WAITERS), (0x3000, 0)]);
        m.put64(0x3000, 0x2000);
        exit_robust_list(&mut m, HEAD, TID);
        assert_eq!(m.word(0x2008), FUTEX_WAITERS | FUTEX_OWNER_DIED);
        // After the first visit the word holds no tid, so the later visits leave it: one wake.
        assert_eq!(m.woken.len(), 1);
    }

    #[test]
    fn self_loop_of_a_held_lock_visits_at_most_the_limit() {
        let mut m = list(&[(0x2000, TID)]);
        m.put64(0x2000, 0x2000);
        struct Counting(Mem, usize);
        impl RobustMemory for Counting {
            fn read_u64(&mut self, addr: u64) -> Option<u64> {
                self.1 += 1;
                self.0.read_u64(addr)
            }
            fn read_u32(&mut self, addr: u64) -> Option<u32> {
                self.0.read_u32(addr)
            }
            fn cmpxchg_u32(&mut self, addr: u64, old: u32, new: u32) -> Option<u32> {
                self.0.cmpxchg_u32(addr, old, new)
            }
            fn wake_one(&mut self, addr: u64) {
                self.0.wake_one(addr)
            }
        }
        let mut c = Counting(m, 0);
        exit_robust_list(&mut c, HEAD, TID);
        // Three head fields plus one link read per visited entry.
        assert_eq!(c.1, 3 + LIST_LIMIT);
    }

    #[test]
    fn pending_op_is_handled_once() {
        let mut m = list(&[(0x2000, TID | FUTEX_WAITERS)]);
        m.put64(HEAD + 16, 0x2000);
        exit_robust_list(&mut m, HEAD, TID);
        assert_eq!(m.word(0x2008), FUTEX_WAITERS | FUTEX_OWNER_DIED);
        assert_eq!(m.woken, [0x2008]);
    }

    #[test]
    fn pending_unlocked_word_wakes_without_change() {
        let mut m = list(&[]);
        m.put64(HEAD + 16, 0x4000);
        m.put32(0x4008, 0);
        exit_robust_list(&mut m, HEAD, TID);
        assert_eq!(m.word(0x4008), 0);
        assert_eq!(m.woken, [0x4008]);
    }

    #[test]
    fn pi_entries_get_owner_died_without_wake() {
        let mut m = list(&[(0x2000, TID | FUTEX_WAITERS)]);
        m.put64(HEAD, 0x2001);
        exit_robust_list(&mut m, HEAD, TID);
        assert_eq!(m.word(0x2008), FUTEX_WAITERS | FUTEX_OWNER_DIED);
        assert!(m.woken.is_empty());
    }

    #[test]
    fn concurrent_change_is_retried() {
        let mut m = list(&[(0x2000, TID)]);
        // A waiter sets FUTEX_WAITERS just before the first exchange.
        m.interference.push(TID | FUTEX_WAITERS);
        exit_robust_list(&mut m, HEAD, TID);
        assert_eq!(m.word(0x2008), FUTEX_WAITERS | FUTEX_OWNER_DIED);
        assert_eq!(m.woken, [0x2008]);
    }

    #[test]
    fn negative_futex_offset() {
        let mut m = Mem::default();
        m.put64(HEAD, 0x2000);
        m.put64(HEAD + 8, (-8i64) as u64);
        m.put64(HEAD + 16, 0);
        m.put64(0x2000, HEAD);
        m.put32(0x1ff8, TID);
        exit_robust_list(&mut m, HEAD, TID);
        assert_eq!(m.word(0x1ff8), FUTEX_OWNER_DIED);
    }
}
