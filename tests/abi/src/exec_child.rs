//! The program's second role: when started by an exec case with `ABI_EXEC_CHILD=<mode>` in its environment, it
//! reports what it received (argv, environment, file descriptors, signal state) on stdout and exits.
//!
//! The environment variable (not an argument) selects the mode so that argv can be anything the case wants to check,
//! including what a `#!` script's interpreter receives.

use std::sync::OnceLock;

use crate::child;
use crate::sig;
use crate::sys::{eq, getpid, nr, yes};

/// Environment variable naming the mode.
pub const MODE_VAR: &str = "ABI_EXEC_CHILD";
/// Environment variable holding the path this program was started as, so the child can print `<self>` for it.
pub const SELF_VAR: &str = "ABI_SELF";

static SELF_PATH: OnceLock<String> = OnceLock::new();

/// Records how to execute this program again: `argv[0]` when it is a path, else `/proc/self/exe`.
pub fn remember_self(argv0: &str) {
    let path = if argv0.contains('/') {
        argv0.to_string()
    } else {
        "/proc/self/exe".to_string()
    };
    let _ = SELF_PATH.set(path);
}

/// The path to execute this program again.
pub fn self_path() -> String {
    SELF_PATH
        .get()
        .cloned()
        .unwrap_or_else(|| "/proc/self/exe".to_string())
}

/// Runs the requested mode and returns the exit code, or `None` when this is a normal run.
pub fn run_if_requested() -> Option<u8> {
    let mode = std::env::var(MODE_VAR).ok()?;
    let (text, code) = match mode.split_once(':') {
        Some(("exit", n)) => (String::new(), n.parse().unwrap_or(255)),
        Some(("fds", list)) => (fds(list), 0),
        _ if mode == "argv" => (argv_and_env(), 0),
        _ if mode == "sigs" => (signals(), 0),
        _ if mode == "pid" => (pid(), 0),
        _ if mode == "wait" => wait_for_stdin(),
        _ => (format!("unknown mode {mode}"), 2),
    };
    let _ = child::write_all(1, text.as_bytes());
    Some(code)
}

/// `argv=[a|b] env=[K=V|...]`, with `<self>` for this program's path.
fn argv_and_env() -> String {
    let me = std::env::var(SELF_VAR).ok();
    let argv: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .map(|a| {
            if Some(&a) == me.as_ref() {
                "<self>".to_string()
            } else {
                a
            }
        })
        .collect();
    let env: Vec<String> = std::env::vars_os()
        .map(|(k, v)| format!("{}={}", k.to_string_lossy(), v.to_string_lossy()))
        .filter(|kv| !kv.starts_with(MODE_VAR) && !kv.starts_with(SELF_VAR))
        .collect();
    format!(
        "argc={} argv=[{}] env=[{}]",
        argv.len(),
        argv.join("|"),
        env.join("|")
    )
}

/// `open closed ...` for the listed descriptors, in order (numbers are left out: they are the case's business).
fn fds(list: &str) -> String {
    let parts: Vec<String> = list
        .split(',')
        .filter_map(|s| s.parse::<i32>().ok())
        .map(|fd| {
            let open = sys!(nr::FCNTL, fd, libc::F_GETFD).is_ok();
            if open { "open" } else { "closed" }.to_string()
        })
        .collect();
    parts.join(" ")
}

/// Dispositions of SIGUSR1/SIGUSR2, and whether SIGHUP is still blocked and pending.
fn signals() -> String {
    let show = |s: i32| {
        let mut old = [0usize; 4];
        let _ = sys!(nr::RT_SIGACTION, s, 0, old.as_mut_ptr(), 8);
        match old[0] {
            0 => "dfl",
            1 => "ign",
            _ => "handler",
        }
    };
    let hup = sig::mask_of(&[libc::SIGHUP]);
    format!(
        "usr1={} usr2={} hup_blocked={} hup_pending={}",
        show(libc::SIGUSR1),
        show(libc::SIGUSR2),
        yes(sig::current_mask() & hup != 0),
        yes(sig::pending() & hup != 0)
    )
}

/// Whether the pid survived the exec (the case puts its pid in `ABI_PID`).
fn pid() -> String {
    let before = std::env::var("ABI_PID")
        .ok()
        .and_then(|p| p.parse::<usize>().ok());
    format!("pid={}", eq(Some(getpid()), before))
}

/// Stays alive until the parent writes a byte to (or closes) our stdin.
fn wait_for_stdin() -> (String, u8) {
    let _ = child::read_byte(0);
    (String::new(), 0)
}
