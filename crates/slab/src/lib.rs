//! Kernel heap logic: size-class slab caches for small objects plus whole page blocks for
//! large ones. The crate never touches memory itself; the kernel supplies a [`Backend`]
//! that hands out page blocks and reads/writes words inside them.
//!
//! Design:
//! - Size classes 16, 32, ..., 2048 bytes. A request uses the smallest class
//!   `>= max(size, align)` (size 0 counts as 1). Objects are naturally aligned to their
//!   class size because slabs are aligned to their own size and objects start at offset 0.
//! - Slabs are one page for classes up to 512 and 4 pages (order 2) for 1024 and 2048, so
//!   the big classes still hold 15 and 7 objects.
//! - Each slab carries a small header in its *last* bytes (tag, in-use count, free-list
//!   head, bump offset, prev/next links of the class's partial-slab list); the slab owning
//!   an object is found by masking the address with the slab size.
//! - A fresh slab is not threaded into a free list up front: a bump offset hands out
//!   never-used objects, so creating a slab costs a handful of header writes.
//! - Freed objects go to the slab's own free list (link stored in the object's first word).
//!   A slab that becomes empty is returned to the backend unless it is the class's only
//!   partial slab; that one is kept (with its bump reset) to avoid alloc/free thrash.
//! - Requests above 2048 bytes or with alignment above 2048 get a whole block of the
//!   smallest sufficient order, which the backend aligns to its size.
//! - `dealloc` returns a `Result`: it cheaply validates the slab tag, object alignment,
//!   bump bound and immediate double frees, and refuses (changing nothing) instead of
//!   corrupting the heap. The kernel may log or ignore the error.

#![no_std]
#![forbid(unsafe_code)]

#[cfg(test)]
extern crate std;

mod allocator;
mod backend;
mod error;
mod header;
mod placement;
mod stats;

#[cfg(test)]
mod tests;

pub use allocator::SlabAllocator;
pub use backend::Backend;
pub use error::DeallocError;
pub use placement::{CLASS_COUNT, CLASS_SIZES, LARGEST_CLASS, PAGE_SIZE};
pub use stats::Stats;
