//! `brk(2)`: moving the end of the heap.

use crate::prot::Prot;
use crate::space::Vmas;
use crate::vma::{Vma, VmaKind};
use crate::{page_align_up, PAGE_SIZE};
use alloc::vec::Vec;
use core::ops::Range;

/// What a `brk` call did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrkOutcome {
    /// The system call's return value: the new break, or the unchanged one on failure
    /// (`brk` never returns an error number).
    pub brk: u64,
    /// Ranges unmapped by shrinking the heap, whose pages the kernel frees.
    pub freed: Vec<Range<u64>>,
}

impl Vmas {
    /// `brk(2)`. The break may be set anywhere at or above `brk_start`; the heap area ends
    /// at the break rounded up to a page. Like Linux:
    /// - a request below `brk_start` (such as `brk(0)`) just returns the current break;
    /// - shrinking unmaps `[new, old)` rounded to pages, whatever is mapped there, but
    ///   fails if nothing at all is mapped there;
    /// - growing fails if the new heap would come within a page of the next mapping (or
    ///   within the guard gap of a stack), or leave the user range.
    pub fn brk(&mut self, requested: u64) -> BrkOutcome {
        let current = self.brk;
        let unchanged = BrkOutcome {
            brk: current,
            freed: Vec::new(),
        };
        if requested < self.layout.brk_start {
            return unchanged;
        }
        let (Some(new_end), Some(old_end)) = (page_align_up(requested), page_align_up(current))
        else {
            return unchanged;
        };
        if new_end == old_end {
            self.brk = requested;
            return BrkOutcome {
                brk: requested,
                freed: Vec::new(),
            };
        }
        if requested <= current {
            if !self.is_mapped_anywhere(new_end, old_end) {
                return unchanged;
            }
            return match self.unmap_range(new_end, old_end) {
                Ok(freed) => {
                    self.brk = requested;
                    BrkOutcome {
                        brk: requested,
                        freed,
                    }
                }
                Err(_) => unchanged,
            };
        }
        if !self.heap_can_grow(old_end, new_end) {
            return unchanged;
        }
        self.insert_and_merge(Vma::anonymous(
            old_end..new_end,
            Prot::READ_WRITE,
            VmaKind::Heap,
        ));
        self.brk = requested;
        BrkOutcome {
            brk: requested,
            freed: Vec::new(),
        }
    }

    /// Whether the heap may grow from `old_end` to `new_end` (both page-aligned).
    fn heap_can_grow(&self, old_end: u64, new_end: u64) -> bool {
        // Keep a free page (and a stack's guard gap) between the heap and what follows.
        let Some(limit) = new_end.checked_add(PAGE_SIZE) else {
            return false;
        };
        if let Some(next) = self.first_ending_after(old_end) {
            if limit > next.start_gap(self.layout.stack_guard_gap) {
                return false;
            }
        }
        new_end <= self.layout.user_end
            && old_end >= self.layout.mmap_min_addr
            && self.may_expand(new_end - old_end)
            && self.areas.len() <= self.layout.max_map_count
    }
}
