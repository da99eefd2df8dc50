//! Memory management: physical frames (buddy allocator) and the kernel heap (slab caches).

pub mod frames;
pub mod heap;
pub mod pageref;
pub mod shared_pages;
pub mod uspace;
