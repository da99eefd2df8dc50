//! Shared objects: which an address space maps, where an address lies in one, and `msync`.

use super::*;
use basalt_linux_abi::mman::{MS_ASYNC, MS_INVALIDATE, MS_SYNC};
use basalt_linux_abi::Errno;

const BASE: u64 = 0x4000_0000;

fn shared_file(vmas: &mut Vmas, addr: u64, len: u64, file_id: u64, offset: u64) {
    let req = MmapRequest::new(addr, len, RW, MAP_SHARED | MAP_FIXED, offset)
        .with_file(MmapFile::read_write(file_id));
    vmas.mmap(req).expect("shared file mapping");
    check_invariants(vmas);
}

#[test]
fn shared_objects_and_locations() {
    let mut vmas = space();
    shared_file(&mut vmas, BASE, 2 * P, 7, 4 * P);
    map_anon(&mut vmas, BASE + 4 * P, P, RW);
    assert_eq!(vmas.shared_objects().into_iter().collect::<Vec<_>>(), [7]);
    assert_eq!(vmas.shared_location(BASE + P + 12), Some((7, 5 * P + 12)));
    assert_eq!(vmas.shared_location(BASE + 4 * P), None);
    assert_eq!(vmas.shared_location(BASE + 3 * P), None);
    vmas.munmap(BASE, 2 * P).expect("munmap");
    assert!(vmas.shared_objects().is_empty());
}

#[test]
fn msync_errors() {
    let mut vmas = space();
    shared_file(&mut vmas, BASE, 2 * P, 7, 0);
    let err = |vmas: &Vmas, addr, len, flags| vmas.msync(addr, len, flags).error;
    assert_eq!(err(&vmas, BASE, P, 8), Some(Errno::EINVAL));
    assert_eq!(err(&vmas, BASE + 1, P, MS_SYNC), Some(Errno::EINVAL));
    assert_eq!(err(&vmas, BASE, P, MS_SYNC | MS_ASYNC), Some(Errno::EINVAL));
    // A length that rounds up to 0 syncs nothing; one that wraps the end below the start is ENOMEM.
    assert_eq!(err(&vmas, BASE, u64::MAX - 10, MS_SYNC), None);
    assert_eq!(
        err(&vmas, BASE, u64::MAX - 2 * P, MS_SYNC),
        Some(Errno::ENOMEM)
    );
    assert_eq!(err(&vmas, BASE, 0, MS_SYNC), None);
    assert_eq!(err(&vmas, BASE + 8 * P, P, MS_SYNC), Some(Errno::ENOMEM));
    assert_eq!(err(&vmas, BASE, 2 * P, MS_INVALIDATE), None);
}

#[test]
fn msync_syncs_shared_files_and_reports_holes() {
    let mut vmas = space();
    shared_file(&mut vmas, BASE, P, 7, 0);
    shared_file(&mut vmas, BASE + 2 * P, P, 9, 0);
    let whole = vmas.msync(BASE, 3 * P, MS_SYNC);
    assert_eq!(whole.done, [7, 9]);
    assert_eq!(whole.error, Some(Errno::ENOMEM));
    let first = vmas.msync(BASE, P, MS_SYNC);
    assert_eq!((first.done, first.error), (std::vec![7], None));
    // MS_ASYNC writes nothing and stops at the hole.
    let asynchronous = vmas.msync(BASE, 3 * P, MS_ASYNC);
    assert!(asynchronous.done.is_empty());
    assert_eq!(asynchronous.error, Some(Errno::ENOMEM));
}
