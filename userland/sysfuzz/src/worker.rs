//! A worker process: confine itself, then issue planned system calls until it dies or is killed.

use crate::confine::{arm_heartbeat, confine};
use crate::layout::{Layout, PAGE_SIZE};
use crate::plan;
use crate::rng::Rng;
use crate::shared::SharedCounters;
use crate::sys::syscall6;
use basalt_linux_abi::{nr, Errno};
use std::ffi::CStr;

/// Calls between restorations of the safety net (also done right after any call that may have weakened it).
const REARM_EVERY: u64 = 64;
/// Calls between refilling one page of scratch memory with fresh random contents.
const REFILL_EVERY: u64 = 16;
/// Attempts at reaping the child of a fuzzed `fork` (each may be interrupted by the heartbeat).
const REAP_ATTEMPTS: u32 = 100;

/// What a worker needs to know from the supervisor.
pub struct WorkerConfig<'a> {
    /// The worker's slot (selects its counter and random stream).
    pub slot: usize,
    /// How many workers held this slot before (selects the random stream too).
    pub generation: u64,
    /// The run's seed.
    pub seed: u64,
    /// The private directory the worker works in.
    pub work_dir: &'a CStr,
    /// The supervisor's pid: when the parent changes, the supervisor is gone and the worker exits.
    pub supervisor: libc::pid_t,
    /// The call counters.
    pub counters: &'a SharedCounters,
}

/// Runs in the child after `fork`: never returns.
pub fn run(config: &WorkerConfig<'_>) -> ! {
    match confine(config.work_dir, config.supervisor) {
        Ok(layout) => fuzz(config, &layout),
        // SAFETY: ends this process without running the supervisor's destructors or atexit handlers.
        Err(failure) => unsafe { libc::_exit(failure.exit_code()) },
    }
}

/// The fuzz loop.
fn fuzz(config: &WorkerConfig<'_>, layout: &Layout) -> ! {
    let mut rng = Rng::for_worker(config.seed, config.slot, config.generation);
    let mut calls: u64 = 0;
    loop {
        if calls.is_multiple_of(REARM_EVERY) {
            restore_safety_net(config.supervisor);
        }
        if calls.is_multiple_of(REFILL_EVERY) {
            refill_one_scratch_page(&mut rng, layout);
        }
        // SAFETY: the names page was mapped in `confine` with this address and length. If a fuzzed call has
        // unmapped or protected it since, writing faults and the worker dies, which is an accepted outcome.
        let names_page = unsafe {
            core::slice::from_raw_parts_mut(
                layout.names.start as *mut u8,
                layout.names.len as usize,
            )
        };
        let call = plan::next_call(&mut rng, layout, names_page);
        // SAFETY: see `syscall6`: this process exists to absorb whatever the call does.
        let ret = unsafe { syscall6(call.number, call.args) };
        if call.number == nr::FORK {
            after_fork(ret);
        }
        if may_weaken_safety_net(call.number) {
            restore_safety_net(config.supervisor);
        }
        calls += 1;
        config.counters.publish(config.slot, calls);
    }
}

/// Calls that can stop the heartbeat (a later blocking call would then hang until the watchdog) or clear the
/// parent-death signal (changing credentials clears it, and so can `prctl`).
fn may_weaken_safety_net(number: usize) -> bool {
    matches!(
        number,
        nr::ALARM
            | nr::SETITIMER
            | nr::RT_SIGACTION
            | nr::RT_SIGPROCMASK
            | nr::PRCTL
            | nr::SETUID
            | nr::SETGID
            | nr::SETREUID
            | nr::SETREGID
            | nr::SETRESUID
            | nr::SETRESGID
            | nr::SETFSUID
            | nr::SETFSGID
            | nr::CAPSET
    )
}

/// Re-arms the heartbeat and the parent-death signal, and exits if the supervisor is already gone.
fn restore_safety_net(supervisor: libc::pid_t) {
    arm_heartbeat();
    // SAFETY: prctl and getppid act on this process only; _exit ends it at once.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong);
        if libc::getppid() != supervisor {
            libc::_exit(0);
        }
    }
}

/// The child of a fuzzed `fork` exits at once; the worker reaps it so zombies cannot pile up.
fn after_fork(ret: i64) {
    if ret == 0 {
        // SAFETY: ends the child without running anything of the worker's.
        unsafe {
            syscall6(nr::EXIT_GROUP, [0; 6]);
        }
    }
    if ret <= 0 {
        return;
    }
    let wall = libc::__WALL as u64;
    for _ in 0..REAP_ATTEMPTS {
        // SAFETY: waits for the worker's own child, without status or usage pointers.
        let reaped = unsafe { syscall6(nr::WAIT4, [ret as u64, 0, wall, 0, 0, 0]) };
        if reaped != -i64::from(Errno::EINTR.0) {
            return;
        }
    }
}

/// Overwrites one page of scratch memory, so structures the kernel reads are not all left over from old calls.
fn refill_one_scratch_page(rng: &mut Rng, layout: &Layout) {
    let page = rng.below(layout.scratch.len / PAGE_SIZE);
    let start = layout.scratch.start + page * PAGE_SIZE;
    // SAFETY: the page lies in the scratch mapping made in `confine`; if a fuzzed call unmapped it, the write
    // faults and the worker dies, which is an accepted outcome.
    let bytes = unsafe { core::slice::from_raw_parts_mut(start as *mut u8, PAGE_SIZE as usize) };
    plan::fill_scratch(rng, layout, bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_and_signal_changes_restore_the_safety_net() {
        for number in [
            nr::ALARM,
            nr::RT_SIGPROCMASK,
            nr::PRCTL,
            nr::SETUID,
            nr::SETFSGID,
            nr::CAPSET,
        ] {
            assert!(may_weaken_safety_net(number));
        }
        for number in [nr::READ, nr::GETPID, nr::FORK, nr::KILL] {
            assert!(!may_weaken_safety_net(number));
        }
    }
}
