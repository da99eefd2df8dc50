//! Choosing where a new mapping goes (Linux's `get_unmapped_area` on x86_64): the hint if
//! it fits, else the highest free gap below `mmap_base`, else the lowest above
//! `TASK_UNMAPPED_BASE`; `MAP_32BIT` searches bottom-up between 1 and 2 GiB.

use crate::space::Vmas;
use crate::{is_page_aligned, PAGE_SIZE};
use basalt_linux_abi::Errno;

/// Where x86_64 `MAP_32BIT` mappings go: `[1 GiB, 2 GiB)`.
const MAP_32BIT_WINDOW: (u64, u64) = (0x4000_0000, 0x8000_0000);

impl Vmas {
    /// Linux's `get_unmapped_area`: validates a fixed address, or picks one for `len` bytes
    /// (page-aligned, non-zero) starting from `hint` (0: none).
    pub(crate) fn get_unmapped_area(
        &self,
        hint: u64,
        len: u64,
        fixed: bool,
        below_2g: bool,
    ) -> Result<u64, Errno> {
        let user_end = self.layout.user_end;
        if len > user_end {
            return Err(Errno::ENOMEM);
        }
        let addr = if fixed {
            hint
        } else if below_2g {
            self.find_bottom_up(
                hint,
                len,
                MAP_32BIT_WINDOW.0,
                MAP_32BIT_WINDOW.1.min(user_end),
            )
            .ok_or(Errno::ENOMEM)?
        } else {
            self.find_top_down(hint, len)
                .or_else(|| {
                    self.find_bottom_up(hint, len, self.layout.legacy_mmap_base(), user_end)
                })
                .ok_or(Errno::ENOMEM)?
        };
        if addr > user_end - len {
            return Err(Errno::ENOMEM);
        }
        if !is_page_aligned(addr) {
            return Err(Errno::EINVAL);
        }
        if addr < self.layout.mmap_min_addr {
            return Err(Errno::EPERM);
        }
        Ok(addr)
    }

    /// Whether `[addr, addr + len)` is free, counting the guard gap below the next area
    /// if that is a stack. Like Linux, only the first area above `addr` is considered.
    fn hint_fits(&self, addr: u64, len: u64, limit: u64) -> bool {
        if addr == 0 || limit.checked_sub(len).is_none_or(|last| addr > last) {
            return false;
        }
        match self.first_ending_after(addr) {
            None => true,
            Some(next) => addr + len <= next.start_gap(self.layout.stack_guard_gap),
        }
    }

    /// The hint, else the highest free `len` bytes between the lowest mappable page and
    /// `mmap_base`.
    fn find_top_down(&self, hint: u64, len: u64) -> Option<u64> {
        if self.hint_fits(hint, len, self.layout.user_end) {
            return Some(hint);
        }
        let low = self.layout.mmap_min_addr.max(PAGE_SIZE);
        let high = self.layout.mmap_base;
        let guard = self.layout.stack_guard_gap;
        // `ceiling` is the top of the free space being looked at: it only moves down, past
        // each area (and the guard gap below a stack), from the highest area to the lowest.
        let mut ceiling = high;
        for vma in self.areas.values().rev() {
            if vma.end < ceiling && fits_below(ceiling, vma.end.max(low), len) {
                return Some(ceiling - len);
            }
            ceiling = ceiling.min(vma.start_gap(guard));
            if ceiling < low {
                return None;
            }
        }
        fits_below(ceiling, low, len).then(|| ceiling - len)
    }

    /// The hint, else the lowest free `len` bytes in `[low, high)`.
    fn find_bottom_up(&self, hint: u64, len: u64, low: u64, high: u64) -> Option<u64> {
        if self.hint_fits(hint, len, high) {
            return Some(hint);
        }
        let low = low.max(self.layout.mmap_min_addr).max(PAGE_SIZE);
        let guard = self.layout.stack_guard_gap;
        // `floor` is the bottom of the free space being looked at: it only moves up.
        let mut floor = low;
        for vma in self.areas.values() {
            if fits_below(vma.start_gap(guard).min(high), floor, len) {
                return Some(floor);
            }
            floor = floor.max(vma.end);
            if floor >= high {
                return None;
            }
        }
        fits_below(high, floor, len).then_some(floor)
    }
}

/// Whether `len` bytes fit in `[floor, ceiling)`.
fn fits_below(ceiling: u64, floor: u64, len: u64) -> bool {
    ceiling.checked_sub(floor).is_some_and(|room| room >= len)
}
