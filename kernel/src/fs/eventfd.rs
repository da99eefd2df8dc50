//! eventfd: a 64-bit counter that writes add to and reads take from (rules in basalt-event-files).
#![forbid(unsafe_code)]

use super::{FileOps, Stat, POLLERR, POLLIN, POLLOUT};
use crate::task::wait::WaitQueue;
use basalt_event_files::eventfd::{Counter, Refused};
use basalt_linux_abi::Errno;
use spin::Mutex;

pub struct EventFd {
    counter: Mutex<Counter>,
    /// Readers, writers and pollers: woken at every change of the count.
    changed: WaitQueue,
}

impl EventFd {
    pub fn new(initial: u32, semaphore: bool) -> EventFd {
        EventFd {
            counter: Mutex::new(Counter::new(initial, semaphore)),
            changed: WaitQueue::new(),
        }
    }

    fn wait<T>(
        &self,
        nonblock: bool,
        mut op: impl FnMut(&mut Counter) -> Result<T, Refused>,
    ) -> Result<T, Errno> {
        let r = self
            .changed
            .wait_until(|| match op(&mut self.counter.lock()) {
                Ok(v) => Some(Ok(v)),
                Err(Refused::Invalid) => Some(Err(Errno::EINVAL)),
                Err(Refused::WouldBlock) => nonblock.then_some(Err(Errno::EAGAIN)),
            })
            .map_err(|_| crate::task::process::ERESTARTSYS)??;
        self.changed.wake_all();
        Ok(r)
    }
}

impl FileOps for EventFd {
    fn read(&self, buf: &mut [u8], _offset: u64, nonblock: bool) -> Result<usize, Errno> {
        if buf.len() < 8 {
            return Err(Errno::EINVAL);
        }
        let v = self.wait(nonblock, |c| c.read())?;
        buf[..8].copy_from_slice(&v.to_le_bytes());
        Ok(8)
    }

    fn write(&self, buf: &[u8], _offset: u64, nonblock: bool) -> Result<usize, Errno> {
        // Exactly one 8-byte value (Linux 6.x refuses longer writes too).
        let v = <[u8; 8]>::try_from(buf)
            .map(u64::from_le_bytes)
            .map_err(|_| Errno::EINVAL)?;
        self.wait(nonblock, |c| c.write(v))?;
        Ok(8)
    }

    fn poll_events(&self) -> u16 {
        let c = self.counter.lock();
        let mut ev = 0;
        if c.readable() {
            ev |= POLLIN;
        }
        if c.writable() {
            ev |= POLLOUT;
        }
        if c.value() == u64::MAX {
            ev |= POLLERR;
        }
        ev
    }

    fn poll_queue(&self) -> Option<&WaitQueue> {
        Some(&self.changed)
    }

    fn stat(&self) -> Stat {
        super::anon::stat()
    }
}
