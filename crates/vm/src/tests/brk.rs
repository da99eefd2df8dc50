//! `brk`, following the host probes.

use super::*;
use crate::{BrkOutcome, VmaKind};
use std::vec;

fn set(vmas: &mut Vmas, value: u64) -> BrkOutcome {
    let out = vmas.brk(value);
    check_invariants(vmas);
    out
}

#[test]
fn query_and_below_start_return_the_current_break() {
    let mut vmas = space();
    assert_eq!(set(&mut vmas, 0).brk, BRK_START);
    assert_eq!(set(&mut vmas, 1).brk, BRK_START);
    assert_eq!(set(&mut vmas, BRK_START - 1).brk, BRK_START);
    assert!(vmas.is_empty());
}

#[test]
fn grows_by_pages_and_keeps_the_exact_break() {
    let mut vmas = space();
    assert_eq!(
        set(&mut vmas, BRK_START + 1),
        BrkOutcome {
            brk: BRK_START + 1,
            freed: vec![]
        }
    );
    assert_eq!(layout_of(&vmas), [area(BRK_START, BRK_START + P, "rw-p")]);
    assert_eq!(vmas.find(BRK_START).unwrap().kind, VmaKind::Heap);
    assert_eq!(set(&mut vmas, BRK_START + 0x2001).brk, BRK_START + 0x2001);
    assert_eq!(
        layout_of(&vmas),
        [area(BRK_START, BRK_START + 3 * P, "rw-p")]
    );
    // Within the same page: only the value changes.
    assert_eq!(set(&mut vmas, BRK_START + 0x2fff).brk, BRK_START + 0x2fff);
    assert_eq!(vmas.len(), 1);
    assert_eq!(vmas.program_break(), BRK_START + 0x2fff);
}

#[test]
fn shrinking_frees_the_tail() {
    let mut vmas = space();
    set(&mut vmas, BRK_START + 0x2001);
    let out = set(&mut vmas, BRK_START + 0x10);
    assert_eq!(
        out,
        BrkOutcome {
            brk: BRK_START + 0x10,
            freed: vec![BRK_START + P..BRK_START + 3 * P]
        }
    );
    assert_eq!(layout_of(&vmas), [area(BRK_START, BRK_START + P, "rw-p")]);
    let out = set(&mut vmas, BRK_START);
    assert_eq!(out.freed, [BRK_START..BRK_START + P]);
    assert!(vmas.is_empty());
}

#[test]
fn growth_stops_a_page_before_the_next_mapping() {
    let mut vmas = space();
    let next = BRK_START + 5 * P;
    map_anon(&mut vmas, next, P, RW);
    // Probes: touching the next mapping fails, one page before works.
    assert_eq!(set(&mut vmas, next).brk, BRK_START);
    assert_eq!(set(&mut vmas, next - P).brk, next - P);
    assert_eq!(set(&mut vmas, next - P + 1).brk, next - P);
    assert_eq!(set(&mut vmas, next - 1).brk, next - P);
    assert_eq!(
        layout_in(&vmas, BRK_START, next - P),
        [area(BRK_START, next - P, "rw-p")]
    );
}

#[test]
fn growth_keeps_the_guard_gap_below_a_stack() {
    let mut vmas = space();
    let guard = vmas.layout().stack_guard_gap;
    let stack_start = BRK_START + guard + 8 * P;
    let stack = Vma::anonymous(
        stack_start..stack_start + P,
        Prot::READ_WRITE,
        VmaKind::Stack,
    )
    .growing_down();
    vmas.insert_fixed(stack).unwrap();
    assert_eq!(set(&mut vmas, BRK_START + 8 * P).brk, BRK_START);
    assert_eq!(set(&mut vmas, BRK_START + 7 * P).brk, BRK_START + 7 * P);
}

#[test]
fn shrinking_into_an_unmapped_range_fails_but_unmaps_foreign_mappings() {
    let mut vmas = space();
    set(&mut vmas, BRK_START + 3 * P);
    vmas.munmap(BRK_START, 3 * P).unwrap();
    // Probe: nothing mapped in [new, old): the break stays.
    assert_eq!(set(&mut vmas, BRK_START + P).brk, BRK_START + 3 * P);
    // Growing again maps only the new part.
    assert_eq!(set(&mut vmas, BRK_START + 4 * P).brk, BRK_START + 4 * P);
    assert_eq!(
        layout_of(&vmas),
        [area(BRK_START + 3 * P, BRK_START + 4 * P, "rw-p")]
    );
    // Probe: a foreign mapping inside [new, old) is unmapped too.
    map_anon(&mut vmas, BRK_START + P, P, R);
    let out = set(&mut vmas, BRK_START);
    assert_eq!(out.brk, BRK_START);
    assert_eq!(
        out.freed,
        [
            BRK_START + P..BRK_START + 2 * P,
            BRK_START + 3 * P..BRK_START + 4 * P
        ]
    );
    assert!(vmas.is_empty());
}

#[test]
fn growth_beyond_the_user_range_or_overflowing_fails() {
    let mut vmas = space();
    let top = vmas.layout().user_end;
    assert_eq!(set(&mut vmas, top + 1).brk, BRK_START);
    assert_eq!(set(&mut vmas, u64::MAX).brk, BRK_START);
    assert_eq!(set(&mut vmas, u64::MAX - P).brk, BRK_START);
    assert!(vmas.is_empty());
}

#[test]
fn heap_does_not_merge_with_the_bss() {
    let mut vmas = space();
    let bss = Vma::anonymous(BRK_START - P..BRK_START, Prot::READ_WRITE, VmaKind::Data);
    vmas.insert_fixed(bss).unwrap();
    set(&mut vmas, BRK_START + P);
    assert_eq!(vmas.len(), 2);
}
