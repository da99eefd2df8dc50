//! `mprotect`: splitting, merging back, partial application, and errors.

use super::*;
use basalt_linux_abi::mman::{PROT_GROWSDOWN, PROT_GROWSUP, PROT_SEM};
use basalt_linux_abi::Errno;
use std::vec;

#[test]
fn splits_and_merges_back() {
    let mut vmas = space();
    let a = 0x3200_0000;
    map_anon(&mut vmas, a, 3 * P, RW);
    let out = vmas.mprotect(a + P, P, R);
    assert_eq!(out.done, [(a + P..a + 2 * P, Prot::READ)]);
    assert_eq!(out.error, None);
    assert_eq!(
        layout_of(&vmas),
        [
            area(a, a + P, "rw-p"),
            area(a + P, a + 2 * P, "r--p"),
            area(a + 2 * P, a + 3 * P, "rw-p")
        ]
    );
    // Restoring merges everything back (probe: one rw-p area again).
    let out = vmas.mprotect(a + P, P, RW);
    assert_eq!(out.done, [(a + P..a + 2 * P, Prot::READ_WRITE)]);
    assert_eq!(layout_of(&vmas), [area(a, a + 3 * P, "rw-p")]);
    // An unchanged protection changes nothing and reports nothing.
    let out = vmas.mprotect(a, 3 * P, RW);
    assert!(out.done.is_empty() && out.error.is_none());
    check_invariants(&vmas);
}

#[test]
fn spans_several_areas_and_reports_only_changes() {
    let mut vmas = space();
    let a = 0x3200_0000;
    map_anon(&mut vmas, a, P, R);
    map_anon(&mut vmas, a + P, P, RW);
    map_anon(&mut vmas, a + 2 * P, P, 0);
    let out = vmas.mprotect(a, 3 * P, R);
    assert_eq!(out.done, [(a + P..a + 3 * P, Prot::READ)]);
    assert_eq!(layout_of(&vmas), [area(a, a + 3 * P, "r--p")]);
}

#[test]
fn stops_at_a_hole_keeping_earlier_changes() {
    let mut vmas = space();
    let a = 0x3100_0000;
    map_anon(&mut vmas, a, 3 * P, RW);
    vmas.munmap(a + P, P).unwrap();
    // Probe: the first page became r--p, the last stayed rw-p, ENOMEM.
    let out = vmas.mprotect(a, 3 * P, R);
    assert_eq!(out.done, [(a..a + P, Prot::READ)]);
    assert_eq!(out.result(), Err(Errno::ENOMEM));
    assert_eq!(
        layout_of(&vmas),
        [area(a, a + P, "r--p"), area(a + 2 * P, a + 3 * P, "rw-p")]
    );
    // Starting in a hole changes nothing.
    let out = vmas.mprotect(a + P, 2 * P, 0);
    assert_eq!((out.done, out.error), (vec![], Some(Errno::ENOMEM)));
}

#[test]
fn stops_with_eacces_at_an_area_that_may_not_get_the_protection() {
    let mut vmas = space();
    let b = 0x3100_0000;
    map_anon(&mut vmas, b, 3 * P, R);
    let read_only = MmapFile {
        writable: false,
        ..MmapFile::read_write(5)
    };
    let req = MmapRequest::new(
        b + P,
        P,
        R,
        basalt_linux_abi::mman::MAP_SHARED | basalt_linux_abi::mman::MAP_FIXED,
        0,
    )
    .with_file(read_only);
    vmas.mmap(req).unwrap();
    // Probe: the first page became rw-p, the shared one and the rest stayed.
    let out = vmas.mprotect(b, 3 * P, RW);
    assert_eq!(out.done, [(b..b + P, Prot::READ_WRITE)]);
    assert_eq!(out.error, Some(Errno::EACCES));
    assert_eq!(
        layout_of(&vmas),
        [
            area(b, b + P, "rw-p"),
            area(b + P, b + 2 * P, "r--s"),
            area(b + 2 * P, b + 3 * P, "r--p")
        ]
    );
    // Exec is still allowed on that mapping.
    assert_eq!(vmas.mprotect(b + P, P, 5).error, None);
}

#[test]
fn argument_errors_match_linux() {
    let mut vmas = space();
    let a = map_anon(&mut vmas, 0x3100_0000, P, R);
    let e = |vmas: &mut Vmas, addr, len, bits| vmas.mprotect(addr, len, bits).error;
    assert_eq!(e(&mut vmas, a, P, R | 0x80), Some(Errno::EINVAL));
    assert_eq!(e(&mut vmas, a, P, R | PROT_SEM), None);
    assert_eq!(
        e(&mut vmas, a, P, R | PROT_GROWSDOWN | PROT_GROWSUP),
        Some(Errno::EINVAL)
    );
    assert_eq!(e(&mut vmas, a + 1, P, R), Some(Errno::EINVAL));
    assert_eq!(e(&mut vmas, 0x1000, 0, R), None);
    assert_eq!(e(&mut vmas, 0x1001, 0, R), Some(Errno::EINVAL));
    assert_eq!(e(&mut vmas, a, u64::MAX - P + 1, R), Some(Errno::ENOMEM));
    assert_eq!(e(&mut vmas, a, u64::MAX, R), Some(Errno::ENOMEM));
    assert_eq!(e(&mut vmas, 0x1_0000, P, R), Some(Errno::ENOMEM));
    assert_eq!(e(&mut vmas, a, P, R | PROT_GROWSDOWN), Some(Errno::EINVAL));
    assert_eq!(e(&mut vmas, a, P, R | PROT_GROWSUP), Some(Errno::EINVAL));
    // Unknown bits are checked after the range: an overflowing range wins.
    assert_eq!(e(&mut vmas, a, u64::MAX, 0x80), Some(Errno::ENOMEM));
}

#[test]
fn growsdown_extends_to_the_start_of_a_growing_area() {
    let mut vmas = space();
    let g = 0x3510_0000;
    let stack = Vma::anonymous(g - P..g + P, Prot::READ_WRITE, crate::VmaKind::Anon).growing_down();
    vmas.insert_fixed(stack).unwrap();
    let out = vmas.mprotect(g, P, R | PROT_GROWSDOWN);
    assert_eq!(out.done, [(g - P..g + P, Prot::READ)]);
    assert_eq!(layout_of(&vmas), [area(g - P, g + P, "r--p")]);
    // Probes: a range entirely below the area, or in the hole above it: ENOMEM.
    assert_eq!(
        vmas.mprotect(g - 0x10000, P, R | PROT_GROWSDOWN).error,
        Some(Errno::ENOMEM)
    );
    assert_eq!(
        vmas.mprotect(g + P, P, R | PROT_GROWSDOWN).error,
        Some(Errno::ENOMEM)
    );
    // A range reaching into the area from below starts at the area.
    let out = vmas.mprotect(g - 4 * P, 4 * P, RW | PROT_GROWSDOWN);
    assert_eq!(out.done, [(g - P..g, Prot::READ_WRITE)]);
    check_invariants(&vmas);
}
