//! The supervisor: one thread, one `poll` loop over self-pipes woken by SIGCHLD and SIGTERM/SIGINT, the
//! control socket (SIGHUP reloads), its clients, and each service's output pipe, readiness pipe and notify socket. Timers
//! (backoff, stop timeouts) are the poll timeout. Small and deterministic, as PID 1 should be.
//!
//! Why self-pipes (signal-hook) and not a signalfd: a signalfd needs the signals blocked, the mask is
//! inherited across exec, and std's spawn does not reset it; services would start with SIGTERM blocked.
//! Handlers are reset by exec, so children start with default signal handling.
#![forbid(unsafe_code)]

mod control;
mod jobs;
mod service;
mod spawn;

use crate::catalog::Catalog;
use crate::graph::Graph;
use control::Client;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use service::Service;
use std::collections::BTreeMap;
use std::io::{self, Read};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Where definitions, the control socket and logs live.
#[derive(Debug, Clone)]
pub struct Layout {
    pub services: PathBuf,
    pub run: PathBuf,
    pub logs: PathBuf,
    /// `svc enable`/`disable` markers: `enabled/NAME` (template instances), `disabled/NAME`.
    pub state: PathBuf,
}

impl Layout {
    /// `init --supervise DIR`: everything under DIR.
    pub fn supervise(dir: &Path) -> Self {
        Self {
            services: dir.join("services"),
            run: dir.join("run"),
            logs: dir.join("log"),
            state: dir.join("state"),
        }
    }

    /// PID 1 on a real system.
    pub fn system() -> Self {
        Self {
            services: PathBuf::from("/etc/basalt/services"),
            run: PathBuf::from("/run/basalt"),
            logs: PathBuf::from("/var/log/basalt"),
            state: PathBuf::from("/var/lib/basalt"),
        }
    }

    pub fn control_socket(&self) -> PathBuf {
        self.run.join("control.sock")
    }

    fn notify_dir(&self) -> PathBuf {
        self.run.join("notify")
    }
}

/// How the supervisor is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// PID 1: a shutdown ends in reboot(2) (done by `init`'s pid1 module, not here).
    Pid1,
    /// Unprivileged, for developers and tests: a shutdown ends the process.
    Supervise,
}

/// Why the loop ended: what the caller does next (exit, or in PID 1 mode sync and reboot(2)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shutdown {
    Poweroff,
    Reboot,
    /// Stop the machine without powering it off (PID 1 only: SIGUSR1 / SIGRTMIN+3).
    Halt,
}

/// glibc's SIGRTMIN (34), not musl's (35): systemd's tools, built against glibc, send SIGRTMIN+n with this base.
const GLIBC_SIGRTMIN: i32 = 34;

/// Which signals ask for which shutdown: in PID 1 mode those of busybox init (SIGUSR1 halt, SIGUSR2 poweroff,
/// SIGTERM reboot) and systemd (SIGINT, sent by the kernel for Ctrl-Alt-Del, reboots; SIGRTMIN+3/+4/+5 halt,
/// poweroff, reboot); supervised, SIGTERM and SIGINT end it, as for any daemon.
fn shutdown_signals(mode: Mode) -> [(Shutdown, Vec<i32>); 3] {
    use signal_hook::consts::{SIGINT, SIGTERM, SIGUSR1, SIGUSR2};
    match mode {
        Mode::Pid1 => [
            (Shutdown::Poweroff, vec![SIGUSR2, GLIBC_SIGRTMIN + 4]),
            (Shutdown::Reboot, vec![SIGTERM, SIGINT, GLIBC_SIGRTMIN + 5]),
            (Shutdown::Halt, vec![SIGUSR1, GLIBC_SIGRTMIN + 3]),
        ],
        Mode::Supervise => [
            (Shutdown::Poweroff, vec![SIGTERM, SIGINT]),
            (Shutdown::Reboot, vec![]),
            (Shutdown::Halt, vec![]),
        ],
    }
}

pub struct Supervisor {
    layout: Layout,
    pub mode: Mode,
    helper: PathBuf,
    boot: Instant,
    catalog: Catalog,
    graph: Graph,
    services: BTreeMap<String, Service>,
    listener: UnixListener,
    /// Woken by SIGCHLD.
    child_signal: UnixStream,
    /// Woken by the signals that ask for a shutdown (see [`shutdown_signals`]), one pipe per kind.
    stop_signals: Vec<(Shutdown, UnixStream)>,
    /// Woken by SIGHUP: reload, as systemd does.
    reload_signal: UnixStream,
    clients: BTreeMap<u64, Client>,
    next_client: u64,
    /// Set once poweroff or reboot was asked for: everything is stopping, then the loop ends.
    shutdown: Option<Shutdown>,
}

/// What a poll entry belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    ChildSignal,
    StopSignal(usize),
    ReloadSignal,
    Listener,
    Output(String),
    Ready(String),
    Notify(String),
    Client(u64),
}

/// A nonblocking socket pair whose read end becomes readable when one of `signals` arrives.
fn self_pipe(signals: &[i32]) -> io::Result<UnixStream> {
    let (read, write) = UnixStream::pair()?;
    read.set_nonblocking(true)?;
    write.set_nonblocking(true)?;
    for &signal in signals {
        signal_hook::low_level::pipe::register(signal, write.try_clone()?)?;
    }
    Ok(read)
}

/// Empties a self-pipe (the bytes only say "look").
fn drain(pipe: &mut UnixStream) {
    let mut buffer = [0u8; 64];
    while matches!(pipe.read(&mut buffer), Ok(n) if n > 0) {}
}

fn log(message: &str) {
    eprintln!("init: {message}");
}

impl Supervisor {
    /// Sets up the directories, the control socket and the signalfd, and loads the definitions.
    pub fn new(layout: Layout, mode: Mode, helper: PathBuf) -> io::Result<Self> {
        for dir in [
            &layout.run,
            &layout.logs,
            &layout.notify_dir(),
            &layout.state.join("enabled"),
            &layout.state.join("disabled"),
        ] {
            std::fs::create_dir_all(dir)?;
        }
        let socket = layout.control_socket();
        if std::os::unix::net::UnixStream::connect(&socket).is_ok() {
            return Err(io::Error::new(
                io::ErrorKind::AddrInUse,
                format!("another init is already listening on {}", socket.display()),
            ));
        }
        let _ = std::fs::remove_file(&socket);
        let listener = UnixListener::bind(&socket)?;
        if mode == Mode::Supervise {
            // Orphans of services come to us, not to the host's init: they are reaped here, and a service's
            // process group can still be found and killed.
            nix::sys::prctl::set_child_subreaper(true)?;
        }
        listener.set_nonblocking(true)?;
        let child_signal = self_pipe(&[signal_hook::consts::SIGCHLD])?;
        let mut stop_signals = Vec::new();
        for (kind, signals) in shutdown_signals(mode) {
            if !signals.is_empty() {
                stop_signals.push((kind, self_pipe(&signals)?));
            }
        }
        let reload_signal = self_pipe(&[signal_hook::consts::SIGHUP])?;
        let catalog = Catalog::load(&layout.services);
        Ok(Self {
            layout,
            mode,
            helper,
            boot: Instant::now(),
            catalog,
            graph: Graph::default(),
            services: BTreeMap::new(),
            listener,
            child_signal,
            stop_signals,
            reload_signal,
            clients: BTreeMap::new(),
            next_client: 0,
            shutdown: None,
        })
    }

    /// Starts the boot services and runs until a poweroff or reboot has stopped everything.
    pub fn run(mut self) -> io::Result<Shutdown> {
        for (name, error) in &self.catalog.errors {
            log(&format!("{name}: {error}"));
        }
        let boot = self.boot_names();
        self.start_names(&boot, true);
        loop {
            self.advance();
            if let Some(shutdown) = self.shutdown {
                if self.services.values().all(|s| s.pid.is_none()) {
                    self.flush_clients();
                    let _ = std::fs::remove_file(self.layout.control_socket());
                    return Ok(shutdown);
                }
            }
            if let Err(error) = self.wait_and_dispatch() {
                if self.mode == Mode::Supervise {
                    return Err(error);
                }
                // PID 1 must not end: report, pause so that a persistent error cannot spin, go on.
                log(&format!("main loop: {error}; continuing"));
                std::thread::sleep(std::time::Duration::from_secs(1));
            }
        }
    }

    fn wait_and_dispatch(&mut self) -> io::Result<()> {
        let (sources, events) = {
            let mut sources: Vec<(Source, BorrowedFd<'_>, PollFlags)> = vec![
                (
                    Source::ChildSignal,
                    self.child_signal.as_fd(),
                    PollFlags::POLLIN,
                ),
                (
                    Source::ReloadSignal,
                    self.reload_signal.as_fd(),
                    PollFlags::POLLIN,
                ),
                (Source::Listener, self.listener.as_fd(), PollFlags::POLLIN),
            ];
            for (index, (_, pipe)) in self.stop_signals.iter().enumerate() {
                sources.push((Source::StopSignal(index), pipe.as_fd(), PollFlags::POLLIN));
            }
            for service in self.services.values() {
                let channels = &service.channels;
                if let Some(file) = &channels.output {
                    sources.push((
                        Source::Output(service.name.clone()),
                        file.as_fd(),
                        PollFlags::POLLIN,
                    ));
                }
                if let Some(file) = &channels.ready {
                    sources.push((
                        Source::Ready(service.name.clone()),
                        file.as_fd(),
                        PollFlags::POLLIN,
                    ));
                }
                if let Some((socket, _)) = &channels.notify {
                    sources.push((
                        Source::Notify(service.name.clone()),
                        socket.as_fd(),
                        PollFlags::POLLIN,
                    ));
                }
            }
            for (id, client) in &self.clients {
                sources.push((
                    Source::Client(*id),
                    client.stream.as_fd(),
                    client.poll_flags(),
                ));
            }
            let mut fds: Vec<PollFd<'_>> = sources
                .iter()
                .map(|(_, fd, flags)| PollFd::new(*fd, *flags))
                .collect();
            let timeout = match self.next_deadline() {
                Some(deadline) => {
                    let wait = deadline.saturating_duration_since(Instant::now());
                    // Round up so that the deadline has passed when poll returns.
                    PollTimeout::try_from(wait + std::time::Duration::from_millis(1))
                        .unwrap_or(PollTimeout::MAX)
                }
                None => PollTimeout::NONE,
            };
            match poll(&mut fds, timeout) {
                Ok(_) | Err(nix::errno::Errno::EINTR) => {}
                Err(error) => return Err(error.into()),
            }
            let events: Vec<PollFlags> = fds
                .iter()
                .map(|fd| fd.revents().unwrap_or(PollFlags::empty()))
                .collect();
            let sources: Vec<Source> = sources.into_iter().map(|(source, _, _)| source).collect();
            (sources, events)
        };
        for (source, revents) in sources.into_iter().zip(events) {
            if revents.is_empty() {
                continue;
            }
            match source {
                Source::ChildSignal => {
                    drain(&mut self.child_signal);
                    self.reap();
                }
                Source::StopSignal(index) => {
                    if let Some((kind, pipe)) = self.stop_signals.get_mut(index) {
                        let kind = *kind;
                        drain(pipe);
                        self.begin_shutdown(kind);
                    }
                }
                Source::ReloadSignal => {
                    drain(&mut self.reload_signal);
                    if self.shutdown.is_none() {
                        log(&format!("SIGHUP: reloaded: {}", self.reload()));
                    }
                }
                Source::Listener => self.accept_clients(),
                Source::Output(name) => self.read_output(&name, false),
                Source::Ready(name) => self.read_ready_pipe(&name),
                Source::Notify(name) => self.read_notify(&name),
                Source::Client(id) => self.service_client(id, revents),
            }
        }
        self.handle_timers(Instant::now());
        Ok(())
    }

    /// Reads a service's output until the pipe is empty; at end of file (or `final_drain`) closes it.
    fn read_output(&mut self, name: &str, final_drain: bool) {
        let mut lines = Vec::new();
        let Some(service) = self.services.get_mut(name) else {
            return;
        };
        let mut closed = false;
        if let Some(file) = &mut service.channels.output {
            let mut buffer = [0u8; 4096];
            loop {
                match file.read(&mut buffer) {
                    Ok(0) => {
                        closed = true;
                        break;
                    }
                    Ok(n) => lines.extend(service.channels.splitter.push(&buffer[..n])),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(_) => {
                        closed = true;
                        break;
                    }
                }
            }
        }
        if closed || final_drain {
            service.channels.output = None;
            lines.extend(service.channels.splitter.finish());
        }
        for line in &lines {
            service.record_line(line);
        }
        for line in lines {
            self.send_log_line(name, &line);
        }
    }

    /// s6-style readiness: a newline on the ready fd.
    fn read_ready_pipe(&mut self, name: &str) {
        let Some(service) = self.services.get_mut(name) else {
            return;
        };
        let mut ready = false;
        let mut closed = false;
        if let Some(file) = &mut service.channels.ready {
            let mut buffer = [0u8; 256];
            loop {
                match file.read(&mut buffer) {
                    Ok(0) => {
                        closed = true;
                        break;
                    }
                    Ok(n) => ready |= buffer[..n].contains(&b'\n'),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
        }
        if ready || closed {
            service.channels.ready = None;
        }
        if ready {
            self.mark_ready(name);
        }
    }

    /// systemd's protocol: a datagram with a `READY=1` line on `NOTIFY_SOCKET`.
    fn read_notify(&mut self, name: &str) {
        let Some(service) = self.services.get_mut(name) else {
            return;
        };
        let mut ready = false;
        if let Some((socket, _)) = &service.channels.notify {
            let mut buffer = [0u8; 4096];
            while let Ok(n) = socket.recv(&mut buffer) {
                ready |= String::from_utf8_lossy(&buffer[..n])
                    .lines()
                    .any(|l| l == "READY=1");
            }
        }
        if ready {
            self.mark_ready(name);
        }
    }

    /// What starts at boot: the catalog's services, plus instances enabled with `svc enable`, less those
    /// disabled with `svc disable`.
    fn boot_names(&self) -> Vec<String> {
        let markers = |kind: &str| -> Vec<String> {
            std::fs::read_dir(self.layout.state.join(kind))
                .map(|entries| {
                    entries
                        .filter_map(|e| e.ok()?.file_name().into_string().ok())
                        .collect()
                })
                .unwrap_or_default()
        };
        let disabled = markers("disabled");
        let mut names = self.catalog.boot_names();
        for name in markers("enabled") {
            if crate::def::valid_name(&name) && !names.contains(&name) {
                names.push(name);
            }
        }
        names.retain(|n| !disabled.contains(n));
        names
    }

    /// `svc enable`/`disable`: whether `name` starts at boot from now on (it is not started or stopped now).
    fn set_enabled(&self, name: &str, enabled: bool) -> Result<(), String> {
        self.catalog.resolve(name)?;
        let marker = |kind: &str| self.layout.state.join(kind).join(name);
        let write = |path: PathBuf| {
            std::fs::write(&path, "").map_err(|e| format!("cannot write {}: {e}", path.display()))
        };
        let remove = |path: PathBuf| match std::fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                Err(format!("cannot remove {}: {e}", path.display()))
            }
            _ => Ok(()),
        };
        if enabled {
            remove(marker("disabled"))?;
            if !self.catalog.boot_names().iter().any(|n| n == name) {
                write(marker("enabled"))?;
            }
        } else {
            remove(marker("enabled"))?;
            write(marker("disabled"))?;
        }
        Ok(())
    }

    /// Reloads the definitions and applies the differences; returns what changed.
    fn reload(&mut self) -> serde_json::Value {
        self.catalog = Catalog::load(&self.layout.services);
        let (mut removed, mut changed) = (Vec::new(), Vec::new());
        let (mut to_stop, mut to_start) = (Vec::new(), Vec::new());
        let names: Vec<String> = self.services.keys().cloned().collect();
        let boot = self.boot_names();
        for name in names {
            let fresh = self.catalog.resolve(&name);
            let gone = !self.catalog.knows(&name);
            let Some(service) = self.services.get_mut(&name) else {
                continue;
            };
            if fresh == service.def {
                continue;
            }
            if gone {
                removed.push(name.clone());
                service.remove_after_stop = true;
                service.start_after_stop = false;
                to_stop.push(name);
                continue;
            }
            changed.push(name.clone());
            let alive = service.pid.is_some();
            let was_wanted = !matches!(service.state, service::State::Inactive);
            service.set_definition(fresh.clone());
            match fresh {
                Ok(_) => {
                    service.error = None;
                    if alive {
                        service.start_after_stop = true;
                        to_stop.push(name);
                    } else {
                        service.state = service::State::Inactive;
                        if was_wanted {
                            to_start.push(name);
                        }
                    }
                }
                Err(error) => {
                    service.error = Some(error);
                    service.start_after_stop = false;
                    if alive {
                        to_stop.push(name);
                    } else {
                        service.state = service::State::Failed;
                    }
                }
            }
        }
        let added: Vec<String> = boot
            .iter()
            .filter(|n| !self.services.contains_key(*n))
            .cloned()
            .collect();
        // The graph first, so that the starts and stops below follow the new dependencies.
        let freed = self.rebuild_graph();
        to_start.extend(added.iter().cloned());
        to_start.extend(freed.into_iter().filter(|n| boot.contains(n)));
        self.stop_names(&to_stop, false);
        self.start_names(&to_start, true);
        serde_json::json!({ "added": added, "removed": removed, "changed": changed })
    }
}
