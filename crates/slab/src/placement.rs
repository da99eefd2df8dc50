//! Mapping a (size, align) request to a size class or a page-block order.

/// Size of one backend page in bytes.
pub const PAGE_SIZE: usize = 4096;

/// Number of slab size classes.
pub const CLASS_COUNT: usize = 8;

/// Object sizes of the slab classes, smallest first.
pub const CLASS_SIZES: [usize; CLASS_COUNT] = [16, 32, 64, 128, 256, 512, 1024, 2048];

/// Largest request (after raising the size to the alignment) served from a slab.
pub const LARGEST_CLASS: usize = CLASS_SIZES[CLASS_COUNT - 1];

/// Where a request is served from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Placement {
    /// An object of size class `CLASS_SIZES[index]`.
    Slab(usize),
    /// A whole backend block of this order.
    Block(usize),
}

impl Placement {
    /// Placement for a request; `None` if `align` is not a power of two (0 counts as 1) or
    /// the size cannot be expressed as a block order.
    pub(crate) fn of(size: usize, align: usize) -> Option<Placement> {
        let align = align.max(1);
        if !align.is_power_of_two() {
            return None;
        }
        let needed = size.max(1).max(align);
        if needed <= LARGEST_CLASS {
            let class_bytes = needed.max(CLASS_SIZES[0]).next_power_of_two();
            let index = (class_bytes / CLASS_SIZES[0]).trailing_zeros() as usize;
            return Some(Placement::Slab(index));
        }
        block_order_for(needed).map(Placement::Block)
    }
}

/// Smallest order whose block (`PAGE_SIZE << order`) holds `bytes`, if representable.
pub(crate) fn block_order_for(bytes: usize) -> Option<usize> {
    let pages = bytes.div_ceil(PAGE_SIZE).max(1);
    let order = pages.checked_next_power_of_two()?.trailing_zeros() as usize;
    block_bytes(order).map(|_| order)
}

/// Bytes in a block of `order`, if it fits in the address space.
pub(crate) fn block_bytes(order: usize) -> Option<usize> {
    let shift = u32::try_from(order).ok()?;
    let bytes = PAGE_SIZE.checked_shl(shift)?;
    // checked_shl only rejects shifts >= BITS; bits shifted out must be caught too.
    (bytes >> shift == PAGE_SIZE).then_some(bytes)
}

/// Backend block order of the slabs of class `index`.
pub(crate) const fn slab_order(index: usize) -> usize {
    if CLASS_SIZES[index] <= 512 {
        0
    } else {
        2
    }
}

/// Bytes in one slab of class `index`.
pub(crate) const fn slab_bytes(index: usize) -> usize {
    PAGE_SIZE << slab_order(index)
}
