//! timerfd: a timer whose expirations are read as a count. Expirations are computed from the clock when asked
//! (basalt-event-files' arithmetic); `poll_deadline` tells pollers and blocked readers when the next one falls.
#![forbid(unsafe_code)]

use super::{FileOps, Stat, POLLIN};
use crate::task::wait::WaitQueue;
use basalt_event_files::timerfd::{Setting, Timer};
use basalt_linux_abi::Errno;
use spin::Mutex;

pub const CLOCK_REALTIME: u32 = 0;
pub const CLOCK_MONOTONIC: u32 = 1;
pub const CLOCK_BOOTTIME: u32 = 7;

pub struct TimerFd {
    realtime: bool,
    timer: Mutex<Timer>,
    /// Woken when the timer is set or read (pollers recompute their deadline).
    changed: WaitQueue,
}

impl TimerFd {
    pub fn new(clock: u32) -> TimerFd {
        TimerFd {
            realtime: clock == CLOCK_REALTIME,
            timer: Mutex::new(Timer::default()),
            changed: WaitQueue::new(),
        }
    }

    /// The timer's clock now.
    fn now(&self) -> u64 {
        if self.realtime {
            crate::time::realtime_ns()
        } else {
            crate::time::monotonic_ns()
        }
    }

    /// timerfd_settime: returns the previous setting.
    pub fn set(&self, value: u64, interval: u64, absolute: bool) -> Setting {
        let old = self.timer.lock().set(self.now(), value, interval, absolute);
        self.changed.wake_all();
        old
    }

    pub fn get(&self) -> Setting {
        self.timer.lock().get(self.now())
    }
}

impl FileOps for TimerFd {
    fn read(&self, buf: &mut [u8], _offset: u64, nonblock: bool) -> Result<usize, Errno> {
        if buf.len() < 8 {
            return Err(Errno::EINVAL);
        }
        let queues = [&self.changed];
        let got = super::ready::wait_for(&queues, None, || {
            let taken = self.timer.lock().take(self.now());
            match taken {
                Some(n) => Ok(Ok(n)),
                None if nonblock => Ok(Err(Errno::EAGAIN)),
                None => Err(self.poll_deadline()),
            }
        })
        .map_err(|_| crate::task::process::ERESTARTSYS)?
        .ok_or(Errno::EAGAIN)??;
        buf[..8].copy_from_slice(&got.to_le_bytes());
        self.changed.wake_all();
        Ok(8)
    }

    fn write(&self, _buf: &[u8], _offset: u64, _nonblock: bool) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }

    fn poll_events(&self) -> u16 {
        if self.timer.lock().expired(self.now()) {
            POLLIN
        } else {
            0
        }
    }

    fn poll_queue(&self) -> Option<&WaitQueue> {
        Some(&self.changed)
    }

    /// The next expiry on the monotonic clock (a realtime timer's converted at today's offset).
    fn poll_deadline(&self) -> Option<u64> {
        let next = self.timer.lock().next_expiry()?;
        if self.realtime {
            let offset = crate::time::realtime_ns().saturating_sub(crate::time::monotonic_ns());
            Some(next.saturating_sub(offset))
        } else {
            Some(next)
        }
    }

    fn as_any(&self) -> Option<&dyn core::any::Any> {
        Some(self)
    }

    fn stat(&self) -> Stat {
        super::anon::stat()
    }
}
