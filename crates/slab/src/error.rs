//! Errors reported by `SlabAllocator::dealloc`.

use core::fmt;

/// Why a deallocation was refused; the allocator and the backend are left unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeallocError {
    /// The alignment is not a power of two, or the size is too large to have been allocated.
    InvalidLayout,
    /// The address is not aligned as any object of this layout would be.
    Misaligned,
    /// The address does not lie in a live slab of the size class implied by the layout.
    NotASlabObject,
    /// The address lies in a matching slab but is not a live object there.
    NotAllocated,
    /// The object is already at the head of its slab's free list.
    DoubleFree,
}

impl fmt::Display for DeallocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DeallocError::InvalidLayout => {
                "invalid layout (alignment not a power of two or size too large)"
            }
            DeallocError::Misaligned => "address is misaligned for this layout",
            DeallocError::NotASlabObject => {
                "address is not inside a slab of the matching size class"
            }
            DeallocError::NotAllocated => "address is not a live object",
            DeallocError::DoubleFree => "object freed twice",
        })
    }
}
