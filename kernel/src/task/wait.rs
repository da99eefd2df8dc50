//! Wait queues: threads sleep on one until a condition they check holds. Wake-ups may come from interrupt
//! handlers, so the queue's lock is only taken with interrupts off.
#![forbid(unsafe_code)]

use super::{sched, Task};
use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec::Vec;
use spin::Mutex;
use x86_64::instructions::interrupts::without_interrupts;

/// Something other than a thread that wants to hear of every wake-up of a queue (an epoll instance watching a
/// file). `notify` runs in the waker's context with no queue lock held; it must not sleep.
pub trait Watcher: Send + Sync {
    fn notify(&self);
}

/// Threads waiting for something, and watchers that stay registered across wake-ups.
pub struct WaitQueue {
    waiters: Mutex<VecDeque<Arc<Task>>>,
    watchers: Mutex<Vec<Arc<dyn Watcher>>>,
}

impl WaitQueue {
    pub const fn new() -> Self {
        WaitQueue {
            waiters: Mutex::new(VecDeque::new()),
            watchers: Mutex::new(Vec::new()),
        }
    }

    /// Queue `task` to be woken by the next `wake_all` (for waits on several queues at once: the caller has done
    /// `sched::prepare_to_block`, rechecks its condition, blocks, then calls `remove_task` on every queue).
    pub fn add_task(&self, task: &Arc<Task>) {
        without_interrupts(|| self.waiters.lock().push_back(task.clone()));
    }

    /// Undo `add_task` (a no-op if a wake-up already took the task off).
    pub fn remove_task(&self, task: &Arc<Task>) {
        self.remove(task);
    }

    /// Register a watcher, notified at every `wake_all` until `remove_watcher`.
    pub fn add_watcher(&self, w: Arc<dyn Watcher>) {
        without_interrupts(|| self.watchers.lock().push(w));
    }

    /// Unregister a watcher (compared by address).
    pub fn remove_watcher(&self, w: &Arc<dyn Watcher>) {
        without_interrupts(|| {
            self.watchers
                .lock()
                .retain(|x| !core::ptr::addr_eq(Arc::as_ptr(x), Arc::as_ptr(w)))
        });
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

    /// Wake every waiter (each rechecks its condition) and notify every watcher.
    pub fn wake_all(&self) {
        let (waiters, watchers): (VecDeque<Arc<Task>>, Vec<Arc<dyn Watcher>>) =
            without_interrupts(|| {
                let waiters = core::mem::take(&mut *self.waiters.lock());
                let watchers = self.watchers.lock();
                let watchers = if watchers.is_empty() {
                    Vec::new()
                } else {
                    watchers.clone()
                };
                (waiters, watchers)
            });
        for t in waiters {
            sched::wake(&t);
        }
        for w in watchers {
            w.notify();
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
