//! Process entry point and panic handler.

use crate::initial_stack::InitialStack;
use crate::line_writer::LineWriter;
use crate::{report, syscall};

// The kernel jumps to `_start` with rsp pointing at argc. We hand that pointer
// to Rust before touching the stack. rsp is 16-byte aligned at entry by the
// ABI; the `and` keeps the call's alignment contract even if a loader got that
// wrong, and rbp = 0 terminates frame-pointer backtraces here.
core::arch::global_asm!(
    ".globl _start",
    ".type _start, @function",
    "_start:",
    "xor ebp, ebp",
    "mov rdi, rsp",
    "and rsp, -16",
    "call {init_main}",
    "ud2",
    ".size _start, . - _start",
    init_main = sym init_main,
);

/// Rust side of the entry point; never returns.
///
/// # Safety
/// `stack` must be the initial process stack pointer laid out by the kernel
/// as the System V ABI specifies (argc, argv..., NULL, envp..., NULL, auxv).
unsafe extern "C" fn init_main(stack: *const usize) -> ! {
    // SAFETY: `_start` passes the untouched initial stack pointer, which the
    // caller contract of this function describes.
    let initial_stack = unsafe { InitialStack::from_raw(stack) };
    report::print_startup(&initial_stack);
    report::shut_down(&initial_stack)
}

#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    // Formatting the message could panic again; a fixed line is enough to
    // tell the kernel log what happened.
    let _ = syscall::write(LineWriter::STDOUT, b"init: panic\n");
    syscall::exit_group(127)
}
