//! Futexes: sleeping on a user-space word. Waiters are keyed by address space and address (private futexes and
//! shared ones are treated alike: a shared futex between processes needs shared memory, which comes with mmap).
#![forbid(unsafe_code)]

use super::wait::WaitQueue;
use super::{sched, Task};
use crate::arch::usercopy;
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use basalt_linux_abi::Errno;
use spin::Mutex;
use x86_64::instructions::interrupts::without_interrupts;

/// (page-table root of the address space, user address).
type Key = (u64, u64);

struct Waiter {
    task: Arc<Task>,
    bitset: u32,
    woken: bool,
}

static WAITERS: Mutex<BTreeMap<Key, Vec<Waiter>>> = Mutex::new(BTreeMap::new());
/// One queue for all futex sleepers: each rechecks its own "woken" flag.
static SLEEP: WaitQueue = WaitQueue::new();

const FUTEX_BITSET_MATCH_ANY: u32 = u32::MAX;

fn key(addr: u64) -> Result<Key, Errno> {
    if !addr.is_multiple_of(4) {
        return Err(Errno::EINVAL);
    }
    let me = sched::current().ok_or(Errno::ESRCH)?;
    Ok((me.process.address_space().pml4(), addr))
}

fn read_word(addr: u64) -> Result<u32, Errno> {
    let mut b = [0u8; 4];
    usercopy::copy_from_user(&mut b, addr)?;
    Ok(u32::from_le_bytes(b))
}

/// FUTEX_WAIT(_BITSET): sleep while `*addr == expected`, until woken, the deadline passes (ETIMEDOUT) or a signal
/// arrives (EINTR).
pub fn wait(
    addr: u64,
    expected: u32,
    deadline_ns: Option<u64>,
    bitset: u32,
) -> Result<usize, Errno> {
    if bitset == 0 {
        return Err(Errno::EINVAL);
    }
    let k = key(addr)?;
    let me = sched::current().ok_or(Errno::ESRCH)?;
    {
        // Check and queue under the table lock so a waker between the two cannot be missed.
        let mut table = without_interrupts(|| WAITERS.lock());
        if read_word(addr)? != expected {
            return Err(Errno::EAGAIN);
        }
        table.entry(k).or_default().push(Waiter {
            task: me.clone(),
            bitset,
            woken: false,
        });
    }
    let is_woken = || {
        without_interrupts(|| {
            WAITERS
                .lock()
                .get(&k)
                .is_none_or(|ws| !ws.iter().any(|w| Arc::ptr_eq(&w.task, &me) && !w.woken))
        })
    };
    let result = match deadline_ns {
        None => SLEEP
            .wait_until(|| is_woken().then_some(()))
            .map_err(|_| Errno::EINTR),
        Some(deadline) => loop {
            if is_woken() {
                break Ok(());
            }
            if crate::time::monotonic_ns() >= deadline {
                break Err(Errno::ETIMEDOUT);
            }
            if !sched::sleep_until(deadline.min(crate::time::monotonic_ns() + 10_000_000)) {
                break Err(Errno::EINTR);
            }
        },
    };
    // Leave the table whatever happened; a wake that raced with a timeout still counts as woken.
    let woken = without_interrupts(|| {
        let mut table = WAITERS.lock();
        let mut woken = true;
        if let Some(ws) = table.get_mut(&k) {
            if let Some(i) = ws.iter().position(|w| Arc::ptr_eq(&w.task, &me)) {
                woken = ws[i].woken;
                ws.remove(i);
            }
            if ws.is_empty() {
                table.remove(&k);
            }
        }
        woken
    });
    match result {
        _ if woken => Ok(0),
        Err(e) => Err(e),
        Ok(()) => Ok(0),
    }
}

/// FUTEX_WAKE(_BITSET): wake up to `count` waiters on `addr`; returns how many.
pub fn wake(addr: u64, count: u32, bitset: u32) -> Result<usize, Errno> {
    if bitset == 0 {
        return Err(Errno::EINVAL);
    }
    let k = key(addr)?;
    let mut n = 0usize;
    without_interrupts(|| {
        if let Some(ws) = WAITERS.lock().get_mut(&k) {
            for w in ws.iter_mut().filter(|w| !w.woken && w.bitset & bitset != 0) {
                if n as u32 >= count {
                    break;
                }
                w.woken = true;
                n += 1;
            }
        }
    });
    if n > 0 {
        SLEEP.wake_all();
    }
    Ok(n)
}

/// FUTEX_REQUEUE / FUTEX_CMP_REQUEUE: wake `wake_count` waiters on `addr`, move up to `requeue_count` others to
/// `addr2`. With `expected`, fail with EAGAIN unless `*addr == expected`.
pub fn requeue(
    addr: u64,
    wake_count: u32,
    requeue_count: u32,
    addr2: u64,
    expected: Option<u32>,
) -> Result<usize, Errno> {
    let k1 = key(addr)?;
    let k2 = key(addr2)?;
    let mut table = without_interrupts(|| WAITERS.lock());
    if let Some(e) = expected {
        if read_word(addr)? != e {
            return Err(Errno::EAGAIN);
        }
    }
    let mut woken = 0usize;
    let mut moved = Vec::new();
    if let Some(ws) = table.get_mut(&k1) {
        for w in ws.iter_mut().filter(|w| !w.woken) {
            if (woken as u32) < wake_count {
                w.woken = true;
                woken += 1;
            }
        }
        let mut i = 0;
        while i < ws.len() && (moved.len() as u32) < requeue_count {
            if !ws[i].woken {
                moved.push(ws.remove(i));
            } else {
                i += 1;
            }
        }
    }
    let requeued = moved.len();
    if !moved.is_empty() {
        table.entry(k2).or_default().extend(moved);
    }
    drop(table);
    if woken > 0 {
        SLEEP.wake_all();
    }
    Ok(woken + requeued)
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
    const FUTEX_WAIT_BITSET: u32 = 9;
    const FUTEX_WAKE_BITSET: u32 = 10;
    const FUTEX_PRIVATE_FLAG: u32 = 128;
    const FUTEX_CLOCK_REALTIME: u32 = 256;
    let cmd = op & !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    // CLOCK_REALTIME only makes sense for the absolute-timeout waits (as on Linux).
    if op & FUTEX_CLOCK_REALTIME != 0 && cmd != FUTEX_WAIT_BITSET {
        return Err(Errno::ENOSYS);
    }
    match cmd {
        FUTEX_WAIT | FUTEX_WAIT_BITSET => {
            let deadline = if timeout == 0 {
                None
            } else {
                let requested_ns = crate::time::timespec_from_user(timeout)?;
                let ns = requested_ns;
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
            wait(addr, val, deadline, bitset)
        }
        FUTEX_WAKE => wake(addr, val, FUTEX_BITSET_MATCH_ANY),
        FUTEX_WAKE_BITSET => wake(addr, val, val3),
        FUTEX_REQUEUE | FUTEX_CMP_REQUEUE if (val as i32) < 0 || (timeout as i32) < 0 => {
            Err(Errno::EINVAL)
        }
        FUTEX_REQUEUE => requeue(addr, val, timeout as u32, addr2, None),
        FUTEX_CMP_REQUEUE => requeue(addr, val, timeout as u32, addr2, Some(val3)),
        _ => Err(Errno::ENOSYS),
    }
}
