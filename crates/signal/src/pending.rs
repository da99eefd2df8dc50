//! Pending signals of a thread or a process: standard signals coalesce,
//! real-time ones queue every instance with its siginfo.

use alloc::collections::VecDeque;

use crate::error::SignalError;
use crate::siginfo::{code, SigInfo};
use crate::signal::Signal;
use crate::sigset::SigSet;

/// Default cap on queued siginfos per [`Pending`]. Linux counts
/// RLIMIT_SIGPENDING per user across processes; the kernel may pass its own
/// number to [`Pending::with_queue_limit`].
pub const DEFAULT_QUEUE_LIMIT: usize = 4096;

/// How [`Pending::post`] handled a signal.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PostOutcome {
    /// Now pending with its siginfo queued.
    Queued,
    /// A standard signal that was already pending: the new one merges into it.
    AlreadyPending,
    /// Pending, but its siginfo could not be queued (queue full); it will be
    /// dequeued as SI_USER from pid 0, uid 0, as Linux does.
    InfoLost,
}

/// A set of pending signals with their queued siginfos, in send order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    signals: SigSet,
    queue: VecDeque<SigInfo>,
    limit: usize,
}

impl Default for Pending {
    fn default() -> Pending {
        Pending::new()
    }
}

impl Pending {
    /// Nothing pending, [`DEFAULT_QUEUE_LIMIT`].
    pub const fn new() -> Pending {
        Pending::with_queue_limit(DEFAULT_QUEUE_LIMIT)
    }

    /// Nothing pending, at most `limit` queued siginfos.
    pub const fn with_queue_limit(limit: usize) -> Pending {
        Pending {
            signals: SigSet::EMPTY,
            queue: VecDeque::new(),
            limit,
        }
    }

    /// The pending signals (what `rt_sigpending` reports, with the other queue).
    pub const fn signals(&self) -> SigSet {
        self.signals
    }

    /// Number of queued siginfos.
    pub fn queued_len(&self) -> usize {
        self.queue.len()
    }

    /// Makes `info.signo` pending (Linux's `__send_signal_locked` after the
    /// ignore checks). A real-time signal that does not fit in the queue is
    /// refused with EAGAIN unless it came from `kill` (SI_USER) or the kernel
    /// (SI_KERNEL), which only lose their siginfo. Standard signals never fail.
    pub fn post(&mut self, info: SigInfo) -> Result<PostOutcome, SignalError> {
        let sig = info.signo;
        if !sig.is_realtime() && self.signals.contains(sig) {
            return Ok(PostOutcome::AlreadyPending);
        }
        // Linux lets kill()- and kernel-sent standard signals past the limit.
        let ignore_limit = !sig.is_realtime() && info.code >= 0;
        let fits = ignore_limit || self.queue.len() < self.limit;
        let queued = fits && self.queue.try_reserve(1).is_ok();
        if queued {
            self.queue.push_back(info);
        } else if sig.is_realtime() && info.code != code::SI_USER && info.code != code::SI_KERNEL {
            return Err(SignalError::QueueFull(sig));
        }
        self.signals.insert(sig);
        Ok(if queued {
            PostOutcome::Queued
        } else {
            PostOutcome::InfoLost
        })
    }

    /// The signal [`Pending::dequeue`] would take: the lowest-numbered pending
    /// signal not in `blocked`, fault signals first (Linux's `next_signal`).
    pub fn next_deliverable(&self, blocked: SigSet) -> Option<Signal> {
        let deliverable = self.signals - blocked;
        let synchronous = deliverable & SigSet::SYNCHRONOUS;
        if synchronous.is_empty() {
            deliverable.lowest()
        } else {
            synchronous.lowest()
        }
    }

    /// Whether any pending signal is not blocked.
    pub fn has_deliverable(&self, blocked: SigSet) -> bool {
        !(self.signals - blocked).is_empty()
    }

    /// Takes the next deliverable signal with its siginfo. A signal stays
    /// pending while more instances of it are queued.
    pub fn dequeue(&mut self, blocked: SigSet) -> Option<SigInfo> {
        let sig = self.next_deliverable(blocked)?;
        Some(self.take(sig))
    }

    /// Takes `sig` if it is pending, whether blocked or not (for `sigwaitinfo`
    /// and `sigtimedwait`, which wait for blocked signals).
    pub fn take_signal(&mut self, sig: Signal) -> Option<SigInfo> {
        if self.signals.contains(sig) {
            Some(self.take(sig))
        } else {
            None
        }
    }

    fn take(&mut self, sig: Signal) -> SigInfo {
        let mut found = None;
        let mut more = false;
        for (i, info) in self.queue.iter().enumerate() {
            if info.signo == sig {
                if found.is_none() {
                    found = Some(i);
                } else {
                    more = true;
                    break;
                }
            }
        }
        if !more {
            self.signals.remove(sig);
        }
        match found.and_then(|i| self.queue.remove(i)) {
            Some(info) => info,
            // Queued without info (queue was full): Linux reports SI_USER, pid 0.
            None => SigInfo::kill(sig, 0, 0),
        }
    }

    /// Forgets every pending instance of the signals in `set` (an action set to
    /// ignore, SIGCONT flushing stop signals and the reverse).
    pub fn discard(&mut self, set: SigSet) {
        if (self.signals & set).is_empty() {
            return;
        }
        self.signals = self.signals - set;
        self.queue.retain(|info| !set.contains(info.signo));
    }
}

/// Dequeues for a thread: its own pending signals first, then the process's
/// shared ones, each picking the lowest deliverable number with faults first
/// (Linux's `dequeue_signal`).
pub fn dequeue_for_thread(
    thread: &mut Pending,
    process: &mut Pending,
    blocked: SigSet,
) -> Option<SigInfo> {
    thread.dequeue(blocked).or_else(|| process.dequeue(blocked))
}
