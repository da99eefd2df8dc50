//! What a parent learns about a child: wait status words and the siginfo of
//! SIGCHLD and `waitid`.

use crate::siginfo::{code, SigInfo};
use crate::signal::{Signal, SIGCONT};

/// Clock ticks per second in `si_utime`/`si_stime` and `times()` (USER_HZ).
pub const USER_HZ: u64 = 100;

/// Status of a child that called `exit(code)`: `WIFEXITED`, `WEXITSTATUS` = `code & 0xff`.
pub const fn exit_status(code: i32) -> i32 {
    (code & 0xff) << 8
}

/// Status of a child killed by `sig`: `WIFSIGNALED`, `WTERMSIG`, `WCOREDUMP` (0x80).
pub const fn signaled_status(sig: Signal, core_dumped: bool) -> i32 {
    sig.number() as i32 | if core_dumped { 0x80 } else { 0 }
}

/// Status of a child stopped by `sig`: `WIFSTOPPED`, `WSTOPSIG` (low byte 0x7f).
pub const fn stopped_status(sig: Signal) -> i32 {
    ((sig.number() as i32) << 8) | 0x7f
}

/// Status of a stopped child that was continued: `WIFCONTINUED` (0xffff).
pub const fn continued_status() -> i32 {
    0xffff
}

/// Converts CPU time in nanoseconds to clock ticks ([`USER_HZ`]), rounding
/// down as Linux's `nsec_to_clock_t` does.
pub const fn ns_to_clock_ticks(ns: u64) -> i64 {
    (ns / (1_000_000_000 / USER_HZ)) as i64
}

/// What happened to a child.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ChildState {
    /// It exited with this code (the low 8 bits count).
    Exited(i32),
    /// A signal ended it.
    Killed(Signal),
    /// A signal ended it and it dumped core.
    Dumped(Signal),
    /// A signal stopped it.
    Stopped(Signal),
    /// SIGCONT resumed it.
    Continued,
}

impl ChildState {
    /// The status word `wait4` stores.
    pub const fn wait_status(self) -> i32 {
        match self {
            ChildState::Exited(code) => exit_status(code),
            ChildState::Killed(sig) => signaled_status(sig, false),
            ChildState::Dumped(sig) => signaled_status(sig, true),
            ChildState::Stopped(sig) => stopped_status(sig),
            ChildState::Continued => continued_status(),
        }
    }

    /// The `si_code` (CLD_*) of SIGCHLD and `waitid`.
    pub const fn si_code(self) -> i32 {
        match self {
            ChildState::Exited(_) => code::CLD_EXITED,
            ChildState::Killed(_) => code::CLD_KILLED,
            ChildState::Dumped(_) => code::CLD_DUMPED,
            ChildState::Stopped(_) => code::CLD_STOPPED,
            ChildState::Continued => code::CLD_CONTINUED,
        }
    }

    /// `si_status`: the exit code (low 8 bits) or the signal number
    /// (SIGCONT for a continued child).
    pub const fn si_status(self) -> i32 {
        match self {
            ChildState::Exited(code) => code & 0xff,
            ChildState::Killed(sig) | ChildState::Dumped(sig) | ChildState::Stopped(sig) => {
                sig.number() as i32
            }
            ChildState::Continued => SIGCONT.number() as i32,
        }
    }
}

/// A child's state change as reported to its parent.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ChildEvent {
    /// What happened.
    pub state: ChildState,
    /// The child's pid (in the parent's namespace).
    pub pid: i32,
    /// The child's real uid.
    pub uid: u32,
    /// User CPU time in nanoseconds (the child's, plus its reaped children's on exit).
    pub utime_ns: u64,
    /// System CPU time in nanoseconds.
    pub stime_ns: u64,
}

impl ChildEvent {
    /// The siginfo of the SIGCHLD sent to the parent (`do_notify_parent`),
    /// with the CPU times in clock ticks.
    pub fn sigchld_info(&self) -> SigInfo {
        SigInfo::child(
            self.state.si_code(),
            self.pid,
            self.uid,
            self.state.si_status(),
            ns_to_clock_ticks(self.utime_ns),
            ns_to_clock_ticks(self.stime_ns),
        )
    }

    /// What `waitid` stores. Linux writes only `si_signo` (SIGCHLD), `si_errno`,
    /// `si_code`, `si_pid`, `si_uid` and `si_status`: the caller should copy just
    /// those (the first 28 bytes) and leave the user's other bytes alone; here
    /// the times are zero.
    pub fn waitid_info(&self) -> SigInfo {
        SigInfo::child(
            self.state.si_code(),
            self.pid,
            self.uid,
            self.state.si_status(),
            0,
            0,
        )
    }
}

/// How many bytes of `siginfo_t` `waitid` writes (through `si_status`).
pub const WAITID_INFO_BYTES: usize = 28;
