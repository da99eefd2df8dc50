//! `mremap`: every path of Linux 6.18's implementation, following the host probes.

use super::*;
use crate::{MremapOutcome, PageMove, VmaKind};
use basalt_linux_abi::mman::{
    MREMAP_DONTUNMAP as DONTUNMAP, MREMAP_FIXED as FIXED, MREMAP_MAYMOVE as MAYMOVE,
};
use basalt_linux_abi::Errno;
use std::vec;

fn remap(
    vmas: &mut Vmas,
    addr: u64,
    old: u64,
    new: u64,
    flags: u64,
    new_addr: u64,
) -> Result<MremapOutcome, Errno> {
    let out = vmas.mremap(addr, old, new, flags, new_addr);
    check_invariants(vmas);
    out
}

fn moved(from: core::ops::Range<u64>, to: u64) -> PageMove {
    PageMove {
        from,
        to,
        source_kept: false,
    }
}

#[test]
fn parameter_errors() {
    let mut vmas = space();
    let a = map_anon(&mut vmas, 0x4000_0000, 4 * P, RW);
    let top = vmas.layout().user_end;
    let e = |vmas: &mut Vmas, addr, old, new, flags, new_addr| {
        remap(vmas, addr, old, new, flags, new_addr).unwrap_err()
    };
    assert_eq!(e(&mut vmas, a, P, P, 8, 0), Errno::EINVAL);
    assert_eq!(e(&mut vmas, a, P, P, FIXED, 0x4100_0000), Errno::EINVAL);
    assert_eq!(e(&mut vmas, a, P, P, DONTUNMAP, 0), Errno::EINVAL);
    assert_eq!(
        e(&mut vmas, a, P, 2 * P, DONTUNMAP | MAYMOVE, 0),
        Errno::EINVAL
    );
    assert_eq!(e(&mut vmas, a + 1, P, P, 0, 0), Errno::EINVAL);
    assert_eq!(e(&mut vmas, a, P, 0, 0, 0), Errno::EINVAL);
    assert_eq!(e(&mut vmas, a, P, u64::MAX, MAYMOVE, 0), Errno::EINVAL);
    assert_eq!(e(&mut vmas, a, P, 1 << 47, MAYMOVE, 0), Errno::EINVAL);
    assert_eq!(
        e(&mut vmas, a, 2 * P, 2 * P, FIXED | MAYMOVE, a + P),
        Errno::EINVAL
    );
    assert_eq!(
        e(&mut vmas, a, 2 * P, 2 * P, FIXED | MAYMOVE, 0x5000_0001),
        Errno::EINVAL
    );
    assert_eq!(e(&mut vmas, a, P, P, FIXED | MAYMOVE, top), Errno::EINVAL);
    assert_eq!(
        e(&mut vmas, a, P, P, DONTUNMAP | MAYMOVE, 0x4100_0001),
        Errno::EINVAL
    );
    assert_eq!(
        e(&mut vmas, a, 2 * P, 2 * P, DONTUNMAP | MAYMOVE, a + P),
        Errno::EINVAL
    );
    // Without FIXED or DONTUNMAP, new_addr is ignored entirely (6.18 fix).
    assert_eq!(
        remap(&mut vmas, a, P, P, 0, 0xffff_ffff_ffff_0123)
            .unwrap()
            .addr,
        a
    );
    // Too little room for worst-case splits.
    let mut layout = AddressSpaceLayout::linux_x86_64(BRK_START);
    layout.max_map_count = 4;
    let mut small = Vmas::new(layout);
    map_anon(&mut small, 0x4000_0000, P, RW);
    assert_eq!(e(&mut small, 0x4000_0000, P, P, 0, 0), Errno::ENOMEM);
    assert_eq!(layout_of(&vmas), [area(a, a + 4 * P, "rw-p")]);
}

#[test]
fn source_errors() {
    let mut vmas = space();
    let a = map_anon(&mut vmas, 0x4000_0000, 4 * P, RW);
    let e =
        |vmas: &mut Vmas, addr, old, new, flags| remap(vmas, addr, old, new, flags, 0).unwrap_err();
    assert_eq!(e(&mut vmas, 0x4f00_0000, P, 2 * P, 0), Errno::EFAULT);
    assert_eq!(e(&mut vmas, 0x4f00_0000, P, P, 0), Errno::EFAULT);
    assert_eq!(e(&mut vmas, 0x4f00_0000, 2 * P, P, 0), Errno::EFAULT);
    assert_eq!(e(&mut vmas, a, 8 * P, 9 * P, 0), Errno::EFAULT);
    assert_eq!(e(&mut vmas, a, 0, P, MAYMOVE), Errno::EINVAL);
    // Same length past the area: nothing to check, nothing done (probe).
    assert_eq!(remap(&mut vmas, a, 8 * P, 8 * P, 0, 0).unwrap().addr, a);
    // Shrinking may span areas and holes (probe).
    let b = map_anon(&mut vmas, 0x4001_0000, P, RW);
    map_anon(&mut vmas, b + P, P, R);
    let out = remap(&mut vmas, b, 4 * P, P / 2, 0, 0).unwrap();
    assert_eq!(
        out,
        MremapOutcome {
            addr: b,
            moves: vec![],
            freed: vec![b + P..b + 2 * P]
        }
    );
    assert_eq!(layout_in(&vmas, b, b + 4 * P), [area(b, b + P, "rw-p")]);
    // An absurd shrink length fails in munmap.
    assert_eq!(e(&mut vmas, b, u64::MAX - 2 * P, P, 0), Errno::EINVAL);
}

#[test]
fn grows_in_place_when_the_tail_is_free() {
    let mut vmas = space();
    let c = map_anon(&mut vmas, 0x4002_0000, P, RW);
    map_anon(&mut vmas, c + 2 * P, P, RW);
    // Probe: grows and merges with the following area.
    let out = remap(&mut vmas, c, P, 2 * P, 0, 0).unwrap();
    assert_eq!(
        out,
        MremapOutcome {
            addr: c,
            moves: vec![],
            freed: vec![]
        }
    );
    assert_eq!(layout_in(&vmas, c, c + 3 * P), [area(c, c + 3 * P, "rw-p")]);
    // Blocked without MAYMOVE: ENOMEM.
    map_anon(&mut vmas, c + 3 * P, P, R);
    assert_eq!(remap(&mut vmas, c, 3 * P, 4 * P, 0, 0), Err(Errno::ENOMEM));
    // Growing past the user range fails the same way.
    let top = vmas.layout().user_end;
    let t = map_anon(&mut vmas, top - P, P, RW);
    assert_eq!(remap(&mut vmas, t, P, 2 * P, 0, 0), Err(Errno::ENOMEM));
}

#[test]
fn grows_by_moving_with_maymove() {
    let mut vmas = space();
    let base = vmas.layout().mmap_base;
    let c = map_file(&mut vmas, 0x4002_0000, 2 * P, RW, false, 3, 4 * P);
    map_anon(&mut vmas, c + 2 * P, P, R);
    let out = remap(&mut vmas, c, 2 * P, 3 * P, MAYMOVE, 0).unwrap();
    let target = base - 3 * P;
    assert_eq!(
        out,
        MremapOutcome {
            addr: target,
            moves: vec![moved(c..c + 2 * P, target)],
            freed: vec![]
        }
    );
    let vma = vmas.find(target).unwrap();
    assert_eq!(vma.range(), target..base);
    assert_eq!(vma.file_offset_of(target), Some(4 * P));
    assert!(vmas.find(c).is_none());
}

#[test]
fn moving_part_of_an_area_splits_it() {
    let mut vmas = space();
    let base = vmas.layout().mmap_base;
    let d = map_anon(&mut vmas, 0x4003_0000, 4 * P, RW);
    let out = remap(&mut vmas, d + P, P, 2 * P, MAYMOVE, 0).unwrap();
    assert_eq!(out.moves, [moved(d + P..d + 2 * P, base - 2 * P)]);
    assert_eq!(
        layout_of(&vmas),
        [
            area(d, d + P, "rw-p"),
            area(d + 2 * P, d + 4 * P, "rw-p"),
            area(base - 2 * P, base, "rw-p")
        ]
    );
}

#[test]
fn fixed_replaces_the_destination() {
    let mut vmas = space();
    let e = map_anon(&mut vmas, 0x4004_0000, 2 * P, RW);
    let f = map_anon(&mut vmas, 0x4005_0000, 2 * P, R);
    // Probe: shrink and move onto an existing mapping.
    let out = remap(&mut vmas, e, 2 * P, P, FIXED | MAYMOVE, f).unwrap();
    assert_eq!(
        out,
        MremapOutcome {
            addr: f,
            moves: vec![moved(e..e + P, f)],
            freed: vec![f..f + P, e + P..e + 2 * P]
        }
    );
    assert_eq!(
        layout_of(&vmas),
        [area(f, f + P, "rw-p"), area(f + P, f + 2 * P, "r--p")]
    );
    // Growing while moving to a fixed address.
    let out = remap(&mut vmas, f, P, 3 * P, FIXED | MAYMOVE, 0x4100_0000).unwrap();
    assert_eq!(out.moves, [moved(f..f + P, 0x4100_0000)]);
    assert_eq!(
        layout_in(&vmas, 0x4100_0000, 0x4200_0000),
        [area(0x4100_0000, 0x4100_3000, "rw-p")]
    );
    // Below mmap_min_addr: EPERM, and the source stays.
    assert_eq!(
        remap(&mut vmas, 0x4100_0000, P, 2 * P, FIXED | MAYMOVE, 0x1000),
        Err(Errno::EPERM)
    );
    assert!(vmas.find(0x4100_0000).is_some());
}

#[test]
fn fixed_with_a_bad_source_leaves_the_destination() {
    let mut vmas = space();
    let dest = map_anon(&mut vmas, 0x4007_0000, P, RW);
    assert_eq!(
        remap(&mut vmas, 0x4006_5000, P, P, FIXED | MAYMOVE, dest),
        Err(Errno::EFAULT)
    );
    assert_eq!(
        remap(&mut vmas, 0x4006_5000, P, 2 * P, FIXED | MAYMOVE, dest),
        Err(Errno::EFAULT)
    );
    assert!(vmas.find(dest).is_some());
}

#[test]
fn fixed_same_length_moves_every_area_keeping_gaps() {
    let mut vmas = space();
    let s = 0x4010_0000;
    map_anon(&mut vmas, s, 2 * P, RW);
    map_anon(&mut vmas, s + 3 * P, P, R);
    let t = 0x4020_0000;
    // Something in the destination's gap survives; what overlaps moved areas does not.
    map_anon(&mut vmas, t + 2 * P, P, 0);
    map_anon(&mut vmas, t + 3 * P, P, 0);
    let out = remap(&mut vmas, s, 4 * P, 4 * P, FIXED | MAYMOVE, t).unwrap();
    assert_eq!(out.addr, t);
    assert_eq!(
        out.moves,
        [
            moved(s..s + 2 * P, t),
            moved(s + 3 * P..s + 4 * P, t + 3 * P)
        ]
    );
    assert_eq!(out.freed, [t + 3 * P..t + 4 * P]);
    assert_eq!(
        layout_of(&vmas),
        [
            area(t, t + 2 * P, "rw-p"),
            area(t + 2 * P, t + 3 * P, "---p"),
            area(t + 3 * P, t + 4 * P, "r--p")
        ]
    );
    // The range must start inside an area.
    assert_eq!(
        remap(&mut vmas, t - P, 2 * P, 2 * P, FIXED | MAYMOVE, s),
        Err(Errno::EFAULT)
    );
}

#[test]
fn dontunmap_keeps_the_source_area() {
    let mut vmas = space();
    let base = vmas.layout().mmap_base;
    let h = map_anon(&mut vmas, 0x4008_0000, 2 * P, RW);
    let out = remap(&mut vmas, h, 2 * P, 2 * P, DONTUNMAP | MAYMOVE, 0).unwrap();
    assert_eq!(out.addr, base - 2 * P);
    assert_eq!(
        out.moves,
        [PageMove {
            from: h..h + 2 * P,
            to: base - 2 * P,
            source_kept: true
        }]
    );
    assert_eq!(layout_in(&vmas, h, h + 2 * P), [area(h, h + 2 * P, "rw-p")]);
    // Lengths that round to the same page count are equal (probe).
    let out = remap(&mut vmas, h, P, P - 1, DONTUNMAP | MAYMOVE, 0).unwrap();
    assert_eq!(out.addr, base - 3 * P);
    // A free hint is used; FIXED works too; file mappings too.
    let j = map_file(&mut vmas, 0x400a_0000, 2 * P, RW, true, 6, 0);
    let out = remap(&mut vmas, j, P, P, DONTUNMAP | MAYMOVE, 0x400c_0000).unwrap();
    assert_eq!(out.addr, 0x400c_0000);
    let out = remap(&mut vmas, j, P, P, DONTUNMAP | MAYMOVE | FIXED, 0x400d_0000).unwrap();
    assert_eq!(out.addr, 0x400d_0000);
    assert_eq!(
        vmas.find(0x400d_0000).unwrap().file_offset_of(0x400d_0000),
        Some(0)
    );
    // Kernel-provided areas cannot be remapped that way.
    let vdso = Vma::anonymous(
        0x7000_0000..0x7000_1000,
        Prot::READ_EXEC,
        VmaKind::Special("[vdso]"),
    );
    vmas.insert_fixed(vdso).unwrap();
    assert_eq!(
        remap(&mut vmas, 0x7000_0000, P, P, DONTUNMAP | MAYMOVE, 0),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        remap(&mut vmas, 0x7000_0000, P, 2 * P, MAYMOVE, 0),
        Err(Errno::EFAULT)
    );
    assert!(remap(&mut vmas, 0x7000_0000, P, P, MAYMOVE | FIXED, 0x7100_0000).is_ok());
}

#[test]
fn zero_old_length_duplicates_a_shared_mapping() {
    let mut vmas = space();
    let base = vmas.layout().mmap_base;
    let j = map_file(&mut vmas, 0x400a_0000, 2 * P, RW, true, 6, 0);
    assert_eq!(remap(&mut vmas, j + P, 0, P, 0, 0), Err(Errno::ENOMEM));
    let out = remap(&mut vmas, j + P, 0, P, MAYMOVE, 0).unwrap();
    assert_eq!(
        out,
        MremapOutcome {
            addr: base - P,
            moves: vec![],
            freed: vec![]
        }
    );
    assert_eq!(
        vmas.find(base - P).unwrap().file_offset_of(base - P),
        Some(P)
    );
    assert_eq!(vmas.find(j).unwrap().range(), j..j + 2 * P);
}

#[test]
fn growing_a_file_mapping_checks_offset_overflow() {
    let mut vmas = space();
    let offset = 0x7fff_ffff_ffff_e000;
    let f = map_file(&mut vmas, 0x4100_0000, P, R, false, 2, offset);
    assert!(remap(&mut vmas, f, P, 2 * P, MAYMOVE, 0).is_ok());
    let g = map_file(&mut vmas, 0x4100_0000, P, R, false, 2, offset);
    // Linux only refuses when the page offset wraps; offsets stay u64 here.
    let wrap = u64::MAX - P + 1;
    let mut fake = vmas.clone();
    fake.areas.get_mut(&g).unwrap().backing = crate::Backing::File {
        file_id: 2,
        offset: wrap,
    };
    assert_eq!(fake.mremap(g, P, 2 * P, MAYMOVE, 0), Err(Errno::EINVAL));
}
