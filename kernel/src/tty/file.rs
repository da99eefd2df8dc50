//! A terminal opened as a file: the serial console (/dev/console, /dev/ttyS0, /dev/tty) or a pty slave.
#![forbid(unsafe_code)]

use super::ioctl::{self, Side};
use super::{Kind, Tty};
use crate::fs::{FileOps, OpenFile, Stat, POLLHUP, POLLIN, POLLOUT, S_IFCHR};
use crate::task::wait::WaitQueue;
use alloc::sync::Arc;
use basalt_linux_abi::Errno;

/// Linux's `new_encode_dev`, as `st_rdev` carries it.
pub fn encode_dev(major: u32, minor: u32) -> u64 {
    u64::from(minor & 0xff) | (u64::from(major) << 8) | (u64::from(minor & !0xff) << 12)
}

/// One open description of a terminal.
pub struct TtyFile {
    pub tty: Arc<Tty>,
    /// The device number it was opened as.
    rdev: (u32, u32),
}

impl TtyFile {
    /// A new description of `tty`, opened as device `major:minor`; counts as an open slave for a pty.
    pub fn new(tty: Arc<Tty>, major: u32, minor: u32) -> Arc<TtyFile> {
        if matches!(tty.kind, Kind::Pty(_)) {
            tty.with(|s| {
                s.slave_opens += 1;
                s.slave_closed = false;
            });
        }
        Arc::new(TtyFile {
            tty,
            rdev: (major, minor),
        })
    }
}

impl FileOps for TtyFile {
    fn read(&self, buf: &mut [u8], _offset: u64, nonblock: bool) -> Result<usize, Errno> {
        self.tty.read(buf, nonblock)
    }

    fn write(&self, buf: &[u8], _offset: u64, nonblock: bool) -> Result<usize, Errno> {
        self.tty.write(buf, nonblock)
    }

    fn poll_events(&self) -> u16 {
        let hung_up = self.tty.with(|s| s.hung_up);
        let mut ev = 0;
        if self.tty.poll_readable() {
            ev |= POLLIN;
        }
        if hung_up {
            ev |= POLLHUP;
        } else if self.tty.poll_writable() {
            ev |= POLLOUT;
        }
        ev
    }

    fn poll_queue(&self) -> Option<&WaitQueue> {
        Some(&self.tty.pollers)
    }

    fn ioctl(&self, file: &OpenFile, cmd: u32, arg: u64) -> Result<usize, Errno> {
        ioctl::ioctl(&self.tty, Side::Terminal, file, cmd, arg)
    }

    fn release(&self, _access: u32) {
        if matches!(self.tty.kind, Kind::Pty(_)) {
            let last = self.tty.with(|s| {
                s.slave_opens = s.slave_opens.saturating_sub(1);
                s.slave_closed = s.slave_opens == 0;
                s.slave_closed
            });
            if last {
                self.tty.wake_master_readers();
            }
        }
    }

    fn stat(&self) -> Stat {
        let (major, minor) = self.rdev;
        // Pty slaves: devpts's default mode=600, like their nodes.
        let mode = 0o600;
        Stat {
            dev: 6,
            ino: encode_dev(major, minor) + 0x1000,
            mode: S_IFCHR | mode,
            nlink: 1,
            uid: self.tty.with(|s| s.owner),
            rdev: encode_dev(major, minor),
            blksize: 1024,
            ..Stat::default()
        }
    }
}
