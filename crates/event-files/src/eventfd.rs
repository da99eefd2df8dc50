//! The eventfd counter (eventfd(2)): writes add, reads take the whole count (or one, in semaphore mode).

/// The largest value the counter may hold; a write that would pass it waits.
pub const MAX: u64 = u64::MAX - 1;

/// Why a counter operation cannot complete now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The operation must wait (or fail with EAGAIN when non-blocking).
    WouldBlock,
    /// The value is never accepted (writing 0xffffffffffffffff): EINVAL.
    Invalid,
}

/// An eventfd's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counter {
    value: u64,
    semaphore: bool,
}

impl Counter {
    pub const fn new(initial: u32, semaphore: bool) -> Counter {
        Counter {
            value: initial as u64,
            semaphore,
        }
    }

    pub fn value(&self) -> u64 {
        self.value
    }

    /// read(2): the count (and reset to 0), or 1 (and decrement) in semaphore mode; waits while the count is 0.
    pub fn read(&mut self) -> Result<u64, Refused> {
        if self.value == 0 {
            return Err(Refused::WouldBlock);
        }
        let got = if self.semaphore { 1 } else { self.value };
        self.value -= got;
        Ok(got)
    }

    /// write(2): add `v`; waits while the sum would pass [`MAX`].
    pub fn write(&mut self, v: u64) -> Result<(), Refused> {
        if v == u64::MAX {
            return Err(Refused::Invalid);
        }
        if MAX - self.value < v {
            return Err(Refused::WouldBlock);
        }
        self.value += v;
        Ok(())
    }

    /// Whether a read would complete now.
    pub fn readable(&self) -> bool {
        self.value > 0
    }

    /// Whether a write of 1 would complete now (Linux's POLLOUT rule).
    pub fn writable(&self) -> bool {
        self.value < MAX
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_take_everything_or_one() {
        let mut c = Counter::new(3, false);
        c.write(4).unwrap();
        assert_eq!(c.read(), Ok(7));
        assert_eq!(c.read(), Err(Refused::WouldBlock));
        let mut s = Counter::new(2, true);
        assert_eq!(s.read(), Ok(1));
        assert_eq!(s.read(), Ok(1));
        assert_eq!(s.read(), Err(Refused::WouldBlock));
    }

    #[test]
    fn overflow_rules() {
        let mut c = Counter::new(0, false);
        assert_eq!(c.write(u64::MAX), Err(Refused::Invalid));
        c.write(MAX).unwrap();
        assert!(!c.writable());
        assert_eq!(c.write(1), Err(Refused::WouldBlock));
        assert_eq!(c.write(0), Ok(()));
        assert_eq!(c.read(), Ok(MAX));
        assert!(c.writable() && !c.readable());
    }
}
