//! `mmap`: placement, MAP_FIXED replacement, and every error, checked against the host.

use super::*;
use crate::{Backing, MmapOutcome, Sharing, VmaKind};
use basalt_linux_abi::mman::*;
use basalt_linux_abi::Errno;

const ANON: u64 = MAP_PRIVATE | MAP_ANONYMOUS;

fn anon_req(addr: u64, len: u64, flags: u64) -> MmapRequest {
    MmapRequest::new(addr, len, RW, flags, 0)
}

fn file_req(addr: u64, len: u64, prot: u64, flags: u64, file: MmapFile) -> MmapRequest {
    MmapRequest::new(addr, len, prot, flags, 0).with_file(file)
}

fn rw_file() -> MmapFile {
    MmapFile::read_write(42)
}

fn err(vmas: &mut Vmas, req: MmapRequest) -> Errno {
    let result = vmas.mmap(req);
    check_invariants(vmas);
    result.expect_err("mmap should fail")
}

#[test]
fn without_hint_maps_top_down_below_mmap_base() {
    let mut vmas = space();
    let base = vmas.layout().mmap_base;
    let a = vmas.mmap(anon_req(0, P, ANON)).unwrap();
    assert_eq!(
        a,
        MmapOutcome {
            addr: base - P,
            unmapped: Vec::new(),
            populate: false
        }
    );
    // The next one goes just below and merges with it.
    let b = vmas.mmap(anon_req(0, 3 * P + 1, ANON)).unwrap();
    assert_eq!(b.addr, base - 5 * P);
    assert_eq!(layout_of(&vmas), [area(base - 5 * P, base, "rw-p")]);
    let vma = vmas.find(b.addr).unwrap();
    assert_eq!(
        (vma.kind, vma.backing, vma.sharing),
        (VmaKind::Anon, Backing::Anonymous, Sharing::Private)
    );
    // A freed hole is reused before going lower.
    vmas.munmap(base - 3 * P, P).unwrap();
    assert_eq!(vmas.mmap(anon_req(0, P, ANON)).unwrap().addr, base - 3 * P);
    check_invariants(&vmas);
}

#[test]
fn hint_is_used_when_free_and_rounded() {
    let mut vmas = space();
    // Probe: hint 0x20000123 -> 0x20000000.
    assert_eq!(
        vmas.mmap(anon_req(0x2000_0123, P, ANON)).unwrap().addr,
        0x2000_0000
    );
    // Occupied hint: top-down search instead.
    let base = vmas.layout().mmap_base;
    assert_eq!(
        vmas.mmap(anon_req(0x2000_0000, P, ANON)).unwrap().addr,
        base - P
    );
    // A hint below one page means no hint; below mmap_min_addr it is raised to it.
    assert_eq!(
        vmas.mmap(anon_req(0x100, P, ANON)).unwrap().addr,
        base - 2 * P
    );
    assert_eq!(vmas.mmap(anon_req(0x2000, P, ANON)).unwrap().addr, 0x1_0000);
    // A hint running past the user range is ignored (probe: "hint beyond").
    let top = vmas.layout().user_end - P;
    assert_eq!(
        vmas.mmap(anon_req(top, 2 * P, ANON)).unwrap().addr,
        base - 4 * P
    );
    // A hint above mmap_base is fine if free.
    assert_eq!(vmas.mmap(anon_req(top, P, ANON)).unwrap().addr, top);
    check_invariants(&vmas);
}

#[test]
fn hint_and_search_keep_the_guard_gap_below_stacks() {
    let mut vmas = space();
    let guard = vmas.layout().stack_guard_gap;
    let stack_top = vmas.layout().mmap_base;
    let stack = Vma::anonymous(
        stack_top - 4 * P..stack_top,
        Prot::READ_WRITE,
        VmaKind::Stack,
    )
    .growing_down();
    vmas.insert_fixed(stack).unwrap();
    // Hint right below the stack: inside the guard gap, so not used.
    let hint = stack.start - P;
    let got = vmas.mmap(anon_req(hint, P, ANON)).unwrap().addr;
    assert_eq!(got, stack.start - guard - P);
    // Hint just below the gap: used.
    let hint = got - 4 * P;
    assert_eq!(vmas.mmap(anon_req(hint, P, ANON)).unwrap().addr, hint);
    check_invariants(&vmas);
}

#[test]
fn falls_back_to_bottom_up_when_nothing_is_free_below_mmap_base() {
    let mut layout = AddressSpaceLayout::linux_x86_64(BRK_START);
    layout.user_end = 0x1000_0000;
    layout.mmap_base = 0x0800_0000;
    layout.mmap_min_addr = 0x10_0000;
    let mut vmas = Vmas::new(layout);
    map_anon(&mut vmas, 0x10_0000, 0x0800_0000 - 0x10_0000, 0);
    let legacy = 0x1000_0000 / 3 / P * P + P;
    // Everything below mmap_base is taken: the lowest free spot above TASK_UNMAPPED_BASE.
    let got = vmas.mmap(anon_req(0, P, ANON)).unwrap().addr;
    assert_eq!(got, legacy.max(0x0800_0000));
    // Nothing fits at all.
    assert_eq!(
        err(&mut vmas, anon_req(0, 0x1000_0000 - 0x0800_0000, ANON)),
        Errno::ENOMEM
    );
}

#[test]
fn map_32bit_goes_between_1_and_2_gib() {
    let mut vmas = space();
    let a = vmas.mmap(anon_req(0, P, ANON | MAP_32BIT)).unwrap().addr;
    assert_eq!(a, 0x4000_0000);
    let b = vmas.mmap(anon_req(0, P, ANON | MAP_32BIT)).unwrap().addr;
    assert_eq!(b, 0x4000_1000);
    // A hint inside the window is honoured.
    assert_eq!(
        vmas.mmap(anon_req(0x5000_0000, P, ANON | MAP_32BIT))
            .unwrap()
            .addr,
        0x5000_0000
    );
    // The window is 1 GiB; more cannot fit.
    assert_eq!(
        err(&mut vmas, anon_req(0, 0x4000_0000, ANON | MAP_32BIT)),
        Errno::ENOMEM
    );
}

#[test]
fn fixed_replaces_and_reports_what_it_unmapped() {
    let mut vmas = space();
    let base = 0x3000_0000;
    map_anon(&mut vmas, base, 2 * P, RW);
    map_anon(&mut vmas, base + 3 * P, 2 * P, R);
    let out = vmas
        .mmap(MmapRequest::new(base + P, 3 * P, R, ANON | MAP_FIXED, 0))
        .unwrap();
    assert_eq!(out.addr, base + P);
    assert_eq!(
        out.unmapped,
        [base + P..base + 2 * P, base + 3 * P..base + 4 * P]
    );
    assert_eq!(
        layout_in(&vmas, base, base + 8 * P),
        [
            area(base, base + P, "rw-p"),
            area(base + P, base + 5 * P, "r--p")
        ]
    );
    check_invariants(&vmas);
}

#[test]
fn fixed_noreplace_fails_with_eexist_before_flag_validation() {
    let mut vmas = space();
    let a = map_anon(&mut vmas, 0x3000_0000, P, RW);
    // Probe: overlap with a bad map type still gives EEXIST.
    assert_eq!(
        err(
            &mut vmas,
            anon_req(a, P, MAP_ANONYMOUS | MAP_FIXED_NOREPLACE)
        ),
        Errno::EEXIST
    );
    assert_eq!(
        err(
            &mut vmas,
            anon_req(a - P, 2 * P, ANON | MAP_FIXED_NOREPLACE)
        ),
        Errno::EEXIST
    );
    let free = vmas
        .mmap(anon_req(a + P, P, ANON | MAP_FIXED_NOREPLACE))
        .unwrap();
    assert_eq!(free.addr, a + P);
    // Unaligned: EINVAL, as MAP_FIXED.
    assert_eq!(
        err(
            &mut vmas,
            anon_req(a + 0x10_0001, P, ANON | MAP_FIXED_NOREPLACE)
        ),
        Errno::EINVAL
    );
}

#[test]
fn length_and_address_errors_match_linux() {
    let mut vmas = space();
    let top = vmas.layout().user_end;
    assert_eq!(err(&mut vmas, anon_req(0, 0, ANON)), Errno::EINVAL);
    assert_eq!(err(&mut vmas, anon_req(0, u64::MAX, ANON)), Errno::ENOMEM);
    assert_eq!(err(&mut vmas, anon_req(0, 1 << 47, ANON)), Errno::ENOMEM);
    assert_eq!(
        err(&mut vmas, anon_req(0x1000_0001, P, ANON | MAP_FIXED)),
        Errno::EINVAL
    );
    assert_eq!(
        err(&mut vmas, anon_req(top - P, 2 * P, ANON | MAP_FIXED)),
        Errno::ENOMEM
    );
    assert_eq!(
        err(&mut vmas, anon_req(1 << 47, P, ANON | MAP_FIXED)),
        Errno::ENOMEM
    );
    assert_eq!(
        err(&mut vmas, anon_req(0x1000, P, ANON | MAP_FIXED)),
        Errno::EPERM
    );
    assert_eq!(
        err(&mut vmas, MmapRequest::new(0, P, RW, ANON, 1)),
        Errno::EINVAL
    );
    // The top page is usable (probe: "fixed at top page").
    assert_eq!(
        vmas.mmap(anon_req(top - P, P, ANON | MAP_FIXED))
            .unwrap()
            .addr,
        top - P
    );
    // Aligned offsets are ignored for anonymous memory.
    let huge_offset = MmapRequest::new(0, P, RW, ANON, 0x7fff_ffff_ffff_f000);
    assert!(vmas.mmap(huge_offset).is_ok());
    assert!(!vmas.is_empty());
}

#[test]
fn map_type_validation_matches_linux() {
    let mut vmas = space();
    // Anonymous: only PRIVATE and SHARED.
    assert_eq!(err(&mut vmas, anon_req(0, P, MAP_ANONYMOUS)), Errno::EINVAL);
    assert_eq!(
        err(&mut vmas, anon_req(0, P, MAP_ANONYMOUS | 4)),
        Errno::EINVAL
    );
    assert_eq!(
        err(
            &mut vmas,
            anon_req(0, P, MAP_ANONYMOUS | MAP_SHARED_VALIDATE)
        ),
        Errno::EINVAL
    );
    assert_eq!(
        err(&mut vmas, anon_req(0, P, MAP_ANONYMOUS | MAP_DROPPABLE)),
        Errno::EINVAL
    );
    // Unknown flags are ignored with PRIVATE and SHARED.
    assert!(vmas.mmap(anon_req(0, P, ANON | 0x40_0000)).is_ok());
    // Files: PRIVATE, SHARED, SHARED_VALIDATE.
    assert_eq!(
        err(&mut vmas, file_req(0, P, R, 0, rw_file())),
        Errno::EINVAL
    );
    assert_eq!(
        err(&mut vmas, file_req(0, P, R, MAP_DROPPABLE, rw_file())),
        Errno::EINVAL
    );
    assert_eq!(
        err(
            &mut vmas,
            file_req(0, P, RW, MAP_SHARED_VALIDATE | 0x40_0000, rw_file())
        ),
        Errno::EOPNOTSUPP
    );
    assert_eq!(
        err(
            &mut vmas,
            file_req(
                0x1000_0000,
                P,
                RW,
                MAP_SHARED_VALIDATE | MAP_FIXED_NOREPLACE,
                rw_file()
            )
        ),
        Errno::EOPNOTSUPP
    );
    assert_eq!(
        err(
            &mut vmas,
            file_req(0, P, RW, MAP_SHARED_VALIDATE | MAP_SYNC, rw_file())
        ),
        Errno::EOPNOTSUPP
    );
    assert!(vmas
        .mmap(file_req(
            0,
            P,
            RW,
            MAP_SHARED | MAP_SYNC | 0x40_0000,
            rw_file()
        ))
        .is_ok());
    assert!(vmas
        .mmap(file_req(
            0,
            P,
            RW,
            MAP_SHARED_VALIDATE | MAP_UNINITIALIZED,
            rw_file()
        ))
        .is_ok());
    // Growing mappings must be private anonymous.
    let shared_anon =
        anon_req(0, P, MAP_SHARED | MAP_ANONYMOUS | MAP_GROWSDOWN).with_file(rw_file());
    assert_eq!(err(&mut vmas, shared_anon), Errno::EINVAL);
    assert_eq!(
        err(
            &mut vmas,
            file_req(0, P, R, MAP_PRIVATE | MAP_GROWSDOWN, rw_file())
        ),
        Errno::EINVAL
    );
    // Huge pages: none reserved.
    assert_eq!(
        err(&mut vmas, anon_req(0, P, ANON | MAP_HUGETLB)),
        Errno::ENOMEM
    );
    assert_eq!(
        err(
            &mut vmas,
            file_req(0, P, R, MAP_PRIVATE | MAP_HUGETLB, rw_file())
        ),
        Errno::EINVAL
    );
}

#[test]
fn file_permissions_and_offsets() {
    let mut vmas = space();
    let read_only = MmapFile {
        writable: false,
        ..rw_file()
    };
    let write_only = MmapFile {
        readable: false,
        ..rw_file()
    };
    let noexec = MmapFile {
        noexec: true,
        ..rw_file()
    };
    assert_eq!(
        err(&mut vmas, file_req(0, P, RW, MAP_SHARED, read_only)),
        Errno::EACCES
    );
    assert_eq!(
        err(&mut vmas, file_req(0, P, R, MAP_PRIVATE, write_only)),
        Errno::EACCES
    );
    assert_eq!(
        err(&mut vmas, file_req(0, P, 2, MAP_SHARED, write_only)),
        Errno::EACCES
    );
    assert_eq!(
        err(
            &mut vmas,
            file_req(0, P, R | PROT_EXEC, MAP_PRIVATE, noexec)
        ),
        Errno::EPERM
    );
    assert_eq!(
        err(&mut vmas, MmapRequest::new(0, P, R, MAP_PRIVATE, 0)),
        Errno::EBADF
    );
    // A private writable mapping of a read-only file is fine (copy-on-write).
    let private = vmas
        .mmap(file_req(0, P, RW, MAP_PRIVATE, read_only))
        .unwrap()
        .addr;
    assert_eq!(vmas.find(private).unwrap().max_prot, Prot::ALL);
    // A shared read-only mapping of a read-only file can never become writable.
    let shared = vmas
        .mmap(file_req(0, P, R, MAP_SHARED, read_only))
        .unwrap()
        .addr;
    assert_eq!(
        vmas.find(shared).unwrap().max_prot,
        Prot::new(true, false, true)
    );
    let no_exec = vmas
        .mmap(file_req(0, P, R, MAP_PRIVATE, noexec))
        .unwrap()
        .addr;
    assert_eq!(
        vmas.find(no_exec).unwrap().max_prot,
        Prot::new(true, true, false)
    );
    // Offsets: the last page must start below 2^63 (probes).
    let at = |offset| MmapRequest::new(0, P, R, MAP_PRIVATE, offset).with_file(rw_file());
    assert_eq!(err(&mut vmas, at(0x7fff_ffff_ffff_f000)), Errno::EOVERFLOW);
    assert_eq!(err(&mut vmas, at(0x8000_0000_0000_0000)), Errno::EOVERFLOW);
    let ok = vmas.mmap(at(0x7fff_ffff_ffff_e000)).unwrap().addr;
    assert_eq!(
        vmas.find(ok).unwrap().backing,
        Backing::File {
            file_id: 42,
            offset: 0x7fff_ffff_ffff_e000
        }
    );
    check_invariants(&vmas);
}

#[test]
fn shared_anonymous_needs_a_shmem_object() {
    let mut vmas = space();
    let req = anon_req(0, 2 * P, MAP_SHARED | MAP_ANONYMOUS);
    assert!(req.needs_shmem_object());
    assert!(!anon_req(0, P, ANON).needs_shmem_object());
    assert_eq!(err(&mut vmas, req), Errno::ENOMEM);
    let shmem = MmapFile::read_write(77);
    let a = vmas
        .mmap(
            MmapRequest {
                offset: 8 * P,
                ..req
            }
            .with_file(shmem),
        )
        .unwrap()
        .addr;
    let b = vmas
        .mmap(req.with_file(MmapFile::read_write(78)))
        .unwrap()
        .addr;
    let vma = vmas.find(a).unwrap();
    // The offset is ignored, as Linux does for shared anonymous memory.
    assert_eq!(
        vma.backing,
        Backing::File {
            file_id: 77,
            offset: 0
        }
    );
    assert_eq!(vma.sharing, Sharing::Shared);
    // Two shared anonymous mappings are different objects: never merged (probe).
    assert_eq!(b + 2 * P, a);
    assert_eq!(vmas.len(), 2);
}

#[test]
fn populate_flag() {
    let mut vmas = space();
    let populate =
        |vmas: &mut Vmas, flags| vmas.mmap(anon_req(0, P, ANON | flags)).unwrap().populate;
    assert!(populate(&mut vmas, MAP_POPULATE));
    assert!(!populate(&mut vmas, MAP_POPULATE | MAP_NONBLOCK));
    assert!(populate(&mut vmas, MAP_LOCKED));
    assert!(!populate(&mut vmas, MAP_NORESERVE | MAP_STACK));
}

#[test]
fn growsdown_anonymous_mapping() {
    let mut vmas = space();
    let a = vmas
        .mmap(anon_req(0x3510_0000, P, ANON | MAP_GROWSDOWN))
        .unwrap()
        .addr;
    assert!(vmas.find(a).unwrap().grows_down);
}

#[test]
fn map_count_limit() {
    let mut layout = AddressSpaceLayout::linux_x86_64(BRK_START);
    layout.max_map_count = 1;
    let mut vmas = Vmas::new(layout);
    map_anon(&mut vmas, 0x1000_0000, P, R);
    // Linux checks `count > max` before mapping, so one more area is allowed...
    map_anon(&mut vmas, 0x1100_0000, P, R);
    // ...but not a third.
    assert_eq!(
        err(&mut vmas, anon_req(0x1200_0000, P, ANON | MAP_FIXED)),
        Errno::ENOMEM
    );
}

#[test]
fn dev_zero_becomes_anonymous_memory() {
    let private = MmapRequest::new(0, P, RW, MAP_PRIVATE, 0)
        .for_zero_device(true, false)
        .expect("private /dev/zero");
    assert_eq!(private.flags, MAP_PRIVATE | MAP_ANONYMOUS);
    assert!(!private.needs_shmem_object());
    let shared = MmapRequest::new(0, P, RW, MAP_SHARED, 0)
        .for_zero_device(true, true)
        .expect("shared /dev/zero");
    assert!(shared.needs_shmem_object());
    let validate = MmapRequest::new(0, P, RW, MAP_SHARED_VALIDATE, 0).for_zero_device(true, true);
    assert!(validate.is_ok_and(|r| r.needs_shmem_object()));
    let unknown = MmapRequest::new(0, P, RW, MAP_SHARED_VALIDATE | 0x20_0000, 0);
    assert_eq!(unknown.for_zero_device(true, true), Err(Errno::EOPNOTSUPP));
    let read_only = MmapRequest::new(0, P, RW, MAP_SHARED, 0);
    assert_eq!(read_only.for_zero_device(true, false), Err(Errno::EACCES));
    let write_only = MmapRequest::new(0, P, R, MAP_PRIVATE, 0);
    assert_eq!(write_only.for_zero_device(false, true), Err(Errno::EACCES));
    let no_type = MmapRequest::new(0, P, R, 0, 0);
    assert_eq!(no_type.for_zero_device(true, true), Err(Errno::EINVAL));
}
