//! One service's run-time state.
#![forbid(unsafe_code)]

use crate::def::Definition;
use crate::logring::{LineSplitter, LogRing, RotatingFile};
use crate::protocol::ServiceStatus;
use crate::restart::{Exit, RestartTracker};
use std::fs::File;
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Not running, not asked for.
    Inactive,
    /// Asked for; waiting for its dependencies.
    Waiting,
    /// Running, not yet ready.
    Starting,
    /// Running and ready.
    Running,
    /// A oneshot that finished well.
    Done,
    /// Sent its stop signal; SIGKILL at `deadline`.
    Stopping { deadline: Instant, killed: bool },
    /// Ended; starts again at `until`.
    Backoff { until: Instant },
    /// Failed; `error` says why.
    Failed,
}

impl State {
    pub fn word(self) -> &'static str {
        match self {
            State::Inactive => "inactive",
            State::Waiting => "waiting",
            State::Starting => "starting",
            State::Running => "running",
            State::Done => "done",
            State::Stopping { .. } => "stopping",
            State::Backoff { .. } => "backoff",
            State::Failed => "failed",
        }
    }
}

/// The fds the supervisor reads from a running service.
#[derive(Debug, Default)]
pub struct Channels {
    /// stdout and stderr (one pipe).
    pub output: Option<File>,
    pub splitter: LineSplitter,
    /// The readiness pipe (`ready_fd`).
    pub ready: Option<File>,
    /// The `NOTIFY_SOCKET` datagram socket and its path (removed when closed).
    pub notify: Option<(UnixDatagram, PathBuf)>,
}

impl Drop for Channels {
    fn drop(&mut self) {
        if let Some((_, path)) = self.notify.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

#[derive(Debug)]
pub struct Service {
    pub name: String,
    /// The definition, or why there is none usable.
    pub def: Result<Definition, String>,
    pub state: State,
    pub pid: Option<i32>,
    pub started_at: Option<Instant>,
    pub first_spawn: Option<Instant>,
    pub first_ready: Option<Instant>,
    pub restart: RestartTracker,
    pub last_exit: Option<Exit>,
    pub error: Option<String>,
    pub ring: LogRing,
    pub log_file: RotatingFile,
    pub channels: Channels,
    /// A stop was asked for and is not finished (it may wait for services ordered after this one).
    pub stop_pending: bool,
    /// Start again once stopped (`svc restart`, a changed definition).
    pub start_after_stop: bool,
    /// Forget the service once stopped (its file went away on reload).
    pub remove_after_stop: bool,
}

impl Service {
    pub fn new(name: String, def: Result<Definition, String>, log_path: PathBuf) -> Self {
        let (restart, ring, log_file) = match &def {
            Ok(d) => (
                RestartTracker::new(
                    d.restart,
                    d.restart_delay,
                    d.restart_delay_max,
                    d.restart_limit,
                    d.restart_window,
                ),
                LogRing::new(d.log_ring_lines),
                RotatingFile::new(log_path, d.log_max_bytes, d.log_keep),
            ),
            Err(_) => (
                RestartTracker::new(
                    crate::def::RestartPolicy::Never,
                    Default::default(),
                    Default::default(),
                    0,
                    Default::default(),
                ),
                LogRing::new(1),
                RotatingFile::new(log_path, 1 << 20, 0),
            ),
        };
        let error = def.as_ref().err().cloned();
        let state = if error.is_some() {
            State::Failed
        } else {
            State::Inactive
        };
        Self {
            name,
            def,
            state,
            pid: None,
            started_at: None,
            first_spawn: None,
            first_ready: None,
            restart,
            last_exit: None,
            error,
            ring,
            log_file,
            channels: Channels::default(),
            stop_pending: false,
            start_after_stop: false,
            remove_after_stop: false,
        }
    }

    /// Replaces the definition (reload), keeping logs and history.
    pub fn set_definition(&mut self, def: Result<Definition, String>) {
        if let Ok(d) = &def {
            let total = self.restart.total;
            self.restart = RestartTracker::new(
                d.restart,
                d.restart_delay,
                d.restart_delay_max,
                d.restart_limit,
                d.restart_window,
            );
            self.restart.total = total;
            self.ring.set_capacity(d.log_ring_lines);
            self.log_file.set_limits(d.log_max_bytes, d.log_keep);
        }
        self.def = def;
    }

    /// Records one line of output: ring, file, and the caller forwards it to followers.
    pub fn record_line(&mut self, line: &str) {
        self.ring.push(line.to_string());
        if let Err(error) = self.log_file.write_line(line) {
            eprintln!(
                "init: {}: cannot write {}: {error}",
                self.name,
                self.log_file.path().display()
            );
        }
    }

    pub fn status(&self, now: Instant, log_lines: usize, enabled: bool) -> ServiceStatus {
        ServiceStatus {
            name: self.name.clone(),
            description: self
                .def
                .as_ref()
                .map(|d| d.description.clone())
                .unwrap_or_default(),
            state: self.state.word().to_string(),
            pid: self.pid,
            uptime_ms: self
                .pid
                .and(self.started_at)
                .map(|t| now.saturating_duration_since(t).as_millis() as u64),
            restarts: self.restart.total,
            enabled,
            last_exit: self.last_exit.map(|e| e.to_string()),
            error: self.error.clone(),
            recent_logs: self.ring.tail(log_lines),
        }
    }
}
