//! Signal helpers: installing handlers, masks, and handlers that record what they saw.
//!
//! Every case runs in a fresh child of the runner, so the statics below start at zero in each case.

use core::sync::atomic::{AtomicI32, AtomicU32, AtomicUsize, Ordering::SeqCst};

use crate::sys::errno_name;
use crate::sys::{nr, Errno, PAGE};

/// A `SA_SIGINFO` handler.
pub type Handler = extern "C" fn(i32, *mut libc::siginfo_t, *mut libc::c_void);

/// Deliveries per signal number.
pub static HITS: [AtomicU32; 65] = [const { AtomicU32::new(0) }; 65];
/// Signals in the order the recording handler saw them.
pub static ORDER: [AtomicI32; 16] = [const { AtomicI32::new(0) }; 16];
static ORDER_LEN: AtomicUsize = AtomicUsize::new(0);
/// `si_code` of the last delivery.
pub static LAST_CODE: AtomicI32 = AtomicI32::new(0);
/// `si_pid` of the last delivery.
pub static LAST_PID: AtomicI32 = AtomicI32::new(0);
/// `si_value.sival_int` of the last delivery (meaningful for queued signals).
pub static LAST_VALUE: AtomicI32 = AtomicI32::new(0);
/// Thread id that ran the last handler.
pub static LAST_TID: AtomicUsize = AtomicUsize::new(0);
/// Address of a local variable in the last handler (to find which stack it ran on).
pub static LAST_STACK: AtomicUsize = AtomicUsize::new(0);
/// Blocked mask (first word) while the last handler ran.
pub static LAST_MASK: AtomicUsize = AtomicUsize::new(0);
/// `si_addr` of the last fault.
pub static FAULT_ADDR: AtomicUsize = AtomicUsize::new(0);
/// Faults handled by [`fix_fault`].
pub static FAULTS: AtomicU32 = AtomicU32::new(0);
/// A file descriptor the handler writes one byte to (for waking up a blocked read), or -1.
pub static WAKE_FD: AtomicI32 = AtomicI32::new(-1);
/// Deliveries after which the handler writes to [`WAKE_FD`].
pub static WAKE_AFTER: AtomicU32 = AtomicU32::new(0);

/// Installs `handler` for `sig` with `SA_SIGINFO | flags` and mask `mask`.
pub fn handle(sig: i32, handler: Handler, flags: i32, mask: &[i32]) -> Result<(), Errno> {
    // SAFETY: a zeroed sigaction is valid; the handler is a plain function.
    let mut act: libc::sigaction = unsafe { core::mem::zeroed() };
    act.sa_sigaction = handler as usize;
    act.sa_flags = flags | libc::SA_SIGINFO;
    act.sa_mask = set_of(mask);
    // SAFETY: valid pointers; musl supplies the restorer.
    let r = unsafe { libc::sigaction(sig, &act, core::ptr::null_mut()) };
    if r == 0 {
        Ok(())
    } else {
        Err(Errno(
            std::io::Error::last_os_error().raw_os_error().unwrap_or(0) as u16,
        ))
    }
}

/// Sets `sig` to `SIG_DFL` or `SIG_IGN` with no flags (raw call: no restorer is needed for these, and musl's wrapper
/// would add SA_RESTORER to the flags a later query reports).
pub fn disposition(sig: i32, what: libc::sighandler_t) {
    // handler, flags, restorer, mask: the kernel's struct sigaction.
    let act: [usize; 4] = [what, 0, 0, 0];
    let _ = sys!(nr::RT_SIGACTION, sig, act.as_ptr(), 0, 8);
}

/// Installs [`record`] for `sig`.
pub fn record_on(sig: i32, flags: i32) -> Result<(), Errno> {
    handle(sig, record, flags, &[])
}

/// A signal set holding `sigs`.
pub fn set_of(sigs: &[i32]) -> libc::sigset_t {
    // SAFETY: sigemptyset/sigaddset only write the set.
    unsafe {
        let mut set: libc::sigset_t = core::mem::zeroed();
        libc::sigemptyset(&mut set);
        for &s in sigs {
            libc::sigaddset(&mut set, s);
        }
        set
    }
}

/// The kernel's 64-bit mask with bit `sig - 1` for each signal.
pub fn mask_of(sigs: &[i32]) -> u64 {
    sigs.iter().fold(0, |m, &s| m | 1u64 << (s - 1))
}

/// `rt_sigprocmask(how, mask)` with the kernel's 8-byte set; returns the old mask.
pub fn procmask(how: i32, mask: u64) -> Result<u64, Errno> {
    let mut old = 0u64;
    sys!(
        nr::RT_SIGPROCMASK,
        how,
        &mask as *const u64,
        &mut old as *mut u64,
        8
    )?;
    Ok(old)
}

/// Blocks `sigs` in this thread.
pub fn block(sigs: &[i32]) {
    let _ = procmask(libc::SIG_BLOCK, mask_of(sigs));
}

/// Unblocks `sigs` in this thread.
pub fn unblock(sigs: &[i32]) {
    let _ = procmask(libc::SIG_UNBLOCK, mask_of(sigs));
}

/// The current blocked mask.
pub fn current_mask() -> u64 {
    procmask(libc::SIG_BLOCK, 0).unwrap_or(u64::MAX)
}

/// The pending mask (`rt_sigpending`).
pub fn pending() -> u64 {
    let mut set = 0u64;
    let _ = sys!(nr::RT_SIGPENDING, &mut set as *mut u64, 8);
    set
}

/// Sends `sig` to this thread (tgkill, so that it is delivered to this thread before the call returns).
pub fn raise(sig: i32) -> Result<usize, Errno> {
    sys!(nr::TGKILL, crate::sys::getpid(), crate::sys::gettid(), sig)
}

/// Deliveries of `sig` seen by [`record`].
pub fn hits(sig: i32) -> u32 {
    HITS[sig as usize].load(SeqCst)
}

/// The delivery order [`record`] saw, as signal names.
pub fn order() -> Vec<String> {
    let n = ORDER_LEN.load(SeqCst).min(ORDER.len());
    ORDER[..n]
        .iter()
        .map(|s| crate::signame::signal_name(s.load(SeqCst)))
        .collect()
}

/// A handler that records the delivery in the statics above.
pub extern "C" fn record(sig: i32, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    let local = 0u8;
    if let Some(h) = HITS.get(sig as usize) {
        h.fetch_add(1, SeqCst);
    }
    let i = ORDER_LEN.fetch_add(1, SeqCst);
    if let Some(slot) = ORDER.get(i) {
        slot.store(sig, SeqCst);
    }
    if !info.is_null() {
        // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers.
        unsafe {
            LAST_CODE.store((*info).si_code, SeqCst);
            LAST_PID.store((*info).si_pid(), SeqCst);
            LAST_VALUE.store((*info).si_value().sival_ptr as usize as i32, SeqCst);
        }
    }
    LAST_TID.store(crate::sys::gettid(), SeqCst);
    LAST_STACK.store(&local as *const u8 as usize, SeqCst);
    LAST_MASK.store(current_mask() as usize, SeqCst);
    let fd = WAKE_FD.load(SeqCst);
    if fd >= 0 && HITS[sig as usize].load(SeqCst) == WAKE_AFTER.load(SeqCst) {
        let _ = sys!(nr::WRITE, fd, b"w".as_ptr(), 1);
    }
}

/// A fault handler that records the fault, then repairs the page so that the faulting instruction succeeds when
/// retried: it makes an existing page read-write-execute, or maps a fresh zero page where there was none (and for
/// SIGBUS, where the page is beyond the end of a file). After three faults it restores the default action so a
/// kernel that keeps faulting ends the case instead of looping.
pub extern "C" fn fix_fault(sig: i32, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    record(sig, info, ctx);
    // SAFETY: as in `record`.
    let addr = if info.is_null() {
        0
    } else {
        unsafe { (*info).si_addr() as usize }
    };
    FAULT_ADDR.store(addr, SeqCst);
    if FAULTS.fetch_add(1, SeqCst) >= 3 {
        disposition(sig, libc::SIG_DFL);
        return;
    }
    let page = addr & !(PAGE - 1);
    let rwx = libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC;
    if sig == libc::SIGBUS || sys!(nr::MPROTECT, page, PAGE, rwx).is_err() {
        let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED;
        let _ = sys!(nr::MMAP, page, PAGE, rwx, flags, -1i64, 0);
    }
}

/// Runs `touch` with [`fix_fault`] handling `SIGSEGV` and `SIGBUS`, then describes the first fault:
/// `SIGSEGV SEGV_ACCERR addr=same` (the address compared with `expected_addr`), or `no fault`.
pub fn expect_fault(expected_addr: usize, touch: impl FnOnce()) -> String {
    for s in [libc::SIGSEGV, libc::SIGBUS] {
        if let Err(e) = handle(s, fix_fault, 0, &[]) {
            return format!("sigaction {}", errno_name(e));
        }
    }
    touch();
    let n = FAULTS.load(SeqCst);
    if n == 0 {
        return "no fault".to_string();
    }
    let sig = ORDER[0].load(SeqCst);
    format!(
        "{} {} addr={} faults={}",
        crate::signame::signal_name(sig),
        crate::signame::si_code_name(sig, LAST_CODE.load(SeqCst)),
        crate::sys::eq(FAULT_ADDR.load(SeqCst), expected_addr),
        n
    )
}
