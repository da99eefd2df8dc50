//! Starting a service's process: its pipes, notify socket, environment, and the exec helper when needed.
#![forbid(unsafe_code)]

use super::service::Channels;
use crate::def::{Definition, ServiceType};
use crate::exec_helper::HelperSpec;
use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::spawn::{posix_spawn, PosixSpawnAttr, PosixSpawnFileActions, PosixSpawnFlags};
use nix::sys::signal::{SigSet, Signal};
use nix::unistd::{pipe2, Pid};
use std::collections::BTreeMap;
use std::ffi::{CString, OsString};
use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStringExt;
use std::os::unix::net::UnixDatagram;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

/// PATH for services when the supervisor has none.
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

fn set_nonblocking(fd: &OwnedFd) -> std::io::Result<()> {
    let flags = fcntl(fd.as_fd(), FcntlArg::F_GETFL)?;
    fcntl(
        fd.as_fd(),
        FcntlArg::F_SETFL(OFlag::from_bits_truncate(flags) | OFlag::O_NONBLOCK),
    )?;
    Ok(())
}

fn cloexec_pipe() -> Result<(OwnedFd, OwnedFd), String> {
    pipe2(OFlag::O_CLOEXEC).map_err(|e| format!("cannot make a pipe: {e}"))
}

/// Starts `def`'s process in its own process group; returns its pid and the fds to watch.
pub fn spawn(
    def: &Definition,
    helper: &Path,
    notify_dir: &Path,
) -> Result<(i32, Channels), String> {
    if let Some(dir) = &def.working_directory {
        if !Path::new(dir).is_dir() {
            return Err(format!("working directory {dir} does not exist"));
        }
    }
    let mut channels = Channels::default();
    let (out_read, out_write) = cloexec_pipe()?;
    set_nonblocking(&out_read).map_err(|e| format!("cannot set up the output pipe: {e}"))?;
    let err_write = out_write
        .try_clone()
        .map_err(|e| format!("cannot set up the output pipe: {e}"))?;

    let mut ready_write = None;
    let notify = def.service_type == ServiceType::Notify;
    if let (true, Some(_)) = (notify, def.ready_fd) {
        let (read, write) = cloexec_pipe()?;
        set_nonblocking(&read).map_err(|e| format!("cannot set up the ready pipe: {e}"))?;
        channels.ready = Some(File::from(read));
        ready_write = Some(write);
    }

    let needs_helper = ready_write.is_some()
        || !def.rlimits.is_empty()
        || def.user.is_some()
        || def.group.is_some()
        || def.session;
    let notify_socket = if notify {
        let path = notify_dir.join(format!("{}.sock", def.name));
        let _ = std::fs::remove_file(&path);
        let socket = UnixDatagram::bind(&path)
            .map_err(|e| format!("cannot bind {}: {e}", path.display()))?;
        socket
            .set_nonblocking(true)
            .map_err(|e| format!("cannot set up {}: {e}", path.display()))?;
        Some((socket, path))
    } else {
        None
    };
    if let Some(ready) = ready_write.as_ref().filter(|_| can_spawn_directly(def)) {
        // The common readiness case without the exec helper: one exec fewer per service start.
        let environment = environment(def, notify_socket.as_ref().map(|(_, path)| path.as_path()));
        let pid = spawn_directly(def, ready, &out_write, &err_write, &environment)
            .map_err(|e| format!("cannot start {}: {e}", def.command))?;
        channels.notify = notify_socket;
        channels.output = Some(File::from(out_read));
        return Ok((pid, channels));
    }
    let mut command = if needs_helper {
        let spec = HelperSpec {
            ready_fd: def.ready_fd.filter(|_| ready_write.is_some()),
            rlimits: def
                .rlimits
                .iter()
                .map(|(name, l)| (name.clone(), l.soft, l.hard))
                .collect(),
            user: def.user.clone(),
            group: def.group.clone(),
            session: def.session,
            controlling_tty: false,
            argv: std::iter::once(def.command.clone())
                .chain(def.args.iter().cloned())
                .collect(),
        };
        let mut command = Command::new(helper);
        command.args(spec.to_args());
        command
    } else {
        let mut command = Command::new(&def.command);
        command.args(&def.args);
        command
    };
    command.env_clear();
    command.env(
        "PATH",
        std::env::var_os("PATH").unwrap_or_else(|| DEFAULT_PATH.into()),
    );
    command.envs(&def.environment);
    if let Some((socket, path)) = notify_socket {
        command.env("NOTIFY_SOCKET", &path);
        channels.notify = Some((socket, path));
    }
    if let Some(dir) = &def.working_directory {
        command.current_dir(dir);
    }
    command.stdin(match ready_write {
        Some(write) => Stdio::from(write),
        None => Stdio::null(),
    });
    command.stdout(Stdio::from(out_write));
    command.stderr(Stdio::from(err_write));
    if !def.session {
        // (With `session`, the helper's setsid() makes the new group; a group leader could not call it.)
        command.process_group(0);
    }
    let child = command
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", def.command))?;
    // The Command holds the write ends; dropping it leaves the child the only writer.
    drop(command);
    channels.output = Some(File::from(out_read));
    let pid = i32::try_from(child.id()).map_err(|_| "pid out of range".to_string())?;
    Ok((pid, channels))
}

/// Whether the readiness fd can be set up by `posix_spawn`'s file actions
/// instead of the exec helper: nothing else the helper does is asked for, and
/// the command is a path (`posix_spawnp` would search the supervisor's PATH,
/// not the service's).
fn can_spawn_directly(def: &Definition) -> bool {
    def.rlimits.is_empty()
        && def.user.is_none()
        && def.group.is_none()
        && def.working_directory.is_none()
        && !def.session
        && def.ready_fd.is_some()
        && def.command.contains('/')
}

/// The service's environment as the `Command` path builds it: PATH, the definition's variables, NOTIFY_SOCKET.
fn environment(def: &Definition, notify_socket: Option<&Path>) -> Vec<CString> {
    let mut variables: BTreeMap<OsString, OsString> = BTreeMap::new();
    variables.insert(
        "PATH".into(),
        std::env::var_os("PATH").unwrap_or_else(|| DEFAULT_PATH.into()),
    );
    for (name, value) in &def.environment {
        variables.insert(name.into(), value.into());
    }
    if let Some(path) = notify_socket {
        variables.insert("NOTIFY_SOCKET".into(), path.as_os_str().to_owned());
    }
    variables
        .into_iter()
        .filter_map(|(name, value)| {
            let mut entry = name;
            entry.push("=");
            entry.push(value);
            CString::new(entry.into_vec()).ok()
        })
        .collect()
}

/// `posix_spawn` of the command with stdout/stderr on the output pipe, the ready
/// pipe at `ready_fd`, stdin on /dev/null, in a process group of its own, with
/// an empty signal mask and SIGPIPE (which Rust ignores) back to its default.
fn spawn_directly(
    def: &Definition,
    ready: &OwnedFd,
    out: &OwnedFd,
    err: &OwnedFd,
    environment: &[CString],
) -> Result<i32, String> {
    let ready_fd = def.ready_fd.ok_or("no ready fd")?;
    let sources = [out.as_raw_fd(), err.as_raw_fd(), ready.as_raw_fd()];
    // Each dup2 must not overwrite a later source; the pipes normally sit above
    // the standard fds, and anything else is refused rather than wired wrongly.
    if sources.iter().any(|&fd| fd <= 2 || fd == ready_fd) {
        return Err("pipe fds collide with the target fds".to_string());
    }
    let argv: Vec<CString> = std::iter::once(&def.command)
        .chain(def.args.iter())
        .map(|arg| CString::new(arg.as_bytes()).map_err(|_| format!("`{arg}` contains a NUL byte")))
        .collect::<Result<_, _>>()?;
    let null = File::open("/dev/null").map_err(|e| format!("cannot open /dev/null: {e}"))?;
    if null.as_raw_fd() <= 2 || null.as_raw_fd() == ready_fd {
        return Err("/dev/null's fd collides with the target fds".to_string());
    }
    let error = |what: &str, e: nix::Error| format!("{what}: {e}");
    let mut actions = PosixSpawnFileActions::init().map_err(|e| error("spawn actions", e))?;
    actions
        .add_dup2(out.as_raw_fd(), 1)
        .and_then(|()| actions.add_dup2(err.as_raw_fd(), 2))
        .and_then(|()| actions.add_dup2(ready.as_raw_fd(), ready_fd))
        .and_then(|()| actions.add_dup2(null.as_raw_fd(), 0))
        .map_err(|e| error("spawn actions", e))?;
    let mut attributes = PosixSpawnAttr::init().map_err(|e| error("spawn attributes", e))?;
    let mut default_signals = SigSet::empty();
    default_signals.add(Signal::SIGPIPE);
    attributes
        .set_flags(
            PosixSpawnFlags::POSIX_SPAWN_SETPGROUP
                | PosixSpawnFlags::POSIX_SPAWN_SETSIGDEF
                | PosixSpawnFlags::POSIX_SPAWN_SETSIGMASK,
        )
        .and_then(|()| attributes.set_pgroup(Pid::from_raw(0)))
        .and_then(|()| attributes.set_sigdefault(&default_signals))
        .and_then(|()| attributes.set_sigmask(&SigSet::empty()))
        .map_err(|e| error("spawn attributes", e))?;
    let pid = posix_spawn(
        def.command.as_str(),
        &actions,
        &attributes,
        &argv,
        environment,
    )
    .map_err(|e| e.to_string())?;
    Ok(pid.as_raw())
}
