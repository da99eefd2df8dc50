//! Edge-case argument values: the numbers and pointers kernels most often get wrong.

use crate::layout::{Layout, PAGE_SIZE};
use crate::rng::Rng;

/// Kernel-half addresses: the direct map and the kernel image of Linux and Basalt.
pub const KERNEL_ADDRESSES: &[u64] = &[
    0xffff_8000_0000_0000,
    0xffff_ffff_8000_0000,
    0xffff_ffff_ff60_0000, // Linux's vsyscall page
    0xffff_ffff_ffff_f000,
];
/// Non-canonical addresses: using them faults with #GP, not #PF.
pub const NON_CANONICAL_ADDRESSES: &[u64] = &[
    0x0000_8000_0000_0000,
    0x8000_0000_0000_0000,
    0x1234_5678_9abc_def0,
];
/// User addresses that are never mapped: below `mmap_min_addr`, and the last user page.
pub const UNMAPPED_USER_ADDRESSES: &[u64] = &[0x10, 0xfff, 0x0000_7fff_ffff_f000];
/// Sizes around the limits of 31, 32 and 64 bits, and around a page.
const HUGE_SIZES: &[u64] = &[
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0x1_0000_0000,
    1 << 40,
    0x7fff_ffff_ffff_ffff,
    0x8000_0000_0000_0000,
    u64::MAX - PAGE_SIZE + 1,
    PAGE_SIZE - 1,
    PAGE_SIZE,
    PAGE_SIZE + 1,
];
/// `AT_FDCWD`: "relative to the current directory" for the `*at` calls.
const AT_FDCWD: u64 = -100i64 as u64;

/// A value for an argument that may be anything.
pub fn any_value(rng: &mut Rng, layout: &Layout) -> u64 {
    let scratch = layout.scratch;
    match rng.below(16) {
        0 => 0,
        1 => 1,
        2 => u64::MAX,
        // Small numbers: descriptors, flags, signal numbers, counts.
        3 | 4 => rng.below(64),
        // Small negative numbers.
        5 => (rng.below(16) + 2).wrapping_neg(),
        6 => AT_FDCWD,
        // Page-aligned pointer into scratch memory.
        7 => scratch.start + rng.below(scratch.len / PAGE_SIZE) * PAGE_SIZE,
        // Unaligned pointer into scratch memory.
        8 | 9 => scratch.start + rng.below(scratch.len),
        // Just before the guard page: anything longer than a few bytes runs into it.
        10 => scratch.end() - 1 - rng.below(16),
        11 => pick_bad_pointer(rng, true),
        12 => rng.pick(HUGE_SIZES).unwrap_or(u64::MAX),
        13 => 1 << rng.below(64),
        14 => rng.next_u64() & 0xffff_ffff,
        _ => rng.next_u64(),
    }
}

/// A pointer that no user access may succeed through; NULL only when `null_allowed`.
pub fn pick_bad_pointer(rng: &mut Rng, null_allowed: bool) -> u64 {
    let choices = if null_allowed { 4 } else { 3 };
    match rng.below(choices) {
        0 => rng.pick(KERNEL_ADDRESSES).unwrap_or(KERNEL_ADDRESSES[0]),
        1 => rng
            .pick(NON_CANONICAL_ADDRESSES)
            .unwrap_or(NON_CANONICAL_ADDRESSES[0]),
        2 => rng
            .pick(UNMAPPED_USER_ADDRESSES)
            .unwrap_or(UNMAPPED_USER_ADDRESSES[0]),
        _ => 0,
    }
}

/// Whether `address` is one of the pointers [`pick_bad_pointer`] returns.
#[cfg(test)]
pub fn is_bad_pointer(address: u64) -> bool {
    address == 0
        || KERNEL_ADDRESSES.contains(&address)
        || NON_CANONICAL_ADDRESSES.contains(&address)
        || UNMAPPED_USER_ADDRESSES.contains(&address)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::Region;

    fn layout() -> Layout {
        Layout {
            scratch: Region {
                start: 0x10_0000,
                len: 16 * PAGE_SIZE,
            },
            names: Region {
                start: 0x20_0000,
                len: PAGE_SIZE,
            },
            pid: 5,
            tid: 5,
        }
    }

    #[test]
    fn covers_every_kind_of_edge_case() {
        let layout = layout();
        let mut rng = Rng::new(3);
        let values: Vec<u64> = (0..20_000).map(|_| any_value(&mut rng, &layout)).collect();
        assert!(values.contains(&0));
        assert!(values.contains(&1));
        assert!(values.contains(&u64::MAX));
        assert!(values.contains(&AT_FDCWD));
        assert!(values
            .iter()
            .any(|&v| layout.scratch.contains(v) && v % PAGE_SIZE == 0));
        assert!(values
            .iter()
            .any(|&v| layout.scratch.contains(v) && v % PAGE_SIZE != 0));
        assert!(values.iter().any(|&v| v == layout.scratch.end() - 1));
        assert!(values.iter().any(|v| KERNEL_ADDRESSES.contains(v)));
        assert!(values.iter().any(|v| NON_CANONICAL_ADDRESSES.contains(v)));
        assert!(values.iter().any(|v| HUGE_SIZES.contains(v)));
        assert!(values
            .iter()
            .any(|&v| v > 0xffff_ffff && !is_bad_pointer(v)));
    }

    #[test]
    fn scratch_pointers_stay_inside_scratch() {
        let layout = layout();
        let mut rng = Rng::new(4);
        for _ in 0..20_000 {
            let value = any_value(&mut rng, &layout);
            let near_scratch =
                value >= layout.scratch.start && value < layout.scratch.end() + PAGE_SIZE;
            if near_scratch {
                assert!(layout.scratch.contains(value), "{value:#x}");
            }
        }
    }

    #[test]
    fn bad_pointers_are_recognised_and_null_is_optional() {
        let mut rng = Rng::new(5);
        let mut saw_null = false;
        for _ in 0..1000 {
            let pointer = pick_bad_pointer(&mut rng, true);
            assert!(is_bad_pointer(pointer));
            saw_null |= pointer == 0;
            let pointer = pick_bad_pointer(&mut rng, false);
            assert!(is_bad_pointer(pointer) && pointer != 0);
        }
        assert!(saw_null);
        assert!(!is_bad_pointer(0x10_0000));
    }
}
