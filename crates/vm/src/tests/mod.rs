//! Unit tests, one file per call; `model` checks random sequences against a page model.

// Lists of one address range are exactly what the calls return.
#![allow(clippy::single_range_in_vec_init)]

mod brk;
mod fault;
mod limits;
mod maps;
mod mmap;
mod model;
mod mprotect;
mod mremap;
mod munmap;
mod shared;
mod space;

use crate::{AddressSpaceLayout, MmapFile, MmapRequest, Prot, Vma, Vmas, PAGE_SIZE};
use basalt_linux_abi::mman::{MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, MAP_SHARED};
use std::string::String;
use std::vec::Vec;

/// One page.
pub(crate) const P: u64 = PAGE_SIZE;
/// Where the test heap starts.
pub(crate) const BRK_START: u64 = 0x5000_0000;

/// A Linux-like x86_64 address space with the heap at [`BRK_START`].
pub(crate) fn space() -> Vmas {
    Vmas::new(AddressSpaceLayout::linux_x86_64(BRK_START))
}

/// `mmap(addr, len, prot, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED)`, which must succeed.
pub(crate) fn map_anon(vmas: &mut Vmas, addr: u64, len: u64, prot: u64) -> u64 {
    let req = MmapRequest::new(addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0);
    let out = vmas.mmap(req).expect("fixed anonymous mmap");
    check_invariants(vmas);
    out.addr
}

/// `mmap` of file `file_id` (read-write descriptor) at a fixed address, which must succeed.
pub(crate) fn map_file(
    vmas: &mut Vmas,
    addr: u64,
    len: u64,
    prot: u64,
    shared: bool,
    file_id: u64,
    offset: u64,
) -> u64 {
    let sharing = if shared { MAP_SHARED } else { MAP_PRIVATE };
    let req = MmapRequest::new(addr, len, prot, sharing | MAP_FIXED, offset)
        .with_file(MmapFile::read_write(file_id));
    let out = vmas.mmap(req).expect("fixed file mmap");
    check_invariants(vmas);
    out.addr
}

/// The areas as `(start, end, "rwxp")` for compact assertions.
pub(crate) fn layout_of(vmas: &Vmas) -> Vec<(u64, u64, String)> {
    vmas.iter()
        .map(|vma| {
            let share = if vma.sharing == crate::Sharing::Shared {
                's'
            } else {
                'p'
            };
            (vma.start, vma.end, std::format!("{}{}", vma.prot, share))
        })
        .collect()
}

/// The areas intersecting `[start, end)` as `(start, end, "rwxp")`.
pub(crate) fn layout_in(vmas: &Vmas, start: u64, end: u64) -> Vec<(u64, u64, String)> {
    layout_of(vmas)
        .into_iter()
        .filter(|(s, e, _)| *e > start && *s < end)
        .collect()
}

/// `(start, end, "perm")` shorthand.
pub(crate) fn area(start: u64, end: u64, perm: &str) -> (u64, u64, String) {
    (start, end, String::from(perm))
}

/// Sorted, non-overlapping, page-aligned, inside the user range, maximally merged.
pub(crate) fn check_invariants(vmas: &Vmas) {
    let user_end = vmas.layout().user_end;
    let areas: Vec<&Vma> = vmas.iter().collect();
    for (key, vma) in &vmas.areas {
        assert_eq!(*key, vma.start, "key matches start");
    }
    for vma in &areas {
        assert!(vma.start < vma.end, "non-empty: {vma:?}");
        assert!(
            vma.start.is_multiple_of(P) && vma.end.is_multiple_of(P),
            "aligned: {vma:?}"
        );
        assert!(vma.end <= user_end, "inside user range: {vma:?}");
        assert!(vma.max_prot.contains(vma.prot), "prot within max: {vma:?}");
    }
    for pair in areas.windows(2) {
        assert!(pair[0].end <= pair[1].start, "sorted, disjoint: {pair:?}");
        assert!(!pair[0].can_merge_with(pair[1]), "not merged: {pair:?}");
    }
    assert!(vmas.len() <= vmas.layout().max_map_count + 1);
}

/// Read-write shorthand.
pub(crate) const RW: u64 = 3;
/// Read-only shorthand.
pub(crate) const R: u64 = 1;
