//! poll, ppoll, select and pselect6, on the readiness API of `fs::ready`: each file reports its readiness and
//! wakes a queue when it may have changed, so waiting costs nothing until something happens.
#![forbid(unsafe_code)]

use crate::arch::usercopy;
use crate::fs::ready::{self, earliest};
use crate::fs::{OpenFile, POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLPRI};
use crate::fs::{POLLRDBAND, POLLRDNORM, POLLWRBAND, POLLWRNORM};
use crate::task::wait::WaitQueue;
use crate::task::{process, sched};
use alloc::sync::Arc;
use alloc::vec::Vec;
use basalt_event_files::fdset;
use basalt_linux_abi::Errno;

/// Look up each descriptor once for the whole call (None: not open, or negative).
fn files_of(fds: impl Iterator<Item = i32>) -> Result<Vec<Option<Arc<OpenFile>>>, Errno> {
    let table = process::current().ok_or(Errno::ESRCH)?.files();
    let table = table.lock();
    Ok(fds
        .map(|fd| if fd < 0 { None } else { table.get(fd).ok() })
        .collect())
}

fn queues_of(files: &[Option<Arc<OpenFile>>]) -> Vec<&WaitQueue> {
    let mut qs: Vec<&WaitQueue> = Vec::new();
    for f in files.iter().flatten() {
        if let Some(q) = f.ops.poll_queue() {
            if !qs.iter().any(|x| core::ptr::eq(*x, q)) {
                qs.push(q);
            }
        }
    }
    qs
}

fn deadline_of(files: &[Option<Arc<OpenFile>>]) -> Option<u64> {
    files
        .iter()
        .flatten()
        .fold(None, |d, f| earliest(d, f.ops.poll_deadline()))
}

/// The time left until `deadline` for the timeout write-back Linux does (0 once passed).
fn remaining(deadline: u64) -> u64 {
    deadline.saturating_sub(crate::time::monotonic_ns())
}

fn write_timespec(addr: u64, ns: u64) {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&(ns / 1_000_000_000).to_le_bytes());
    b[8..].copy_from_slice(&(ns % 1_000_000_000).to_le_bytes());
    // Linux ignores a fault here: the call itself succeeded.
    let _ = usercopy::copy_to_user(addr, &b);
}

fn write_timeval(addr: u64, ns: u64) {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&(ns / 1_000_000_000).to_le_bytes());
    b[8..].copy_from_slice(&((ns % 1_000_000_000) / 1000).to_le_bytes());
    let _ = usercopy::copy_to_user(addr, &b);
}

/// Run `f` with the signal mask at user address `sigmask` (8 bytes), if any. When `f` is interrupted the old mask
/// comes back only after the signal is delivered (as rt_sigsuspend), so a signal the temporary mask lets through
/// runs its handler.
fn with_sigmask(sigmask: u64, f: impl FnOnce() -> Result<usize, Errno>) -> Result<usize, Errno> {
    if sigmask == 0 {
        return f();
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
    let r = f();
    {
        let mut ts = task.sig.lock();
        if r == Err(Errno::EINTR) {
            ts.saved_mask = Some(old);
        } else {
            ts.blocked = old;
        }
    }
    task.attention();
    r
}

/// `with_sigmask` after Linux's check of the mask size (8 bytes) when a mask is given.
pub fn with_sigmask_checked(
    sigmask: u64,
    sigsetsize: u64,
    f: impl FnOnce() -> Result<usize, Errno>,
) -> Result<usize, Errno> {
    if sigmask != 0 && sigsetsize != 8 {
        return Err(Errno::EINVAL);
    }
    with_sigmask(sigmask, f)
}

/// poll/ppoll with an optional deadline on the monotonic clock (None: wait forever).
pub fn poll(fds_ptr: u64, nfds: u64, deadline_ns: Option<u64>) -> Result<usize, Errno> {
    if nfds > crate::fs::fdtable::nofile_limit() as u64 {
        return Err(Errno::EINVAL);
    }
    let mut raw = Vec::new();
    raw.try_reserve_exact(nfds as usize * 8)
        .map_err(|_| Errno::ENOMEM)?;
    raw.resize(nfds as usize * 8, 0u8);
    usercopy::copy_from_user(&mut raw, fds_ptr)?;
    let fds: Vec<i32> = raw
        .chunks_exact(8)
        .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let files = files_of(fds.iter().copied())?;
    let queues = queues_of(&files);
    let mut revents = alloc::vec![0u16; fds.len()];
    let scan = |revents: &mut [u16]| {
        let mut ready = 0;
        for (i, entry) in raw.chunks_exact(8).enumerate() {
            let events = u16::from_le_bytes([entry[4], entry[5]]);
            revents[i] = if fds[i] < 0 {
                0
            } else {
                match &files[i] {
                    Some(f) => ready::events_of(&*f.ops) & (events | POLLERR | POLLHUP),
                    None => POLLNVAL,
                }
            };
            if revents[i] != 0 {
                ready += 1;
            }
        }
        ready
    };
    let ready = ready::wait_for(&queues, deadline_ns, || match scan(&mut revents) {
        0 => Err(deadline_of(&files)),
        n => Ok(n),
    })
    .map_err(|_| Errno::EINTR)?
    .unwrap_or(0);
    if ready == 0 {
        revents.iter_mut().for_each(|r| *r = 0);
    }
    for (entry, r) in raw.chunks_exact_mut(8).zip(&revents) {
        entry[6..8].copy_from_slice(&r.to_le_bytes());
    }
    usercopy::copy_to_user(fds_ptr, &raw)?;
    Ok(ready)
}

/// poll(fds, nfds, timeout_ms).
pub fn sys_poll(fds: u64, nfds: u64, timeout_ms: i32) -> Result<usize, Errno> {
    let deadline =
        (timeout_ms >= 0).then(|| crate::time::monotonic_ns() + timeout_ms as u64 * 1_000_000);
    poll(fds, nfds, deadline)
}

/// ppoll(fds, nfds, timeout, sigmask, sigsetsize): the signal mask is applied for the wait; the time left is
/// written back to `timeout` (unless it was zero), as Linux does.
pub fn sys_ppoll(
    fds: u64,
    nfds: u64,
    timeout: u64,
    sigmask: u64,
    sigsetsize: u64,
) -> Result<usize, Errno> {
    let requested = if timeout != 0 {
        Some(crate::time::timespec_from_user(timeout)?)
    } else {
        None
    };
    if sigmask != 0 && sigsetsize != 8 {
        return Err(Errno::EINVAL);
    }
    let deadline = requested.map(|ns| crate::time::monotonic_ns().saturating_add(ns));
    let r = with_sigmask(sigmask, || poll(fds, nfds, deadline));
    if let (Some(d), Some(ns)) = (deadline, requested) {
        if ns != 0 && matches!(r, Ok(_) | Err(Errno::EINTR)) {
            write_timespec(timeout, remaining(d));
        }
    }
    r
}

/// Readiness that counts for each of select's three sets (Linux's POLLIN_SET, POLLOUT_SET, POLLEX_SET).
const SELECT_SETS: [u16; 3] = [
    POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR,
    POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR,
    POLLPRI,
];

/// Linux caps select's `n` at the size of the descriptor table's array (at least 64, growing in powers of two).
fn select_limit() -> Result<usize, Errno> {
    let len = process::current()
        .ok_or(Errno::ESRCH)?
        .files()
        .lock()
        .slot_count();
    Ok(if len <= 64 {
        64
    } else {
        len.next_power_of_two().max(128)
    })
}

fn do_select(n: i32, sets_ptr: [u64; 3], deadline_ns: Option<u64>) -> Result<usize, Errno> {
    let n = usize::try_from(n).map_err(|_| Errno::EINVAL)?;
    let n = n.min(select_limit()?);
    let bytes = fdset::bytes_for(n);
    let mut sets: [Vec<u8>; 3] = [
        alloc::vec![0u8; bytes],
        alloc::vec![0u8; bytes],
        alloc::vec![0u8; bytes],
    ];
    for (set, &ptr) in sets.iter_mut().zip(&sets_ptr) {
        if ptr != 0 {
            usercopy::copy_from_user(set, ptr)?;
        }
    }
    let members: Vec<(usize, [bool; 3])> =
        fdset::members([&sets[0], &sets[1], &sets[2]], n).collect();
    let files = files_of(members.iter().map(|(fd, _)| *fd as i32))?;
    if files.iter().any(|f| f.is_none()) {
        return Err(Errno::EBADF);
    }
    let queues = queues_of(&files);
    let mut out: [Vec<u8>; 3] = [
        alloc::vec![0u8; bytes],
        alloc::vec![0u8; bytes],
        alloc::vec![0u8; bytes],
    ];
    let ready = ready::wait_for(&queues, deadline_ns, || {
        let mut count = 0;
        for o in out.iter_mut() {
            o.iter_mut().for_each(|b| *b = 0);
        }
        for ((fd, wanted), file) in members.iter().zip(&files) {
            let Some(file) = file else { continue };
            let ev = ready::events_of(&*file.ops);
            for k in 0..3 {
                if wanted[k] && ev & SELECT_SETS[k] != 0 {
                    fdset::set(&mut out[k], *fd);
                    count += 1;
                }
            }
        }
        if count == 0 {
            Err(deadline_of(&files))
        } else {
            Ok(count)
        }
    })
    .map_err(|_| Errno::EINTR)?
    .unwrap_or(0);
    if ready == 0 {
        for o in out.iter_mut() {
            o.iter_mut().for_each(|b| *b = 0);
        }
    }
    for (set, &ptr) in out.iter().zip(&sets_ptr) {
        if ptr != 0 {
            usercopy::copy_to_user(ptr, set)?;
        }
    }
    Ok(ready)
}

/// select(n, readfds, writefds, exceptfds, timeval): the time left is written back (x86_64 Linux does).
pub fn sys_select(n: i32, r: u64, w: u64, e: u64, timeout: u64) -> Result<usize, Errno> {
    let requested = if timeout != 0 {
        let mut b = [0u8; 16];
        usercopy::copy_from_user(&mut b, timeout)?;
        let sec = i64::from_le_bytes(b[..8].try_into().map_err(|_| Errno::EFAULT)?);
        let usec = i64::from_le_bytes(b[8..].try_into().map_err(|_| Errno::EFAULT)?);
        // Linux folds whole seconds of tv_usec into tv_sec before checking.
        let sec = sec.checked_add(usec / 1_000_000).ok_or(Errno::EINVAL)?;
        let nsec = (usec % 1_000_000) * 1000;
        if sec < 0 || nsec < 0 {
            return Err(Errno::EINVAL);
        }
        Some(
            (sec as u64)
                .saturating_mul(1_000_000_000)
                .saturating_add(nsec as u64),
        )
    } else {
        None
    };
    let deadline = requested.map(|ns| crate::time::monotonic_ns().saturating_add(ns));
    let res = do_select(n, [r, w, e], deadline);
    if let (Some(d), Some(ns)) = (deadline, requested) {
        if ns != 0 && matches!(res, Ok(_) | Err(Errno::EINTR)) {
            write_timeval(timeout, remaining(d));
        }
    }
    res
}

/// pselect6(n, readfds, writefds, exceptfds, timespec, {sigmask, size}).
pub fn sys_pselect6(
    n: i32,
    r: u64,
    w: u64,
    e: u64,
    timeout: u64,
    sig: u64,
) -> Result<usize, Errno> {
    let requested = if timeout != 0 {
        Some(crate::time::timespec_from_user(timeout)?)
    } else {
        None
    };
    let sigmask = if sig != 0 {
        let mut b = [0u8; 16];
        usercopy::copy_from_user(&mut b, sig)?;
        let ptr = u64::from_le_bytes(b[..8].try_into().map_err(|_| Errno::EFAULT)?);
        let size = u64::from_le_bytes(b[8..].try_into().map_err(|_| Errno::EFAULT)?);
        if ptr != 0 && size != 8 {
            return Err(Errno::EINVAL);
        }
        ptr
    } else {
        0
    };
    let deadline = requested.map(|ns| crate::time::monotonic_ns().saturating_add(ns));
    let res = with_sigmask(sigmask, || do_select(n, [r, w, e], deadline));
    if let (Some(d), Some(ns)) = (deadline, requested) {
        if ns != 0 && matches!(res, Ok(_) | Err(Errno::EINTR)) {
            write_timespec(timeout, remaining(d));
        }
    }
    res
}
