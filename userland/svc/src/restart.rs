//! The restart policy as a state machine: after each exit, restart (after a backoff) or give up.
//!
//! Backoff doubles with each restart still inside the window (`restart_delay`, 2×, 4×, … up to
//! `restart_delay_max`); more than `restart_limit` restarts inside `restart_window` and the service is failed.
//! Time is passed in, so the logic is tested without sleeping.
#![forbid(unsafe_code)]

use crate::def::RestartPolicy;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// How a service's process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    Signal(i32),
}

impl Exit {
    pub fn success(self) -> bool {
        self == Exit::Code(0)
    }
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Exit::Code(code) => write!(f, "exit status {code}"),
            Exit::Signal(signal) => write!(f, "killed by signal {signal}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Start it again after this delay.
    RestartAfter(Duration),
    /// The policy says no restart for this exit.
    Stay,
    /// The restart limit was hit.
    GiveUp(String),
}

#[derive(Debug, Clone)]
pub struct RestartTracker {
    pub policy: RestartPolicy,
    pub delay: Duration,
    pub delay_max: Duration,
    pub limit: u32,
    pub window: Duration,
    /// When the restarts inside the window happened, oldest first.
    recent: VecDeque<Instant>,
    /// Restarts since the service was last started by request.
    pub total: u32,
}

impl RestartTracker {
    pub fn new(
        policy: RestartPolicy,
        delay: Duration,
        delay_max: Duration,
        limit: u32,
        window: Duration,
    ) -> Self {
        Self {
            policy,
            delay,
            delay_max,
            limit,
            window,
            recent: VecDeque::new(),
            total: 0,
        }
    }

    /// A start asked for by someone (boot, `svc start`): the limit starts over.
    pub fn reset(&mut self) {
        self.recent.clear();
        self.total = 0;
    }

    /// Decides what follows an exit at `now`, and counts the restart when there is one.
    pub fn on_exit(&mut self, exit: Exit, now: Instant) -> Decision {
        let wanted = match self.policy {
            RestartPolicy::Always => true,
            RestartPolicy::OnFailure => !exit.success(),
            RestartPolicy::Never => false,
        };
        if !wanted {
            return Decision::Stay;
        }
        while let Some(&oldest) = self.recent.front() {
            if now.saturating_duration_since(oldest) >= self.window {
                self.recent.pop_front();
            } else {
                break;
            }
        }
        if self.recent.len() as u32 >= self.limit {
            return Decision::GiveUp(format!(
                "restart limit hit: {} restarts within {} s",
                self.limit,
                self.window.as_secs_f64()
            ));
        }
        let doublings = self.recent.len().min(20) as u32;
        let delay = self
            .delay
            .saturating_mul(1 << doublings)
            .min(self.delay_max);
        self.recent.push_back(now);
        self.total += 1;
        Decision::RestartAfter(delay)
    }
}

#[cfg(test)]
#[path = "restart_tests.rs"]
mod tests;
