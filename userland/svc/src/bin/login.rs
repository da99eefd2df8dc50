//! `login [-f] [--] [USER]`: asks for USER's password (echo off), checks it against /etc/shadow, and starts the
//! user's shell as a login shell (`-sh`) in their home directory, with their uid, gid and groups. `-f`: already
//! authenticated (getty's autologin; root only).
#![forbid(unsafe_code)]

use basalt_svc::account::{self, PasswdEntry};
use basalt_svc::tty;
use nix::unistd::{chown, initgroups, setgid, setuid, Gid, Uid};
use std::ffi::CString;
use std::os::fd::AsFd;
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitCode};
use std::time::Duration;

const PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// A failed attempt costs this long, against guessing.
const FAILURE_DELAY: Duration = Duration::from_secs(2);

fn main() -> ExitCode {
    let mut preauthenticated = false;
    let mut user = None;
    let mut rest = std::env::args().skip(1);
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "-f" => preauthenticated = true,
            "--" => {
                user = rest.next();
                break;
            }
            _ if arg.starts_with('-') => {
                eprintln!("usage: login [-f] [--] [USER]");
                return ExitCode::from(2);
            }
            _ => user = Some(arg),
        }
    }
    if preauthenticated && !Uid::current().is_root() {
        eprintln!("login: -f is for root only");
        return ExitCode::FAILURE;
    }
    match run(user, preauthenticated) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn run(user: Option<String>, preauthenticated: bool) -> Result<(), String> {
    let user = match user {
        Some(user) => user,
        None => {
            tty::prompt("login: ").map_err(|e| e.to_string())?;
            tty::read_line()
                .map_err(|e| e.to_string())?
                .ok_or("login: end of input")?
                .trim()
                .to_string()
        }
    };
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let entry = tty::valid_user_name(&user)
        .then(|| account::find_passwd(&passwd, &user))
        .flatten();
    if !preauthenticated {
        let password = tty::read_secret("Password: ")
            .map_err(|e| e.to_string())?
            .ok_or("login: end of input")?;
        let shadow = std::fs::read_to_string("/etc/shadow").unwrap_or_default();
        // An unknown user fails the same way as a wrong password.
        let ok = entry.is_some()
            && account::find_shadow_hash(&shadow, &user)
                .is_some_and(|hash| account::password_matches(&password, hash));
        if !ok {
            std::thread::sleep(FAILURE_DELAY);
            return Err("\nLogin incorrect".into());
        }
    }
    let entry = entry.ok_or_else(|| format!("login: no user {user}"))?;
    start_session(&entry)
}

/// Becomes the user and execs their shell as a login shell.
fn start_session(entry: &PasswdEntry) -> Result<(), String> {
    let (uid, gid) = (Uid::from_raw(entry.uid), Gid::from_raw(entry.gid));
    if let Ok(tty) = nix::unistd::ttyname(std::io::stdin().as_fd()) {
        // The terminal belongs to whoever is logged in on it.
        let _ = chown(&tty, Some(uid), Some(gid));
    }
    let name = CString::new(entry.name.as_str()).map_err(|_| "login: bad user name")?;
    initgroups(&name, gid).map_err(|e| format!("login: cannot set groups: {e}"))?;
    setgid(gid).map_err(|e| format!("login: cannot set group: {e}"))?;
    setuid(uid).map_err(|e| format!("login: cannot become {}: {e}", entry.name))?;
    let home = if std::env::set_current_dir(&entry.home).is_ok() {
        entry.home.as_str()
    } else {
        eprintln!("login: no home directory {}; using /", entry.home);
        let _ = std::env::set_current_dir("/");
        "/"
    };
    let base = entry.shell.rsplit('/').next().unwrap_or("sh");
    let mut shell = Command::new(&entry.shell);
    shell
        .arg0(format!("-{base}"))
        .env_clear()
        .env("HOME", home)
        .env("SHELL", &entry.shell)
        .env("USER", &entry.name)
        .env("LOGNAME", &entry.name)
        .env("PATH", PATH)
        .env(
            "TERM",
            std::env::var("TERM").unwrap_or_else(|_| "vt100".into()),
        );
    Err(format!(
        "login: cannot run {}: {}",
        entry.shell,
        shell.exec()
    ))
}
