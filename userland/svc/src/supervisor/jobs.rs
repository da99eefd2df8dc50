//! Starting and stopping: pulling in dependencies, starting each service once its dependencies allow,
//! stopping in reverse order with signal → timeout → SIGKILL, and what follows an exit (restart policy).
#![forbid(unsafe_code)]

use super::service::{Channels, Service, State};
use super::{log, spawn, Shutdown, Supervisor};
use crate::def::ServiceType;
use crate::graph::{DepState, Graph, Verdict};
use crate::restart::{Decision, Exit};
use nix::sys::signal::{killpg, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use std::collections::BTreeSet;
use std::str::FromStr;
use std::time::{Duration, Instant};

/// How a cycle error starts.
const CYCLE: &str = "dependency cycle between";

/// After SIGKILL nothing more can be done but wait; the state keeps a far deadline so it is not re-sent.
const AFTER_KILL: Duration = Duration::from_secs(3600);

impl Supervisor {
    /// Adds `names` and what they require or want to the known services, instantiating templates.
    fn ensure_known(&mut self, names: &[String]) {
        let mut added = false;
        let mut work: Vec<String> = names.to_vec();
        while let Some(name) = work.pop() {
            if self.services.contains_key(&name) {
                continue;
            }
            let def = self.catalog.resolve(&name);
            if let Ok(d) = &def {
                work.extend(d.requires.iter().chain(&d.wants).cloned());
            }
            let log_path = self.layout.logs.join(format!("{name}.log"));
            self.services
                .insert(name.clone(), Service::new(name, def, log_path));
            added = true;
        }
        if added {
            self.rebuild_graph();
        }
    }

    /// Rebuilds the graph from the valid definitions and fails the services in cycles; returns the services
    /// that were failed for a cycle and no longer are (a reload fixed it).
    pub(super) fn rebuild_graph(&mut self) -> Vec<String> {
        self.graph = Graph::new(self.services.values().filter_map(|s| s.def.as_ref().ok()));
        let cycles = self.graph.cycles();
        let mut freed = Vec::new();
        for service in self.services.values_mut() {
            let was_in_cycle = service
                .error
                .as_deref()
                .is_some_and(|e| e.starts_with(CYCLE));
            if was_in_cycle && !cycles.iter().any(|c| c.contains(&service.name)) {
                service.error = None;
                if service.state == State::Failed {
                    service.state = State::Inactive;
                }
                freed.push(service.name.clone());
            }
        }
        for cycle in cycles {
            let message = format!("{CYCLE} {}", cycle.join(", "));
            log(&message);
            for name in &cycle {
                if let Some(service) = self.services.get_mut(name) {
                    service.error = Some(message.clone());
                    if service.pid.is_none() {
                        service.state = State::Failed;
                    }
                }
            }
        }
        freed
    }

    pub(super) fn in_cycle(&self, name: &str) -> bool {
        self.services
            .get(name)
            .and_then(|s| s.error.as_deref())
            .is_some_and(|e| e.starts_with(CYCLE))
    }

    /// Starts `names` and everything they pull in. `fresh`: the request restarts the restart limit.
    pub(super) fn start_names(&mut self, names: &[String], fresh: bool) {
        self.ensure_known(names);
        let explicit: BTreeSet<&String> = names.iter().collect();
        for name in self.graph.pulled_in(names.iter().cloned()) {
            let cycle = self.in_cycle(&name);
            let Some(service) = self.services.get_mut(&name) else {
                continue;
            };
            service.stop_pending = false;
            if service.def.is_err() || cycle {
                service.state = State::Failed;
                continue;
            }
            match service.state {
                State::Inactive | State::Failed => {
                    if fresh {
                        service.restart.reset();
                    }
                    service.error = None;
                    service.state = State::Waiting;
                }
                State::Done if explicit.contains(&name) => service.state = State::Waiting,
                State::Stopping { .. } => service.start_after_stop = true,
                _ => {}
            }
        }
    }

    /// Stops `names` (and, with `requirers`, everything that requires them) in reverse dependency order.
    pub(super) fn stop_names(&mut self, names: &[String], requirers: bool) {
        let mut set: BTreeSet<String> = names.iter().cloned().collect();
        if requirers {
            for name in names {
                set.extend(self.graph.requirers(name));
            }
        }
        for name in set {
            if let Some(service) = self.services.get_mut(&name) {
                service.stop_pending = true;
            }
        }
    }

    /// Stops everything; the loop ends once nothing runs.
    pub(super) fn begin_shutdown(&mut self, kind: Shutdown) {
        if self.shutdown.is_none() {
            log(match kind {
                Shutdown::Poweroff => "poweroff: stopping all services",
                Shutdown::Reboot => "reboot: stopping all services",
                Shutdown::Halt => "halt: stopping all services",
            });
        }
        self.shutdown = Some(kind);
        let all: Vec<String> = self.services.keys().cloned().collect();
        for service in self.services.values_mut() {
            service.start_after_stop = false;
        }
        self.stop_names(&all, false);
    }

    fn dep_state(&self, name: &str) -> DepState {
        match self.services.get(name) {
            None => DepState::Missing,
            Some(s) if s.def.is_err() => DepState::Missing,
            Some(s) => match s.state {
                State::Running | State::Done => DepState::Ready,
                State::Waiting | State::Starting | State::Backoff { .. } => DepState::Pending,
                State::Stopping { .. } if s.start_after_stop => DepState::Pending,
                State::Failed => DepState::Failed,
                State::Inactive | State::Stopping { .. } => DepState::Inactive,
            },
        }
    }

    /// Moves every service as far as it can go now: pending stops, then waiting starts; until nothing changes.
    pub(super) fn advance(&mut self) {
        loop {
            let mut changed = self.advance_stops();
            let waiting: Vec<String> = self
                .services
                .values()
                .filter(|s| s.state == State::Waiting && !s.stop_pending)
                .map(|s| s.name.clone())
                .collect();
            for name in waiting {
                match self.graph.verdict(&name, |dep| self.dep_state(dep)) {
                    Verdict::Wait => {}
                    Verdict::Start => {
                        self.spawn_service(&name);
                        changed = true;
                    }
                    Verdict::Fail(reason) => {
                        log(&format!("{name}: not started: {reason}"));
                        if let Some(service) = self.services.get_mut(&name) {
                            service.state = State::Failed;
                            service.error = Some(reason);
                        }
                        changed = true;
                    }
                }
            }
            if !changed {
                return;
            }
        }
    }

    fn advance_stops(&mut self) -> bool {
        let mut changed = false;
        let pending: Vec<String> = self
            .services
            .values()
            .filter(|s| s.stop_pending)
            .map(|s| s.name.clone())
            .collect();
        for name in pending {
            let blocked = self.graph.ordered_after(&name).iter().any(|later| {
                self.services
                    .get(later)
                    .is_some_and(|s| s.stop_pending && s.pid.is_some())
            });
            let Some(service) = self.services.get_mut(&name) else {
                continue;
            };
            match (service.pid, service.state) {
                (None, _) => {
                    service.stop_pending = false;
                    service.state = if service.def.is_ok() {
                        State::Inactive
                    } else {
                        State::Failed
                    };
                    let restart =
                        std::mem::take(&mut service.start_after_stop) && self.shutdown.is_none();
                    if std::mem::take(&mut service.remove_after_stop) {
                        self.services.remove(&name);
                        self.rebuild_graph();
                    } else if restart {
                        self.start_names(&[name], true);
                    }
                    changed = true;
                }
                (Some(_), State::Stopping { .. }) => {}
                (Some(pid), _) if !blocked => {
                    let (signal, timeout) = service.def.as_ref().map_or(
                        (Signal::SIGTERM, Duration::from_secs(5)),
                        |d| {
                            (
                                Signal::from_str(&format!("SIG{}", d.stop_signal))
                                    .unwrap_or(Signal::SIGTERM),
                                d.stop_timeout,
                            )
                        },
                    );
                    log(&format!("{name}: stopping (pid {pid}, {signal})"));
                    let _ = killpg(Pid::from_raw(pid), signal);
                    service.state = State::Stopping {
                        deadline: Instant::now() + timeout,
                        killed: false,
                    };
                    changed = true;
                }
                _ => {}
            }
        }
        changed
    }

    fn spawn_service(&mut self, name: &str) {
        let notify_dir = self.layout.notify_dir();
        let Some(service) = self.services.get_mut(name) else {
            return;
        };
        let Ok(def) = &service.def else { return };
        let service_type = def.service_type;
        match spawn::spawn(def, &self.helper, &notify_dir) {
            Ok((pid, channels)) => {
                let now = Instant::now();
                log(&format!("{name}: started (pid {pid})"));
                service.pid = Some(pid);
                service.channels = channels;
                service.started_at = Some(now);
                service.first_spawn.get_or_insert(now);
                service.error = None;
                service.state = State::Starting;
                if service_type == ServiceType::Simple {
                    self.mark_ready(name);
                }
            }
            Err(error) => {
                log(&format!("{name}: {error}"));
                service.state = State::Failed;
                service.error = Some(error);
            }
        }
    }

    pub(super) fn mark_ready(&mut self, name: &str) {
        let Some(service) = self.services.get_mut(name) else {
            return;
        };
        if service.state == State::Starting {
            service.state = State::Running;
            service.first_ready.get_or_insert_with(Instant::now);
            log(&format!("{name}: ready"));
        }
    }

    /// Collects every child that ended.
    pub(super) fn reap(&mut self) {
        loop {
            let (pid, exit) = match waitpid(Pid::from_raw(-1), Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::Exited(pid, code)) => (pid, Exit::Code(code)),
                Ok(WaitStatus::Signaled(pid, signal, _)) => (pid, Exit::Signal(signal as i32)),
                Ok(WaitStatus::StillAlive) | Err(_) => return,
                Ok(_) => continue,
            };
            let owner = self
                .services
                .values()
                .find(|s| s.pid == Some(pid.as_raw()))
                .map(|s| s.name.clone());
            if let Some(name) = owner {
                self.on_exit(&name, exit);
            }
        }
    }

    fn on_exit(&mut self, name: &str, exit: Exit) {
        self.read_output(name, true);
        let now = Instant::now();
        let shutting_down = self.shutdown.is_some();
        let Some(service) = self.services.get_mut(name) else {
            return;
        };
        if let Some(pid) = service.pid.take() {
            // Whatever else is left in the service's process group goes with it.
            let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
        }
        service.channels = Channels::default();
        service.last_exit = Some(exit);
        log(&format!("{name}: {exit}"));
        if matches!(service.state, State::Stopping { .. }) || service.stop_pending || shutting_down
        {
            // advance_stops finishes the stop (restart, removal).
            service.stop_pending = true;
            service.state = State::Inactive;
            return;
        }
        let oneshot = service
            .def
            .as_ref()
            .is_ok_and(|d| d.service_type == ServiceType::Oneshot);
        if oneshot && exit.success() {
            service.state = State::Done;
            service.first_ready.get_or_insert(now);
            log(&format!("{name}: done"));
            return;
        }
        let never_ready = service.state == State::Starting;
        match service.restart.on_exit(exit, now) {
            Decision::RestartAfter(delay) => {
                log(&format!("{name}: restarting in {} ms", delay.as_millis()));
                service.state = State::Backoff { until: now + delay };
            }
            Decision::Stay if exit.success() => service.state = State::Inactive,
            Decision::Stay => {
                service.state = State::Failed;
                service.error = Some(if never_ready && !oneshot {
                    format!("ended before it was ready ({exit})")
                } else {
                    format!("failed ({exit})")
                });
            }
            Decision::GiveUp(reason) => {
                log(&format!("{name}: {reason}"));
                service.state = State::Failed;
                service.error = Some(reason);
            }
        }
    }

    pub(super) fn handle_timers(&mut self, now: Instant) {
        for service in self.services.values_mut() {
            match service.state {
                State::Backoff { until } if until <= now => service.state = State::Waiting,
                State::Stopping {
                    deadline,
                    killed: false,
                } if deadline <= now => {
                    if let Some(pid) = service.pid {
                        log(&format!(
                            "{}: stop timeout passed, sending SIGKILL",
                            service.name
                        ));
                        let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
                    }
                    service.state = State::Stopping {
                        deadline: now + AFTER_KILL,
                        killed: true,
                    };
                }
                _ => {}
            }
        }
    }

    pub(super) fn next_deadline(&self) -> Option<Instant> {
        self.services
            .values()
            .filter_map(|s| match s.state {
                State::Backoff { until } => Some(until),
                State::Stopping {
                    deadline,
                    killed: false,
                } => Some(deadline),
                _ => None,
            })
            .min()
    }
}
