//! Where things go in a user address space, and the limits that shape it.

use crate::{page_align_down, page_align_up, PAGE_SIZE};

/// The shape and limits of one process's address space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddressSpaceLayout {
    /// One past the highest user address (Linux's `TASK_SIZE`).
    pub user_end: u64,
    /// `mmap` without a usable hint allocates top-down below this address.
    pub mmap_base: u64,
    /// Nothing may be mapped below this address (`vm.mmap_min_addr`); `MAP_FIXED` below it
    /// fails with `EPERM`, as for an unprivileged Linux process.
    pub mmap_min_addr: u64,
    /// Where the `brk` heap starts (just after the ELF image's bss).
    pub brk_start: u64,
    /// The initial program break (normally `brk_start`); `[brk_start, brk)` starts mapped.
    pub brk: u64,
    /// How large a growing stack may become (`RLIMIT_STACK`).
    pub stack_limit: u64,
    /// Bytes kept free below a growing stack (Linux's `stack_guard_gap`).
    pub stack_guard_gap: u64,
    /// The most areas the address space may hold (`vm.max_map_count`).
    pub max_map_count: usize,
    /// The most bytes all areas together may span (`RLIMIT_AS`; `u64::MAX`: no limit). Growing past it fails
    /// with `ENOMEM` (a stack: `SIGSEGV`).
    pub address_space_limit: u64,
}

impl AddressSpaceLayout {
    /// Linux x86_64's `TASK_SIZE`: 47-bit addresses minus the last page.
    pub const X86_64_USER_END: u64 = (1 << 47) - PAGE_SIZE;
    /// Linux's default `RLIMIT_STACK` soft limit (8 MiB).
    pub const DEFAULT_STACK_LIMIT: u64 = 8 << 20;
    /// Linux's default `stack_guard_gap` (256 pages).
    pub const DEFAULT_STACK_GUARD_GAP: u64 = 256 * PAGE_SIZE;
    /// Debian's default `vm.mmap_min_addr`.
    pub const DEFAULT_MMAP_MIN_ADDR: u64 = 65536;
    /// Linux's default `vm.max_map_count`.
    pub const DEFAULT_MAX_MAP_COUNT: usize = 65530;
    /// Linux keeps at least this much room for the stack above `mmap_base`.
    const MIN_STACK_GAP: u64 = 128 << 20;

    /// The layout Linux gives an x86_64 process without address randomisation, with the
    /// heap starting at `brk_start`. The kernel may randomise `mmap_base` and `brk_start`.
    pub const fn linux_x86_64(brk_start: u64) -> AddressSpaceLayout {
        let stack_gap = Self::DEFAULT_STACK_LIMIT + Self::DEFAULT_STACK_GUARD_GAP;
        let gap = if stack_gap < Self::MIN_STACK_GAP {
            Self::MIN_STACK_GAP
        } else {
            stack_gap
        };
        AddressSpaceLayout {
            user_end: Self::X86_64_USER_END,
            mmap_base: Self::X86_64_USER_END - gap,
            mmap_min_addr: Self::DEFAULT_MMAP_MIN_ADDR,
            brk_start,
            brk: brk_start,
            stack_limit: Self::DEFAULT_STACK_LIMIT,
            stack_guard_gap: Self::DEFAULT_STACK_GUARD_GAP,
            max_map_count: Self::DEFAULT_MAX_MAP_COUNT,
            address_space_limit: u64::MAX,
        }
    }

    /// The layout with its addresses made consistent: a page-aligned user range of at most
    /// 2^63 bytes, `mmap_base` and the break inside it, the break not below its start.
    pub(crate) fn sanitized(self) -> AddressSpaceLayout {
        // Capping the user range at 2^63 means a sum of two in-range values never overflows.
        let user_end = page_align_down(self.user_end.min(1 << 63));
        let brk_start = self.brk_start.min(user_end);
        AddressSpaceLayout {
            user_end,
            mmap_base: page_align_down(self.mmap_base.min(user_end)),
            mmap_min_addr: self.mmap_min_addr.min(user_end),
            brk_start,
            brk: self.brk.clamp(brk_start, user_end),
            ..self
        }
    }

    /// Where the bottom-up fallback search starts (Linux's `TASK_UNMAPPED_BASE`).
    pub(crate) fn legacy_mmap_base(&self) -> u64 {
        page_align_up(self.user_end / 3).unwrap_or(self.user_end)
    }
}
