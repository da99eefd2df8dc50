//! POSIX record locks on one file, as fcntl(2) sees them: byte ranges locked for reading (shared) or writing
//! (exclusive) by an owner (a descriptor table for F_SETLK, an open file description for F_OFD_SETLK). An
//! owner's own locks never conflict with each other: setting a lock replaces whatever the owner held in that
//! range, splitting and merging ranges as Linux's posix_lock_inode does.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

/// Linux's OFFSET_MAX: the last byte a lock can cover.
pub const OFFSET_MAX: i64 = i64::MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Read,
    Write,
}

/// One lock: bytes `start..=end` held by `owner` (`pid` is what F_GETLK reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lock {
    pub owner: u64,
    pub pid: i32,
    pub start: i64,
    pub end: i64,
    pub kind: Kind,
}

/// Why a range is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeError {
    /// EINVAL: the range starts before byte 0.
    Invalid,
    /// EOVERFLOW: the range ends past OFFSET_MAX.
    Overflow,
}

/// The inclusive byte range of `struct flock` (`start` already made absolute: l_start plus 0, the position or
/// the size by l_whence; `len` is l_len): Linux's flock_to_posix_lock.
pub fn range(start: i64, len: i64) -> Result<(i64, i64), RangeError> {
    if start < 0 {
        return Err(RangeError::Invalid);
    }
    if len > 0 {
        if len - 1 > OFFSET_MAX - start {
            return Err(RangeError::Overflow);
        }
        Ok((start, start + (len - 1)))
    } else if len < 0 {
        if start + len < 0 {
            return Err(RangeError::Invalid);
        }
        Ok((start + len, start - 1))
    } else {
        Ok((start, OFFSET_MAX))
    }
}

fn overlaps(l: &Lock, start: i64, end: i64) -> bool {
    l.start <= end && start <= l.end
}

/// The locks of one file.
#[derive(Debug, Default, Clone)]
pub struct FileLocks {
    locks: Vec<Lock>,
}

impl FileLocks {
    pub fn is_empty(&self) -> bool {
        self.locks.is_empty()
    }

    pub fn locks(&self) -> &[Lock] {
        &self.locks
    }

    /// The first lock of another owner that keeps `owner` from taking `kind` on `start..=end`.
    pub fn conflict(&self, owner: u64, start: i64, end: i64, kind: Kind) -> Option<Lock> {
        self.locks
            .iter()
            .find(|l| {
                l.owner != owner
                    && overlaps(l, start, end)
                    && (kind == Kind::Write || l.kind == Kind::Write)
            })
            .copied()
    }

    /// Set (`Some(kind)`) or remove (`None`) `owner`'s lock on `start..=end`. The caller checked `conflict`.
    pub fn set(&mut self, owner: u64, pid: i32, start: i64, end: i64, kind: Option<Kind>) {
        let mut mine: Vec<Lock> = Vec::new();
        let mut others: Vec<Lock> = Vec::new();
        for l in self.locks.drain(..) {
            if l.owner == owner {
                mine.push(l);
            } else {
                others.push(l);
            }
        }
        let mut kept: Vec<Lock> = Vec::new();
        for l in mine {
            if !overlaps(&l, start, end) {
                kept.push(l);
                continue;
            }
            // The parts outside the new range survive with their old kind.
            if l.start < start {
                kept.push(Lock {
                    end: start - 1,
                    ..l
                });
            }
            if l.end > end {
                kept.push(Lock {
                    start: end + 1,
                    ..l
                });
            }
        }
        if let Some(kind) = kind {
            kept.push(Lock {
                owner,
                pid,
                start,
                end,
                kind,
            });
        }
        kept.sort_by_key(|l| l.start);
        // Merge touching ranges of the same kind.
        let mut merged: Vec<Lock> = Vec::new();
        for l in kept {
            match merged.last_mut() {
                Some(prev)
                    if prev.kind == l.kind && prev.end != OFFSET_MAX && prev.end + 1 >= l.start =>
                {
                    prev.end = prev.end.max(l.end);
                }
                _ => merged.push(l),
            }
        }
        others.extend(merged);
        self.locks = others;
    }

    /// Drop every lock of `owner` (its last close of the file, or exit).
    pub fn remove_owner(&mut self, owner: u64) {
        self.locks.retain(|l| l.owner != owner);
    }
}

/// Who waits for whom (F_SETLKW). Linux checks only POSIX owners for deadlocks, following the chain of
/// waiters from the lock's holder; a chain back to the requester is EDEADLK.
#[derive(Debug, Default)]
pub struct WaitGraph {
    waits_for: BTreeMap<u64, u64>,
}

impl WaitGraph {
    pub const fn new() -> WaitGraph {
        WaitGraph {
            waits_for: BTreeMap::new(),
        }
    }
}

/// Longest chain followed (Linux's MAX_DEADLK_ITERATIONS).
const MAX_CHAIN: usize = 10;

impl WaitGraph {
    pub fn would_deadlock(&self, me: u64, blocker: u64) -> bool {
        let mut cur = blocker;
        for _ in 0..MAX_CHAIN {
            if cur == me {
                return true;
            }
            match self.waits_for.get(&cur) {
                Some(&next) => cur = next,
                None => return false,
            }
        }
        false
    }

    pub fn wait(&mut self, me: u64, blocker: u64) {
        self.waits_for.insert(me, blocker);
    }

    pub fn done(&mut self, me: u64) {
        self.waits_for.remove(&me);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_like_linux() {
        assert_eq!(range(10, 5), Ok((10, 14)));
        assert_eq!(range(10, 0), Ok((10, OFFSET_MAX)));
        assert_eq!(range(10, -5), Ok((5, 9)));
        assert_eq!(range(3, -5), Err(RangeError::Invalid));
        assert_eq!(range(-1, 5), Err(RangeError::Invalid));
        assert_eq!(range(OFFSET_MAX, 2), Err(RangeError::Overflow));
        assert_eq!(range(OFFSET_MAX, 1), Ok((OFFSET_MAX, OFFSET_MAX)));
    }

    fn spans(f: &FileLocks, owner: u64) -> Vec<(i64, i64, Kind)> {
        let mut v: Vec<_> = f
            .locks()
            .iter()
            .filter(|l| l.owner == owner)
            .map(|l| (l.start, l.end, l.kind))
            .collect();
        v.sort_by_key(|s| s.0);
        v
    }

    #[test]
    fn split_and_merge() {
        let mut f = FileLocks::default();
        f.set(1, 1, 0, 99, Some(Kind::Read));
        f.set(1, 1, 40, 59, Some(Kind::Write));
        assert_eq!(
            spans(&f, 1),
            [
                (0, 39, Kind::Read),
                (40, 59, Kind::Write),
                (60, 99, Kind::Read)
            ]
        );
        f.set(1, 1, 40, 59, Some(Kind::Read));
        assert_eq!(spans(&f, 1), [(0, 99, Kind::Read)]);
        f.set(1, 1, 10, 19, None);
        assert_eq!(spans(&f, 1), [(0, 9, Kind::Read), (20, 99, Kind::Read)]);
        f.set(1, 1, 100, 109, Some(Kind::Read));
        assert_eq!(spans(&f, 1), [(0, 9, Kind::Read), (20, 109, Kind::Read)]);
    }

    #[test]
    fn conflicts_between_owners_only() {
        let mut f = FileLocks::default();
        f.set(1, 1, 0, 9, Some(Kind::Read));
        assert_eq!(f.conflict(1, 0, 9, Kind::Write), None);
        assert_eq!(f.conflict(2, 5, 20, Kind::Read), None);
        assert_eq!(f.conflict(2, 5, 20, Kind::Write).map(|l| l.owner), Some(1));
        assert_eq!(f.conflict(2, 10, 20, Kind::Write), None);
        f.remove_owner(1);
        assert!(f.is_empty());
    }

    #[test]
    fn deadlock_chain() {
        let mut g = WaitGraph::default();
        g.wait(2, 1);
        assert!(g.would_deadlock(1, 2));
        assert!(!g.would_deadlock(3, 2));
        g.done(2);
        assert!(!g.would_deadlock(1, 2));
    }
}
