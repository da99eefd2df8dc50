//! Auxiliary vector entry types (`AT_*`) as defined by the Linux x86-64 ABI.
//! The values are ABI: user space (libc, the dynamic loader) reads them.

/// Ends the auxiliary vector.
pub const AT_NULL: u64 = 0;
/// Address of the program headers of the executable (for the dynamic loader).
pub const AT_PHDR: u64 = 3;
/// Size in bytes of one program header entry.
pub const AT_PHENT: u64 = 4;
/// Number of program headers.
pub const AT_PHNUM: u64 = 5;
/// System page size.
pub const AT_PAGESZ: u64 = 6;
/// Load address of the interpreter (dynamic loader); 0 when there is none.
pub const AT_BASE: u64 = 7;
/// Flags; always 0 on Linux.
pub const AT_FLAGS: u64 = 8;
/// Entry point of the executable itself (not of the interpreter).
pub const AT_ENTRY: u64 = 9;
/// Real user id.
pub const AT_UID: u64 = 11;
/// Effective user id.
pub const AT_EUID: u64 = 12;
/// Real group id.
pub const AT_GID: u64 = 13;
/// Effective group id.
pub const AT_EGID: u64 = 14;
/// Address of a NUL-terminated platform string such as `x86_64`.
pub const AT_PLATFORM: u64 = 15;
/// CPU feature bits (CPUID leaf 1 EDX on x86).
pub const AT_HWCAP: u64 = 16;
/// Frequency of `times()` ticks.
pub const AT_CLKTCK: u64 = 17;
/// Non-zero when the process runs set-uid/set-gid (libc then ignores env tweaks).
pub const AT_SECURE: u64 = 23;
/// Address of 16 random bytes (stack protector and pointer-guard seeds).
pub const AT_RANDOM: u64 = 25;
/// More CPU feature bits (x86: ring-3 MONITOR/MWAIT, FSGSBASE).
pub const AT_HWCAP2: u64 = 26;
/// Address of the NUL-terminated file name given to `execve`.
pub const AT_EXECFN: u64 = 31;
/// Minimal stack size a signal handler needs (covers the signal frame).
pub const AT_MINSIGSTKSZ: u64 = 51;
