//! `struct rt_sigframe` exactly as Linux x86_64 builds it for a handler, and
//! the reverse for `rt_sigreturn`.
//!
//! ```text
//! frame_addr ─► pretcode            8   sa_restorer; the handler's return address
//!               ucontext          304   uc_flags, uc_link, uc_stack,
//!                                       uc_mcontext (struct sigcontext), uc_sigmask
//!               siginfo           128   only written with SA_SIGINFO
//!               (padding)
//! fpstate   ─►  FXSAVE or XSAVE   512   64-byte aligned; with XSAVE the whole
//!               image           or more  image and FP_XSTATE_MAGIC2 (see `fpstate`)
//!               (padding)
//!               red zone          128   skipped below the interrupted rsp
//! ```

use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use crate::action::{flags, Handler, SigAction};
use crate::altstack::{AltStack, StackT, STACK_T_SIZE};
use crate::fpstate::{write_sigframe_fpstate, FpuImage};
use crate::regs::{UserRegs, FIX_EFLAGS, RFLAGS_DF, RFLAGS_RF, RFLAGS_TF, USER_CS, USER_SS};
use crate::siginfo::{SigInfo, SIGINFO_SIZE};
use crate::sigset::SigSet;

/// Size of the FXSAVE image (`struct fxregs_state`).
pub const FXSAVE_SIZE: usize = 512;
/// Size of `struct rt_sigframe` (pretcode, ucontext, siginfo).
pub const RT_SIGFRAME_SIZE: usize = 440;
/// Bytes below the interrupted rsp that the psABI lets leaf functions use.
pub const RED_ZONE: u64 = 128;
/// `uc_flags`: the fpstate is extended XSAVE state (not set: FXSAVE only).
pub const UC_FP_XSTATE: u64 = 1;
/// `uc_flags`: `sigcontext.ss` holds the interrupted SS.
pub const UC_SIGCONTEXT_SS: u64 = 2;
/// `uc_flags`: `rt_sigreturn` restores SS exactly.
pub const UC_STRICT_RESTORE_SS: u64 = 4;

/// Offsets inside the frame, checked against the host in tests.
pub mod offsets {
    /// `pretcode`.
    pub const PRETCODE: usize = 0;
    /// `uc` (what the handler gets in rdx).
    pub const UCONTEXT: usize = 8;
    /// `uc.uc_flags`.
    pub const UC_FLAGS: usize = UCONTEXT;
    /// `uc.uc_link`.
    pub const UC_LINK: usize = UCONTEXT + 8;
    /// `uc.uc_stack`.
    pub const UC_STACK: usize = UCONTEXT + 16;
    /// `uc.uc_mcontext` (`struct sigcontext`).
    pub const UC_MCONTEXT: usize = UCONTEXT + 40;
    /// `uc.uc_sigmask`.
    pub const UC_SIGMASK: usize = UCONTEXT + 296;
    /// `info` (what the handler gets in rsi).
    pub const SIGINFO: usize = UCONTEXT + 304;
    /// Offsets inside `struct sigcontext` after the 18 registers.
    pub const SC_CS: usize = 144;
    /// `sigcontext.gs`.
    pub const SC_GS: usize = 146;
    /// `sigcontext.fs`.
    pub const SC_FS: usize = 148;
    /// `sigcontext.ss`.
    pub const SC_SS: usize = 150;
    /// `sigcontext.err`.
    pub const SC_ERR: usize = 152;
    /// `sigcontext.trapno`.
    pub const SC_TRAPNO: usize = 160;
    /// `sigcontext.oldmask`.
    pub const SC_OLDMASK: usize = 168;
    /// `sigcontext.cr2`.
    pub const SC_CR2: usize = 176;
    /// `sigcontext.fpstate` (pointer).
    pub const SC_FPSTATE: usize = 184;
    /// Offset of `swd_reserved`/`sw_reserved` in the FXSAVE image: 48 bytes
    /// FXSAVE does not write, which Linux uses for XSAVE metadata.
    pub const FX_SW_RESERVED: usize = 464;
    /// MXCSR in the FXSAVE image.
    pub const FX_MXCSR: usize = 24;
}

/// The exception behind a fault signal, saved in `sigcontext` (`trapno`, `err`,
/// `cr2`); all zero for signals that are not faults.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct TrapState {
    /// Exception vector (14 for a page fault).
    pub trapno: u64,
    /// Exception error code.
    pub err: u64,
    /// Faulting address for page faults.
    pub cr2: u64,
}

/// Why a frame could not be built or read; Linux answers each with SIGSEGV
/// (`force_sigsegv` on delivery, `signal_fault` on return).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FrameError {
    /// The action is SIG_DFL or SIG_IGN: there is no handler to run.
    NotAHandler,
    /// x86_64 delivery needs SA_RESTORER: there is no other way back.
    NoRestorer,
    /// The frame would not fit in the alternate stack it is on or enters.
    AltStackOverflow,
    /// The frame would wrap below address 0 (or the alternate stack's end
    /// past the top of the address space).
    AddressOverflow,
    /// Fewer bytes than a frame was given to `parse_rt_sigreturn`.
    Truncated(usize),
    /// MXCSR in a restored FXSAVE image sets reserved bits (FXRSTOR would #GP).
    BadMxcsr(u32),
    /// The fpstate at this address could not be read.
    Fault(u64),
    /// The fpstate pointer is not aligned for FXRSTOR (16) or XRSTOR (64).
    MisalignedFpstate(u64),
    /// The XSAVE header names components that are not enabled, or sets
    /// XCOMP_BV or reserved bytes (XRSTOR would #GP).
    BadXstateHeader,
    /// The saved FPU image is shorter than the format says.
    ShortFpuImage(usize),
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::NotAHandler => f.write_str("the signal has no user handler"),
            FrameError::NoRestorer => f.write_str("sigaction without SA_RESTORER"),
            FrameError::AltStackOverflow => {
                f.write_str("signal frame overflows the alternate stack")
            }
            FrameError::AddressOverflow => f.write_str("signal frame address out of range"),
            FrameError::Truncated(len) => write!(f, "signal frame of {len} bytes is too short"),
            FrameError::BadMxcsr(mxcsr) => write!(f, "MXCSR {mxcsr:#x} sets reserved bits"),
            FrameError::Fault(addr) => write!(f, "FPU state at {addr:#x} is not readable"),
            FrameError::MisalignedFpstate(addr) => {
                write!(f, "FPU state at {addr:#x} is misaligned")
            }
            FrameError::BadXstateHeader => f.write_str("invalid XSAVE header"),
            FrameError::ShortFpuImage(len) => write!(f, "FPU image of {len} bytes is too short"),
        }
    }
}

/// A built frame: the bytes to copy to user memory at `frame_addr`, and the
/// registers the handler starts with.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SigFrame {
    /// The frame and FPU state, to be written at `frame_addr`.
    pub bytes: Vec<u8>,
    /// User address of `pretcode`, the start of `bytes`.
    pub frame_addr: u64,
    /// Address of the FPU state (`sigcontext.fpstate`).
    pub fpstate_addr: u64,
    /// The handler's rsp (= `frame_addr`; `(rsp + 8) % 16 == 0`).
    pub new_sp: u64,
    /// The handler's rip.
    pub new_rip: u64,
    /// First argument: the signal number.
    pub rdi: u64,
    /// Second argument: address of the siginfo.
    pub rsi: u64,
    /// Third argument: address of the ucontext.
    pub rdx: u64,
}

impl SigFrame {
    /// The registers to enter the handler with: `regs` with rsp, rip and the
    /// three arguments set, rax 0 (for handlers declared without prototype),
    /// and DF, RF, TF cleared. The caller also resets the FPU to its initial
    /// state, as Linux does.
    pub fn handler_regs(&self, regs: &UserRegs) -> UserRegs {
        UserRegs {
            rsp: self.new_sp,
            rip: self.new_rip,
            rdi: self.rdi,
            rsi: self.rsi,
            rdx: self.rdx,
            rax: 0,
            eflags: regs.eflags & !(RFLAGS_DF | RFLAGS_RF | RFLAGS_TF),
            ..*regs
        }
    }
}

/// Builds the `rt_sigframe` for running `action`'s handler for `info.signo`
/// (Linux's `get_sigframe` + `x64_setup_rt_frame`): below the red zone of
/// `regs.rsp`, or at the top of the alternate stack with SA_ONSTACK when not
/// already on it; the FPU state 64-byte aligned, the frame below it so that
/// `(rsp + 8) % 16 == 0` at handler entry. `blocked` is the mask to restore on
/// return. The siginfo is written only with SA_SIGINFO, as in Linux. `fpu` is
/// the thread's saved image (see [`write_sigframe_fpstate`]); with XSAVE
/// `uc_flags` has UC_FP_XSTATE.
///
/// Afterwards the caller sets the blocked mask ([`crate::blocked_during_handler`])
/// and disarms an SS_AUTODISARM alternate stack ([`AltStack::disarm_on_delivery`]).
pub fn build_rt_sigframe(
    regs: &UserRegs,
    info: &SigInfo,
    blocked: SigSet,
    altstack: &AltStack,
    action: &SigAction,
    fpu: FpuImage<'_>,
    trap: TrapState,
) -> Result<SigFrame, FrameError> {
    let Handler::User(handler) = action.handler else {
        return Err(FrameError::NotAHandler);
    };
    if !action.has(flags::SA_RESTORER) {
        return Err(FrameError::NoRestorer);
    }
    let format = fpu.format;
    if fpu.bytes.len() < format.image_size() {
        return Err(FrameError::ShortFpuImage(fpu.bytes.len()));
    }
    let fp_size = format.sigframe_size();
    let layout = place_frame(regs.rsp, altstack, action.has(flags::SA_ONSTACK), fp_size)?;
    let frame_addr = layout.frame_addr;
    let len = usize::try_from(layout.fpstate_addr - frame_addr)
        .map_err(|_| FrameError::AddressOverflow)?
        + fp_size;
    let mut bytes = vec![0u8; len];

    put_u64(&mut bytes, offsets::PRETCODE, action.restorer);
    let fp_xstate = if format.is_xsave() { UC_FP_XSTATE } else { 0 };
    put_u64(
        &mut bytes,
        offsets::UC_FLAGS,
        fp_xstate | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS,
    );
    put_u64(&mut bytes, offsets::UC_LINK, 0);
    bytes[offsets::UC_STACK..offsets::UC_STACK + STACK_T_SIZE]
        .copy_from_slice(&altstack.saved().to_user_bytes());
    write_sigcontext(
        &mut bytes[offsets::UC_MCONTEXT..],
        regs,
        blocked,
        trap,
        layout.fpstate_addr,
    );
    put_u64(&mut bytes, offsets::UC_SIGMASK, blocked.0);
    if action.has(flags::SA_SIGINFO) {
        bytes[offsets::SIGINFO..offsets::SIGINFO + SIGINFO_SIZE]
            .copy_from_slice(&info.to_user_bytes());
    }
    let fp_offset = len - fp_size;
    write_sigframe_fpstate(format, fpu.bytes, &mut bytes[fp_offset..]);

    Ok(SigFrame {
        bytes,
        frame_addr,
        fpstate_addr: layout.fpstate_addr,
        new_sp: frame_addr,
        new_rip: handler,
        rdi: u64::from(info.signo.number()),
        rsi: frame_addr + offsets::SIGINFO as u64,
        rdx: frame_addr + offsets::UCONTEXT as u64,
    })
}

struct FrameLayout {
    frame_addr: u64,
    fpstate_addr: u64,
}

fn place_frame(
    user_sp: u64,
    altstack: &AltStack,
    onstack: bool,
    fp_size: usize,
) -> Result<FrameLayout, FrameError> {
    let nested = altstack.is_on(user_sp);
    let mut sp = user_sp
        .checked_sub(RED_ZONE)
        .ok_or(FrameError::AddressOverflow)?;
    let mut entering = false;
    // Linux tests the state with the red zone already skipped.
    if onstack && altstack.state_flags(sp) == 0 {
        sp = altstack
            .sp
            .checked_add(altstack.size)
            .ok_or(FrameError::AddressOverflow)?;
        entering = true;
    }
    let fpstate_addr = sp
        .checked_sub(fp_size as u64)
        .ok_or(FrameError::AddressOverflow)?
        & !63;
    let frame_addr = (fpstate_addr
        .checked_sub(RT_SIGFRAME_SIZE as u64)
        .ok_or(FrameError::AddressOverflow)?
        & !15)
        .checked_sub(8)
        .ok_or(FrameError::AddressOverflow)?;
    if (nested || entering) && !altstack.contains(frame_addr) {
        return Err(FrameError::AltStackOverflow);
    }
    Ok(FrameLayout {
        frame_addr,
        fpstate_addr,
    })
}

fn write_sigcontext(
    sc: &mut [u8],
    regs: &UserRegs,
    blocked: SigSet,
    trap: TrapState,
    fpstate_addr: u64,
) {
    for (i, value) in regs.sigcontext_order().into_iter().enumerate() {
        put_u64(sc, i * 8, value);
    }
    put_u16(sc, offsets::SC_CS, USER_CS);
    put_u16(sc, offsets::SC_GS, 0);
    put_u16(sc, offsets::SC_FS, 0);
    put_u16(sc, offsets::SC_SS, USER_SS);
    put_u64(sc, offsets::SC_ERR, trap.err);
    put_u64(sc, offsets::SC_TRAPNO, trap.trapno);
    put_u64(sc, offsets::SC_OLDMASK, blocked.0);
    put_u64(sc, offsets::SC_CR2, trap.cr2);
    put_u64(sc, offsets::SC_FPSTATE, fpstate_addr);
}

/// What `rt_sigreturn` restores from a frame.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SigReturn {
    /// The registers to return to user space with. rax is the system call's
    /// "result": the caller must return it unchanged and must not restart the
    /// call. rip may be non-canonical: return with `iretq` (or check) then.
    pub regs: UserRegs,
    /// The new blocked mask (SIGKILL/SIGSTOP removed).
    pub blocked: SigSet,
    /// `uc_stack`, to give to [`AltStack::restore_from_frame`].
    pub altstack: StackT,
    /// Where the FPU state is (`sigcontext.fpstate`), to be read from user
    /// memory with [`crate::read_sigreturn_fpstate`]; `None` (a null pointer)
    /// means "reset the FPU to its initial state".
    pub fpstate_addr: Option<u64>,
    /// `uc_flags` as found.
    pub uc_flags: u64,
}

/// Reads the frame that `rt_sigreturn` finds at `rsp - 8` (the handler's `ret`
/// popped `pretcode`): at least [`RT_SIGFRAME_SIZE`] bytes. Every register comes
/// from the frame except what user space may not choose: CS and SS stay the
/// 64-bit user selectors, only the [`FIX_EFLAGS`] bits of RFLAGS are taken,
/// and the FS base is `current`'s.
pub fn parse_rt_sigreturn(frame: &[u8], current: &UserRegs) -> Result<SigReturn, FrameError> {
    if frame.len() < RT_SIGFRAME_SIZE {
        return Err(FrameError::Truncated(frame.len()));
    }
    let sc = &frame[offsets::UC_MCONTEXT..];
    let mut gprs = [0u64; 18];
    for (i, reg) in gprs.iter_mut().enumerate() {
        *reg = get_u64(sc, i * 8);
    }
    let mut regs = UserRegs::from_sigcontext_order(gprs, current.fs_base);
    regs.eflags = (current.eflags & !FIX_EFLAGS) | (regs.eflags & FIX_EFLAGS);
    let mut stack = [0u8; STACK_T_SIZE];
    stack.copy_from_slice(&frame[offsets::UC_STACK..offsets::UC_STACK + STACK_T_SIZE]);
    let fpstate = get_u64(sc, offsets::SC_FPSTATE);
    Ok(SigReturn {
        regs,
        blocked: SigSet(get_u64(frame, offsets::UC_SIGMASK)).blockable(),
        altstack: StackT::from_user_bytes(&stack),
        fpstate_addr: (fpstate != 0).then_some(fpstate),
        uc_flags: get_u64(frame, offsets::UC_FLAGS),
    })
}

/// Checks an FXSAVE image from user memory before FXRSTOR: MXCSR may only set
/// bits of the CPU's `mxcsr_feature_mask` (from FXSAVE's MXCSR_MASK, 0xffbf when
/// that reads 0). Linux's FXRSTOR faults on reserved bits and the return
/// becomes SIGSEGV.
pub fn check_fxsave(image: &[u8; FXSAVE_SIZE], mxcsr_feature_mask: u32) -> Result<(), FrameError> {
    let mut raw = [0u8; 4];
    raw.copy_from_slice(&image[offsets::FX_MXCSR..offsets::FX_MXCSR + 4]);
    let mxcsr = u32::from_le_bytes(raw);
    if mxcsr & !mxcsr_feature_mask != 0 {
        return Err(FrameError::BadMxcsr(mxcsr));
    }
    Ok(())
}

fn put_u64(buf: &mut [u8], offset: usize, value: u64) {
    buf[offset..offset + 8].copy_from_slice(&value.to_le_bytes());
}

fn put_u16(buf: &mut [u8], offset: usize, value: u16) {
    buf[offset..offset + 2].copy_from_slice(&value.to_le_bytes());
}

fn get_u64(buf: &[u8], offset: usize) -> u64 {
    let mut raw = [0u8; 8];
    raw.copy_from_slice(&buf[offset..offset + 8]);
    u64::from_le_bytes(raw)
}
