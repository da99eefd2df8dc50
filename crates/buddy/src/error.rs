//! Error types returned by the buddy allocator.

use core::fmt;

/// No free block of the requested order (or an order above `MAX_ORDER` was asked for).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutOfMemory;

impl fmt::Display for OutOfMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("out of physical memory: no free block of the requested order")
    }
}

/// Why a `free` call was rejected; the allocator state is unchanged in every case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FreeError {
    /// The pfn lies outside the frames covered by the metadata array.
    OutOfRange,
    /// The order is above `MAX_ORDER`.
    InvalidOrder,
    /// The pfn is not aligned to `1 << order`.
    Misaligned,
    /// The pfn is not the first frame of an allocated block (double free, a frame inside
    /// a block, or a reserved frame).
    NotAllocated,
    /// The block is allocated, but with a different order than the one given.
    OrderMismatch {
        /// The order the block was allocated with.
        allocated_order: usize,
    },
}

impl fmt::Display for FreeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FreeError::OutOfRange => f.write_str("frame is outside the managed range"),
            FreeError::InvalidOrder => f.write_str("block order exceeds MAX_ORDER"),
            FreeError::Misaligned => f.write_str("frame is not aligned to the block order"),
            FreeError::NotAllocated => {
                f.write_str("frame is not the start of an allocated block (double free?)")
            }
            FreeError::OrderMismatch { allocated_order } => write!(
                f,
                "block was allocated with order {allocated_order}, freed with another order"
            ),
        }
    }
}
