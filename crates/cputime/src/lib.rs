//! CPU-time accounting as Linux reports it.
//!
//! The kernel measures two things per thread: the precise time it ran (summed at every context switch, as Linux's
//! `sum_exec_runtime`), and timer-tick samples of whether it was in user or kernel mode when a tick arrived. What
//! `getrusage`, `times` and `wait4` report is the precise run time split in the proportion of the samples
//! (Linux's `cputime_adjust`), so short-lived programs still see their real CPU time. This crate holds those
//! rules and the user-visible layouts; the kernel supplies the measurements.
#![no_std]
#![forbid(unsafe_code)]

#[cfg(test)]
extern crate std;

/// What the kernel counts for a thread, a process or a set of reaped children.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Account {
    /// Timer ticks that found the thread in user mode.
    pub user_ticks: u64,
    /// Timer ticks that found the thread in the kernel.
    pub system_ticks: u64,
    /// Nanoseconds the thread ran on a CPU.
    pub runtime_ns: u64,
    /// Page faults served without I/O (`ru_minflt`).
    pub minor_faults: u64,
    /// Times the thread gave up the CPU to wait (`ru_nvcsw`).
    pub voluntary_switches: u64,
    /// Times the thread was preempted or yielded (`ru_nivcsw`).
    pub involuntary_switches: u64,
}

impl Account {
    /// The sum of two accounts (a process's threads, a parent's reaped children).
    pub fn plus(self, other: Account) -> Account {
        Account {
            user_ticks: self.user_ticks.saturating_add(other.user_ticks),
            system_ticks: self.system_ticks.saturating_add(other.system_ticks),
            runtime_ns: self.runtime_ns.saturating_add(other.runtime_ns),
            minor_faults: self.minor_faults.saturating_add(other.minor_faults),
            voluntary_switches: self
                .voluntary_switches
                .saturating_add(other.voluntary_switches),
            involuntary_switches: self
                .involuntary_switches
                .saturating_add(other.involuntary_switches),
        }
    }

    /// (user, system) nanoseconds: the run time split like the tick samples. Without system samples (a program
    /// that ran less than a tick, say) the time counts as user time, as in Linux.
    pub fn split_ns(self) -> (u64, u64) {
        let total = self.runtime_ns;
        let ticks = u128::from(self.user_ticks) + u128::from(self.system_ticks);
        if self.system_ticks == 0 || ticks == 0 {
            return (total, 0);
        }
        if self.user_ticks == 0 {
            return (0, total);
        }
        let system = (u128::from(total) * u128::from(self.system_ticks) / ticks) as u64;
        (total - system, system)
    }
}

/// Size of `struct rusage` on x86_64.
pub const RUSAGE_SIZE: usize = 144;
/// Size of `struct tms` on x86_64.
pub const TMS_SIZE: usize = 32;
/// Clock ticks per second of `times` (`USER_HZ`, `sysconf(_SC_CLK_TCK)`).
pub const USER_HZ: u64 = 100;

/// `struct rusage`: two timevals, then 14 longs (maxrss, ixrss, idrss, isrss, minflt, majflt, nswap, inblock,
/// oublock, msgsnd, msgrcv, nsignals, nvcsw, nivcsw). The resident-set peak is not measured yet (0).
pub fn rusage_bytes(account: Account) -> [u8; RUSAGE_SIZE] {
    let (user, system) = account.split_ns();
    let mut out = [0u8; RUSAGE_SIZE];
    let mut put = |index: usize, value: u64| {
        out[index * 8..index * 8 + 8].copy_from_slice(&value.to_le_bytes());
    };
    put(0, user / 1_000_000_000);
    put(1, user % 1_000_000_000 / 1_000);
    put(2, system / 1_000_000_000);
    put(3, system % 1_000_000_000 / 1_000);
    put(8, account.minor_faults);
    put(16, account.voluntary_switches);
    put(17, account.involuntary_switches);
    out
}

/// `struct tms`: utime, stime, cutime, cstime in `USER_HZ` ticks.
pub fn tms_bytes(own: Account, children: Account) -> [u8; TMS_SIZE] {
    let ticks = |ns: u64| ns / (1_000_000_000 / USER_HZ);
    let (user, system) = own.split_ns();
    let (child_user, child_system) = children.split_ns();
    let mut out = [0u8; TMS_SIZE];
    for (index, value) in [user, system, child_user, child_system]
        .into_iter()
        .enumerate()
    {
        out[index * 8..index * 8 + 8].copy_from_slice(&ticks(value).to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests;
