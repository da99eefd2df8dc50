//! Controlling terminals and job control: which process groups a terminal signals, background reads and writes
//! (SIGTTIN/SIGTTOU, Linux's `__tty_check_change`), acquiring and dropping a controlling terminal.
#![forbid(unsafe_code)]

use super::Tty;
use crate::task::process::{self, Process, ERESTARTSYS};
use crate::task::sched;
use alloc::sync::Arc;
use basalt_linux_abi::Errno;
use basalt_signal::{Handler, SigInfo, Signal};
use basalt_tty::job::{Access, Caller, Verdict};
use core::sync::atomic::Ordering;

/// Send `sig` from the kernel to one process.
pub fn signal_process(p: &Arc<Process>, sig: u8) {
    if let Some(sig) = Signal::new(u32::from(sig)) {
        let _ = crate::task::signal::send_to_process(p, SigInfo::kernel(sig));
    }
}

/// Send `sig` from the kernel to every process of group `pgrp`.
pub fn signal_group(pgrp: u32, sig: u8) {
    for p in process::in_group(pgrp) {
        signal_process(&p, sig);
    }
}

/// Whether the current thread blocks `sig` or its process ignores it explicitly (SIG_IGN).
fn ignored_or_blocked(sig: u8) -> bool {
    let Some(signal) = Signal::new(u32::from(sig)) else {
        return false;
    };
    let Some(task) = sched::current() else {
        return false;
    };
    if task.sig.lock().blocked.contains(signal) {
        return true;
    }
    let handlers = &task.process.signals.lock().handlers;
    matches!(handlers.get(signal).handler, Handler::Ignore)
}

/// Linux's orphaned process group: no member has a parent in another group of the same session (init does not
/// count as a parent).
pub fn orphaned(pgrp: u32) -> bool {
    !process::in_group(pgrp).iter().any(|p| {
        p.parent().is_some_and(|parent| {
            parent.pid != 1
                && parent.pgid.load(Ordering::Relaxed) != pgrp
                && parent.sid.load(Ordering::Relaxed) == p.sid.load(Ordering::Relaxed)
        })
    })
}

/// Whether the caller may read (`Access::Read`) or write/reconfigure (`Access::Write`) terminal `tty` now; a
/// background caller's group gets SIGTTIN/SIGTTOU and the call restarts, or it fails with EIO.
pub fn check(tty: &Arc<Tty>, access: Access) -> Result<(), Errno> {
    let Some(me) = process::current() else {
        return Ok(());
    };
    let controlling = super::controlling(&me).is_some_and(|t| Arc::ptr_eq(&t, tty));
    if !controlling {
        return Ok(());
    }
    let pgrp = tty.with(|s| s.pgrp);
    let my_pgrp = me.pgid.load(Ordering::Relaxed);
    let in_foreground = pgrp == Some(my_pgrp);
    let caller = Caller {
        controlling,
        has_foreground: pgrp.is_some(),
        in_foreground,
        signal_ignored: !in_foreground && ignored_or_blocked(access.signal()),
        orphaned: !in_foreground && orphaned(my_pgrp),
    };
    match basalt_tty::job::check(access, caller) {
        Verdict::Allow => Ok(()),
        Verdict::Eio => Err(Errno::EIO),
        Verdict::Signal => {
            signal_group(my_pgrp, access.signal());
            Err(ERESTARTSYS)
        }
    }
}

/// Make `tty` the controlling terminal of `me` (and the foreground group its group).
fn attach(me: &Arc<Process>, tty: &Arc<Tty>) {
    let sid = me.sid.load(Ordering::Relaxed);
    let pgid = me.pgid.load(Ordering::Relaxed);
    tty.with(|s| {
        s.session = Some(sid);
        s.pgrp = Some(pgid);
    });
    *me.ctty.lock() = Some(tty.clone());
}

/// open(2) of a terminal without O_NOCTTY: a session leader without a controlling terminal gets this one, if it
/// is free and the open can read (Linux's `tty_open_proc_set_tty`).
pub fn on_open(tty: &Arc<Tty>, readable: bool) {
    let Some(me) = process::current() else { return };
    let leader = me.sid.load(Ordering::Relaxed) == me.pid;
    if leader && readable && me.ctty.lock().is_none() && tty.with(|s| s.session.is_none()) {
        attach(&me, tty);
    }
}

/// TIOCSCTTY.
pub fn set_controlling(tty: &Arc<Tty>, readable: bool, steal: bool) -> Result<usize, Errno> {
    let me = process::current().ok_or(Errno::ESRCH)?;
    let sid = me.sid.load(Ordering::Relaxed);
    let leader = sid == me.pid;
    let session = tty.with(|s| s.session);
    if leader && session == Some(sid) {
        return Ok(0);
    }
    if !leader || me.ctty.lock().is_some() {
        return Err(Errno::EPERM);
    }
    let privileged = crate::task::cred::current().euid == 0;
    if session.is_some() {
        if !(steal && privileged) {
            return Err(Errno::EPERM);
        }
        detach_all(tty);
    }
    if !readable && !privileged {
        return Err(Errno::EPERM);
    }
    attach(&me, tty);
    Ok(0)
}

/// No process keeps `tty` as its controlling terminal any more.
pub fn detach_all(tty: &Arc<Tty>) {
    for p in process::all() {
        let mut ctty = p.ctty.lock();
        if ctty.as_ref().is_some_and(|t| Arc::ptr_eq(t, tty)) {
            *ctty = None;
        }
    }
}

/// A session leader lets go of its controlling terminal (TIOCNOTTY, exit): the foreground group gets SIGHUP
/// (and SIGCONT unless the leader is exiting), and the whole session loses the terminal.
fn disassociate(me: &Arc<Process>, exiting: bool) {
    let Some(tty) = me.ctty.lock().take() else {
        return;
    };
    let pgrp = tty.with(|s| {
        s.session = None;
        s.pgrp.take()
    });
    if let Some(pgrp) = pgrp {
        signal_group(pgrp, basalt_signal::SIGHUP.number() as u8);
        if !exiting {
            signal_group(pgrp, basalt_signal::SIGCONT.number() as u8);
        }
    }
    detach_all(&tty);
}

/// TIOCNOTTY.
pub fn drop_controlling(tty: &Arc<Tty>) -> Result<usize, Errno> {
    let me = process::current().ok_or(Errno::ESRCH)?;
    if !super::controlling(&me).is_some_and(|t| Arc::ptr_eq(&t, tty)) {
        return Err(Errno::ENOTTY);
    }
    if me.sid.load(Ordering::Relaxed) == me.pid {
        disassociate(&me, false);
    } else {
        *me.ctty.lock() = None;
    }
    Ok(0)
}

/// setsid(2): the new session has no controlling terminal.
pub fn on_setsid(me: &Process) {
    *me.ctty.lock() = None;
}

/// A process ends: a session leader's terminal is hung up for its session.
pub fn on_exit(p: &Arc<Process>) {
    if p.sid.load(Ordering::Relaxed) == p.pid {
        disassociate(p, true);
    } else {
        *p.ctty.lock() = None;
    }
}
