//! `RLIMIT_AS`: mmap, brk, mremap and stack growth fail once the areas would span more than the limit.

use super::*;
use crate::{Access, FaultAction, FaultSignal};
use basalt_linux_abi::mman::{MREMAP_MAYMOVE, PROT_READ, PROT_WRITE};
use basalt_linux_abi::Errno;

const MIB: u64 = 1 << 20;

fn anon(len: u64) -> MmapRequest {
    MmapRequest::new(
        0,
        len,
        PROT_READ | PROT_WRITE,
        MAP_PRIVATE | MAP_ANONYMOUS,
        0,
    )
}

fn limited(limit: u64) -> Vmas {
    let mut vmas = space();
    vmas.set_address_space_limit(limit);
    vmas
}

#[test]
fn mmap_counts_every_area() {
    let mut vmas = limited(4 * MIB);
    assert_eq!(vmas.mmap(anon(8 * MIB)).map(|o| o.addr), Err(Errno::ENOMEM));
    assert!(vmas.mmap(anon(3 * MIB)).is_ok());
    assert_eq!(vmas.mmap(anon(2 * MIB)).map(|o| o.addr), Err(Errno::ENOMEM));
    assert!(vmas.mmap(anon(MIB)).is_ok());
    assert_eq!(vmas.total_len(), 4 * MIB);
    check_invariants(&vmas);
}

#[test]
fn fixed_replacement_is_not_counted_twice() {
    let mut vmas = limited(2 * MIB);
    let a = vmas.mmap(anon(2 * MIB)).expect("fits").addr;
    let fixed = MmapRequest::new(
        a,
        MIB,
        PROT_READ,
        MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
        0,
    );
    assert_eq!(vmas.mmap(fixed).map(|o| o.addr), Ok(a));
}

#[test]
fn brk_growth_is_limited() {
    let mut vmas = limited(MIB);
    let start = vmas.program_break();
    assert_eq!(vmas.brk(start + 2 * MIB).brk, start);
    assert_eq!(vmas.brk(start + MIB / 2).brk, start + MIB / 2);
}

#[test]
fn mremap_growth_is_limited() {
    let mut vmas = limited(3 * MIB);
    let a = vmas.mmap(anon(2 * MIB)).expect("fits").addr;
    assert_eq!(
        vmas.mremap(a, 2 * MIB, 4 * MIB, MREMAP_MAYMOVE, 0)
            .map(|o| o.addr),
        Err(Errno::ENOMEM)
    );
    assert!(vmas.mremap(a, 2 * MIB, 3 * MIB, MREMAP_MAYMOVE, 0).is_ok());
}

#[test]
fn stack_growth_is_limited() {
    let mut vmas = limited(2 * P);
    let top = 0x7000_0000;
    vmas.insert_fixed(
        Vma::anonymous(top - P..top, Prot::READ_WRITE, crate::VmaKind::Stack).growing_down(),
    )
    .expect("stack");
    let grow_one = vmas.classify_fault(top - 2 * P, Access::Write, false, |_| 0);
    assert!(matches!(grow_one, FaultAction::GrowStack { .. }));
    assert_eq!(
        vmas.classify_fault(top - 3 * P, Access::Write, false, |_| 0),
        FaultAction::Signal(FaultSignal::SegvMapErr)
    );
}
