//! Runs each case in its own forked process group and prints its line.
//!
//! The child runs the case and writes the result text plus a newline to a pipe; the parent reads up to the newline
//! under a timer. A case that crashes or hangs is reported (`crashed (signal N)`, `timeout`) and the rest still run.

use core::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::io::Write;

use crate::child::{close, pipe, write_all};
use crate::registry::Case;
use crate::sys::{nr, Errno};
use crate::{sig, sys};

/// How long a case may take before it is killed.
const TIMEOUT_SECS: i64 = 5;

/// Set by the runner's SIGALRM handler when the case's time is up.
static TIMED_OUT: AtomicBool = AtomicBool::new(false);

extern "C" fn on_alarm(_sig: i32, _info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    TIMED_OUT.store(true, SeqCst);
}

/// Runs `cases` in order, printing `case <name>: <result>` for each and `abi: <N> cases` at the end.
pub fn run_all(cases: &[&Case]) {
    // No SA_RESTART: the timer must interrupt the blocking read and wait.
    let _ = sig::handle(libc::SIGALRM, on_alarm, 0, &[]);
    for case in cases {
        let text = run_one(case);
        println!("case {}: {}", case.name, text);
    }
    println!("abi: {} cases", cases.len());
    let _ = std::io::stdout().flush();
}

/// Arms (or with `secs == 0` disarms) the timer; it repeats every second so a signal that arrived just before a
/// blocking call started still interrupts that call a moment later.
fn arm_timer(secs: i64) {
    TIMED_OUT.store(false, SeqCst);
    let interval = if secs == 0 { 0 } else { 1 };
    let t: [i64; 4] = [interval, 0, secs, 0];
    if sys!(nr::SETITIMER, libc::ITIMER_REAL, t.as_ptr(), 0).is_err() {
        let _ = sys!(nr::ALARM, secs);
    }
}

/// Puts the case process into a known state: default dispositions for the standard signals (the runner handles
/// SIGALRM; Rust's runtime ignores SIGPIPE and handles SIGSEGV/SIGBUS to report stack overflows), nothing blocked,
/// umask 022. Real-time signals are left alone: musl uses some internally.
fn prepare_case_process() {
    for s in 1..32 {
        if s != libc::SIGKILL && s != libc::SIGSTOP {
            sig::disposition(s, libc::SIG_DFL);
        }
    }
    let _ = sig::procmask(libc::SIG_SETMASK, 0);
    let _ = sys!(nr::UMASK, 0o022);
}

fn run_one(case: &Case) -> String {
    let _ = std::io::stdout().flush();
    let (read_end, write_end) = pipe();
    // SAFETY: the runner is single-threaded.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return format!("fork failed: {}", sys::last_errno());
    }
    if pid == 0 {
        let _ = sys!(nr::SETPGID, 0, 0);
        close(read_end);
        prepare_case_process();
        // One line per case, whatever the case returned.
        let mut text = (case.run)().replace('\n', " ");
        text.push('\n');
        let _ = write_all(write_end, text.as_bytes());
        // SAFETY: ends the case process without running the runner's exit path.
        unsafe { libc::_exit(0) };
    }
    // Both sides set the group, so that it is in place whichever runs first.
    let _ = sys!(nr::SETPGID, pid, pid);
    close(write_end);
    arm_timer(TIMEOUT_SECS);
    let line = read_line(read_end);
    close(read_end);
    let status = wait_case(pid);
    arm_timer(0);
    // Stray grandchildren of the case are in its process group.
    let _ = sys!(nr::KILL, -(pid as i64), libc::SIGKILL);
    match (line, status) {
        (Some(text), _) => text,
        (None, Some(st)) if libc::WIFSIGNALED(st) => {
            format!("crashed (signal {})", libc::WTERMSIG(st))
        }
        (None, Some(st)) if libc::WIFEXITED(st) => {
            format!("exited {} without result", libc::WEXITSTATUS(st))
        }
        _ => "timeout".to_string(),
    }
}

/// Reads up to the first newline; `None` on end of file or timeout.
fn read_line(fd: i32) -> Option<String> {
    let mut out = Vec::new();
    let mut buf = [0u8; 512];
    loop {
        if TIMED_OUT.load(SeqCst) {
            return None;
        }
        match sys!(nr::READ, fd, buf.as_mut_ptr(), buf.len()) {
            Ok(0) => return None,
            Ok(n) => {
                out.extend_from_slice(&buf[..n]);
                if let Some(end) = out.iter().position(|&b| b == b'\n') {
                    out.truncate(end);
                    return Some(String::from_utf8_lossy(&out).into_owned());
                }
            }
            Err(Errno::EINTR) => {}
            Err(_) => return None,
        }
    }
}

/// Waits for the case process; kills its group on timeout. `None` if it had to be killed.
fn wait_case(pid: i32) -> Option<i32> {
    let mut status = 0i32;
    loop {
        if TIMED_OUT.load(SeqCst) {
            // It may have ended just now: prefer its real status.
            if let Ok(got) = sys!(
                nr::WAIT4,
                pid,
                &mut status as *mut i32,
                libc::WNOHANG | libc::__WALL,
                0
            ) {
                if got == pid as usize {
                    return Some(status);
                }
            }
            let _ = sys!(nr::KILL, -(pid as i64), libc::SIGKILL);
            let _ = sys!(nr::KILL, pid, libc::SIGKILL);
            arm_timer(0);
            let _ = sys!(nr::WAIT4, pid, &mut status as *mut i32, libc::__WALL, 0);
            return None;
        }
        match sys!(nr::WAIT4, pid, &mut status as *mut i32, libc::__WALL, 0) {
            Ok(_) => return Some(status),
            Err(Errno::EINTR) => {}
            Err(_) => return None,
        }
    }
}
