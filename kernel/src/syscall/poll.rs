//! poll and ppoll. Readiness is checked every few milliseconds while waiting (the files do not yet notify
//! pollers), which is correct if not the most efficient.
#![forbid(unsafe_code)]

use crate::arch::usercopy;
use crate::fs::{POLLERR, POLLHUP, POLLNVAL};
use crate::task::{process, sched};
use alloc::vec::Vec;
use basalt_linux_abi::Errno;

/// Most descriptors in one call (RLIMIT_NOFILE's usual limit).
const MAX_FDS: u64 = 1024;
const RECHECK_NS: u64 = 2_000_000;

fn scan(fds: &mut [[u8; 8]]) -> Result<usize, Errno> {
    let table = process::current().ok_or(Errno::ESRCH)?.files();
    let table = table.lock();
    let mut ready = 0;
    for entry in fds.iter_mut() {
        let fd = i32::from_le_bytes([entry[0], entry[1], entry[2], entry[3]]);
        let events = u16::from_le_bytes([entry[4], entry[5]]);
        let revents = if fd < 0 {
            0
        } else {
            match table.get(fd) {
                Ok(file) => file.ops.poll_events() & (events | POLLERR | POLLHUP),
                Err(_) => POLLNVAL,
            }
        };
        entry[6..8].copy_from_slice(&revents.to_le_bytes());
        if revents != 0 {
            ready += 1;
        }
    }
    Ok(ready)
}

/// poll/ppoll with an optional deadline on the monotonic clock (None: wait forever).
pub fn poll(fds_ptr: u64, nfds: u64, deadline_ns: Option<u64>) -> Result<usize, Errno> {
    if nfds > MAX_FDS {
        return Err(Errno::EINVAL);
    }
    let mut raw = alloc::vec![0u8; nfds as usize * 8];
    usercopy::copy_from_user(&mut raw, fds_ptr)?;
    let mut fds: Vec<[u8; 8]> = raw
        .chunks_exact(8)
        .map(|c| [c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])
        .collect();
    loop {
        let ready = scan(&mut fds)?;
        let now = crate::time::monotonic_ns();
        let expired = deadline_ns.is_some_and(|d| now >= d);
        if ready > 0 || expired {
            let out: Vec<u8> = fds.iter().flatten().copied().collect();
            usercopy::copy_to_user(fds_ptr, &out)?;
            return Ok(ready);
        }
        let next = deadline_ns.map_or(now + RECHECK_NS, |d| d.min(now + RECHECK_NS));
        if !sched::sleep_until(next) {
            return Err(Errno::EINTR);
        }
    }
}

/// poll(fds, nfds, timeout_ms).
pub fn sys_poll(fds: u64, nfds: u64, timeout_ms: i32) -> Result<usize, Errno> {
    let deadline =
        (timeout_ms >= 0).then(|| crate::time::monotonic_ns() + timeout_ms as u64 * 1_000_000);
    poll(fds, nfds, deadline)
}

/// ppoll(fds, nfds, timeout, sigmask, sigsetsize): the signal mask is applied for the wait.
pub fn sys_ppoll(
    fds: u64,
    nfds: u64,
    timeout: u64,
    sigmask: u64,
    sigsetsize: u64,
) -> Result<usize, Errno> {
    let deadline = if timeout != 0 {
        let requested_ns = crate::time::timespec_from_user(timeout)?;
        Some(crate::time::monotonic_ns().saturating_add(requested_ns))
    } else {
        None
    };
    if sigmask == 0 {
        return poll(fds, nfds, deadline);
    }
    if sigsetsize != 8 {
        return Err(Errno::EINVAL);
    }
    let task = sched::current().ok_or(Errno::ESRCH)?;
    let mut b = [0u8; 8];
    usercopy::copy_from_user(&mut b, sigmask)?;
    let old = {
        let mut ts = task.sig.lock();
        let old = ts.blocked;
        ts.blocked = basalt_signal::SigSet::from_user_bytes(b).blockable();
        old
    };
    let r = poll(fds, nfds, deadline);
    task.sig.lock().blocked = old;
    task.attention();
    r
}
