//! Setting a worker up so that its calls cannot reach beyond itself and its private directory: death with the
//! supervisor, its own session, resource limits, a reduced capability set, no inherited descriptors, the private
//! directory as current directory, the heartbeat, and its fuzzing memory.

use crate::layout::{Layout, Region, PAGE_SIZE, SCRATCH_PAGES};
use std::ffi::CStr;
use std::fmt;

/// Largest address space of a worker: enough for any sane mapping, far from the machine's memory.
const ADDRESS_SPACE_LIMIT: u64 = 256 << 20;
/// Largest file a worker may write or extend (tmpfs files are RAM).
const FILE_SIZE_LIMIT: u64 = 1 << 20;
/// Most descriptors a worker may hold (each may be a memfd of up to `FILE_SIZE_LIMIT`).
const DESCRIPTOR_LIMIT: u64 = 256;
/// The heartbeat period: a blocking call is interrupted after at most this long.
const HEARTBEAT_MICROSECONDS: i64 = 1_000;

/// Capabilities a worker keeps: the file-permission ones, so that it still fuzzes as root in its own directory.
/// Everything else (CAP_SYS_ADMIN, CAP_SYS_RESOURCE, CAP_KILL, CAP_NET_ADMIN, CAP_SYS_NICE, CAP_MKNOD, ...) is
/// dropped as a second line of defence behind the deny-list: a machine-wide call that slipped through would
/// still fail with EPERM, and pipe, socket-buffer and mlock limits apply again.
const KEPT_CAPABILITIES: u64 = 1 << 0 // CAP_CHOWN
    | 1 << 1 // CAP_DAC_OVERRIDE
    | 1 << 3 // CAP_FOWNER
    | 1 << 4 // CAP_FSETID
    | 1 << 6 // CAP_SETGID
    | 1 << 7; // CAP_SETUID
/// Highest capability number to drop from the bounding set (the kernel refuses unknown ones, which is fine).
const LAST_CAPABILITY: u64 = 63;
/// `_LINUX_CAPABILITY_VERSION_3`: 64-bit capability sets.
const CAPABILITY_VERSION_3: u32 = 0x2008_0522;

/// Why a worker could not start fuzzing; it exits with the code so the supervisor can report it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetupFailure {
    /// Setting the resource limits failed: fuzzing without them could exhaust the machine.
    Limits,
    /// The kernel has capabilities but would not reduce them.
    Capabilities,
    /// Entering the private directory failed: names would resolve somewhere else.
    WorkDir,
    /// The heartbeat signal or timer could not be set up: blocking calls would hang.
    Heartbeat,
    /// Scratch memory could not be mapped.
    Memory,
}

impl SetupFailure {
    const ALL: [Self; 5] = [
        Self::Limits,
        Self::Capabilities,
        Self::WorkDir,
        Self::Heartbeat,
        Self::Memory,
    ];

    /// The worker's exit status for this failure.
    pub fn exit_code(self) -> i32 {
        match self {
            Self::Limits => 91,
            Self::Capabilities => 92,
            Self::WorkDir => 93,
            Self::Heartbeat => 94,
            Self::Memory => 95,
        }
    }

    /// The failure a worker's exit status stands for, if any.
    pub fn from_exit_code(code: i32) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|failure| failure.exit_code() == code)
    }
}

impl fmt::Display for SetupFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Limits => "cannot set the worker's resource limits",
            Self::Capabilities => "cannot drop the worker's capabilities",
            Self::WorkDir => "cannot enter the private directory",
            Self::Heartbeat => "cannot set up the heartbeat signal and timer",
            Self::Memory => "cannot map scratch memory",
        })
    }
}

/// Confines the calling process (a freshly forked worker) and maps its fuzzing memory.
pub fn confine(work_dir: &CStr, supervisor: libc::pid_t) -> Result<Layout, SetupFailure> {
    // SAFETY: plain libc calls on this process's own state with valid arguments.
    unsafe {
        // Die with the supervisor; if it is already gone, stop now.
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong);
        if libc::getppid() != supervisor {
            libc::_exit(0);
        }
        // Own session and process group: no terminal, and no group shared with the supervisor.
        libc::setsid();
        // No core dumps of the many crashes to come (fuzzed prctl cannot turn this back on, see policy::adjust).
        libc::prctl(libc::PR_SET_DUMPABLE, 0 as libc::c_ulong);
        libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1 as libc::c_ulong);
        for signal in [libc::SIGINT, libc::SIGTERM] {
            libc::signal(signal, libc::SIG_DFL);
        }
        for signal in [libc::SIGPIPE, libc::SIGXFSZ] {
            libc::signal(signal, libc::SIG_IGN);
        }
        // The supervisor blocks SIGCHLD for itself; start from an empty mask.
        let mut empty: libc::sigset_t = core::mem::zeroed();
        libc::sigemptyset(&mut empty);
        libc::sigprocmask(libc::SIG_SETMASK, &empty, core::ptr::null_mut());
    }
    set_limits()?;
    drop_capabilities()?;
    redirect_standard_streams();
    // SAFETY: `work_dir` is a NUL-terminated path.
    if unsafe { libc::chdir(work_dir.as_ptr()) } != 0 {
        return Err(SetupFailure::WorkDir);
    }
    if !arm_heartbeat() {
        return Err(SetupFailure::Heartbeat);
    }
    let scratch = map_with_guard(SCRATCH_PAGES, SCRATCH_HINT).ok_or(SetupFailure::Memory)?;
    let names = map_with_guard(1, NAMES_HINT).ok_or(SetupFailure::Memory)?;
    // SAFETY: getpid has no preconditions.
    let pid = unsafe { libc::getpid() } as u64;
    Ok(Layout {
        scratch,
        names,
        pid,
        tid: pid,
    })
}

fn set_limits() -> Result<(), SetupFailure> {
    let limits = [
        (libc::RLIMIT_AS, ADDRESS_SPACE_LIMIT),
        (libc::RLIMIT_FSIZE, FILE_SIZE_LIMIT),
        (libc::RLIMIT_NOFILE, DESCRIPTOR_LIMIT),
        (libc::RLIMIT_CORE, 0),
    ];
    for (resource, value) in limits {
        let limit = libc::rlimit {
            rlim_cur: value,
            rlim_max: value,
        };
        // SAFETY: `limit` is a valid rlimit for the duration of the call.
        if unsafe { libc::setrlimit(resource, &limit) } != 0 {
            return Err(SetupFailure::Limits);
        }
    }
    Ok(())
}

/// Reduces the bounding, ambient, effective, permitted and inheritable sets to `KEPT_CAPABILITIES`. A kernel
/// without capabilities (capget fails) is left alone; one that has them but refuses is a setup failure.
fn drop_capabilities() -> Result<(), SetupFailure> {
    let mut header = [CAPABILITY_VERSION_3, 0u32];
    let mut current = [0u32; 6];
    // SAFETY: capget with a version-3 header and room for two data structures (three u32 each).
    if unsafe { libc::syscall(libc::SYS_capget, header.as_mut_ptr(), current.as_mut_ptr()) } != 0 {
        return Ok(());
    }
    for capability in 0..=LAST_CAPABILITY {
        if KEPT_CAPABILITIES & (1 << capability) == 0 {
            // SAFETY: drops one capability from this process's bounding set; unknown numbers fail harmlessly.
            unsafe {
                libc::prctl(libc::PR_CAPBSET_DROP, capability as libc::c_ulong);
            }
        }
    }
    // SAFETY: clears this process's ambient set.
    unsafe {
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL as libc::c_ulong,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
        );
    }
    let low = KEPT_CAPABILITIES as u32;
    let high = (KEPT_CAPABILITIES >> 32) as u32;
    // Two {effective, permitted, inheritable} triples: capabilities 0-31, then 32-63.
    let reduced = [low, low, 0, high, high, 0];
    let mut header = [CAPABILITY_VERSION_3, 0u32];
    // SAFETY: capset on this process (pid 0) with a version-3 header and two data structures.
    if unsafe { libc::syscall(libc::SYS_capset, header.as_mut_ptr(), reduced.as_ptr()) } != 0 {
        return Err(SetupFailure::Capabilities);
    }
    Ok(())
}

/// Standard streams on /dev/null (or closed), every other inherited descriptor closed: garbage written by
/// fuzzed calls must not reach the console, and the worker must hold nothing that leads outside its directory.
fn redirect_standard_streams() {
    // SAFETY: descriptor operations on this process's own table.
    unsafe {
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        for fd in 0..3 {
            if null >= 0 {
                libc::dup2(null, fd);
            } else {
                libc::close(fd);
            }
        }
        if libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32) != 0 {
            for fd in 3..DESCRIPTOR_LIMIT as i32 * 4 {
                libc::close(fd);
            }
        }
    }
}

extern "C" fn on_heartbeat(_signal: libc::c_int) {
    // Nothing to do: the signal's only job is to interrupt a blocking call with EINTR.
}

/// Installs the heartbeat handler (without `SA_RESTART`, so blocking calls fail with EINTR), unblocks it and
/// restarts the timer, which fires only if `HEARTBEAT_MICROSECONDS` pass before the next re-arm. Fuzzed `alarm`,
/// `setitimer`, `rt_sigaction` and `rt_sigprocmask` may undo this, so the worker calls it every few calls.
/// Returns whether every step worked.
pub fn arm_heartbeat() -> bool {
    // SAFETY: sigaction, sigprocmask and setitimer on this process with fully initialised arguments; the
    // handler is async-signal-safe (it does nothing).
    unsafe {
        let mut action: libc::sigaction = core::mem::zeroed();
        action.sa_sigaction = on_heartbeat as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::sigemptyset(&mut action.sa_mask);
        action.sa_flags = 0;
        let handler_ok = libc::sigaction(libc::SIGALRM, &action, core::ptr::null_mut()) == 0;
        let mut unblock: libc::sigset_t = core::mem::zeroed();
        libc::sigemptyset(&mut unblock);
        libc::sigaddset(&mut unblock, libc::SIGALRM);
        let mask_ok = libc::sigprocmask(libc::SIG_UNBLOCK, &unblock, core::ptr::null_mut()) == 0;
        let period = libc::timeval {
            tv_sec: 0,
            tv_usec: HEARTBEAT_MICROSECONDS,
        };
        let timer = libc::itimerval {
            it_interval: period,
            it_value: period,
        };
        let timer_ok = libc::setitimer(libc::ITIMER_REAL, &timer, core::ptr::null_mut()) == 0;
        handler_ok && mask_ok && timer_ok
    }
}

/// Where to ask for scratch memory: far from every other mapping, so that a fuzzed `mprotect` that opens the
/// guard page, followed by a long write, runs into unmapped addresses rather than the shared counters or libc.
const SCRATCH_HINT: u64 = 0x2000_0000_0000;
/// Where to ask for the names page, likewise isolated.
const NAMES_HINT: u64 = 0x3000_0000_0000;

/// Maps `pages` read-write pages followed by one inaccessible guard page, preferably at `hint`.
fn map_with_guard(pages: u64, hint: u64) -> Option<Region> {
    let len = pages.checked_mul(PAGE_SIZE)?;
    let total = usize::try_from(len.checked_add(PAGE_SIZE)?).ok()?;
    // SAFETY: a fresh anonymous private mapping; without MAP_FIXED the hint never replaces existing memory.
    let address = unsafe {
        libc::mmap(
            hint as *mut libc::c_void,
            total,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if address == libc::MAP_FAILED {
        return None;
    }
    let start = address as u64;
    let guard = start.checked_add(len)? as *mut libc::c_void;
    // SAFETY: the guard page is the last page of the mapping just made.
    if unsafe { libc::mprotect(guard, PAGE_SIZE as usize, libc::PROT_NONE) } != 0 {
        return None;
    }
    Some(Region { start, len })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setup_failures_round_trip_through_exit_codes() {
        for failure in SetupFailure::ALL {
            assert_eq!(
                SetupFailure::from_exit_code(failure.exit_code()),
                Some(failure)
            );
            assert!(!failure.to_string().is_empty());
        }
        assert_eq!(SetupFailure::from_exit_code(0), None);
        assert_eq!(SetupFailure::from_exit_code(1), None);
    }

    #[test]
    fn only_file_permission_capabilities_are_kept() {
        let cap_sys_admin = 21;
        let cap_kill = 5;
        let cap_sys_resource = 24;
        for dropped in [cap_sys_admin, cap_kill, cap_sys_resource] {
            assert_eq!(KEPT_CAPABILITIES & (1 << dropped), 0);
        }
        assert_eq!(KEPT_CAPABILITIES.count_ones(), 6);
    }

    #[test]
    fn guarded_mapping_has_an_inaccessible_last_page() {
        let region = map_with_guard(2, 0).expect("mmap");
        assert_eq!(region.len, 2 * PAGE_SIZE);
        // SAFETY: the two pages before the guard are mapped read-write.
        unsafe {
            core::ptr::write_volatile((region.end() - 1) as *mut u8, 7);
        }
        let mut vector = [0u8; 1];
        // SAFETY: mincore only reports residency; the guard page is still mapped (PROT_NONE).
        let mapped = unsafe {
            libc::mincore(
                region.end() as *mut libc::c_void,
                PAGE_SIZE as usize,
                vector.as_mut_ptr(),
            )
        };
        assert_eq!(mapped, 0);
        let mut byte = 0u8;
        let iov = libc::iovec {
            iov_base: region.end() as *mut libc::c_void,
            iov_len: 1,
        };
        let local = libc::iovec {
            iov_base: (&mut byte as *mut u8).cast(),
            iov_len: 1,
        };
        // SAFETY: reads our own memory through the kernel, which reports EFAULT instead of faulting.
        let read = unsafe { libc::process_vm_readv(libc::getpid(), &local, 1, &iov, 1, 0) };
        assert_eq!(read, -1);
    }
}
