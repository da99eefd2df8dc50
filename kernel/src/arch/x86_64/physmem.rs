//! Raw access to physical memory through the direct map. Every other module reaches physical memory through the
//! safe functions here.

use super::paging::{phys_to_virt, PAGE_SIZE};
use basalt_buddy::FrameMeta;

/// Borrow `len` bytes of physical memory at `phys` that nothing else will write for the kernel's lifetime
/// (boot-loader data such as the initrd, which the frame allocator keeps reserved).
pub fn reserved_bytes(phys: u64, len: u64) -> &'static [u8] {
    // SAFETY: callers pass ranges the frame allocator excludes (initrd, ACPI tables); the direct map covers them.
    unsafe { core::slice::from_raw_parts(phys_to_virt(phys) as *const u8, len as usize) }
}

/// Copy physical memory into `buf` (boot info parsing); false if the range is outside the early direct map.
pub fn read(phys: u64, buf: &mut [u8]) -> bool {
    let Some(end) = phys.checked_add(buf.len() as u64) else {
        return false;
    };
    if end > 4 << 30 {
        return false;
    }
    // SAFETY: the boot page tables and the kernel's direct map both cover physical 0..4 GiB.
    unsafe {
        core::ptr::copy_nonoverlapping(
            phys_to_virt(phys) as *const u8,
            buf.as_mut_ptr(),
            buf.len(),
        );
    }
    true
}

/// A reader over physical memory for the boot-info parsers.
pub struct BootMemory;

impl basalt_bootinfo::PhysRead for BootMemory {
    fn read(&self, phys: u64, buf: &mut [u8]) -> bool {
        read(phys, buf)
    }
}

/// Turn physical memory at `phys` into the frame allocator's metadata array (`count` entries), zeroed.
pub fn carve_frame_meta(phys: u64, count: usize) -> &'static mut [FrameMeta] {
    let ptr = phys_to_virt(phys) as *mut FrameMeta;
    // SAFETY: the caller took [phys, phys + count * size_of::<FrameMeta>()) out of the usable memory before the
    // frame allocator saw it, so nothing else aliases it; it lies in the boot direct map (below 4 GiB). All-zero
    // bytes are a valid (reserved) FrameMeta, as basalt-buddy documents, so the slice is initialised after the fill.
    unsafe {
        core::ptr::write_bytes(ptr, 0, count);
        core::slice::from_raw_parts_mut(ptr, count)
    }
}

/// Fill `pages` pages at `phys` with zeros.
pub fn zero_pages(phys: u64, pages: u64) {
    // SAFETY: the caller owns these frames (just allocated); the direct map covers them.
    unsafe {
        core::ptr::write_bytes(
            phys_to_virt(phys) as *mut u8,
            0,
            (pages * PAGE_SIZE) as usize,
        )
    }
}

/// Fill the page-sized frame at `phys` through `fill`, which must write every byte (the frame may hold old data).
pub fn fill_frame<R>(phys: u64, fill: impl FnOnce(&mut [u8]) -> R) -> R {
    debug_assert_eq!(phys % PAGE_SIZE, 0);
    // SAFETY: the caller owns the frame (just allocated, not yet mapped anywhere), so nothing else reads or writes
    // it while the slice lives; the direct map covers all RAM.
    let page = unsafe {
        core::slice::from_raw_parts_mut(phys_to_virt(phys) as *mut u8, PAGE_SIZE as usize)
    };
    fill(page)
}

/// Copy `src` into physical memory at `phys`.
pub fn write(phys: u64, src: &[u8]) {
    // SAFETY: the caller owns the destination frames (allocated for a user page being filled) or holds a reference
    // on a shared page it is updating (a mapped file's page: user threads writing it concurrently only mix bytes).
    unsafe {
        core::ptr::copy_nonoverlapping(src.as_ptr(), phys_to_virt(phys) as *mut u8, src.len())
    }
}

/// Copy physical memory at `phys` (any frame the allocator manages, e.g. a shared page of a mapped file) into
/// `buf`. The range must lie inside one frame the caller holds a reference to.
pub fn read_frame(phys: u64, buf: &mut [u8]) {
    debug_assert!(phys % PAGE_SIZE + buf.len() as u64 <= PAGE_SIZE);
    // SAFETY: the caller holds a reference on the frame (it cannot be freed meanwhile); the kernel's direct map
    // covers all of physical memory. User threads may write the frame concurrently, as with user copies: the
    // bytes read are then some mix of old and new, never memory outside the frame.
    unsafe {
        core::ptr::copy_nonoverlapping(phys_to_virt(phys) as *const u8, buf.as_mut_ptr(), buf.len())
    }
}

/// Read a word at kernel virtual address `addr` inside a heap block.
pub fn read_word(addr: usize) -> usize {
    // SAFETY: the slab allocator only passes addresses inside blocks it obtained from the frame allocator.
    unsafe { core::ptr::read(addr as *const usize) }
}

/// Write a word at kernel virtual address `addr` inside a heap block.
pub fn write_word(addr: usize, value: usize) {
    // SAFETY: as in read_word; the word is free (a free-list link or slab header), not a live object.
    unsafe { core::ptr::write(addr as *mut usize, value) }
}

/// Copy one page of physical memory.
pub fn copy_page(from: u64, to: u64) {
    // SAFETY: both frames are owned by the caller (one shared read-only, one fresh); the direct map covers them.
    unsafe {
        core::ptr::copy_nonoverlapping(
            phys_to_virt(from) as *const u8,
            phys_to_virt(to) as *mut u8,
            PAGE_SIZE as usize,
        )
    }
}
