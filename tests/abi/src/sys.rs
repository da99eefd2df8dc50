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
    errno_name(Errno(
        std::io::Error::last_os_error().raw_os_error().unwrap_or(0) as u16,
    ))
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
    unsafe {
        asm!("mov {v}, byte ptr [{a}]", a = in(reg) addr, v = out(reg_byte) v, options(nostack))
    };
    v
}

/// Writes one byte at `addr` with a single instruction.
///
/// # Safety
/// As for [`peek`].
pub unsafe fn poke(addr: usize, v: u8) {
    // SAFETY: as for `peek`.
    unsafe {
        asm!("mov byte ptr [{a}], {v}", a = in(reg) addr, v = in(reg_byte) v, options(nostack))
    };
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

/// Starts a thread with the legacy `clone(flags, stack_top, parent_tid, child_tid, tls)` call; the new thread calls
/// `body(arg)` on the given stack and then makes the `exit` system call (ending only itself). Returns the raw result.
///
/// # Safety
/// `stack_top` must be the 16-byte-aligned top of memory that stays valid until the thread has exited, and `body`
/// must be safe to run concurrently with the caller (it should use atomics and raw system calls only: the thread
/// shares musl's thread-local state with its creator).
pub unsafe fn clone_thread(
    flags: usize,
    stack_top: usize,
    parent_tid: usize,
    child_tid: usize,
    body: extern "C" fn(usize),
    arg: usize,
) -> isize {
    let ret: isize;
    // SAFETY: the parent returns normally; the child switches to `stack_top` (done by the kernel), calls `body` with
    // an aligned stack and exits without returning into this function. r12/r13 survive the system call.
    unsafe {
        asm!(
            "syscall",
            "test rax, rax",
            "jnz 2f",
            "xor ebp, ebp",
            "mov rdi, r12",
            "call r13",
            "xor edi, edi",
            "mov eax, 60",
            "syscall",
            "ud2",
            "2:",
            inlateout("rax") nr::CLONE as isize => ret,
            in("rdi") flags, in("rsi") stack_top, in("rdx") parent_tid, in("r10") child_tid, in("r8") 0usize,
            in("r12") arg, in("r13") body,
            out("rcx") _, out("r11") _,
        );
    }
    ret
}

/// The flags pthread_create uses: a thread sharing everything with its creator.
pub const THREAD_FLAGS: usize = (libc::CLONE_VM
    | libc::CLONE_FS
    | libc::CLONE_FILES
    | libc::CLONE_SIGHAND
    | libc::CLONE_THREAD
    | libc::CLONE_SYSVSEM) as usize;

/// A stack for [`clone_thread`]: owned memory and its aligned top.
pub struct ThreadStack {
    memory: Vec<u8>,
}

impl ThreadStack {
    /// A 256 KiB stack.
    pub fn new() -> ThreadStack {
        ThreadStack {
            memory: vec![0u8; 256 * 1024],
        }
    }

    /// The 16-byte-aligned top address.
    pub fn top(&mut self) -> usize {
        (self.memory.as_mut_ptr() as usize + self.memory.len()) & !15
    }
}

/// Waits until the kernel clears `*tid` (CLONE_CHILD_CLEARTID at thread exit).
pub fn wait_cleared(tid: &core::sync::atomic::AtomicI32) {
    loop {
        let v = tid.load(core::sync::atomic::Ordering::SeqCst);
        if v == 0 {
            return;
        }
        let _ = sys!(nr::FUTEX, tid.as_ptr(), libc::FUTEX_WAIT, v, 0);
    }
}

/// Makes system call `number` (clone or clone3); a child it creates calls `exit(code)` at once, touching neither
/// memory nor stack, so this is safe even with `CLONE_VM` and no stack. Returns the raw value in the parent.
pub fn clone_exit_child(number: usize, args: [usize; 5], code: usize) -> isize {
    let ret: isize;
    // SAFETY: the child only executes the exit system call; the parent returns normally. `code` cannot be in rcx or
    // r11 (clobbered by syscall) nor in an argument register.
    unsafe {
        asm!(
            "syscall",
            "test rax, rax",
            "jnz 2f",
            "mov rdi, {code}",
            "mov eax, 60",
            "syscall",
            "ud2",
            "2:",
            code = in(reg) code,
            inlateout("rax") number as isize => ret,
            in("rdi") args[0], in("rsi") args[1], in("rdx") args[2], in("r10") args[3], in("r8") args[4],
            out("rcx") _, out("r11") _,
            options(nostack),
        );
    }
    ret
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Deterministic xorshift64 generator for the randomized tests.
    pub(crate) struct XorShift(pub u64);

    impl XorShift {
        pub(crate) fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    #[test]
    fn decode_splits_errors_from_values() {
        assert_eq!(decode(0), Ok(0));
        assert_eq!(decode(5), Ok(5));
        assert_eq!(decode(-1), Err(Errno::EPERM));
        assert_eq!(decode(-14), Err(Errno::EFAULT));
        assert_eq!(decode(-4095), Err(Errno(4095)));
        // Just outside the error range: a valid (huge) value such as an mmap address.
        assert_eq!(decode(-4096), Ok((-4096isize) as usize));
        assert_eq!(decode(isize::MIN), Ok(isize::MIN as usize));
    }

    #[test]
    fn decode_matches_model_on_random_values() {
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        for _ in 0..100_000 {
            // Mix small negative numbers (the interesting range) with arbitrary words.
            let raw = if rng.next().is_multiple_of(2) {
                -((rng.next() % 5000) as isize)
            } else {
                rng.next() as isize
            };
            let model_is_error = (-4095..=-1).contains(&raw);
            match decode(raw) {
                Err(e) => {
                    assert!(model_is_error, "{raw}");
                    assert_eq!(isize::from(e.0 as i16), -raw);
                }
                Ok(v) => {
                    assert!(!model_is_error, "{raw}");
                    assert_eq!(v, raw as usize);
                }
            }
        }
    }

    #[test]
    fn result_texts() {
        assert_eq!(outcome(Ok(3)), "ok");
        assert_eq!(outcome(Err(Errno::ENOENT)), "ENOENT");
        assert_eq!(value(Ok(3)), "3");
        assert_eq!(value(Err(Errno::EAGAIN)), "EAGAIN");
        assert_eq!(errno_name(Errno(4000)), "errno 4000");
        assert_eq!(eq(1, 1), "same");
        assert_eq!(eq(1, 2), "differ");
        assert_eq!(yes(true), "yes");
        assert_eq!(yes(false), "no");
    }

    #[test]
    fn raw_calls_reach_the_kernel() {
        assert_eq!(getpid(), std::process::id() as usize);
        assert_eq!(sys!(nr::CLOSE, -1i64), Err(Errno::EBADF));
        let page = map_anon(PAGE).expect("mmap");
        // SAFETY: freshly mapped read-write page.
        unsafe {
            poke(page + 10, 42);
            assert_eq!(peek(page + 10), 42);
        }
        unmap(page, PAGE);
    }
}
