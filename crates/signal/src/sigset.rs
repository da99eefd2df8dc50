//! `sigset_t` as the kernel sees it on x86_64: one 64-bit word, bit `n - 1`
//! standing for signal `n`.

use core::fmt;
use core::ops::{BitAnd, BitOr, Not, Sub};

use crate::signal::{Signal, NSIG, SIGCONT, SIGKILL, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU};
use crate::signal::{SIGBUS, SIGFPE, SIGILL, SIGSEGV, SIGSYS, SIGTRAP};

/// The size in bytes of the kernel's `sigset_t`; `rt_sig*` calls insist on it.
pub const SIGSET_SIZE: u64 = 8;

/// A set of signals; bit `n - 1` is signal `n`.
#[derive(Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct SigSet(pub u64);

impl SigSet {
    /// No signals.
    pub const EMPTY: SigSet = SigSet(0);
    /// All 64 signals.
    pub const FULL: SigSet = SigSet(u64::MAX);
    /// SIGKILL and SIGSTOP, which can never be blocked, caught or ignored.
    pub const UNBLOCKABLE: SigSet = SigSet(SIGKILL.bit() | SIGSTOP.bit());
    /// The job-control stop signals (STOP, TSTP, TTIN, TTOU).
    pub const STOP_SIGNALS: SigSet =
        SigSet(SIGSTOP.bit() | SIGTSTP.bit() | SIGTTIN.bit() | SIGTTOU.bit());
    /// Just SIGCONT.
    pub const CONTINUE: SigSet = SigSet(SIGCONT.bit());
    /// Fault signals, dequeued before all others (Linux's `SYNCHRONOUS_MASK`).
    pub const SYNCHRONOUS: SigSet = SigSet(
        SIGSEGV.bit() | SIGBUS.bit() | SIGILL.bit() | SIGTRAP.bit() | SIGFPE.bit() | SIGSYS.bit(),
    );

    /// The set holding just `sig`.
    pub const fn only(sig: Signal) -> SigSet {
        SigSet(sig.bit())
    }

    /// Whether `sig` is in the set.
    pub const fn contains(self, sig: Signal) -> bool {
        self.0 & sig.bit() != 0
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Adds `sig`.
    pub fn insert(&mut self, sig: Signal) {
        self.0 |= sig.bit();
    }

    /// Removes `sig`.
    pub fn remove(&mut self, sig: Signal) {
        self.0 &= !sig.bit();
    }

    /// The same set without SIGKILL and SIGSTOP: what a blocked mask may hold.
    pub const fn blockable(self) -> SigSet {
        SigSet(self.0 & !Self::UNBLOCKABLE.0)
    }

    /// The lowest-numbered signal in the set.
    pub fn lowest(self) -> Option<Signal> {
        if self.0 == 0 {
            None
        } else {
            Signal::new(self.0.trailing_zeros() + 1)
        }
    }

    /// The signals in increasing order.
    pub fn iter(self) -> impl Iterator<Item = Signal> {
        Signal::all().filter(move |sig| self.contains(*sig))
    }

    /// Decodes a user `sigset_t` (8 bytes, little-endian).
    pub const fn from_user_bytes(bytes: [u8; 8]) -> SigSet {
        SigSet(u64::from_le_bytes(bytes))
    }

    /// Encodes as a user `sigset_t`.
    pub const fn to_user_bytes(self) -> [u8; 8] {
        self.0.to_le_bytes()
    }

    /// Number of signals in the set.
    pub const fn len(self) -> u32 {
        self.0.count_ones()
    }
}

impl FromIterator<Signal> for SigSet {
    fn from_iter<I: IntoIterator<Item = Signal>>(iter: I) -> SigSet {
        let mut set = SigSet::EMPTY;
        for sig in iter {
            set.insert(sig);
        }
        set
    }
}

impl BitOr for SigSet {
    type Output = SigSet;
    fn bitor(self, rhs: SigSet) -> SigSet {
        SigSet(self.0 | rhs.0)
    }
}

impl BitAnd for SigSet {
    type Output = SigSet;
    fn bitand(self, rhs: SigSet) -> SigSet {
        SigSet(self.0 & rhs.0)
    }
}

/// Set difference: the signals of `self` that are not in `rhs`.
impl Sub for SigSet {
    type Output = SigSet;
    fn sub(self, rhs: SigSet) -> SigSet {
        SigSet(self.0 & !rhs.0)
    }
}

impl Not for SigSet {
    type Output = SigSet;
    fn not(self) -> SigSet {
        SigSet(!self.0)
    }
}

impl fmt::Debug for SigSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == u64::MAX {
            return f.write_str("SigSet(FULL)");
        }
        f.write_str("SigSet{")?;
        for (i, sig) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(sig.name())?;
        }
        f.write_str("}")
    }
}

// Keeps NSIG and the word width in step: a wider sigset would need more words.
const _: () = assert!(NSIG == u64::BITS);
