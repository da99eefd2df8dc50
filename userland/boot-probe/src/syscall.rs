//! The handful of raw Linux system calls /init needs.

use basalt_linux_abi::nr;
use core::arch::asm;

/// A negative Linux error number returned by a failed system call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Errno(pub usize);

/// Issues a system call with up to four arguments.
///
/// # Safety
/// The arguments must be valid for system call `number` (e.g. pointers must
/// reference memory of the size the call expects).
unsafe fn syscall4(number: usize, arg0: usize, arg1: usize, arg2: usize, arg3: usize) -> isize {
    let result: isize;
    // SAFETY: the caller guarantees valid arguments; `syscall` clobbers only
    // rcx and r11 besides rax, and does not touch our stack.
    unsafe {
        asm!(
            "syscall",
            inlateout("rax") number as isize => result,
            in("rdi") arg0,
            in("rsi") arg1,
            in("rdx") arg2,
            in("r10") arg3,
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        );
    }
    result
}

/// Converts a raw return value: values in -4095..=-1 are errors.
fn check(result: isize) -> Result<usize, Errno> {
    if (-4095..0).contains(&result) {
        Err(Errno(result.unsigned_abs()))
    } else {
        Ok(result as usize)
    }
}

/// `write(fd, bytes)`: returns how many bytes were written.
pub fn write(fd: usize, bytes: &[u8]) -> Result<usize, Errno> {
    // SAFETY: pointer and length describe the live slice `bytes`.
    check(unsafe { syscall4(nr::WRITE, fd, bytes.as_ptr() as usize, bytes.len(), 0) })
}

/// `getpid()`: this process's ID.
pub fn getpid() -> usize {
    // SAFETY: getpid takes no arguments and cannot fail.
    unsafe { syscall4(nr::GETPID, 0, 0, 0, 0) as usize }
}

/// `reboot(magic1, magic2, command, NULL)`; returns only on failure.
pub fn reboot(magic1: u32, magic2: u32, command: u32) -> Errno {
    // SAFETY: the fourth argument (a string for RESTART2 only) is NULL.
    let result = unsafe {
        syscall4(
            nr::REBOOT,
            magic1 as usize,
            magic2 as usize,
            command as usize,
            0,
        )
    };
    match check(result) {
        Err(errno) => errno,
        // Success means the machine went down; if a kernel returns anyway we
        // report it as errno 0 rather than pretending it worked.
        Ok(_) => Errno(0),
    }
}

/// `exit_group(code)`: ends the process.
pub fn exit_group(code: i32) -> ! {
    // SAFETY: exit_group takes a plain integer and never returns.
    unsafe {
        asm!(
            "syscall",
            in("rax") nr::EXIT_GROUP,
            in("rdi") code as isize,
            options(noreturn, nostack),
        );
    }
}
