//! rt_sigqueueinfo / rt_tgsigqueueinfo: send a signal with a `siginfo_t` the caller supplies (what `sigqueue`
//! and `pthread_sigqueue` use to pass a value), with Linux's checks in Linux's order.
#![forbid(unsafe_code)]

use crate::arch::usercopy;
use crate::task::{cred, process, sched, signal};
use basalt_linux_abi::Errno;
use basalt_signal::{check_user_code, SigInfo, Signal, SIGINFO_SIZE, SIGUSR1};

/// Read the caller's siginfo for signal `sig`: EFAULT, or E2BIG for an unknown code with bytes past the part the
/// kernel keeps. The signal number is the argument's, whatever the structure says.
fn read_info(sig: u64, uinfo: u64) -> Result<SigInfo, Errno> {
    let mut bytes = [0u8; SIGINFO_SIZE];
    usercopy::copy_from_user(&mut bytes, uinfo)?;
    // Signal 0 (a permission probe) and invalid numbers have no signal-specific codes, like SIGUSR1: the layout
    // check is the same; an invalid number is refused later, once the target is found.
    let signo = Signal::from_syscall_arg(sig).unwrap_or(SIGUSR1);
    SigInfo::from_user_bytes(signo, &bytes).map_err(|e| e.errno())
}

/// The signal to post, after the target was found: EINVAL for an invalid number, None for the probe 0.
fn signal_arg(sig: u64) -> Result<Option<Signal>, Errno> {
    if sig as u32 == 0 {
        return Ok(None);
    }
    Signal::from_syscall_arg(sig)
        .map(Some)
        .map_err(|e| e.errno())
}

/// Not even root may claim a kernel or kill()/tkill() origin (si_code >= 0 or SI_TKILL) except to itself;
/// "itself" is the calling thread's id, as Linux compares it.
fn check_code(info: &SigInfo, target: i32) -> Result<(), Errno> {
    let me = sched::current().ok_or(Errno::ESRCH)?;
    check_user_code(info.code, target > 0 && me.tid == target as u32)
}

/// rt_sigqueueinfo(pid, sig, info): to a whole process (any of its thread ids names it).
pub fn rt_sigqueueinfo(pid: i32, sig: u64, uinfo: u64) -> Result<usize, Errno> {
    let info = read_info(sig, uinfo)?;
    check_code(&info, pid)?;
    let me = process::current().ok_or(Errno::ESRCH)?;
    let target = u32::try_from(pid)
        .ok()
        .filter(|&p| p > 0)
        .and_then(process::find)
        .ok_or(Errno::ESRCH)?;
    let signal = signal_arg(sig)?;
    if !info.is_from_kernel() {
        signal::check_kill_permission(&me, &cred::current(), &target, sig)?;
    }
    if let Some(signal) = signal {
        let mut info = info;
        info.signo = signal;
        signal::send_to_process(&target, info)?;
    }
    Ok(0)
}

/// rt_tgsigqueueinfo(tgid, tid, sig, info): to one thread of process `tgid`.
pub fn rt_tgsigqueueinfo(tgid: i32, tid: i32, sig: u64, uinfo: u64) -> Result<usize, Errno> {
    let info = read_info(sig, uinfo)?;
    if tid <= 0 || tgid <= 0 {
        return Err(Errno::EINVAL);
    }
    check_code(&info, tid)?;
    let me = process::current().ok_or(Errno::ESRCH)?;
    let target = process::find_thread(tid as u32)
        .filter(|t| t.process.pid == tgid as u32)
        .ok_or(Errno::ESRCH)?;
    let signal = signal_arg(sig)?;
    if !info.is_from_kernel() {
        signal::check_kill_permission(&me, &cred::current(), &target.process, sig)?;
    }
    if let Some(signal) = signal {
        let mut info = info;
        info.signo = signal;
        signal::send_to_thread(&target, info)?;
    }
    Ok(0)
}
