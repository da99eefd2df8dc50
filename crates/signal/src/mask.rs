//! `rt_sigprocmask` and the rules that tie stop and continue signals together.

use crate::error::SignalError;
use crate::signal::Signal;
use crate::sigset::{SigSet, SIGSET_SIZE};

/// `how` of `rt_sigprocmask`: add the given set.
pub const SIG_BLOCK: i32 = 0;
/// `how` of `rt_sigprocmask`: remove the given set.
pub const SIG_UNBLOCK: i32 = 1;
/// `how` of `rt_sigprocmask`: replace the mask.
pub const SIG_SETMASK: i32 = 2;

/// `rt_sigprocmask(how, set, oldset, sigsetsize)` after `set` was copied in:
/// the new blocked mask (the old one, `current`, is what goes to `oldset`).
/// Like Linux, `sigsetsize` must be 8, `how` is only checked when a set is
/// given (a bad `how` with a null set succeeds), and SIGKILL/SIGSTOP are never
/// blocked. `how` is a C `int`: the upper half of the register is ignored.
pub fn rt_sigprocmask(
    current: SigSet,
    how_arg: u64,
    set: Option<SigSet>,
    sigsetsize: u64,
) -> Result<SigSet, SignalError> {
    if sigsetsize != SIGSET_SIZE {
        return Err(SignalError::BadSigsetSize(sigsetsize));
    }
    let Some(set) = set else {
        return Ok(current);
    };
    let set = set.blockable();
    let how = how_arg as u32 as i32;
    let new = match how {
        SIG_BLOCK => current | set,
        SIG_UNBLOCK => current - set,
        SIG_SETMASK => set,
        _ => return Err(SignalError::BadHow(how)),
    };
    Ok(new.blockable())
}

/// The signals to discard from every pending queue of the target process
/// (shared and all threads) before `sig` is made pending (Linux's
/// `prepare_signal`): a stop signal cancels a pending SIGCONT, SIGCONT cancels
/// pending stop signals. SIGCONT also resumes a stopped process right away,
/// even if it is blocked or ignored; that is the caller's part.
pub fn generation_discards(sig: Signal) -> SigSet {
    if sig.is_stop() {
        SigSet::CONTINUE
    } else if sig == crate::signal::SIGCONT {
        SigSet::STOP_SIGNALS
    } else {
        SigSet::EMPTY
    }
}
