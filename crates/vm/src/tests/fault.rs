//! Page-fault classification, including stack growth (host probes for each signal).

use super::*;
use crate::{Access, FaultAction, FaultSignal, VmaKind};
use basalt_linux_abi::mman::PROT_EXEC;

fn no_files(_: u64) -> u64 {
    0
}

fn classify(vmas: &mut Vmas, addr: u64, access: Access, present: bool) -> FaultAction {
    let action = vmas.classify_fault(addr, access, present, |_| 2 * P);
    check_invariants(vmas);
    action
}

const MAPERR: FaultAction = FaultAction::Signal(FaultSignal::SegvMapErr);
const ACCERR: FaultAction = FaultAction::Signal(FaultSignal::SegvAccErr);
const BUSERR: FaultAction = FaultAction::Signal(FaultSignal::BusAdrErr);

#[test]
fn signal_numbers_and_codes() {
    assert_eq!(
        (
            FaultSignal::SegvMapErr.signo(),
            FaultSignal::SegvMapErr.si_code()
        ),
        (11, 1)
    );
    assert_eq!(
        (
            FaultSignal::SegvAccErr.signo(),
            FaultSignal::SegvAccErr.si_code()
        ),
        (11, 2)
    );
    assert_eq!(
        (
            FaultSignal::BusAdrErr.signo(),
            FaultSignal::BusAdrErr.si_code()
        ),
        (7, 2)
    );
}

#[test]
fn anonymous_memory() {
    let mut vmas = space();
    let a = map_anon(&mut vmas, 0x4300_0000, P, RW);
    assert_eq!(
        classify(&mut vmas, a + 8, Access::Read, false),
        FaultAction::MapZero
    );
    assert_eq!(
        classify(&mut vmas, a, Access::Write, false),
        FaultAction::MapZero
    );
    assert_eq!(
        classify(&mut vmas, a, Access::Write, true),
        FaultAction::CopyOnWrite
    );
    assert_eq!(
        classify(&mut vmas, a, Access::Read, true),
        FaultAction::RefreshPermissions
    );
    assert_eq!(classify(&mut vmas, a, Access::Execute, false), ACCERR);
    assert_eq!(classify(&mut vmas, a + P, Access::Read, false), MAPERR);
    assert_eq!(classify(&mut vmas, u64::MAX, Access::Read, false), MAPERR);
    assert_eq!(classify(&mut vmas, 0, Access::Read, false), MAPERR);
}

#[test]
fn permissions_follow_x86() {
    let mut vmas = space();
    let none = map_anon(&mut vmas, 0x4300_0000, P, 0);
    let read = map_anon(&mut vmas, 0x4301_0000, P, R);
    let write_only = map_anon(&mut vmas, 0x4302_0000, P, 2);
    let exec_only = map_anon(&mut vmas, 0x4303_0000, P, PROT_EXEC);
    // Probes: PROT_NONE read and read-only write are SEGV_ACCERR; write-only is readable.
    assert_eq!(classify(&mut vmas, none, Access::Read, false), ACCERR);
    assert_eq!(classify(&mut vmas, read, Access::Write, false), ACCERR);
    assert_eq!(classify(&mut vmas, read, Access::Write, true), ACCERR);
    assert_eq!(
        classify(&mut vmas, write_only, Access::Read, false),
        FaultAction::MapZero
    );
    assert_eq!(
        classify(&mut vmas, exec_only, Access::Read, false),
        FaultAction::MapZero
    );
    assert_eq!(
        classify(&mut vmas, exec_only, Access::Execute, true),
        FaultAction::RefreshPermissions
    );
    assert_eq!(classify(&mut vmas, read, Access::Execute, true), ACCERR);
}

#[test]
fn file_pages_and_sigbus_past_the_end() {
    let mut vmas = space();
    let shared = map_file(&mut vmas, 0x4304_0000, 3 * P, R, true, 4, 0);
    let private = map_file(&mut vmas, 0x4305_0000, 3 * P, RW, false, 4, P);
    let load = |offset, private_copy| FaultAction::LoadFile {
        file_id: 4,
        offset,
        private_copy,
    };
    // The file is two pages long (probes: last page fine, beyond is SIGBUS/BUS_ADRERR).
    assert_eq!(
        classify(&mut vmas, shared + P + 5, Access::Read, false),
        load(P, false)
    );
    assert_eq!(
        classify(&mut vmas, shared + 2 * P, Access::Read, false),
        BUSERR
    );
    assert_eq!(
        classify(&mut vmas, private, Access::Read, false),
        load(P, false)
    );
    assert_eq!(
        classify(&mut vmas, private, Access::Write, false),
        load(P, true)
    );
    assert_eq!(
        classify(&mut vmas, private + P, Access::Write, false),
        BUSERR
    );
    assert_eq!(
        classify(&mut vmas, private, Access::Write, true),
        FaultAction::CopyOnWrite
    );
    // A partial last page counts as a whole page.
    let action = vmas.classify_fault(shared + P, Access::Read, false, |_| P + 1);
    assert_eq!(action, load(P, false));
    let action = vmas.classify_fault(shared, Access::Read, false, no_files);
    assert_eq!(action, BUSERR);
    let action = vmas.classify_fault(shared + 2 * P, Access::Read, false, |_| u64::MAX);
    assert_eq!(action, load(2 * P, false));
    // Writes to a present page of a writable shared mapping just refresh the entry.
    let rw_shared = map_file(&mut vmas, 0x4306_0000, P, RW, true, 4, 0);
    assert_eq!(
        classify(&mut vmas, rw_shared, Access::Write, true),
        FaultAction::RefreshPermissions
    );
    assert_eq!(
        classify(&mut vmas, rw_shared, Access::Write, false),
        load(0, false)
    );
}

#[test]
fn special_mappings_are_sigbus_when_missing() {
    let mut vmas = space();
    let vdso = Vma::anonymous(
        0x7000_0000..0x7000_2000,
        Prot::READ_EXEC,
        VmaKind::Special("[vdso]"),
    );
    vmas.insert_fixed(vdso).unwrap();
    assert_eq!(
        classify(&mut vmas, 0x7000_0000, Access::Execute, false),
        BUSERR
    );
    assert_eq!(
        classify(&mut vmas, 0x7000_0000, Access::Execute, true),
        FaultAction::RefreshPermissions
    );
}

#[test]
fn stack_grows_within_the_guard_gap_rules() {
    let mut vmas = space();
    // Probe layout: a page at 0x50000000, a growing page at 0x50200000.
    let below = map_anon(&mut vmas, 0x5000_0000, P, RW);
    let stack =
        Vma::anonymous(0x5020_0000..0x5020_1000, Prot::READ_WRITE, VmaKind::Anon).growing_down();
    vmas.insert_fixed(stack).unwrap();
    let grown = classify(&mut vmas, 0x5010_1000, Access::Write, false);
    assert_eq!(
        grown,
        FaultAction::GrowStack {
            new_start: 0x5010_1000
        }
    );
    assert_eq!(
        vmas.find(0x5010_1000).unwrap().range(),
        0x5010_1000..0x5020_1000
    );
    // One page further would leave less than the 256-page gap: SEGV_MAPERR.
    assert_eq!(
        classify(&mut vmas, 0x5010_0fff, Access::Write, false),
        MAPERR
    );
    // With a PROT_NONE area below, the gap does not apply.
    map_anon(&mut vmas, below, P, 0);
    let grown = classify(&mut vmas, 0x5000_1000, Access::Read, false);
    assert_eq!(
        grown,
        FaultAction::GrowStack {
            new_start: 0x5000_1000
        }
    );
    assert_eq!(
        layout_of(&vmas),
        [
            area(0x5000_0000, 0x5000_1000, "---p"),
            area(0x5000_1000, 0x5020_1000, "rw-p")
        ]
    );
}

#[test]
fn stack_growth_respects_the_limit_and_mmap_min_addr() {
    let mut vmas = space();
    vmas.set_stack_limit(4 * P);
    let top = 0x6000_0000;
    let stack = Vma::anonymous(top - P..top, Prot::READ_WRITE, VmaKind::Stack).growing_down();
    vmas.insert_fixed(stack).unwrap();
    assert_eq!(
        classify(&mut vmas, top - 5 * P, Access::Write, false),
        MAPERR
    );
    assert_eq!(
        classify(&mut vmas, top - 4 * P, Access::Write, false),
        FaultAction::GrowStack {
            new_start: top - 4 * P
        }
    );
    // Inside the grown stack now: ordinary faults.
    assert_eq!(
        classify(&mut vmas, top - 3 * P, Access::Read, false),
        FaultAction::MapZero
    );

    let mut vmas = space();
    let low = Vma::anonymous(0x1_1000..0x1_2000, Prot::READ_WRITE, VmaKind::Stack).growing_down();
    vmas.insert_fixed(low).unwrap();
    assert_eq!(
        classify(&mut vmas, 0x1_0000, Access::Write, false),
        FaultAction::GrowStack {
            new_start: 0x1_0000
        }
    );
    assert_eq!(classify(&mut vmas, 0xffff, Access::Write, false), MAPERR);
}

#[test]
fn stack_growth_then_access_check() {
    // Linux grows first, then checks the access: a read-only stack grows on a write
    // fault and still raises SEGV_ACCERR.
    let mut vmas = space();
    let top = 0x6000_0000;
    let stack = Vma::anonymous(top - P..top, Prot::READ, VmaKind::Stack).growing_down();
    vmas.insert_fixed(stack).unwrap();
    assert_eq!(
        classify(&mut vmas, top - 2 * P, Access::Write, false),
        ACCERR
    );
    assert_eq!(vmas.find(top - 2 * P).unwrap().start, top - 2 * P);
}

#[test]
fn only_growing_areas_grow() {
    let mut vmas = space();
    map_anon(&mut vmas, 0x6000_0000, P, RW);
    assert_eq!(
        classify(&mut vmas, 0x5fff_f000, Access::Write, false),
        MAPERR
    );
    assert_eq!(vmas.len(), 1);
}
