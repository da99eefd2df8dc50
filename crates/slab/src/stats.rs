//! Usage counters reported by `SlabAllocator::stats`.

use crate::placement::CLASS_COUNT;

/// A snapshot of heap usage.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Sum of the `size` arguments of live allocations.
    pub requested_bytes_in_use: usize,
    /// Live objects per size class (index matches `CLASS_SIZES`).
    pub objects_in_use: [usize; CLASS_COUNT],
    /// Slabs held from the backend per size class (live, partial or kept empty).
    pub slabs_held: [usize; CLASS_COUNT],
    /// Live whole-block (large) allocations.
    pub large_blocks_in_use: usize,
    /// 4 KiB pages held from the backend, slabs and large blocks together.
    pub pages_held: usize,
}
