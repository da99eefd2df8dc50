//! Pending queues, dequeue order, rt_sigprocmask, with a randomized model test.

use crate::*;
use basalt_linux_abi::Errno;
use std::vec::Vec;

fn sig(n: u32) -> Signal {
    Signal::new(n).unwrap()
}

#[test]
fn standard_signals_coalesce() {
    let mut p = Pending::new();
    assert_eq!(
        p.post(SigInfo::kill(SIGUSR1, 5, 1)),
        Ok(PostOutcome::Queued)
    );
    assert_eq!(
        p.post(SigInfo::kill(SIGUSR1, 6, 1)),
        Ok(PostOutcome::AlreadyPending)
    );
    assert_eq!(p.queued_len(), 1);
    assert_eq!(
        p.dequeue(SigSet::EMPTY).unwrap().pid(),
        5,
        "the first sender's info is kept"
    );
    assert_eq!(p.dequeue(SigSet::EMPTY), None);
}

#[test]
fn realtime_signals_queue_in_order() {
    let mut p = Pending::new();
    for value in 1..=3 {
        assert_eq!(
            p.post(SigInfo::queue(SIGRTMIN, 9, 0, value)),
            Ok(PostOutcome::Queued)
        );
    }
    for value in 1..=3 {
        assert!(p.signals().contains(SIGRTMIN));
        assert_eq!(p.dequeue(SigSet::EMPTY).unwrap().value(), value);
    }
    assert!(p.signals().is_empty());
}

#[test]
fn dequeue_order_lowest_first_faults_first() {
    let mut p = Pending::new();
    for s in [SIGRTMAX, SIGTERM, SIGSEGV, SIGHUP, SIGSYS] {
        p.post(SigInfo::kernel(s)).unwrap();
    }
    let order: Vec<_> = core::iter::from_fn(|| p.dequeue(SigSet::EMPTY))
        .map(|i| i.signo)
        .collect();
    assert_eq!(order, [SIGSEGV, SIGSYS, SIGHUP, SIGTERM, SIGRTMAX]);
}

#[test]
fn blocked_signals_wait() {
    let mut p = Pending::new();
    p.post(SigInfo::kernel(SIGINT)).unwrap();
    p.post(SigInfo::kernel(SIGTERM)).unwrap();
    let blocked = SigSet::only(SIGINT);
    assert_eq!(p.next_deliverable(blocked), Some(SIGTERM));
    assert_eq!(p.dequeue(blocked).unwrap().signo, SIGTERM);
    assert!(!p.has_deliverable(blocked));
    assert_eq!(p.dequeue(blocked), None);
    assert_eq!(
        p.take_signal(SIGINT).unwrap().signo,
        SIGINT,
        "sigwaitinfo takes blocked signals"
    );
    assert_eq!(p.take_signal(SIGINT), None);
}

#[test]
fn thread_queue_before_process_queue() {
    let mut thread = Pending::new();
    let mut process = Pending::new();
    process.post(SigInfo::kernel(SIGHUP)).unwrap();
    thread.post(SigInfo::kernel(SIGTERM)).unwrap();
    assert_eq!(
        dequeue_for_thread(&mut thread, &mut process, SigSet::EMPTY)
            .unwrap()
            .signo,
        SIGTERM
    );
    assert_eq!(
        dequeue_for_thread(&mut thread, &mut process, SigSet::EMPTY)
            .unwrap()
            .signo,
        SIGHUP
    );
    assert_eq!(
        dequeue_for_thread(&mut thread, &mut process, SigSet::EMPTY),
        None
    );
}

#[test]
fn queue_limit() {
    let mut p = Pending::with_queue_limit(1);
    p.post(SigInfo::queue(SIGRTMIN, 1, 0, 7)).unwrap();
    // sigqueue to a full queue: EAGAIN, nothing changes.
    assert_eq!(
        p.post(SigInfo::queue(sig(40), 1, 0, 8)),
        Err(SignalError::QueueFull(sig(40)))
    );
    assert_eq!(SignalError::QueueFull(SIGRTMIN).errno(), Errno::EAGAIN);
    assert!(!p.signals().contains(sig(40)));
    // kill of a real-time signal: pending, info lost.
    assert_eq!(
        p.post(SigInfo::kill(sig(40), 1, 0)),
        Ok(PostOutcome::InfoLost)
    );
    // a standard signal from kill or the kernel ignores the limit.
    assert_eq!(
        p.post(SigInfo::kill(SIGUSR1, 3, 4)),
        Ok(PostOutcome::Queued)
    );
    // a standard signal from tkill respects it but only loses its info.
    assert_eq!(
        p.post(SigInfo::tkill(SIGUSR2, 3, 4)),
        Ok(PostOutcome::InfoLost)
    );
    assert_eq!(
        p.dequeue(SigSet::EMPTY).unwrap(),
        SigInfo::kill(SIGUSR1, 3, 4)
    );
    assert_eq!(
        p.dequeue(SigSet::EMPTY).unwrap(),
        SigInfo::kill(SIGUSR2, 0, 0),
        "lost info reads as SI_USER, pid 0"
    );
    assert_eq!(p.dequeue(SigSet::EMPTY).unwrap().value(), 7);
    assert_eq!(
        p.dequeue(SigSet::EMPTY).unwrap(),
        SigInfo::kill(sig(40), 0, 0)
    );
    assert_eq!(p.dequeue(SigSet::EMPTY), None);
}

#[test]
fn discard_removes_all_instances() {
    let mut p = Pending::new();
    p.post(SigInfo::queue(SIGRTMIN, 1, 0, 1)).unwrap();
    p.post(SigInfo::queue(SIGRTMIN, 1, 0, 2)).unwrap();
    p.post(SigInfo::kernel(SIGTSTP)).unwrap();
    p.discard(SigSet::only(SIGRTMIN));
    assert_eq!(p.queued_len(), 1);
    assert_eq!(p.signals(), SigSet::only(SIGTSTP));
    p.discard(generation_discards(SIGCONT));
    assert!(p.signals().is_empty());
}

#[test]
fn stop_and_continue_cancel_each_other() {
    assert_eq!(generation_discards(SIGCONT), SigSet::STOP_SIGNALS);
    for s in [SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU] {
        assert_eq!(generation_discards(s), SigSet::only(SIGCONT));
    }
    assert!(generation_discards(SIGTERM).is_empty());
    assert!(generation_discards(SIGKILL).is_empty());
}

#[test]
fn sigprocmask_rules() {
    let cur = SigSet::only(SIGINT);
    let set = Some(SigSet::only(SIGTERM) | SigSet::UNBLOCKABLE);
    assert_eq!(
        rt_sigprocmask(cur, 0, set, 8),
        Ok(SigSet::only(SIGINT) | SigSet::only(SIGTERM))
    );
    assert_eq!(
        rt_sigprocmask(cur, 1, Some(SigSet::FULL), 8),
        Ok(SigSet::EMPTY)
    );
    assert_eq!(rt_sigprocmask(cur, 2, set, 8), Ok(SigSet::only(SIGTERM)));
    assert_eq!(
        rt_sigprocmask(cur, 2, Some(SigSet::FULL), 8),
        Ok(SigSet::FULL.blockable())
    );
    assert_eq!(rt_sigprocmask(cur, 3, set, 8), Err(SignalError::BadHow(3)));
    assert_eq!(
        rt_sigprocmask(cur, u64::MAX, set, 8),
        Err(SignalError::BadHow(-1))
    );
    assert_eq!(
        rt_sigprocmask(cur, 1 << 32, set, 8),
        Ok(SigSet::only(SIGINT) | SigSet::only(SIGTERM)),
        "how is an int"
    );
    assert_eq!(
        rt_sigprocmask(cur, 7, None, 8),
        Ok(cur),
        "how unchecked without a set"
    );
    assert_eq!(
        rt_sigprocmask(cur, 0, None, 4),
        Err(SignalError::BadSigsetSize(4))
    );
    assert_eq!(SignalError::BadHow(3).errno(), Errno::EINVAL);
}

/// Deterministic xorshift64 generator.
pub(crate) struct XorShift(pub u64);

impl XorShift {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A deliberately plain model of Linux's pending queue: per signal a pending
/// flag and a FIFO of infos; fault signals listed explicitly.
struct Model {
    pending: [bool; 65],
    queues: Vec<Vec<SigInfo>>,
    limit: usize,
}

impl Model {
    fn queued(&self) -> usize {
        self.queues.iter().map(Vec::len).sum()
    }
    fn post(&mut self, info: SigInfo) -> Result<PostOutcome, SignalError> {
        let n = info.signo.number() as usize;
        let realtime = n >= 32;
        if !realtime && self.pending[n] {
            return Ok(PostOutcome::AlreadyPending);
        }
        let fits = (!realtime && info.code >= 0) || self.queued() < self.limit;
        if fits {
            self.queues[n].push(info);
        } else if realtime && info.code != 0 && info.code != 0x80 {
            return Err(SignalError::QueueFull(info.signo));
        }
        self.pending[n] = true;
        Ok(if fits {
            PostOutcome::Queued
        } else {
            PostOutcome::InfoLost
        })
    }
    fn take(&mut self, n: usize) -> SigInfo {
        let info = if self.queues[n].is_empty() {
            SigInfo::kill(sig(n as u32), 0, 0)
        } else {
            self.queues[n].remove(0)
        };
        self.pending[n] = !self.queues[n].is_empty();
        info
    }
    fn dequeue(&mut self, blocked: SigSet) -> Option<SigInfo> {
        let ready = |n: usize| self.pending[n] && blocked.0 & (1u64 << (n - 1)) == 0;
        let pick = [4, 5, 7, 8, 11, 31]
            .into_iter()
            .find(|n| ready(*n))
            .or_else(|| (1..=64).find(|n| ready(*n)))?;
        Some(self.take(pick))
    }
    fn discard(&mut self, set: SigSet) {
        for n in 1..=64usize {
            if set.0 & (1u64 << (n - 1)) != 0 {
                self.pending[n] = false;
                self.queues[n].clear();
            }
        }
    }
    fn signals(&self) -> SigSet {
        SigSet(
            (1..=64usize)
                .filter(|n| self.pending[*n])
                .fold(0, |acc, n| acc | 1u64 << (n - 1)),
        )
    }
}

#[test]
fn randomized_pending_against_model() {
    const CANDIDATES: [u32; 12] = [1, 2, 9, 11, 5, 17, 19, 31, 32, 33, 40, 64];
    const CODES: [i32; 5] = [0, 0x80, -1, -6, -2];
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    for round in 0..50 {
        let limit = 1 + rng.below(8) as usize;
        let mut real = Pending::with_queue_limit(limit);
        let mut model = Model {
            pending: [false; 65],
            queues: (0..65).map(|_| Vec::new()).collect(),
            limit,
        };
        for step in 0..400 {
            let random_set = |rng: &mut XorShift| {
                CANDIDATES
                    .iter()
                    .filter(|_| rng.below(3) == 0)
                    .fold(0u64, |acc, n| acc | 1 << (n - 1))
            };
            match rng.below(10) {
                0..=4 => {
                    let s = sig(CANDIDATES[rng.below(CANDIDATES.len() as u64) as usize]);
                    let mut info = SigInfo::queue(s, step, round, rng.next());
                    info.code = CODES[rng.below(CODES.len() as u64) as usize];
                    assert_eq!(
                        real.post(info),
                        model.post(info),
                        "round {round} step {step}"
                    );
                }
                5..=7 => {
                    let blocked = SigSet(random_set(&mut rng));
                    assert_eq!(real.next_deliverable(blocked), model.dequeue_peek(blocked));
                    assert_eq!(
                        real.dequeue(blocked),
                        model.dequeue(blocked),
                        "round {round} step {step}"
                    );
                }
                8 => {
                    let set = SigSet(random_set(&mut rng));
                    real.discard(set);
                    model.discard(set);
                }
                _ => {
                    let s = sig(CANDIDATES[rng.below(CANDIDATES.len() as u64) as usize]);
                    let expected =
                        model.pending[s.number() as usize].then(|| model.take(s.number() as usize));
                    assert_eq!(real.take_signal(s), expected);
                }
            }
            assert_eq!(real.signals(), model.signals());
            assert_eq!(real.queued_len(), model.queued());
        }
    }
}

impl Model {
    fn dequeue_peek(&self, blocked: SigSet) -> Option<Signal> {
        let ready = |n: u32| self.pending[n as usize] && blocked.0 & (1u64 << (n - 1)) == 0;
        [4, 5, 7, 8, 11, 31]
            .into_iter()
            .find(|n| ready(*n))
            .or_else(|| (1..=64).find(|n| ready(*n)))
            .map(sig)
    }
}

#[test]
fn randomized_sigprocmask_against_model() {
    let mut rng = XorShift(0x1234_5678_9abc_def1);
    let mut blocked = SigSet::EMPTY;
    for _ in 0..5000 {
        let how = rng.below(4);
        let set = SigSet(rng.next() & rng.next());
        let has_set = rng.below(5) != 0;
        let expected = if !has_set {
            Ok(blocked)
        } else {
            match how {
                0 => Ok(SigSet((blocked.0 | set.0) & !(1 << 8 | 1 << 18))),
                1 => Ok(SigSet(blocked.0 & !set.0)),
                2 => Ok(SigSet(set.0 & !(1 << 8 | 1 << 18))),
                _ => Err(SignalError::BadHow(how as i32)),
            }
        };
        let got = rt_sigprocmask(blocked, how, has_set.then_some(set), 8);
        assert_eq!(got, expected);
        if let Ok(new) = got {
            assert!(!new.contains(SIGKILL) && !new.contains(SIGSTOP));
            blocked = new;
        }
    }
}
