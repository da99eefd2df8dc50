//! futex: WAIT/WAKE with values, timeouts and errors, REQUEUE/CMP_REQUEUE, bitsets, private and shared futexes.
//!
//! Wake counts are only deterministic once every waiter is really asleep in the kernel. We find out by asking the
//! kernel itself: CMP_REQUEUE with nr_wake = 0 moves all waiters to a scratch futex and returns how many there were,
//! and a second CMP_REQUEUE moves them back. Waiters never notice.

use core::sync::atomic::{AtomicU32, Ordering::SeqCst};

use crate::child;
use crate::registry::Case;
use crate::sys::{self, nr, outcome, value, BAD_PTR};

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case::new("futex.wait_value_mismatch_eagain", wait_value_mismatch),
    Case::new("futex.wait_timeout_etimedout", wait_timeout),
    Case::new("futex.wait_bad_nsec_einval", wait_bad_nsec),
    Case::new("futex.wait_negative_sec_einval", wait_negative_sec),
    Case::new("futex.wait_efault_uaddr", wait_efault_uaddr),
    Case::new("futex.wait_efault_timeout", wait_efault_timeout),
    Case::new("futex.wait_unaligned_einval", wait_unaligned),
    Case::new("futex.wake_no_waiters", wake_no_waiters),
    Case::new("futex.wake_counts", wake_counts),
    Case::new("futex.requeue", requeue),
    Case::new("futex.cmp_requeue", cmp_requeue),
    Case::new("futex.cmp_requeue_mismatch_eagain", cmp_requeue_mismatch),
    Case::new("futex.cmp_requeue_negative_einval", cmp_requeue_negative),
    Case::new("futex.bitset_selects_waiters", bitset_selects_waiters),
    Case::new("futex.wait_bitset_zero_einval", wait_bitset_zero),
    Case::new("futex.wake_bitset_zero_einval", wake_bitset_zero),
    Case::new("futex.wait_bitset_absolute_past", wait_bitset_absolute_past),
    Case::new("futex.clock_realtime_wait", clock_realtime_wait),
    Case::new("futex.clock_realtime_wake_enosys", clock_realtime_wake),
    Case::new("futex.private_pair", private_pair),
    Case::new(
        "futex.private_wake_misses_shared_waiter",
        private_wake_misses_shared,
    ),
    Case::new("futex.shared_across_fork", shared_across_fork),
    Case::new("futex.wake_op", wake_op),
    Case::new("futex.wake_op_ops_and_compares", wake_op_ops_and_compares),
    Case::new("futex.wake_op_unknown_op_enosys", wake_op_unknown_op),
    Case::new("futex.wake_op_unknown_cmp_enosys", wake_op_unknown_cmp),
    Case::new("futex.wake_zero_wakes_one", wake_zero_wakes_one),
    Case::new(
        "futex.requeued_waiter_stays_asleep",
        requeued_waiter_stays_asleep,
    ),
    Case::new("futex.unknown_op_enosys", unknown_op),
];

const WAIT: i32 = libc::FUTEX_WAIT;
const WAKE: i32 = libc::FUTEX_WAKE;
const PRIVATE: i32 = libc::FUTEX_PRIVATE_FLAG;

/// `futex(uaddr, op, val, timeout_or_val2, uaddr2, val3)`.
fn futex(
    uaddr: usize,
    op: i32,
    val: u32,
    timeout: usize,
    uaddr2: usize,
    val3: u32,
) -> Result<usize, sys::Errno> {
    sys!(nr::FUTEX, uaddr, op, val, timeout, uaddr2, val3)
}

fn addr(word: &AtomicU32) -> usize {
    word.as_ptr() as usize
}

/// How many tasks are asleep on `word` (see the module comment); `op_flags` is 0 or PRIVATE.
fn waiters(word: &AtomicU32, op_flags: i32) -> Result<usize, sys::Errno> {
    let scratch = AtomicU32::new(0);
    let op = libc::FUTEX_CMP_REQUEUE | op_flags;
    let n = futex(
        addr(word),
        op,
        0,
        i32::MAX as usize,
        addr(&scratch),
        word.load(SeqCst),
    )?;
    futex(addr(&scratch), op, 0, i32::MAX as usize, addr(word), 0)?;
    Ok(n)
}

/// Waits until `n` tasks sleep on `word` (the case timeout bounds this). If the kernel cannot count (no
/// CMP_REQUEUE), falls back to a pause, which may make the case's result differ: that already shows a gap.
fn await_waiters(word: &AtomicU32, op_flags: i32, n: usize) {
    for _ in 0..100_000 {
        match waiters(word, op_flags) {
            Ok(got) if got >= n => return,
            Ok(_) => {}
            Err(_) => {
                sleep_ms(50);
                return;
            }
        }
        sleep_ms(1);
    }
}

fn sleep_ms(ms: i64) {
    let ts = [0i64, ms * 1_000_000];
    let _ = sys!(nr::NANOSLEEP, ts.as_ptr(), 0);
}

/// Starts `n` threads each waiting once on `word` (expected value 0) with `op`, and waits until all sleep.
fn start_waiters(
    word: &'static AtomicU32,
    op: i32,
    bitset: u32,
    n: usize,
) -> Vec<std::thread::JoinHandle<String>> {
    let handles = (0..n)
        .map(|_| std::thread::spawn(move || value(futex(addr(word), op, 0, 0, 0, bitset))))
        .collect();
    await_waiters(word, op & PRIVATE, n);
    handles
}

/// Joins the waiter threads and lists what their WAIT calls returned.
fn join(handles: Vec<std::thread::JoinHandle<String>>) -> String {
    let results: Vec<String> = handles
        .into_iter()
        .map(|h| h.join().unwrap_or_default())
        .collect();
    results.join(",")
}

/// A leaked word, so waiter threads can borrow it for 'static.
fn word() -> &'static AtomicU32 {
    Box::leak(Box::new(AtomicU32::new(0)))
}

fn wait_value_mismatch() -> String {
    let w = AtomicU32::new(1);
    outcome(futex(addr(&w), WAIT, 0, 0, 0, 0))
}

fn wait_timeout() -> String {
    let w = AtomicU32::new(0);
    let ts = [0i64, 10_000_000];
    outcome(futex(addr(&w), WAIT, 0, ts.as_ptr() as usize, 0, 0))
}

fn wait_bad_nsec() -> String {
    let w = AtomicU32::new(0);
    let ts = [0i64, 1_000_000_000];
    outcome(futex(addr(&w), WAIT, 0, ts.as_ptr() as usize, 0, 0))
}

fn wait_negative_sec() -> String {
    let w = AtomicU32::new(0);
    let ts = [-1i64, 0];
    outcome(futex(addr(&w), WAIT, 0, ts.as_ptr() as usize, 0, 0))
}

fn wait_efault_uaddr() -> String {
    outcome(futex(BAD_PTR, WAIT, 0, 0, 0, 0))
}

fn wait_efault_timeout() -> String {
    let w = AtomicU32::new(0);
    outcome(futex(addr(&w), WAIT, 0, BAD_PTR, 0, 0))
}

fn wait_unaligned() -> String {
    let w = [AtomicU32::new(0), AtomicU32::new(0)];
    outcome(futex(addr(&w[0]) + 1, WAIT, 0, 0, 0, 0))
}

fn wake_no_waiters() -> String {
    let w = AtomicU32::new(0);
    value(futex(addr(&w), WAKE, 10, 0, 0, 0))
}

fn wake_counts() -> String {
    let w = word();
    let handles = start_waiters(w, WAIT, 0, 3);
    let one = value(futex(addr(w), WAKE, 1, 0, 0, 0));
    let rest = value(futex(addr(w), WAKE, i32::MAX as u32, 0, 0, 0));
    format!(
        "wake(1)={one} wake(all)={rest} waiters returned {}",
        join(handles)
    )
}

/// Three waiters on A; `op` moves them with nr_wake = 1, nr_requeue = 1; then B and A are woken.
fn requeue_with(op: i32, val3: u32) -> String {
    let a = word();
    let b = AtomicU32::new(0);
    let handles = start_waiters(a, WAIT, 0, 3);
    let moved = value(futex(addr(a), op, 1, 1, addr(&b), val3));
    let on_b = value(futex(addr(&b), WAKE, i32::MAX as u32, 0, 0, 0));
    let on_a = value(futex(addr(a), WAKE, i32::MAX as u32, 0, 0, 0));
    format!(
        "requeue={moved} then woken on B={on_b} on A={on_a} waiters returned {}",
        join(handles)
    )
}

fn requeue() -> String {
    requeue_with(libc::FUTEX_REQUEUE, 0)
}

fn cmp_requeue() -> String {
    requeue_with(libc::FUTEX_CMP_REQUEUE, 0)
}

fn cmp_requeue_mismatch() -> String {
    let a = AtomicU32::new(0);
    let b = AtomicU32::new(0);
    outcome(futex(addr(&a), libc::FUTEX_CMP_REQUEUE, 1, 1, addr(&b), 5))
}

fn cmp_requeue_negative() -> String {
    let a = AtomicU32::new(0);
    let b = AtomicU32::new(0);
    outcome(futex(
        addr(&a),
        libc::FUTEX_CMP_REQUEUE,
        1,
        usize::MAX,
        addr(&b),
        0,
    ))
}

fn bitset_selects_waiters() -> String {
    let w = word();
    let handles = start_waiters(w, libc::FUTEX_WAIT_BITSET, 0b01, 1);
    let other = value(futex(addr(w), libc::FUTEX_WAKE_BITSET, 1, 0, 0, 0b10));
    let matching = value(futex(addr(w), libc::FUTEX_WAKE_BITSET, 1, 0, 0, 0b11));
    format!(
        "wake bits 10={other} bits 11={matching} waiter returned {}",
        join(handles)
    )
}

fn wait_bitset_zero() -> String {
    let w = AtomicU32::new(0);
    outcome(futex(addr(&w), libc::FUTEX_WAIT_BITSET, 0, 0, 0, 0))
}

fn wake_bitset_zero() -> String {
    let w = AtomicU32::new(0);
    outcome(futex(addr(&w), libc::FUTEX_WAKE_BITSET, 1, 0, 0, 0))
}

fn wait_bitset_absolute_past() -> String {
    // WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline; 1 s after boot has long passed.
    let w = AtomicU32::new(0);
    let ts = [1i64, 0];
    outcome(futex(
        addr(&w),
        libc::FUTEX_WAIT_BITSET,
        0,
        ts.as_ptr() as usize,
        0,
        u32::MAX,
    ))
}

fn clock_realtime_wait() -> String {
    // Only the bitset wait takes FUTEX_CLOCK_REALTIME (with an absolute deadline; 1 s after 1970 has passed).
    let w = AtomicU32::new(0);
    let ts = [1i64, 0];
    let plain = outcome(futex(
        addr(&w),
        WAIT | libc::FUTEX_CLOCK_REALTIME,
        0,
        ts.as_ptr() as usize,
        0,
        0,
    ));
    let op = libc::FUTEX_WAIT_BITSET | libc::FUTEX_CLOCK_REALTIME;
    let bitset = outcome(futex(addr(&w), op, 0, ts.as_ptr() as usize, 0, u32::MAX));
    format!("WAIT={plain} WAIT_BITSET={bitset}")
}

fn clock_realtime_wake() -> String {
    let w = AtomicU32::new(0);
    outcome(futex(
        addr(&w),
        WAKE | libc::FUTEX_CLOCK_REALTIME,
        1,
        0,
        0,
        0,
    ))
}

fn private_pair() -> String {
    let w = word();
    let handles = start_waiters(w, WAIT | PRIVATE, 0, 1);
    let woken = value(futex(addr(w), WAKE | PRIVATE, 1, 0, 0, 0));
    format!("woken={woken} waiter returned {}", join(handles))
}

fn private_wake_misses_shared() -> String {
    let w = word();
    let handles = start_waiters(w, WAIT, 0, 1);
    let private = value(futex(addr(w), WAKE | PRIVATE, 1, 0, 0, 0));
    let shared = value(futex(addr(w), WAKE, 1, 0, 0, 0));
    format!(
        "private wake={private} shared wake={shared} waiter returned {}",
        join(handles)
    )
}

fn shared_across_fork() -> String {
    let flags = libc::MAP_SHARED | libc::MAP_ANONYMOUS;
    let Ok(page) = sys!(
        nr::MMAP,
        0,
        sys::PAGE,
        libc::PROT_READ | libc::PROT_WRITE,
        flags,
        -1i64,
        0
    ) else {
        return "mmap failed".to_string();
    };
    // SAFETY: the shared page is mapped, aligned and lives until the process exits.
    let w: &AtomicU32 = unsafe { &*(page as *const AtomicU32) };
    let pid = child::spawn(|| match futex(addr(w), WAIT, 0, 0, 0, 0) {
        Ok(_) => 0,
        Err(e) => i32::from(e.0),
    });
    let Ok(pid) = pid else {
        return "fork failed".to_string();
    };
    await_waiters(w, 0, 1);
    let woken = value(futex(addr(w), WAKE, 1, 0, 0, 0));
    format!("woken={woken} child {}", child::wait_text(pid))
}

fn wake_op() -> String {
    let a = word();
    let b = word();
    let on_a = start_waiters(a, WAIT, 0, 1);
    let on_b = start_waiters(b, WAIT, 0, 1);
    // FUTEX_OP(SET, 5, CMP_EQ, 0): *b = 5; wake one on b too if the old *b was 0.
    let op_word: u32 = 5 << 12;
    let woken = value(futex(addr(a), libc::FUTEX_WAKE_OP, 1, 1, addr(b), op_word));
    format!(
        "woken={woken} b={} waiters returned {} {}",
        b.load(SeqCst),
        join(on_a),
        join(on_b)
    )
}

/// FUTEX_OP(op, oparg, cmp, cmparg).
fn futex_op(op: u32, oparg: u32, cmp: u32, cmparg: u32) -> u32 {
    (op << 28) | (cmp << 24) | ((oparg & 0xfff) << 12) | (cmparg & 0xfff)
}

/// Runs FUTEX_WAKE_OP on a word holding `start` with one waiter asleep on it: the call's result (1 when the
/// comparison woke the waiter) and the word after it.
fn wake_op_on(start: u32, encoded: u32) -> String {
    let a = AtomicU32::new(0);
    let b = word();
    let handles = start_waiters(b, WAIT | PRIVATE, 0, 1);
    b.store(start, SeqCst);
    let r = value(futex(
        addr(&a),
        libc::FUTEX_WAKE_OP | PRIVATE,
        1,
        1,
        addr(b),
        encoded,
    ));
    let after = b.load(SeqCst);
    let _ = futex(addr(b), WAKE | PRIVATE, 1, 0, 0, 0);
    join(handles);
    format!("{r}/{after:#x}")
}

fn wake_op_ops_and_compares() -> String {
    const SHIFT: u32 = 8;
    let cases = [
        (6, futex_op(1, 3, 0, 0)),          // ADD
        (6, futex_op(2, 9, 1, 6)),          // OR, NE
        (0xff, futex_op(3, 0xf, 2, 0)),     // ANDN, LT
        (5, futex_op(4, 1, 3, 5)),          // XOR, LE
        (5, futex_op(1, 0xfff, 4, 0xfff)),  // ADD -1, GT -1
        (1, futex_op(SHIFT | 2, 4, 5, 1)),  // OR 1 << 4, GE
        (0, futex_op(SHIFT, 31, 0, 0)),     // SET 1 << 31
        (0, futex_op(SHIFT | 2, 40, 0, 0)), // shift out of range: low five bits
    ];
    let results: Vec<String> = cases
        .iter()
        .map(|&(start, op)| wake_op_on(start, op))
        .collect();
    results.join(" ")
}

fn wake_op_unknown_op() -> String {
    wake_op_on(3, futex_op(6, 1, 0, 0))
}

fn wake_op_unknown_cmp() -> String {
    // The operation is done before the comparison is found unknown.
    wake_op_on(3, futex_op(0, 9, 7, 0))
}

fn wake_zero_wakes_one() -> String {
    let w = word();
    let handles = start_waiters(w, WAIT | PRIVATE, 0, 2);
    let first = value(futex(addr(w), WAKE | PRIVATE, 0, 0, 0, 0));
    let rest = value(futex(addr(w), WAKE | PRIVATE, i32::MAX as u32, 0, 0, 0));
    format!(
        "wake(0)={first} then={rest} waiters returned {}",
        join(handles)
    )
}

fn requeued_waiter_stays_asleep() -> String {
    let a = word();
    let b = word();
    let handles = start_waiters(a, WAIT | PRIVATE, 0, 1);
    let moved = value(futex(
        addr(a),
        libc::FUTEX_CMP_REQUEUE | PRIVATE,
        0,
        1,
        addr(b),
        0,
    ));
    // Still asleep, now on b: a wake on a finds nobody, one on b finds it.
    sleep_ms(20);
    let on_a = value(futex(addr(a), WAKE | PRIVATE, 1, 0, 0, 0));
    let on_b = value(futex(addr(b), WAKE | PRIVATE, 1, 0, 0, 0));
    format!(
        "requeued={moved} wake a={on_a} wake b={on_b} waiter returned {}",
        join(handles)
    )
}

fn unknown_op() -> String {
    let w = AtomicU32::new(0);
    outcome(futex(addr(&w), 99, 0, 0, 0, 0))
}
