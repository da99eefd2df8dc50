//! The console as a file (fds 0–2 of init): writes go to the serial port; reads return bytes typed on it.
//! (The terminal line discipline — echo, line editing, signals — comes with the tty work.)
#![forbid(unsafe_code)]

use super::{FileOps, Stat, S_IFCHR};
use crate::task::wait::WaitQueue;
use alloc::collections::VecDeque;
use basalt_linux_abi::Errno;
use spin::Mutex;

static INPUT: Mutex<VecDeque<u8>> = Mutex::new(VecDeque::new());
static INPUT_READY: WaitQueue = WaitQueue::new();
/// Bytes kept when nobody reads.
const INPUT_LIMIT: usize = 4096;

/// Called from the serial receive interrupt.
pub fn push_input(byte: u8) {
    let mut q = INPUT.lock();
    if q.len() < INPUT_LIMIT {
        q.push_back(byte);
    }
    drop(q);
    INPUT_READY.wake_all();
}

/// /dev/console (major 5, minor 1).
pub struct Console;

impl FileOps for Console {
    fn read(&self, buf: &mut [u8], _offset: u64, nonblock: bool) -> Result<usize, Errno> {
        if buf.is_empty() {
            return Ok(0);
        }
        INPUT_READY
            .wait_until(|| {
                let mut q = x86_64::instructions::interrupts::without_interrupts(|| {
                    let mut q = INPUT.lock();
                    let n = buf.len().min(q.len());
                    let taken: VecDeque<u8> = q.drain(..n).collect();
                    taken
                });
                if !q.is_empty() {
                    let n = q.len();
                    for (d, s) in buf.iter_mut().zip(q.drain(..)) {
                        *d = s;
                    }
                    return Some(Ok(n));
                }
                nonblock.then_some(Err(Errno::EAGAIN))
            })
            .map_err(|_| crate::task::process::ERESTARTSYS)?
    }

    fn write(&self, buf: &[u8], _offset: u64, _nonblock: bool) -> Result<usize, Errno> {
        crate::console::write(buf);
        Ok(buf.len())
    }

    fn poll_events(&self) -> u16 {
        let has_input =
            x86_64::instructions::interrupts::without_interrupts(|| !INPUT.lock().is_empty());
        super::POLLOUT | if has_input { super::POLLIN } else { 0 }
    }

    fn poll_queue(&self) -> Option<&WaitQueue> {
        Some(&INPUT_READY)
    }

    fn stat(&self) -> Stat {
        Stat {
            dev: 6,
            ino: 6,
            mode: S_IFCHR | 0o600,
            nlink: 1,
            rdev: (5 << 8) | 1,
            blksize: 1024,
            ..Stat::default()
        }
    }
}
