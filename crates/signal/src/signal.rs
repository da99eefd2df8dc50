//! Signal numbers, names and the default action of each signal.

use core::fmt;

use crate::error::SignalError;

/// The number of signals Linux x86_64 has (`_NSIG`).
pub const NSIG: u32 = 64;

/// A valid signal number, 1 to 64 inclusive.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Signal(u8);

/// What the kernel does with a signal whose handler is `SIG_DFL`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DefaultAction {
    /// End the process.
    Terminate,
    /// End the process and report a core dump in the wait status.
    CoreDump,
    /// Stop the process (job control).
    Stop,
    /// Continue a stopped process; otherwise ignored.
    Continue,
    /// Discard the signal.
    Ignore,
}

macro_rules! signals {
    ($($(#[$doc:meta])* $name:ident = $num:literal;)*) => {
        $($(#[$doc])* pub const $name: Signal = Signal($num);)*
        /// Names of the standard signals 1..=31, index = number - 1.
        const STANDARD_NAMES: [&str; 31] = [$(stringify!($name)),*];
    };
}

signals! {
    /// Hangup.
    SIGHUP = 1;
    /// Interrupt from the keyboard.
    SIGINT = 2;
    /// Quit from the keyboard.
    SIGQUIT = 3;
    /// Illegal instruction.
    SIGILL = 4;
    /// Trace or breakpoint trap.
    SIGTRAP = 5;
    /// `abort()`; also known as SIGIOT.
    SIGABRT = 6;
    /// Bus error (bad memory access).
    SIGBUS = 7;
    /// Arithmetic exception.
    SIGFPE = 8;
    /// Kill; cannot be caught, blocked or ignored.
    SIGKILL = 9;
    /// User-defined signal 1.
    SIGUSR1 = 10;
    /// Invalid memory reference.
    SIGSEGV = 11;
    /// User-defined signal 2.
    SIGUSR2 = 12;
    /// Write to a pipe with no readers.
    SIGPIPE = 13;
    /// Timer signal from `alarm`/`ITIMER_REAL`.
    SIGALRM = 14;
    /// Termination request.
    SIGTERM = 15;
    /// Coprocessor stack fault (unused on x86).
    SIGSTKFLT = 16;
    /// Child stopped, continued or ended.
    SIGCHLD = 17;
    /// Continue if stopped.
    SIGCONT = 18;
    /// Stop; cannot be caught, blocked or ignored.
    SIGSTOP = 19;
    /// Stop typed at the terminal.
    SIGTSTP = 20;
    /// Terminal input for a background process.
    SIGTTIN = 21;
    /// Terminal output for a background process.
    SIGTTOU = 22;
    /// Urgent condition on a socket.
    SIGURG = 23;
    /// CPU time limit exceeded.
    SIGXCPU = 24;
    /// File size limit exceeded.
    SIGXFSZ = 25;
    /// Virtual alarm clock.
    SIGVTALRM = 26;
    /// Profiling timer expired.
    SIGPROF = 27;
    /// Window size change.
    SIGWINCH = 28;
    /// I/O now possible; also known as SIGPOLL.
    SIGIO = 29;
    /// Power failure.
    SIGPWR = 30;
    /// Bad system call.
    SIGSYS = 31;
}

/// `SIGIOT`, the old name of [`SIGABRT`].
pub const SIGIOT: Signal = SIGABRT;
/// `SIGPOLL`, the System V name of [`SIGIO`].
pub const SIGPOLL: Signal = SIGIO;
/// The first real-time signal as the kernel numbers them (32). glibc and musl
/// reserve 32 and 33 for themselves and report `SIGRTMIN` as 34
/// ([`SIGRTMIN_LIBC`]); to the kernel every signal from 32 on is real-time.
pub const SIGRTMIN: Signal = Signal(32);
/// The `SIGRTMIN` that C programs see with glibc or musl (34).
pub const SIGRTMIN_LIBC: Signal = Signal(34);
/// The last real-time signal (64).
pub const SIGRTMAX: Signal = Signal(64);

/// Names of the real-time signals 32..=63, index = number - 32, relative to the
/// kernel's SIGRTMIN (32) and SIGRTMAX (64) in the style of `kill -l`.
const REALTIME_NAMES: [&str; 32] = [
    "SIGRTMIN",
    "SIGRTMIN+1",
    "SIGRTMIN+2",
    "SIGRTMIN+3",
    "SIGRTMIN+4",
    "SIGRTMIN+5",
    "SIGRTMIN+6",
    "SIGRTMIN+7",
    "SIGRTMIN+8",
    "SIGRTMIN+9",
    "SIGRTMIN+10",
    "SIGRTMIN+11",
    "SIGRTMIN+12",
    "SIGRTMIN+13",
    "SIGRTMIN+14",
    "SIGRTMIN+15",
    "SIGRTMIN+16",
    "SIGRTMAX-15",
    "SIGRTMAX-14",
    "SIGRTMAX-13",
    "SIGRTMAX-12",
    "SIGRTMAX-11",
    "SIGRTMAX-10",
    "SIGRTMAX-9",
    "SIGRTMAX-8",
    "SIGRTMAX-7",
    "SIGRTMAX-6",
    "SIGRTMAX-5",
    "SIGRTMAX-4",
    "SIGRTMAX-3",
    "SIGRTMAX-2",
    "SIGRTMAX-1",
];

impl Signal {
    /// The signal numbered `number`, if it is 1..=64.
    pub const fn new(number: u32) -> Option<Signal> {
        if number >= 1 && number <= NSIG {
            Some(Signal(number as u8))
        } else {
            None
        }
    }

    /// The signal named by a system call's `int sig` argument. Linux reads the
    /// register as a C `int`, so the upper 32 bits are ignored as they are there.
    pub fn from_syscall_arg(raw: u64) -> Result<Signal, SignalError> {
        let as_int = raw as u32 as i32;
        u32::try_from(as_int)
            .ok()
            .and_then(Signal::new)
            .ok_or(SignalError::InvalidSignal(as_int))
    }

    /// The signal number, 1..=64.
    pub const fn number(self) -> u32 {
        self.0 as u32
    }

    /// This signal's bit in a [`crate::SigSet`] (bit `n - 1`).
    pub const fn bit(self) -> u64 {
        1u64 << (self.0 - 1)
    }

    /// The name, e.g. `"SIGINT"`; real-time signals are named relative to the
    /// kernel's SIGRTMIN (32): `"SIGRTMIN+2"` is signal 34.
    pub const fn name(self) -> &'static str {
        let n = self.0 as usize;
        if n <= 31 {
            STANDARD_NAMES[n - 1]
        } else if n == 64 {
            "SIGRTMAX"
        } else {
            REALTIME_NAMES[n - 32]
        }
    }

    /// Whether this is a real-time signal (32..=64): those queue every
    /// instance instead of coalescing.
    pub const fn is_realtime(self) -> bool {
        self.0 >= 32
    }

    /// SIGKILL and SIGSTOP: never caught, ignored or blocked.
    pub const fn is_kernel_only(self) -> bool {
        self.0 == SIGKILL.0 || self.0 == SIGSTOP.0
    }

    /// The job-control stop signals: SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU.
    pub const fn is_stop(self) -> bool {
        matches!(self.0, 19..=22)
    }

    /// The signals that faults raise (SEGV, BUS, ILL, TRAP, FPE, SYS), which
    /// Linux dequeues before any other pending signal.
    pub const fn is_synchronous(self) -> bool {
        matches!(self.0, 4 | 5 | 7 | 8 | 11 | 31)
    }

    /// The action of `SIG_DFL`, from Linux's table in kernel/signal.c.
    pub const fn default_action(self) -> DefaultAction {
        match self.0 {
            3 | 4 | 5 | 6 | 7 | 8 | 11 | 24 | 25 | 31 => DefaultAction::CoreDump,
            19..=22 => DefaultAction::Stop,
            18 => DefaultAction::Continue,
            17 | 23 | 28 => DefaultAction::Ignore,
            _ => DefaultAction::Terminate,
        }
    }

    /// Whether `SIG_DFL` discards the signal (Linux's `sig_kernel_ignore`:
    /// CHLD, URG, WINCH, and CONT, whose continuing happens when it is sent).
    pub const fn default_is_ignore(self) -> bool {
        matches!(
            self.default_action(),
            DefaultAction::Ignore | DefaultAction::Continue
        )
    }

    /// All 64 signals in increasing order.
    pub fn all() -> impl Iterator<Item = Signal> {
        (1..=NSIG as u8).map(Signal)
    }
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.name(), self.0)
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
