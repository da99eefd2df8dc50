//! System-wide scheduling statistics for /proc/stat, /proc/uptime and /proc/loadavg: clock ticks per CPU by
//! kind (user, system, idle), context switches, processes created, and Linux's load average sampled every
//! 5 seconds by the housekeeping thread.
#![forbid(unsafe_code)]

use basalt_procfs_fmt::{CpuTimes, LoadAverage};
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
use spin::Mutex;

const MAX_CPUS: usize = 256;

struct CpuTicks {
    user: AtomicU64,
    system: AtomicU64,
    idle: AtomicU64,
}

#[allow(clippy::declare_interior_mutable_const)]
const ZERO: CpuTicks = CpuTicks {
    user: AtomicU64::new(0),
    system: AtomicU64::new(0),
    idle: AtomicU64::new(0),
};

static TICKS: [CpuTicks; MAX_CPUS] = [ZERO; MAX_CPUS];
static SWITCHES: AtomicU64 = AtomicU64::new(0);
static FORKS: AtomicU64 = AtomicU64::new(0);
static LOAD: Mutex<LoadAverage> = Mutex::new(LoadAverage::new());
/// The next time (monotonic ns) the load average takes a sample.
static NEXT_LOAD_SAMPLE: AtomicU64 = AtomicU64::new(0);
const LOAD_INTERVAL_NS: u64 = 5_000_000_000;

/// One timer tick on `cpu`: charged to user or system time, or idle time when no thread ran.
pub fn tick(cpu: usize, user: bool, idle: bool) {
    let Some(t) = TICKS.get(cpu) else { return };
    let counter = if idle {
        &t.idle
    } else if user {
        &t.user
    } else {
        &t.system
    };
    counter.fetch_add(1, Relaxed);
}

/// A context switch happened.
pub fn note_switch() {
    SWITCHES.fetch_add(1, Relaxed);
}

/// A process was created.
pub fn note_fork() {
    FORKS.fetch_add(1, Relaxed);
}

/// The tick counts of each of the first `cpus` CPUs.
pub fn cpu_times(cpus: usize) -> alloc::vec::Vec<CpuTimes> {
    TICKS
        .iter()
        .take(cpus)
        .map(|t| CpuTimes {
            user: t.user.load(Relaxed),
            nice: 0,
            system: t.system.load(Relaxed),
            idle: t.idle.load(Relaxed),
        })
        .collect()
}

/// Context switches since boot.
pub fn switches() -> u64 {
    SWITCHES.load(Relaxed)
}

/// Processes created since boot.
pub fn forks() -> u64 {
    FORKS.load(Relaxed)
}

/// Called by the housekeeping thread: every 5 seconds, folds the number of runnable threads into the load
/// average.
pub fn maybe_sample_load(now_ns: u64) {
    let due = NEXT_LOAD_SAMPLE.load(Relaxed);
    if now_ns < due {
        return;
    }
    NEXT_LOAD_SAMPLE.store(now_ns + LOAD_INTERVAL_NS, Relaxed);
    if due == 0 {
        // The first call only schedules the first sample.
        return;
    }
    let active = super::process::all()
        .iter()
        .flat_map(|p| p.threads_snapshot())
        .filter(|t| t.state() == super::State::Runnable)
        .count() as u64;
    // The housekeeping thread itself is running while it counts: it is not load.
    LOAD.lock().sample(active.saturating_sub(1));
}

/// The load average now.
pub fn load() -> LoadAverage {
    *LOAD.lock()
}
