//! `getty [--autologin USER] TTY`: opens the terminal as the controlling tty of a new session, makes it stdin,
//! stdout and stderr with sane settings, shows /etc/issue and `HOST login: `, and runs `login` for the name
//! typed (or at once for USER with `--autologin`). Run it from a service with `session = true`.
#![forbid(unsafe_code)]

use basalt_svc::tty;
use nix::fcntl::OFlag;
use nix::unistd::{dup2_stderr, dup2_stdin, dup2_stdout};
use std::os::fd::AsFd;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitCode};

const LOGIN: &str = "/sbin/login";
const USAGE: &str = "usage: getty [--autologin USER] TTY";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (autologin, tty_name) = match args.as_slice() {
        [flag, user, tty] if flag == "--autologin" => (Some(user.clone()), tty.clone()),
        [tty] if !tty.starts_with('-') => (None, tty.clone()),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(autologin, &tty_name) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("getty: {tty_name}: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(autologin: Option<String>, tty_name: &str) -> Result<(), String> {
    let path = if tty_name.starts_with('/') {
        tty_name.to_string()
    } else {
        format!("/dev/{tty_name}")
    };
    let short = path.trim_start_matches("/dev/").to_string();
    // setsid() fails when we already lead a session (the service's `session = true`); that is fine.
    let _ = nix::unistd::setsid();
    let terminal = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(OFlag::O_NOCTTY.bits())
        .open(&path)
        .map_err(|e| format!("cannot open {path}: {e}"))?;
    rustix::process::ioctl_tiocsctty(terminal.as_fd())
        .map_err(|e| format!("cannot make {path} the controlling terminal: {e}"))?;
    for dup in [dup2_stdin, dup2_stdout, dup2_stderr] {
        dup(&terminal).map_err(|e| format!("cannot make {path} stdio: {e}"))?;
    }
    drop(terminal);
    if let Err(error) = tty::set_sane(std::io::stdin()) {
        eprintln!("getty: warning: cannot set up {path}: {error}");
    }
    let host = nix::unistd::gethostname()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "localhost".into());
    let uname = nix::sys::utsname::uname().ok();
    let (system, release) = uname
        .as_ref()
        .map(|u| {
            (
                u.sysname().to_string_lossy().into_owned(),
                u.release().to_string_lossy().into_owned(),
            )
        })
        .unwrap_or_default();
    let issue = std::fs::read_to_string("/etc/issue").unwrap_or_default();
    tty::prompt(&format!(
        "\n{}",
        tty::expand_issue(&issue, &host, &short, &system, &release)
    ))
    .map_err(|e| e.to_string())?;
    let mut login = Command::new(LOGIN);
    login.env(
        "TERM",
        std::env::var("TERM").unwrap_or_else(|_| "vt100".into()),
    );
    if let Some(user) = autologin {
        tty::prompt(&format!("{host} login: {user} (automatic login)\n"))
            .map_err(|e| e.to_string())?;
        login.args(["-f", &user]);
    } else {
        let user = loop {
            tty::prompt(&format!("{host} login: ")).map_err(|e| e.to_string())?;
            match tty::read_line().map_err(|e| e.to_string())? {
                None => return Err("end of input".into()),
                Some(line) => {
                    let name = line.trim().to_string();
                    if tty::valid_user_name(&name) {
                        break name;
                    }
                }
            }
        };
        login.args(["--", &user]);
    }
    Err(format!("cannot run {LOGIN}: {}", login.exec()))
}
