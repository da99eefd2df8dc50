//! Wait queues: threads sleep on one until a condition they check holds. Wake-ups may come from interrupt
//! handlers, so the queue's lock is only taken with interrupts off.
#![forbid(unsafe_code)]

use super::{sched, Task};
use alloc::collections::VecDeque;
use alloc::sync::Arc;
use spin::Mutex;
use x86_64::instructions::interrupts::without_interrupts;

/// Threads waiting for something.
pub struct WaitQueue {
    waiters: Mutex<VecDeque<Arc<Task>>>,
}

impl WaitQueue {
    pub const fn new() -> Self {
        WaitQueue {
            waiters: Mutex::new(VecDeque::new()),
        }
    }

    /// Sleep until `ready()` returns Some; returns its value. `ready` is checked after queueing, so a wake-up between
    /// the check and the sleep is not lost. Returns Err(()) when the thread is interrupted (a signal is pending).
    pub fn wait_until<T>(&self, ready: impl FnMut() -> Option<T>) -> Result<T, Interrupted> {
        self.wait_until_deadline(ready, None)
            .map(|v| v.expect("no deadline, so never None"))
    }

    /// Like `wait_until`, giving up when the monotonic clock reaches `deadline_ns` (Ok(None)); no deadline: wait
    /// as long as it takes.
    pub fn wait_until_deadline<T>(
        &self,
        mut ready: impl FnMut() -> Option<T>,
        deadline_ns: Option<u64>,
    ) -> Result<Option<T>, Interrupted> {
        loop {
            if let Some(v) = ready() {
                return Ok(Some(v));
            }
            if deadline_ns.is_some_and(|deadline| crate::time::monotonic_ns() >= deadline) {
                return Ok(None);
            }
            let me = sched::current().expect("waiting outside a thread");
            if sched::interrupt_pending(&me) {
                return Err(Interrupted);
            }
            sched::prepare_to_block(&me);
            without_interrupts(|| self.waiters.lock().push_back(me.clone()));
            if let Some(v) = ready() {
                self.remove(&me);
                sched::cancel_block(&me);
                return Ok(Some(v));
            }
            // An interruption (signal, exit) that arrived before we were marked blocked woke nobody: look again.
            if sched::interrupt_pending(&me) {
                self.remove(&me);
                sched::cancel_block(&me);
                return Err(Interrupted);
            }
            match deadline_ns {
                Some(deadline) => sched::block_until(&me, deadline),
                None => sched::block(),
            }
            self.remove(&me);
        }
    }

    /// Sleep until `ready()` holds, ignoring pending signals (a stopped process waits for SIGCONT or SIGKILL, which
    /// make `ready` true; other signals stay pending).
    pub fn wait_uninterruptible(&self, mut ready: impl FnMut() -> bool) {
        while !ready() {
            let me = sched::current().expect("wait_uninterruptible outside a thread");
            sched::prepare_to_block(&me);
            without_interrupts(|| self.waiters.lock().push_back(me.clone()));
            if ready() {
                self.remove(&me);
                sched::cancel_block(&me);
                return;
            }
            sched::block();
            self.remove(&me);
        }
    }

    fn remove(&self, task: &Arc<Task>) {
        without_interrupts(|| self.waiters.lock().retain(|t| !Arc::ptr_eq(t, task)));
    }

    /// Wake every waiter (each rechecks its condition).
    pub fn wake_all(&self) {
        let waiters: VecDeque<Arc<Task>> =
            without_interrupts(|| core::mem::take(&mut *self.waiters.lock()));
        for t in waiters {
            sched::wake(&t);
        }
    }
}

impl Default for WaitQueue {
    fn default() -> Self {
        Self::new()
    }
}

/// A sleep ended early because a signal needs handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interrupted;
