//! Linux signal semantics for x86_64, as logic the kernel drives: signal
//! numbers and sets, actions (`rt_sigaction`), pending queues and dequeue
//! order, `rt_sigprocmask`, `siginfo_t`, the `rt_sigframe` a handler runs on
//! and its `rt_sigreturn`, `sigaltstack`, wait status words and ITIMER_REAL.
//! Byte layouts are Linux x86_64's (checked against the host in
//! `tests/host_linux.rs`); the kernel copies bytes to and from user memory.
//!
//! # Sending and delivering, in Linux's order
//! Sending `sig` to a process: discard [`generation_discards`] from every
//! pending queue of the target (and resume it for SIGCONT); drop the signal if
//! [`SigHandlers::discards_at_generation`]; otherwise [`Pending::post`] it to
//! the thread's or the shared queue. Delivering, on the way back to user space:
//! [`dequeue_for_thread`], [`SigHandlers::take_for_delivery`]; for a handler,
//! [`restart_for_handler`], [`build_rt_sigframe`] (any error: SIGSEGV), copy the
//! bytes, [`SigFrame::handler_regs`], [`blocked_during_handler`],
//! [`AltStack::disarm_on_delivery`]; with no handler run,
//! [`restart_without_handler`].
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;
#[cfg(test)]
extern crate std;

mod action;
mod altstack;
mod error;
mod fpstate;
mod frame;
mod itimer;
mod mask;
mod pending;
mod regs;
mod restart;
mod siginfo;
mod signal;
mod sigset;
mod wait;

pub use action::{
    blocked_during_handler, flags, ActionChange, ChildExitPolicy, Disposition, Handler, SigAction,
    SigHandlers, KERNEL_SIGACTION_SIZE,
};
pub use altstack::{
    AltStack, StackT, MINSIGSTKSZ, SS_AUTODISARM, SS_DISABLE, SS_ONSTACK, STACK_T_SIZE,
};
pub use error::SignalError;
pub use fpstate::{
    check_xsave_image, read_sigreturn_fpstate, write_sigframe_fpstate, FpuFormat, FpuImage,
    FP_XSTATE_MAGIC1, FP_XSTATE_MAGIC2, FP_XSTATE_MAGIC2_SIZE, MXCSR_DEFAULT, MXCSR_MASK_DEFAULT,
    XFEATURE_MASK_FPSSE, XFEATURE_MASK_YMM, XSAVE_HEADER, XSAVE_HEADER_SIZE,
};
pub use frame::{
    build_rt_sigframe, check_fxsave, offsets, parse_rt_sigreturn, FrameError, SigFrame, SigReturn,
    TrapState, FXSAVE_SIZE, RED_ZONE, RT_SIGFRAME_SIZE, UC_FP_XSTATE, UC_SIGCONTEXT_SS,
    UC_STRICT_RESTORE_SS,
};
pub use itimer::{
    check_which, ITimer, ITimerVal, RealTimer, Timeval, ITIMERVAL_SIZE, ITIMER_PROF, ITIMER_REAL,
    ITIMER_VIRTUAL, KTIME_MAX_NS, TIMEVAL_SIZE,
};
pub use mask::{generation_discards, rt_sigprocmask, SIG_BLOCK, SIG_SETMASK, SIG_UNBLOCK};
pub use pending::{dequeue_for_thread, Pending, PostOutcome, DEFAULT_QUEUE_LIMIT};
pub use regs::{
    UserRegs, FIX_EFLAGS, RFLAGS_AC, RFLAGS_AF, RFLAGS_CF, RFLAGS_DF, RFLAGS_IF, RFLAGS_OF,
    RFLAGS_PF, RFLAGS_RF, RFLAGS_SF, RFLAGS_TF, RFLAGS_ZF, USER_CS, USER_SS,
};
pub use restart::{restart_for_handler, restart_without_handler, Restart};
pub use siginfo::{check_user_code, code, SigInfo, KERNEL_SIGINFO_SIZE, SIGINFO_SIZE};
pub use signal::*;
pub use sigset::{SigSet, SIGSET_SIZE};
pub use wait::{
    continued_status, exit_status, ns_to_clock_ticks, signaled_status, stopped_status, ChildEvent,
    ChildState, USER_HZ, WAITID_INFO_BYTES,
};

#[cfg(test)]
mod tests_action;
#[cfg(test)]
mod tests_fpstate;
#[cfg(test)]
mod tests_frame;
#[cfg(test)]
mod tests_misc;
#[cfg(test)]
mod tests_pending;
