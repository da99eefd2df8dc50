//! Binary buddy allocator for 4 KiB physical frames.
//!
//! The kernel owns physical memory through this crate; the crate itself never touches
//! physical memory. All bookkeeping lives in a per-frame metadata array ([`FrameMeta`],
//! like Linux's `struct page`) that the kernel carves out of physical memory at boot, so
//! the allocator needs no heap.
//!
//! Design:
//! - Blocks have orders `0..=MAX_ORDER`; a block of order `k` is `1 << k` frames and its
//!   first pfn is aligned to `1 << k` in *absolute* pfn space, so the buddy of a block is
//!   found with a single XOR and the kernel can rely on physical alignment.
//! - Each order has an intrusive doubly-linked free list threaded through the metadata of
//!   the blocks' head frames (u32 indices, so removal of an arbitrary buddy is O(1)).
//! - Every frame is in exactly one state: reserved (never handed to the allocator), the
//!   head of a free block, the head of an allocated block, or a tail frame inside a block.
//!   Because only heads carry a head state, frees of tail frames, double frees, frees of
//!   reserved frames and frees with the wrong order are all detected.
//! - Freed blocks coalesce eagerly with free buddies, so after everything is freed the
//!   free lists are back to the unique maximal decomposition of the added ranges.
//!
//! Why not a crates.io buddy allocator: the existing ones keep their free lists inside the
//! free memory itself through raw pointers (unsafe, and they cannot detect double frees),
//! whereas this kernel wants a safe, fully host-testable design with side metadata.

#![no_std]
#![forbid(unsafe_code)]

#[cfg(test)]
extern crate std;

mod allocator;
mod error;
mod free_list;
mod meta;

#[cfg(test)]
mod tests;

pub use allocator::BuddyAllocator;
pub use error::{FreeError, OutOfMemory};
pub use meta::FrameMeta;

/// Size of one physical frame in bytes.
pub const FRAME_SIZE: u64 = 4096;

/// Largest block order: blocks of `1 << MAX_ORDER` frames (4 MiB).
pub const MAX_ORDER: usize = 10;

/// Number of distinct block orders (`0..=MAX_ORDER`).
pub const ORDER_COUNT: usize = MAX_ORDER + 1;
