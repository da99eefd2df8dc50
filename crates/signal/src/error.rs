//! Errors of the signal system calls, each mapped to the errno Linux returns.

use core::fmt;

use basalt_linux_abi::Errno;

use crate::signal::Signal;

/// Why a signal-related request was refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SignalError {
    /// The signal number is not 1..=64 (EINVAL).
    InvalidSignal(i32),
    /// SIGKILL or SIGSTOP cannot be given an action (EINVAL).
    Uncatchable(Signal),
    /// The `sigsetsize` argument is not 8 (EINVAL).
    BadSigsetSize(u64),
    /// `rt_sigprocmask` `how` is not SIG_BLOCK, SIG_UNBLOCK or SIG_SETMASK (EINVAL).
    BadHow(i32),
    /// The real-time signal queue is full (EAGAIN).
    QueueFull(Signal),
    /// `sigaltstack` while running on the alternate stack (EPERM).
    OnAltStack,
    /// `sigaltstack` flags other than SS_ONSTACK, SS_DISABLE, SS_AUTODISARM (EINVAL).
    BadAltStackFlags(i32),
    /// The alternate stack is smaller than MINSIGSTKSZ (ENOMEM).
    AltStackTooSmall(u64),
    /// A user `siginfo_t` with a code Linux does not know uses bytes past the
    /// kernel's 48 (E2BIG).
    SiginfoTooBig,
    /// A `timeval` with a negative field or `tv_usec` of a million or more (EINVAL).
    BadTimeval,
    /// An interval timer other than ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF (EINVAL).
    BadTimerWhich(i32),
}

impl SignalError {
    /// The errno Linux returns for this case.
    pub const fn errno(self) -> Errno {
        match self {
            SignalError::InvalidSignal(_)
            | SignalError::Uncatchable(_)
            | SignalError::BadSigsetSize(_)
            | SignalError::BadHow(_)
            | SignalError::BadAltStackFlags(_)
            | SignalError::BadTimeval
            | SignalError::BadTimerWhich(_) => Errno::EINVAL,
            SignalError::QueueFull(_) => Errno::EAGAIN,
            SignalError::OnAltStack => Errno::EPERM,
            SignalError::AltStackTooSmall(_) => Errno::ENOMEM,
            SignalError::SiginfoTooBig => Errno::E2BIG,
        }
    }
}

impl fmt::Display for SignalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignalError::InvalidSignal(n) => write!(f, "invalid signal number {n}"),
            SignalError::Uncatchable(sig) => write!(f, "{sig} cannot be caught or ignored"),
            SignalError::BadSigsetSize(size) => write!(f, "sigsetsize {size} is not 8"),
            SignalError::BadHow(how) => write!(f, "invalid sigprocmask how {how}"),
            SignalError::QueueFull(sig) => write!(f, "signal queue full for {sig}"),
            SignalError::OnAltStack => f.write_str("cannot change the alternate stack while on it"),
            SignalError::BadAltStackFlags(flags) => {
                write!(f, "invalid sigaltstack flags {flags:#x}")
            }
            SignalError::AltStackTooSmall(size) => {
                write!(f, "alternate stack of {size} bytes is below MINSIGSTKSZ")
            }
            SignalError::SiginfoTooBig => {
                f.write_str("siginfo with an unknown code uses bytes past the kernel's siginfo")
            }
            SignalError::BadTimeval => f.write_str("timeval out of range"),
            SignalError::BadTimerWhich(which) => write!(f, "invalid interval timer {which}"),
        }
    }
}

impl From<SignalError> for Errno {
    fn from(err: SignalError) -> Errno {
        err.errno()
    }
}
