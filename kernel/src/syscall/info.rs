//! System information and identity calls: uname, sysinfo, time, random numbers, user ids, limits, CPU affinity,
//! resource usage.
#![forbid(unsafe_code)]

use crate::arch::{percpu, usercopy};
use crate::task::sched;
use basalt_linux_abi::Errno;

fn put(addr: u64, bytes: &[u8]) -> Result<usize, Errno> {
    usercopy::copy_to_user(addr, bytes)?;
    Ok(0)
}

fn field(buf: &mut [u8; 390], index: usize, text: &str) {
    let start = index * 65;
    let n = text.len().min(64);
    buf[start..start + n].copy_from_slice(&text.as_bytes()[..n]);
}

/// The kernel release uname(2) and /proc/version report.
pub const RELEASE: &str = "6.1.0-basalt";
/// The kernel version string uname(2) and /proc/version report.
pub const VERSION: &str = concat!("#1 SMP Basalt ", env!("CARGO_PKG_VERSION"));

/// uname(2): the system identifies as Linux (programs check the sysname) with Basalt's own version string.
pub fn uname(addr: u64) -> Result<usize, Errno> {
    let mut buf = [0u8; 390];
    field(&mut buf, 0, "Linux");
    buf[65..130].copy_from_slice(&super::settings::nodename());
    field(&mut buf, 2, RELEASE);
    field(&mut buf, 3, VERSION);
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

/// The thread a scheduling call names: 0 is the caller, anything else a thread id (ESRCH if none).
fn thread_for(pid: i32) -> Result<alloc::sync::Arc<crate::task::Task>, Errno> {
    match pid {
        0 => sched::current(),
        p if p > 0 => crate::task::process::find_thread(p as u32),
        _ => None,
    }
    .ok_or(Errno::ESRCH)
}

/// sched_getaffinity: the thread's CPUs (of the online ones). Linux's order: the size (EINVAL), the thread
/// (ESRCH), the copy (EFAULT); returns the bytes written.
pub fn sched_getaffinity(pid: i32, size: u64, mask: u64) -> Result<usize, Errno> {
    let online = percpu::online_count().max(1);
    basalt_sched_attr::CpuMask::EMPTY.to_user(size, online)?;
    let task = thread_for(pid)?;
    let bytes = task.sched_attr.affinity().to_user(size, online)?;
    let len = (size as usize).min(bytes.len());
    usercopy::copy_to_user(mask, &bytes[..len])?;
    Ok(len)
}

/// sched_setaffinity: the thread runs only on the given CPUs from now on. The mask is read first (EFAULT; a short
/// one is zero-extended), then the thread found (ESRCH); no online CPU in it is EINVAL.
pub fn sched_setaffinity(pid: i32, size: u64, mask: u64) -> Result<usize, Errno> {
    let mut bytes = [0u8; basalt_sched_attr::MASK_BYTES];
    let len = (size as usize).min(bytes.len());
    usercopy::copy_from_user(&mut bytes[..len], mask)?;
    let task = thread_for(pid)?;
    may_reschedule(&task)?;
    let cpus = basalt_sched_attr::CpuMask::from_user(&bytes[..len], sched::online_cpus())?;
    sched::set_affinity(&task, cpus);
    Ok(0)
}

/// Linux's `check_same_owner` or `CAP_SYS_NICE`: whether the caller may change `target`'s scheduling (affinity,
/// nice); EPERM otherwise.
fn may_reschedule(target: &crate::task::Task) -> Result<(), Errno> {
    if crate::task::cred::current().same_owner(&target.process.creds.get()) {
        Ok(())
    } else {
        Err(Errno::EPERM)
    }
}

/// Linux's `can_nice`: lowering a nice value (raising the priority) needs `RLIMIT_NICE` room (20 - nice at most
/// the caller's soft limit) or `CAP_SYS_NICE`; EACCES otherwise.
fn may_lower_nice(_target: &crate::task::Task, nice: i8) -> Result<(), Errno> {
    let me = crate::task::process::current().ok_or(Errno::ESRCH)?;
    let room = me.rlimits.lock().soft(basalt_rlimit::Resource::NICE);
    let needed = u64::try_from(20 - i64::from(nice)).unwrap_or(0);
    if needed <= room || me.creds.get().is_privileged() {
        Ok(())
    } else {
        Err(Errno::EACCES)
    }
}

/// getcpu(cpu, node, cache): the CPU this thread runs on now (one NUMA node, 0).
pub fn getcpu(cpu: u64, node: u64) -> Result<usize, Errno> {
    let here =
        x86_64::instructions::interrupts::without_interrupts(|| percpu::this_cpu().sched_slot);
    if cpu != 0 {
        put(cpu, &(here as u32).to_le_bytes())?;
    }
    if node != 0 {
        put(node, &0u32.to_le_bytes())?;
    }
    Ok(0)
}

/// The real user id of a process, for PRIO_USER.
fn uid_of(p: &crate::task::process::Process) -> u32 {
    p.creds.get().uid
}

/// The threads getpriority/setpriority act on; ESRCH when there are none.
fn priority_targets(
    which: i32,
    who: i32,
) -> Result<alloc::vec::Vec<alloc::sync::Arc<crate::task::Task>>, Errno> {
    use crate::task::process;
    use basalt_sched_attr::PriorityTarget;
    let target = PriorityTarget::from_which(which)?;
    let me = sched::current().ok_or(Errno::ESRCH)?;
    let threads: alloc::vec::Vec<_> = match target {
        PriorityTarget::Process => thread_for(who).into_iter().collect(),
        PriorityTarget::ProcessGroup => {
            let pgid = if who == 0 {
                me.process.pgid.load(core::sync::atomic::Ordering::Relaxed)
            } else {
                u32::try_from(who).map_err(|_| Errno::ESRCH)?
            };
            process::in_group(pgid)
                .iter()
                .flat_map(|p| p.threads_snapshot())
                .collect()
        }
        PriorityTarget::User => {
            let uid = if who == 0 {
                uid_of(&me.process)
            } else {
                who as u32
            };
            process::all()
                .iter()
                .filter(|p| uid_of(p) == uid)
                .flat_map(|p| p.threads_snapshot())
                .collect()
        }
    };
    if threads.is_empty() {
        return Err(Errno::ESRCH);
    }
    Ok(threads)
}

/// getpriority: `20 - nice` of the most favoured matching thread (so the raw value is never negative).
pub fn getpriority(which: i32, who: i32) -> Result<usize, Errno> {
    let threads = priority_targets(which, who)?;
    let nice = threads
        .iter()
        .map(|t| t.sched_attr.nice())
        .min()
        .unwrap_or(0);
    Ok(basalt_sched_attr::getpriority_value(nice))
}

/// setpriority: every matching thread gets the nice value, clamped to [-20, 19]. Like Linux's `set_one_prio`,
/// a thread the caller may not change (EPERM) or not favour (EACCES) is skipped, and the last such error is the
/// result (success once any thread changed and none failed after it).
pub fn setpriority(which: i32, who: i32, nice: i32) -> Result<usize, Errno> {
    let threads = priority_targets(which, who)?;
    let nice = basalt_sched_attr::clamp_nice(nice);
    let mut result = Err(Errno::ESRCH);
    for t in threads {
        let allowed = may_reschedule(&t).and_then(|()| {
            if nice < t.sched_attr.nice() {
                may_lower_nice(&t, nice)
            } else {
                Ok(())
            }
        });
        match allowed {
            Ok(()) => {
                t.sched_attr.set_nice(nice);
                if result == Err(Errno::ESRCH) {
                    result = Ok(0);
                }
            }
            Err(e) => result = Err(e),
        }
    }
    result
}

/// Whether the caller may raise a hard resource limit (Linux: `capable(CAP_SYS_RESOURCE)`).
fn may_raise_hard_limit() -> bool {
    crate::task::cred::current().is_privileged()
}

/// Linux's `check_prlimit_permission`: the caller may read or change `target`'s limits if it is the caller, or the
/// caller's uid matches all of the target's uids and its gid all of its gids, or the caller has
/// `CAP_SYS_RESOURCE` (EPERM otherwise).
fn check_prlimit_permission(target: &crate::task::process::Process) -> Result<(), Errno> {
    if crate::task::cred::current().may_prlimit(&target.creds.get()) {
        Ok(())
    } else {
        Err(Errno::EPERM)
    }
}

/// prlimit64(pid, resource, new, old), also behind getrlimit and setrlimit. Linux's order: the new limit is read
/// (EFAULT), the process found (ESRCH) and the caller's permission checked (EPERM), the resource checked (EINVAL),
/// the limit set (EINVAL, EPERM); the old one is written out last, and failing to write it (EFAULT) does not undo
/// the change.
pub fn prlimit64(pid: i32, resource: u32, new: u64, old: u64) -> Result<usize, Errno> {
    use basalt_rlimit::{Resource, Rlimit};
    let new_limit = if new != 0 {
        let mut b = [0u8; 16];
        usercopy::copy_from_user(&mut b, new)?;
        Some(Rlimit::from_bytes(b))
    } else {
        None
    };
    let target = match pid {
        0 => crate::task::process::current(),
        p if p > 0 => crate::task::process::find(p as u32),
        _ => None,
    }
    .ok_or(Errno::ESRCH)?;
    check_prlimit_permission(&target)?;
    let resource = Resource::from_number(resource)?;
    let previous = match new_limit {
        Some(limit) => {
            let may_raise = may_raise_hard_limit();
            let previous = target.rlimits.lock().set(resource, limit, may_raise)?;
            if resource == Resource::STACK || resource == Resource::AS {
                target.address_space().apply_rlimits(&target.rlimits.lock());
            }
            previous
        }
        None => target.rlimits.lock().get(resource),
    };
    if old != 0 {
        put(old, &previous.to_bytes())?;
    }
    Ok(0)
}

/// setrlimit(resource, rlim): the limit is read first, so a null pointer is EFAULT.
pub fn setrlimit(resource: u32, rlim: u64) -> Result<usize, Errno> {
    if rlim == 0 {
        return Err(Errno::EFAULT);
    }
    prlimit64(0, resource, rlim, 0)
}

/// getrlimit(resource, rlim): EINVAL for an unknown resource before the copy (EFAULT).
pub fn getrlimit(resource: u32, rlim: u64) -> Result<usize, Errno> {
    basalt_rlimit::Resource::from_number(resource)?;
    prlimit64(0, resource, 0, rlim)
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
