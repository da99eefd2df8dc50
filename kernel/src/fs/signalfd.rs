//! signalfd: reading takes pending signals of a mask as struct signalfd_siginfo records. Like Linux, the
//! signals are those pending for the thread that reads (or polls), and for its process.
#![forbid(unsafe_code)]

use super::{FileOps, Stat, POLLIN};
use crate::task::sched;
use crate::task::wait::WaitQueue;
use basalt_linux_abi::Errno;
use basalt_signal::{dequeue_for_thread, SigSet};
use spin::Mutex;

/// Woken whenever a signal is posted anywhere (signalfd readers and pollers recheck).
static SIGNAL_POSTED: WaitQueue = WaitQueue::new();

/// Called by signal sending after a signal became pending.
pub fn signal_posted() {
    SIGNAL_POSTED.wake_all();
}

pub struct SignalFd {
    mask: Mutex<SigSet>,
}

impl SignalFd {
    pub fn new(mask: SigSet) -> SignalFd {
        SignalFd {
            mask: Mutex::new(mask),
        }
    }

    /// signalfd4 on an existing signalfd: replace the mask.
    pub fn set_mask(&self, mask: SigSet) {
        *self.mask.lock() = mask;
        SIGNAL_POSTED.wake_all();
    }

    fn take_one(&self) -> Option<[u8; 128]> {
        let task = sched::current()?;
        let not_wanted = !*self.mask.lock();
        let mut ps = task.process.signals.lock();
        let mut ts = task.sig.lock();
        dequeue_for_thread(&mut ts.pending, &mut ps.pending, not_wanted)
            .map(|info| basalt_event_files::signalfd::from_siginfo(&info.to_user_bytes()))
    }
}

impl FileOps for SignalFd {
    fn read(&self, buf: &mut [u8], _offset: u64, nonblock: bool) -> Result<usize, Errno> {
        let count = buf.len() / 128;
        if count == 0 {
            return Err(Errno::EINVAL);
        }
        let first = SIGNAL_POSTED
            .wait_until(|| match self.take_one() {
                Some(r) => Some(Ok(r)),
                None => nonblock.then_some(Err(Errno::EAGAIN)),
            })
            .map_err(|_| crate::task::process::ERESTARTSYS)??;
        buf[..128].copy_from_slice(&first);
        let mut n = 1;
        while n < count {
            let Some(r) = self.take_one() else { break };
            buf[n * 128..(n + 1) * 128].copy_from_slice(&r);
            n += 1;
        }
        Ok(n * 128)
    }

    fn write(&self, _buf: &[u8], _offset: u64, _nonblock: bool) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }

    fn poll_events(&self) -> u16 {
        let Some(task) = sched::current() else {
            return 0;
        };
        let mask = *self.mask.lock();
        let pending = {
            let ps = task.process.signals.lock();
            let ts = task.sig.lock();
            ps.pending.signals() | ts.pending.signals()
        };
        if (pending & mask).is_empty() {
            0
        } else {
            POLLIN
        }
    }

    fn poll_queue(&self) -> Option<&WaitQueue> {
        Some(&SIGNAL_POSTED)
    }

    fn as_any(&self) -> Option<&dyn core::any::Any> {
        Some(self)
    }

    fn stat(&self) -> Stat {
        super::anon::stat()
    }
}
