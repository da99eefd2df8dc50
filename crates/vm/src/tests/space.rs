//! Construction, lookups, merging rules, `insert_fixed`, `Prot`, the layout.

use super::*;
use crate::{Backing, Sharing, VmaKind};
use basalt_linux_abi::Errno;

#[test]
fn new_space_is_empty_or_holds_the_initial_heap() {
    let vmas = space();
    assert!(vmas.is_empty());
    assert_eq!(vmas.program_break(), BRK_START);

    let mut layout = AddressSpaceLayout::linux_x86_64(BRK_START + 0x10);
    layout.brk = BRK_START + 3 * P + 1;
    let vmas = Vmas::new(layout);
    let heap = vmas.find(BRK_START + P).expect("heap mapped");
    assert_eq!(heap.range(), BRK_START + P..BRK_START + 4 * P);
    assert_eq!(heap.kind, VmaKind::Heap);
    assert_eq!(heap.prot, Prot::READ_WRITE);
    assert!(
        vmas.find(BRK_START).is_none(),
        "the partial first page belongs to the bss"
    );
}

#[test]
fn linux_layout_matches_x86_64_defaults() {
    let layout = AddressSpaceLayout::linux_x86_64(0x40_0000);
    assert_eq!(layout.user_end, 0x7fff_ffff_f000);
    assert_eq!(layout.mmap_base, 0x7fff_f7ff_f000);
    assert_eq!(layout.stack_limit, 8 << 20);
    assert_eq!(layout.stack_guard_gap, 256 * P);
    assert_eq!(layout.mmap_min_addr, 65536);
}

#[test]
fn inconsistent_layouts_are_repaired() {
    let layout = AddressSpaceLayout {
        user_end: 0x10_0123,
        mmap_base: u64::MAX,
        mmap_min_addr: u64::MAX,
        brk_start: u64::MAX,
        brk: 0,
        stack_limit: 0,
        stack_guard_gap: 0,
        max_map_count: 0,
        address_space_limit: 0,
    };
    let vmas = Vmas::new(layout);
    let fixed = vmas.layout();
    assert_eq!(fixed.user_end, 0x10_0000);
    assert_eq!(fixed.mmap_base, 0x10_0000);
    assert!(fixed.brk >= fixed.brk_start && fixed.brk <= fixed.user_end);
    assert!(vmas.is_empty());
}

#[test]
fn find_and_iter() {
    let mut vmas = space();
    map_anon(&mut vmas, 0x1000_0000, 2 * P, RW);
    map_anon(&mut vmas, 0x1000_4000, P, R);
    assert!(vmas.find(0x0fff_ffff).is_none());
    assert_eq!(vmas.find(0x1000_0000).map(|v| v.start), Some(0x1000_0000));
    assert_eq!(vmas.find(0x1000_1fff).map(|v| v.start), Some(0x1000_0000));
    assert!(vmas.find(0x1000_2000).is_none());
    assert_eq!(vmas.find(0x1000_4abc).map(|v| v.end), Some(0x1000_5000));
    assert!(vmas.find(u64::MAX).is_none());
    let starts: Vec<u64> = vmas.iter().map(|v| v.start).collect();
    assert_eq!(starts, [0x1000_0000, 0x1000_4000]);
    assert_eq!(vmas.len(), 2);
    assert_eq!(vmas.mapped_pages_in(0x1000_1000, 0x1000_5000), 2);
}

#[test]
fn neighbours_merge_only_when_linux_would() {
    let mut vmas = space();
    let base = 0x2000_0000;
    // Same anonymous attributes: merged (probe: two adjacent rw-p maps become one).
    map_anon(&mut vmas, base, P, RW);
    map_anon(&mut vmas, base + P, P, RW);
    assert_eq!(
        layout_in(&vmas, base, base + 3 * P),
        [area(base, base + 2 * P, "rw-p")]
    );
    // Different protection: separate.
    map_anon(&mut vmas, base + 2 * P, P, R);
    assert_eq!(vmas.len(), 2);
    // Contiguous file offsets merge; a gap in the offsets does not.
    let f = 0x2100_0000;
    map_file(&mut vmas, f, P, R, false, 7, 0);
    map_file(&mut vmas, f + P, P, R, false, 7, P);
    assert_eq!(layout_in(&vmas, f, f + 4 * P), [area(f, f + 2 * P, "r--p")]);
    map_file(&mut vmas, f + 2 * P, P, R, false, 7, 5 * P);
    map_file(&mut vmas, f + 3 * P, P, R, false, 8, 6 * P);
    assert_eq!(layout_in(&vmas, f, f + 4 * P).len(), 3);
    // Shared and private mappings of the same file do not merge.
    let s = 0x2200_0000;
    map_file(&mut vmas, s, P, R, true, 9, 0);
    map_file(&mut vmas, s + P, P, R, false, 9, P);
    assert_eq!(layout_in(&vmas, s, s + 2 * P).len(), 2);
    // Different kinds do not merge even with equal attributes.
    let k = 0x2300_0000;
    vmas.insert_fixed(Vma::anonymous(k..k + P, Prot::READ_WRITE, VmaKind::Data))
        .unwrap();
    map_anon(&mut vmas, k + P, P, RW);
    assert_eq!(layout_in(&vmas, k, k + 2 * P).len(), 2);
    check_invariants(&vmas);
}

#[test]
fn fork_copy_is_an_identical_independent_copy() {
    let mut vmas = space();
    map_anon(&mut vmas, 0x1000_0000, 4 * P, RW);
    vmas.brk(BRK_START + 5 * P);
    let mut child = vmas.fork_copy();
    assert_eq!(child, vmas);
    child.munmap(0x1000_0000, P).unwrap();
    assert_ne!(child, vmas);
    assert_eq!(vmas.find(0x1000_0000).map(|v| v.end), Some(0x1000_4000));
    assert_eq!(child.program_break(), BRK_START + 5 * P);
}

#[test]
fn insert_fixed_validates_and_replaces() {
    let mut vmas = space();
    let code = 0x40_0000;
    let elf = Vma::file(
        code..code + 2 * P,
        Prot::READ_EXEC,
        3,
        0,
        Sharing::Private,
        VmaKind::Code,
    );
    assert_eq!(vmas.insert_fixed(elf), Ok(Vec::new()));
    let bss = Vma::anonymous(code + P..code + 3 * P, Prot::READ_WRITE, VmaKind::Data);
    assert_eq!(
        vmas.insert_fixed(bss),
        Ok(std::vec![code + P..code + 2 * P])
    );
    assert_eq!(
        layout_of(&vmas),
        [
            area(code, code + P, "r-xp"),
            area(code + P, code + 3 * P, "rw-p")
        ]
    );

    let bad = |vma: Vma| {
        let mut vmas = space();
        vmas.insert_fixed(vma)
    };
    let ok = Vma::anonymous(0x1000_0000..0x1000_1000, Prot::READ, VmaKind::Anon);
    assert_eq!(
        bad(Vma {
            end: ok.start,
            ..ok
        }),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        bad(Vma {
            start: ok.start + 1,
            ..ok
        }),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        bad(Vma {
            end: ok.end + 1,
            ..ok
        }),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        bad(Vma {
            max_prot: Prot::NONE,
            ..ok
        }),
        Err(Errno::EINVAL)
    );
    let file = Vma::file(
        ok.range(),
        Prot::READ,
        1,
        0,
        Sharing::Private,
        VmaKind::File,
    );
    assert_eq!(bad(file.growing_down()), Err(Errno::EINVAL));
    assert_eq!(
        bad(Vma {
            backing: Backing::File {
                file_id: 1,
                offset: 1
            },
            ..file
        }),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        bad(Vma {
            backing: Backing::File {
                file_id: 1,
                offset: i64::MAX as u64 & !(P - 1)
            },
            ..file
        }),
        Err(Errno::EOVERFLOW)
    );
    let top = AddressSpaceLayout::X86_64_USER_END;
    assert_eq!(
        bad(Vma::anonymous(top..top + P, Prot::READ, VmaKind::Anon)),
        Err(Errno::ENOMEM)
    );
    assert!(bad(ok.growing_down()).is_ok());
}

#[test]
fn prot_bits_round_trip() {
    for bits in 0..8 {
        assert_eq!(Prot::from_bits(bits).bits(), bits);
    }
    assert_eq!(Prot::from_bits(0xf0 | 5), Prot::READ_EXEC);
    assert_eq!(std::format!("{}", Prot::READ_EXEC), "r-x");
    assert_eq!(std::format!("{}", Prot::NONE), "---");
    assert!(Prot::ALL.contains(Prot::READ_WRITE));
    assert!(!Prot::READ.contains(Prot::READ_WRITE));
    assert!(Prot::new(false, true, false).is_accessible());
    assert!(!Prot::NONE.is_accessible());
}

#[test]
fn splits_respect_max_map_count() {
    let mut layout = AddressSpaceLayout::linux_x86_64(BRK_START);
    layout.max_map_count = 2;
    let mut vmas = Vmas::new(layout);
    map_anon(&mut vmas, 0x1000_0000, 4 * P, RW);
    map_anon(&mut vmas, 0x1100_0000, 4 * P, RW);
    // Punching a hole would make three areas.
    assert_eq!(vmas.munmap(0x1000_1000, P), Err(Errno::ENOMEM));
    // Trimming an end does not add an area.
    assert_eq!(
        vmas.munmap(0x1000_0000, P),
        Ok(std::vec![0x1000_0000..0x1000_1000])
    );
    let out = vmas.mprotect(0x1000_2000, P, R);
    assert_eq!(out.error, Some(Errno::ENOMEM));
    assert!(out.done.is_empty());
    assert_eq!(vmas.len(), 2);
    check_invariants(&vmas);
}
