//! The user registers a signal frame saves and `rt_sigreturn` restores.

/// User code segment selector on x86_64 Linux (GDT entry 6, RPL 3).
pub const USER_CS: u16 = 0x33;
/// User data/stack segment selector on x86_64 Linux (GDT entry 5, RPL 3).
pub const USER_SS: u16 = 0x2b;

/// Carry flag.
pub const RFLAGS_CF: u64 = 1 << 0;
/// Parity flag.
pub const RFLAGS_PF: u64 = 1 << 2;
/// Auxiliary carry flag.
pub const RFLAGS_AF: u64 = 1 << 4;
/// Zero flag.
pub const RFLAGS_ZF: u64 = 1 << 6;
/// Sign flag.
pub const RFLAGS_SF: u64 = 1 << 7;
/// Trap flag (single step).
pub const RFLAGS_TF: u64 = 1 << 8;
/// Interrupt enable flag.
pub const RFLAGS_IF: u64 = 1 << 9;
/// Direction flag.
pub const RFLAGS_DF: u64 = 1 << 10;
/// Overflow flag.
pub const RFLAGS_OF: u64 = 1 << 11;
/// Resume flag.
pub const RFLAGS_RF: u64 = 1 << 16;
/// Alignment check flag.
pub const RFLAGS_AC: u64 = 1 << 18;
/// The RFLAGS bits `rt_sigreturn` takes from the frame; the others keep their
/// current value (Linux's `FIX_EFLAGS`, 0x50dd5).
pub const FIX_EFLAGS: u64 = RFLAGS_AC
    | RFLAGS_OF
    | RFLAGS_DF
    | RFLAGS_TF
    | RFLAGS_SF
    | RFLAGS_ZF
    | RFLAGS_AF
    | RFLAGS_PF
    | RFLAGS_CF
    | RFLAGS_RF;

/// The user-visible registers of a thread: the 18 that `struct sigcontext`
/// holds, in its order, plus the FS base (TLS), which signals leave alone.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct UserRegs {
    /// r8.
    pub r8: u64,
    /// r9.
    pub r9: u64,
    /// r10.
    pub r10: u64,
    /// r11.
    pub r11: u64,
    /// r12.
    pub r12: u64,
    /// r13.
    pub r13: u64,
    /// r14.
    pub r14: u64,
    /// r15.
    pub r15: u64,
    /// rdi.
    pub rdi: u64,
    /// rsi.
    pub rsi: u64,
    /// rbp.
    pub rbp: u64,
    /// rbx.
    pub rbx: u64,
    /// rdx.
    pub rdx: u64,
    /// rax.
    pub rax: u64,
    /// rcx.
    pub rcx: u64,
    /// rsp.
    pub rsp: u64,
    /// rip.
    pub rip: u64,
    /// RFLAGS.
    pub eflags: u64,
    /// FS segment base (`arch_prctl(ARCH_SET_FS)`).
    pub fs_base: u64,
}

impl UserRegs {
    /// The 18 registers in `struct sigcontext` order (r8 first, eflags last).
    pub const fn sigcontext_order(&self) -> [u64; 18] {
        [
            self.r8,
            self.r9,
            self.r10,
            self.r11,
            self.r12,
            self.r13,
            self.r14,
            self.r15,
            self.rdi,
            self.rsi,
            self.rbp,
            self.rbx,
            self.rdx,
            self.rax,
            self.rcx,
            self.rsp,
            self.rip,
            self.eflags,
        ]
    }

    /// Registers from `struct sigcontext` order, with the given FS base.
    pub const fn from_sigcontext_order(gprs: [u64; 18], fs_base: u64) -> UserRegs {
        let [r8, r9, r10, r11, r12, r13, r14, r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags] =
            gprs;
        UserRegs {
            r8,
            r9,
            r10,
            r11,
            r12,
            r13,
            r14,
            r15,
            rdi,
            rsi,
            rbp,
            rbx,
            rdx,
            rax,
            rcx,
            rsp,
            rip,
            eflags,
            fs_base,
        }
    }
}
