//! Switching the CPU between kernel threads: callee-saved registers on the old stack, stack pointer swapped, and the
//! per-thread user state that lives in the CPU (FS base for TLS; the FPU registers are in `fpu`).

use core::arch::global_asm;

pub use super::fpu::FpuState;

global_asm!(
    r#"
    .section .text.switch, "ax"
    .global context_switch
/* context_switch(save_rsp: *mut u64, next_rsp: u64): save callee-saved registers on this stack, store rsp in
   *save_rsp, continue on next_rsp where the other thread saved the same frame. */
context_switch:
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    mov [rdi], rsp
    mov rsp, rsi
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

    .global thread_start_trampoline
/* First "return" of a new thread: r12 holds the entry function, r13 its argument. */
thread_start_trampoline:
    mov rdi, r13
    call r12
    ud2
    "#
);

extern "C" {
    fn context_switch(save_rsp: *mut u64, next_rsp: u64);
    fn thread_start_trampoline();
}

/// Switch from the current thread (its stack pointer is stored in `*save_rsp`) to the thread whose saved stack
/// pointer is `next_rsp`. Returns when some CPU switches back to this thread.
///
/// # Safety
/// `save_rsp` must stay valid until this thread runs again; `next_rsp` must come from a previous `switch` of a thread
/// not running anywhere, or from [`prepare_new_stack`]. Interrupts must be disabled.
pub unsafe fn switch(save_rsp: *mut u64, next_rsp: u64) {
    // SAFETY: per the contract.
    unsafe { context_switch(save_rsp, next_rsp) }
}

/// Lay out a fresh kernel stack (top at `stack_top`) so that switching to it calls `entry(arg)`. Returns the saved
/// stack pointer to switch to.
pub fn prepare_new_stack(stack_top: u64, entry: extern "C" fn(u64) -> !, arg: u64) -> u64 {
    // Frame popped by context_switch: r15, r14, r13, r12, rbx, rbp, then the return address.
    let frame: [u64; 8] = [
        0,                                           // r15
        0,                                           // r14
        arg,                                         // r13
        entry as *const () as u64,                   // r12
        0,                                           // rbx
        0,                                           // rbp
        thread_start_trampoline as *const () as u64, // return address
        0, // alignment: rsp % 16 == 8 at entry, as after a call
    ];
    let sp = (stack_top & !15) - (frame.len() as u64) * 8;
    // SAFETY: the caller owns the fresh stack [stack_top - size, stack_top); the frame fits in its top 64 bytes.
    unsafe { core::ptr::copy_nonoverlapping(frame.as_ptr(), sp as *mut u64, frame.len()) };
    sp
}

/// The user FS base (thread pointer for TLS).
pub fn fs_base() -> u64 {
    x86_64::registers::model_specific::FsBase::read().as_u64()
}

/// Set the user FS base. Non-canonical values are refused (they would fault on the next user return).
pub fn set_fs_base(value: u64) -> bool {
    let canonical = value < super::paging::USER_END;
    if canonical {
        x86_64::registers::model_specific::FsBase::write(x86_64::VirtAddr::new(value));
    }
    canonical
}
