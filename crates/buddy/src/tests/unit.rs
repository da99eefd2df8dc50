//! Focused tests: splitting, coalescing, alignment, ranges, error paths.

use super::invariants::check;
use crate::{BuddyAllocator, FrameMeta, FreeError, OutOfMemory, FRAME_SIZE, MAX_ORDER};
use std::string::ToString;
use std::vec;
use std::vec::Vec;

fn meta(frames: usize) -> Vec<FrameMeta> {
    vec![FrameMeta::RESERVED; frames]
}

fn free_block_counts(allocator: &BuddyAllocator<'_>) -> Vec<u64> {
    (0..=MAX_ORDER).map(|o| allocator.free_blocks(o)).collect()
}

#[test]
fn frame_meta_is_small_and_zero_default() {
    assert_eq!(core::mem::size_of::<FrameMeta>(), 12);
    assert_eq!(FrameMeta::default(), FrameMeta::RESERVED);
    assert_eq!(BuddyAllocator::meta_bytes_for(1000), 12_000);
    assert_eq!(BuddyAllocator::meta_bytes_for(u64::MAX), u64::MAX);
}

#[test]
fn new_allocator_has_everything_reserved() {
    let mut storage = meta(64);
    let mut allocator = BuddyAllocator::new(&mut storage, 100);
    assert_eq!(allocator.covered_pfns(), 100..164);
    assert_eq!(allocator.free_frames(), 0);
    assert_eq!(allocator.total_frames(), 0);
    assert_eq!(allocator.alloc(0), Err(OutOfMemory));
    assert_eq!(allocator.free(100, 0), Err(FreeError::NotAllocated));
    check(&allocator);
}

#[test]
fn new_overwrites_stale_metadata() {
    let mut storage = meta(16);
    {
        let mut allocator = BuddyAllocator::new(&mut storage, 0);
        allocator.add_free_range(0, 16);
        allocator.alloc(2).unwrap();
    }
    let allocator = BuddyAllocator::new(&mut storage, 0);
    assert_eq!(allocator.free_frames(), 0);
    check(&allocator);
}

#[test]
fn empty_allocator_rejects_everything() {
    let mut allocator = BuddyAllocator::empty();
    allocator.add_free_range(0, 1 << 20);
    assert_eq!(allocator.total_frames(), 0);
    assert_eq!(allocator.alloc(0), Err(OutOfMemory));
    assert_eq!(allocator.alloc_below(0, u64::MAX), Err(OutOfMemory));
    assert_eq!(allocator.free(0, 0), Err(FreeError::OutOfRange));
}

#[test]
fn aligned_range_becomes_one_max_block() {
    let mut storage = meta(1024);
    let mut allocator = BuddyAllocator::new(&mut storage, 1024);
    allocator.add_free_range(1024, 2048);
    assert_eq!(allocator.free_blocks(MAX_ORDER), 1);
    assert_eq!(allocator.free_frames(), 1024);
    assert_eq!(allocator.total_frames(), 1024);
    assert_eq!(allocator.free_blocks(MAX_ORDER + 1), 0);
    check(&allocator);
}

#[test]
fn split_then_coalesce_restores_the_block() {
    let mut storage = meta(1024);
    let mut allocator = BuddyAllocator::new(&mut storage, 0);
    allocator.add_free_range(0, 1024);
    let pfn = allocator.alloc(0).unwrap();
    assert_eq!(pfn, 0);
    for order in 0..MAX_ORDER {
        assert_eq!(allocator.free_blocks(order), 1, "order {order}");
    }
    assert_eq!(allocator.free_blocks(MAX_ORDER), 0);
    assert_eq!(allocator.free_frames(), 1023);
    check(&allocator);
    allocator.free(pfn, 0).unwrap();
    assert_eq!(allocator.free_blocks(MAX_ORDER), 1);
    assert_eq!(allocator.free_frames(), 1024);
    check(&allocator);
}

#[test]
fn buddies_freed_in_any_order_coalesce() {
    let mut storage = meta(8);
    let mut allocator = BuddyAllocator::new(&mut storage, 0);
    allocator.add_free_range(0, 8);
    let blocks: Vec<u64> = (0..8).map(|_| allocator.alloc(0).unwrap()).collect();
    assert_eq!(allocator.alloc(0), Err(OutOfMemory));
    for &pfn in [5u64, 2, 7, 0, 3, 6, 1, 4].iter() {
        assert!(blocks.contains(&pfn));
        allocator.free(pfn, 0).unwrap();
        check(&allocator);
    }
    assert_eq!(allocator.free_blocks(3), 1);
}

#[test]
fn blocks_are_aligned_even_with_unaligned_first_pfn() {
    let mut storage = meta(5000);
    let mut allocator = BuddyAllocator::new(&mut storage, 5);
    allocator.add_free_range(5, 5005);
    for order in (0..=MAX_ORDER).rev() {
        let pfn = allocator.alloc(order).unwrap();
        assert_eq!(pfn % (1 << order), 0, "order {order}");
        assert!(pfn >= 5 && pfn + (1 << order) <= 5005);
    }
    check(&allocator);
}

#[test]
fn ranges_with_holes_never_hand_out_hole_frames() {
    let mut storage = meta(32);
    let mut allocator = BuddyAllocator::new(&mut storage, 0);
    allocator.add_free_range(0, 10);
    allocator.add_free_range(20, 30);
    assert_eq!(allocator.total_frames(), 20);
    // [0,8) [8,10) [20,24) [24,28) [28,30)
    assert_eq!(free_block_counts(&allocator)[..4], [0, 2, 2, 1]);
    assert_eq!(allocator.alloc(3), Ok(0));
    assert_eq!(allocator.alloc(3), Err(OutOfMemory));
    let mut taken = Vec::new();
    while let Ok(pfn) = allocator.alloc(0) {
        taken.push(pfn);
    }
    taken.sort_unstable();
    let expected: Vec<u64> = (8..10).chain(20..30).collect();
    assert_eq!(taken, expected);
    check(&allocator);
}

#[test]
fn add_free_range_clips_skips_and_merges() {
    let mut storage = meta(64);
    let mut allocator = BuddyAllocator::new(&mut storage, 64);
    allocator.add_free_range(10, 5); // empty range
    allocator.add_free_range(0, 64); // entirely below coverage
    assert_eq!(allocator.total_frames(), 0);
    allocator.add_free_range(0, 96); // clipped to [64, 96)
    assert_eq!(allocator.total_frames(), 32);
    allocator.add_free_range(64, 96); // already free: skipped
    assert_eq!(allocator.total_frames(), 32);
    let pfn = allocator.alloc(0).unwrap();
    allocator.add_free_range(pfn, pfn + 1); // allocated: skipped
    assert_eq!(allocator.total_frames(), 32);
    allocator.free(pfn, 0).unwrap();
    allocator.add_free_range(96, u64::MAX); // clipped to [96, 128), merges with [64, 96)
    assert_eq!(allocator.total_frames(), 64);
    assert_eq!(allocator.free_blocks(6), 1);
    check(&allocator);
}

#[test]
fn coverage_is_clipped_near_u64_max() {
    let mut storage = meta(10);
    let mut allocator = BuddyAllocator::new(&mut storage, u64::MAX - 4);
    assert_eq!(allocator.covered_pfns(), u64::MAX - 4..u64::MAX);
    allocator.add_free_range(0, u64::MAX);
    assert_eq!(allocator.total_frames(), 4);
    // A block ending exactly at 2^64 is not representable, so the top frames split:
    // [MAX-4] order 0, [MAX-3, MAX-1) order 1, [MAX-1] order 0.
    assert_eq!(free_block_counts(&allocator)[..3], [2, 1, 0]);
    let pfn = allocator.alloc(1).unwrap();
    assert_eq!(pfn, u64::MAX - 3);
    allocator.free(pfn, 1).unwrap();
    let low = allocator.alloc_below(0, u64::MAX).unwrap();
    assert!(low == u64::MAX - 4 || low == u64::MAX - 1);
    check(&allocator);
}

#[test]
fn free_rejects_bad_requests_without_changing_state() {
    let mut storage = meta(64);
    let mut allocator = BuddyAllocator::new(&mut storage, 64);
    allocator.add_free_range(64, 120);
    let block = allocator.alloc(2).unwrap();
    let before_free = allocator.free_frames();
    let before_counts = free_block_counts(&allocator);

    assert_eq!(allocator.free(0, 0), Err(FreeError::OutOfRange));
    assert_eq!(allocator.free(128, 0), Err(FreeError::OutOfRange));
    assert_eq!(allocator.free(u64::MAX, 0), Err(FreeError::OutOfRange));
    assert_eq!(
        allocator.free(block, MAX_ORDER + 1),
        Err(FreeError::InvalidOrder)
    );
    assert_eq!(allocator.free(block + 1, 2), Err(FreeError::Misaligned));
    assert_eq!(allocator.free(block + 1, 0), Err(FreeError::NotAllocated));
    assert_eq!(allocator.free(120, 0), Err(FreeError::NotAllocated)); // reserved
    assert_eq!(
        allocator.free(block, 1),
        Err(FreeError::OrderMismatch { allocated_order: 2 })
    );
    assert_eq!(allocator.free_frames(), before_free);
    assert_eq!(free_block_counts(&allocator), before_counts);
    check(&allocator);

    allocator.free(block, 2).unwrap();
    assert_eq!(allocator.free(block, 2), Err(FreeError::NotAllocated));
    check(&allocator);
}

#[test]
fn alloc_fails_cleanly_when_exhausted_or_order_too_big() {
    let mut storage = meta(4);
    let mut allocator = BuddyAllocator::new(&mut storage, 0);
    allocator.add_free_range(0, 4);
    assert_eq!(allocator.alloc(MAX_ORDER + 1), Err(OutOfMemory));
    assert_eq!(allocator.alloc(3), Err(OutOfMemory));
    assert_eq!(allocator.alloc(2), Ok(0));
    assert_eq!(allocator.alloc(0), Err(OutOfMemory));
    check(&allocator);
}

#[test]
fn alloc_below_respects_the_limit() {
    let mut storage = meta(2048);
    let mut allocator = BuddyAllocator::new(&mut storage, 0);
    allocator.add_free_range(16, 2048);
    // Ordinary alloc of order 4 would take [16, 32); fill low memory first.
    let low = allocator.alloc_below(4, 32).unwrap();
    assert_eq!(low, 16);
    assert_eq!(allocator.alloc_below(0, 32), Err(OutOfMemory));
    assert_eq!(allocator.alloc_below(6, 64), Err(OutOfMemory));
    let block = allocator.alloc_below(2, 40).unwrap();
    assert!(block + 4 <= 40 && block.is_multiple_of(4));
    assert_eq!(allocator.alloc_below(0, 0), Err(OutOfMemory));
    assert_eq!(
        allocator.alloc_below(MAX_ORDER + 1, u64::MAX),
        Err(OutOfMemory)
    );
    let high = allocator.alloc_below(MAX_ORDER, u64::MAX).unwrap();
    assert_eq!(high, 1024);
    check(&allocator);
}

#[test]
fn order_for_picks_smallest_order() {
    assert_eq!(BuddyAllocator::order_for(0), Some(0));
    assert_eq!(BuddyAllocator::order_for(1), Some(0));
    assert_eq!(BuddyAllocator::order_for(FRAME_SIZE), Some(0));
    assert_eq!(BuddyAllocator::order_for(FRAME_SIZE + 1), Some(1));
    assert_eq!(
        BuddyAllocator::order_for(FRAME_SIZE << MAX_ORDER),
        Some(MAX_ORDER)
    );
    assert_eq!(
        BuddyAllocator::order_for((FRAME_SIZE << MAX_ORDER) + 1),
        None
    );
    assert_eq!(BuddyAllocator::order_for(u64::MAX), None);
}

#[test]
fn errors_display_something_useful() {
    assert!(OutOfMemory.to_string().contains("out of"));
    let errors = [
        FreeError::OutOfRange,
        FreeError::InvalidOrder,
        FreeError::Misaligned,
        FreeError::NotAllocated,
        FreeError::OrderMismatch { allocated_order: 3 },
    ];
    for error in errors {
        assert!(!error.to_string().is_empty());
    }
    assert!(FreeError::OrderMismatch { allocated_order: 3 }
        .to_string()
        .contains('3'));
}
