//! Physical frame allocator: the buddy allocator from `basalt-buddy` over all usable RAM, behind a lock that also
//! masks interrupts (interrupt handlers may allocate).
#![forbid(unsafe_code)]

use crate::arch::{paging::PAGE_SIZE, physmem};
use basalt_bootinfo::BootInfo;
use basalt_buddy::BuddyAllocator;
use core::ops::Range;
use spin::Mutex;

pub use basalt_buddy::OutOfMemory;

static BUDDY: Mutex<Option<BuddyAllocator<'static>>> = Mutex::new(None);

/// Memory below 1 MiB stays out of the allocator: firmware data, the SMP trampoline page.
const LOW_MEMORY_END: u64 = 1 << 20;
/// The metadata must be reachable through the boot page tables (first 4 GiB).
const BOOT_MAPPED_END: u64 = 4 << 30;

fn with<R>(f: impl FnOnce(&mut BuddyAllocator<'static>) -> R) -> Option<R> {
    x86_64::instructions::interrupts::without_interrupts(|| BUDDY.lock().as_mut().map(f))
}

/// Error setting up the allocator.
#[derive(Debug)]
pub enum InitError {
    NoRoomForMetadata { bytes: u64 },
}

impl core::fmt::Display for InitError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            InitError::NoRoomForMetadata { bytes } => {
                write!(
                    f,
                    "no usable memory below 4 GiB for {bytes} bytes of frame metadata"
                )
            }
        }
    }
}

/// Take over all usable memory except `reserved` (kernel image, initrd, ...). Returns the usable bytes managed.
pub fn init(boot: &BootInfo, reserved: &[Range<u64>]) -> Result<u64, InitError> {
    let max_pfn = boot.max_usable_address().div_ceil(PAGE_SIZE);
    let meta_bytes = BuddyAllocator::meta_bytes_for(max_pfn).next_multiple_of(PAGE_SIZE);

    let mut exclude = [0..LOW_MEMORY_END, 0..0, 0..0, 0..0, 0..0, 0..0, 0..0, 0..0];
    let n = reserved.len().min(exclude.len() - 2);
    exclude[1..1 + n].clone_from_slice(&reserved[..n]);
    let meta_start = boot
        .usable_ranges(&exclude[..1 + n])
        .find(|r| r.end <= BOOT_MAPPED_END && r.end - r.start >= meta_bytes)
        .map(|r| r.start)
        .ok_or(InitError::NoRoomForMetadata { bytes: meta_bytes })?;
    let meta_range = meta_start..meta_start + meta_bytes;
    exclude[1 + n] = meta_range.clone();

    let meta = physmem::carve_frame_meta(meta_start, max_pfn as usize);
    let mut buddy = BuddyAllocator::new(meta, 0);
    for r in boot.usable_ranges(&exclude[..2 + n]) {
        buddy.add_free_range(r.start / PAGE_SIZE, r.end / PAGE_SIZE);
    }
    let total = buddy.total_frames() * PAGE_SIZE;
    *BUDDY.lock() = Some(buddy);
    Ok(total)
}

/// Allocate 2^order contiguous frames; returns the physical address of the first.
pub fn alloc_pages(order: usize) -> Result<u64, OutOfMemory> {
    with(|b| b.alloc(order))
        .unwrap_or(Err(OutOfMemory))
        .map(|pfn| pfn * PAGE_SIZE)
}

/// Free frames obtained from [`alloc_pages`] with the same order.
pub fn free_pages(phys: u64, order: usize) -> Result<(), basalt_buddy::FreeError> {
    with(|b| b.free(phys / PAGE_SIZE, order)).unwrap_or(Ok(()))
}

/// One zeroed frame.
pub fn alloc_zeroed() -> Result<u64, OutOfMemory> {
    let phys = alloc_pages(0)?;
    physmem::zero_pages(phys, 1);
    Ok(phys)
}

/// 2^order zeroed frames, all below physical frame number `limit_pfn`.
pub fn alloc_zeroed_below(order: usize, limit_pfn: u64) -> Result<u64, OutOfMemory> {
    let pfn = with(|b| b.alloc_below(order, limit_pfn)).unwrap_or(Err(OutOfMemory))?;
    physmem::zero_pages(pfn * PAGE_SIZE, 1 << order);
    Ok(pfn * PAGE_SIZE)
}

/// Free one frame.
pub fn free(phys: u64) {
    if let Err(e) = free_pages(phys, 0) {
        log::error!("frames: freeing {phys:#x} failed: {e}");
    }
}

/// Frames under management.
pub fn total_frames() -> u64 {
    with(|b| b.total_frames()).unwrap_or(0)
}

/// Frames free right now.
pub fn free_frames() -> u64 {
    with(|b| b.free_frames()).unwrap_or(0)
}
