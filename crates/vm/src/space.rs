//! [`Vmas`], the areas of one address space, and the primitives every call is built from:
//! lookups, splitting (bounded by `max_map_count`), carving out ranges, and merging.

use crate::layout::AddressSpaceLayout;
use crate::prot::Prot;
use crate::vma::{Vma, VmaKind};
use crate::{page_align_up, PAGE_SIZE};
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use basalt_linux_abi::Errno;
use core::ops::Range;

/// The virtual memory areas of one process, with its program break.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vmas {
    pub(crate) layout: AddressSpaceLayout,
    /// Areas keyed by start address: sorted, non-overlapping, maximally merged.
    pub(crate) areas: BTreeMap<u64, Vma>,
    /// The program break as user space last set it (not page-aligned).
    pub(crate) brk: u64,
}

impl Vmas {
    /// An address space with nothing mapped but the initial heap `[brk_start, brk)`, if
    /// any. Inconsistent layouts are made consistent (see [`AddressSpaceLayout`]).
    pub fn new(layout: AddressSpaceLayout) -> Vmas {
        let layout = layout.sanitized();
        let mut vmas = Vmas {
            layout,
            areas: BTreeMap::new(),
            brk: layout.brk,
        };
        if let (Some(start), Some(end)) =
            (page_align_up(layout.brk_start), page_align_up(layout.brk))
        {
            if start < end {
                vmas.areas.insert(
                    start,
                    Vma::anonymous(start..end, Prot::READ_WRITE, VmaKind::Heap),
                );
            }
        }
        vmas
    }

    /// The layout this address space was created with.
    pub fn layout(&self) -> &AddressSpaceLayout {
        &self.layout
    }

    /// The current program break, as `brk` last set it.
    pub fn program_break(&self) -> u64 {
        self.brk
    }

    /// Changes how large a growing stack may become (`setrlimit(RLIMIT_STACK)`).
    pub fn set_stack_limit(&mut self, limit: u64) {
        self.layout.stack_limit = limit;
    }

    /// Changes how many bytes the areas may span together (`setrlimit(RLIMIT_AS)`; `u64::MAX`: no limit).
    pub fn set_address_space_limit(&mut self, limit: u64) {
        self.layout.address_space_limit = limit;
    }

    /// Bytes spanned by all areas (Linux's `total_vm`, in bytes).
    pub fn total_len(&self) -> u64 {
        self.areas.values().map(Vma::len).sum()
    }

    /// Linux's `may_expand_vm`: whether the areas may span `grow` more bytes under the address-space limit
    /// (compared in whole pages, as Linux does).
    pub(crate) fn may_expand(&self, grow: u64) -> bool {
        let limit = self.layout.address_space_limit;
        if limit == u64::MAX {
            return true;
        }
        (self.total_len() / PAGE_SIZE).saturating_add(grow / PAGE_SIZE) <= limit / PAGE_SIZE
    }

    /// The area containing `addr`.
    pub fn find(&self, addr: u64) -> Option<&Vma> {
        self.areas
            .range(..=addr)
            .next_back()
            .map(|(_, vma)| vma)
            .filter(|vma| vma.end > addr)
    }

    /// All areas in address order.
    pub fn iter(&self) -> impl Iterator<Item = &Vma> + '_ {
        self.areas.values()
    }

    /// Number of areas.
    pub fn len(&self) -> usize {
        self.areas.len()
    }

    /// Whether nothing is mapped.
    pub fn is_empty(&self) -> bool {
        self.areas.is_empty()
    }

    /// The address space a `fork` child starts with: the same areas and break. The kernel
    /// shares the pages and marks private writable ones copy-on-write in both processes.
    pub fn fork_copy(&self) -> Vmas {
        self.clone()
    }

    /// The area containing `addr`, or else the first one above it (Linux's `find_vma`).
    pub(crate) fn first_ending_after(&self, addr: u64) -> Option<&Vma> {
        self.find(addr).or_else(|| {
            self.areas
                .range((
                    core::ops::Bound::Excluded(addr),
                    core::ops::Bound::Unbounded,
                ))
                .next()
                .map(|(_, vma)| vma)
        })
    }

    /// The areas intersecting `[start, end)`, in address order.
    pub(crate) fn overlapping(&self, start: u64, end: u64) -> impl Iterator<Item = &Vma> + '_ {
        let (first, rest) = if start < end {
            let first = self
                .areas
                .range(..start)
                .next_back()
                .map(|(_, vma)| vma)
                .filter(|vma| vma.end > start);
            (
                first,
                Some(self.areas.range(start..end).map(|(_, vma)| vma)),
            )
        } else {
            (None, None)
        };
        first.into_iter().chain(rest.into_iter().flatten())
    }

    /// Whether anything is mapped in `[start, end)`.
    pub(crate) fn is_mapped_anywhere(&self, start: u64, end: u64) -> bool {
        self.overlapping(start, end).next().is_some()
    }

    /// Whether one more area fits under `max_map_count`; Linux checks this before every
    /// split that is not allowed to overshoot.
    pub(crate) fn has_room_for_split(&self) -> bool {
        self.areas.len() < self.layout.max_map_count
    }

    /// Splits the area strictly containing `addr` (if any) in two at `addr`.
    pub(crate) fn split_at(&mut self, addr: u64) {
        let Some(vma) = self.find(addr).copied() else {
            return;
        };
        if vma.start == addr {
            return;
        }
        self.areas.insert(vma.start, vma.slice(vma.start, addr));
        self.areas.insert(addr, vma.slice(addr, vma.end));
    }

    /// Like [`Vmas::split_at`], but fails with `ENOMEM` when the split would exceed
    /// `max_map_count` (Linux's `split_vma`).
    pub(crate) fn split_at_checked(&mut self, addr: u64) -> Result<(), Errno> {
        let needs_split = self.find(addr).is_some_and(|vma| vma.start != addr);
        if needs_split && !self.has_room_for_split() {
            return Err(Errno::ENOMEM);
        }
        self.split_at(addr);
        Ok(())
    }

    /// Removes everything in `[start, end)`, splitting areas that straddle its ends, and
    /// returns the removed pieces in address order.
    pub(crate) fn carve(&mut self, start: u64, end: u64) -> Vec<Vma> {
        if start >= end {
            return Vec::new();
        }
        self.split_at(start);
        self.split_at(end);
        let keys: Vec<u64> = self.areas.range(start..end).map(|(key, _)| *key).collect();
        keys.iter()
            .filter_map(|key| self.areas.remove(key))
            .collect()
    }

    /// `munmap` of an already validated page-aligned range: the ranges that were mapped.
    /// Like Linux, the only failure is punching a hole inside one area when that would
    /// exceed `max_map_count` (other splits may overshoot briefly and then shrink back).
    pub(crate) fn unmap_range(&mut self, start: u64, end: u64) -> Result<Vec<Range<u64>>, Errno> {
        let punches_hole = self
            .find(start)
            .is_some_and(|vma| vma.start < start && end < vma.end);
        if punches_hole && !self.has_room_for_split() {
            return Err(Errno::ENOMEM);
        }
        Ok(coalesce(self.carve(start, end).iter().map(Vma::range)))
    }

    /// Adds `vma`, whose range must be free, and merges it with compatible neighbours.
    pub(crate) fn insert_and_merge(&mut self, vma: Vma) {
        let (start, end) = (vma.start, vma.end);
        self.areas.insert(start, vma);
        self.merge_around(start, end);
    }

    /// Merges every compatible pair of neighbours among the areas touching `[start, end]`,
    /// including the area just below `start` and the one starting at `end`.
    pub(crate) fn merge_around(&mut self, start: u64, end: u64) {
        let end = end.max(start);
        let low = self
            .areas
            .range(..start)
            .next_back()
            .map_or(start, |(key, _)| *key);
        let keys: Vec<u64> = self.areas.range(low..=end).map(|(key, _)| *key).collect();
        let Some((&first, rest)) = keys.split_first() else {
            return;
        };
        let mut left_key = first;
        for &right_key in rest {
            let mergeable = match (self.areas.get(&left_key), self.areas.get(&right_key)) {
                (Some(left), Some(right)) => left.can_merge_with(right),
                _ => false,
            };
            if !mergeable {
                left_key = right_key;
                continue;
            }
            if let Some(right) = self.areas.remove(&right_key) {
                if let Some(left) = self.areas.get_mut(&left_key) {
                    left.end = right.end;
                }
            }
        }
    }

    /// The number of pages mapped in `[start, end)` (for tests and accounting).
    pub fn mapped_pages_in(&self, start: u64, end: u64) -> u64 {
        self.overlapping(start, end)
            .map(|vma| (vma.end.min(end) - vma.start.max(start)) / PAGE_SIZE)
            .sum()
    }
}

/// Joins touching ranges of an address-ordered sequence.
pub(crate) fn coalesce(ranges: impl Iterator<Item = Range<u64>>) -> Vec<Range<u64>> {
    let mut out: Vec<Range<u64>> = Vec::new();
    for range in ranges {
        match out.last_mut() {
            Some(last) if last.end == range.start => last.end = range.end,
            _ => out.push(range),
        }
    }
    out
}

/// Joins touching ranges of an address-ordered sequence that carry equal values.
pub(crate) fn coalesce_with<T: PartialEq>(pairs: Vec<(Range<u64>, T)>) -> Vec<(Range<u64>, T)> {
    let mut out: Vec<(Range<u64>, T)> = Vec::new();
    for (range, value) in pairs {
        match out.last_mut() {
            Some((last, last_value)) if last.end == range.start && *last_value == value => {
                last.end = range.end;
            }
            _ => out.push((range, value)),
        }
    }
    out
}
