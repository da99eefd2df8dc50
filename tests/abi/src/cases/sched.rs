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
    Case::new("sched.affinity_honoured", affinity_honoured),
    Case::new("sched.nice_inherited_by_child", nice_inherited),
    Case::new("sched.setpriority_clamps", setpriority_clamps),
    Case::new("sched.priority_pgrp", priority_pgrp),
    Case::new("sched.getpriority_esrch", getpriority_esrch),
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

fn affinity_honoured() -> String {
    // Pin the thread to the highest CPU it may use; from then on it runs there and getaffinity reports just that.
    let mut mask = [0u64; 16];
    if let Err(e) = sys!(nr::SCHED_GETAFFINITY, 0, 128, mask.as_mut_ptr()) {
        return errno_name(e);
    }
    let Some(cpu) = (0..1024)
        .rev()
        .find(|&c| mask[c / 64] & (1 << (c % 64)) != 0)
    else {
        return "empty mask".to_string();
    };
    let mut one = [0u64; 16];
    one[cpu / 64] = 1 << (cpu % 64);
    let set = outcome(sys!(nr::SCHED_SETAFFINITY, 0, 128, one.as_ptr()));
    let mut stays = true;
    for _ in 0..20 {
        let _ = sys!(nr::SCHED_YIELD);
        let mut now = u32::MAX;
        let _ = sys!(nr::GETCPU, &mut now as *mut u32, 0, 0);
        stays &= now as usize == cpu;
    }
    let mut back = [0u64; 16];
    let _ = sys!(nr::SCHED_GETAFFINITY, 0, 128, back.as_mut_ptr());
    format!(
        "set={set} runs there={} reported={}",
        sys::yes(stays),
        sys::yes(back == one)
    )
}

fn nice_inherited() -> String {
    let set = outcome(sys!(nr::SETPRIORITY, libc::PRIO_PROCESS, 0, 7));
    let child = crate::child::ask(|| value(sys!(nr::GETPRIORITY, libc::PRIO_PROCESS, 0)));
    format!("set={set} child getpriority={child}")
}

fn setpriority_clamps() -> String {
    let _ = sys!(nr::SETPRIORITY, libc::PRIO_PROCESS, 0, 100);
    let high = value(sys!(nr::GETPRIORITY, libc::PRIO_PROCESS, 0));
    let _ = sys!(nr::SETPRIORITY, libc::PRIO_PROCESS, 0, -100i64);
    let low = value(sys!(nr::GETPRIORITY, libc::PRIO_PROCESS, 0));
    format!("nice 100 gives {high} nice -100 gives {low}")
}

fn priority_pgrp() -> String {
    // Each case runs in its own process group.
    let set = outcome(sys!(nr::SETPRIORITY, libc::PRIO_PGRP, 0, 3));
    let me = value(sys!(nr::GETPRIORITY, libc::PRIO_PROCESS, 0));
    let group = value(sys!(nr::GETPRIORITY, libc::PRIO_PGRP, 0));
    format!("set={set} process={me} group={group}")
}

fn getpriority_esrch() -> String {
    format!(
        "pid {} pgrp {}",
        value(sys!(nr::GETPRIORITY, libc::PRIO_PROCESS, NO_SUCH_PID)),
        value(sys!(nr::GETPRIORITY, libc::PRIO_PGRP, NO_SUCH_PID))
    )
}
