//! The buddy allocator proper: splitting, coalescing and range management.

use crate::error::{FreeError, OutOfMemory};
use crate::free_list::FreeLists;
use crate::meta::{FrameMeta, FrameState, NIL};
use crate::{FRAME_SIZE, MAX_ORDER};
use core::ops::Range;

/// Buddy allocator over the frames `first_pfn .. first_pfn + meta.len()`.
///
/// Holds only a borrow of the metadata array, so it works with `&'static mut` metadata
/// inside a static lock; [`BuddyAllocator::empty`] gives a const placeholder for that.
pub struct BuddyAllocator<'a> {
    meta: &'a mut [FrameMeta],
    first_pfn: u64,
    free_lists: FreeLists,
    free_frames: u64,
    total_frames: u64,
}

/// Number of frames in a block of `order`.
const fn frames_in(order: usize) -> u64 {
    1u64 << order
}

impl BuddyAllocator<'static> {
    /// An allocator covering no frames; every allocation fails. Lets a `static` hold the
    /// allocator before boot code has carved out the metadata.
    pub const fn empty() -> Self {
        BuddyAllocator {
            meta: &mut [],
            first_pfn: 0,
            free_lists: FreeLists::new(),
            free_frames: 0,
            total_frames: 0,
        }
    }
}

impl<'a> BuddyAllocator<'a> {
    /// Covers pfns `first_pfn .. first_pfn + meta.len()`; every frame starts reserved
    /// (not allocatable) and every entry of `meta` is overwritten.
    ///
    /// Coverage is clipped to `u32::MAX - 1` frames (16 TiB; links are u32 indices) and so
    /// that the last pfn does not overflow u64. Entries beyond that stay untouched.
    pub fn new(meta: &'a mut [FrameMeta], first_pfn: u64) -> Self {
        let max_by_links = (NIL as usize).min(meta.len());
        let max_by_pfn = usize::try_from(u64::MAX - first_pfn).unwrap_or(usize::MAX);
        let covered = max_by_links.min(max_by_pfn);
        let (meta, _unused) = meta.split_at_mut(covered);
        meta.fill(FrameMeta::RESERVED);
        BuddyAllocator {
            meta,
            first_pfn,
            free_lists: FreeLists::new(),
            free_frames: 0,
            total_frames: 0,
        }
    }

    /// Bytes of metadata the kernel must carve out to cover `frames` frames
    /// (the array must also be aligned to `align_of::<FrameMeta>()`, i.e. 4).
    pub fn meta_bytes_for(frames: u64) -> u64 {
        frames.saturating_mul(core::mem::size_of::<FrameMeta>() as u64)
    }

    /// Smallest order whose block holds `bytes` (order 0 for 0 bytes); `None` above 4 MiB.
    pub fn order_for(bytes: u64) -> Option<usize> {
        (0..=MAX_ORDER).find(|&order| (FRAME_SIZE << order) >= bytes)
    }

    /// The pfns covered by the metadata array.
    pub fn covered_pfns(&self) -> Range<u64> {
        self.first_pfn..self.first_pfn + self.meta.len() as u64
    }

    /// Frames currently free.
    pub fn free_frames(&self) -> u64 {
        self.free_frames
    }

    /// Frames ever made allocatable through [`add_free_range`](Self::add_free_range).
    pub fn total_frames(&self) -> u64 {
        self.total_frames
    }

    /// Number of free blocks of exactly `order` (0 for orders above `MAX_ORDER`).
    pub fn free_blocks(&self, order: usize) -> u64 {
        if order > MAX_ORDER {
            return 0;
        }
        self.free_lists.len(order)
    }

    /// Make frames `[start_pfn, end_pfn)` allocatable, clipped to the covered range.
    ///
    /// Only reserved frames are added (frames already free or allocated are skipped, so
    /// overlapping calls are harmless); they are split into maximal aligned blocks, which
    /// also merge with adjacent free buddies.
    pub fn add_free_range(&mut self, start_pfn: u64, end_pfn: u64) {
        let covered = self.covered_pfns();
        let start = start_pfn.max(covered.start);
        let end = end_pfn.min(covered.end);
        let mut pfn = start;
        while pfn < end {
            if self.state_of(pfn) != FrameState::Reserved {
                pfn += 1;
                continue;
            }
            let mut run_end = pfn + 1;
            while run_end < end && self.state_of(run_end) == FrameState::Reserved {
                run_end += 1;
            }
            self.add_reserved_run(pfn, run_end);
            pfn = run_end;
        }
    }

    /// Allocate a block of `1 << order` frames; returns its first pfn, aligned to
    /// `1 << order`. Orders above `MAX_ORDER` fail with `OutOfMemory`.
    pub fn alloc(&mut self, order: usize) -> Result<u64, OutOfMemory> {
        if order > MAX_ORDER {
            return Err(OutOfMemory);
        }
        let (found_order, index) = (order..=MAX_ORDER)
            .find_map(|o| self.free_lists.first(o).map(|index| (o, index)))
            .ok_or(OutOfMemory)?;
        Ok(self.take_free_block(index, found_order, order))
    }

    /// Allocate a block whose frames all lie below `limit_pfn` (SMP trampoline, DMA32).
    ///
    /// Walks the free lists, so it is O(free blocks); prefers the smallest free block.
    pub fn alloc_below(&mut self, order: usize, limit_pfn: u64) -> Result<u64, OutOfMemory> {
        if order > MAX_ORDER {
            return Err(OutOfMemory);
        }
        for found_order in order..=MAX_ORDER {
            let mut cursor = self.free_lists.first(found_order);
            while let Some(index) = cursor {
                // Splitting keeps the lowest sub-block, so only the head's pfn matters.
                let fits = self
                    .pfn_of(index)
                    .checked_add(frames_in(order))
                    .is_some_and(|end| end <= limit_pfn);
                if fits {
                    return Ok(self.take_free_block(index, found_order, order));
                }
                let next = self.meta[index as usize].next;
                cursor = (next != NIL).then_some(next);
            }
        }
        Err(OutOfMemory)
    }

    /// Return a block obtained from `alloc`/`alloc_below` with the same order; merges it
    /// with free buddies. Rejected frees leave the allocator unchanged.
    pub fn free(&mut self, pfn: u64, order: usize) -> Result<(), FreeError> {
        let index = self.index_of(pfn).ok_or(FreeError::OutOfRange)?;
        if order > MAX_ORDER {
            return Err(FreeError::InvalidOrder);
        }
        if !pfn.is_multiple_of(frames_in(order)) {
            return Err(FreeError::Misaligned);
        }
        let head = self.meta[index as usize];
        if head.state != FrameState::AllocatedHead {
            return Err(FreeError::NotAllocated);
        }
        if usize::from(head.order) != order {
            return Err(FreeError::OrderMismatch {
                allocated_order: usize::from(head.order),
            });
        }
        self.free_frames += frames_in(order);
        self.insert_coalescing(pfn, order);
        Ok(())
    }

    /// Turn the reserved frames `[start, end)` into free blocks of maximal aligned size.
    fn add_reserved_run(&mut self, start: u64, end: u64) {
        let mut pfn = start;
        while pfn < end {
            let order = (0..=MAX_ORDER)
                .rev()
                .find(|&o| {
                    pfn.is_multiple_of(frames_in(o))
                        && pfn
                            .checked_add(frames_in(o))
                            .is_some_and(|block_end| block_end <= end)
                })
                .unwrap_or(0);
            let size = frames_in(order);
            for tail in pfn + 1..pfn + size {
                self.set_meta(tail, FrameMeta::TAIL);
            }
            self.total_frames += size;
            self.free_frames += size;
            self.insert_coalescing(pfn, order);
            pfn += size;
        }
    }

    /// Unlink the free block at `index` (of `found_order`), split it down to `order`
    /// (upper halves go back to the free lists) and mark the result allocated.
    fn take_free_block(&mut self, index: u32, found_order: usize, order: usize) -> u64 {
        self.free_lists.remove(self.meta, found_order, index);
        let pfn = self.pfn_of(index);
        let mut current = found_order;
        while current > order {
            current -= 1;
            let upper = pfn + frames_in(current);
            self.link_free_head(upper, current);
        }
        self.set_meta(pfn, FrameMeta::head(FrameState::AllocatedHead, order as u8));
        self.free_frames -= frames_in(order);
        pfn
    }

    /// Insert the block at `pfn` as free, first merging it with free buddies of equal order.
    fn insert_coalescing(&mut self, mut pfn: u64, mut order: usize) {
        while order < MAX_ORDER {
            let buddy = pfn ^ frames_in(order);
            let Some(buddy_index) = self.index_of(buddy) else {
                break;
            };
            let buddy_meta = self.meta[buddy_index as usize];
            if buddy_meta.state != FrameState::FreeHead || usize::from(buddy_meta.order) != order {
                break;
            }
            self.free_lists.remove(self.meta, order, buddy_index);
            // The higher of the two heads becomes an ordinary frame inside the merged block.
            self.set_meta(pfn.max(buddy), FrameMeta::TAIL);
            pfn = pfn.min(buddy);
            order += 1;
        }
        self.link_free_head(pfn, order);
    }

    /// Mark `pfn` as the head of a free block of `order` and link it into its list.
    fn link_free_head(&mut self, pfn: u64, order: usize) {
        self.set_meta(pfn, FrameMeta::head(FrameState::FreeHead, order as u8));
        if let Some(index) = self.index_of(pfn) {
            self.free_lists.push(self.meta, order, index);
        }
    }

    /// Array index of `pfn`, if covered.
    fn index_of(&self, pfn: u64) -> Option<u32> {
        let offset = pfn.checked_sub(self.first_pfn)?;
        if offset < self.meta.len() as u64 {
            u32::try_from(offset).ok()
        } else {
            None
        }
    }

    /// Pfn of the frame at array `index`.
    fn pfn_of(&self, index: u32) -> u64 {
        self.first_pfn + u64::from(index)
    }

    /// State of a covered pfn; uncovered pfns read as reserved.
    fn state_of(&self, pfn: u64) -> FrameState {
        self.index_of(pfn).map_or(FrameState::Reserved, |index| {
            self.meta[index as usize].state
        })
    }

    /// Overwrite the metadata of a covered pfn (ignored for uncovered pfns).
    fn set_meta(&mut self, pfn: u64, value: FrameMeta) {
        if let Some(index) = self.index_of(pfn) {
            self.meta[index as usize] = value;
        }
    }

    /// Read-only view for the invariant checker in tests.
    #[cfg(test)]
    pub(crate) fn raw_parts(&self) -> (&[FrameMeta], u64, &FreeLists) {
        (self.meta, self.first_pfn, &self.free_lists)
    }
}
