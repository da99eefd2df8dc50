//! What signals do by default, seen from the parent (terminate, core, ignore, stop, continue), SIGPIPE,
//! EINTR versus SA_RESTART, and SIGCHLD on child state changes.
//!
//! Core-dumping signals: the case makes the process non-dumpable (and RLIMIT_CORE 0) before forking, so no dump is
//! written and Linux leaves the core flag (0x80) clear. The flag is printed, so a kernel that sets it without
//! writing a dump shows up.

use crate::child::{self, close, pipe, wait4};
use crate::registry::Case;
use crate::sig::{self, hits, mask_of};
use crate::signame::{si_code_name, signal_name};
use crate::sys::{self, eq, errno_name, nr, outcome, value, yes};

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case::new("default.terminate", terminate),
    Case::new("default.core", core),
    Case::new("default.ignore", ignore),
    Case::new("default.stop", stop),
    Case::new("default.term_while_stopped", term_while_stopped),
    Case::new("default.kill_while_stopped", kill_while_stopped),
    Case::new("default.sigpipe_kills", sigpipe_kills),
    Case::new("default.sigpipe_ignored_epipe", sigpipe_ignored),
    Case::new("restart.read_eintr_without_sa_restart", read_eintr),
    Case::new("restart.read_resumed_with_sa_restart", read_restarted),
    Case::new("restart.wait4_eintr_without_sa_restart", wait4_eintr),
    Case::new("restart.wait4_resumed_with_sa_restart", wait4_restarted),
    Case::new(
        "restart.nanosleep_eintr_despite_sa_restart",
        nanosleep_not_restarted,
    ),
    Case::new("sigchld.on_exit", sigchld_on_exit),
    Case::new("sigchld.on_kill", sigchld_on_kill),
    Case::new("sigchld.on_stop", sigchld_on_stop),
    Case::new("sigchld.nocldstop", sigchld_nocldstop),
];

/// A child that sleeps in pause() until a signal ends it.
fn sleeper() -> i32 {
    child::spawn(|| loop {
        // SAFETY: waits for a signal.
        unsafe { libc::pause() };
    })
    .unwrap_or(-1)
}

/// Sends each signal to its own sleeping child; lists how each ended.
fn fates(sigs: &[i32]) -> String {
    let parts: Vec<String> = sigs
        .iter()
        .map(|&s| {
            let pid = sleeper();
            let _ = sys!(nr::KILL, pid, s);
            format!("{}:{}", signal_name(s), child::wait_text(pid))
        })
        .collect();
    parts.join(" ")
}

fn terminate() -> String {
    fates(&[
        libc::SIGHUP,
        libc::SIGINT,
        libc::SIGUSR1,
        libc::SIGUSR2,
        libc::SIGALRM,
        libc::SIGTERM,
        libc::SIGVTALRM,
        libc::SIGPROF,
        libc::SIGIO,
        libc::SIGPWR,
        libc::SIGSTKFLT,
        40,
    ])
}

fn core() -> String {
    let _ = sys!(nr::PRCTL, libc::PR_SET_DUMPABLE, 0);
    let zero = [0u64; 2];
    let _ = sys!(nr::SETRLIMIT, libc::RLIMIT_CORE, zero.as_ptr());
    fates(&[
        libc::SIGQUIT,
        libc::SIGILL,
        libc::SIGTRAP,
        libc::SIGABRT,
        libc::SIGBUS,
        libc::SIGFPE,
        libc::SIGSEGV,
        libc::SIGXCPU,
        libc::SIGXFSZ,
        libc::SIGSYS,
    ])
}

fn ignore() -> String {
    child::run(|| {
        for s in [libc::SIGCHLD, libc::SIGURG, libc::SIGWINCH, libc::SIGCONT] {
            let _ = sig::raise(s);
        }
        0
    })
}

fn stop() -> String {
    let pid = sleeper();
    let _ = sys!(nr::KILL, pid, libc::SIGSTOP);
    let stopped =
        wait4(pid, libc::WUNTRACED).map_or_else(errno_name, |(_, st)| child::describe(st));
    let _ = sys!(nr::KILL, pid, libc::SIGCONT);
    let cont = wait4(pid, libc::WCONTINUED).map_or_else(errno_name, |(_, st)| child::describe(st));
    let _ = sys!(nr::KILL, pid, libc::SIGKILL);
    format!("{stopped}, {cont}, {}", child::wait_text(pid))
}

fn term_while_stopped() -> String {
    let pid = sleeper();
    let _ = sys!(nr::KILL, pid, libc::SIGSTOP);
    let _ = wait4(pid, libc::WUNTRACED);
    let _ = sys!(nr::KILL, pid, libc::SIGTERM);
    // SIGTERM waits while the process is stopped.
    let still = match wait4(pid, libc::WNOHANG) {
        Ok((0, _)) => "still stopped".to_string(),
        Ok((_, st)) => child::describe(st),
        Err(e) => errno_name(e),
    };
    let _ = sys!(nr::KILL, pid, libc::SIGCONT);
    format!("{still}; after SIGCONT: {}", child::wait_text(pid))
}

fn kill_while_stopped() -> String {
    let pid = sleeper();
    let _ = sys!(nr::KILL, pid, libc::SIGSTOP);
    let _ = wait4(pid, libc::WUNTRACED);
    let _ = sys!(nr::KILL, pid, libc::SIGKILL);
    child::wait_text(pid)
}

fn sigpipe_kills() -> String {
    child::run(|| {
        let (r, w) = pipe();
        close(r);
        let _ = sys!(nr::WRITE, w, b"x".as_ptr(), 1);
        0
    })
}

fn sigpipe_ignored() -> String {
    sig::disposition(libc::SIGPIPE, libc::SIG_IGN);
    let (r, w) = pipe();
    close(r);
    outcome(sys!(nr::WRITE, w, b"x".as_ptr(), 1))
}

/// SIGALRM every 10 ms, handled by `sig::record` with `flags`; the handler writes a byte to `wake_fd` after 3.
fn alarm_ticks(flags: i32, wake_fd: i32) {
    let _ = sig::record_on(libc::SIGALRM, flags);
    sig::WAKE_FD.store(wake_fd, core::sync::atomic::Ordering::SeqCst);
    sig::WAKE_AFTER.store(3, core::sync::atomic::Ordering::SeqCst);
    let t: [i64; 4] = [0, 10_000, 0, 10_000];
    let _ = sys!(nr::SETITIMER, libc::ITIMER_REAL, t.as_ptr(), 0);
}

fn ticks_off() {
    let _ = sys!(nr::SETITIMER, libc::ITIMER_REAL, [0i64; 4].as_ptr(), 0);
}

fn read_eintr() -> String {
    let (r, w) = pipe();
    alarm_ticks(0, -1);
    let mut b = 0u8;
    let res = value(sys!(nr::READ, r, &mut b as *mut u8, 1));
    ticks_off();
    close(w);
    format!("read={res}")
}

fn read_restarted() -> String {
    let (r, w) = pipe();
    alarm_ticks(libc::SA_RESTART, w);
    let mut b = 0u8;
    let res = value(sys!(nr::READ, r, &mut b as *mut u8, 1));
    ticks_off();
    format!("read={res} signals>=3={}", yes(hits(libc::SIGALRM) >= 3))
}

/// A child that exits once it can read a byte from the returned pipe's read end.
fn child_waiting_for_byte() -> (i32, i32) {
    let (r, w) = pipe();
    let pid = child::spawn(|| {
        close(w);
        let mut b = 0u8;
        loop {
            match sys!(nr::READ, r, &mut b as *mut u8, 1) {
                Err(sys::Errno::EINTR) => {}
                _ => return 0,
            }
        }
    })
    .unwrap_or(-1);
    close(r);
    (pid, w)
}

fn wait4_eintr() -> String {
    let (pid, w) = child_waiting_for_byte();
    alarm_ticks(0, -1);
    let mut st = 0i32;
    let res = outcome(sys!(nr::WAIT4, pid, &mut st as *mut i32, 0, 0));
    ticks_off();
    close(w);
    let _ = wait4(pid, 0);
    format!("wait4={res}")
}

fn wait4_restarted() -> String {
    let (pid, w) = child_waiting_for_byte();
    alarm_ticks(libc::SA_RESTART, w);
    let mut st = 0i32;
    let res = sys!(nr::WAIT4, pid, &mut st as *mut i32, 0, 0);
    ticks_off();
    format!(
        "wait4 returns child={} {}",
        eq(res, Ok(pid as usize)),
        child::describe(st)
    )
}

fn nanosleep_not_restarted() -> String {
    alarm_ticks(libc::SA_RESTART, -1);
    let t = [5i64, 0];
    let res = outcome(sys!(nr::NANOSLEEP, t.as_ptr(), 0));
    ticks_off();
    format!("nanosleep={res}")
}

/// Waits for SIGCHLD (blocked) and describes its siginfo.
fn take_sigchld(pid: i32) -> String {
    let set = mask_of(&[libc::SIGCHLD]);
    // SAFETY: plain data.
    let mut i: libc::siginfo_t = unsafe { core::mem::zeroed() };
    let r = sys!(
        nr::RT_SIGTIMEDWAIT,
        &set as *const u64,
        &mut i as *mut libc::siginfo_t,
        0,
        8
    );
    if let Err(e) = r {
        return errno_name(e);
    }
    // SAFETY: SIGCHLD fields filled by the kernel.
    let (spid, status) = unsafe { (i.si_pid(), i.si_status()) };
    let status = if i.si_code == libc::CLD_EXITED {
        status.to_string()
    } else {
        signal_name(status)
    };
    format!(
        "{} {} status={status} pid={}",
        signal_name(i.si_signo),
        si_code_name(libc::SIGCHLD, i.si_code),
        eq(spid, pid)
    )
}

fn sigchld_on_exit() -> String {
    sig::block(&[libc::SIGCHLD]);
    let pid = child::spawn(|| 3).unwrap_or(-1);
    let text = take_sigchld(pid);
    let _ = wait4(pid, 0);
    text
}

fn sigchld_on_kill() -> String {
    sig::block(&[libc::SIGCHLD]);
    let pid = sleeper();
    let _ = sys!(nr::KILL, pid, libc::SIGKILL);
    let text = take_sigchld(pid);
    let _ = wait4(pid, 0);
    text
}

fn sigchld_on_stop() -> String {
    sig::block(&[libc::SIGCHLD]);
    let pid = sleeper();
    let _ = sys!(nr::KILL, pid, libc::SIGSTOP);
    let text = take_sigchld(pid);
    let _ = sys!(nr::KILL, pid, libc::SIGKILL);
    let _ = wait4(pid, 0);
    text
}

fn sigchld_nocldstop() -> String {
    let _ = sig::record_on(libc::SIGCHLD, libc::SA_NOCLDSTOP);
    sig::block(&[libc::SIGCHLD]);
    let pid = sleeper();
    let _ = sys!(nr::KILL, pid, libc::SIGSTOP);
    // SAFETY: plain data.
    let mut i: libc::siginfo_t = unsafe { core::mem::zeroed() };
    let _ = sys!(
        nr::WAITID,
        libc::P_PID,
        pid,
        &mut i as *mut libc::siginfo_t,
        libc::WSTOPPED | libc::WNOWAIT,
        0
    );
    let after_stop = yes(sig::pending() & mask_of(&[libc::SIGCHLD]) != 0);
    let _ = sys!(nr::KILL, pid, libc::SIGKILL);
    let _ = sys!(
        nr::WAITID,
        libc::P_PID,
        pid,
        &mut i as *mut libc::siginfo_t,
        libc::WEXITED | libc::WNOWAIT,
        0
    );
    let after_kill = yes(sig::pending() & mask_of(&[libc::SIGCHLD]) != 0);
    let _ = wait4(pid, 0);
    format!("SIGCHLD pending after stop={after_stop} after kill={after_kill}")
}
