//! A fixed-capacity memory map that sanitizes entries as they are added.

use crate::region::{MemoryRegion, RegionKind};
use crate::BootInfoError;

/// Capacity of the sanitized memory map.
pub const MAX_REGIONS: usize = 128;
/// Largest raw memory map accepted from the boot loader.
pub const MAX_RAW_REGIONS: usize = 512;

/// Sorted, non-overlapping regions with adjacent equal kinds merged, kept that way by
/// [`MemoryMap::add`]. The result depends only on the set of added entries, not on
/// their order.
#[derive(Debug, Clone)]
pub(crate) struct MemoryMap {
    regions: [MemoryRegion; MAX_REGIONS],
    len: usize,
}

const PLACEHOLDER: MemoryRegion = MemoryRegion {
    start: 0,
    len: 0,
    kind: RegionKind::Reserved,
};

impl MemoryMap {
    /// An empty map.
    pub(crate) const fn new() -> Self {
        Self {
            regions: [PLACEHOLDER; MAX_REGIONS],
            len: 0,
        }
    }

    /// Forgets all regions.
    pub(crate) fn clear(&mut self) {
        self.len = 0;
    }

    /// The sanitized regions.
    pub(crate) fn regions(&self) -> &[MemoryRegion] {
        self.regions.get(..self.len).unwrap_or_default()
    }

    /// Adds a raw entry: where it overlaps existing regions the kind with higher
    /// precedence wins, gaps it covers are filled with its kind, and equal neighbours are
    /// merged. Zero-length entries are ignored.
    pub(crate) fn add(
        &mut self,
        start: u64,
        len: u64,
        kind: RegionKind,
    ) -> Result<(), BootInfoError> {
        if len == 0 {
            return Ok(());
        }
        let end = start
            .checked_add(len)
            .ok_or(BootInfoError::AddressOverflow)?;
        let mut cursor = start;
        let mut index = self
            .regions()
            .partition_point(|region| region.end() <= start);
        while cursor < end {
            let next = self.regions().get(index).copied();
            match next {
                Some(region) if region.start < end => {
                    if region.start > cursor {
                        // A gap before the next region: fill it.
                        self.insert(index, MemoryRegion::between(cursor, region.start, kind))?;
                        index += 1;
                        cursor = region.start;
                        continue;
                    }
                    let piece_end = region.end().min(end);
                    if kind.precedence() > region.kind.precedence() {
                        index = self.repaint(index, cursor, piece_end, kind)?;
                    } else {
                        index += 1;
                    }
                    cursor = piece_end;
                }
                _ => {
                    self.insert(index, MemoryRegion::between(cursor, end, kind))?;
                    cursor = end;
                }
            }
        }
        self.merge_neighbours();
        Ok(())
    }

    /// Gives `[from, to)` inside region `index` the kind `kind`, splitting the region;
    /// returns the index just past the repainted piece.
    fn repaint(
        &mut self,
        index: usize,
        from: u64,
        to: u64,
        kind: RegionKind,
    ) -> Result<usize, BootInfoError> {
        let region = self
            .regions()
            .get(index)
            .copied()
            .ok_or(BootInfoError::TooManyRegions)?;
        let mut slot = index;
        let middle = MemoryRegion::between(from, to, kind);
        if region.start < from {
            self.set(slot, MemoryRegion::between(region.start, from, region.kind));
            slot += 1;
            self.insert(slot, middle)?;
        } else {
            self.set(slot, middle);
        }
        slot += 1;
        if to < region.end() {
            self.insert(slot, MemoryRegion::between(to, region.end(), region.kind))?;
        }
        Ok(slot)
    }

    fn set(&mut self, index: usize, region: MemoryRegion) {
        if let Some(slot) = self
            .regions
            .get_mut(..self.len)
            .and_then(|live| live.get_mut(index))
        {
            *slot = region;
        }
    }

    fn insert(&mut self, index: usize, region: MemoryRegion) -> Result<(), BootInfoError> {
        if self.len >= MAX_REGIONS || index > self.len {
            return Err(BootInfoError::TooManyRegions);
        }
        let live = self
            .regions
            .get_mut(index..=self.len)
            .ok_or(BootInfoError::TooManyRegions)?;
        live.rotate_right(1);
        if let Some(first) = live.first_mut() {
            *first = region;
        }
        self.len += 1;
        Ok(())
    }

    /// Joins touching regions of the same kind, compacting in place.
    fn merge_neighbours(&mut self) {
        let Some(live) = self.regions.get_mut(..self.len) else {
            return;
        };
        let mut kept = 0;
        for index in 0..live.len() {
            let current = live[index];
            if kept > 0 {
                let previous = &mut live[kept - 1];
                if previous.kind == current.kind && previous.end() == current.start {
                    previous.len += current.len;
                    continue;
                }
            }
            live[kept] = current;
            kept += 1;
        }
        self.len = kept;
    }
}
