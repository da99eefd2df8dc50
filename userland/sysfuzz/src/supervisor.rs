//! The parent: keeps `procs` workers running for the requested time, replaces those that die, kills those that
//! stop making progress, and finally kills and reaps them all.

use crate::confine::SetupFailure;
use crate::shared::SharedCounters;
use crate::worker::{self, WorkerConfig};
use core::sync::atomic::{AtomicBool, Ordering};
use std::ffi::CStr;
use std::fmt;
use std::io;
use std::time::{Duration, Instant};

/// A worker whose counter has not moved for this long is stuck (a blocking call that the heartbeat could not
/// interrupt, or a stopped process) and is killed.
const STALL_LIMIT: Duration = Duration::from_secs(2);
/// How often the supervisor looks at its workers.
const TICK: Duration = Duration::from_millis(10);
/// Consecutive failed forks after which the run gives up.
const FORK_FAILURE_LIMIT: u32 = 500;
/// How long to wait for orphaned grandchildren (children of fuzzed forks) at the end.
const ORPHAN_GRACE: Duration = Duration::from_secs(1);

/// Set by SIGINT and SIGTERM: stop early, but still clean up.
static STOP_REQUESTED: AtomicBool = AtomicBool::new(false);

/// What a run asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunPlan {
    /// How long to fuzz.
    pub duration: Duration,
    /// How many workers at once.
    pub procs: usize,
    /// The seed of every worker's random stream.
    pub seed: u64,
}

/// What a run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// System calls issued by all workers.
    pub calls: u64,
    /// Workers that ended before the run did (signals from bad calls, stalls).
    pub deaths: u64,
}

/// Why a run could not go on.
#[derive(Debug)]
pub enum SuperviseError {
    /// The shared counters could not be mapped.
    SharedMemory(io::Error),
    /// `fork` kept failing.
    Fork(io::Error),
    /// A worker could not confine itself, so no worker may fuzz.
    WorkerSetup(SetupFailure),
}

impl fmt::Display for SuperviseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SharedMemory(error) => write!(f, "cannot map the shared call counters: {error}"),
            Self::Fork(error) => write!(f, "cannot fork workers: {error}"),
            Self::WorkerSetup(failure) => write!(f, "worker setup failed: {failure}"),
        }
    }
}

impl std::error::Error for SuperviseError {}

#[derive(Clone, Copy, Debug, Default)]
struct Slot {
    /// The worker in this slot, if any.
    pid: Option<libc::pid_t>,
    /// Workers started in this slot so far.
    generations: u64,
    /// The counter's last consistent value, and when it last moved.
    last_count: u64,
    last_progress: Option<Instant>,
    /// SIGKILL already sent (by the watchdog or because it stopped).
    killed: bool,
}

/// Runs the workers in `work_dir` for `plan.duration` and returns the totals.
pub fn supervise(plan: &RunPlan, work_dir: &CStr) -> Result<Totals, SuperviseError> {
    let counters = SharedCounters::new(plan.procs).map_err(SuperviseError::SharedMemory)?;
    install_stop_handlers();
    block_child_signal();
    // SAFETY: marks this process as the reaper of its descendants' orphans (children of fuzzed forks whose
    // worker died), so they are reaped here rather than left to the machine's init.
    unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1 as libc::c_ulong);
    }
    let mut supervisor = Supervisor {
        plan,
        work_dir,
        counters: &counters,
        // SAFETY: getpid has no preconditions.
        own_pid: unsafe { libc::getpid() },
        slots: vec![Slot::default(); plan.procs],
        totals: Totals::default(),
        fork_failures: 0,
    };
    let outcome = supervisor.run_until(Instant::now() + plan.duration);
    supervisor.kill_and_reap_all();
    reap_orphans();
    outcome.map(|()| supervisor.totals)
}

struct Supervisor<'a> {
    plan: &'a RunPlan,
    work_dir: &'a CStr,
    counters: &'a SharedCounters,
    own_pid: libc::pid_t,
    slots: Vec<Slot>,
    totals: Totals,
    fork_failures: u32,
}

impl Supervisor<'_> {
    fn run_until(&mut self, deadline: Instant) -> Result<(), SuperviseError> {
        while Instant::now() < deadline && !STOP_REQUESTED.load(Ordering::Relaxed) {
            self.fill_empty_slots()?;
            wait_for_child_or_tick();
            self.reap_finished()?;
            self.kill_stalled();
        }
        Ok(())
    }

    fn fill_empty_slots(&mut self) -> Result<(), SuperviseError> {
        for index in 0..self.slots.len() {
            if self.slots[index].pid.is_some() {
                continue;
            }
            self.counters.publish(index, 0);
            let generation = self.slots[index].generations;
            // SAFETY: the supervisor is single-threaded, so the child may run arbitrary code after fork.
            let pid = unsafe { libc::fork() };
            if pid == 0 {
                worker::run(&WorkerConfig {
                    slot: index,
                    generation,
                    seed: self.plan.seed,
                    work_dir: self.work_dir,
                    supervisor: self.own_pid,
                    counters: self.counters,
                });
            }
            if pid < 0 {
                self.fork_failures += 1;
                if self.fork_failures >= FORK_FAILURE_LIMIT {
                    return Err(SuperviseError::Fork(io::Error::last_os_error()));
                }
                return Ok(());
            }
            self.fork_failures = 0;
            self.slots[index] = Slot {
                pid: Some(pid),
                generations: generation + 1,
                last_count: 0,
                last_progress: Some(Instant::now()),
                killed: false,
            };
        }
        Ok(())
    }

    /// Handles every worker that ended or stopped since the last tick.
    fn reap_finished(&mut self) -> Result<(), SuperviseError> {
        loop {
            let mut status = 0;
            // SAFETY: waits for any child without blocking; `status` is a valid out-pointer.
            let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG | libc::WUNTRACED) };
            if pid <= 0 {
                return Ok(());
            }
            let Some(index) = self.slot_of(pid) else {
                continue; // an orphaned grandchild
            };
            if libc::WIFSTOPPED(status) {
                // A fuzzed kill(SIGSTOP) on itself: it would sit there until the end.
                self.kill(index);
                continue;
            }
            self.totals.calls += self.final_count(index);
            self.slots[index].pid = None;
            if libc::WIFEXITED(status) {
                if let Some(failure) = SetupFailure::from_exit_code(libc::WEXITSTATUS(status)) {
                    return Err(SuperviseError::WorkerSetup(failure));
                }
            }
            self.totals.deaths += 1;
        }
    }

    /// The watchdog: kills workers whose counter has not moved for `STALL_LIMIT`.
    fn kill_stalled(&mut self) {
        let now = Instant::now();
        for index in 0..self.slots.len() {
            let slot = self.slots[index];
            if slot.pid.is_none() || slot.killed {
                continue;
            }
            let count = self.counters.read(index).unwrap_or(slot.last_count);
            if count != slot.last_count {
                self.slots[index].last_count = count;
                self.slots[index].last_progress = Some(now);
            } else if slot
                .last_progress
                .is_some_and(|since| now.duration_since(since) > STALL_LIMIT)
            {
                self.kill(index);
            }
        }
    }

    fn kill(&mut self, index: usize) {
        if let Some(pid) = self.slots[index].pid {
            // SAFETY: `pid` is a child of this process that has not been reaped, so the id cannot have been
            // reused by another process.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
            self.slots[index].killed = true;
        }
    }

    /// The end of the run: every worker is killed and reaped; their calls count, their deaths do not.
    fn kill_and_reap_all(&mut self) {
        for index in 0..self.slots.len() {
            self.kill(index);
        }
        for index in 0..self.slots.len() {
            let Some(pid) = self.slots[index].pid else {
                continue;
            };
            loop {
                let mut status = 0;
                // SAFETY: waits for our own child; `status` is a valid out-pointer.
                let reaped = unsafe { libc::waitpid(pid, &mut status, 0) };
                if reaped == pid || io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
                    break;
                }
            }
            self.totals.calls += self.final_count(index);
            self.slots[index].pid = None;
        }
    }

    /// The calls of the worker that just ended in slot `index`: its published count, or the last good reading
    /// if it scribbled over the counter.
    fn final_count(&self, index: usize) -> u64 {
        self.counters
            .read(index)
            .unwrap_or(self.slots[index].last_count)
    }

    fn slot_of(&self, pid: libc::pid_t) -> Option<usize> {
        self.slots.iter().position(|slot| slot.pid == Some(pid))
    }
}

/// Reaps grandchildren that were orphaned to us, waiting a little for the last ones to exit.
fn reap_orphans() {
    let deadline = Instant::now() + ORPHAN_GRACE;
    while Instant::now() < deadline {
        // SAFETY: non-blocking wait for any child, status not wanted.
        let pid = unsafe { libc::waitpid(-1, core::ptr::null_mut(), libc::WNOHANG) };
        match pid {
            0 => std::thread::sleep(TICK),
            pid if pid > 0 => {}
            _ => return, // ECHILD: none left
        }
    }
}

/// Blocks SIGCHLD so that [`wait_for_child_or_tick`] can wait for it with `sigtimedwait`. Workers reset their
/// mask when they start.
fn block_child_signal() {
    // SAFETY: changes this (single-threaded) process's signal mask with an initialised set.
    unsafe {
        let mut set: libc::sigset_t = core::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGCHLD);
        libc::sigprocmask(libc::SIG_BLOCK, &set, core::ptr::null_mut());
    }
}

/// Returns as soon as a child changes state (so a dead worker is replaced at once), or after one tick. Falls back
/// to sleeping where `sigtimedwait` is not implemented.
fn wait_for_child_or_tick() {
    let tick = libc::timespec {
        tv_sec: 0,
        tv_nsec: TICK.as_nanos() as libc::c_long,
    };
    // SAFETY: waits for SIGCHLD (blocked, see `block_child_signal`) with an initialised set and timeout.
    let result = unsafe {
        let mut set: libc::sigset_t = core::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGCHLD);
        libc::sigtimedwait(&set, core::ptr::null_mut(), &tick)
    };
    if result < 0 && io::Error::last_os_error().raw_os_error() == Some(libc::ENOSYS) {
        std::thread::sleep(TICK);
    }
}

extern "C" fn on_stop_signal(_signal: libc::c_int) {
    STOP_REQUESTED.store(true, Ordering::Relaxed);
}

fn install_stop_handlers() {
    // SAFETY: installs an async-signal-safe handler (one atomic store) for SIGINT and SIGTERM.
    unsafe {
        let mut action: libc::sigaction = core::mem::zeroed();
        action.sa_sigaction = on_stop_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::sigemptyset(&mut action.sa_mask);
        action.sa_flags = libc::SA_RESTART;
        for signal in [libc::SIGINT, libc::SIGTERM] {
            libc::sigaction(signal, &action, core::ptr::null_mut());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_explain_themselves() {
        let error = SuperviseError::WorkerSetup(SetupFailure::WorkDir);
        assert_eq!(
            error.to_string(),
            "worker setup failed: cannot enter the private directory"
        );
        let error = SuperviseError::Fork(io::Error::from_raw_os_error(libc::EAGAIN));
        assert!(error.to_string().starts_with("cannot fork workers: "));
    }
}
