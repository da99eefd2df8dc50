//! Per-frame metadata record stored in the kernel-provided array.

/// Sentinel index meaning "no frame" in the intrusive free-list links.
pub(crate) const NIL: u32 = u32::MAX;

/// What a frame currently is, from the allocator's point of view.
///
/// `Reserved` is discriminant 0 so that zero-filled memory is a valid, fully reserved
/// metadata array.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum FrameState {
    /// Never made allocatable (firmware, kernel image, holes, the metadata itself).
    Reserved = 0,
    /// First frame of a free block; the block is linked into the free list of its order.
    FreeHead = 1,
    /// First frame of an allocated block.
    AllocatedHead = 2,
    /// Any non-first frame of a free or allocated block.
    Tail = 3,
}

/// Bookkeeping for one 4 KiB frame (12 bytes, alignment 4).
///
/// Every bit pattern of its fields is meaningful to the compiler (plain integers plus an
/// enum whose zero value is valid), so the kernel may zero the carved-out region and view
/// it as `&mut [FrameMeta]`; [`BuddyAllocator::new`](crate::BuddyAllocator::new)
/// overwrites every entry anyway.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameMeta {
    /// Previous block head in the same free list (index into the array), or `NIL`.
    pub(crate) prev: u32,
    /// Next block head in the same free list (index into the array), or `NIL`.
    pub(crate) next: u32,
    /// Block order; meaningful only for head frames.
    pub(crate) order: u8,
    /// Current state of this frame.
    pub(crate) state: FrameState,
}

// The kernel sizes its carve-out from this; keep the record small and its size stable.
const _: () = assert!(core::mem::size_of::<FrameMeta>() == 12);
const _: () = assert!(core::mem::align_of::<FrameMeta>() == 4);

impl FrameMeta {
    /// Metadata of a frame that is not (yet) allocatable.
    pub const RESERVED: FrameMeta = FrameMeta {
        prev: NIL,
        next: NIL,
        order: 0,
        state: FrameState::Reserved,
    };

    /// A block head in the given state and order, not linked into any list.
    pub(crate) const fn head(state: FrameState, order: u8) -> FrameMeta {
        FrameMeta {
            prev: NIL,
            next: NIL,
            order,
            state,
        }
    }

    /// A non-first frame of a block.
    pub(crate) const TAIL: FrameMeta = FrameMeta {
        prev: NIL,
        next: NIL,
        order: 0,
        state: FrameState::Tail,
    };
}

impl Default for FrameMeta {
    fn default() -> Self {
        FrameMeta::RESERVED
    }
}
