//! The logic of a process address space: its virtual memory areas (VMAs) and Linux's
//! `mmap`, `munmap`, `mprotect`, `brk`, `mremap` and `madvise(MADV_DONTNEED)` semantics,
//! plus the decision of what a page fault should do. The kernel owns the page tables and
//! the physical pages; every call here tells it which ranges to free, re-protect or move.
//!
//! Linux (6.18, probed on the host) is the oracle for every error number and edge case;
//! the few places where this crate knowingly differs are listed in each call's doc.
//!
//! # Representation
//! [`Vmas`] keeps the areas in a `BTreeMap` keyed by start address. After every change,
//! neighbouring areas that Linux would merge (same protection, same kind of backing with
//! contiguous file offsets, same sharing, growth direction and [`VmaKind`]) are merged, so
//! the map is always sorted, non-overlapping and maximally merged. Splits go through one
//! function that enforces the `max_map_count` limit the way Linux does. (Interval-map
//! crates such as `rangemap` coalesce only equal values and hide splits, which fits neither
//! offset-contiguous file areas nor the split limit.)
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;
#[cfg(test)]
extern crate std;

mod brk;
mod fault;
mod gaps;
mod layout;
mod maps;
mod mmap;
mod mprotect;
mod mremap;
mod prot;
mod shared;
mod space;
mod unmap;
mod vma;

pub use brk::BrkOutcome;
pub use fault::{Access, FaultAction, FaultSignal};
pub use layout::AddressSpaceLayout;
pub use maps::FileIdentity;
pub use mmap::{MmapFile, MmapOutcome, MmapRequest};
pub use mremap::{MremapOutcome, PageMove};
pub use prot::Prot;
pub use space::Vmas;
pub use vma::{Backing, Sharing, Vma, VmaKind};

/// Size of a page, the granularity of every mapping.
pub const PAGE_SIZE: u64 = 4096;

/// Result of a call that Linux applies piece by piece and stops at the first error,
/// leaving the earlier pieces changed (`mprotect`, `madvise`): the kernel must apply
/// `done` to its page tables whether or not `error` is set, then return `error`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartialOutcome<T> {
    /// What was changed before the call stopped (everything, when `error` is `None`).
    pub done: T,
    /// The error the system call returns, if it failed part way.
    pub error: Option<basalt_linux_abi::Errno>,
}

impl<T> PartialOutcome<T> {
    /// The system call's result, once `done` has been applied.
    pub fn result(&self) -> Result<(), basalt_linux_abi::Errno> {
        match self.error {
            Some(errno) => Err(errno),
            None => Ok(()),
        }
    }
}

/// Rounds `value` up to a page boundary, or `None` when that overflows.
pub(crate) fn page_align_up(value: u64) -> Option<u64> {
    value
        .checked_add(PAGE_SIZE - 1)
        .map(|v| v & !(PAGE_SIZE - 1))
}

/// Rounds `value` up to a page boundary, wrapping to 0 on overflow like Linux's `PAGE_ALIGN`.
pub(crate) fn page_align_wrapping(value: u64) -> u64 {
    value.wrapping_add(PAGE_SIZE - 1) & !(PAGE_SIZE - 1)
}

/// Rounds `value` down to a page boundary.
pub(crate) fn page_align_down(value: u64) -> u64 {
    value & !(PAGE_SIZE - 1)
}

/// Whether `value` is a multiple of the page size.
pub(crate) fn is_page_aligned(value: u64) -> bool {
    value.is_multiple_of(PAGE_SIZE)
}

#[cfg(test)]
mod tests;
