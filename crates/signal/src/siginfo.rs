//! `siginfo_t`: what a signal carries, in Linux's 128-byte x86_64 encoding.
//!
//! Like the kernel's `kernel_siginfo`, a [`SigInfo`] keeps the three header
//! ints and the 32-byte union; which union member is meaningful depends on the
//! signal and `si_code`, exactly as in C. The user copy is padded to 128 bytes.

use crate::error::SignalError;
use crate::signal::{Signal, SIGBUS, SIGCHLD, SIGFPE, SIGILL, SIGSEGV, SIGSYS, SIGTRAP};

/// Size of the user `siginfo_t`.
pub const SIGINFO_SIZE: usize = 128;
/// Bytes of `siginfo_t` the kernel keeps: 16 of header and a 32-byte union.
pub const KERNEL_SIGINFO_SIZE: usize = 48;
const HEADER_SIZE: usize = 16;
const UNION_SIZE: usize = KERNEL_SIGINFO_SIZE - HEADER_SIZE;

/// `si_code` values (uapi asm-generic/siginfo.h).
pub mod code {
    /// Sent by `kill`, `raise`.
    pub const SI_USER: i32 = 0;
    /// Sent by the kernel.
    pub const SI_KERNEL: i32 = 0x80;
    /// Sent by `sigqueue`.
    pub const SI_QUEUE: i32 = -1;
    /// Sent by a POSIX timer expiring.
    pub const SI_TIMER: i32 = -2;
    /// Sent by a message queue state change.
    pub const SI_MESGQ: i32 = -3;
    /// Sent by AIO completion.
    pub const SI_ASYNCIO: i32 = -4;
    /// Sent by queued SIGIO.
    pub const SI_SIGIO: i32 = -5;
    /// Sent by `tkill`/`tgkill`.
    pub const SI_TKILL: i32 = -6;
    /// Sent by `execve` killing the other threads.
    pub const SI_DETHREAD: i32 = -7;
    /// Sent by glibc's asynchronous name lookup.
    pub const SI_ASYNCNL: i32 = -60;

    /// Illegal opcode.
    pub const ILL_ILLOPC: i32 = 1;
    /// Illegal operand.
    pub const ILL_ILLOPN: i32 = 2;
    /// Illegal addressing mode.
    pub const ILL_ILLADR: i32 = 3;
    /// Illegal trap.
    pub const ILL_ILLTRP: i32 = 4;
    /// Privileged opcode.
    pub const ILL_PRVOPC: i32 = 5;
    /// Privileged register.
    pub const ILL_PRVREG: i32 = 6;
    /// Coprocessor error.
    pub const ILL_COPROC: i32 = 7;
    /// Internal stack error.
    pub const ILL_BADSTK: i32 = 8;
    /// Unimplemented instruction address.
    pub const ILL_BADIADDR: i32 = 9;

    /// Integer divide by zero.
    pub const FPE_INTDIV: i32 = 1;
    /// Integer overflow.
    pub const FPE_INTOVF: i32 = 2;
    /// Floating-point divide by zero.
    pub const FPE_FLTDIV: i32 = 3;
    /// Floating-point overflow.
    pub const FPE_FLTOVF: i32 = 4;
    /// Floating-point underflow.
    pub const FPE_FLTUND: i32 = 5;
    /// Floating-point inexact result.
    pub const FPE_FLTRES: i32 = 6;
    /// Invalid floating-point operation.
    pub const FPE_FLTINV: i32 = 7;
    /// Subscript out of range.
    pub const FPE_FLTSUB: i32 = 8;
    /// Undiagnosed floating-point exception.
    pub const FPE_FLTUNK: i32 = 14;

    /// Address not mapped.
    pub const SEGV_MAPERR: i32 = 1;
    /// Mapped, but the access is not permitted.
    pub const SEGV_ACCERR: i32 = 2;
    /// Bounds check failed.
    pub const SEGV_BNDERR: i32 = 3;
    /// Protection key check failed.
    pub const SEGV_PKUERR: i32 = 4;

    /// Misaligned address.
    pub const BUS_ADRALN: i32 = 1;
    /// Nonexistent physical address (e.g. a mapping past the end of its file).
    pub const BUS_ADRERR: i32 = 2;
    /// Object-specific hardware error.
    pub const BUS_OBJERR: i32 = 3;
    /// Machine check, action required.
    pub const BUS_MCEERR_AR: i32 = 4;
    /// Machine check, action optional.
    pub const BUS_MCEERR_AO: i32 = 5;

    /// Breakpoint.
    pub const TRAP_BRKPT: i32 = 1;
    /// Trace trap (single step).
    pub const TRAP_TRACE: i32 = 2;
    /// Taken branch trap.
    pub const TRAP_BRANCH: i32 = 3;
    /// Hardware breakpoint or watchpoint.
    pub const TRAP_HWBKPT: i32 = 4;
    /// Undiagnosed trap.
    pub const TRAP_UNK: i32 = 5;

    /// Child exited.
    pub const CLD_EXITED: i32 = 1;
    /// Child killed by a signal.
    pub const CLD_KILLED: i32 = 2;
    /// Child killed by a signal and dumped core.
    pub const CLD_DUMPED: i32 = 3;
    /// Traced child trapped.
    pub const CLD_TRAPPED: i32 = 4;
    /// Child stopped.
    pub const CLD_STOPPED: i32 = 5;
    /// Stopped child continued.
    pub const CLD_CONTINUED: i32 = 6;

    /// Data input available.
    pub const POLL_IN: i32 = 1;
    /// Output buffers available.
    pub const POLL_OUT: i32 = 2;
    /// Input message available.
    pub const POLL_MSG: i32 = 3;
    /// I/O error.
    pub const POLL_ERR: i32 = 4;
    /// High priority input available.
    pub const POLL_PRI: i32 = 5;
    /// Device disconnected.
    pub const POLL_HUP: i32 = 6;

    /// Seccomp filter triggered.
    pub const SYS_SECCOMP: i32 = 1;
}

// Offsets inside the union (add 16 for the offset in siginfo_t), checked
// against the host's glibc in tests/host_linux.rs.
const PID: usize = 0;
const UID: usize = 4;
const VALUE: usize = 8;
const STATUS: usize = 8;
const UTIME: usize = 16;
const STIME: usize = 24;
const ADDR: usize = 0;
const TIMER_ID: usize = 0;
const OVERRUN: usize = 4;
const BAND: usize = 0;
const FD: usize = 8;
const CALL_ADDR: usize = 0;
const SYSCALL: usize = 8;
const ARCH: usize = 12;

/// One signal's information, as `siginfo_t` carries it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SigInfo {
    /// The signal (`si_signo`).
    pub signo: Signal,
    /// `si_errno`; Linux leaves it 0 almost everywhere.
    pub errno: i32,
    /// `si_code`: who sent it or why (see [`code`]).
    pub code: i32,
    fields: [u8; UNION_SIZE],
}

impl SigInfo {
    /// An info with the given header and an all-zero union.
    pub const fn new(signo: Signal, code: i32) -> SigInfo {
        SigInfo {
            signo,
            errno: 0,
            code,
            fields: [0; UNION_SIZE],
        }
    }

    /// From `kill`: SI_USER with the sender's pid and real uid.
    pub fn kill(signo: Signal, pid: i32, uid: u32) -> SigInfo {
        SigInfo::sender(signo, code::SI_USER, pid, uid)
    }

    /// From `tkill`/`tgkill`: SI_TKILL with the sender's pid and real uid.
    pub fn tkill(signo: Signal, pid: i32, uid: u32) -> SigInfo {
        SigInfo::sender(signo, code::SI_TKILL, pid, uid)
    }

    /// From the kernel itself (SI_KERNEL, pid and uid 0), as for SIGALRM from
    /// `alarm`, SIGKILL on OOM, or a fault it cannot describe better.
    pub const fn kernel(signo: Signal) -> SigInfo {
        SigInfo::new(signo, code::SI_KERNEL)
    }

    /// From `sigqueue`: SI_QUEUE with sender and the `sigval` (`si_value`).
    pub fn queue(signo: Signal, pid: i32, uid: u32, value: u64) -> SigInfo {
        let mut info = SigInfo::sender(signo, code::SI_QUEUE, pid, uid);
        info.put_u64(VALUE, value);
        info
    }

    /// A fault: `code` is e.g. SEGV_MAPERR, `addr` the faulting address.
    pub fn fault(signo: Signal, code: i32, addr: u64) -> SigInfo {
        let mut info = SigInfo::new(signo, code);
        info.put_u64(ADDR, addr);
        info
    }

    /// SIGCHLD about a child: `code` is a CLD_* value, `status` the exit code
    /// or signal number, times in clock ticks (USER_HZ = 100).
    pub fn child(code: i32, pid: i32, uid: u32, status: i32, utime: i64, stime: i64) -> SigInfo {
        let mut info = SigInfo::sender(SIGCHLD, code, pid, uid);
        info.put_u32(STATUS, status as u32);
        info.put_u64(UTIME, utime as u64);
        info.put_u64(STIME, stime as u64);
        info
    }

    /// A POSIX timer expiring: SI_TIMER with timer id, overrun and `sigval`.
    pub fn timer(signo: Signal, timer_id: i32, overrun: i32, value: u64) -> SigInfo {
        let mut info = SigInfo::new(signo, code::SI_TIMER);
        info.put_u32(TIMER_ID, timer_id as u32);
        info.put_u32(OVERRUN, overrun as u32);
        info.put_u64(VALUE, value);
        info
    }

    /// SIGIO/SIGPOLL from a file: `code` POLL_*, `band` the poll events, `fd`.
    pub fn poll(signo: Signal, code: i32, band: i64, fd: i32) -> SigInfo {
        let mut info = SigInfo::new(signo, code);
        info.put_u64(BAND, band as u64);
        info.put_u32(FD, fd as u32);
        info
    }

    /// SIGSYS from seccomp: the calling instruction's address, the system call
    /// number and the audit architecture.
    pub fn seccomp(call_addr: u64, syscall: i32, arch: u32) -> SigInfo {
        let mut info = SigInfo::new(SIGSYS, code::SYS_SECCOMP);
        info.put_u64(CALL_ADDR, call_addr);
        info.put_u32(SYSCALL, syscall as u32);
        info.put_u32(ARCH, arch);
        info
    }

    fn sender(signo: Signal, code: i32, pid: i32, uid: u32) -> SigInfo {
        let mut info = SigInfo::new(signo, code);
        info.put_u32(PID, pid as u32);
        info.put_u32(UID, uid);
        info
    }

    /// `si_pid` (kill, queue, child layouts).
    pub fn pid(&self) -> i32 {
        self.get_u32(PID) as i32
    }
    /// `si_uid` (kill, queue, child layouts).
    pub fn uid(&self) -> u32 {
        self.get_u32(UID)
    }
    /// `si_value` as its 64 bits (queue and timer layouts).
    pub fn value(&self) -> u64 {
        self.get_u64(VALUE)
    }
    /// `si_status` (child layout).
    pub fn status(&self) -> i32 {
        self.get_u32(STATUS) as i32
    }
    /// `si_utime` in clock ticks (child layout).
    pub fn utime(&self) -> i64 {
        self.get_u64(UTIME) as i64
    }
    /// `si_stime` in clock ticks (child layout).
    pub fn stime(&self) -> i64 {
        self.get_u64(STIME) as i64
    }
    /// `si_addr` (fault layout).
    pub fn addr(&self) -> u64 {
        self.get_u64(ADDR)
    }
    /// `si_timerid` (timer layout).
    pub fn timer_id(&self) -> i32 {
        self.get_u32(TIMER_ID) as i32
    }
    /// `si_overrun` (timer layout).
    pub fn overrun(&self) -> i32 {
        self.get_u32(OVERRUN) as i32
    }
    /// `si_band` (poll layout).
    pub fn band(&self) -> i64 {
        self.get_u64(BAND) as i64
    }
    /// `si_fd` (poll layout).
    pub fn fd(&self) -> i32 {
        self.get_u32(FD) as i32
    }
    /// `si_syscall` (SIGSYS layout).
    pub fn syscall(&self) -> i32 {
        self.get_u32(SYSCALL) as i32
    }
    /// `si_arch` (SIGSYS layout).
    pub fn arch(&self) -> u32 {
        self.get_u32(ARCH)
    }

    /// Whether the kernel generated it (`si_code > 0`, Linux's SI_FROMKERNEL),
    /// as opposed to a user process.
    pub const fn is_from_kernel(&self) -> bool {
        self.code > 0
    }

    /// The 128-byte user `siginfo_t`.
    pub fn to_user_bytes(&self) -> [u8; SIGINFO_SIZE] {
        let mut out = [0u8; SIGINFO_SIZE];
        out[0..4].copy_from_slice(&(self.signo.number() as i32).to_le_bytes());
        out[4..8].copy_from_slice(&self.errno.to_le_bytes());
        out[8..12].copy_from_slice(&self.code.to_le_bytes());
        out[HEADER_SIZE..KERNEL_SIGINFO_SIZE].copy_from_slice(&self.fields);
        out
    }

    /// A `siginfo_t` supplied by user space (`rt_sigqueueinfo`,
    /// `rt_tgsigqueueinfo`, `pidfd_send_signal`). Like Linux, `si_signo` is
    /// replaced by the signal being sent, and a code whose layout the kernel
    /// does not know may not use bytes past the first 48 (E2BIG), so that
    /// nothing is lost when it is copied back out.
    /// Whether the caller may send this code at all is [`check_user_code`].
    pub fn from_user_bytes(
        signo: Signal,
        bytes: &[u8; SIGINFO_SIZE],
    ) -> Result<SigInfo, SignalError> {
        let errno = read_i32(bytes, 4);
        let code = read_i32(bytes, 8);
        if !known_layout(signo, code) && bytes[KERNEL_SIGINFO_SIZE..].iter().any(|b| *b != 0) {
            return Err(SignalError::SiginfoTooBig);
        }
        let mut fields = [0u8; UNION_SIZE];
        fields.copy_from_slice(&bytes[HEADER_SIZE..KERNEL_SIGINFO_SIZE]);
        Ok(SigInfo {
            signo,
            errno,
            code,
            fields,
        })
    }

    fn put_u32(&mut self, offset: usize, value: u32) {
        self.fields[offset..offset + 4].copy_from_slice(&value.to_le_bytes());
    }
    fn put_u64(&mut self, offset: usize, value: u64) {
        self.fields[offset..offset + 8].copy_from_slice(&value.to_le_bytes());
    }
    fn get_u32(&self, offset: usize) -> u32 {
        let mut raw = [0u8; 4];
        raw.copy_from_slice(&self.fields[offset..offset + 4]);
        u32::from_le_bytes(raw)
    }
    fn get_u64(&self, offset: usize) -> u64 {
        let mut raw = [0u8; 8];
        raw.copy_from_slice(&self.fields[offset..offset + 8]);
        u64::from_le_bytes(raw)
    }
}

fn read_i32(bytes: &[u8], offset: usize) -> i32 {
    let mut raw = [0u8; 4];
    raw.copy_from_slice(&bytes[offset..offset + 4]);
    i32::from_le_bytes(raw)
}

/// Whether a user process may send a `siginfo_t` with this code through
/// `rt_sigqueueinfo`: Linux refuses (EPERM) codes that would impersonate the
/// kernel (`si_code >= 0`) or `tkill` (SI_TKILL) unless sending to itself.
pub fn check_user_code(code: i32, to_self: bool) -> Result<(), basalt_linux_abi::Errno> {
    if (code >= 0 || code == code::SI_TKILL) && !to_self {
        Err(basalt_linux_abi::Errno::EPERM)
    } else {
        Ok(())
    }
}

/// Linux's `known_siginfo_layout`: codes whose union member the kernel knows.
fn known_layout(signo: Signal, code: i32) -> bool {
    if code == code::SI_KERNEL {
        return true;
    }
    if code > code::SI_USER {
        return match signal_specific_code_limit(signo) {
            Some(limit) => code <= limit,
            None => code <= NSIGPOLL,
        };
    }
    code >= code::SI_DETHREAD || code == code::SI_ASYNCNL
}

/// Highest POLL_* code.
const NSIGPOLL: i32 = 6;

/// Highest signal-specific code per signal (NSIGILL, NSIGFPE, ... in Linux 6.x).
fn signal_specific_code_limit(signo: Signal) -> Option<i32> {
    Some(match signo {
        SIGILL => 11,
        SIGFPE => 15,
        SIGSEGV => 10,
        SIGBUS => 5,
        SIGTRAP => 6,
        SIGCHLD => 6,
        SIGSYS => 2,
        _ => return None,
    })
}
