//! `munmap` and `madvise(MADV_DONTNEED)`.

use super::*;
use basalt_linux_abi::Errno;
use std::vec;

#[test]
fn munmap_splits_and_reports_mapped_parts() {
    let mut vmas = space();
    let base = 0x1000_0000;
    map_anon(&mut vmas, base, 4 * P, RW);
    map_file(&mut vmas, base + 5 * P, 3 * P, R, false, 9, 2 * P);
    // Hole in the middle of the anonymous area.
    assert_eq!(vmas.munmap(base + P, P), Ok(vec![base + P..base + 2 * P]));
    // A range across a hole: only mapped parts are reported.
    assert_eq!(
        vmas.munmap(base + 3 * P, 3 * P),
        Ok(vec![base + 3 * P..base + 4 * P, base + 5 * P..base + 6 * P])
    );
    assert_eq!(
        layout_of(&vmas),
        [
            area(base, base + P, "rw-p"),
            area(base + 2 * P, base + 3 * P, "rw-p"),
            area(base + 6 * P, base + 8 * P, "r--p"),
        ]
    );
    // The remaining file piece starts one page further into the file.
    assert_eq!(
        vmas.find(base + 6 * P)
            .unwrap()
            .file_offset_of(base + 6 * P),
        Some(3 * P)
    );
    // Unmapping nothing succeeds; a partial page length is rounded up.
    assert_eq!(vmas.munmap(0x2000_0000, 10 * P), Ok(vec![]));
    assert_eq!(
        vmas.munmap(base + 6 * P, 1),
        Ok(vec![base + 6 * P..base + 7 * P])
    );
    check_invariants(&vmas);
}

#[test]
fn munmap_errors_match_linux() {
    let mut vmas = space();
    let top = vmas.layout().user_end;
    map_anon(&mut vmas, 0x1000_0000, P, RW);
    assert_eq!(vmas.munmap(0x1000_0000, 0), Err(Errno::EINVAL));
    assert_eq!(vmas.munmap(0x1000_0001, P), Err(Errno::EINVAL));
    assert_eq!(vmas.munmap(0x1_0000, 1 << 47), Err(Errno::EINVAL));
    assert_eq!(vmas.munmap(top - P, 2 * P), Err(Errno::EINVAL));
    assert_eq!(vmas.munmap(1 << 47, P), Err(Errno::EINVAL));
    assert_eq!(vmas.munmap(0x1_0000, u64::MAX), Err(Errno::EINVAL));
    assert_eq!(vmas.munmap(top - P, P), Ok(vec![]));
    assert_eq!(vmas.len(), 1);
}

#[test]
fn dontneed_reports_mapped_parts_and_enomem_for_holes() {
    let mut vmas = space();
    let a = 0x1000_0000;
    map_anon(&mut vmas, a, 3 * P, RW);
    map_anon(&mut vmas, a + 3 * P, P, R);
    vmas.munmap(a + P, P).unwrap();
    let before = vmas.clone();
    // Across a hole: both mapped parts are dropped, then ENOMEM (probe).
    let out = vmas.madvise_dontneed(a, 4 * P);
    assert_eq!(out.done, [a..a + P, a + 2 * P..a + 4 * P]);
    assert_eq!(out.result(), Err(Errno::ENOMEM));
    // Fully mapped: no error.
    let out = vmas.madvise_dontneed(a + 2 * P, 2 * P);
    assert_eq!(out.done, [a + 2 * P..a + 4 * P]);
    assert_eq!(out.result(), Ok(()));
    // Nothing mapped.
    let out = vmas.madvise_dontneed(0x1_0000, P);
    assert_eq!((out.done.len(), out.error), (0, Some(Errno::ENOMEM)));
    // Argument errors.
    assert_eq!(vmas.madvise_dontneed(a + 1, P).error, Some(Errno::EINVAL));
    assert_eq!(
        vmas.madvise_dontneed(a, u64::MAX).error,
        Some(Errno::EINVAL)
    );
    assert_eq!(
        vmas.madvise_dontneed(a, u64::MAX - P + 1).error,
        Some(Errno::EINVAL)
    );
    let empty = vmas.madvise_dontneed(0x1001, 0);
    assert_eq!(empty.error, Some(Errno::EINVAL));
    let empty = vmas.madvise_dontneed(a, 0);
    assert_eq!((empty.done.len(), empty.error), (0, None));
    // The areas are untouched.
    assert_eq!(vmas, before);
}
