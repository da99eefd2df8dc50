//! Randomized stress test against a model of the allocated blocks.

use super::invariants::check;
use crate::{BuddyAllocator, FrameMeta, FreeError, MAX_ORDER};
use std::collections::BTreeMap;
use std::vec;
use std::vec::Vec;

/// xorshift64*: small, deterministic, good enough for test input.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

const FIRST_PFN: u64 = 3;
const FRAMES: usize = 6000;
/// Allocatable ranges; the gaps between them are holes that must never be handed out.
const RANGES: [(u64, u64); 3] = [(3, 1500), (1600, 4000), (4100, 6003)];

fn in_added_ranges(pfn: u64, order: usize) -> bool {
    let end = pfn + (1 << order);
    RANGES
        .iter()
        .any(|&(start, stop)| pfn >= start && end <= stop)
}

/// Allocated blocks, both as a map (overlap checks) and a vector (random picks).
#[derive(Default)]
struct Model {
    by_pfn: BTreeMap<u64, usize>,
    list: Vec<(u64, usize)>,
    frames: u64,
}

impl Model {
    fn insert(&mut self, pfn: u64, order: usize) {
        let end = pfn + (1 << order);
        if let Some((&before, &before_order)) = self.by_pfn.range(..=pfn).next_back() {
            assert!(before + (1 << before_order) <= pfn, "overlaps block below");
        }
        if let Some((&after, _)) = self.by_pfn.range(pfn..).next() {
            assert!(after >= end, "overlaps block above");
        }
        self.by_pfn.insert(pfn, order);
        self.list.push((pfn, order));
        self.frames += 1 << order;
    }

    fn remove_at(&mut self, position: usize) -> (u64, usize) {
        let (pfn, order) = self.list.swap_remove(position);
        self.by_pfn.remove(&pfn);
        self.frames -= 1 << order;
        (pfn, order)
    }
}

fn random_order(rng: &mut Rng) -> usize {
    // Mostly small blocks, like a kernel, with occasional large ones.
    if rng.below(4) == 0 {
        rng.below(MAX_ORDER as u64 + 1) as usize
    } else {
        rng.below(4) as usize
    }
}

fn count_max_blocks(allocator: &mut BuddyAllocator<'_>) -> usize {
    let mut taken = Vec::new();
    while let Ok(pfn) = allocator.alloc(MAX_ORDER) {
        taken.push(pfn);
    }
    for &pfn in &taken {
        allocator.free(pfn, MAX_ORDER).unwrap();
    }
    taken.len()
}

#[test]
fn piecewise_adds_equal_one_shot_adds() {
    let mut rng = Rng(0x5eed_0001);
    let mut one_shot_meta = vec![FrameMeta::RESERVED; FRAMES];
    let mut one_shot = BuddyAllocator::new(&mut one_shot_meta, FIRST_PFN);
    let mut piecewise_meta = vec![FrameMeta::RESERVED; FRAMES];
    let mut piecewise = BuddyAllocator::new(&mut piecewise_meta, FIRST_PFN);
    for &(start, end) in &RANGES {
        one_shot.add_free_range(start, end);
        // Random chunks, added from the top down so merges cross call boundaries.
        let mut chunks = Vec::new();
        let mut pfn = start;
        while pfn < end {
            let stop = (pfn + 1 + rng.below(300)).min(end);
            chunks.push((pfn, stop));
            pfn = stop;
        }
        for &(chunk_start, chunk_end) in chunks.iter().rev() {
            piecewise.add_free_range(chunk_start, chunk_end);
        }
    }
    check(&piecewise);
    for order in 0..=MAX_ORDER {
        assert_eq!(one_shot.free_blocks(order), piecewise.free_blocks(order));
    }
    assert_eq!(one_shot.total_frames(), piecewise.total_frames());
}

#[test]
fn random_operations_keep_the_allocator_consistent() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut storage = vec![FrameMeta::RESERVED; FRAMES];
    let mut allocator = BuddyAllocator::new(&mut storage, FIRST_PFN);
    for &(start, end) in &RANGES {
        allocator.add_free_range(start, end);
    }
    let start_free = allocator.free_frames();
    assert_eq!(start_free, allocator.total_frames());
    let start_counts: Vec<u64> = (0..=MAX_ORDER).map(|o| allocator.free_blocks(o)).collect();
    let start_max_blocks = count_max_blocks(&mut allocator);
    assert!(start_max_blocks > 0);

    let mut model = Model::default();
    let mut successes = 0u64;
    let mut failures = 0u64;
    const OPERATIONS: u64 = 150_000;
    for step in 0..OPERATIONS {
        // Alternate alloc-heavy and free-heavy phases so both full and near-empty
        // states are visited many times.
        let alloc_percent = if (step / 5_000) % 2 == 0 { 65 } else { 35 };
        let roll = rng.below(100);
        if roll < alloc_percent || model.list.is_empty() {
            let order = random_order(&mut rng);
            let use_limit = rng.below(10) == 0;
            let limit = FIRST_PFN + rng.below(FRAMES as u64 + 10);
            let result = if use_limit {
                allocator.alloc_below(order, limit)
            } else {
                allocator.alloc(order)
            };
            match result {
                Ok(pfn) => {
                    successes += 1;
                    assert_eq!(pfn % (1 << order), 0, "misaligned block");
                    assert!(in_added_ranges(pfn, order), "block outside added ranges");
                    if use_limit {
                        assert!(pfn + (1 << order) <= limit, "block above limit");
                    }
                    model.insert(pfn, order);
                }
                Err(_) => {
                    failures += 1;
                    if !use_limit {
                        let any_big_enough =
                            (order..=MAX_ORDER).any(|o| allocator.free_blocks(o) > 0);
                        assert!(!any_big_enough, "alloc failed with memory available");
                    }
                }
            }
        } else if roll < 97 {
            let position = rng.below(model.list.len() as u64) as usize;
            let (pfn, order) = model.remove_at(position);
            allocator.free(pfn, order).unwrap();
            if rng.below(8) == 0 {
                assert_eq!(allocator.free(pfn, order), Err(FreeError::NotAllocated));
            }
        } else {
            // Bad frees must be rejected without side effects.
            let before = allocator.free_frames();
            let position = rng.below(model.list.len() as u64) as usize;
            let (pfn, order) = model.list[position];
            let wrong_order = (order + 1 + rng.below(MAX_ORDER as u64) as usize) % (MAX_ORDER + 1);
            assert!(allocator.free(pfn, wrong_order).is_err());
            if order > 0 {
                assert!(allocator.free(pfn + 1, 0).is_err());
            }
            assert_eq!(allocator.free_frames(), before);
        }
        assert_eq!(allocator.free_frames() + model.frames, start_free);
        if step % 2_000 == 0 {
            check(&allocator);
        }
    }
    assert!(
        successes > 10_000 && failures > 100,
        "{successes} ok / {failures} failed"
    );

    while let Some(&(pfn, order)) = model.list.last() {
        model.remove_at(model.list.len() - 1);
        allocator.free(pfn, order).unwrap();
    }
    check(&allocator);
    assert_eq!(allocator.free_frames(), start_free);
    let end_counts: Vec<u64> = (0..=MAX_ORDER).map(|o| allocator.free_blocks(o)).collect();
    assert_eq!(end_counts, start_counts, "free lists not fully coalesced");
    assert_eq!(count_max_blocks(&mut allocator), start_max_blocks);
}
