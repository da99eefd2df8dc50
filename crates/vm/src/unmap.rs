//! `munmap(2)` and `madvise(MADV_DONTNEED)`: dropping mappings, and dropping pages.

use crate::space::{coalesce, Vmas};
use crate::{is_page_aligned, page_align_up, page_align_wrapping, PartialOutcome};
use alloc::vec::Vec;
use basalt_linux_abi::Errno;
use core::ops::Range;

impl Vmas {
    /// `munmap(2)`: removes `[addr, addr + len)` (length rounded up to pages), splitting
    /// areas at its ends, and returns the ranges that were mapped, whose pages the kernel
    /// frees. Unmapping nothing succeeds. `EINVAL` for an unaligned address, a zero length
    /// or a range beyond the user range; `ENOMEM` when punching a hole would exceed
    /// `max_map_count`.
    pub fn munmap(&mut self, addr: u64, len: u64) -> Result<Vec<Range<u64>>, Errno> {
        let user_end = self.layout.user_end;
        if !is_page_aligned(addr) || addr > user_end || len > user_end - addr {
            return Err(Errno::EINVAL);
        }
        // Cannot overflow: len <= user_end, far below u64::MAX.
        let len = page_align_up(len).ok_or(Errno::EINVAL)?;
        if len == 0 {
            return Err(Errno::EINVAL);
        }
        self.unmap_range(addr, addr + len)
    }

    /// `madvise(addr, len, MADV_DONTNEED)`: the mapped parts of the range, whose pages the
    /// kernel drops (private pages then read back as zeroes or file contents, shared ones
    /// from the object). The areas do not change. Like Linux, holes do not stop the call
    /// but make it fail with `ENOMEM` after the mapped parts were dropped. `EINVAL` for an
    /// unaligned address or a range that wraps around.
    pub fn madvise_dontneed(&self, addr: u64, len: u64) -> PartialOutcome<Vec<Range<u64>>> {
        let fail = |errno| PartialOutcome {
            done: Vec::new(),
            error: Some(errno),
        };
        if !is_page_aligned(addr) {
            return fail(Errno::EINVAL);
        }
        let aligned = page_align_wrapping(len);
        if len != 0 && aligned == 0 {
            return fail(Errno::EINVAL);
        }
        let Some(end) = addr.checked_add(aligned) else {
            return fail(Errno::EINVAL);
        };
        if end == addr {
            return PartialOutcome {
                done: Vec::new(),
                error: None,
            };
        }
        let pieces = coalesce(
            self.overlapping(addr, end)
                .map(|vma| vma.start.max(addr)..vma.end.min(end)),
        );
        let covered: u64 = pieces.iter().map(|piece| piece.end - piece.start).sum();
        let error = (covered != end - addr).then_some(Errno::ENOMEM);
        PartialOutcome {
            done: pieces,
            error,
        }
    }
}
