//! Tests for memory map sanitizing and `usable_ranges`, including randomized checks
//! against a brute-force model.

use crate::memory_map::MemoryMap;
use crate::test_support::{PvhImage, Rng, PVH_START_INFO};
use crate::{parse_pvh, BootInfo, BootInfoError, MemoryRegion, RegionKind, MAX_REGIONS};
use core::ops::Range;
use std::vec;
use std::vec::Vec;

use RegionKind::{AcpiNvs, AcpiReclaimable, Reserved, Unusable, Usable};

fn region(start: u64, end: u64, kind: RegionKind) -> MemoryRegion {
    MemoryRegion {
        start,
        len: end - start,
        kind,
    }
}

fn sanitize(raw: &[(u64, u64, RegionKind)]) -> Vec<MemoryRegion> {
    let mut map = MemoryMap::new();
    for &(start, end, kind) in raw {
        map.add(start, end - start, kind).unwrap();
    }
    map.regions().to_vec()
}

fn info_with(raw: &[(u64, u64, RegionKind)]) -> BootInfo {
    let mut info = BootInfo::empty();
    for &(start, end, kind) in raw {
        info.memory.add(start, end - start, kind).unwrap();
    }
    info
}

#[test]
fn unsorted_entries_are_sorted_and_zero_length_dropped() {
    let map = sanitize(&[
        (0x5000, 0x6000, Usable),
        (0x1000, 0x2000, Reserved),
        (0x3000, 0x3000, Reserved),
        (0x0, 0x1000, Usable),
    ]);
    assert_eq!(
        map,
        [
            region(0, 0x1000, Usable),
            region(0x1000, 0x2000, Reserved),
            region(0x5000, 0x6000, Usable)
        ]
    );
}

#[test]
fn adjacent_and_overlapping_same_kind_merge() {
    let map = sanitize(&[
        (0, 0x1000, Usable),
        (0x1000, 0x3000, Usable),
        (0x2000, 0x5000, Usable),
    ]);
    assert_eq!(map, [region(0, 0x5000, Usable)]);
    let kinds_differ = sanitize(&[(0, 0x1000, Reserved), (0x1000, 0x2000, AcpiNvs)]);
    assert_eq!(kinds_differ.len(), 2);
}

#[test]
fn non_usable_wins_overlaps_in_either_order() {
    let expected = [
        region(0, 0x1000, Usable),
        region(0x1000, 0x2000, Reserved),
        region(0x2000, 0x4000, Usable),
    ];
    assert_eq!(
        sanitize(&[(0, 0x4000, Usable), (0x1000, 0x2000, Reserved)]),
        expected
    );
    assert_eq!(
        sanitize(&[(0x1000, 0x2000, Reserved), (0, 0x4000, Usable)]),
        expected
    );
}

#[test]
fn more_restrictive_kind_wins_among_non_usable() {
    let map = sanitize(&[
        (0, 0x4000, AcpiReclaimable),
        (0x1000, 0x3000, Reserved),
        (0x2000, 0x5000, AcpiNvs),
        (0x2800, 0x2900, Unusable),
    ]);
    assert_eq!(
        map,
        [
            region(0, 0x1000, AcpiReclaimable),
            region(0x1000, 0x2800, Reserved),
            region(0x2800, 0x2900, Unusable),
            region(0x2900, 0x3000, Reserved),
            region(0x3000, 0x5000, AcpiNvs),
        ]
    );
}

#[test]
fn entry_spanning_several_regions_fills_gaps_only_where_it_wins() {
    let map = sanitize(&[
        (0x1000, 0x2000, Reserved),
        (0x3000, 0x4000, Usable),
        (0x5000, 0x6000, Unusable),
        (0, 0x7000, AcpiNvs),
    ]);
    assert_eq!(
        map,
        [
            region(0, 0x1000, AcpiNvs),
            region(0x1000, 0x2000, Reserved),
            region(0x2000, 0x5000, AcpiNvs),
            region(0x5000, 0x6000, Unusable),
            region(0x6000, 0x7000, AcpiNvs),
        ]
    );
}

#[test]
fn region_reaching_top_of_address_space_is_fine_but_overflow_is_not() {
    let map = sanitize(&[(u64::MAX - 0xFFF, u64::MAX, Reserved)]);
    assert_eq!(map[0].end(), u64::MAX);
    let mut map = MemoryMap::new();
    assert_eq!(
        map.add(u64::MAX, 2, Usable),
        Err(BootInfoError::AddressOverflow)
    );
}

#[test]
fn capacity_is_enforced() {
    let mut map = MemoryMap::new();
    for index in 0..MAX_REGIONS as u64 {
        let kind = if index % 2 == 0 { Usable } else { Reserved };
        map.add(index * 0x1000, 0x1000, kind).unwrap();
    }
    assert_eq!(map.regions().len(), MAX_REGIONS);
    assert_eq!(
        map.add(0x1000_0000, 0x1000, Usable),
        Err(BootInfoError::TooManyRegions)
    );
    // Entries that merge into existing regions still fit.
    map.add(0, 0x1000, Usable).unwrap();
}

#[test]
fn usable_ranges_are_page_aligned_and_skip_exclusions() {
    let info = info_with(&[
        (0x800, 0x9_F800, Usable),
        (0x9_F800, 0xA_0000, Reserved),
        (0x10_0000, 0x80_0000, Usable),
        (0x80_0000, 0x80_0FFF, Usable),
    ]);
    let all: Vec<_> = info.usable_ranges(&[]).collect();
    assert_eq!(all, [0x1000..0x9_F000, 0x10_0000..0x80_0000]);

    let exclude = [
        0x40_0000..0x40_0001, // widened to one page
        0x20_0000..0x30_0000, // kernel image
        0x28_0000..0x31_0800, // overlapping, unaligned end
        0x5000..0x5000,       // empty: ignored
        0x0..0x2000,          // clips the first range's start
        0x7F_F000..0x90_0000, // clips the end
    ];
    let ranges: Vec<_> = info.usable_ranges(&exclude).collect();
    assert_eq!(
        ranges,
        [
            0x2000..0x9_F000,
            0x10_0000..0x20_0000,
            0x31_1000..0x40_0000,
            0x40_1000..0x7F_F000,
        ]
    );
    let everything = 0..u64::MAX;
    assert_eq!(
        info.usable_ranges(core::slice::from_ref(&everything))
            .count(),
        0
    );
}

#[test]
fn max_usable_address_ignores_reserved_top() {
    let info = info_with(&[
        (0, 0x1000, Usable),
        (0x10_0000, 0x20_0000, Usable),
        (0xFFFF_0000, 0x1_0000_0000, Reserved),
    ]);
    assert_eq!(info.max_usable_address(), 0x20_0000);
    assert_eq!(BootInfo::empty().max_usable_address(), 0);
    assert_eq!(BootInfo::default().usable_ranges(&[]).count(), 0);
}

/// The kind a brute-force overlay of `raw` gives the granule at `address`.
fn model_kind(raw: &[(u64, u64, RegionKind)], address: u64) -> Option<RegionKind> {
    raw.iter()
        .filter(|&&(start, end, _)| start <= address && address < end)
        .map(|&(_, _, kind)| kind)
        .max_by_key(|kind| kind.precedence())
}

fn kind_at(map: &[MemoryRegion], address: u64) -> Option<RegionKind> {
    map.iter()
        .find(|region| region.start <= address && address < region.end())
        .map(|r| r.kind)
}

const GRANULE: u64 = 512;
const SPACE: u64 = 1 << 20;
const PAGE: u64 = 4096;
const KINDS: [RegionKind; 5] = [Usable, Usable, Reserved, AcpiReclaimable, AcpiNvs];

fn random_raw_map(rng: &mut Rng) -> Vec<(u64, u64, RegionKind)> {
    let count = rng.below(24) as usize;
    (0..count)
        .map(|_| {
            let start = rng.below(SPACE / GRANULE) * GRANULE;
            let len = if rng.below(8) == 0 {
                0
            } else {
                rng.below(64) * GRANULE
            };
            let kind = if rng.below(20) == 0 {
                Unusable
            } else {
                KINDS[rng.below(5) as usize]
            };
            (start, start + len, kind)
        })
        .collect()
}

#[test]
fn randomized_maps_keep_invariants_and_match_model() {
    let mut rng = Rng(0xA076_1D64_78BD_642F);
    for round in 0..600 {
        let raw = random_raw_map(&mut rng);
        let info = if round % 10 == 0 {
            // Exercise the PVH path too (E820 types 1..=5 round-trip through from_e820).
            let e820 = |kind| match kind {
                Usable => 1,
                Reserved => 2,
                AcpiReclaimable => 3,
                AcpiNvs => 4,
                Unusable => 5,
            };
            let mut memmap: Vec<_> = raw.iter().map(|&(s, e, k)| (s, e - s, e820(k))).collect();
            memmap.push((SPACE * 4, 0x1000, 2)); // keep the map non-empty
            let image = PvhImage {
                memmap,
                ..PvhImage::qemu_like()
            };
            let mut info = parse_pvh(&image.build(), PVH_START_INFO).unwrap();
            info.memory.clear();
            for &(start, end, kind) in &raw {
                info.memory.add(start, end - start, kind).unwrap();
            }
            info
        } else {
            info_with(&raw)
        };
        let map = info.memory_map();

        for region in map {
            assert!(region.len > 0);
        }
        for pair in map.windows(2) {
            assert!(
                pair[0].end() <= pair[1].start,
                "overlap or unsorted: {pair:?}"
            );
            assert!(
                pair[0].end() < pair[1].start || pair[0].kind != pair[1].kind,
                "unmerged neighbours: {pair:?}"
            );
        }
        for granule in 0..(SPACE * 2) / GRANULE {
            let address = granule * GRANULE;
            assert_eq!(
                kind_at(map, address),
                model_kind(&raw, address),
                "address {address:#x}"
            );
        }

        let exclusions: Vec<Range<u64>> = (0..rng.below(4))
            .map(|_| {
                let start = rng.below(SPACE);
                start..start + rng.below(SPACE / 4)
            })
            .collect();
        check_usable_ranges(&info, &raw, &exclusions);

        let expected_max = map
            .iter()
            .filter(|r| r.kind == Usable)
            .map(|r| r.end())
            .max();
        assert_eq!(info.max_usable_address(), expected_max.unwrap_or(0));
    }
}

fn check_usable_ranges(info: &BootInfo, raw: &[(u64, u64, RegionKind)], exclusions: &[Range<u64>]) {
    let ranges: Vec<Range<u64>> = info.usable_ranges(exclusions).collect();
    for range in &ranges {
        assert!(range.start < range.end);
        assert_eq!(range.start % PAGE, 0);
        assert_eq!(range.end % PAGE, 0);
    }
    for pair in ranges.windows(2) {
        assert!(pair[0].end <= pair[1].start);
    }
    let mut covered = vec![false; ((SPACE * 2) / PAGE) as usize];
    for range in &ranges {
        for page in range.start / PAGE..range.end / PAGE {
            covered[page as usize] = true;
        }
    }
    for (page, &is_covered) in covered.iter().enumerate() {
        let start = page as u64 * PAGE;
        let all_usable = (start..start + PAGE)
            .step_by(GRANULE as usize)
            .all(|address| model_kind(raw, address) == Some(Usable));
        let excluded = exclusions.iter().any(|range| {
            range.start < range.end && range.start < start + PAGE && start < range.end
        });
        assert_eq!(is_covered, all_usable && !excluded, "page {start:#x}");
    }
}
