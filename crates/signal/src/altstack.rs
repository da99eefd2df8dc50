//! The alternate signal stack (`sigaltstack`) and `stack_t`.

use crate::error::SignalError;

/// `ss_flags`: the thread is running on the alternate stack (reported), or,
/// accepted for old programs when setting, the same as 0.
pub const SS_ONSTACK: i32 = 1;
/// `ss_flags`: no alternate stack.
pub const SS_DISABLE: i32 = 2;
/// `ss_flags`: disarm the stack while a handler runs on it (Linux 4.7+).
pub const SS_AUTODISARM: i32 = 1 << 31;
/// Smallest alternate stack `sigaltstack` accepts on x86_64 (the kernel's
/// value; glibc's larger MINSIGSTKSZ comes from AT_MINSIGSTKSZ).
pub const MINSIGSTKSZ: u64 = 2048;
/// Size of `stack_t`.
pub const STACK_T_SIZE: usize = 24;

/// `stack_t { void *ss_sp; int ss_flags; size_t ss_size; }` (offsets 0, 8, 16).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct StackT {
    /// Lowest address of the stack.
    pub sp: u64,
    /// `SS_*` flags.
    pub flags: i32,
    /// Size in bytes.
    pub size: u64,
}

impl StackT {
    /// Decodes a user `stack_t`; the 4 padding bytes are ignored.
    pub fn from_user_bytes(bytes: &[u8; STACK_T_SIZE]) -> StackT {
        let mut word = [0u8; 8];
        word.copy_from_slice(&bytes[0..8]);
        let sp = u64::from_le_bytes(word);
        word.copy_from_slice(&bytes[16..24]);
        let size = u64::from_le_bytes(word);
        let mut int = [0u8; 4];
        int.copy_from_slice(&bytes[8..12]);
        StackT {
            sp,
            flags: i32::from_le_bytes(int),
            size,
        }
    }

    /// Encodes as `stack_t`, padding zeroed.
    pub fn to_user_bytes(&self) -> [u8; STACK_T_SIZE] {
        let mut out = [0u8; STACK_T_SIZE];
        out[0..8].copy_from_slice(&self.sp.to_le_bytes());
        out[8..12].copy_from_slice(&self.flags.to_le_bytes());
        out[16..24].copy_from_slice(&self.size.to_le_bytes());
        out
    }
}

/// A thread's alternate stack setting, kept as Linux keeps it (`sas_ss_*`).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct AltStack {
    /// Lowest address.
    pub sp: u64,
    /// Size in bytes; 0 means no alternate stack.
    pub size: u64,
    /// The flags as last set (0, SS_ONSTACK, SS_DISABLE, maybe SS_AUTODISARM).
    pub flags: i32,
}

impl AltStack {
    /// No alternate stack, as a process has after `execve` (flags 0).
    pub const NONE: AltStack = AltStack {
        sp: 0,
        size: 0,
        flags: 0,
    };
    /// No alternate stack, as a new thread (CLONE_VM without CLONE_VFORK) gets,
    /// and as SS_AUTODISARM leaves it (`sas_ss_reset`: flags SS_DISABLE).
    pub const RESET: AltStack = AltStack {
        sp: 0,
        size: 0,
        flags: SS_DISABLE,
    };

    /// Whether `sp` lies in the stack (`__on_sig_stack`): above its base and at
    /// most its size from it, since the stack grows down.
    pub fn contains(&self, sp: u64) -> bool {
        sp > self.sp && sp - self.sp <= self.size
    }

    /// Whether a thread at `sp` counts as running on the stack
    /// (`on_sig_stack`): never with SS_AUTODISARM, which makes nesting safe.
    pub fn is_on(&self, sp: u64) -> bool {
        self.flags & SS_AUTODISARM == 0 && self.contains(sp)
    }

    /// SS_DISABLE without a stack, else SS_ONSTACK or 0 (`sas_ss_flags`).
    pub fn state_flags(&self, sp: u64) -> i32 {
        if self.size == 0 {
            SS_DISABLE
        } else if self.is_on(sp) {
            SS_ONSTACK
        } else {
            0
        }
    }

    /// What `sigaltstack` reports for a thread at `sp`.
    pub fn query(&self, sp: u64) -> StackT {
        StackT {
            sp: self.sp,
            flags: self.state_flags(sp) | (self.flags & SS_AUTODISARM),
            size: self.size,
        }
    }

    /// What a signal frame records in `uc_stack`: the setting as stored
    /// (Linux writes the raw flags, not the computed state).
    pub fn saved(&self) -> StackT {
        StackT {
            sp: self.sp,
            flags: self.flags,
            size: self.size,
        }
    }

    /// `sigaltstack(ss, oss)` for a thread at `sp`: returns what `oss` gets (the
    /// setting before the call). Linux's checks in order: running on the stack
    /// (EPERM), flags other than 0/SS_ONSTACK/SS_DISABLE plus SS_AUTODISARM
    /// (EINVAL), a size below MINSIGSTKSZ unless disabling (ENOMEM). Disabling
    /// clears address and size.
    pub fn sigaltstack(&mut self, new: Option<StackT>, sp: u64) -> Result<StackT, SignalError> {
        let old = self.query(sp);
        let Some(new) = new else {
            return Ok(old);
        };
        if self.is_on(sp) {
            return Err(SignalError::OnAltStack);
        }
        let mode = new.flags & !SS_AUTODISARM;
        if mode != 0 && mode != SS_ONSTACK && mode != SS_DISABLE {
            return Err(SignalError::BadAltStackFlags(new.flags));
        }
        *self = if mode == SS_DISABLE {
            AltStack {
                sp: 0,
                size: 0,
                flags: new.flags,
            }
        } else if new.size < MINSIGSTKSZ {
            return Err(SignalError::AltStackTooSmall(new.size));
        } else {
            AltStack {
                sp: new.sp,
                size: new.size,
                flags: new.flags,
            }
        };
        Ok(old)
    }

    /// `rt_sigreturn` restores the `uc_stack` saved in the frame through the same
    /// rules, for a thread at `sp`, and ignores any error (`restore_altstack`).
    pub fn restore_from_frame(&mut self, saved: StackT, sp: u64) {
        let _ = self.sigaltstack(Some(saved), sp);
    }
}

impl AltStack {
    /// Called when a handler is entered: an SS_AUTODISARM stack is reset (it
    /// comes back from `uc_stack` on `rt_sigreturn`), as Linux's
    /// `signal_delivered` does for every handler.
    pub fn disarm_on_delivery(&mut self) {
        if self.flags & SS_AUTODISARM != 0 {
            *self = AltStack::RESET;
        }
    }
}
