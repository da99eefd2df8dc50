//! Terminals: the serial console and pseudo-terminals as ttys, each with an N_TTY line discipline
//! (`basalt-tty`), a foreground process group and a session; controlling terminals and job control.
//!
//! A [`Tty`] is the terminal programs see (the serial port, a pty slave). Bytes typed on it (UART interrupts, writes
//! to a pty master) go through [`Tty::input`]; bytes programs write go through [`Tty::write`] and OPOST to the
//! device (the UART, the pty master's read buffer).
#![forbid(unsafe_code)]

pub mod console;
pub mod file;
pub mod ioctl;
pub mod job;
pub mod pty;

use crate::task::process::{self, Process, ERESTARTSYS};
use crate::task::wait::WaitQueue;
use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec::Vec;
use basalt_linux_abi::Errno;
use basalt_tty::read::{noncanonical, Next};
use basalt_tty::termios::{cc, lflag};
use basalt_tty::{Ldisc, Termios, Winsize};
use spin::Mutex;
use x86_64::instructions::interrupts::without_interrupts;

/// Most bytes a pty master has waiting before slave writes block.
pub const MASTER_BUFFER: usize = 16384;

/// What is behind a terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The serial console (COM1).
    Serial,
    /// The slave side of pseudo-terminal number N.
    Pty(u32),
}

/// A terminal's mutable state.
pub struct State {
    pub ldisc: Ldisc,
    pub winsize: Winsize,
    /// The session this is the controlling terminal of.
    pub session: Option<u32>,
    /// The foreground process group.
    pub pgrp: Option<u32>,
    /// The pty master closed: reads give end of file, writes EIO.
    pub hung_up: bool,
    /// Pty: bytes for the master to read (the slave's output and echo).
    pub to_master: VecDeque<u8>,
    /// Pty: open slave descriptions.
    pub slave_opens: usize,
    /// Pty: the last slave description closed (master reads give EIO once drained).
    pub slave_closed: bool,
    /// Pty: slave opens fail until TIOCSPTLCK unlocks (unlockpt).
    pub locked: bool,
    /// The owner's uid (a pty's opener; root for the console).
    pub owner: u32,
}

/// One terminal.
pub struct Tty {
    pub kind: Kind,
    state: Mutex<State>,
    /// Readers of the terminal wait here.
    pub readable: WaitQueue,
    /// Writers wait here for output to restart or for room at the pty master.
    pub writable: WaitQueue,
    /// Pty master readers wait here.
    pub master_readable: WaitQueue,
    /// poll, select and epoll on either side wait here (a file names one queue): woken with each of the others.
    pub pollers: WaitQueue,
}

impl Tty {
    pub fn new(kind: Kind, termios: Termios) -> Arc<Tty> {
        Arc::new(Tty {
            kind,
            state: Mutex::new(State {
                ldisc: Ldisc::new(termios),
                winsize: Winsize::default(),
                session: None,
                pgrp: None,
                hung_up: false,
                to_master: VecDeque::new(),
                slave_opens: 0,
                slave_closed: false,
                locked: true,
                owner: 0,
            }),
            readable: WaitQueue::new(),
            writable: WaitQueue::new(),
            master_readable: WaitQueue::new(),
            pollers: WaitQueue::new(),
        })
    }

    /// The device number of the terminal's (slave) node: 4:64 for ttyS0, 136:N for /dev/pts/N.
    pub fn device(&self) -> basalt_memfs::DeviceNumber {
        match self.kind {
            Kind::Serial => basalt_memfs::DeviceNumber::new(4, 64),
            Kind::Pty(index) => basalt_memfs::DeviceNumber::new(pty::PTS_MAJOR, index),
        }
    }

    /// Run `f` on the state (interrupts off: the console's wait queues are woken from interrupts).
    pub fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        without_interrupts(|| f(&mut self.state.lock()))
    }

    /// Send bytes to the device.
    fn emit(&self, s: &mut State, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        match self.kind {
            Kind::Serial => crate::console::write_raw(bytes),
            Kind::Pty(_) => {
                let room = MASTER_BUFFER.saturating_sub(s.to_master.len());
                s.to_master.extend(&bytes[..bytes.len().min(room)]);
            }
        }
    }

    fn wake_all(&self) {
        self.readable.wake_all();
        self.writable.wake_all();
        self.master_readable.wake_all();
        self.pollers.wake_all();
    }

    /// Wakes writers (output restarted, room at the pty master) and pollers.
    pub fn wake_writers(&self) {
        self.writable.wake_all();
        self.pollers.wake_all();
    }

    /// Wakes pty master readers (slave output, the last slave closed) and pollers.
    pub fn wake_master_readers(&self) {
        self.master_readable.wake_all();
        self.pollers.wake_all();
    }

    /// Bytes typed on the terminal: line discipline, echo, and signals for the foreground group.
    pub fn input(&self, bytes: &[u8]) {
        let mut signals: Vec<(u8, u32)> = Vec::new();
        let mut echo = Vec::new();
        self.with(|s| {
            for &b in bytes {
                echo.clear();
                let r = s.ldisc.receive(b, &mut echo);
                self.emit(s, &echo.clone());
                if let (Some(sig), Some(pgrp)) = (r.signal, s.pgrp) {
                    signals.push((sig.number(), pgrp));
                }
            }
        });
        self.wake_all();
        for (sig, pgrp) in signals {
            job::signal_group(pgrp, sig);
        }
    }

    /// Whether a read would return now (poll).
    pub fn poll_readable(&self) -> bool {
        self.with(|s| s.ldisc.readable() || s.hung_up)
    }

    /// Whether a write would not block (poll).
    pub fn poll_writable(&self) -> bool {
        self.with(|s| {
            !s.ldisc.output_stopped()
                && (self.kind == Kind::Serial || s.to_master.len() < MASTER_BUFFER)
        })
    }

    /// read(2) on the terminal.
    pub fn read(self: &Arc<Self>, buf: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
        job::check(self, basalt_tty::job::Access::Read)?;
        if buf.is_empty() {
            return Ok(0);
        }
        let mut got = 0usize;
        loop {
            let next = self.with(|s| {
                if s.ldisc.is_canonical() {
                    return match s.ldisc.read_line(buf) {
                        Some(n) => {
                            got = n;
                            Next::Return
                        }
                        None if s.hung_up => Next::Return,
                        None => Next::Wait,
                    };
                }
                got += s.ldisc.read_raw(&mut buf[got..]);
                if s.hung_up {
                    return Next::Return;
                }
                let t = s.ldisc.termios();
                noncanonical(t.cc[cc::VMIN], t.cc[cc::VTIME], got, buf.len())
            });
            self.wake_writers();
            let timeout = match next {
                Next::Return => return Ok(got),
                Next::Wait => None,
                Next::WaitFor(ns) => Some(ns),
            };
            if nonblock {
                return if got > 0 { Ok(got) } else { Err(Errno::EAGAIN) };
            }
            let deadline = timeout.map(|ns| crate::time::monotonic_ns().saturating_add(ns));
            let woke = self.readable.wait_until_deadline(
                || self.with(|s| (s.ldisc.has_data() || s.hung_up).then_some(())),
                deadline,
            );
            match woke {
                Ok(Some(())) => continue,
                Ok(None) => return Ok(got),
                Err(_) if got > 0 => return Ok(got),
                Err(_) => return Err(ERESTARTSYS),
            }
        }
    }

    /// write(2) on the terminal: OPOST processing, XON/XOFF, and the pty master's buffer limit.
    pub fn write(self: &Arc<Self>, data: &[u8], nonblock: bool) -> Result<usize, Errno> {
        if self.with(|s| s.ldisc.termios().l(lflag::TOSTOP)) {
            job::check(self, basalt_tty::job::Access::Write)?;
        }
        let mut done = 0usize;
        let mut out = Vec::new();
        loop {
            let blocked = self.with(|s| {
                if s.hung_up {
                    return Err(Errno::EIO);
                }
                while done < data.len() && !s.ldisc.output_stopped() {
                    let room = match self.kind {
                        Kind::Serial => data.len(),
                        Kind::Pty(_) => MASTER_BUFFER.saturating_sub(s.to_master.len()) / 2,
                    };
                    if room == 0 {
                        break;
                    }
                    let end = data.len().min(done + room);
                    out.clear();
                    s.ldisc.output(&data[done..end], &mut out);
                    self.emit(s, &out);
                    done = end;
                }
                Ok(done < data.len())
            })?;
            self.wake_master_readers();
            if !blocked {
                return Ok(done);
            }
            if nonblock {
                return if done > 0 {
                    Ok(done)
                } else {
                    Err(Errno::EAGAIN)
                };
            }
            let woke = self.writable.wait_until(|| {
                self.with(|s| {
                    (s.hung_up
                        || (!s.ldisc.output_stopped()
                            && (self.kind == Kind::Serial
                                || s.to_master.len() < MASTER_BUFFER - 1)))
                        .then_some(())
                })
            });
            if woke.is_err() {
                return if done > 0 { Ok(done) } else { Err(ERESTARTSYS) };
            }
        }
    }

    /// The terminal goes away under its session (the pty master closed): the session leader gets SIGHUP and
    /// SIGCONT, the foreground group SIGHUP, no process keeps it as controlling terminal, and reads see end of file.
    pub fn hang_up(self: &Arc<Self>) {
        let (session, pgrp) = self.with(|s| {
            s.hung_up = true;
            (s.session.take(), s.pgrp.take())
        });
        self.wake_all();
        job::detach_all(self);
        if let Some(leader) = session
            .and_then(process::find)
            .filter(|p| Some(p.pid) == session)
        {
            job::signal_process(&leader, basalt_signal::SIGHUP.number() as u8);
            job::signal_process(&leader, basalt_signal::SIGCONT.number() as u8);
        }
        if let Some(pgrp) = pgrp {
            job::signal_group(pgrp, basalt_signal::SIGHUP.number() as u8);
        }
    }
}

/// The controlling terminal of `p`.
pub fn controlling(p: &Process) -> Option<Arc<Tty>> {
    p.ctty.lock().clone()
}

/// O_NOCTTY.
pub const O_NOCTTY: u32 = 0o400;

/// open(2) of a terminal device node: None if `major:minor` is not a terminal. /dev/tty is the caller's
/// controlling terminal (ENXIO without one); /dev/console, /dev/tty and the pty master never become a controlling
/// terminal, other terminals do for a session leader without one unless O_NOCTTY (Linux's `tty_open`).
pub fn open_device(
    major: u32,
    minor: u32,
    flags: u32,
) -> Option<Result<Arc<dyn crate::fs::FileOps>, Errno>> {
    let opened = match (major, minor) {
        (5, 0) => process::current()
            .and_then(|p| controlling(&p))
            .map(|tty| (file::TtyFile::new(tty, 5, 0), false))
            .ok_or(Errno::ENXIO),
        (5, 1) => Ok((console::open(5, 1), false)),
        (4, 64) => Ok((console::open(4, 64), true)),
        (5, 2) => return Some(pty::open_master()),
        (pty::PTS_MAJOR, index) => pty::open_slave(index).map(|f| (f, true)),
        _ => return None,
    };
    Some(opened.map(|(file, may_control)| {
        if may_control && flags & O_NOCTTY == 0 {
            let readable = flags & crate::fs::O_ACCMODE != crate::fs::O_WRONLY;
            job::on_open(&file.tty, readable);
        }
        file as Arc<dyn crate::fs::FileOps>
    }))
}
