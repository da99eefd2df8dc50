//! waitid: the siginfo it fills, id types, WNOWAIT/WNOHANG, and its errors.

use crate::child::{blocked_child, close, stopping_child, wait4};
use crate::registry::Case;
use crate::signame::{si_code_name, signal_name};
use crate::sys::{self, eq, errno_name, nr, outcome, BAD_PTR};

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case::new("waitid.exited", waitid_exited),
    Case::new("waitid.killed", waitid_killed),
    Case::new("waitid.stopped_continued", waitid_stopped_continued),
    Case::new("waitid.wnowait", waitid_wnowait),
    Case::new("waitid.wnohang_running", waitid_wnohang_running),
    Case::new("waitid.no_options_einval", waitid_no_options),
    Case::new("waitid.bad_idtype_einval", waitid_bad_idtype),
    Case::new("waitid.p_pid_zero_einval", waitid_p_pid_zero),
    Case::new("waitid.echild", waitid_echild),
    Case::new("waitid.p_pgid", waitid_p_pgid),
    Case::new("waitid.p_all", waitid_p_all),
    Case::new("waitid.efault_infop", waitid_efault_infop),
];

/// A zeroed siginfo for waitid.
pub fn info() -> libc::siginfo_t {
    // SAFETY: siginfo_t is plain data.
    unsafe { core::mem::zeroed() }
}

/// `waitid(idtype, id, &info, options)`.
pub fn waitid(
    idtype: u32,
    id: i64,
    info: &mut libc::siginfo_t,
    options: i32,
) -> Result<usize, sys::Errno> {
    sys!(
        nr::WAITID,
        idtype,
        id,
        info as *mut libc::siginfo_t,
        options,
        0
    )
}

/// `signo code status pid=<same|differ>` from a waitid result.
fn show_info(info: &libc::siginfo_t, pid: i32) -> String {
    // SAFETY: the kernel filled the SIGCHLD fields.
    let (spid, status) = unsafe { (info.si_pid(), info.si_status()) };
    let status_text = if info.si_code == libc::CLD_EXITED {
        status.to_string()
    } else {
        signal_name(status)
    };
    format!(
        "{} {} status={} pid={}",
        signal_name(info.si_signo),
        si_code_name(libc::SIGCHLD, info.si_code),
        status_text,
        eq(spid, pid)
    )
}

fn waitid_exited() -> String {
    let (pid, w) = blocked_child(5);
    close(w);
    let mut i = info();
    let r = outcome(waitid(libc::P_PID, pid as i64, &mut i, libc::WEXITED));
    format!("{r} {}", show_info(&i, pid))
}

fn waitid_killed() -> String {
    let (pid, w) = blocked_child(5);
    let _ = sys!(nr::KILL, pid, libc::SIGKILL);
    let mut i = info();
    let r = outcome(waitid(libc::P_PID, pid as i64, &mut i, libc::WEXITED));
    close(w);
    format!("{r} {}", show_info(&i, pid))
}

fn waitid_stopped_continued() -> String {
    let pid = stopping_child();
    let mut i = info();
    let _ = waitid(libc::P_PID, pid as i64, &mut i, libc::WSTOPPED);
    let stopped = show_info(&i, pid);
    let _ = sys!(nr::KILL, pid, libc::SIGCONT);
    let mut c = info();
    let _ = waitid(libc::P_PID, pid as i64, &mut c, libc::WCONTINUED);
    let continued = show_info(&c, pid);
    let _ = sys!(nr::KILL, pid, libc::SIGKILL);
    let _ = wait4(pid, 0);
    format!("{stopped}; {continued}")
}

fn waitid_wnowait() -> String {
    let (pid, w) = blocked_child(5);
    close(w);
    let mut texts = Vec::new();
    for options in [
        libc::WEXITED | libc::WNOWAIT,
        libc::WEXITED | libc::WNOWAIT,
        libc::WEXITED,
    ] {
        let mut i = info();
        texts.push(match waitid(libc::P_PID, pid as i64, &mut i, options) {
            Ok(_) => show_info(&i, pid),
            Err(e) => errno_name(e),
        });
    }
    let mut i = info();
    texts.push(outcome(waitid(
        libc::P_PID,
        pid as i64,
        &mut i,
        libc::WEXITED,
    )));
    texts.join("; ")
}

fn waitid_wnohang_running() -> String {
    let (pid, w) = blocked_child(0);
    let mut i = info();
    let r = outcome(waitid(
        libc::P_PID,
        pid as i64,
        &mut i,
        libc::WEXITED | libc::WNOHANG,
    ));
    // SAFETY: plain data.
    let spid = unsafe { i.si_pid() };
    close(w);
    let _ = wait4(pid, 0);
    format!("{r} si_pid={spid}")
}

fn waitid_no_options() -> String {
    let (pid, w) = blocked_child(0);
    let mut i = info();
    let r = outcome(waitid(libc::P_PID, pid as i64, &mut i, 0));
    close(w);
    let _ = wait4(pid, 0);
    r
}

fn waitid_bad_idtype() -> String {
    let mut i = info();
    outcome(waitid(42, 0, &mut i, libc::WEXITED))
}

fn waitid_p_pid_zero() -> String {
    let mut i = info();
    outcome(waitid(libc::P_PID, 0, &mut i, libc::WEXITED))
}

fn waitid_echild() -> String {
    let mut i = info();
    outcome(waitid(libc::P_ALL, 0, &mut i, libc::WEXITED))
}

fn waitid_p_pgid() -> String {
    let (pid, w) = blocked_child(6);
    let _ = sys!(nr::SETPGID, pid, pid);
    close(w);
    let mut i = info();
    let r = outcome(waitid(libc::P_PGID, pid as i64, &mut i, libc::WEXITED));
    format!("{r} {}", show_info(&i, pid))
}

fn waitid_p_all() -> String {
    let (pid, w) = blocked_child(7);
    close(w);
    let mut i = info();
    let r = outcome(waitid(libc::P_ALL, 0, &mut i, libc::WEXITED));
    format!("{r} {}", show_info(&i, pid))
}

fn waitid_efault_infop() -> String {
    let (pid, w) = blocked_child(0);
    close(w);
    let first = outcome(sys!(
        nr::WAITID,
        libc::P_PID,
        pid,
        BAD_PTR,
        libc::WEXITED,
        0
    ));
    let mut i = info();
    let second = outcome(waitid(
        libc::P_PID,
        pid as i64,
        &mut i,
        libc::WEXITED | libc::WNOHANG,
    ));
    format!("bad infop: {first}; again: {second}")
}
