//! System information and identity calls: uname, sysinfo, time, random numbers, user ids, limits, CPU affinity,
//! resource usage.
#![forbid(unsafe_code)]

use crate::arch::{percpu, usercopy};
use crate::task::sched;
use basalt_linux_abi::Errno;
use spin::Mutex;

fn put(addr: u64, bytes: &[u8]) -> Result<usize, Errno> {
    usercopy::copy_to_user(addr, bytes)?;
    Ok(0)
}

fn field(buf: &mut [u8; 390], index: usize, text: &str) {
    let start = index * 65;
    let n = text.len().min(64);
    buf[start..start + n].copy_from_slice(&text.as_bytes()[..n]);
}

/// uname(2): the system identifies as Linux (programs check the sysname) with Basalt's own version string.
pub fn uname(addr: u64) -> Result<usize, Errno> {
    let mut buf = [0u8; 390];
    field(&mut buf, 0, "Linux");
    buf[65..130].copy_from_slice(&super::settings::nodename());
    field(&mut buf, 2, "6.1.0-basalt");
    field(
        &mut buf,
        3,
        concat!("#1 SMP Basalt ", env!("CARGO_PKG_VERSION")),
    );
    field(&mut buf, 4, "x86_64");
    buf[325..390].copy_from_slice(&super::settings::domainname());
    put(addr, &buf)
}

const CLOCK_REALTIME: u32 = 0;
const CLOCK_MONOTONIC: u32 = 1;
const CLOCK_PROCESS_CPUTIME_ID: u32 = 2;
const CLOCK_THREAD_CPUTIME_ID: u32 = 3;
const CLOCK_MONOTONIC_RAW: u32 = 4;
const CLOCK_REALTIME_COARSE: u32 = 5;
const CLOCK_MONOTONIC_COARSE: u32 = 6;
const CLOCK_BOOTTIME: u32 = 7;

fn clock_ns(clock: u32) -> Result<u64, Errno> {
    match clock {
        CLOCK_REALTIME | CLOCK_REALTIME_COARSE => Ok(crate::time::realtime_ns()),
        CLOCK_MONOTONIC | CLOCK_MONOTONIC_RAW | CLOCK_MONOTONIC_COARSE | CLOCK_BOOTTIME => {
            Ok(crate::time::monotonic_ns())
        }
        CLOCK_PROCESS_CPUTIME_ID => Ok(crate::task::process::current()
            .ok_or(Errno::EINVAL)?
            .cpu_account()
            .runtime_ns),
        CLOCK_THREAD_CPUTIME_ID => {
            sched::with_current(|t| t.cpu_time.read(crate::time::monotonic_ns()).runtime_ns)
                .ok_or(Errno::EINVAL)
        }
        _ => Err(Errno::EINVAL),
    }
}

fn timespec(ns: u64) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&((ns / 1_000_000_000) as i64).to_le_bytes());
    b[8..].copy_from_slice(&((ns % 1_000_000_000) as i64).to_le_bytes());
    b
}

pub fn clock_gettime(clock: u32, addr: u64) -> Result<usize, Errno> {
    let ns = clock_ns(clock)?;
    put(addr, &timespec(ns))
}

pub fn clock_getres(clock: u32, addr: u64) -> Result<usize, Errno> {
    clock_ns(clock)?;
    if addr == 0 {
        return Ok(0);
    }
    put(addr, &timespec(1))
}

pub fn gettimeofday(tv: u64, tz: u64) -> Result<usize, Errno> {
    if tv != 0 {
        let ns = crate::time::realtime_ns();
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&((ns / 1_000_000_000) as i64).to_le_bytes());
        b[8..].copy_from_slice(&(((ns / 1000) % 1_000_000) as i64).to_le_bytes());
        put(tv, &b)?;
    }
    if tz != 0 {
        put(tz, &super::settings::timezone().to_user_bytes())?;
    }
    Ok(0)
}

pub fn time(addr: u64) -> Result<usize, Errno> {
    let secs = crate::time::realtime_ns() / 1_000_000_000;
    if addr != 0 {
        put(addr, &(secs as i64).to_le_bytes())?;
    }
    Ok(secs as usize)
}

/// clock_nanosleep: relative, or absolute (TIMER_ABSTIME) on the realtime or monotonic clock.
pub fn clock_nanosleep(clock: u32, flags: u32, req: u64, rem: u64) -> Result<usize, Errno> {
    const TIMER_ABSTIME: u32 = 1;
    clock_ns(clock)?;
    if clock == CLOCK_THREAD_CPUTIME_ID {
        return Err(Errno::EOPNOTSUPP);
    }
    if flags & TIMER_ABSTIME == 0 {
        return super::proc::nanosleep(req, rem);
    }
    let requested_ns = crate::time::timespec_from_user(req)?;
    let target = requested_ns;
    let now = clock_ns(clock)?;
    let deadline = crate::time::monotonic_ns().saturating_add(target.saturating_sub(now));
    if sched::sleep_until(deadline) {
        Ok(0)
    } else {
        Err(Errno::EINTR)
    }
}

/// getrandom(2): bytes from the CPU's generator mixed per call. GRND_NONBLOCK/RANDOM/INSECURE accepted.
pub fn getrandom(buf: u64, len: u64, flags: u32) -> Result<usize, Errno> {
    const GRND_RANDOM: u32 = 2;
    const GRND_INSECURE: u32 = 4;
    if flags & !0x7 != 0 || flags & (GRND_RANDOM | GRND_INSECURE) == GRND_RANDOM | GRND_INSECURE {
        return Err(Errno::EINVAL);
    }
    let len = len.min(33_554_431) as usize;
    let mut done = 0;
    while done < len {
        let bytes = crate::arch::cpu::random_bytes();
        let n = (len - done).min(bytes.len());
        usercopy::copy_to_user(buf + done as u64, &bytes[..n])?;
        done += n;
    }
    Ok(done)
}

/// sysinfo(2).
pub fn sysinfo(addr: u64) -> Result<usize, Errno> {
    let mut b = [0u8; 112];
    let uptime = crate::time::monotonic_ns() / 1_000_000_000;
    let total = crate::mm::frames::total_frames() * 4096;
    let free = crate::mm::frames::free_frames() * 4096;
    b[0..8].copy_from_slice(&(uptime as i64).to_le_bytes());
    b[32..40].copy_from_slice(&total.to_le_bytes());
    b[40..48].copy_from_slice(&free.to_le_bytes());
    b[80..82].copy_from_slice(&(crate::task::process::count() as u16).to_le_bytes());
    b[104..108].copy_from_slice(&1u32.to_le_bytes()); // mem_unit
    put(addr, &b)
}

/// sched_getaffinity: every online CPU.
pub fn sched_getaffinity(pid: i32, size: u64, mask: u64) -> Result<usize, Errno> {
    if pid < 0 {
        return Err(Errno::EINVAL);
    }
    if pid != 0 && crate::task::process::find(pid as u32).is_none() {
        return Err(Errno::ESRCH);
    }
    let cpus = percpu::online_count();
    let needed = cpus.div_ceil(64) * 8;
    if (size as usize) < needed || !size.is_multiple_of(8) {
        return Err(Errno::EINVAL);
    }
    let mut bytes = alloc::vec![0u8; needed];
    for cpu in 0..cpus {
        bytes[cpu / 8] |= 1 << (cpu % 8);
    }
    usercopy::copy_to_user(mask, &bytes)?;
    Ok(needed)
}

/// Resource limits (RLIMIT_*), shared by every process until per-process limits are kept.
static LIMITS: Mutex<[(u64, u64); 16]> = Mutex::new(default_limits());

const INFINITY: u64 = u64::MAX;

const fn default_limits() -> [(u64, u64); 16] {
    let mut l = [(INFINITY, INFINITY); 16];
    l[3] = (8 << 20, INFINITY); // RLIMIT_STACK
    l[4] = (0, INFINITY); // RLIMIT_CORE
    l[6] = (4096, 4096); // RLIMIT_NPROC
    l[7] = (1024, 4096); // RLIMIT_NOFILE
    l[8] = (8 << 20, 8 << 20); // RLIMIT_MEMLOCK
    l[11] = (4096, 4096); // RLIMIT_SIGPENDING
    l[12] = (819_200, 819_200); // RLIMIT_MSGQUEUE
    l
}

/// prlimit64(pid, resource, new, old).
pub fn prlimit64(pid: i32, resource: u32, new: u64, old: u64) -> Result<usize, Errno> {
    if pid < 0 || (pid != 0 && crate::task::process::find(pid as u32).is_none()) {
        return Err(Errno::ESRCH);
    }
    let mut limits = LIMITS.lock();
    let slot = limits.get_mut(resource as usize).ok_or(Errno::EINVAL)?;
    let previous = *slot;
    if new != 0 {
        let mut b = [0u8; 16];
        usercopy::copy_from_user(&mut b, new)?;
        let soft = u64::from_le_bytes(b[..8].try_into().map_err(|_| Errno::EFAULT)?);
        let hard = u64::from_le_bytes(b[8..].try_into().map_err(|_| Errno::EFAULT)?);
        if soft > hard {
            return Err(Errno::EINVAL);
        }
        // Raising a hard limit takes privilege (CAP_SYS_RESOURCE).
        if hard > previous.1 && !crate::task::cred::current().is_privileged() {
            return Err(Errno::EPERM);
        }
        *slot = (soft, hard);
    }
    if old != 0 {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&previous.0.to_le_bytes());
        b[8..].copy_from_slice(&previous.1.to_le_bytes());
        if let Err(e) = usercopy::copy_to_user(old, &b) {
            *slot = previous;
            return Err(e);
        }
    }
    Ok(0)
}

/// getrusage(who): accounting is not kept yet, so everything is zero (EINVAL for unknown `who`).
pub fn getrusage(who: i32, addr: u64) -> Result<usize, Errno> {
    const RUSAGE_SELF: i32 = 0;
    const RUSAGE_CHILDREN: i32 = -1;
    const RUSAGE_THREAD: i32 = 1;
    let me = crate::task::process::current().ok_or(Errno::ESRCH)?;
    let account = match who {
        RUSAGE_SELF => me.cpu_account(),
        RUSAGE_CHILDREN => me.children_account(),
        RUSAGE_THREAD => sched::with_current(|t| t.cpu_time.read(crate::time::monotonic_ns()))
            .ok_or(Errno::ESRCH)?,
        _ => return Err(Errno::EINVAL),
    };
    put(addr, &basalt_cputime::rusage_bytes(account))
}

/// times(2): the process's and its reaped children's CPU time in clock ticks; returns ticks since boot.
pub fn times(addr: u64) -> Result<usize, Errno> {
    if addr != 0 {
        let me = crate::task::process::current().ok_or(Errno::ESRCH)?;
        put(
            addr,
            &basalt_cputime::tms_bytes(me.cpu_account(), me.children_account()),
        )?;
    }
    Ok((crate::time::monotonic_ns() / (1_000_000_000 / basalt_cputime::USER_HZ)) as usize)
}

const SCHED_OTHER: u32 = 0;
const SCHED_FIFO: u32 = 1;
const SCHED_RR: u32 = 2;
const SCHED_BATCH: u32 = 3;
const SCHED_IDLE: u32 = 5;
const SCHED_DEADLINE: u32 = 6;

fn process_for(pid: i32) -> Result<(), Errno> {
    if pid < 0 {
        return Err(Errno::EINVAL);
    }
    if pid != 0 && crate::task::process::find(pid as u32).is_none() {
        return Err(Errno::ESRCH);
    }
    Ok(())
}

/// sched_getscheduler: every thread runs under the time-sharing policy (SCHED_OTHER).
pub fn sched_getscheduler(pid: i32) -> Result<usize, Errno> {
    process_for(pid)?;
    Ok(SCHED_OTHER as usize)
}

/// sched_getparam: SCHED_OTHER threads have static priority 0.
pub fn sched_getparam(pid: i32, param: u64) -> Result<usize, Errno> {
    if param == 0 {
        return Err(Errno::EINVAL);
    }
    process_for(pid)?;
    put(param, &0i32.to_le_bytes())
}

/// sched_get_priority_max / _min for a policy (Linux's ranges).
pub fn sched_priority_range(policy: u32, max: bool) -> Result<usize, Errno> {
    match policy {
        SCHED_FIFO | SCHED_RR => Ok(if max { 99 } else { 1 }),
        SCHED_OTHER | SCHED_BATCH | SCHED_IDLE | SCHED_DEADLINE => Ok(0),
        _ => Err(Errno::EINVAL),
    }
}
