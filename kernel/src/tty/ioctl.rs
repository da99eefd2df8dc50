//! Terminal ioctls (Linux's `tty_ioctl`, `tty_mode_ioctl`, `n_tty_ioctl` and the pty master's own), for both a
//! terminal's descriptors and a pty master's (whose settings calls act on the slave, as on Linux).
#![forbid(unsafe_code)]

use super::{job, Kind, Tty};
use crate::arch::usercopy;
use crate::fs::OpenFile;
use crate::task::process;
use alloc::sync::Arc;
use alloc::vec::Vec;
use basalt_linux_abi::Errno;
use basalt_tty::job::Access;
use basalt_tty::termios::cc;
use basalt_tty::{Termios, Winsize};
use core::sync::atomic::Ordering;

pub const TCGETS: u32 = 0x5401;
pub const TCSETS: u32 = 0x5402;
pub const TCSETSW: u32 = 0x5403;
pub const TCSETSF: u32 = 0x5404;
pub const TCSBRK: u32 = 0x5409;
pub const TCXONC: u32 = 0x540a;
pub const TCFLSH: u32 = 0x540b;
pub const TIOCSCTTY: u32 = 0x540e;
pub const TIOCGPGRP: u32 = 0x540f;
pub const TIOCSPGRP: u32 = 0x5410;
pub const TIOCOUTQ: u32 = 0x5411;
pub const TIOCGWINSZ: u32 = 0x5413;
pub const TIOCSWINSZ: u32 = 0x5414;
pub const FIONREAD: u32 = 0x541b;
pub const TIOCNOTTY: u32 = 0x5422;
pub const TIOCGETD: u32 = 0x5424;
pub const TCSBRKP: u32 = 0x5425;
pub const TIOCGSID: u32 = 0x5429;
pub const TCGETS2: u32 = 0x802c_542a;
pub const TCSETS2: u32 = 0x402c_542b;
pub const TCSETSW2: u32 = 0x402c_542c;
pub const TCSETSF2: u32 = 0x402c_542d;
pub const TIOCGPTN: u32 = 0x8004_5430;
pub const TIOCSPTLCK: u32 = 0x4004_5431;
pub const TIOCGPTLCK: u32 = 0x8004_5439;
pub const TIOCGPTPEER: u32 = 0x5441;

/// Which end of the terminal the descriptor is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The terminal itself (serial port, pty slave).
    Terminal,
    /// A pty master.
    Master,
}

fn put_int(arg: u64, v: i32) -> Result<usize, Errno> {
    usercopy::copy_to_user(arg, &v.to_le_bytes())?;
    Ok(0)
}

fn get_int(arg: u64) -> Result<i32, Errno> {
    let mut b = [0u8; 4];
    usercopy::copy_from_user(&mut b, arg)?;
    Ok(i32::from_le_bytes(b))
}

fn is_controlling(tty: &Arc<Tty>) -> bool {
    process::current()
        .and_then(|p| super::controlling(&p))
        .is_some_and(|t| Arc::ptr_eq(&t, tty))
}

/// Apply new settings (TCSETS*): flush input first for the F variants.
fn set_termios(tty: &Arc<Tty>, t: Termios, flush: bool) {
    tty.with(|s| {
        if flush {
            s.ldisc.flush_input();
        }
        let mut out = Vec::new();
        s.ldisc.set_termios(t, &mut out);
        tty.emit(s, &out);
    });
    tty.wake_all();
}

/// One ioctl on a terminal descriptor.
pub fn ioctl(
    tty: &Arc<Tty>,
    side: Side,
    file: &OpenFile,
    cmd: u32,
    arg: u64,
) -> Result<usize, Errno> {
    let master = side == Side::Master;
    match cmd {
        TCGETS => {
            let t = tty.with(|s| *s.ldisc.termios());
            usercopy::copy_to_user(arg, &t.to_bytes())?;
            Ok(0)
        }
        TCGETS2 => {
            let t = tty.with(|s| *s.ldisc.termios());
            usercopy::copy_to_user(arg, &t.to_bytes2())?;
            Ok(0)
        }
        TCSETS | TCSETSW | TCSETSF => {
            job::check(tty, Access::Write)?;
            let mut b = [0u8; Termios::SIZE];
            usercopy::copy_from_user(&mut b, arg)?;
            set_termios(tty, Termios::from_bytes(&b), cmd == TCSETSF);
            Ok(0)
        }
        TCSETS2 | TCSETSW2 | TCSETSF2 => {
            job::check(tty, Access::Write)?;
            let mut b = [0u8; Termios::SIZE2];
            usercopy::copy_from_user(&mut b, arg)?;
            set_termios(tty, Termios::from_bytes2(&b), cmd == TCSETSF2);
            Ok(0)
        }
        TIOCGWINSZ => {
            let w = tty.with(|s| s.winsize);
            usercopy::copy_to_user(arg, &w.to_bytes())?;
            Ok(0)
        }
        TIOCSWINSZ => {
            let mut b = [0u8; Winsize::SIZE];
            usercopy::copy_from_user(&mut b, arg)?;
            let new = Winsize::from_bytes(b);
            let pgrp = tty.with(|s| {
                let changed = s.winsize != new;
                s.winsize = new;
                s.pgrp.filter(|_| changed)
            });
            if let Some(pgrp) = pgrp {
                job::signal_group(pgrp, basalt_signal::SIGWINCH.number() as u8);
            }
            Ok(0)
        }
        TCFLSH => {
            job::check(tty, Access::Write)?;
            let (input, output) = match arg {
                0 => (true, false),
                1 => (false, true),
                2 => (true, true),
                _ => return Err(Errno::EINVAL),
            };
            tty.with(|s| {
                if input {
                    if master {
                        s.to_master.clear();
                    } else {
                        s.ldisc.flush_input();
                    }
                }
                if output && !master {
                    s.ldisc.flush_output();
                }
            });
            tty.wake_all();
            Ok(0)
        }
        TCXONC => {
            job::check(tty, Access::Write)?;
            tty.with(|s| {
                let mut out = Vec::new();
                match arg {
                    0 => s.ldisc.stop(),
                    1 => s.ldisc.start(&mut out),
                    2 | 3 => {
                        let c = s.ldisc.termios().cc[if arg == 2 { cc::VSTOP } else { cc::VSTART }];
                        if c != 0 {
                            out.push(c);
                        }
                    }
                    _ => return Err(Errno::EINVAL),
                }
                tty.emit(s, &out);
                Ok(())
            })?;
            tty.wake_all();
            Ok(0)
        }
        TCSBRK | TCSBRKP => {
            // Output is handed to the device as it is written (the UART is polled, a pty's goes straight to the
            // master's buffer): there is nothing to drain, and neither device sends breaks.
            job::check(tty, Access::Write)?;
            Ok(0)
        }
        FIONREAD => {
            let n = tty.with(|s| {
                if master {
                    s.to_master.len()
                } else {
                    s.ldisc.input_count()
                }
            });
            put_int(arg, n as i32)
        }
        TIOCOUTQ => put_int(arg, 0),
        TIOCGETD => put_int(arg, 0),
        TIOCGPGRP => {
            if !master && !is_controlling(tty) {
                return Err(Errno::ENOTTY);
            }
            put_int(arg, tty.with(|s| s.pgrp).unwrap_or(0) as i32)
        }
        TIOCSPGRP => set_pgrp(tty, arg),
        TIOCGSID => {
            if !master && !is_controlling(tty) {
                return Err(Errno::ENOTTY);
            }
            let sid = tty.with(|s| s.session).ok_or(Errno::ENOTTY)?;
            put_int(arg, sid as i32)
        }
        TIOCSCTTY => job::set_controlling(tty, file.readable(), arg == 1),
        TIOCNOTTY if !master => job::drop_controlling(tty),
        TIOCGPTN | TIOCSPTLCK | TIOCGPTLCK | TIOCGPTPEER if master => {
            let Kind::Pty(index) = tty.kind else {
                return Err(Errno::ENOTTY);
            };
            match cmd {
                TIOCGPTN => put_int(arg, index as i32),
                TIOCSPTLCK => {
                    let lock = get_int(arg)? != 0;
                    tty.with(|s| s.locked = lock);
                    Ok(0)
                }
                TIOCGPTLCK => put_int(arg, tty.with(|s| s.locked) as i32),
                _ => super::pty::open_peer(tty, arg as u32),
            }
        }
        _ => Err(Errno::ENOTTY),
    }
}

/// TIOCSPGRP (tcsetpgrp), in Linux's order of checks.
fn set_pgrp(tty: &Arc<Tty>, arg: u64) -> Result<usize, Errno> {
    match job::check(tty, Access::Write) {
        Err(Errno::EIO) => return Err(Errno::ENOTTY),
        Err(e) => return Err(e),
        Ok(()) => {}
    }
    let me = process::current().ok_or(Errno::ESRCH)?;
    let my_sid = me.sid.load(Ordering::Relaxed);
    if !is_controlling(tty) || tty.with(|s| s.session) != Some(my_sid) {
        return Err(Errno::ENOTTY);
    }
    let pgrp = get_int(arg)?;
    if pgrp < 0 {
        return Err(Errno::EINVAL);
    }
    let pgrp = pgrp as u32;
    // Linux looks the number up as a group, else as a process, and compares that one's session.
    let member = process::in_group(pgrp)
        .into_iter()
        .next()
        .or_else(|| process::find(pgrp).filter(|p| p.pid == pgrp))
        .ok_or(Errno::ESRCH)?;
    if member.sid.load(Ordering::Relaxed) != my_sid {
        return Err(Errno::EPERM);
    }
    tty.with(|s| s.pgrp = Some(pgrp));
    Ok(0)
}
