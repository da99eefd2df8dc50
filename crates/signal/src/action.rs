//! Signal actions (`struct kernel_sigaction`) and the per-process table of them,
//! with Linux's `rt_sigaction`, exec and delivery rules.

use crate::error::SignalError;
use crate::signal::{DefaultAction, Signal, SIGCHLD};
use crate::sigset::{SigSet, SIGSET_SIZE};

/// `sa_flags` bits (x86_64 values).
pub mod flags {
    /// SIGCHLD: do not report children stopping or continuing.
    pub const SA_NOCLDSTOP: u64 = 0x0000_0001;
    /// SIGCHLD: children do not become zombies; they are reaped automatically.
    pub const SA_NOCLDWAIT: u64 = 0x0000_0002;
    /// The handler takes `(sig, siginfo_t *, ucontext_t *)`.
    pub const SA_SIGINFO: u64 = 0x0000_0004;
    /// Tagged address bits in `si_addr` are kept (arm64; accepted on x86).
    pub const SA_EXPOSE_TAGBITS: u64 = 0x0000_0800;
    /// `sa_restorer` is valid; x86_64 signal delivery requires it.
    pub const SA_RESTORER: u64 = 0x0400_0000;
    /// Run the handler on the alternate signal stack.
    pub const SA_ONSTACK: u64 = 0x0800_0000;
    /// Restart interrupted system calls that allow it.
    pub const SA_RESTART: u64 = 0x1000_0000;
    /// Do not block the signal while its handler runs.
    pub const SA_NODEFER: u64 = 0x4000_0000;
    /// Reset the handler to SIG_DFL when the signal is delivered.
    pub const SA_RESETHAND: u64 = 0x8000_0000;
    /// The flags Linux keeps; `rt_sigaction` silently clears all others, so that
    /// programs can detect unsupported bits by reading the action back.
    pub const KNOWN: u64 = SA_NOCLDSTOP
        | SA_NOCLDWAIT
        | SA_SIGINFO
        | SA_EXPOSE_TAGBITS
        | SA_RESTORER
        | SA_ONSTACK
        | SA_RESTART
        | SA_NODEFER
        | SA_RESETHAND;
}

/// Size of `struct kernel_sigaction` on x86_64.
pub const KERNEL_SIGACTION_SIZE: usize = 32;

/// What happens when a signal is delivered (`sa_handler`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Handler {
    /// `SIG_DFL` (0): the signal's default action.
    Default,
    /// `SIG_IGN` (1): discard the signal.
    Ignore,
    /// A user function at this address.
    User(u64),
}

impl Handler {
    /// Decodes the raw `sa_handler` word.
    pub const fn from_raw(raw: u64) -> Handler {
        match raw {
            0 => Handler::Default,
            1 => Handler::Ignore,
            addr => Handler::User(addr),
        }
    }

    /// The raw `sa_handler` word.
    pub const fn to_raw(self) -> u64 {
        match self {
            Handler::Default => 0,
            Handler::Ignore => 1,
            Handler::User(addr) => addr,
        }
    }
}

/// One signal's action, as in `struct kernel_sigaction`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SigAction {
    /// The handler.
    pub handler: Handler,
    /// `SA_*` flags (see [`flags`]).
    pub flags: u64,
    /// Address of the code that calls `rt_sigreturn` (`sa_restorer`).
    pub restorer: u64,
    /// Signals blocked while the handler runs (in addition to the signal itself
    /// unless SA_NODEFER).
    pub mask: SigSet,
}

impl Default for SigAction {
    fn default() -> SigAction {
        SigAction::DEFAULT
    }
}

impl SigAction {
    /// SIG_DFL with no flags, restorer or mask: every action at boot and after exec.
    pub const DEFAULT: SigAction = SigAction {
        handler: Handler::Default,
        flags: 0,
        restorer: 0,
        mask: SigSet::EMPTY,
    };

    /// Decodes `struct kernel_sigaction { handler, flags, restorer, mask }`
    /// (offsets 0, 8, 16, 24). Every bit pattern is accepted here; the table
    /// applies Linux's clean-up when the action is installed.
    pub fn from_user_bytes(bytes: &[u8; KERNEL_SIGACTION_SIZE]) -> SigAction {
        let word = |i: usize| {
            let mut raw = [0u8; 8];
            raw.copy_from_slice(&bytes[i * 8..i * 8 + 8]);
            u64::from_le_bytes(raw)
        };
        SigAction {
            handler: Handler::from_raw(word(0)),
            flags: word(1),
            restorer: word(2),
            mask: SigSet(word(3)),
        }
    }

    /// Encodes as `struct kernel_sigaction`.
    pub fn to_user_bytes(&self) -> [u8; KERNEL_SIGACTION_SIZE] {
        let mut out = [0u8; KERNEL_SIGACTION_SIZE];
        let words = [
            self.handler.to_raw(),
            self.flags,
            self.restorer,
            self.mask.0,
        ];
        for (chunk, word) in out.chunks_exact_mut(8).zip(words) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        out
    }

    /// Whether `flag` (an `SA_*` bit) is set.
    pub const fn has(&self, flag: u64) -> bool {
        self.flags & flag != 0
    }
}

/// The result of a successful `rt_sigaction`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ActionChange {
    /// The previous action, for `oact`.
    pub old: SigAction,
    /// Signals the caller must now discard from every pending queue of the
    /// process (the shared one and each thread's): Linux flushes a signal whose
    /// action becomes "ignored". Empty when nothing is to be discarded.
    pub discard: SigSet,
}

/// What delivering a dequeued signal means (Linux's `get_signal`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Disposition {
    /// Nothing happens (SIG_IGN, or SIG_DFL of an ignore/continue signal).
    Ignore,
    /// Stop the process (SIG_DFL of a stop signal). Linux discards SIGTSTP,
    /// SIGTTIN and SIGTTOU instead when the process group is orphaned.
    Stop,
    /// End the process; `core_dump` for the core-dumping signals.
    Terminate {
        /// Whether the wait status reports a core dump.
        core_dump: bool,
    },
    /// Run the user handler with this action (as it was before SA_RESETHAND
    /// reset the table entry).
    Handle(SigAction),
}

/// Whether the parent is told about a child's exit, and how (`do_notify_parent`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ChildExitPolicy {
    /// Reap the child at once instead of leaving a zombie (SIGCHLD is SIG_IGN
    /// or has SA_NOCLDWAIT).
    pub autoreap: bool,
    /// Send SIGCHLD (not when SIGCHLD is SIG_IGN).
    pub send_sigchld: bool,
}

/// The 64 actions of a process (shared by its threads, copied by fork).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SigHandlers {
    actions: [SigAction; 64],
}

impl Default for SigHandlers {
    fn default() -> SigHandlers {
        SigHandlers::new()
    }
}

impl SigHandlers {
    /// All SIG_DFL.
    pub const fn new() -> SigHandlers {
        SigHandlers {
            actions: [SigAction::DEFAULT; 64],
        }
    }

    /// The action for `sig`.
    pub fn get(&self, sig: Signal) -> &SigAction {
        &self.actions[index(sig)]
    }

    /// `rt_sigaction(sig, act, oact, sigsetsize)` after `act` was copied in.
    /// Linux's order: sigsetsize (EINVAL), the signal number (EINVAL), and a new
    /// action for SIGKILL/SIGSTOP (EINVAL; reading them is fine). The stored
    /// action loses unknown flags and SIGKILL/SIGSTOP from its mask.
    pub fn rt_sigaction(
        &mut self,
        sig_arg: u64,
        new: Option<SigAction>,
        sigsetsize: u64,
    ) -> Result<ActionChange, SignalError> {
        if sigsetsize != SIGSET_SIZE {
            return Err(SignalError::BadSigsetSize(sigsetsize));
        }
        let sig = Signal::from_syscall_arg(sig_arg)?;
        self.set(sig, new)
    }

    /// Installs (or, with `None`, just reads) the action of `sig`.
    pub fn set(
        &mut self,
        sig: Signal,
        new: Option<SigAction>,
    ) -> Result<ActionChange, SignalError> {
        let old = self.actions[index(sig)];
        let Some(mut action) = new else {
            return Ok(ActionChange {
                old,
                discard: SigSet::EMPTY,
            });
        };
        if sig.is_kernel_only() {
            return Err(SignalError::Uncatchable(sig));
        }
        action.flags &= flags::KNOWN;
        action.mask = action.mask.blockable();
        self.actions[index(sig)] = action;
        let discard = if self.is_ignored(sig) {
            SigSet::only(sig)
        } else {
            SigSet::EMPTY
        };
        Ok(ActionChange { old, discard })
    }

    /// Whether `sig` is ignored: SIG_IGN, or SIG_DFL with a default of ignore
    /// (CHLD, URG, WINCH, CONT). Linux's `sig_handler_ignored`.
    pub fn is_ignored(&self, sig: Signal) -> bool {
        match self.get(sig).handler {
            Handler::Ignore => true,
            Handler::Default => sig.default_is_ignore(),
            Handler::User(_) => false,
        }
    }

    /// Whether a signal just generated for a thread blocking `blocked` is
    /// dropped at once (Linux's `sig_ignored`): it is ignored and not blocked
    /// (a blocked signal stays, its handler may change before it is unblocked).
    /// `unkillable` is for init (and other `SIGNAL_UNKILLABLE` processes), which
    /// drop every signal still at SIG_DFL; the kernel passes `false` when the
    /// sender is allowed to force SIGKILL/SIGSTOP on it (an ancestor namespace).
    pub fn discards_at_generation(&self, sig: Signal, blocked: SigSet, unkillable: bool) -> bool {
        if blocked.contains(sig) {
            return false;
        }
        if unkillable && self.get(sig).handler == Handler::Default {
            return true;
        }
        self.is_ignored(sig)
    }

    /// What to do with `sig` now that it is dequeued, applying SA_RESETHAND
    /// (the entry goes back to SIG_DFL, flags kept, as Linux does).
    pub fn take_for_delivery(&mut self, sig: Signal) -> Disposition {
        let action = self.actions[index(sig)];
        match action.handler {
            Handler::Ignore => Disposition::Ignore,
            Handler::User(_) => {
                if action.has(flags::SA_RESETHAND) {
                    self.actions[index(sig)].handler = Handler::Default;
                }
                Disposition::Handle(action)
            }
            Handler::Default => match sig.default_action() {
                DefaultAction::Ignore | DefaultAction::Continue => Disposition::Ignore,
                DefaultAction::Stop => Disposition::Stop,
                DefaultAction::Terminate => Disposition::Terminate { core_dump: false },
                DefaultAction::CoreDump => Disposition::Terminate { core_dump: true },
            },
        }
    }

    /// After `execve`: caught signals go back to SIG_DFL, ignored ones stay
    /// ignored, and every flag, restorer and mask is cleared
    /// (`flush_signal_handlers(t, 0)`).
    pub fn reset_for_exec(&mut self) {
        for action in &mut self.actions {
            let handler = match action.handler {
                Handler::Ignore => Handler::Ignore,
                _ => Handler::Default,
            };
            *action = SigAction {
                handler,
                ..SigAction::DEFAULT
            };
        }
    }

    /// How a child's exit is reported to this (the parent's) table.
    pub fn child_exit_policy(&self) -> ChildExitPolicy {
        let action = self.get(SIGCHLD);
        let ignored = action.handler == Handler::Ignore;
        ChildExitPolicy {
            autoreap: ignored || action.has(flags::SA_NOCLDWAIT),
            send_sigchld: !ignored,
        }
    }

    /// Whether the parent gets SIGCHLD when a child stops or continues
    /// (not with SA_NOCLDSTOP).
    pub fn notify_on_child_stop(&self) -> bool {
        !self.get(SIGCHLD).has(flags::SA_NOCLDSTOP)
    }
}

/// The mask while a handler for `sig` runs: the old mask plus the action's
/// mask plus `sig` itself unless SA_NODEFER; never SIGKILL or SIGSTOP
/// (`signal_delivered`). SA_RESETHAND does not imply SA_NODEFER on Linux.
pub fn blocked_during_handler(blocked: SigSet, sig: Signal, action: &SigAction) -> SigSet {
    let mut mask = blocked | action.mask;
    if !action.has(flags::SA_NODEFER) {
        mask.insert(sig);
    }
    mask.blockable()
}

fn index(sig: Signal) -> usize {
    sig.number() as usize - 1
}
