//! Randomized stress test: patterns, overlap model, and full cleanup at the end.

use super::host_backend::HostBackend;
use super::invariants::check;
use crate::placement::{slab_bytes, CLASS_COUNT};
use crate::SlabAllocator;
use std::collections::BTreeMap;
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

    fn below(&mut self, bound: u64) -> usize {
        (self.next() % bound) as usize
    }
}

const MAX_SIZE: usize = 20_000;
/// Distinct pattern offsets; prime, so neighbouring ids get unrelated byte streams.
const PATTERN_SHIFTS: usize = 251;

struct Live {
    addr: usize,
    size: usize,
    align: usize,
    id: usize,
}

/// Pseudo-random bytes; object `id` holds `pattern[id % 251..][..size]`, so filling and
/// verifying are single memcpy/memcmp calls (fast even in debug builds).
fn make_pattern(rng: &mut Rng) -> Vec<u8> {
    (0..MAX_SIZE + PATTERN_SHIFTS)
        .map(|_| rng.next() as u8)
        .collect()
}

fn pattern_for(pattern: &[u8], id: usize, size: usize) -> &[u8] {
    let shift = id % PATTERN_SHIFTS;
    &pattern[shift..shift + size]
}

fn random_layout(rng: &mut Rng) -> (usize, usize) {
    // Mix of scales so every size class and block order is exercised.
    let scale = [16, 64, 256, 1024, 2048, 4096, MAX_SIZE][rng.below(7)];
    let size = 1 + rng.below(scale as u64);
    let align = if rng.below(4) == 0 {
        1 << rng.below(13)
    } else {
        1 << rng.below(4)
    };
    (size, align)
}

#[test]
fn random_allocations_never_overlap_or_corrupt() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let pattern = make_pattern(&mut rng);
    let mut backend = HostBackend::new(2048); // 8 MiB: OOM happens in alloc-heavy phases
    let mut heap = SlabAllocator::new();
    let mut live: Vec<Live> = Vec::new();
    let mut ranges: BTreeMap<usize, usize> = BTreeMap::new(); // start -> end
    let mut next_id = 0usize;
    let mut successes = 0u64;
    let mut failures = 0u64;

    const OPERATIONS: u64 = 200_000;
    for step in 0..OPERATIONS {
        let alloc_percent = if (step / 10_000) % 2 == 0 { 65 } else { 35 };
        if rng.below(100) < alloc_percent || live.is_empty() {
            let (size, align) = random_layout(&mut rng);
            let Some(addr) = heap.alloc(&mut backend, size, align) else {
                failures += 1;
                continue;
            };
            successes += 1;
            assert_eq!(addr % align, 0, "size {size} align {align} misaligned");
            let end = addr + size;
            if let Some((_, &below_end)) = ranges.range(..=addr).next_back() {
                assert!(below_end <= addr, "overlaps object below");
            }
            if let Some((&above, _)) = ranges.range(addr..).next() {
                assert!(above >= end, "overlaps object above");
            }
            ranges.insert(addr, end);
            let id = next_id;
            next_id += 1;
            backend
                .bytes_mut(addr, size)
                .copy_from_slice(pattern_for(&pattern, id, size));
            live.push(Live {
                addr,
                size,
                align,
                id,
            });
        } else {
            let object = live.swap_remove(rng.below(live.len() as u64));
            assert!(
                backend.bytes(object.addr, object.size)
                    == pattern_for(&pattern, object.id, object.size),
                "object {} was overwritten",
                object.id
            );
            ranges.remove(&object.addr);
            heap.dealloc(&mut backend, object.addr, object.size, object.align)
                .unwrap();
        }
        if step % 5_000 == 0 {
            check(&heap, &backend);
        }
    }
    assert!(
        successes > 50_000 && failures > 100,
        "{successes} ok / {failures} failed"
    );

    let expected_bytes: usize = live.iter().map(|object| object.size).sum();
    assert_eq!(heap.stats().requested_bytes_in_use, expected_bytes);
    for object in live.drain(..) {
        assert!(
            backend.bytes(object.addr, object.size)
                == pattern_for(&pattern, object.id, object.size)
        );
        heap.dealloc(&mut backend, object.addr, object.size, object.align)
            .unwrap();
    }
    check(&heap, &backend);
    let stats = heap.stats();
    assert_eq!(stats.requested_bytes_in_use, 0);
    assert_eq!(stats.objects_in_use, [0; CLASS_COUNT]);
    assert_eq!(stats.large_blocks_in_use, 0);
    let mut kept_pages = 0;
    for class in 0..CLASS_COUNT {
        assert!(
            stats.slabs_held[class] <= 1,
            "class {class} kept several slabs"
        );
        kept_pages += stats.slabs_held[class] * slab_bytes(class) / 4096;
    }
    assert_eq!(stats.pages_held, kept_pages);
    assert_eq!(
        backend.pages_outstanding(),
        kept_pages,
        "backend pages leaked"
    );
}
