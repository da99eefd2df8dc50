//! The kernel heap: `basalt-slab` size classes for small objects and whole buddy blocks for large ones, reached
//! through the direct map. Allocation failure returns null (Rust's fallible APIs turn it into an error).

use crate::arch::{paging, physmem};
use basalt_slab::{Backend, SlabAllocator};
use core::alloc::{GlobalAlloc, Layout};
use spin::Mutex;

struct FrameBackend;

impl Backend for FrameBackend {
    fn alloc_pages(&mut self, order: usize) -> Option<usize> {
        if order > basalt_buddy::MAX_ORDER {
            // Larger than the buddy's biggest block: scattered frames mapped contiguously.
            let pages = 1u64.checked_shl(order as u32)?;
            return paging::vmalloc(pages, pages * paging::PAGE_SIZE)
                .ok()
                .map(|a| a as usize);
        }
        super::frames::alloc_pages(order)
            .ok()
            .map(|phys| paging::phys_to_virt(phys) as usize)
    }

    fn free_pages(&mut self, addr: usize, order: usize) {
        if paging::is_vmalloc(addr as u64) {
            paging::vfree(addr as u64, 1u64 << order);
            return;
        }
        if let Some(phys) = paging::direct_map_to_phys(addr as u64) {
            if let Err(e) = super::frames::free_pages(phys, order) {
                log::error!("heap: returning block {addr:#x} failed: {e}");
            }
        }
    }

    fn read_word(&self, addr: usize) -> usize {
        physmem::read_word(addr)
    }

    fn write_word(&mut self, addr: usize, value: usize) {
        physmem::write_word(addr, value)
    }
}

/// The global allocator.
pub struct KernelHeap {
    slab: Mutex<SlabAllocator>,
}

#[global_allocator]
static HEAP: KernelHeap = KernelHeap {
    slab: Mutex::new(SlabAllocator::new()),
};

// SAFETY: blocks come from the frame allocator (exclusive ownership) and are handed out once until freed; the
// slab logic guarantees size and alignment (tested on the host); the lock masks interrupts, so handlers may allocate.
unsafe impl GlobalAlloc for KernelHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        x86_64::instructions::interrupts::without_interrupts(|| {
            match self
                .slab
                .lock()
                .alloc(&mut FrameBackend, layout.size(), layout.align())
            {
                Some(addr) => addr as *mut u8,
                None => core::ptr::null_mut(),
            }
        })
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        x86_64::instructions::interrupts::without_interrupts(|| {
            if let Err(e) = self.slab.lock().dealloc(
                &mut FrameBackend,
                ptr as usize,
                layout.size(),
                layout.align(),
            ) {
                log::error!("heap: bad free of {ptr:p} ({} bytes): {e}", layout.size());
            }
        })
    }
}

/// Heap statistics.
pub fn stats() -> basalt_slab::Stats {
    x86_64::instructions::interrupts::without_interrupts(|| HEAP.slab.lock().stats())
}
