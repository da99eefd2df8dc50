//! Scheduler calls: sched_yield, CPU affinity, policy and priority queries, nice values.

use crate::registry::Case;
use crate::sys::{self, errno_name, nr, outcome, value, BAD_PTR, NO_SUCH_PID};

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case::new("sched.yield", yield_),
    Case::new("sched.getaffinity", getaffinity),
    Case::new(
        "sched.getaffinity_unaligned_size_einval",
        getaffinity_unaligned_size,
    ),
    Case::new("sched.getaffinity_zero_size_einval", getaffinity_zero_size),
    Case::new("sched.getaffinity_efault", getaffinity_efault),
    Case::new("sched.getaffinity_esrch", getaffinity_esrch),
    Case::new("sched.setaffinity_current", setaffinity_current),
    Case::new("sched.setaffinity_empty_einval", setaffinity_empty),
    Case::new("sched.getscheduler", getscheduler),
    Case::new("sched.getscheduler_esrch", getscheduler_esrch),
    Case::new("sched.getscheduler_negative_einval", getscheduler_negative),
    Case::new("sched.getparam", getparam),
    Case::new("sched.priority_range", priority_range),
    Case::new("sched.nice", nice),
    Case::new("sched.getpriority_bad_which_einval", getpriority_bad_which),
];

fn yield_() -> String {
    outcome(sys!(nr::SCHED_YIELD))
}

fn getaffinity() -> String {
    let mut mask = [0u64; 16];
    match sys!(nr::SCHED_GETAFFINITY, 0, 128, mask.as_mut_ptr()) {
        Ok(n) => {
            let cpus: u32 = mask.iter().map(|w| w.count_ones()).sum();
            format!(
                "size multiple of 8={} cpus>=1={}",
                sys::yes(n > 0 && n % 8 == 0),
                sys::yes(cpus >= 1)
            )
        }
        Err(e) => errno_name(e),
    }
}

fn getaffinity_unaligned_size() -> String {
    let mut mask = [0u64; 16];
    outcome(sys!(nr::SCHED_GETAFFINITY, 0, 12, mask.as_mut_ptr()))
}

fn getaffinity_zero_size() -> String {
    let mut mask = [0u64; 16];
    outcome(sys!(nr::SCHED_GETAFFINITY, 0, 0, mask.as_mut_ptr()))
}

fn getaffinity_efault() -> String {
    outcome(sys!(nr::SCHED_GETAFFINITY, 0, 128, BAD_PTR))
}

fn getaffinity_esrch() -> String {
    let mut mask = [0u64; 16];
    outcome(sys!(
        nr::SCHED_GETAFFINITY,
        NO_SUCH_PID,
        128,
        mask.as_mut_ptr()
    ))
}

fn setaffinity_current() -> String {
    let mut mask = [0u64; 16];
    let _ = sys!(nr::SCHED_GETAFFINITY, 0, 128, mask.as_mut_ptr());
    outcome(sys!(nr::SCHED_SETAFFINITY, 0, 128, mask.as_ptr()))
}

fn setaffinity_empty() -> String {
    let mask = [0u64; 16];
    outcome(sys!(nr::SCHED_SETAFFINITY, 0, 128, mask.as_ptr()))
}

fn getscheduler() -> String {
    value(sys!(nr::SCHED_GETSCHEDULER, 0))
}

fn getscheduler_esrch() -> String {
    value(sys!(nr::SCHED_GETSCHEDULER, NO_SUCH_PID))
}

fn getscheduler_negative() -> String {
    value(sys!(nr::SCHED_GETSCHEDULER, -1i64))
}

fn getparam() -> String {
    let mut prio = -1i32;
    let r = outcome(sys!(nr::SCHED_GETPARAM, 0, &mut prio as *mut i32));
    format!("{r} priority={prio}")
}

fn priority_range() -> String {
    let show = |policy: i32| {
        format!(
            "{}..{}",
            value(sys!(nr::SCHED_GET_PRIORITY_MIN, policy)),
            value(sys!(nr::SCHED_GET_PRIORITY_MAX, policy))
        )
    };
    format!(
        "OTHER {} FIFO {} RR {} bad policy {}",
        show(libc::SCHED_OTHER),
        show(libc::SCHED_FIFO),
        show(libc::SCHED_RR),
        value(sys!(nr::SCHED_GET_PRIORITY_MAX, 42))
    )
}

fn nice() -> String {
    // The raw getpriority returns 20 - nice, so that it is never negative.
    let before = value(sys!(nr::GETPRIORITY, libc::PRIO_PROCESS, 0));
    let set = outcome(sys!(nr::SETPRIORITY, libc::PRIO_PROCESS, 0, 5));
    let after = value(sys!(nr::GETPRIORITY, libc::PRIO_PROCESS, 0));
    format!("before={before} set nice 5={set} after={after}")
}

fn getpriority_bad_which() -> String {
    value(sys!(nr::GETPRIORITY, 42, 0))
}
