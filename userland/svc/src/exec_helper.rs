//! `init --exec-helper …`: the last step before a service runs, for what `std::process::Command` cannot do
//! without `unsafe` (`pre_exec`): resource limits, the readiness fd at a chosen number, and user/group with
//! supplementary groups. The supervisor runs it as the service's process (same pid: it execs the command).
//!
//! The readiness pipe arrives as stdin; it is moved to the asked-for fd and stdin becomes /dev/null.
#![forbid(unsafe_code)]

use nix::fcntl::{fcntl, FcntlArg};
use nix::sys::resource::{setrlimit, Resource, RLIM_INFINITY};
use nix::unistd::{dup2_stdin, initgroups, setgid, setgroups, setuid, Group, User};
use std::ffi::CString;
use std::os::unix::process::CommandExt;
use std::process::Command;

/// The first argument that selects this mode.
pub const FLAG: &str = "--exec-helper";

/// What the helper is to do, as passed on its command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HelperSpec {
    pub ready_fd: Option<i32>,
    /// (name, soft, hard); `None` is infinity.
    pub rlimits: Vec<(String, Option<u64>, Option<u64>)>,
    pub user: Option<String>,
    pub group: Option<String>,
    /// Call setsid() first: a new session, so that the command can acquire a controlling terminal.
    pub session: bool,
    /// After setsid(), make stdin (a terminal) the controlling terminal, as a console shell needs for job control.
    pub controlling_tty: bool,
    pub argv: Vec<String>,
}

fn limit_word(limit: Option<u64>) -> String {
    limit.map_or_else(|| "inf".to_string(), |n| n.to_string())
}

fn parse_limit(word: &str) -> Result<Option<u64>, String> {
    if word == "inf" {
        return Ok(None);
    }
    word.parse()
        .map(Some)
        .map_err(|_| format!("bad limit `{word}`"))
}

impl HelperSpec {
    /// The arguments after the helper's own path.
    pub fn to_args(&self) -> Vec<String> {
        let mut args = vec![FLAG.to_string()];
        if let Some(fd) = self.ready_fd {
            args.extend(["--ready-fd".to_string(), fd.to_string()]);
        }
        for (name, soft, hard) in &self.rlimits {
            args.extend([
                "--rlimit".to_string(),
                format!("{name}={}:{}", limit_word(*soft), limit_word(*hard)),
            ]);
        }
        if let Some(user) = &self.user {
            args.extend(["--user".to_string(), user.clone()]);
        }
        if let Some(group) = &self.group {
            args.extend(["--group".to_string(), group.clone()]);
        }
        if self.session {
            args.push("--setsid".to_string());
        }
        if self.controlling_tty {
            args.push("--ctty".to_string());
        }
        args.push("--".to_string());
        args.extend(self.argv.iter().cloned());
        args
    }

    /// Parses the arguments after `--exec-helper`.
    pub fn parse(args: &[String]) -> Result<Self, String> {
        let mut spec = Self::default();
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            let mut value = || {
                rest.next()
                    .cloned()
                    .ok_or_else(|| format!("{arg} needs a value"))
            };
            match arg.as_str() {
                "--ready-fd" => {
                    spec.ready_fd =
                        Some(value()?.parse().map_err(|_| "bad --ready-fd".to_string())?)
                }
                "--rlimit" => {
                    let v = value()?;
                    let (name, limits) = v.split_once('=').ok_or("bad --rlimit")?;
                    let (soft, hard) = limits.split_once(':').ok_or("bad --rlimit")?;
                    spec.rlimits
                        .push((name.to_string(), parse_limit(soft)?, parse_limit(hard)?));
                }
                "--user" => spec.user = Some(value()?),
                "--group" => spec.group = Some(value()?),
                "--setsid" => spec.session = true,
                "--ctty" => spec.controlling_tty = true,
                "--" => {
                    spec.argv = rest.cloned().collect();
                    break;
                }
                other => return Err(format!("unknown exec-helper argument `{other}`")),
            }
        }
        if spec.argv.is_empty() {
            return Err("no command".into());
        }
        Ok(spec)
    }
}

fn resource(name: &str) -> Result<Resource, String> {
    Ok(match name {
        "as" => Resource::RLIMIT_AS,
        "core" => Resource::RLIMIT_CORE,
        "cpu" => Resource::RLIMIT_CPU,
        "data" => Resource::RLIMIT_DATA,
        "fsize" => Resource::RLIMIT_FSIZE,
        "memlock" => Resource::RLIMIT_MEMLOCK,
        "nofile" => Resource::RLIMIT_NOFILE,
        "nproc" => Resource::RLIMIT_NPROC,
        "stack" => Resource::RLIMIT_STACK,
        other => return Err(format!("unknown rlimit `{other}`")),
    })
}

/// Applies the spec and execs the command; returns only with the reason it could not.
pub fn run(spec: &HelperSpec) -> String {
    match prepare(spec) {
        Ok((program, mut command)) => format!("cannot run {program}: {}", command.exec()),
        Err(message) => message,
    }
}

fn prepare(spec: &HelperSpec) -> Result<(String, Command), String> {
    let Some((program, args)) = spec.argv.split_first() else {
        return Err("no command".into());
    };
    if spec.session {
        nix::unistd::setsid().map_err(|e| format!("cannot start a new session: {e}"))?;
    }
    if spec.controlling_tty {
        rustix::process::ioctl_tiocsctty(std::io::stdin())
            .map_err(|e| format!("cannot make stdin the controlling terminal: {e}"))?;
    }
    for (name, soft, hard) in &spec.rlimits {
        setrlimit(
            resource(name)?,
            soft.unwrap_or(RLIM_INFINITY),
            hard.unwrap_or(RLIM_INFINITY),
        )
        .map_err(|e| format!("cannot set rlimit {name}: {e}"))?;
    }
    if let Some(fd) = spec.ready_fd {
        // F_DUPFD gives the lowest free fd >= fd, without close-on-exec.
        let got = fcntl(std::io::stdin(), FcntlArg::F_DUPFD(fd))
            .map_err(|e| format!("cannot set up ready fd {fd}: {e}"))?;
        if got != fd {
            return Err(format!("cannot set up ready fd {fd}: it is already open"));
        }
        let null =
            std::fs::File::open("/dev/null").map_err(|e| format!("cannot open /dev/null: {e}"))?;
        dup2_stdin(&null).map_err(|e| format!("cannot make /dev/null stdin: {e}"))?;
    }
    let group = match &spec.group {
        Some(name) => Some(
            Group::from_name(name)
                .map_err(|e| format!("cannot look up group {name}: {e}"))?
                .ok_or_else(|| format!("no group {name}"))?
                .gid,
        ),
        None => None,
    };
    if let Some(name) = &spec.user {
        let user = User::from_name(name)
            .map_err(|e| format!("cannot look up user {name}: {e}"))?
            .ok_or_else(|| format!("no user {name}"))?;
        let gid = group.unwrap_or(user.gid);
        let cname = CString::new(name.as_str()).map_err(|_| "bad user name".to_string())?;
        initgroups(&cname, gid).map_err(|e| format!("cannot set groups of {name}: {e}"))?;
        setgid(gid).map_err(|e| format!("cannot set group: {e}"))?;
        setuid(user.uid).map_err(|e| format!("cannot become {name}: {e}"))?;
    } else if let Some(gid) = group {
        setgroups(&[gid]).map_err(|e| format!("cannot set groups: {e}"))?;
        setgid(gid).map_err(|e| format!("cannot set group: {e}"))?;
    }
    let mut command = Command::new(program);
    command.args(args);
    Ok((program.clone(), command))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_round_trip() {
        let spec = HelperSpec {
            ready_fd: Some(3),
            rlimits: vec![("nofile".into(), Some(64), None)],
            user: Some("nobody".into()),
            group: None,
            session: true,
            controlling_tty: true,
            argv: vec!["/bin/sh".into(), "-c".into(), "--".into()],
        };
        let args = spec.to_args();
        assert_eq!(args[0], FLAG);
        assert_eq!(HelperSpec::parse(&args[1..]), Ok(spec));
    }

    #[test]
    fn bad_arguments_are_errors() {
        assert!(HelperSpec::parse(&["--ready-fd".into()]).is_err());
        assert!(HelperSpec::parse(&["--".into()]).is_err());
        assert!(
            HelperSpec::parse(&["--rlimit".into(), "nofile".into(), "--".into(), "x".into()])
                .is_err()
        );
        assert!(HelperSpec::parse(&["--bogus".into()]).is_err());
    }
}
