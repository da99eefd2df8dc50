//! wait4: status words, which children a pid argument selects, options and their errors, auto-reaping.

use crate::cases::waitid::{info, waitid};
use crate::child::{self, blocked_child, close, describe, pipe, read_byte, stopping_child, wait4};
use crate::registry::Case;
use crate::sig;
use crate::sys::{self, eq, errno_name, nr, outcome, BAD_PTR, NO_SUCH_PID};

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case::new("wait.exit_code_low_byte", exit_code_low_byte),
    Case::new("wait.killed_by_signal", killed_by_signal),
    Case::new("wait.stop_continue_kill", stop_continue_kill),
    Case::new("wait.stopped_needs_wuntraced", stopped_needs_wuntraced),
    Case::new("wait.wnohang_running", wnohang_running),
    Case::new("wait.echild_no_children", echild_no_children),
    Case::new("wait.echild_not_our_child", echild_not_our_child),
    Case::new("wait.echild_no_such_pid", echild_no_such_pid),
    Case::new("wait.wexited_option_einval", wexited_option_einval),
    Case::new("wait.wnowait_option_einval", wnowait_option_einval),
    Case::new("wait.efault_status_reaps", efault_status_reaps),
    Case::new("wait.process_group_selection", process_group_selection),
    Case::new("wait.specific_pid_order", specific_pid_order),
    Case::new("wait.rusage", rusage),
    Case::new("wait.sigchld_ignored_autoreap", sigchld_ignored_autoreap),
    Case::new("wait.sa_nocldwait_autoreap", sa_nocldwait_autoreap),
];

fn status_or_errno(r: Result<(usize, i32), sys::Errno>) -> String {
    match r {
        Ok((0, _)) => "0 (none ready)".to_string(),
        Ok((_, st)) => describe(st),
        Err(e) => errno_name(e),
    }
}

fn exit_code_low_byte() -> String {
    child::run(|| {
        let _ = sys!(nr::EXIT_GROUP, 256 + 3);
        0
    })
}

fn killed_by_signal() -> String {
    child::run(|| {
        let _ = sig::raise(libc::SIGTERM);
        0
    })
}

fn stop_continue_kill() -> String {
    let pid = stopping_child();
    let stopped = status_or_errno(wait4(pid, libc::WUNTRACED));
    let _ = sys!(nr::KILL, pid, libc::SIGCONT);
    let continued = status_or_errno(wait4(pid, libc::WCONTINUED));
    let _ = sys!(nr::KILL, pid, libc::SIGKILL);
    let killed = status_or_errno(wait4(pid, 0));
    format!("{stopped}, {continued}, {killed}")
}

fn stopped_needs_wuntraced() -> String {
    let pid = stopping_child();
    let mut i = info();
    // Wait for the stop without consuming it.
    let _ = waitid(
        libc::P_PID,
        pid as i64,
        &mut i,
        libc::WSTOPPED | libc::WNOWAIT,
    );
    let plain = status_or_errno(wait4(pid, libc::WNOHANG));
    let untraced = status_or_errno(wait4(pid, libc::WNOHANG | libc::WUNTRACED));
    let _ = sys!(nr::KILL, pid, libc::SIGKILL);
    let _ = wait4(pid, 0);
    format!("without WUNTRACED: {plain}; with: {untraced}")
}

fn wnohang_running() -> String {
    let (pid, w) = blocked_child(0);
    let running = status_or_errno(wait4(pid, libc::WNOHANG));
    close(w);
    let done = status_or_errno(wait4(pid, 0));
    format!("running: {running}; after release: {done}")
}

fn echild_no_children() -> String {
    status_or_errno(wait4(-1, 0))
}

fn echild_not_our_child() -> String {
    let ppid = sys!(nr::GETPPID).unwrap_or(1) as i32;
    status_or_errno(wait4(ppid, libc::WNOHANG))
}

fn echild_no_such_pid() -> String {
    status_or_errno(wait4(NO_SUCH_PID as i32, 0))
}

fn wexited_option_einval() -> String {
    let (pid, w) = blocked_child(0);
    let r = status_or_errno(wait4(pid, libc::WEXITED));
    close(w);
    let _ = wait4(pid, 0);
    r
}

fn wnowait_option_einval() -> String {
    let (pid, w) = blocked_child(0);
    let r = status_or_errno(wait4(pid, libc::WNOWAIT));
    close(w);
    let _ = wait4(pid, 0);
    r
}

fn efault_status_reaps() -> String {
    let (pid, w) = blocked_child(0);
    close(w);
    let first = outcome(sys!(nr::WAIT4, pid, BAD_PTR, 0, 0));
    let second = status_or_errno(wait4(pid, libc::WNOHANG));
    format!("bad status pointer: {first}; again: {second}")
}

fn process_group_selection() -> String {
    let (r, w) = pipe();
    let hold = |code: i32| {
        child::spawn(move || {
            close(w);
            let _ = read_byte(r);
            code
        })
        .unwrap_or(-1)
    };
    let a = hold(1);
    let b = hold(2);
    close(r);
    let moved = outcome(sys!(nr::SETPGID, b, b));
    close(w);
    let same_group = status_or_errno(wait4(0, 0));
    let again = status_or_errno(wait4(0, 0));
    let other_group = status_or_errno(wait4(-b, 0));
    let _ = a;
    format!(
        "setpgid={moved} wait(0): {same_group}; wait(0) again: {again}; wait(-pgid): {other_group}"
    )
}

fn specific_pid_order() -> String {
    let (a, wa) = blocked_child(1);
    let (b, wb) = blocked_child(2);
    close(wa);
    close(wb);
    let second = status_or_errno(wait4(b, 0));
    let first = status_or_errno(wait4(a, 0));
    format!("{second}, {first}")
}

fn rusage() -> String {
    let (pid, w) = blocked_child(0);
    close(w);
    // SAFETY: rusage is plain data.
    let mut ru: libc::rusage = unsafe { core::mem::zeroed() };
    let mut st = 0i32;
    let r = sys!(
        nr::WAIT4,
        pid,
        &mut st as *mut i32,
        0,
        &mut ru as *mut libc::rusage
    );
    let sane = ru.ru_utime.tv_usec < 1_000_000 && ru.ru_stime.tv_usec < 1_000_000;
    format!(
        "{} {} times sane={}",
        eq(r, Ok(pid as usize)),
        describe(st),
        sys::yes(sane)
    )
}

fn sigchld_ignored_autoreap() -> String {
    sig::disposition(libc::SIGCHLD, libc::SIG_IGN);
    let (pid, w) = blocked_child(0);
    close(w);
    // Blocks until the child is gone, then reports that there is nothing to wait for.
    let r = status_or_errno(wait4(pid, 0));
    format!("wait on auto-reaped child: {r}")
}

fn sa_nocldwait_autoreap() -> String {
    let _ = sig::record_on(libc::SIGCHLD, libc::SA_NOCLDWAIT);
    let (pid, w) = blocked_child(0);
    close(w);
    let r = status_or_errno(wait4(pid, 0));
    format!("wait: {r}")
}
