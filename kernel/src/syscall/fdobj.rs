//! System calls that make and drive descriptor objects: eventfd, epoll, timerfd, signalfd; close_range.
#![forbid(unsafe_code)]

use crate::arch::usercopy;
use crate::fs::epoll::Epoll;
use crate::fs::eventfd::EventFd;
use crate::fs::fdtable::FdTable;
use crate::fs::signalfd::SignalFd;
use crate::fs::timerfd::{self, TimerFd};
use crate::fs::{FileOps, OpenFile, O_CLOEXEC, O_NONBLOCK, O_RDWR};
use crate::task::process;
use alloc::sync::Arc;
use alloc::vec::Vec;
use basalt_event_files::epoll::{self as ep, check_ctl};
use basalt_linux_abi::Errno;
use spin::Mutex;

fn table() -> Result<Arc<Mutex<FdTable>>, Errno> {
    Ok(process::current().ok_or(Errno::ESRCH)?.files())
}

fn file(fd: i32) -> Result<Arc<OpenFile>, Errno> {
    table()?.lock().get(fd)
}

/// A new descriptor for `ops` (O_NONBLOCK and O_CLOEXEC from `flags`).
fn install(ops: Arc<dyn FileOps>, access: u32, flags: u32) -> Result<usize, Errno> {
    let f = OpenFile::new(ops, access | (flags & O_NONBLOCK));
    let fd = table()?.lock().install(f, flags & O_CLOEXEC != 0)?;
    Ok(fd as usize)
}

fn downcast<T: 'static>(f: &OpenFile) -> Result<&T, Errno> {
    f.ops
        .as_any()
        .and_then(|a| a.downcast_ref::<T>())
        .ok_or(Errno::EINVAL)
}

// --- eventfd ---

const EFD_SEMAPHORE: u32 = 1;

/// eventfd2(initval, flags) (eventfd is flags 0).
pub fn eventfd2(initval: u32, flags: u32) -> Result<usize, Errno> {
    if flags & !(EFD_SEMAPHORE | O_CLOEXEC | O_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    install(
        Arc::new(EventFd::new(initval, flags & EFD_SEMAPHORE != 0)),
        O_RDWR,
        flags,
    )
}

// --- epoll ---

/// EP_MAX_EVENTS: INT_MAX / sizeof(struct epoll_event).
const EP_MAX_EVENTS: i32 = i32::MAX / 12;
/// The end of user space (Linux's TASK_SIZE_MAX), for access_ok.
const USER_END: u64 = 0x7fff_ffff_f000;

pub fn epoll_create(size: i32) -> Result<usize, Errno> {
    if size <= 0 {
        return Err(Errno::EINVAL);
    }
    epoll_create1(0)
}

pub fn epoll_create1(flags: u32) -> Result<usize, Errno> {
    if flags & !O_CLOEXEC != 0 {
        return Err(Errno::EINVAL);
    }
    install(Epoll::new(), O_RDWR, flags)
}

pub fn epoll_ctl(epfd: i32, op: u32, fd: i32, event: u64) -> Result<usize, Errno> {
    let (events, data) = if op != ep::EPOLL_CTL_DEL {
        let mut b = [0u8; 12];
        usercopy::copy_from_user(&mut b, event)?;
        (
            u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            u64::from_le_bytes([b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11]]),
        )
    } else {
        (0, 0)
    };
    let epf = file(epfd)?;
    let target = file(fd)?;
    if target.ops.poll_queue().is_none() {
        return Err(Errno::EPERM);
    }
    if Arc::ptr_eq(&epf, &target) {
        return Err(Errno::EINVAL);
    }
    let epoll = downcast::<Epoll>(&epf)?;
    let target_is_epoll = downcast::<Epoll>(&target).is_ok();
    if op != ep::EPOLL_CTL_DEL {
        check_ctl(op, events, target_is_epoll).map_err(|_| Errno::EINVAL)?;
    }
    match op {
        ep::EPOLL_CTL_ADD => epoll.add(&target, fd, events, data)?,
        ep::EPOLL_CTL_MOD => epoll.modify(&target, fd, events, data)?,
        ep::EPOLL_CTL_DEL => epoll.delete(&target, fd)?,
        _ => return Err(Errno::EINVAL),
    }
    Ok(0)
}

fn epoll_wait_common(
    epfd: i32,
    events: u64,
    maxevents: i32,
    deadline: Option<u64>,
) -> Result<usize, Errno> {
    if maxevents <= 0 || maxevents > EP_MAX_EVENTS {
        return Err(Errno::EINVAL);
    }
    let len = maxevents as u64 * 12;
    if events.checked_add(len).is_none_or(|end| end > USER_END) {
        return Err(Errno::EFAULT);
    }
    let f = file(epfd)?;
    let epoll = downcast::<Epoll>(&f)?;
    let got = epoll.wait(maxevents as usize, deadline)?;
    let mut out = Vec::with_capacity(got.len() * 12);
    for (ev, data) in &got {
        out.extend_from_slice(&ev.to_le_bytes());
        out.extend_from_slice(&data.to_le_bytes());
    }
    usercopy::copy_to_user(events, &out)?;
    Ok(got.len())
}

fn ms_deadline(timeout_ms: i32) -> Option<u64> {
    (timeout_ms >= 0).then(|| crate::time::monotonic_ns() + timeout_ms as u64 * 1_000_000)
}

pub fn epoll_wait(epfd: i32, events: u64, maxevents: i32, timeout_ms: i32) -> Result<usize, Errno> {
    epoll_wait_common(epfd, events, maxevents, ms_deadline(timeout_ms))
}

pub fn epoll_pwait(
    epfd: i32,
    events: u64,
    maxevents: i32,
    timeout_ms: i32,
    sigmask: u64,
    sigsetsize: u64,
) -> Result<usize, Errno> {
    let deadline = ms_deadline(timeout_ms);
    super::poll::with_sigmask_checked(sigmask, sigsetsize, || {
        epoll_wait_common(epfd, events, maxevents, deadline)
    })
}

pub fn epoll_pwait2(
    epfd: i32,
    events: u64,
    maxevents: i32,
    timeout: u64,
    sigmask: u64,
    sigsetsize: u64,
) -> Result<usize, Errno> {
    let deadline = if timeout != 0 {
        let ns = crate::time::timespec_from_user(timeout)?;
        Some(crate::time::monotonic_ns().saturating_add(ns))
    } else {
        None
    };
    super::poll::with_sigmask_checked(sigmask, sigsetsize, || {
        epoll_wait_common(epfd, events, maxevents, deadline)
    })
}

// --- timerfd ---

const TFD_TIMER_ABSTIME: u32 = 1;
const TFD_TIMER_CANCEL_ON_SET: u32 = 2;
const CLOCK_REALTIME_ALARM: u32 = 8;
const CLOCK_BOOTTIME_ALARM: u32 = 9;

pub fn timerfd_create(clock: u32, flags: u32) -> Result<usize, Errno> {
    if flags & !(O_CLOEXEC | O_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    let clock = match clock {
        timerfd::CLOCK_REALTIME | timerfd::CLOCK_MONOTONIC | timerfd::CLOCK_BOOTTIME => clock,
        CLOCK_REALTIME_ALARM | CLOCK_BOOTTIME_ALARM => {
            // CAP_WAKE_ALARM: a privileged caller.
            let p = process::current().ok_or(Errno::ESRCH)?;
            if p.creds.get().euid != 0 {
                return Err(Errno::EPERM);
            }
            if clock == CLOCK_REALTIME_ALARM {
                timerfd::CLOCK_REALTIME
            } else {
                timerfd::CLOCK_BOOTTIME
            }
        }
        _ => return Err(Errno::EINVAL),
    };
    install(Arc::new(TimerFd::new(clock)), O_RDWR, flags)
}

fn read_itimerspec(addr: u64) -> Result<[i64; 4], Errno> {
    let mut b = [0u8; 32];
    usercopy::copy_from_user(&mut b, addr)?;
    let mut v = [0i64; 4];
    for (i, w) in v.iter_mut().enumerate() {
        *w = i64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().map_err(|_| Errno::EFAULT)?);
    }
    Ok(v)
}

fn timespec_ns(sec: i64, nsec: i64) -> Result<u64, Errno> {
    if sec < 0 || !(0..1_000_000_000).contains(&nsec) {
        return Err(Errno::EINVAL);
    }
    Ok((sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(nsec as u64))
}

fn write_itimerspec(addr: u64, s: basalt_event_files::timerfd::Setting) -> Result<(), Errno> {
    let mut b = [0u8; 32];
    for (i, ns) in [s.interval, s.remaining].into_iter().enumerate() {
        b[i * 16..i * 16 + 8].copy_from_slice(&(ns / 1_000_000_000).to_le_bytes());
        b[i * 16 + 8..i * 16 + 16].copy_from_slice(&(ns % 1_000_000_000).to_le_bytes());
    }
    usercopy::copy_to_user(addr, &b)
}

pub fn timerfd_settime(fd: i32, flags: u32, new: u64, old: u64) -> Result<usize, Errno> {
    let [isec, insec, vsec, vnsec] = read_itimerspec(new)?;
    if flags & !(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET) != 0 {
        return Err(Errno::EINVAL);
    }
    let interval = timespec_ns(isec, insec)?;
    let value = timespec_ns(vsec, vnsec)?;
    let f = file(fd)?;
    let t = downcast::<TimerFd>(&f)?;
    let previous = t.set(value, interval, flags & TFD_TIMER_ABSTIME != 0);
    if old != 0 {
        write_itimerspec(old, previous)?;
    }
    Ok(0)
}

pub fn timerfd_gettime(fd: i32, cur: u64) -> Result<usize, Errno> {
    let f = file(fd)?;
    let t = downcast::<TimerFd>(&f)?;
    write_itimerspec(cur, t.get())?;
    Ok(0)
}

// --- signalfd ---

pub fn signalfd4(fd: i32, mask: u64, sizemask: u64, flags: u32) -> Result<usize, Errno> {
    if flags & !(O_CLOEXEC | O_NONBLOCK) != 0 || sizemask != 8 {
        return Err(Errno::EINVAL);
    }
    let mut b = [0u8; 8];
    usercopy::copy_from_user(&mut b, mask)?;
    let set = basalt_signal::SigSet::from_user_bytes(b).blockable();
    if fd == -1 {
        return install(Arc::new(SignalFd::new(set)), O_RDWR, flags);
    }
    let f = file(fd)?;
    downcast::<SignalFd>(&f)?.set_mask(set);
    Ok(fd as usize)
}

// --- close_range ---

const CLOSE_RANGE_UNSHARE: u32 = 2;
const CLOSE_RANGE_CLOEXEC: u32 = 4;

pub fn close_range(first: u32, last: u32, flags: u32) -> Result<usize, Errno> {
    if flags & !(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) != 0 || first > last {
        return Err(Errno::EINVAL);
    }
    let p = process::current().ok_or(Errno::ESRCH)?;
    let mut t = p.files();
    if flags & CLOSE_RANGE_UNSHARE != 0 && Arc::strong_count(&t) > 2 {
        let copy = Arc::new(Mutex::new(t.lock().fork_copy()));
        drop(p.set_files(copy.clone()));
        t = copy;
    }
    let closed = {
        let mut table = t.lock();
        if flags & CLOSE_RANGE_CLOEXEC != 0 {
            table.set_cloexec_range(first as usize, last as usize);
            Vec::new()
        } else {
            table.close_range(first as usize, last as usize)
        }
    };
    drop(closed);
    Ok(0)
}

// --- memfd ---

const MFD_CLOEXEC: u32 = 1;
const MFD_ALLOW_SEALING: u32 = 2;
const MFD_HUGETLB: u32 = 4;
const MFD_NOEXEC_SEAL: u32 = 8;
const MFD_EXEC: u32 = 0x10;
/// Longest name (Linux's MFD_NAME_MAX_LEN).
const MFD_NAME_MAX: usize = 249;

/// memfd_create(name, flags): an unnamed file of the root filesystem, mode 0777 (0666 with MFD_NOEXEC_SEAL).
pub fn memfd_create(name: u64, flags: u32) -> Result<usize, Errno> {
    use crate::fs::memfd::{MemFd, F_SEAL_EXEC, F_SEAL_SEAL};
    if flags & !(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL | MFD_EXEC) != 0 {
        // Huge pages (MFD_HUGETLB and its size bits) need hugetlbfs, which is not here.
        let _ = MFD_HUGETLB;
        return Err(Errno::EINVAL);
    }
    if flags & MFD_EXEC != 0 && flags & MFD_NOEXEC_SEAL != 0 {
        return Err(Errno::EINVAL);
    }
    // The name only shows in /proc/self/fd links; its length is checked as Linux does.
    super::user::read_cstring(name, MFD_NAME_MAX, Errno::EINVAL)?;
    let (perm, seals) = if flags & MFD_NOEXEC_SEAL != 0 {
        (0o666, F_SEAL_EXEC)
    } else if flags & MFD_ALLOW_SEALING != 0 {
        (0o777, 0)
    } else {
        (0o777, F_SEAL_SEAL)
    };
    // The file lives, unnamed, in the tmpfs at the caller's root (Linux uses an internal shmem mount).
    let creds = crate::task::cred::current();
    let ns = crate::fs::vfs::namespace()?;
    let root = super::path::caller_root(&ns);
    let tmpfs = crate::fs::root::fs_of(basalt_memfs::InodeId::from_number(root.ino))
        .map_err(|_| Errno::EOPNOTSUPP)?;
    let ino = tmpfs.lock().create_unnamed(
        perm,
        &crate::fs::root::credentials(&creds),
        crate::fs::root::now(),
    )?;
    let node = ns.fs(root.mnt)?.open(crate::fs::vfs::Loc {
        mnt: root.mnt,
        ino: ino.number(),
    })?;
    let flags_cloexec = if flags & MFD_CLOEXEC != 0 {
        O_CLOEXEC
    } else {
        0
    };
    // O_LARGEFILE shows in F_GETFL, as on Linux.
    install(
        Arc::new(MemFd::new(node, ino, seals)),
        O_RDWR | 0o100000,
        flags_cloexec,
    )
}

const F_ADD_SEALS: u32 = 1033;
const F_GET_SEALS: u32 = 1034;

pub fn is_seal_command(cmd: u32) -> bool {
    matches!(cmd, F_ADD_SEALS | F_GET_SEALS)
}

/// fcntl F_ADD_SEALS / F_GET_SEALS: EINVAL for files that are not memfds.
pub fn seal_fcntl(f: &OpenFile, cmd: u32, arg: u64) -> Result<usize, Errno> {
    let m = downcast::<crate::fs::memfd::MemFd>(f)?;
    if cmd == F_GET_SEALS {
        return Ok(m.seals() as usize);
    }
    if !f.writable() {
        return Err(Errno::EPERM);
    }
    m.add_seals(arg as u32)?;
    Ok(0)
}
