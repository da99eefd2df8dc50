//! timerfd expiry arithmetic: an armed timer has a next expiry and an interval; reads collect the expirations
//! that have passed. Times are nanoseconds on the timer's clock.

/// The state of one timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Timer {
    /// The next expiry (None: disarmed).
    next: Option<u64>,
    interval: u64,
    /// Expirations counted but not yet read.
    pending: u64,
}

/// What timerfd_gettime reports: time to the next expiry (0 when disarmed) and the interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    pub remaining: u64,
    pub interval: u64,
}

impl Timer {
    /// Account for expirations up to `now`.
    pub fn advance(&mut self, now: u64) {
        let Some(next) = self.next else { return };
        if now < next {
            return;
        }
        match (now - next).checked_div(self.interval) {
            None => {
                self.pending = self.pending.saturating_add(1);
                self.next = None;
            }
            Some(whole) => {
                let periods = whole + 1;
                self.pending = self.pending.saturating_add(periods);
                self.next = next.checked_add(periods.saturating_mul(self.interval));
            }
        }
    }

    /// Arm (value > 0) or disarm (value == 0). `value` is absolute when `absolute`, else relative to `now`.
    /// Returns the previous setting. Unread expirations are dropped, as on Linux.
    pub fn set(&mut self, now: u64, value: u64, interval: u64, absolute: bool) -> Setting {
        let old = self.get(now);
        self.pending = 0;
        self.interval = interval;
        self.next = if value == 0 {
            None
        } else if absolute {
            Some(value)
        } else {
            Some(now.saturating_add(value))
        };
        old
    }

    /// The current setting (after accounting for expirations up to `now`).
    pub fn get(&mut self, now: u64) -> Setting {
        self.advance(now);
        Setting {
            remaining: self.next.map_or(0, |n| n.saturating_sub(now).max(1)),
            interval: self.interval,
        }
    }

    /// read(2): the expirations so far, or None when there are none (the reader waits).
    pub fn take(&mut self, now: u64) -> Option<u64> {
        self.advance(now);
        (self.pending > 0).then(|| core::mem::take(&mut self.pending))
    }

    /// Whether a read would complete at `now`.
    pub fn expired(&mut self, now: u64) -> bool {
        self.advance(now);
        self.pending > 0
    }

    /// The next expiry, if armed (the time at which the timer becomes readable by itself).
    pub fn next_expiry(&self) -> Option<u64> {
        self.next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_shot_relative() {
        let mut t = Timer::default();
        assert_eq!(t.set(100, 50, 0, false).remaining, 0);
        assert_eq!(t.take(149), None);
        assert_eq!(t.get(120).remaining, 30);
        assert_eq!(t.take(150), Some(1));
        assert_eq!(t.take(1000), None);
        assert_eq!(
            t.get(1000),
            Setting {
                remaining: 0,
                interval: 0
            }
        );
    }

    #[test]
    fn periodic_counts_every_period() {
        let mut t = Timer::default();
        t.set(0, 10, 5, true);
        assert_eq!(t.take(9), None);
        assert_eq!(t.take(10), Some(1));
        assert_eq!(t.take(27), Some(3)); // 15, 20, 25
        assert_eq!(t.next_expiry(), Some(30));
        assert_eq!(t.get(27).remaining, 3);
    }

    #[test]
    fn rearming_drops_unread_expirations() {
        let mut t = Timer::default();
        t.set(0, 1, 0, false);
        assert!(t.expired(5));
        t.set(5, 0, 0, false);
        assert_eq!(t.take(100), None);
    }

    #[test]
    fn absolute_in_the_past_fires_at_once() {
        let mut t = Timer::default();
        t.set(100, 10, 0, true);
        assert_eq!(t.take(100), Some(1));
    }
}
