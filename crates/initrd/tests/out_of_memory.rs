//! Allocation failure while unpacking must surface as `InitrdError::OutOfMemory`.
//!
//! This is its own test binary because it installs a global allocator that refuses
//! requests above an adjustable size; it holds a single test so nothing else runs
//! concurrently under the cap.

use basalt_initrd::{unpack_image, InitrdError};
use std::alloc::{GlobalAlloc, Layout, System};
use std::ptr::null_mut;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Largest single allocation the allocator grants.
static ALLOCATION_CAP: AtomicUsize = AtomicUsize::new(usize::MAX);

struct CappedAllocator;

// SAFETY: every call is forwarded to the system allocator unchanged, except that requests
// above the cap return null, which the `GlobalAlloc` contract allows.
unsafe impl GlobalAlloc for CappedAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() > ALLOCATION_CAP.load(Ordering::SeqCst) {
            return null_mut();
        }
        // SAFETY: same layout contract as our caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > ALLOCATION_CAP.load(Ordering::SeqCst) {
            return null_mut();
        }
        // SAFETY: `ptr` came from `System` with `layout`; the caller upholds the rest.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: CappedAllocator = CappedAllocator;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut image = vec![0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3];
    image.extend(miniz_oxide::deflate::compress_to_vec(data, 6));
    image.extend_from_slice(&crc32fast::hash(data).to_le_bytes());
    image.extend_from_slice(&(data.len() as u32).to_le_bytes());
    image
}

fn unpack_under_cap(image: &[u8], cap: usize) -> Result<usize, InitrdError> {
    ALLOCATION_CAP.store(cap, Ordering::SeqCst);
    let result = unpack_image(image, 64 << 20).map(|unpacked| unpacked.len());
    ALLOCATION_CAP.store(usize::MAX, Ordering::SeqCst);
    result
}

#[test]
fn allocation_failures_are_reported_not_fatal() {
    let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    let image = gzip(&data);

    // The up-front ISIZE reservation fails silently; growing past the cap then fails.
    assert_eq!(
        unpack_under_cap(&image, 200_000),
        Err(InitrdError::OutOfMemory)
    );
    // Even the decompressor state cannot be allocated.
    assert_eq!(
        unpack_under_cap(&image, 1_000),
        Err(InitrdError::OutOfMemory)
    );
    // With room, the same image unpacks.
    assert_eq!(unpack_under_cap(&image, usize::MAX), Ok(data.len()));
}
