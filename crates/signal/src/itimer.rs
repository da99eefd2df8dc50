//! `setitimer`/`getitimer`/`alarm` arithmetic for ITIMER_REAL, with Linux's
//! validation and rounding. Time is a monotonic clock in nanoseconds.

use crate::error::SignalError;

/// The wall-clock (monotonic) timer that sends SIGALRM.
pub const ITIMER_REAL: i32 = 0;
/// The user-CPU-time timer that sends SIGVTALRM.
pub const ITIMER_VIRTUAL: i32 = 1;
/// The CPU-time timer that sends SIGPROF.
pub const ITIMER_PROF: i32 = 2;
/// Size of `struct timeval`.
pub const TIMEVAL_SIZE: usize = 16;
/// Size of `struct itimerval`.
pub const ITIMERVAL_SIZE: usize = 32;
/// Largest time the kernel represents (`KTIME_MAX`); longer times saturate.
pub const KTIME_MAX_NS: u64 = i64::MAX as u64;

const NS_PER_SEC: u64 = 1_000_000_000;
const NS_PER_USEC: u64 = 1_000;

/// Checks the `which` argument (a C `int`) of `setitimer`/`getitimer`.
pub fn check_which(which_arg: u64) -> Result<i32, SignalError> {
    let which = which_arg as u32 as i32;
    match which {
        ITIMER_REAL | ITIMER_VIRTUAL | ITIMER_PROF => Ok(which),
        _ => Err(SignalError::BadTimerWhich(which)),
    }
}

/// `struct timeval { time_t tv_sec; suseconds_t tv_usec; }`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Timeval {
    /// Seconds.
    pub sec: i64,
    /// Microseconds.
    pub usec: i64,
}

impl Timeval {
    /// Decodes a user `timeval`.
    pub fn from_user_bytes(bytes: &[u8; TIMEVAL_SIZE]) -> Timeval {
        let mut word = [0u8; 8];
        word.copy_from_slice(&bytes[0..8]);
        let sec = i64::from_le_bytes(word);
        word.copy_from_slice(&bytes[8..16]);
        Timeval {
            sec,
            usec: i64::from_le_bytes(word),
        }
    }

    /// Encodes as a user `timeval`.
    pub fn to_user_bytes(&self) -> [u8; TIMEVAL_SIZE] {
        let mut out = [0u8; TIMEVAL_SIZE];
        out[0..8].copy_from_slice(&self.sec.to_le_bytes());
        out[8..16].copy_from_slice(&self.usec.to_le_bytes());
        out
    }

    /// Nanoseconds, refusing (EINVAL) a negative field or `usec` of a million
    /// or more, and saturating at [`KTIME_MAX_NS`] like `timespec64_to_ktime`.
    pub fn to_ns(&self) -> Result<u64, SignalError> {
        let (Ok(sec), Ok(usec)) = (u64::try_from(self.sec), u64::try_from(self.usec)) else {
            return Err(SignalError::BadTimeval);
        };
        if usec >= 1_000_000 {
            return Err(SignalError::BadTimeval);
        }
        if sec >= KTIME_MAX_NS / NS_PER_SEC {
            return Ok(KTIME_MAX_NS);
        }
        Ok(sec * NS_PER_SEC + usec * NS_PER_USEC)
    }

    /// From nanoseconds, truncating to microseconds as Linux does.
    pub const fn from_ns(ns: u64) -> Timeval {
        Timeval {
            sec: (ns / NS_PER_SEC) as i64,
            usec: ((ns % NS_PER_SEC) / NS_PER_USEC) as i64,
        }
    }
}

/// `struct itimerval { struct timeval it_interval, it_value; }` (interval first).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct ITimerVal {
    /// Reload value after each expiry.
    pub interval: Timeval,
    /// Time to the next expiry; zero disarms.
    pub value: Timeval,
}

impl ITimerVal {
    /// Decodes a user `itimerval`.
    pub fn from_user_bytes(bytes: &[u8; ITIMERVAL_SIZE]) -> ITimerVal {
        let mut half = [0u8; TIMEVAL_SIZE];
        half.copy_from_slice(&bytes[0..16]);
        let interval = Timeval::from_user_bytes(&half);
        half.copy_from_slice(&bytes[16..32]);
        ITimerVal {
            interval,
            value: Timeval::from_user_bytes(&half),
        }
    }

    /// Encodes as a user `itimerval`.
    pub fn to_user_bytes(&self) -> [u8; ITIMERVAL_SIZE] {
        let mut out = [0u8; ITIMERVAL_SIZE];
        out[0..16].copy_from_slice(&self.interval.to_user_bytes());
        out[16..32].copy_from_slice(&self.value.to_user_bytes());
        out
    }

    /// Validated nanoseconds (EINVAL as [`Timeval::to_ns`], value and interval alike).
    pub fn to_itimer(&self) -> Result<ITimer, SignalError> {
        Ok(ITimer {
            value_ns: self.value.to_ns()?,
            interval_ns: self.interval.to_ns()?,
        })
    }
}

/// An interval timer setting in nanoseconds.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct ITimer {
    /// Time to the next expiry; 0 = disarmed.
    pub value_ns: u64,
    /// Reload value; 0 = one shot.
    pub interval_ns: u64,
}

impl ITimer {
    /// Disarmed.
    pub const ZERO: ITimer = ITimer {
        value_ns: 0,
        interval_ns: 0,
    };

    /// As a user `itimerval` (microseconds truncated).
    pub const fn to_itimerval(self) -> ITimerVal {
        ITimerVal {
            interval: Timeval::from_ns(self.interval_ns),
            value: Timeval::from_ns(self.value_ns),
        }
    }
}

/// A process's ITIMER_REAL, on a monotonic nanosecond clock.
///
/// Linux does not reload the timer when it fires: it sends SIGALRM and
/// reloads when that SIGALRM is dequeued, so an ignored SIGALRM stops a
/// periodic timer. [`RealTimer::expire`] and [`RealTimer::on_sigalrm_dequeued`]
/// follow that.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct RealTimer {
    deadline_ns: Option<u64>,
    last_expiry_ns: u64,
    interval_ns: u64,
}

impl RealTimer {
    /// Disarmed.
    pub const DISARMED: RealTimer = RealTimer {
        deadline_ns: None,
        last_expiry_ns: 0,
        interval_ns: 0,
    };

    /// When the timer fires next, if it is armed.
    pub const fn deadline(&self) -> Option<u64> {
        self.deadline_ns
    }

    /// `getitimer(ITIMER_REAL)` at `now`: the time left (at least 1 µs while
    /// armed, so that it never reads as disarmed) and the interval.
    pub fn get(&self, now_ns: u64) -> ITimer {
        let value_ns = match self.deadline_ns {
            Some(deadline) => deadline.saturating_sub(now_ns).max(NS_PER_USEC),
            None => 0,
        };
        ITimer {
            value_ns,
            interval_ns: self.interval_ns,
        }
    }

    /// `setitimer(ITIMER_REAL, new)` at `now`: returns the old setting. A zero
    /// value disarms and also clears the interval, as Linux does.
    pub fn set(&mut self, now_ns: u64, new: ITimer) -> ITimer {
        let old = self.get(now_ns);
        if new.value_ns == 0 {
            *self = RealTimer::DISARMED;
        } else {
            let deadline = now_ns.saturating_add(new.value_ns).min(KTIME_MAX_NS);
            *self = RealTimer {
                deadline_ns: Some(deadline),
                last_expiry_ns: deadline,
                interval_ns: new.interval_ns,
            };
        }
        old
    }

    /// `alarm(seconds)` at `now`: arms a one-shot timer (0 cancels) and returns
    /// the seconds that were left, rounded to nearest but never 0 while armed.
    pub fn alarm(&mut self, now_ns: u64, seconds: u32) -> u32 {
        let old = self.set(
            now_ns,
            ITimer {
                value_ns: u64::from(seconds) * NS_PER_SEC,
                interval_ns: 0,
            },
        );
        let (secs, nanos) = (old.value_ns / NS_PER_SEC, old.value_ns % NS_PER_SEC);
        let rounded = if (secs == 0 && nanos != 0) || nanos >= NS_PER_SEC / 2 {
            secs + 1
        } else {
            secs
        };
        u32::try_from(rounded).unwrap_or(u32::MAX)
    }

    /// Whether the timer fires at `now`; if so it is no longer armed and the
    /// caller sends SIGALRM (SI_KERNEL) to the process.
    pub fn expire(&mut self, now_ns: u64) -> bool {
        match self.deadline_ns {
            Some(deadline) if deadline <= now_ns => {
                self.deadline_ns = None;
                true
            }
            _ => false,
        }
    }

    /// Reloads a periodic timer when SIGALRM is dequeued at `now`: the next
    /// deadline is the last one plus whole intervals, the first after `now`
    /// (missed periods are skipped, like `hrtimer_forward`).
    pub fn on_sigalrm_dequeued(&mut self, now_ns: u64) {
        if self.deadline_ns.is_some() || self.interval_ns == 0 {
            return;
        }
        let last = self.last_expiry_ns;
        let periods = if now_ns >= last {
            (now_ns - last) / self.interval_ns + 1
        } else {
            1
        };
        let next = periods
            .checked_mul(self.interval_ns)
            .and_then(|delta| last.checked_add(delta))
            .map_or(KTIME_MAX_NS, |next| next.min(KTIME_MAX_NS));
        self.deadline_ns = Some(next);
        self.last_expiry_ns = next;
    }
}
