//! Per-thread CPU-time measurement: the run time summed at every context switch, user/kernel samples at every
//! timer tick, page faults and context switches counted. `basalt-cputime` turns these into what Linux reports.
#![forbid(unsafe_code)]

use basalt_cputime::Account;
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// A thread's counters. Only the thread's own CPU writes them (at switches, ticks and faults); readers take a
/// snapshot.
#[derive(Default)]
pub struct CpuClock {
    user_ticks: AtomicU64,
    system_ticks: AtomicU64,
    runtime_ns: AtomicU64,
    /// When the thread last got a CPU (ns since boot); 0 while it is switched out.
    running_since: AtomicU64,
    minor_faults: AtomicU64,
    voluntary_switches: AtomicU64,
    involuntary_switches: AtomicU64,
}

impl CpuClock {
    /// A timer tick found the thread running, in user mode or in the kernel.
    pub fn charge_tick(&self, user: bool) {
        let counter = if user {
            &self.user_ticks
        } else {
            &self.system_ticks
        };
        counter.fetch_add(1, Relaxed);
    }

    pub fn switched_in(&self, now_ns: u64) {
        self.running_since.store(now_ns.max(1), Relaxed);
    }

    /// The thread leaves its CPU: to wait (`voluntary`) or because it was preempted or yielded.
    pub fn switched_out(&self, now_ns: u64, voluntary: bool) {
        let since = self.running_since.swap(0, Relaxed);
        if since != 0 {
            self.runtime_ns
                .fetch_add(now_ns.saturating_sub(since), Relaxed);
        }
        let counter = if voluntary {
            &self.voluntary_switches
        } else {
            &self.involuntary_switches
        };
        counter.fetch_add(1, Relaxed);
    }

    pub fn count_fault(&self) {
        self.minor_faults.fetch_add(1, Relaxed);
    }

    /// The thread is ending: hand its account to the process and count nothing more here.
    pub fn retire(&self, now_ns: u64) -> Account {
        let account = self.read(now_ns);
        for counter in [
            &self.user_ticks,
            &self.system_ticks,
            &self.runtime_ns,
            &self.running_since,
            &self.minor_faults,
            &self.voluntary_switches,
            &self.involuntary_switches,
        ] {
            counter.store(0, Relaxed);
        }
        account
    }

    /// Everything counted so far, the current stretch on a CPU included.
    pub fn read(&self, now_ns: u64) -> Account {
        let since = self.running_since.load(Relaxed);
        let running = if since != 0 {
            now_ns.saturating_sub(since)
        } else {
            0
        };
        Account {
            user_ticks: self.user_ticks.load(Relaxed),
            system_ticks: self.system_ticks.load(Relaxed),
            runtime_ns: self.runtime_ns.load(Relaxed).saturating_add(running),
            minor_faults: self.minor_faults.load(Relaxed),
            voluntary_switches: self.voluntary_switches.load(Relaxed),
            involuntary_switches: self.involuntary_switches.load(Relaxed),
        }
    }
}
