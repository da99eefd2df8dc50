//! The raw `syscall` instruction, without libc in between: fuzzed calls must reach the kernel exactly as drawn,
//! and must not touch `errno` (the fuzzer may have broken thread-local storage by then).

use core::arch::asm;

/// Issues system call `number` with six arguments and returns `rax` (negative errno on failure).
///
/// # Safety
/// None can be promised: the arguments are deliberately arbitrary, and the call may unmap or overwrite the
/// caller's memory. Only a disposable fuzz worker may call this with random arguments.
pub unsafe fn syscall6(number: usize, args: [u64; 6]) -> i64 {
    let ret: i64;
    // SAFETY: the caller accepts any effect of the call (see above). The instruction itself only clobbers rcx
    // and r11 besides rax, and does not touch the user stack.
    unsafe {
        asm!(
            "syscall",
            inlateout("rax") number as i64 => ret,
            in("rdi") args[0],
            in("rsi") args[1],
            in("rdx") args[2],
            in("r10") args[3],
            in("r8") args[4],
            in("r9") args[5],
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        );
    }
    ret
}
