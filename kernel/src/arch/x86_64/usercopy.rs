//! Copying between kernel and user memory with fault recovery: a fault inside the copy loop is turned into a
//! short count (and so `EFAULT`) instead of a kernel crash. SMAP is lifted (STAC/CLAC) only around the copy.

use super::idt::TrapFrame;
use core::arch::global_asm;
use core::sync::atomic::{AtomicU8, Ordering};

/// Non-zero when SMAP is on, read by the assembly (STAC/CLAC fault with #UD on CPUs without SMAP).
#[no_mangle]
static USERCOPY_SMAP: AtomicU8 = AtomicU8::new(0);

global_asm!(
    r#"
    .section .text.usercopy, "ax"
    .global usercopy_raw
/* usize usercopy_raw(dst, src, len): returns the number of bytes NOT copied. Whole words first (rep movsb costs a
   step per byte under emulation), then the tail; a fault in the word loop finishes byte by byte, so the count of
   bytes not copied is exact. */
usercopy_raw:
    cmp byte ptr [rip + USERCOPY_SMAP], 0
    je 1f
    stac
1:  mov rcx, rdx
    shr rcx, 3
    .global usercopy_words_insn
usercopy_words_insn:
    rep movsq
    mov rcx, rdx
    and rcx, 7
    .global usercopy_insn
usercopy_insn:
    rep movsb
    cmp byte ptr [rip + USERCOPY_SMAP], 0
    je 2f
    clac
2:  xor eax, eax
    ret
    .global usercopy_words_fixup
usercopy_words_fixup:
    /* rcx words were left (rsi/rdi point at the one that faulted): copy them and the tail byte by byte. */
    shl rcx, 3
    and rdx, 7
    add rcx, rdx
    jmp usercopy_insn
    .global usercopy_fixup
usercopy_fixup:
    cmp byte ptr [rip + USERCOPY_SMAP], 0
    je 3f
    clac
3:  mov rax, rcx
    ret

/* u64 usercopy_cmpxchg32_raw(ptr, expected, new, found: *mut u32): 0, or 1 after a fault. */
    .global usercopy_cmpxchg32_raw
usercopy_cmpxchg32_raw:
    mov eax, esi
    cmp byte ptr [rip + USERCOPY_SMAP], 0
    je 4f
    stac
4:
    .global usercopy_cmpxchg_insn
usercopy_cmpxchg_insn:
    lock cmpxchg dword ptr [rdi], edx
    cmp byte ptr [rip + USERCOPY_SMAP], 0
    je 5f
    clac
5:  mov dword ptr [rcx], eax
    xor eax, eax
    ret
    .global usercopy_cmpxchg_fixup
usercopy_cmpxchg_fixup:
    cmp byte ptr [rip + USERCOPY_SMAP], 0
    je 6f
    clac
6:  mov eax, 1
    ret
    "#
);

extern "C" {
    fn usercopy_raw(dst: *mut u8, src: *const u8, len: usize) -> usize;
    fn usercopy_cmpxchg32_raw(ptr: *mut u32, expected: u32, new: u32, found: *mut u32) -> u64;
    static usercopy_words_insn: u8;
    static usercopy_words_fixup: u8;
    static usercopy_insn: u8;
    static usercopy_fixup: u8;
    static usercopy_cmpxchg_insn: u8;
    static usercopy_cmpxchg_fixup: u8;
}

/// The instructions that may fault on user memory (copies, the compare-and-exchange), and where each resumes.
fn fault_points() -> [(u64, u64); 3] {
    // SAFETY: only the addresses of the labels are taken.
    unsafe {
        [
            (
                &usercopy_words_insn as *const u8 as u64,
                &usercopy_words_fixup as *const u8 as u64,
            ),
            (
                &usercopy_insn as *const u8 as u64,
                &usercopy_fixup as *const u8 as u64,
            ),
            (
                &usercopy_cmpxchg_insn as *const u8 as u64,
                &usercopy_cmpxchg_fixup as *const u8 as u64,
            ),
        ]
    }
}

/// Tell the copy routine whether SMAP is on (boot CPU, before any user program runs).
pub fn init(smap: bool) {
    USERCOPY_SMAP.store(smap as u8, Ordering::Relaxed);
}

/// Whether a kernel-mode fault happened in a copy loop.
pub fn in_copy_routine(frame: &TrapFrame) -> bool {
    fault_points().iter().any(|&(insn, _)| frame.rip == insn)
}

/// Called by the page-fault handler for kernel-mode faults: if the fault is in a copy loop, resume at its fixup.
pub fn fixup(frame: &mut TrapFrame) -> bool {
    match fault_points().iter().find(|&&(insn, _)| frame.rip == insn) {
        Some(&(_, resume)) => {
            frame.rip = resume;
            true
        }
        None => false,
    }
}

/// Copy `len` bytes from `src` to `dst` where one side is user memory whose range the caller has checked lies in
/// the user half. Returns the number of bytes not copied (non-zero after a fault).
///
/// # Safety
/// The kernel-side range must be valid for the access; the user-side range must be below `USER_END`.
unsafe fn copy_raw(dst: *mut u8, src: *const u8, len: usize) -> usize {
    // SAFETY: per the contract; faults on the user side are recovered by `fixup`.
    unsafe { usercopy_raw(dst, src, len) }
}

fn user_range_ok(addr: u64, len: usize) -> bool {
    matches!(addr.checked_add(len as u64), Some(end) if end <= super::paging::USER_END)
}

/// Copy from user memory at `src` into `dst`. `EFAULT` if any byte is outside user space or not mapped.
pub fn copy_from_user(dst: &mut [u8], src: u64) -> Result<(), basalt_linux_abi::Errno> {
    if !user_range_ok(src, dst.len()) {
        return Err(basalt_linux_abi::Errno::EFAULT);
    }
    // SAFETY: `dst` is a valid kernel buffer; the source range lies in the user half (checked), faults are fixed up.
    match unsafe { copy_raw(dst.as_mut_ptr(), src as *const u8, dst.len()) } {
        0 => Ok(()),
        _ => Err(basalt_linux_abi::Errno::EFAULT),
    }
}

/// Copy `src` into user memory at `dst`. `EFAULT` if any byte is outside user space or not mapped.
///
/// Note: pages are written through the user's mapping, so read-only user pages also fault (EFAULT).
pub fn copy_to_user(dst: u64, src: &[u8]) -> Result<(), basalt_linux_abi::Errno> {
    if !user_range_ok(dst, src.len()) {
        return Err(basalt_linux_abi::Errno::EFAULT);
    }
    // SAFETY: as in copy_from_user, the other way round.
    match unsafe { copy_raw(dst as *mut u8, src.as_ptr(), src.len()) } {
        0 => Ok(()),
        _ => Err(basalt_linux_abi::Errno::EFAULT),
    }
}

/// Atomically replace the user word at `addr` with `new` if it holds `expected` (futexes); returns the value found.
/// `EFAULT` if the word is outside user space, unaligned, or cannot be written.
pub fn cmpxchg_user_u32(
    addr: u64,
    expected: u32,
    new: u32,
) -> Result<u32, basalt_linux_abi::Errno> {
    if !user_range_ok(addr, 4) || !addr.is_multiple_of(4) {
        return Err(basalt_linux_abi::Errno::EFAULT);
    }
    let mut found = 0u32;
    // SAFETY: the aligned word lies in the user half (checked), so it never crosses a page; a fault is resolved by
    // the page-fault handler (demand paging, copy-on-write) or resumes at the fixup; `found` is a kernel local.
    match unsafe { usercopy_cmpxchg32_raw(addr as *mut u32, expected, new, &mut found) } {
        0 => Ok(found),
        _ => Err(basalt_linux_abi::Errno::EFAULT),
    }
}
