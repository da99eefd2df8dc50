//! Interrupt descriptor table, the assembly entry stubs of all 256 vectors, and the trap frame they build.
//!
//! Every vector has a stub that pushes an error code (0 where the CPU pushes none) and the vector number, then
//! `isr_common` saves all general registers, switches GS for entries from user mode and calls
//! [`super::traps::trap_dispatch`] with the frame.

use super::percpu::{IST_DOUBLE_FAULT, IST_MACHINE_CHECK, IST_NMI, KERNEL_CS};
use core::arch::global_asm;

/// Registers saved on entry to the kernel, lowest address first (the order `isr_common` pushes them in reverse).
#[repr(C)]
#[derive(Clone, Debug, Default)]
pub struct TrapFrame {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rbp: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rdx: u64,
    pub rcx: u64,
    pub rbx: u64,
    pub rax: u64,
    /// Vector number, or [`SYSCALL_VECTOR`] for the `syscall` instruction.
    pub vector: u64,
    pub error_code: u64,
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}

/// Marks a frame built by the `syscall` entry.
pub const SYSCALL_VECTOR: u64 = 0x100;

impl TrapFrame {
    /// Whether the CPU was in user mode when it entered the kernel.
    pub fn is_user_mode(&self) -> bool {
        self.cs & 3 == 3
    }
}

global_asm!(
    r#"
    .macro isr_stub vec
    .balign 16
isr_stub_\vec:
    .if (\vec == 8) || ((\vec >= 10) && (\vec <= 14)) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
    .else
    push 0
    .endif
    push \vec
    jmp isr_common
    .endm

    .section .text.isr, "ax"
    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64,65,66,67,68,69,70,71,72,73,74,75,76,77,78,79,80,81,82,83,84,85,86,87,88,89,90,91,92,93,94,95,96,97,98,99,100,101,102,103,104,105,106,107,108,109,110,111,112,113,114,115,116,117,118,119,120,121,122,123,124,125,126,127,128,129,130,131,132,133,134,135,136,137,138,139,140,141,142,143,144,145,146,147,148,149,150,151,152,153,154,155,156,157,158,159,160,161,162,163,164,165,166,167,168,169,170,171,172,173,174,175,176,177,178,179,180,181,182,183,184,185,186,187,188,189,190,191,192,193,194,195,196,197,198,199,200,201,202,203,204,205,206,207,208,209,210,211,212,213,214,215,216,217,218,219,220,221,222,223,224,225,226,227,228,229,230,231,232,233,234,235,236,237,238,239,240,241,242,243,244,245,246,247,248,249,250,251,252,253,254,255
    isr_stub \v
    .endr

    .balign 16
isr_common:
    test qword ptr [rsp + 24], 3
    jz 1f
    swapgs
1:  push rax
    push rbx
    push rcx
    push rdx
    push rsi
    push rdi
    push rbp
    push r8
    push r9
    push r10
    push r11
    push r12
    push r13
    push r14
    push r15
    mov rdi, rsp
    cld
    call {dispatch}
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop rbp
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rbx
    pop rax
    add rsp, 16
    test qword ptr [rsp + 8], 3
    jz 2f
    swapgs
2:  iretq

    .section .rodata.isr_table, "a"
    .balign 8
    .global isr_stub_table
isr_stub_table:
    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64,65,66,67,68,69,70,71,72,73,74,75,76,77,78,79,80,81,82,83,84,85,86,87,88,89,90,91,92,93,94,95,96,97,98,99,100,101,102,103,104,105,106,107,108,109,110,111,112,113,114,115,116,117,118,119,120,121,122,123,124,125,126,127,128,129,130,131,132,133,134,135,136,137,138,139,140,141,142,143,144,145,146,147,148,149,150,151,152,153,154,155,156,157,158,159,160,161,162,163,164,165,166,167,168,169,170,171,172,173,174,175,176,177,178,179,180,181,182,183,184,185,186,187,188,189,190,191,192,193,194,195,196,197,198,199,200,201,202,203,204,205,206,207,208,209,210,211,212,213,214,215,216,217,218,219,220,221,222,223,224,225,226,227,228,229,230,231,232,233,234,235,236,237,238,239,240,241,242,243,244,245,246,247,248,249,250,251,252,253,254,255
    .quad isr_stub_\v
    .endr
    "#,
    dispatch = sym super::traps::trap_dispatch,
);

extern "C" {
    static isr_stub_table: [u64; 256];
}

#[repr(C, packed)]
struct IdtPointer {
    limit: u16,
    base: u64,
}

#[derive(Clone, Copy)]
#[repr(C)]
struct Gate {
    offset_low: u16,
    selector: u16,
    ist: u8,
    type_attr: u8,
    offset_mid: u16,
    offset_high: u32,
    reserved: u32,
}

impl Gate {
    const EMPTY: Gate = Gate {
        offset_low: 0,
        selector: 0,
        ist: 0,
        type_attr: 0,
        offset_mid: 0,
        offset_high: 0,
        reserved: 0,
    };

    fn interrupt(handler: u64, ist: u16, user_callable: bool) -> Gate {
        let dpl = if user_callable { 3 } else { 0 };
        Gate {
            offset_low: handler as u16,
            selector: KERNEL_CS,
            ist: ist as u8,
            type_attr: 0x80 | (dpl << 5) | 0xe, // present, 64-bit interrupt gate (IF cleared on entry)
            offset_mid: (handler >> 16) as u16,
            offset_high: (handler >> 32) as u32,
            reserved: 0,
        }
    }
}

#[repr(C, align(16))]
struct Idt([Gate; 256]);

/// One IDT shared by all CPUs; written once by the boot CPU before any other CPU starts.
static mut IDT: Idt = Idt([Gate::EMPTY; 256]);

/// Fill the IDT (boot CPU, once).
pub fn init() {
    // SAFETY: the table is defined by the assembly above with 256 entries, and never written.
    let stubs = unsafe { &isr_stub_table };
    for (vector, &handler) in stubs.iter().enumerate() {
        let ist = match vector {
            2 => IST_NMI,
            8 => IST_DOUBLE_FAULT,
            18 => IST_MACHINE_CHECK,
            _ => 0,
        };
        // int3 and into may be used from user mode, as on Linux.
        let user = vector == 3 || vector == 4;
        // SAFETY: single-threaded boot; no CPU has loaded the IDT yet.
        unsafe { (*core::ptr::addr_of_mut!(IDT)).0[vector] = Gate::interrupt(handler, ist, user) };
    }
}

/// Load the IDT on this CPU.
pub fn load() {
    let ptr = IdtPointer {
        limit: (core::mem::size_of::<Idt>() - 1) as u16,
        base: core::ptr::addr_of!(IDT) as u64,
    };
    // SAFETY: the IDT is static and fully initialised by `init` before any CPU calls `load`.
    unsafe {
        core::arch::asm!("lidt [{}]", in(reg) &ptr, options(readonly, nostack, preserves_flags))
    };
}
