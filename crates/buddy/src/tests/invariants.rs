//! Whole-structure consistency check used by the unit and stress tests.

use crate::meta::{FrameState, NIL};
use crate::{BuddyAllocator, MAX_ORDER};
use std::vec;

/// Panics with a description if any structural invariant is broken.
pub(crate) fn check(allocator: &BuddyAllocator<'_>) {
    let (meta, first_pfn, lists) = allocator.raw_parts();
    let mut listed = vec![false; meta.len()];
    let mut listed_free_frames = 0u64;

    for order in 0..=MAX_ORDER {
        let mut count = 0u64;
        let mut previous = NIL;
        let mut cursor = lists.first(order).unwrap_or(NIL);
        while cursor != NIL {
            let entry = meta[cursor as usize];
            assert_eq!(
                entry.state,
                FrameState::FreeHead,
                "listed frame not a free head"
            );
            assert_eq!(
                usize::from(entry.order),
                order,
                "listed block has wrong order"
            );
            assert_eq!(entry.prev, previous, "broken prev link");
            assert!(!listed[cursor as usize], "block listed twice");
            listed[cursor as usize] = true;
            let pfn = first_pfn + u64::from(cursor);
            assert_eq!(pfn % (1 << order), 0, "free block misaligned");
            if order < MAX_ORDER {
                let buddy = pfn ^ (1 << order);
                if let Some(offset) = buddy.checked_sub(first_pfn) {
                    if let Some(buddy_meta) = meta.get(offset as usize) {
                        let both_free = buddy_meta.state == FrameState::FreeHead
                            && usize::from(buddy_meta.order) == order;
                        assert!(!both_free, "free buddies of order {order} not coalesced");
                    }
                }
            }
            count += 1;
            listed_free_frames += 1 << order;
            previous = cursor;
            cursor = entry.next;
        }
        assert_eq!(count, lists.len(order), "list length counter is wrong");
    }
    assert_eq!(
        listed_free_frames,
        allocator.free_frames(),
        "free frame counter"
    );

    // Linear walk: every frame is reserved or belongs to exactly one block.
    let mut in_blocks = 0u64;
    let mut index = 0usize;
    while index < meta.len() {
        let entry = meta[index];
        match entry.state {
            FrameState::Reserved => index += 1,
            FrameState::Tail => panic!("orphan tail frame at index {index}"),
            FrameState::FreeHead | FrameState::AllocatedHead => {
                if entry.state == FrameState::FreeHead {
                    assert!(listed[index], "free head not in any list");
                }
                let size = 1usize << entry.order;
                assert!(index + size <= meta.len(), "block runs past the array");
                for tail in &meta[index + 1..index + size] {
                    assert_eq!(tail.state, FrameState::Tail, "block frame not a tail");
                }
                in_blocks += size as u64;
                index += size;
            }
        }
    }
    assert_eq!(in_blocks, allocator.total_frames(), "total frame counter");
}
