//! Iterating page-aligned usable memory minus exclusions.

use crate::boot_info::PAGE_SIZE;
use crate::region::{MemoryRegion, RegionKind};
use core::ops::Range;

/// Iterator returned by [`BootInfo::usable_ranges`](crate::BootInfo::usable_ranges).
#[derive(Debug, Clone)]
pub struct UsableRanges<'a> {
    regions: core::slice::Iter<'a, MemoryRegion>,
    exclude: &'a [Range<u64>],
    /// Next address to hand out within the current aligned usable region.
    cursor: u64,
    /// End of the current aligned usable region.
    end: u64,
}

fn align_down(address: u64) -> u64 {
    address & !(PAGE_SIZE - 1)
}

/// Rounds up; an address in the last partial page saturates to `u64::MAX`, which no
/// page-aligned range can reach anyway.
fn align_up(address: u64) -> u64 {
    address
        .checked_next_multiple_of(PAGE_SIZE)
        .unwrap_or(u64::MAX)
}

/// An exclusion widened to whole pages, or `None` if it is empty.
fn widened(range: &Range<u64>) -> Option<Range<u64>> {
    (range.start < range.end).then(|| align_down(range.start)..align_up(range.end))
}

impl<'a> UsableRanges<'a> {
    pub(crate) fn new(regions: &'a [MemoryRegion], exclude: &'a [Range<u64>]) -> Self {
        Self {
            regions: regions.iter(),
            exclude,
            cursor: 0,
            end: 0,
        }
    }

    /// Moves to the next usable region with at least one whole page; false at the end.
    fn next_region(&mut self) -> bool {
        for region in self.regions.by_ref() {
            if region.kind != RegionKind::Usable {
                continue;
            }
            let start = align_up(region.start);
            let end = align_down(region.end());
            if start < end {
                self.cursor = start;
                self.end = end;
                return true;
            }
        }
        false
    }

    /// Moves the cursor past every exclusion that covers it.
    fn skip_excluded(&mut self) {
        while let Some(covering) = self
            .exclude
            .iter()
            .filter_map(widened)
            .find(|range| range.contains(&self.cursor))
        {
            self.cursor = covering.end;
        }
    }
}

impl Iterator for UsableRanges<'_> {
    type Item = Range<u64>;

    fn next(&mut self) -> Option<Range<u64>> {
        loop {
            if self.cursor >= self.end && !self.next_region() {
                return None;
            }
            self.skip_excluded();
            if self.cursor >= self.end {
                continue;
            }
            let piece_end = self
                .exclude
                .iter()
                .filter_map(widened)
                .map(|range| range.start)
                .filter(|&start| start > self.cursor)
                .fold(self.end, u64::min);
            let piece = self.cursor..piece_end;
            self.cursor = piece_end;
            return Some(piece);
        }
    }
}

impl core::iter::FusedIterator for UsableRanges<'_> {}
