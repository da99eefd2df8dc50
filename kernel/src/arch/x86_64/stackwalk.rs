//! Walking the kernel stack by frame pointers, and the embedded symbol table for naming return addresses.

use super::paging::{self, KERNEL_VMA};

extern "C" {
    static __ksyms_start: u8;
    static __ksyms_end: u8;
}

/// The symbol table `cargo xtask build` writes into the `.ksyms` section.
pub fn ksyms_table() -> &'static [u8] {
    // SAFETY: the two linker symbols delimit the read-only `.ksyms` section of the loaded image.
    unsafe {
        let start = &__ksyms_start as *const u8;
        let end = &__ksyms_end as *const u8;
        core::slice::from_raw_parts(start, end as usize - start as usize)
    }
}

/// Zero-filled storage for the table; the build tool overwrites it in the ELF file.
#[used]
#[link_section = ".ksyms"]
static KSYMS_SPACE: [u8; 256 * 1024] = [0; 256 * 1024];

fn readable(addr: u64) -> bool {
    addr >= 0xffff_8000_0000_0000
        && addr.is_multiple_of(8)
        && paging::translate(paging::current_pml4(), addr).is_some()
        && paging::translate(paging::current_pml4(), addr + 8).is_some()
}

/// Return addresses up the frame-pointer chain starting at `rbp` (at most `out.len()`); returns how many.
pub fn walk(mut rbp: u64, out: &mut [u64]) -> usize {
    let mut n = 0;
    while n < out.len() && rbp != 0 && readable(rbp) {
        // SAFETY: `rbp` and `rbp + 8` are mapped kernel addresses (checked above), 8-aligned.
        let (next, ret) = unsafe {
            (
                core::ptr::read(rbp as *const u64),
                core::ptr::read((rbp + 8) as *const u64),
            )
        };
        if ret < KERNEL_VMA {
            break;
        }
        out[n] = ret;
        n += 1;
        if next <= rbp {
            break;
        }
        rbp = next;
    }
    n
}

/// The current frame pointer.
pub fn current_rbp() -> u64 {
    let rbp: u64;
    // SAFETY: reading a register.
    unsafe {
        core::arch::asm!("mov {}, rbp", out(reg) rbp, options(nomem, nostack, preserves_flags))
    };
    rbp
}
