//! Raw system calls and the text every case uses to show a result.
//!
//! Cases call the kernel directly (not through musl) where the exact return value or errno matters: a libc wrapper
//! may check arguments itself, retry, or translate errors, and then we would be testing musl instead of the kernel.

use core::arch::asm;

pub use basalt_linux_abi::{nr, Errno};

/// The page size of x86_64; both Linux and Basalt use 4 KiB base pages.
pub const PAGE: usize = 4096;

/// An address that is never mapped in user space (below `vm.mmap_min_addr`), for `EFAULT` cases.
pub const BAD_PTR: usize = 0x10;

/// A kernel-half address: user pointers to it must be refused with `EFAULT`.
pub const KERNEL_PTR: usize = 0xffff_8000_0000_0000;

/// A pid above Linux's `pid_max` limit (2^22), so no process can have it.
pub const NO_SUCH_PID: usize = 1 << 30;

/// Issues system call `number` with up to six arguments and returns the raw `rax` value.
///
/// # Safety
/// The arguments must be valid for the call (pointers to memory the kernel may write, etc.).
pub unsafe fn raw(number: usize, args: &[usize]) -> isize {
    let mut a = [0usize; 6];
    a[..args.len()].copy_from_slice(args);
    let ret: isize;
    // SAFETY: the caller vouches for the arguments; `syscall` clobbers rcx and r11 only.
    unsafe {
        asm!(
            "syscall",
            inlateout("rax") number as isize => ret,
            in("rdi") a[0], in("rsi") a[1], in("rdx") a[2],
            in("r10") a[3], in("r8") a[4], in("r9") a[5],
            lateout("rcx") _, lateout("r11") _,
            options(nostack),
        );
    }
    ret
}

/// Converts a raw return value: -4095..=-1 are errors, as in Linux's `IS_ERR_VALUE`.
pub fn decode(ret: isize) -> Result<usize, Errno> {
    if (-4095..0).contains(&ret) {
        Err(Errno((-ret) as u16))
    } else {
        Ok(ret as usize)
    }
}

/// Issues a system call and decodes its result.
///
/// # Safety
/// As for [`raw`].
pub unsafe fn call(number: usize, args: &[usize]) -> Result<usize, Errno> {
    // SAFETY: forwarded to the caller.
    decode(unsafe { raw(number, args) })
}

/// `sys!(nr::X, a, b, ...)`: a raw system call returning `Result<usize, Errno>`. Arguments are cast with `as usize`.
#[macro_export]
macro_rules! sys {
    ($nr:expr $(, $arg:expr)* $(,)?) => {
        // SAFETY: each case passes arguments that are valid, or deliberately invalid ones the kernel must reject.
        unsafe { $crate::sys::call($nr, &[$($arg as usize),*]) }
    };
}

/// The errno's symbolic name, or `errno N` for numbers Linux does not define.
pub fn errno_name(e: Errno) -> String {
    match e.name() {
        Some(name) => name.to_string(),
        None => format!("errno {}", e.0),
    }
}

/// `ok` on success, otherwise the errno's name: for calls whose return value is not interesting.
pub fn outcome(r: Result<usize, Errno>) -> String {
    match r {
        Ok(_) => "ok".to_string(),
        Err(e) => errno_name(e),
    }
}

/// The returned value on success, otherwise the errno's name.
pub fn value(r: Result<usize, Errno>) -> String {
    match r {
        Ok(v) => v.to_string(),
        Err(e) => errno_name(e),
    }
}

/// The current thread's `errno` after a libc call failed, as a name.
pub fn last_errno() -> String {
    errno_name(Errno(std::io::Error::last_os_error().raw_os_error().unwrap_or(0) as u16))
}

/// `same` when `a == b`, else `differ`: for ids and addresses, which must not be printed.
pub fn eq<T: PartialEq>(a: T, b: T) -> &'static str {
    if a == b {
        "same"
    } else {
        "differ"
    }
}

/// `yes` or `no`.
pub fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// This thread's id, from the kernel (musl caches it, which would hide kernel bugs).
pub fn gettid() -> usize {
    sys!(nr::GETTID).unwrap_or(0)
}

/// This process's id, from the kernel.
pub fn getpid() -> usize {
    sys!(nr::GETPID).unwrap_or(0)
}

/// An anonymous private read-write mapping of `len` bytes, or the errno.
pub fn map_anon(len: usize) -> Result<usize, Errno> {
    sys!(
        nr::MMAP,
        0,
        len,
        libc::PROT_READ | libc::PROT_WRITE,
        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
        -1i64,
        0
    )
}

/// Unmaps `len` bytes at `addr`, ignoring errors (cleanup).
pub fn unmap(addr: usize, len: usize) {
    let _ = sys!(nr::MUNMAP, addr, len);
}

/// Reads one byte at `addr` with a single instruction, so that a fault happens exactly there.
///
/// # Safety
/// May fault; the caller expects that (a handler or the parent observes it).
pub unsafe fn peek(addr: usize) -> u8 {
    let v: u8;
    // SAFETY: the caller accepts a fault; asm keeps the compiler from assuming anything about the address.
    unsafe { asm!("mov {v}, byte ptr [{a}]", a = in(reg) addr, v = out(reg_byte) v, options(nostack)) };
    v
}

/// Writes one byte at `addr` with a single instruction.
///
/// # Safety
/// As for [`peek`].
pub unsafe fn poke(addr: usize, v: u8) {
    // SAFETY: as for `peek`.
    unsafe { asm!("mov byte ptr [{a}], {v}", a = in(reg) addr, v = in(reg_byte) v, options(nostack)) };
}

/// Calls the code at `addr` (which must end in `ret`).
///
/// # Safety
/// As for [`peek`]; the code must follow the C calling convention.
pub unsafe fn call_at(addr: usize) {
    // SAFETY: as for `peek`.
    unsafe { asm!("call {a}", a = in(reg) addr, clobber_abi("C")) };
}

/// A NUL-terminated copy of `s`, kept alive by the caller.
pub fn cstr(s: &str) -> std::ffi::CString {
    std::ffi::CString::new(s).unwrap_or_default()
}
