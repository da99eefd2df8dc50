//! Starting a service's process: its pipes, notify socket, environment, and the exec helper when needed.
#![forbid(unsafe_code)]

use super::service::Channels;
use crate::def::{Definition, ServiceType};
use crate::exec_helper::HelperSpec;
use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::unistd::pipe2;
use std::fs::File;
use std::os::fd::{AsFd, OwnedFd};
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
    if notify {
        let path = notify_dir.join(format!("{}.sock", def.name));
        let _ = std::fs::remove_file(&path);
        let socket = UnixDatagram::bind(&path)
            .map_err(|e| format!("cannot bind {}: {e}", path.display()))?;
        socket
            .set_nonblocking(true)
            .map_err(|e| format!("cannot set up {}: {e}", path.display()))?;
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
