//! Focused tests: classes, alignment, large blocks, retention, OOM, dealloc errors.

use super::host_backend::HostBackend;
use super::invariants::check;
use crate::header::{capacity, HEADER_BYTES};
use crate::placement::{block_order_for, slab_bytes, Placement};
use crate::{DeallocError, SlabAllocator, Stats, CLASS_COUNT, CLASS_SIZES, PAGE_SIZE};
use std::collections::BTreeSet;
use std::string::ToString;
use std::vec::Vec;

fn setup(pages: usize) -> (SlabAllocator, HostBackend) {
    (SlabAllocator::new(), HostBackend::new(pages))
}

#[test]
fn placement_picks_smallest_class_or_block() {
    assert_eq!(Placement::of(0, 0), Some(Placement::Slab(0)));
    assert_eq!(Placement::of(1, 1), Some(Placement::Slab(0)));
    assert_eq!(Placement::of(16, 8), Some(Placement::Slab(0)));
    assert_eq!(Placement::of(17, 8), Some(Placement::Slab(1)));
    assert_eq!(Placement::of(8, 256), Some(Placement::Slab(4)));
    assert_eq!(Placement::of(2048, 1), Some(Placement::Slab(7)));
    assert_eq!(Placement::of(2049, 1), Some(Placement::Block(0)));
    assert_eq!(Placement::of(1, 4096), Some(Placement::Block(0)));
    assert_eq!(Placement::of(4097, 1), Some(Placement::Block(1)));
    assert_eq!(Placement::of(1, 16384), Some(Placement::Block(2)));
    assert_eq!(Placement::of(20000, 1), Some(Placement::Block(3)));
    assert_eq!(Placement::of(8, 3), None);
    assert_eq!(Placement::of(usize::MAX, 1), None);
    assert_eq!(block_order_for(usize::MAX / 2 + 2), None);
    for (index, &size) in CLASS_SIZES.iter().enumerate() {
        assert_eq!(Placement::of(size, 1), Some(Placement::Slab(index)));
        assert_eq!(Placement::of(size / 2 + 1, 1), Some(Placement::Slab(index)));
    }
}

#[test]
fn every_class_hands_out_aligned_disjoint_objects_and_shrinks_back() {
    let (mut heap, mut backend) = setup(256);
    for (class, &size) in CLASS_SIZES.iter().enumerate() {
        // Two slabs' worth plus one, so a third slab is needed.
        let count = 2 * capacity(class) + 1;
        let mut objects = Vec::new();
        for _ in 0..count {
            let addr = heap.alloc(&mut backend, size, 1).unwrap();
            assert_eq!(addr % size, 0, "class {size} misaligned");
            let offset = addr % slab_bytes(class);
            assert!(
                offset + size <= slab_bytes(class) - HEADER_BYTES,
                "object hits header"
            );
            objects.push(addr);
        }
        let distinct: BTreeSet<usize> = objects.iter().copied().collect();
        assert_eq!(distinct.len(), count);
        let stats = heap.stats();
        assert_eq!(stats.objects_in_use[class], count);
        assert_eq!(stats.slabs_held[class], 3);
        check(&heap, &backend);
        for addr in objects {
            heap.dealloc(&mut backend, addr, size, 1).unwrap();
        }
        let stats = heap.stats();
        assert_eq!(stats.objects_in_use[class], 0);
        assert_eq!(stats.slabs_held[class], 1, "keeps exactly one empty slab");
        check(&heap, &backend);
    }
    let expected_pages: usize = (0..CLASS_COUNT).map(|c| slab_bytes(c) / PAGE_SIZE).sum();
    assert_eq!(heap.stats().pages_held, expected_pages);
    assert_eq!(backend.pages_outstanding(), expected_pages);
    assert_eq!(heap.stats().requested_bytes_in_use, 0);
}

#[test]
fn kept_empty_slab_is_reused_from_its_start() {
    let (mut heap, mut backend) = setup(16);
    let first = heap.alloc(&mut backend, 64, 8).unwrap();
    let second = heap.alloc(&mut backend, 64, 8).unwrap();
    assert_eq!(second, first + 64);
    heap.dealloc(&mut backend, first, 64, 8).unwrap();
    // Freed object is reused before untouched space.
    assert_eq!(heap.alloc(&mut backend, 64, 8), Some(first));
    heap.dealloc(&mut backend, first, 64, 8).unwrap();
    heap.dealloc(&mut backend, second, 64, 8).unwrap();
    assert_eq!(heap.stats().slabs_held[2], 1);
    assert_eq!(heap.alloc(&mut backend, 64, 8), Some(first));
    check(&heap, &backend);
}

#[test]
fn size_zero_counts_as_one_byte() {
    let (mut heap, mut backend) = setup(4);
    let addr = heap.alloc(&mut backend, 0, 1).unwrap();
    assert_ne!(addr, 0);
    let stats = heap.stats();
    assert_eq!(stats.objects_in_use[0], 1);
    assert_eq!(stats.requested_bytes_in_use, 0);
    heap.dealloc(&mut backend, addr, 0, 1).unwrap();
    assert_eq!(heap.stats().objects_in_use[0], 0);
}

#[test]
fn alignment_is_honoured_for_small_and_large_requests() {
    let (mut heap, mut backend) = setup(256);
    for shift in 0..=16 {
        let align = 1usize << shift;
        for size in [1, 7, 100, 3000, 9000] {
            let addr = heap.alloc(&mut backend, size, align).unwrap();
            assert_eq!(addr % align, 0, "size {size} align {align}");
            backend.bytes_mut(addr, size).fill(0xA5);
            heap.dealloc(&mut backend, addr, size, align).unwrap();
        }
    }
    check(&heap, &backend);
}

#[test]
fn large_requests_take_whole_blocks() {
    let (mut heap, mut backend) = setup(64);
    let small_block = heap.alloc(&mut backend, 3000, 8).unwrap();
    let big_block = heap.alloc(&mut backend, 20000, 8).unwrap();
    assert_eq!(small_block % PAGE_SIZE, 0);
    assert_eq!(big_block % (8 * PAGE_SIZE), 0);
    let stats = heap.stats();
    assert_eq!(stats.large_blocks_in_use, 2);
    assert_eq!(stats.pages_held, 1 + 8);
    assert_eq!(stats.requested_bytes_in_use, 23000);
    backend.bytes_mut(big_block, 20000).fill(1);
    heap.dealloc(&mut backend, big_block, 20000, 8).unwrap();
    heap.dealloc(&mut backend, small_block, 3000, 8).unwrap();
    assert_eq!(heap.stats(), Stats::default());
    assert_eq!(backend.pages_outstanding(), 0);
}

#[test]
fn impossible_layouts_fail_without_panicking() {
    let (mut heap, mut backend) = setup(4);
    assert_eq!(heap.alloc(&mut backend, 16, 3), None);
    assert_eq!(heap.alloc(&mut backend, usize::MAX, 1), None);
    assert_eq!(heap.alloc(&mut backend, 1, 1 << (usize::BITS - 1)), None);
    assert_eq!(heap.alloc(&mut backend, 1 << 30, 1), None); // bigger than the arena
    assert_eq!(heap.stats(), Stats::default());
    assert_eq!(
        heap.dealloc(&mut backend, 0x1000, 16, 3),
        Err(DeallocError::InvalidLayout)
    );
    assert_eq!(
        heap.dealloc(&mut backend, 0x1000, usize::MAX, 1),
        Err(DeallocError::InvalidLayout)
    );
}

#[test]
fn out_of_memory_leaves_state_consistent() {
    let (mut heap, mut backend) = setup(8);
    backend.refuse_allocs = true;
    assert_eq!(heap.alloc(&mut backend, 32, 8), None);
    assert_eq!(heap.alloc(&mut backend, 5000, 8), None);
    assert_eq!(heap.stats(), Stats::default());
    backend.refuse_allocs = false;

    // Fill one slab of class 512 completely, then refuse further pages.
    let mut objects: Vec<usize> = (0..capacity(5))
        .map(|_| heap.alloc(&mut backend, 512, 8).unwrap())
        .collect();
    backend.refuse_allocs = true;
    assert_eq!(heap.alloc(&mut backend, 512, 8), None);
    check(&heap, &backend);
    let freed = objects.pop().unwrap();
    heap.dealloc(&mut backend, freed, 512, 8).unwrap();
    assert_eq!(heap.alloc(&mut backend, 512, 8), Some(freed));
    objects.push(freed);
    backend.refuse_allocs = false;

    // Genuine exhaustion: take every page, then free and retry.
    let mut blocks = Vec::new();
    while let Some(addr) = heap.alloc(&mut backend, 4096, 4096) {
        blocks.push(addr);
    }
    assert_eq!(blocks.len(), 7);
    assert_eq!(heap.alloc(&mut backend, 16, 8), None);
    check(&heap, &backend);
    for addr in blocks.drain(..) {
        heap.dealloc(&mut backend, addr, 4096, 4096).unwrap();
    }
    assert!(heap.alloc(&mut backend, 16, 8).is_some());
    for addr in objects {
        heap.dealloc(&mut backend, addr, 512, 8).unwrap();
    }
    check(&heap, &backend);
}

#[test]
fn bad_deallocs_are_refused_and_change_nothing() {
    let (mut heap, mut backend) = setup(32);
    let object = heap.alloc(&mut backend, 16, 8).unwrap();
    let other = heap.alloc(&mut backend, 16, 8).unwrap();
    let block = heap.alloc(&mut backend, 5000, 8).unwrap();
    let before = heap.stats();

    // Not a multiple of the class size.
    assert_eq!(
        heap.dealloc(&mut backend, object + 8, 16, 8),
        Err(DeallocError::Misaligned)
    );
    // Wrong class: the slab's tag says 16, not 32 (object is 32-aligned or not; try both).
    let as_32 = if object % 32 == 0 { object } else { other };
    assert_eq!(
        heap.dealloc(&mut backend, as_32, 32, 8),
        Err(DeallocError::NotASlabObject)
    );
    // A large block is not a slab.
    assert_eq!(
        heap.dealloc(&mut backend, block, 16, 8),
        Err(DeallocError::NotASlabObject)
    );
    // Address 0 and tiny addresses are never slab objects.
    assert_eq!(
        heap.dealloc(&mut backend, 0, 16, 8),
        Err(DeallocError::NotASlabObject)
    );
    // Inside the slab but never handed out.
    assert_eq!(
        heap.dealloc(&mut backend, other + 16, 16, 8),
        Err(DeallocError::NotAllocated)
    );
    // Large block misaligned / address 0.
    assert_eq!(
        heap.dealloc(&mut backend, block + 16, 5000, 8),
        Err(DeallocError::Misaligned)
    );
    assert_eq!(
        heap.dealloc(&mut backend, 0, 5000, 8),
        Err(DeallocError::Misaligned)
    );
    assert_eq!(heap.stats(), before);
    check(&heap, &backend);

    heap.dealloc(&mut backend, other, 16, 8).unwrap();
    assert_eq!(
        heap.dealloc(&mut backend, other, 16, 8),
        Err(DeallocError::DoubleFree)
    );
    heap.dealloc(&mut backend, block, 5000, 8).unwrap();
    // No large block is live any more.
    assert_eq!(
        heap.dealloc(&mut backend, block, 5000, 8),
        Err(DeallocError::NotAllocated)
    );
    heap.dealloc(&mut backend, object, 16, 8).unwrap();
    // The kept slab is now empty: any object in it is not allocated.
    assert_eq!(
        heap.dealloc(&mut backend, object, 16, 8),
        Err(DeallocError::NotAllocated)
    );
    check(&heap, &backend);
}

#[test]
fn released_slab_loses_its_tag() {
    let (mut heap, mut backend) = setup(32);
    let per_slab = capacity(0);
    // The second slab stays partial (on the list), so the emptied first one is released.
    let objects: Vec<usize> = (0..2 * per_slab - 1)
        .map(|_| heap.alloc(&mut backend, 16, 8).unwrap())
        .collect();
    let first_slab_object = objects[0];
    for &addr in &objects[..per_slab] {
        heap.dealloc(&mut backend, addr, 16, 8).unwrap();
    }
    assert_eq!(heap.stats().slabs_held[0], 1);
    // Re-take the released page as a large block: stale deallocs see no tag.
    let block = heap.alloc(&mut backend, 4096, 4096).unwrap();
    assert_eq!(block, first_slab_object);
    assert_eq!(
        heap.dealloc(&mut backend, first_slab_object, 16, 8),
        Err(DeallocError::NotASlabObject)
    );
    check(&heap, &backend);
}

#[test]
fn errors_display_something_useful() {
    let errors = [
        DeallocError::InvalidLayout,
        DeallocError::Misaligned,
        DeallocError::NotASlabObject,
        DeallocError::NotAllocated,
        DeallocError::DoubleFree,
    ];
    for error in errors {
        assert!(!error.to_string().is_empty());
    }
}

#[test]
fn new_is_const_and_default_matches() {
    static HEAP: std::sync::Mutex<SlabAllocator> = std::sync::Mutex::new(SlabAllocator::new());
    assert_eq!(
        HEAP.lock().unwrap().stats(),
        SlabAllocator::default().stats()
    );
}
