//! The control socket: clients, their buffers, and the commands (protocol in docs/svc-protocol.md).
//!
//! Nothing a client sends can hurt init: bad lines get an error reply, an over-long line closes that
//! connection, and a client that does not read its replies is dropped once too much is queued for it.
#![forbid(unsafe_code)]

use super::service::{Service, State};
use super::{Shutdown, Supervisor};
use crate::protocol::{parse_request, BootEntry, BootReport, Command, Reply, MAX_REQUEST};
use nix::poll::PollFlags;
use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Instant;

/// How much may be queued for a client that does not read (a `logs -f` follower, say).
const MAX_QUEUED: usize = 4 << 20;

/// How many log lines `status` shows, and `logs` without a count.
const STATUS_LOG_LINES: usize = 10;
const LOGS_DEFAULT_LINES: usize = 200;

#[derive(Debug)]
pub struct Client {
    pub stream: UnixStream,
    input: Vec<u8>,
    output: Vec<u8>,
    /// `logs -f`: the service whose new lines this client gets.
    follow: Option<String>,
    /// No more requests: close once the output is sent.
    closing: bool,
}

impl Client {
    pub fn poll_flags(&self) -> PollFlags {
        let mut flags = PollFlags::empty();
        if !self.closing {
            flags |= PollFlags::POLLIN;
        }
        if !self.output.is_empty() {
            flags |= PollFlags::POLLOUT;
        }
        flags
    }

    fn queue(&mut self, reply: &Reply) {
        self.output.extend_from_slice(&reply.to_line());
    }

    /// Writes what it can; false when the client is gone.
    fn flush(&mut self) -> bool {
        while !self.output.is_empty() {
            match self.stream.write(&self.output) {
                Ok(0) => return false,
                Ok(n) => {
                    self.output.drain(..n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    return self.output.len() <= MAX_QUEUED
                }
                Err(_) => return false,
            }
        }
        true
    }
}

impl Supervisor {
    pub(super) fn accept_clients(&mut self) {
        while let Ok((stream, _)) = self.listener.accept() {
            if stream.set_nonblocking(true).is_err() {
                continue;
            }
            self.next_client += 1;
            self.clients.insert(
                self.next_client,
                Client {
                    stream,
                    input: Vec::new(),
                    output: Vec::new(),
                    follow: None,
                    closing: false,
                },
            );
        }
    }

    pub(super) fn service_client(&mut self, id: u64, revents: PollFlags) {
        let mut requests = Vec::new();
        let mut alive = true;
        if let Some(client) = self.clients.get_mut(&id) {
            if revents.intersects(PollFlags::POLLIN | PollFlags::POLLHUP | PollFlags::POLLERR)
                && !client.closing
            {
                let mut buffer = [0u8; 4096];
                loop {
                    match client.stream.read(&mut buffer) {
                        Ok(0) => {
                            client.closing = true;
                            break;
                        }
                        Ok(n) => client.input.extend_from_slice(&buffer[..n]),
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(_) => {
                            alive = false;
                            break;
                        }
                    }
                }
                while let Some(end) = client.input.iter().position(|&b| b == b'\n') {
                    let line: Vec<u8> = client.input.drain(..=end).collect();
                    requests.push(line[..line.len() - 1].to_vec());
                }
                if client.input.len() > MAX_REQUEST {
                    client.input.clear();
                    client.queue(&Reply::error(format!(
                        "request longer than {MAX_REQUEST} bytes; closing"
                    )));
                    client.closing = true;
                    client.follow = None;
                }
            }
        }
        for request in requests {
            let trimmed = request.trim_ascii();
            if trimmed.is_empty() {
                continue;
            }
            let reply = match parse_request(trimmed) {
                Ok(command) => self.execute(id, command),
                Err(message) => Reply::error(message),
            };
            if let Some(client) = self.clients.get_mut(&id) {
                client.queue(&reply);
            }
        }
        if let Some(client) = self.clients.get_mut(&id) {
            alive &= client.flush();
            // A follower stays until it hangs up; everyone else is done once its replies are out.
            let finished = client.closing && client.output.is_empty();
            let hung_up = revents.intersects(PollFlags::POLLHUP | PollFlags::POLLERR);
            if !alive || finished || (hung_up && client.closing) {
                self.clients.remove(&id);
            }
        }
    }

    /// Sends a new log line of `service` to its followers.
    pub(super) fn send_log_line(&mut self, service: &str, line: &str) {
        let reply = Reply::log(service, line);
        let mut gone = Vec::new();
        for (id, client) in &mut self.clients {
            if client.follow.as_deref() == Some(service) {
                client.queue(&reply);
                if !client.flush() {
                    gone.push(*id);
                }
            }
        }
        for id in gone {
            self.clients.remove(&id);
        }
    }

    /// Last chance to send replies (a poweroff's) before the loop ends.
    pub(super) fn flush_clients(&mut self) {
        for client in self.clients.values_mut() {
            let _ = client.stream.set_nonblocking(false);
            let _ = client.flush();
        }
        self.clients.clear();
    }

    fn execute(&mut self, client: u64, command: Command) -> Reply {
        let now = Instant::now();
        let refuse_during_shutdown = matches!(
            command,
            Command::Start { .. } | Command::Restart { .. } | Command::Reload {}
        );
        if refuse_during_shutdown && self.shutdown.is_some() {
            return Reply::error("shutting down");
        }
        match command {
            Command::List {} => {
                let boot = self.boot_names();
                let list: Vec<_> = self
                    .services
                    .values()
                    .map(|s| s.status(now, 0, boot.contains(&s.name)))
                    .collect();
                Reply::ok(serde_json::to_value(list).ok())
            }
            Command::Status { name } => {
                let enabled = self.boot_names().contains(&name);
                match self.services.get(&name) {
                    Some(service) => Reply::ok(
                        serde_json::to_value(service.status(now, STATUS_LOG_LINES, enabled)).ok(),
                    ),
                    // Defined but never started (disabled, or an instance nobody asked for): inactive.
                    None => match self.catalog.resolve(&name) {
                        Ok(def) => {
                            let idle = Service::new(name, Ok(def), std::path::PathBuf::new());
                            Reply::ok(serde_json::to_value(idle.status(now, 0, enabled)).ok())
                        }
                        Err(error) => Reply::error(error),
                    },
                }
            }
            Command::Start { name } => {
                let loaded = self.services.get(&name).is_some_and(|s| s.def.is_ok());
                if !loaded {
                    if let Err(error) = self.catalog.resolve(&name) {
                        return Reply::error(error);
                    }
                }
                self.start_names(std::slice::from_ref(&name), true);
                if self.in_cycle(&name) {
                    let error = self
                        .services
                        .get(&name)
                        .and_then(|s| s.error.clone())
                        .unwrap_or_default();
                    return Reply::error(error);
                }
                Reply::ok(None)
            }
            Command::Stop { name } => {
                if !self.services.contains_key(&name) {
                    return Reply::error(format!("no service {name} is loaded"));
                }
                self.stop_names(&[name], true);
                Reply::ok(None)
            }
            Command::Restart { name } => {
                let alive = self.services.get(&name).is_some_and(|s| s.pid.is_some());
                if alive {
                    if let Some(service) = self.services.get_mut(&name) {
                        service.start_after_stop = true;
                    }
                    self.stop_names(std::slice::from_ref(&name), false);
                    Reply::ok(None)
                } else {
                    self.execute(client, Command::Start { name })
                }
            }
            Command::Logs {
                name,
                follow,
                lines,
            } => {
                let Some(service) = self.services.get(&name) else {
                    return Reply::error(format!("no service {name} is loaded"));
                };
                let lines = service.ring.tail(lines.unwrap_or(LOGS_DEFAULT_LINES));
                if follow {
                    if let Some(client) = self.clients.get_mut(&client) {
                        client.follow = Some(name);
                    }
                }
                Reply::ok(Some(serde_json::json!({ "lines": lines })))
            }
            Command::Enable { name } => match self.set_enabled(&name, true) {
                Ok(()) => Reply::ok(None),
                Err(error) => Reply::error(error),
            },
            Command::Disable { name } => match self.set_enabled(&name, false) {
                Ok(()) => Reply::ok(None),
                Err(error) => Reply::error(error),
            },
            Command::Reload {} => Reply::ok(Some(self.reload())),
            Command::BootReport {} => Reply::ok(serde_json::to_value(self.boot_report()).ok()),
            Command::Poweroff {} => {
                self.begin_shutdown(Shutdown::Poweroff);
                Reply::ok(None)
            }
            Command::Reboot {} => {
                self.begin_shutdown(Shutdown::Reboot);
                Reply::ok(None)
            }
        }
    }

    fn boot_report(&self) -> BootReport {
        let since = |t: Option<Instant>| {
            t.map(|t| t.saturating_duration_since(self.boot).as_millis() as u64)
        };
        let services: Vec<BootEntry> = self
            .services
            .values()
            .map(|s| BootEntry {
                name: s.name.clone(),
                started_ms: since(s.first_spawn),
                ready_ms: since(s.first_ready),
            })
            .collect();
        // The critical chain: from the last service to become ready, back through the dependency that was
        // ready last before it started.
        let ready_at = |name: &str| self.services.get(name).and_then(|s| s.first_ready);
        let mut chain = Vec::new();
        let mut current = self
            .services
            .values()
            .filter(|s| s.first_ready.is_some() && !matches!(s.state, State::Failed))
            .max_by_key(|s| s.first_ready)
            .map(|s| s.name.clone());
        while let Some(name) = current {
            chain.push(name.clone());
            current = self.graph.node(&name).and_then(|node| {
                node.ordered_after()
                    .filter(|dep| !chain.contains(dep))
                    .filter_map(|dep| ready_at(dep).map(|t| (t, dep.clone())))
                    .max()
                    .map(|(_, dep)| dep)
            });
        }
        chain.reverse();
        BootReport {
            services,
            critical_chain: chain,
        }
    }
}
