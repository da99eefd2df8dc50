//! The `syscall` instruction's entry and exit, and the first entry into user mode.
//!
//! Linux register convention: number in rax; arguments in rdi, rsi, rdx, r10, r8, r9; result in rax; the CPU
//! puts the return address in rcx and the flags in r11. The entry builds the same [`TrapFrame`] as interrupts do,
//! so signal delivery and process inspection see one layout.

use super::idt::{TrapFrame, SYSCALL_VECTOR};
use super::paging::USER_END;
use super::percpu::{KERNEL_CS, PERCPU_KERNEL_RSP, PERCPU_USER_RSP, USER_CS, USER_DS};
use core::arch::global_asm;
use x86_64::registers::model_specific::{LStar, SFMask};
use x86_64::registers::rflags::RFlags;
use x86_64::VirtAddr;

global_asm!(
    r#"
    .section .text.syscall, "ax"
    .global syscall_entry
syscall_entry:
    swapgs
    mov gs:[{user_rsp}], rsp
    mov rsp, gs:[{kernel_rsp}]
    push {user_ds}
    push qword ptr gs:[{user_rsp}]
    push r11
    push {user_cs}
    push rcx
    push rax                       /* the syscall number, kept for restarts (orig_rax) */
    push {vector}
    push rax
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
    cli
    test eax, eax
    jnz 1f
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
    pop rcx
    add rsp, 8
    pop r11
    pop rsp
    swapgs
    sysretq
1:  pop r15
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
    swapgs
    iretq

    .global enter_user_frame
/* enter_user_frame(frame: *const TrapFrame) -> ! : load every register from the frame and iretq to user mode. */
enter_user_frame:
    cli
    mov rsp, rdi
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
    swapgs
    iretq
    "#,
    user_rsp = const PERCPU_USER_RSP,
    kernel_rsp = const PERCPU_KERNEL_RSP,
    user_ds = const USER_DS,
    user_cs = const USER_CS,
    vector = const SYSCALL_VECTOR,
    dispatch = sym syscall_dispatch,
);

extern "C" {
    fn syscall_entry();
    fn enter_user_frame(frame: *const TrapFrame) -> !;
}

/// Program the syscall MSRs on this CPU.
pub fn init_this_cpu() {
    // STAR: kernel CS 0x10 (SS 0x18); sysret bases on 0x23 so user CS = 0x33 and SS = 0x2b, as on Linux.
    let star = (0x23u64 << 48) | ((KERNEL_CS as u64) << 32);
    // SAFETY: the entry point is the assembly above, which switches to the kernel stack before touching memory;
    // the flag mask clears IF, TF, DF, AC and NT on entry as Linux does.
    unsafe {
        x86_64::registers::model_specific::Msr::new(0xc000_0081).write(star);
        LStar::write(VirtAddr::new(syscall_entry as *const () as u64));
        SFMask::write(
            RFlags::INTERRUPT_FLAG
                | RFlags::TRAP_FLAG
                | RFlags::DIRECTION_FLAG
                | RFlags::ALIGNMENT_CHECK
                | RFlags::NESTED_TASK
                | RFlags::IOPL_HIGH
                | RFlags::IOPL_LOW,
        );
    }
}

/// Rust side of the entry: run the system call, store its result in rax. Returns non-zero when the return to user
/// mode must use IRET (a non-canonical return address would make SYSRET fault in kernel mode).
extern "C" fn syscall_dispatch(frame: &mut TrapFrame) -> u64 {
    crate::syscall::handle(frame);
    super::traps::returning_to_user(frame);
    // IRET when every register must come back exactly (after rt_sigreturn or entering a signal handler: SYSRET
    // would clobber rcx and r11) or when the return address is not canonical.
    (frame.vector != SYSCALL_VECTOR || frame.rip >= USER_END) as u64
}

/// Start user mode with the registers in `frame` (rip, rsp, rflags; selectors are forced to the user ones).
pub fn enter_user(mut frame: TrapFrame) -> ! {
    frame.cs = USER_CS as u64;
    frame.ss = USER_DS as u64;
    frame.rflags = (frame.rflags | RFlags::INTERRUPT_FLAG.bits())
        & !RFlags::IOPL_HIGH.bits()
        & !RFlags::IOPL_LOW.bits();
    let frame_on_stack = frame;
    // SAFETY: the frame is a complete, user-mode register set; the assembly loads it and IRETs. The stack it
    // abandons belongs to this kernel thread and is reused for the next entry (TSS.RSP0 / per-CPU kernel_rsp).
    unsafe { enter_user_frame(&frame_on_stack) }
}
