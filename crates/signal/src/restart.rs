//! System call restart when a signal interrupts a call (x86_64 `handle_signal`
//! and `arch_do_signal_or_restart`).

use basalt_linux_abi::{nr, Errno};

use crate::action::{flags, SigAction};
use crate::regs::UserRegs;

/// Kernel-internal "restart me" results a blocking system call returns in rax
/// as `-code`; user space never sees them.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Restart {
    /// ERESTARTSYS (512): restart if the handler has SA_RESTART, else EINTR.
    Sys,
    /// ERESTARTNOINTR (513): always restart.
    NoIntr,
    /// ERESTARTNOHAND (514): restart only if no handler runs, else EINTR.
    NoHand,
    /// ERESTART_RESTARTBLOCK (516): continue through `restart_syscall` if no
    /// handler runs, else EINTR.
    RestartBlock,
}

impl Restart {
    /// The internal error number.
    pub const fn code(self) -> u16 {
        match self {
            Restart::Sys => 512,
            Restart::NoIntr => 513,
            Restart::NoHand => 514,
            Restart::RestartBlock => 516,
        }
    }

    /// The value a call returns in rax to ask for this restart.
    pub const fn as_return(self) -> u64 {
        (-(self.code() as i64)) as u64
    }

    /// Which restart, if any, rax holds.
    pub fn from_return(rax: u64) -> Option<Restart> {
        [
            Restart::Sys,
            Restart::NoIntr,
            Restart::NoHand,
            Restart::RestartBlock,
        ]
        .into_iter()
        .find(|restart| restart.as_return() == rax)
    }
}

/// Length of the `syscall` instruction, backed over to run it again.
const SYSCALL_INSN_LEN: u64 = 2;

/// Before building the frame for a handler: if the interrupted system call
/// (number `orig_rax`) asked for a restart, either set it up (rax = number,
/// rip back over `syscall`) or make it fail with EINTR.
pub fn restart_for_handler(regs: &mut UserRegs, orig_rax: u64, action: &SigAction) {
    match Restart::from_return(regs.rax) {
        Some(Restart::NoHand | Restart::RestartBlock) => regs.rax = Errno::EINTR.as_return() as u64,
        Some(Restart::Sys) if !action.has(flags::SA_RESTART) => {
            regs.rax = Errno::EINTR.as_return() as u64
        }
        Some(Restart::Sys | Restart::NoIntr) => rerun(regs, orig_rax),
        None => {}
    }
}

/// When returning to user space with no handler run: every restart request
/// re-runs the call; ERESTART_RESTARTBLOCK goes through `restart_syscall`.
pub fn restart_without_handler(regs: &mut UserRegs, orig_rax: u64) {
    match Restart::from_return(regs.rax) {
        Some(Restart::RestartBlock) => rerun(regs, nr::RESTART_SYSCALL as u64),
        Some(_) => rerun(regs, orig_rax),
        None => {}
    }
}

fn rerun(regs: &mut UserRegs, number: u64) {
    regs.rax = number;
    regs.rip = regs.rip.wrapping_sub(SYSCALL_INSN_LEN);
}
