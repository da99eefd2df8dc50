//! Waiting for readiness on several files at once (poll, select, epoll_wait, and a poll of an epoll file).
//!
//! A waiter queues itself on every file's `poll_queue`, rechecks, and sleeps until any of them is woken, a file's
//! `poll_deadline` or its own deadline passes, or a signal arrives. Nothing polls on a timer.
#![forbid(unsafe_code)]

use super::{FileOps, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM};
use crate::task::sched;
use crate::task::wait::{Interrupted, WaitQueue};

/// A file's readiness with the *NORM aliases filled in, as Linux's poll methods report them.
pub fn events_of(ops: &dyn FileOps) -> u16 {
    let mut ev = ops.poll_events();
    if ev & POLLIN != 0 {
        ev |= POLLRDNORM;
    }
    if ev & POLLOUT != 0 {
        ev |= POLLWRNORM;
    }
    ev
}

/// Sleep until `check()` returns Ok, or the monotonic clock reaches `deadline_ns` (Ok(None)). While not ready,
/// `check` returns the earliest time at which the files it looked at change by themselves (their
/// `poll_deadline`), recomputed on each pass. The thread sleeps on every queue in `queues`.
pub fn wait_for<T>(
    queues: &[&WaitQueue],
    deadline_ns: Option<u64>,
    mut check: impl FnMut() -> Result<T, Option<u64>>,
) -> Result<Option<T>, Interrupted> {
    let me = sched::current().ok_or(Interrupted)?;
    loop {
        if let Ok(v) = check() {
            return Ok(Some(v));
        }
        if deadline_ns.is_some_and(|d| crate::time::monotonic_ns() >= d) {
            return Ok(None);
        }
        if sched::interrupt_pending(&me) {
            return Err(Interrupted);
        }
        sched::prepare_to_block(&me);
        for q in queues {
            q.add_task(&me);
        }
        // Recheck after queueing: a wake-up before this point would be lost.
        let again = check();
        let ready = match again {
            Ok(v) => Some(v),
            Err(file_deadline) => {
                if sched::interrupt_pending(&me) {
                    sched::cancel_block(&me);
                } else {
                    match [deadline_ns, file_deadline].into_iter().flatten().min() {
                        Some(t) => sched::block_until(&me, t),
                        None => sched::block(),
                    }
                }
                None
            }
        };
        if ready.is_some() {
            sched::cancel_block(&me);
        }
        for q in queues {
            q.remove_task(&me);
        }
        if let Some(v) = ready {
            return Ok(Some(v));
        }
    }
}

/// The earlier of two optional deadlines.
pub fn earliest(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}
