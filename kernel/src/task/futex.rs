//! Futexes: sleeping on a user-space word.
//!
//! Waiters are keyed like Linux keys them. A private futex (FUTEX_PRIVATE_FLAG) is its address space and address.
//! A shared one in a MAP_SHARED area is the shared object and the offset in it, so every process mapping the
//! object meets at the same key; a shared one in private memory is the address space and address again, but never
//! equal to the private key (a private wake misses a shared waiter, as on Linux).
#![forbid(unsafe_code)]

use super::wait::WaitQueue;
use super::{sched, Task};
use crate::arch::usercopy;
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use basalt_futex::WakeOp;
use basalt_linux_abi::Errno;
use core::sync::atomic::{AtomicBool, Ordering};
use spin::{Mutex, MutexGuard};

/// Where waiters of one futex meet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    /// FUTEX_PRIVATE_FLAG: (page-table root of the address space, address).
    Private(u64, u64),
    /// A shared futex in private memory: only this address space reaches it.
    MmShared(u64, u64),
    /// A shared futex in a MAP_SHARED area: (object, byte offset).
    Object(u64, u64),
}

/// One sleeping FUTEX_WAIT. A waker takes it out of the table and sets `woken`; requeue moves it to another key.
struct Slot {
    woken: AtomicBool,
    key: Mutex<Key>,
    bitset: u32,
    queue: WaitQueue,
}

static WAITERS: Mutex<BTreeMap<Key, Vec<Arc<Slot>>>> = Mutex::new(BTreeMap::new());

const FUTEX_BITSET_MATCH_ANY: u32 = u32::MAX;

/// The table is held across user-memory accesses (the futex word is checked and changed under it, so no wake-up
/// can slip in between). A fault there may shoot down other CPUs' TLBs, and those spin here with interrupts off:
/// they serve flush requests while they wait.
fn table() -> MutexGuard<'static, BTreeMap<Key, Vec<Arc<Slot>>>> {
    loop {
        if let Some(guard) = WAITERS.try_lock() {
            return guard;
        }
        crate::arch::tlb::service();
        core::hint::spin_loop();
    }
}

fn key(addr: u64, shared: bool) -> Result<Key, Errno> {
    if !addr.is_multiple_of(4) {
        return Err(Errno::EINVAL);
    }
    let me = sched::current().ok_or(Errno::ESRCH)?;
    let mm = me.process.address_space();
    if !shared {
        return Ok(Key::Private(mm.pml4(), addr));
    }
    Ok(match mm.shared_object_at(addr)? {
        Some((object, offset)) => Key::Object(object, offset),
        None => Key::MmShared(mm.pml4(), addr),
    })
}

fn read_word(addr: u64) -> Result<u32, Errno> {
    let mut b = [0u8; 4];
    usercopy::copy_from_user(&mut b, addr)?;
    Ok(u32::from_le_bytes(b))
}

/// Linux counts wake-ups as an `int` and checks the count after each: zero or less still wakes one.
fn wake_limit(count: u32) -> usize {
    (count as i32).max(1) as usize
}

/// FUTEX_WAIT(_BITSET): sleep while `*addr == expected`, until woken, the deadline passes (ETIMEDOUT) or a signal
/// arrives (EINTR).
pub fn wait(
    addr: u64,
    shared: bool,
    expected: u32,
    deadline_ns: Option<u64>,
    bitset: u32,
) -> Result<usize, Errno> {
    if bitset == 0 {
        return Err(Errno::EINVAL);
    }
    let k = key(addr, shared)?;
    let slot = Arc::new(Slot {
        woken: AtomicBool::new(false),
        key: Mutex::new(k),
        bitset,
        queue: WaitQueue::new(),
    });
    {
        // Check and queue under the table lock so a waker between the two cannot be missed.
        let mut table = table();
        if read_word(addr)? != expected {
            return Err(Errno::EAGAIN);
        }
        table.entry(k).or_default().push(slot.clone());
    }
    let result = slot.queue.wait_until_deadline(
        || slot.woken.load(Ordering::Acquire).then_some(()),
        deadline_ns,
    );
    // Leave the table unless a waker already took us out: a wake that raced with a timeout or signal still counts.
    {
        let mut table = table();
        if !slot.woken.load(Ordering::Acquire) {
            let k = *slot.key.lock();
            if let Some(ws) = table.get_mut(&k) {
                ws.retain(|w| !Arc::ptr_eq(w, &slot));
                if ws.is_empty() {
                    table.remove(&k);
                }
            }
            return match result {
                Ok(Some(())) => Ok(0),
                Ok(None) => Err(Errno::ETIMEDOUT),
                Err(_) => Err(Errno::EINTR),
            };
        }
    }
    Ok(0)
}

/// Take up to `limit` waiters of `k` whose bitset matches out of the table.
fn take_waiters(
    table: &mut BTreeMap<Key, Vec<Arc<Slot>>>,
    k: Key,
    limit: usize,
    bitset: u32,
) -> Vec<Arc<Slot>> {
    let mut taken = Vec::new();
    if let Some(ws) = table.get_mut(&k) {
        let mut i = 0;
        while i < ws.len() && taken.len() < limit {
            if ws[i].bitset & bitset != 0 {
                taken.push(ws.remove(i));
            } else {
                i += 1;
            }
        }
        if ws.is_empty() {
            table.remove(&k);
        }
    }
    taken
}

/// Mark waiters taken out of the table (under its lock) as woken.
fn mark_woken(slots: &[Arc<Slot>]) {
    for s in slots {
        s.woken.store(true, Ordering::Release);
    }
}

/// Wake the sleepers of slots marked woken (after the table lock is dropped); returns how many.
fn wake_all(slots: Vec<Arc<Slot>>) -> usize {
    let n = slots.len();
    for s in slots {
        s.queue.wake_all();
    }
    n
}

/// FUTEX_WAKE(_BITSET): wake up to `count` waiters on `addr`; returns how many.
pub fn wake(addr: u64, shared: bool, count: u32, bitset: u32) -> Result<usize, Errno> {
    if bitset == 0 {
        return Err(Errno::EINVAL);
    }
    let k = key(addr, shared)?;
    let woken = {
        let mut table = table();
        let woken = take_waiters(&mut table, k, wake_limit(count), bitset);
        mark_woken(&woken);
        woken
    };
    Ok(wake_all(woken))
}

/// FUTEX_REQUEUE / FUTEX_CMP_REQUEUE: wake `wake_count` waiters on `addr`, move up to `requeue_count` others to
/// `addr2`. With `expected`, fail with EAGAIN unless `*addr == expected`.
pub fn requeue(
    addr: u64,
    shared: bool,
    wake_count: u32,
    requeue_count: u32,
    addr2: u64,
    expected: Option<u32>,
) -> Result<usize, Errno> {
    let k1 = key(addr, shared)?;
    let k2 = key(addr2, shared)?;
    let mut table = table();
    if let Some(e) = expected {
        if read_word(addr)? != e {
            return Err(Errno::EAGAIN);
        }
    }
    let woken = take_waiters(&mut table, k1, wake_count as usize, FUTEX_BITSET_MATCH_ANY);
    mark_woken(&woken);
    let moved = take_waiters(
        &mut table,
        k1,
        requeue_count as usize,
        FUTEX_BITSET_MATCH_ANY,
    );
    let requeued = moved.len();
    for w in &moved {
        *w.key.lock() = k2;
    }
    if !moved.is_empty() {
        table.entry(k2).or_default().extend(moved);
    }
    drop(table);
    Ok(wake_all(woken) + requeued)
}

/// FUTEX_WAKE_OP: change `*addr2` by the encoded operation, wake up to `count` waiters on `addr` and, if the old
/// value of `*addr2` passes the encoded comparison, up to `count2` on `addr2`.
pub fn wake_op(
    addr: u64,
    shared: bool,
    count: u32,
    count2: u32,
    addr2: u64,
    encoded: u32,
) -> Result<usize, Errno> {
    let k1 = key(addr, shared)?;
    let k2 = key(addr2, shared)?;
    let op = WakeOp::decode(encoded);
    if op.apply(0).is_none() {
        // Linux checks only that the word is in user space before refusing the operation.
        let in_user = addr2
            .checked_add(4)
            .is_some_and(|end| end <= crate::arch::paging::USER_END);
        return Err(if in_user {
            Errno::ENOSYS
        } else {
            Errno::EFAULT
        });
    }
    let mut table = table();
    // Another thread may change the word between the read and the exchange: try again (boundedly, so a program
    // hammering the word cannot hold this CPU in the kernel forever).
    let mut old = None;
    for _ in 0..1000 {
        let seen = read_word(addr2)?;
        let new = op.apply(seen).ok_or(Errno::ENOSYS)?;
        if usercopy::cmpxchg_user_u32(addr2, seen, new)? == seen {
            old = Some(seen);
            break;
        }
    }
    let old = old.ok_or(Errno::EAGAIN)?;
    let second = op.compare(old).ok_or(Errno::ENOSYS)?;
    let mut woken = take_waiters(&mut table, k1, wake_limit(count), FUTEX_BITSET_MATCH_ANY);
    if second {
        woken.extend(take_waiters(
            &mut table,
            k2,
            wake_limit(count2),
            FUTEX_BITSET_MATCH_ANY,
        ));
    }
    mark_woken(&woken);
    drop(table);
    Ok(wake_all(woken))
}

/// A thread ends (or execs): mark the robust futexes it still holds as FUTEX_OWNER_DIED and wake their waiters.
pub fn exit_robust_list(task: &Task) {
    let head = task.robust_list.swap(0, Ordering::AcqRel);
    if head != 0 {
        basalt_futex::exit_robust_list(&mut UserRobustMemory, head, task.tid);
    }
}

/// The current address space, for the robust-list walk.
struct UserRobustMemory;

impl basalt_futex::RobustMemory for UserRobustMemory {
    fn read_u64(&mut self, addr: u64) -> Option<u64> {
        let mut b = [0u8; 8];
        usercopy::copy_from_user(&mut b, addr).ok()?;
        Some(u64::from_le_bytes(b))
    }
    fn read_u32(&mut self, addr: u64) -> Option<u32> {
        read_word(addr).ok()
    }
    fn cmpxchg_u32(&mut self, addr: u64, old: u32, new: u32) -> Option<u32> {
        usercopy::cmpxchg_user_u32(addr, old, new).ok()
    }
    fn wake_one(&mut self, addr: u64) {
        let _ = wake(addr, true, 1, FUTEX_BITSET_MATCH_ANY);
    }
}

/// The futex(2) entry point.
pub fn sys_futex(
    addr: u64,
    op: u32,
    val: u32,
    timeout: u64,
    addr2: u64,
    val3: u32,
) -> Result<usize, Errno> {
    const FUTEX_WAIT: u32 = 0;
    const FUTEX_WAKE: u32 = 1;
    const FUTEX_REQUEUE: u32 = 3;
    const FUTEX_CMP_REQUEUE: u32 = 4;
    const FUTEX_WAKE_OP: u32 = 5;
    const FUTEX_WAIT_BITSET: u32 = 9;
    const FUTEX_WAKE_BITSET: u32 = 10;
    const FUTEX_PRIVATE_FLAG: u32 = 128;
    const FUTEX_CLOCK_REALTIME: u32 = 256;
    let cmd = op & !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    let shared = op & FUTEX_PRIVATE_FLAG == 0;
    // CLOCK_REALTIME only makes sense for the absolute-timeout waits (as on Linux).
    if op & FUTEX_CLOCK_REALTIME != 0 && cmd != FUTEX_WAIT_BITSET {
        return Err(Errno::ENOSYS);
    }
    match cmd {
        FUTEX_WAIT | FUTEX_WAIT_BITSET => {
            let deadline = if timeout == 0 {
                None
            } else {
                let ns = crate::time::timespec_from_user(timeout)?;
                Some(if cmd == FUTEX_WAIT {
                    // Relative timeout.
                    crate::time::monotonic_ns().saturating_add(ns)
                } else if op & FUTEX_CLOCK_REALTIME != 0 {
                    // Absolute wall-clock time.
                    let now_real = crate::time::realtime_ns();
                    crate::time::monotonic_ns().saturating_add(ns.saturating_sub(now_real))
                } else {
                    // Absolute CLOCK_MONOTONIC.
                    ns
                })
            };
            let bitset = if cmd == FUTEX_WAIT {
                FUTEX_BITSET_MATCH_ANY
            } else {
                val3
            };
            wait(addr, shared, val, deadline, bitset)
        }
        FUTEX_WAKE => wake(addr, shared, val, FUTEX_BITSET_MATCH_ANY),
        FUTEX_WAKE_BITSET => wake(addr, shared, val, val3),
        FUTEX_REQUEUE | FUTEX_CMP_REQUEUE if (val as i32) < 0 || (timeout as i32) < 0 => {
            Err(Errno::EINVAL)
        }
        FUTEX_REQUEUE => requeue(addr, shared, val, timeout as u32, addr2, None),
        FUTEX_CMP_REQUEUE => requeue(addr, shared, val, timeout as u32, addr2, Some(val3)),
        // The fourth argument is the second wake count here, not a timeout.
        FUTEX_WAKE_OP => wake_op(addr, shared, val, timeout as u32, addr2, val3),
        _ => Err(Errno::ENOSYS),
    }
}
