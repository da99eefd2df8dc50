//! Signals in the kernel: sending, delivery on the way back to user mode (handler frames, default actions),
//! rt_sigreturn, and the system calls around them. The rules and the exact Linux data layouts live in the
//! host-tested `basalt-signal` crate; this module applies them to processes and threads.
#![forbid(unsafe_code)]

use super::process::{self, Process};
use super::wait::WaitQueue;
use super::{sched, Task};
use crate::arch::fpu::{format as fpu_format, mxcsr_mask};
use crate::arch::idt::{TrapFrame, SYSCALL_VECTOR};
use crate::arch::{switch, usercopy};
use alloc::sync::Arc;
use basalt_cred::Cred;
use basalt_linux_abi::Errno;
use basalt_signal::{
    blocked_during_handler, build_rt_sigframe, dequeue_for_thread, generation_discards,
    parse_rt_sigreturn, read_sigreturn_fpstate, restart_for_handler, restart_without_handler,
    AltStack, Disposition, FpuImage, Pending, SigAction, SigHandlers, SigInfo, SigSet, Signal,
    StackT, TrapState, UserRegs, SIGCONT, SIGKILL, SIGSTOP,
};
use core::sync::atomic::Ordering;

/// Marks a syscall frame that must return with IRET restoring every register (after rt_sigreturn).
pub const FULL_RESTORE_VECTOR: u64 = 0x101;

/// Signal state shared by a process's threads.
pub struct ProcessSignals {
    pub handlers: SigHandlers,
    pub pending: Pending,
}

impl ProcessSignals {
    pub fn new() -> Self {
        ProcessSignals {
            handlers: SigHandlers::new(),
            pending: Pending::new(),
        }
    }
}

impl Default for ProcessSignals {
    fn default() -> Self {
        Self::new()
    }
}

/// Signal state of one thread.
pub struct ThreadSignals {
    pub pending: Pending,
    pub blocked: SigSet,
    pub altstack: AltStack,
    /// rt_sigsuspend's temporary mask: the mask to restore once a handler has run.
    pub saved_mask: Option<SigSet>,
}

impl ThreadSignals {
    pub fn new(blocked: SigSet, altstack: AltStack) -> Self {
        ThreadSignals {
            pending: Pending::new(),
            blocked,
            altstack,
            saved_mask: None,
        }
    }
}

/// Stopped processes wait here for SIGCONT.
static CONTINUED: WaitQueue = WaitQueue::new();

/// Whether `task` has a signal to act on (used to interrupt sleeps).
pub fn has_deliverable(task: &Task) -> bool {
    let ps = task.process.signals.lock();
    let ts = task.sig.lock();
    ts.pending.has_deliverable(ts.blocked) || ps.pending.has_deliverable(ts.blocked)
}

fn wake_threads(p: &Process) {
    for t in p.threads_snapshot() {
        t.attention();
        sched::wake(&t);
    }
}

/// Send a signal to a whole process (kill).
pub fn send_to_process(p: &Arc<Process>, info: SigInfo) -> Result<(), Errno> {
    let sig = info.signo;
    let unkillable = p.pid == 1;
    if sig == SIGKILL && !unkillable {
        process::begin_exit(p, sig.number() as i32);
        p.set_stopped(false);
        CONTINUED.wake_all();
        wake_threads(p);
        return Ok(());
    }
    if sig == SIGCONT && p.set_stopped(false) {
        CONTINUED.wake_all();
        p.note_continued();
    }
    {
        let mut ps = p.signals.lock();
        let discard = generation_discards(sig);
        ps.pending.discard(discard);
        let threads = p.threads_snapshot();
        for t in &threads {
            t.sig.lock().pending.discard(discard);
        }
        let blocked = threads
            .first()
            .map(|t| t.sig.lock().blocked)
            .unwrap_or(SigSet::EMPTY);
        if ps.handlers.discards_at_generation(sig, blocked, unkillable) {
            return Ok(());
        }
        ps.pending.post(info).map_err(|e| e.errno())?;
    }
    wake_threads(p);
    crate::fs::signalfd::signal_posted();
    Ok(())
}

/// Send a signal to one thread (tkill/tgkill, faults).
pub fn send_to_thread(t: &Arc<Task>, info: SigInfo) -> Result<(), Errno> {
    let p = t.process.clone();
    let sig = info.signo;
    if sig == SIGKILL || sig == SIGSTOP || sig == SIGCONT {
        return send_to_process(&p, info);
    }
    {
        let ps = p.signals.lock();
        let mut ts = t.sig.lock();
        if ps
            .handlers
            .discards_at_generation(sig, ts.blocked, p.pid == 1)
        {
            return Ok(());
        }
        ts.pending.post(info).map_err(|e| e.errno())?;
    }
    t.attention();
    sched::wake(t);
    crate::fs::signalfd::signal_posted();
    Ok(())
}

fn regs_of(frame: &TrapFrame, fs_base: u64) -> UserRegs {
    UserRegs {
        r8: frame.r8,
        r9: frame.r9,
        r10: frame.r10,
        r11: frame.r11,
        r12: frame.r12,
        r13: frame.r13,
        r14: frame.r14,
        r15: frame.r15,
        rdi: frame.rdi,
        rsi: frame.rsi,
        rbp: frame.rbp,
        rbx: frame.rbx,
        rdx: frame.rdx,
        rax: frame.rax,
        rcx: frame.rcx,
        rsp: frame.rsp,
        rip: frame.rip,
        eflags: frame.rflags,
        fs_base,
    }
}

fn apply_regs(frame: &mut TrapFrame, r: &UserRegs) {
    frame.r8 = r.r8;
    frame.r9 = r.r9;
    frame.r10 = r.r10;
    frame.r11 = r.r11;
    frame.r12 = r.r12;
    frame.r13 = r.r13;
    frame.r14 = r.r14;
    frame.r15 = r.r15;
    frame.rdi = r.rdi;
    frame.rsi = r.rsi;
    frame.rbp = r.rbp;
    frame.rbx = r.rbx;
    frame.rdx = r.rdx;
    frame.rax = r.rax;
    frame.rcx = r.rcx;
    frame.rsp = r.rsp;
    frame.rip = r.rip;
    frame.rflags = r.eflags;
}

/// On every return to user mode: leave if the process is ending, wait while it is stopped, and deliver pending
/// signals (running a handler, or taking the default action).
pub fn deliver(frame: &mut TrapFrame) {
    // Most returns have nothing to do: check the flag without taking a reference to the thread.
    let attention = sched::with_current(|task| task.needs_attention.swap(false, Ordering::AcqRel));
    if attention != Some(true) {
        return;
    }
    let Some(task) = sched::current() else { return };
    let p = task.process.clone();
    // The original syscall number, for restarts (the syscall entry keeps it in the error-code slot).
    let mut orig_rax = (frame.vector == SYSCALL_VECTOR).then_some(frame.error_code);
    let mut delivered_handler = false;
    loop {
        if p.is_exiting() {
            drop(task);
            drop(p);
            process::exit_thread();
        }
        if p.is_stopped() {
            CONTINUED.wait_uninterruptible(|| !p.is_stopped() || p.is_exiting());
            continue;
        }
        let info = {
            let mut ps = p.signals.lock();
            let mut ts = task.sig.lock();
            let blocked = ts.blocked;
            dequeue_for_thread(&mut ts.pending, &mut ps.pending, blocked)
        };
        let Some(info) = info else { break };
        let sig = info.signo;
        let disposition = p.signals.lock().handlers.take_for_delivery(sig);
        match disposition {
            Disposition::Ignore => {}
            Disposition::Terminate { core_dump: _ } => {
                drop(task);
                // No core file is written (RLIMIT_CORE is 0 by default), so the status has no "core dumped" bit,
                // exactly as on Linux with that limit.
                process::begin_exit(&p, sig.number() as i32);
                drop(p);
                process::exit_thread();
            }
            // Job-control stops do nothing in an orphaned process group; SIGSTOP always works (Linux's
            // get_signal).
            Disposition::Stop
                if sig != SIGSTOP && crate::tty::job::orphaned(p.pgid.load(Ordering::Relaxed)) => {}
            Disposition::Stop => {
                if p.set_stopped(true) {
                    p.note_stopped(sig.number() as i32);
                }
            }
            Disposition::Handle(action) => {
                run_handler(&task, frame, &info, &action, orig_rax);
                // Like Linux, keep going: another deliverable signal gets its frame on top of this one, so the
                // handler set up last runs first. Only the first frame may restart the interrupted call.
                orig_rax = None;
                delivered_handler = true;
            }
        }
    }
    if delivered_handler {
        return;
    }
    // No handler ran: a call that asked to be restarted runs again.
    if let Some(orig) = orig_rax {
        let mut regs = regs_of(frame, 0);
        restart_without_handler(&mut regs, orig);
        apply_regs(frame, &regs);
    }
    // rt_sigsuspend's mask ends here when no handler ran.
    let mut ts = task.sig.lock();
    if let Some(mask) = ts.saved_mask.take() {
        ts.blocked = mask;
    }
}

fn run_handler(
    task: &Arc<Task>,
    frame: &mut TrapFrame,
    info: &SigInfo,
    action: &SigAction,
    orig_rax: Option<u64>,
) {
    let sig = info.signo;
    let mut regs = regs_of(frame, switch::fs_base());
    if let Some(orig) = orig_rax {
        restart_for_handler(&mut regs, orig, action);
    }
    let mut fpu = task.fpu.lock().clone();
    fpu.save();
    let trap = if frame.vector < 32 {
        TrapState {
            trapno: frame.vector,
            err: frame.error_code,
            cr2: x86_64::registers::control::Cr2::read_raw(),
        }
    } else {
        TrapState::default()
    };
    let (blocked, altstack) = {
        let ts = task.sig.lock();
        (ts.saved_mask.unwrap_or(ts.blocked), ts.altstack)
    };
    let built = build_rt_sigframe(
        &regs,
        info,
        blocked,
        &altstack,
        action,
        FpuImage {
            format: fpu_format(),
            bytes: fpu.bytes(),
        },
        trap,
    );
    let frame_ok = match &built {
        Ok(f) => usercopy::copy_to_user(f.frame_addr, &f.bytes).is_ok(),
        Err(_) => false,
    };
    let Ok(sigframe) = built.map_err(|_| ()) else {
        return force_sigsegv(task);
    };
    if !frame_ok {
        return force_sigsegv(task);
    }
    let new_regs = sigframe.handler_regs(&regs);
    apply_regs(frame, &new_regs);
    frame.vector = FULL_RESTORE_VECTOR;
    {
        let mut ts = task.sig.lock();
        ts.saved_mask = None;
        ts.blocked = blocked_during_handler(blocked, sig, action);
        ts.altstack.disarm_on_delivery();
    }
    // The handler starts with a clean FPU state, as on Linux.
    let fresh = switch::FpuState::initial();
    fresh.restore();
    *task.fpu.lock() = fresh;
}

/// The signal frame could not be written: the process dies of SIGSEGV, as on Linux.
fn force_sigsegv(task: &Arc<Task>) {
    let p = task.process.clone();
    log::info!(
        "{}[{}]: bad signal frame, killed by SIGSEGV",
        p.name_string(),
        p.pid
    );
    process::begin_exit(&p, basalt_signal::SIGSEGV.number() as i32);
}

/// rt_sigreturn: restore what the handler interrupted.
pub fn sigreturn(frame: &mut TrapFrame) -> Result<usize, Errno> {
    let task = sched::current().ok_or(Errno::ESRCH)?;
    let frame_addr = frame.rsp.wrapping_sub(8);
    let mut bytes = [0u8; basalt_signal::RT_SIGFRAME_SIZE];
    if usercopy::copy_from_user(&mut bytes, frame_addr).is_err() {
        force_sigsegv(&task);
        return Err(Errno::EFAULT);
    }
    let current = regs_of(frame, switch::fs_base());
    let Ok(ret) = parse_rt_sigreturn(&bytes, &current) else {
        force_sigsegv(&task);
        return Err(Errno::EFAULT);
    };
    let fpu = match ret.fpstate_addr {
        None => switch::FpuState::initial(),
        Some(addr) => {
            let mut read = |at: u64, buf: &mut [u8]| usercopy::copy_from_user(buf, at).is_ok();
            let image = read_sigreturn_fpstate(fpu_format(), addr, mxcsr_mask(), &mut read);
            match image
                .ok()
                .and_then(|image| switch::FpuState::from_image(&image))
            {
                Some(state) => state,
                None => {
                    force_sigsegv(&task);
                    return Err(Errno::EFAULT);
                }
            }
        }
    };
    fpu.restore();
    *task.fpu.lock() = fpu;
    {
        let mut ts = task.sig.lock();
        ts.blocked = ret.blocked;
        ts.altstack.restore_from_frame(ret.altstack, ret.regs.rsp);
    }
    task.attention();
    apply_regs(frame, &ret.regs);
    frame.vector = FULL_RESTORE_VECTOR;
    Ok(ret.regs.rax as usize)
}

fn read_sigset(addr: u64) -> Result<SigSet, Errno> {
    let mut b = [0u8; 8];
    usercopy::copy_from_user(&mut b, addr)?;
    Ok(SigSet::from_user_bytes(b))
}

pub fn rt_sigaction(sig: u64, act: u64, oldact: u64, sigsetsize: u64) -> Result<usize, Errno> {
    let p = process::current().ok_or(Errno::ESRCH)?;
    let new = if act != 0 {
        let mut b = [0u8; 32];
        usercopy::copy_from_user(&mut b, act)?;
        Some(SigAction::from_user_bytes(&b))
    } else {
        None
    };
    let change = p
        .signals
        .lock()
        .handlers
        .rt_sigaction(sig, new, sigsetsize)
        .map_err(|e| e.errno())?;
    if !change.discard.is_empty() {
        p.signals.lock().pending.discard(change.discard);
        for t in p.threads_snapshot() {
            t.sig.lock().pending.discard(change.discard);
        }
    }
    if oldact != 0 {
        usercopy::copy_to_user(oldact, &change.old.to_user_bytes())?;
    }
    Ok(0)
}

pub fn rt_sigprocmask(how: u64, set: u64, oldset: u64, sigsetsize: u64) -> Result<usize, Errno> {
    let task = sched::current().ok_or(Errno::ESRCH)?;
    let new_set = if set != 0 {
        Some(read_sigset(set)?)
    } else {
        None
    };
    let current = task.sig.lock().blocked;
    let new =
        basalt_signal::rt_sigprocmask(current, how, new_set, sigsetsize).map_err(|e| e.errno())?;
    if oldset != 0 {
        usercopy::copy_to_user(oldset, &current.to_user_bytes())?;
    }
    task.sig.lock().blocked = new;
    task.attention();
    Ok(0)
}

pub fn rt_sigpending(set: u64, sigsetsize: u64) -> Result<usize, Errno> {
    if sigsetsize > 8 {
        return Err(Errno::EINVAL);
    }
    let task = sched::current().ok_or(Errno::ESRCH)?;
    let pending = {
        let ps = task.process.signals.lock();
        let ts = task.sig.lock();
        (ps.pending.signals() | ts.pending.signals()) & ts.blocked
    };
    usercopy::copy_to_user(set, &pending.to_user_bytes()[..sigsetsize as usize])?;
    Ok(0)
}

/// Linux's `check_kill_permission` for a signal from a user process (si_code <= 0): another process may be
/// signalled when [`Cred::may_signal`] allows it, or with SIGCONT inside the sender's session; EPERM otherwise.
pub fn check_kill_permission(
    sender: &Process,
    creds: &Cred,
    target: &Process,
    sig: u64,
) -> Result<(), Errno> {
    if core::ptr::eq(sender, target) || creds.may_signal(&target.creds.get()) {
        return Ok(());
    }
    let same_session = target.sid.load(Ordering::Relaxed) == sender.sid.load(Ordering::Relaxed);
    if sig == u64::from(SIGCONT.number()) && same_session {
        return Ok(());
    }
    Err(Errno::EPERM)
}

/// kill(pid, sig): one process, a process group, or everyone (pid -1).
pub fn kill(pid: i32, sig: u64) -> Result<usize, Errno> {
    let me = process::current().ok_or(Errno::ESRCH)?;
    let signal = if sig == 0 {
        None
    } else {
        Some(Signal::from_syscall_arg(sig).map_err(|e| e.errno())?)
    };
    let targets: alloc::vec::Vec<Arc<Process>> = match pid {
        p if p > 0 => alloc::vec![process::find(p as u32)
            .filter(|t| t.pid == p as u32)
            .ok_or(Errno::ESRCH)?],
        0 => process::in_group(me.pgid.load(Ordering::Relaxed)),
        -1 => process::all()
            .into_iter()
            .filter(|t| t.pid != 1 && t.pid != me.pid)
            .collect(),
        p => process::in_group(p.unsigned_abs()),
    };
    if targets.is_empty() {
        return Err(Errno::ESRCH);
    }
    let creds = super::cred::current();
    let send = |t: &Arc<Process>| -> Result<(), Errno> {
        check_kill_permission(&me, &creds, t, sig)?;
        match signal {
            Some(signal) => send_to_process(t, SigInfo::kill(signal, me.pid as i32, creds.uid)),
            None => Ok(()),
        }
    };
    // One process: its result. Everyone (-1): like Linux, processes that may not be signalled are skipped
    // without failing the call. A group: success if any member got it, else the last error.
    let mut outcome = Ok(());
    let mut any_sent = false;
    for t in &targets {
        let r = send(t);
        any_sent |= r.is_ok();
        if pid != -1 || r != Err(Errno::EPERM) {
            outcome = r;
        }
    }
    if pid <= 0 && pid != -1 && any_sent {
        outcome = Ok(());
    }
    outcome.map(|()| 0)
}

/// tgkill(tgid, tid, sig) / tkill(tid, sig) (tgid < 0 means "any").
pub fn tgkill(tgid: i32, tid: i32, sig: u64) -> Result<usize, Errno> {
    if tid <= 0 || (tgid != -1 && tgid <= 0) {
        return Err(Errno::EINVAL);
    }
    let me = process::current().ok_or(Errno::ESRCH)?;
    let signal = if sig == 0 {
        None
    } else {
        Some(Signal::from_syscall_arg(sig).map_err(|e| e.errno())?)
    };
    let target = process::find_thread(tid as u32).ok_or(Errno::ESRCH)?;
    if tgid > 0 && target.process.pid != tgid as u32 {
        return Err(Errno::ESRCH);
    }
    let creds = super::cred::current();
    check_kill_permission(&me, &creds, &target.process, sig)?;
    if let Some(signal) = signal {
        send_to_thread(&target, SigInfo::tkill(signal, me.pid as i32, creds.uid))?;
    }
    Ok(0)
}

pub fn sigaltstack(frame: &TrapFrame, new: u64, old: u64) -> Result<usize, Errno> {
    let task = sched::current().ok_or(Errno::ESRCH)?;
    let new = if new != 0 {
        let mut b = [0u8; 24];
        usercopy::copy_from_user(&mut b, new)?;
        Some(StackT::from_user_bytes(&b))
    } else {
        None
    };
    let previous = task
        .sig
        .lock()
        .altstack
        .sigaltstack(new, frame.rsp)
        .map_err(|e| e.errno())?;
    if old != 0 {
        usercopy::copy_to_user(old, &previous.to_user_bytes())?;
    }
    Ok(0)
}

/// rt_sigsuspend: wait with a temporary mask until a signal is delivered; always "fails" with EINTR.
pub fn rt_sigsuspend(mask: u64, sigsetsize: u64) -> Result<usize, Errno> {
    if sigsetsize != 8 {
        return Err(Errno::EINVAL);
    }
    let task = sched::current().ok_or(Errno::ESRCH)?;
    let temporary = read_sigset(mask)?.blockable();
    {
        let mut ts = task.sig.lock();
        let old = ts.blocked;
        ts.saved_mask = Some(old);
        ts.blocked = temporary;
    }
    task.attention();
    wait_for_signal(&task);
    Err(Errno::EINTR)
}

/// pause: wait until a signal is delivered.
pub fn pause() -> Result<usize, Errno> {
    let task = sched::current().ok_or(Errno::ESRCH)?;
    wait_for_signal(&task);
    Err(Errno::EINTR)
}

static NEVER: WaitQueue = WaitQueue::new();

fn wait_for_signal(task: &Arc<Task>) {
    let _ = NEVER.wait_until(|| (has_deliverable(task) || task.process.is_exiting()).then_some(()));
}

/// rt_sigtimedwait(set, info, timeout, sigsetsize): take one of `set` without running its handler.
pub fn rt_sigtimedwait(
    set: u64,
    info_ptr: u64,
    timeout: u64,
    sigsetsize: u64,
) -> Result<usize, Errno> {
    if sigsetsize != 8 {
        return Err(Errno::EINVAL);
    }
    let task = sched::current().ok_or(Errno::ESRCH)?;
    let wanted = read_sigset(set)?.blockable();
    let deadline = if timeout != 0 {
        let requested_ns = crate::time::timespec_from_user(timeout)?;
        Some(crate::time::monotonic_ns().saturating_add(requested_ns))
    } else {
        None
    };
    let not_wanted =
        SigSet::from_user_bytes((!u64::from_le_bytes(wanted.to_user_bytes())).to_le_bytes());
    loop {
        let got = {
            let mut ps = task.process.signals.lock();
            let mut ts = task.sig.lock();
            dequeue_for_thread(&mut ts.pending, &mut ps.pending, not_wanted)
        };
        if let Some(info) = got {
            if info_ptr != 0 {
                usercopy::copy_to_user(info_ptr, &info.to_user_bytes())?;
            }
            return Ok(info.signo.number() as usize);
        }
        if has_deliverable(&task) || task.process.is_exiting() {
            return Err(Errno::EINTR);
        }
        match deadline {
            Some(d) if crate::time::monotonic_ns() >= d => return Err(Errno::EAGAIN),
            Some(d) => {
                sched::sleep_until(d.min(crate::time::monotonic_ns() + 10_000_000));
            }
            None => {
                sched::sleep_until(crate::time::monotonic_ns() + 10_000_000);
            }
        }
    }
}

/// Notify a parent that a child ended with the child's exit signal (SIGCHLD unless ignored; another signal, or none
/// for 0 or an invalid number). Returns true if the child should be reaped at once (SIGCHLD children only: the
/// parent ignores SIGCHLD or set SA_NOCLDWAIT).
pub fn notify_parent_of_exit(
    parent: &Arc<Process>,
    child_pid: u32,
    status: i32,
    exit_signal: u8,
) -> bool {
    let policy = parent.signals.lock().handlers.child_exit_policy();
    let sigchld = exit_signal == process::SIGCHLD;
    let signal = if sigchld {
        policy.send_sigchld.then_some(basalt_signal::SIGCHLD)
    } else {
        Signal::new(u32::from(exit_signal))
    };
    if let Some(signal) = signal {
        let (code, value) = if status & 0x7f == 0 {
            (basalt_signal::code::CLD_EXITED, (status >> 8) & 0xff)
        } else if status & 0x80 != 0 {
            (basalt_signal::code::CLD_DUMPED, status & 0x7f)
        } else {
            (basalt_signal::code::CLD_KILLED, status & 0x7f)
        };
        // si_uid is the child's real uid.
        let uid = process::find(child_pid).map_or(0, |c| c.creds.get().uid);
        let mut info = SigInfo::child(code, child_pid as i32, uid, value, 0, 0);
        info.signo = signal;
        let _ = send_to_process(parent, info);
    }
    sigchld && policy.autoreap
}

/// A stop or continue of a child, for its parent (SIGCHLD when asked for).
pub fn notify_parent_of_stop(parent: &Arc<Process>, child_pid: u32, code: i32, sig: i32) {
    if parent.signals.lock().handlers.notify_on_child_stop() {
        let _ = send_to_process(parent, SigInfo::child(code, child_pid as i32, 0, sig, 0, 0));
    }
}

/// exec: caught signals go back to their default action; the mask and ignored signals stay.
pub fn reset_for_exec(task: &Task) {
    task.process.signals.lock().handlers.reset_for_exec();
    task.sig.lock().altstack = AltStack::NONE;
}

/// A fault in user mode (SIGSEGV, SIGFPE, ...): like Linux's force_sig_fault, a blocked or ignored fault signal is
/// unblocked and reset to its default action so the program cannot loop on the faulting instruction.
pub fn force_fault(task: &Arc<Task>, info: SigInfo) {
    let sig = info.signo;
    let mut ps = task.process.signals.lock();
    let mut ts = task.sig.lock();
    if ts.blocked.contains(sig) || ps.handlers.is_ignored(sig) {
        ts.blocked.remove(sig);
        let _ = ps.handlers.set(sig, Some(SigAction::DEFAULT));
    }
    let _ = ts.pending.post(info);
    task.attention();
}
