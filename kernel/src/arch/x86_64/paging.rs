//! 4-level page tables: the kernel's address space (higher-half image, direct map of physical memory, MMIO window)
//! and user address spaces that share the kernel half.
//!
//! Layout of the kernel half:
//! - `0xffff_8000_0000_0000` direct map of all physical memory (at least the first 4 GiB), no-execute;
//! - `0xffff_c000_0000_0000` MMIO window, uncached;
//! - `0xffff_ffff_8000_0000` the kernel image, section by section: text RX, rodata R, data/bss RW (W^X).

use crate::mm::frames::{self, OutOfMemory};
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use x86_64::structures::paging::page_table::PageTableEntry;
use x86_64::structures::paging::{PageTable, PageTableFlags as F};
use x86_64::PhysAddr;

/// Start of the direct map of physical memory.
pub const PHYS_OFFSET: u64 = 0xffff_8000_0000_0000;
/// Start of the MMIO window.
pub const MMIO_BASE: u64 = 0xffff_c000_0000_0000;
const MMIO_SIZE: u64 = 512 << 30;
/// Start of the window for large kernel allocations made of scattered frames (vmalloc-style).
pub const VMALLOC_BASE: u64 = 0xffff_d000_0000_0000;
const VMALLOC_SIZE: u64 = 512 << 30;
/// Where the kernel image is linked: virtual = KERNEL_VMA + physical.
pub const KERNEL_VMA: u64 = 0xffff_ffff_8000_0000;
/// First address above user space (the canonical lower half ends at 0x0000_7fff_ffff_ffff).
pub const USER_END: u64 = 0x0000_8000_0000_0000;
/// The page size.
pub const PAGE_SIZE: u64 = 4096;

/// Physical memory above this is not covered by the boot page tables; tables built before the switch stay below it.
const BOOT_DIRECT_MAP_LIMIT: u64 = 4 << 30;

static NX_ON: AtomicBool = AtomicBool::new(false);
static KERNEL_PML4: AtomicU64 = AtomicU64::new(0);
static MMIO_NEXT: AtomicU64 = AtomicU64::new(MMIO_BASE);
static VMALLOC_NEXT: AtomicU64 = AtomicU64::new(VMALLOC_BASE);
static DIRECT_MAP_END: AtomicU64 = AtomicU64::new(BOOT_DIRECT_MAP_LIMIT);

/// How a page may be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MapFlags {
    pub writable: bool,
    pub executable: bool,
    pub user: bool,
    pub uncached: bool,
}

impl MapFlags {
    pub const KERNEL_RW: MapFlags = MapFlags {
        writable: true,
        executable: false,
        user: false,
        uncached: false,
    };
    pub const KERNEL_RO: MapFlags = MapFlags {
        writable: false,
        executable: false,
        user: false,
        uncached: false,
    };
    pub const KERNEL_RX: MapFlags = MapFlags {
        writable: false,
        executable: true,
        user: false,
        uncached: false,
    };

    fn to_entry_flags(self) -> F {
        let mut f = F::PRESENT;
        if self.writable {
            f |= F::WRITABLE;
        }
        if self.user {
            f |= F::USER_ACCESSIBLE;
        } else {
            f |= F::GLOBAL;
        }
        if !self.executable && NX_ON.load(Ordering::Relaxed) {
            f |= F::NO_EXECUTE;
        }
        if self.uncached {
            f |= F::NO_CACHE | F::WRITE_THROUGH;
        }
        f
    }
}

/// Failure to map a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapError {
    OutOfMemory,
    AlreadyMapped,
    /// The address is not canonical, not page-aligned, or in the wrong half.
    BadAddress,
}

impl From<OutOfMemory> for MapError {
    fn from(_: OutOfMemory) -> Self {
        MapError::OutOfMemory
    }
}

/// The kernel-virtual address of physical address `phys` in the direct map.
#[inline]
pub fn phys_to_virt(phys: u64) -> u64 {
    phys + PHYS_OFFSET
}

/// Whether `virt` lies in the direct map, and if so its physical address.
pub fn direct_map_to_phys(virt: u64) -> Option<u64> {
    let end = PHYS_OFFSET + DIRECT_MAP_END.load(Ordering::Relaxed);
    (PHYS_OFFSET..end)
        .contains(&virt)
        .then(|| virt - PHYS_OFFSET)
}

fn table(phys: u64) -> &'static mut PageTable {
    // SAFETY: `phys` is the physical address of a page table page owned by the paging code (allocated by it or the
    // boot code); the direct map covers it. User entries that concurrent page faults may fill or change are
    // changed only through `atomic` (compare-and-swap); the kernel half changes during single-threaded boot and
    // through the MMIO allocator's atomic bump.
    unsafe { &mut *(phys_to_virt(phys) as *mut PageTable) }
}

/// The physical-address bits of a page-table entry.
const ADDR_BITS: u64 = 0x000f_ffff_ffff_f000;

/// `entry` as an atomic word. The threads of one address space fault on several CPUs at once, and a fault does not
/// hold the address space's lock while it maps: so entries that may be empty, copy-on-write or changing
/// permissions are changed only by compare-and-swap. Two CPUs filling the same entry must not both win — the loser's
/// table or page would replace the winner's, and with it whatever the winner's thread had already written there.
fn atomic(entry: &PageTableEntry) -> &AtomicU64 {
    // SAFETY: PageTableEntry is a `#[repr(transparent)]` u64, 8-byte aligned inside its page table, so it has the
    // size and alignment of an AtomicU64; the table outlives the reference (tables are freed only with their
    // address space, when no thread of it runs).
    unsafe { &*(entry as *const PageTableEntry).cast::<AtomicU64>() }
}

/// Fills the empty `entry` with `value`; false when another CPU filled it first.
fn fill(entry: &PageTableEntry, value: u64) -> bool {
    atomic(entry)
        .compare_exchange(0, value, Ordering::AcqRel, Ordering::Acquire)
        .is_ok()
}

fn new_table() -> Result<u64, OutOfMemory> {
    let phys = frames::alloc_zeroed_below(0, BOOT_DIRECT_MAP_LIMIT / PAGE_SIZE)?;
    Ok(phys)
}

fn index(virt: u64, level: u32) -> usize {
    ((virt >> (12 + 9 * (level - 1))) & 0x1ff) as usize
}

/// Walk to the level-1 table entry for `virt`, creating intermediate tables if `create`.
fn walk_create(
    pml4: u64,
    virt: u64,
    user: bool,
) -> Result<&'static mut x86_64::structures::paging::page_table::PageTableEntry, MapError> {
    let mut table_phys = pml4;
    for level in [4u32, 3, 2] {
        let entry = &table(table_phys)[index(virt, level)];
        let mut value = atomic(entry).load(Ordering::Acquire);
        if value == 0 {
            let t = new_table()?;
            let mut flags = F::PRESENT | F::WRITABLE;
            if user {
                flags |= F::USER_ACCESSIBLE;
            }
            if fill(entry, t | flags.bits()) {
                value = t | flags.bits();
            } else {
                // Another CPU made this table at the same time: use theirs.
                frames::free(t);
                value = atomic(entry).load(Ordering::Acquire);
            }
        }
        let flags = F::from_bits_truncate(value);
        if flags.contains(F::HUGE_PAGE) {
            return Err(MapError::AlreadyMapped);
        } else if user && !flags.contains(F::USER_ACCESSIBLE) {
            return Err(MapError::BadAddress);
        }
        table_phys = value & ADDR_BITS;
    }
    Ok(&mut table(table_phys)[index(virt, 1)])
}

/// Translate `virt` in the address space rooted at `pml4`: physical address and whether user/writable.
pub fn translate(pml4: u64, virt: u64) -> Option<(u64, F)> {
    let mut table_phys = pml4;
    for level in [4u32, 3, 2, 1] {
        let entry = &table(table_phys)[index(virt, level)];
        if !entry.flags().contains(F::PRESENT) {
            return None;
        }
        if level == 1 || entry.flags().contains(F::HUGE_PAGE) {
            let page_mask = (1u64 << (12 + 9 * (level - 1))) - 1;
            return Some((entry.addr().as_u64() + (virt & page_mask), entry.flags()));
        }
        table_phys = entry.addr().as_u64();
    }
    None
}

fn invalidate(virt: u64) {
    x86_64::instructions::tlb::flush(x86_64::VirtAddr::new(virt));
}

fn canonical(virt: u64) -> bool {
    !(USER_END..0xffff_8000_0000_0000).contains(&virt)
}

/// Map one 4 KiB page.
pub fn map_page(pml4: u64, virt: u64, phys: u64, flags: MapFlags) -> Result<(), MapError> {
    map_page_with(pml4, virt, phys, flags, F::empty())
}

/// [`map_page`] with `extra` entry bits (software bits such as [`SHARED`]) set in the same step.
fn map_page_with(
    pml4: u64,
    virt: u64,
    phys: u64,
    flags: MapFlags,
    extra: F,
) -> Result<(), MapError> {
    if !virt.is_multiple_of(PAGE_SIZE)
        || !phys.is_multiple_of(PAGE_SIZE)
        || !canonical(virt)
        || (virt < USER_END) != flags.user
    {
        return Err(MapError::BadAddress);
    }
    let entry = walk_create(pml4, virt, flags.user)?;
    if fill(entry, phys | (flags.to_entry_flags() | extra).bits()) {
        Ok(())
    } else {
        Err(MapError::AlreadyMapped)
    }
}

/// Remove the mapping of one 4 KiB page; returns the physical page it mapped.
pub fn unmap_page(pml4: u64, virt: u64) -> Option<u64> {
    let mut table_phys = pml4;
    for level in [4u32, 3, 2] {
        let entry = &table(table_phys)[index(virt, level)];
        if !entry.flags().contains(F::PRESENT) || entry.flags().contains(F::HUGE_PAGE) {
            return None;
        }
        table_phys = entry.addr().as_u64();
    }
    let entry = &mut table(table_phys)[index(virt, 1)];
    if !entry.flags().contains(F::PRESENT) {
        return None;
    }
    let phys = entry.addr().as_u64();
    entry.set_unused();
    invalidate(virt);
    Some(phys)
}

/// The kernel's own top-level table.
pub fn kernel_pml4() -> u64 {
    KERNEL_PML4.load(Ordering::Relaxed)
}

/// The top-level table currently loaded on this CPU.
pub fn current_pml4() -> u64 {
    x86_64::registers::control::Cr3::read()
        .0
        .start_address()
        .as_u64()
}

/// Load an address space on this CPU.
pub fn activate(pml4: u64) {
    use x86_64::registers::control::{Cr3, Cr3Flags};
    use x86_64::structures::paging::PhysFrame;
    let frame = PhysFrame::containing_address(PhysAddr::new(pml4));
    super::tlb::note_loaded(pml4);
    // SAFETY: every address space shares the kernel half (copied from the kernel table), so the code and stack in use
    // stay mapped across the switch.
    unsafe { Cr3::write(frame, Cr3Flags::empty()) };
}

extern "C" {
    static __text_start: u8;
    static __text_end: u8;
    static __rodata_start: u8;
    static __rodata_end: u8;
    static __data_start: u8;
    static __bss_end: u8;
}

fn linker_addr(sym: &u8) -> u64 {
    sym as *const u8 as u64
}

/// Build the kernel address space and switch to it. Single-threaded boot only.
///
/// `phys_limit` is the end of the highest RAM region: the direct map covers `[0, max(phys_limit, 4 GiB))`.
pub fn init_kernel_space(phys_limit: u64, nx: bool, huge_1g: bool) -> Result<(), MapError> {
    NX_ON.store(nx, Ordering::Relaxed);
    let pml4 = new_table()?;

    // Direct map, with 1 GiB pages where the CPU has them, else 2 MiB pages.
    let end = phys_limit
        .max(BOOT_DIRECT_MAP_LIMIT)
        .next_multiple_of(1 << 30);
    let mut flags = F::PRESENT | F::WRITABLE | F::GLOBAL | F::HUGE_PAGE;
    if nx {
        flags |= F::NO_EXECUTE;
    }
    let mut phys = 0u64;
    while phys < end {
        let virt = PHYS_OFFSET + phys;
        let pml4e = &mut table(pml4)[index(virt, 4)];
        if pml4e.is_unused() {
            pml4e.set_addr(PhysAddr::new(new_table()?), F::PRESENT | F::WRITABLE);
        }
        let pdpt = pml4e.addr().as_u64();
        if huge_1g {
            table(pdpt)[index(virt, 3)].set_addr(PhysAddr::new(phys), flags);
            phys += 1 << 30;
        } else {
            let pd = new_table()?;
            table(pdpt)[index(virt, 3)].set_addr(PhysAddr::new(pd), F::PRESENT | F::WRITABLE);
            for i in 0..512u64 {
                table(pd)[i as usize].set_addr(PhysAddr::new(phys + i * (2 << 20)), flags);
            }
            phys += 1 << 30;
        }
    }
    DIRECT_MAP_END.store(end, Ordering::Relaxed);

    // The MMIO window's top-level slot exists from the start so every address space shares it.
    let mmio_slot = &mut table(pml4)[index(MMIO_BASE, 4)];
    mmio_slot.set_addr(PhysAddr::new(new_table()?), F::PRESENT | F::WRITABLE);
    let vmalloc_slot = &mut table(pml4)[index(VMALLOC_BASE, 4)];
    vmalloc_slot.set_addr(PhysAddr::new(new_table()?), F::PRESENT | F::WRITABLE);

    // Kernel image, section by section.
    // SAFETY: linker-defined symbols; only their addresses are used.
    let (text, text_end, ro, ro_end, data, data_end) = unsafe {
        (
            linker_addr(&__text_start),
            linker_addr(&__text_end),
            linker_addr(&__rodata_start),
            linker_addr(&__rodata_end),
            linker_addr(&__data_start),
            linker_addr(&__bss_end),
        )
    };
    for (start, end, f) in [
        (text, text_end, MapFlags::KERNEL_RX),
        (ro, ro_end, MapFlags::KERNEL_RO),
        (data, data_end, MapFlags::KERNEL_RW),
    ] {
        let mut va = start & !(PAGE_SIZE - 1);
        while va < end {
            map_page(pml4, va, va - KERNEL_VMA, f)?;
            va += PAGE_SIZE;
        }
    }

    KERNEL_PML4.store(pml4, Ordering::Relaxed);
    activate(pml4);
    Ok(())
}

/// Map `len` bytes of device memory at `phys`, uncached; returns the virtual address of `phys`.
pub fn map_mmio(phys: u64, len: u64) -> Result<u64, MapError> {
    let first = phys & !(PAGE_SIZE - 1);
    let last = phys
        .checked_add(len.max(1))
        .ok_or(MapError::BadAddress)?
        .next_multiple_of(PAGE_SIZE);
    let size = last - first;
    let base = MMIO_NEXT.fetch_add(size, Ordering::Relaxed);
    if base + size > MMIO_BASE + MMIO_SIZE {
        return Err(MapError::OutOfMemory);
    }
    let flags = MapFlags {
        writable: true,
        executable: false,
        user: false,
        uncached: true,
    };
    let mut off = 0;
    while off < size {
        map_page(kernel_pml4(), base + off, first + off, flags)?;
        off += PAGE_SIZE;
    }
    Ok(base + (phys - first))
}

/// A fresh top-level table for a user address space: empty lower half, kernel half shared.
pub fn new_user_pml4() -> Result<u64, OutOfMemory> {
    let pml4 = frames::alloc_zeroed()?;
    let kernel = table(kernel_pml4());
    let user = table(pml4);
    for i in 256..512 {
        user[i] = kernel[i].clone();
    }
    Ok(pml4)
}

/// Marks a user page that is shared copy-on-write (a bit the CPU ignores).
const COW: F = F::BIT_9;
/// Marks a page of a shared mapping (MAP_SHARED): fork shares it writable instead of copy-on-write.
const SHARED: F = F::BIT_10;

/// Map one user page of a shared mapping.
pub fn map_shared_page(pml4: u64, virt: u64, phys: u64, flags: MapFlags) -> Result<(), MapError> {
    map_page_with(pml4, virt, phys, flags, SHARED)
}

/// Free every user page and page table of an address space, then its top-level table. Shared (copy-on-write)
/// pages are only released, not freed, while another address space maps them.
pub fn destroy_user_space(pml4: u64) {
    if current_pml4() == pml4 {
        activate(kernel_pml4());
    }
    free_level(pml4, 4, 0..256);
}

fn free_level(table_phys: u64, level: u32, range: core::ops::Range<usize>) {
    for i in range {
        let entry = table(table_phys)[i].clone();
        if !entry.flags().contains(F::PRESENT) {
            continue;
        }
        let child = entry.addr().as_u64();
        if level > 1 && !entry.flags().contains(F::HUGE_PAGE) {
            free_level(child, level - 1, 0..512);
        } else if crate::mm::pageref::unshare(child) {
            frames::free(child);
        }
    }
    frames::free(table_phys);
}

/// Duplicate the user half of `parent` for fork: page tables are copied, pages are shared, and every writable page
/// becomes read-only + copy-on-write in both. Returns the child's top-level table.
pub fn fork_user_space(parent: u64) -> Result<u64, OutOfMemory> {
    let child = new_user_pml4()?;
    let result = copy_level(parent, child, 4, 0..256);
    // Writable entries of the parent were downgraded: its other threads, on any CPU, must see that.
    super::tlb::shootdown(parent);
    match result {
        Ok(()) => Ok(child),
        Err(e) => {
            destroy_user_space(child);
            Err(e)
        }
    }
}

fn copy_level(
    src: u64,
    dst: u64,
    level: u32,
    range: core::ops::Range<usize>,
) -> Result<(), OutOfMemory> {
    for i in range {
        let entry = table(src)[i].clone();
        if !entry.flags().contains(F::PRESENT) {
            continue;
        }
        if level > 1 {
            let child = frames::alloc_zeroed()?;
            table(dst)[i].set_addr(PhysAddr::new(child), entry.flags());
            copy_level(entry.addr().as_u64(), child, level - 1, 0..512)?;
        } else {
            let mut flags = entry.flags();
            if flags.contains(F::WRITABLE) && !flags.contains(SHARED) {
                flags.remove(F::WRITABLE);
                flags.insert(COW);
                table(src)[i].set_flags(flags);
            }
            crate::mm::pageref::share(entry.addr().as_u64());
            table(dst)[i].set_addr(entry.addr(), flags);
        }
    }
    Ok(())
}

/// What a write fault on a present user page found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CowOutcome {
    /// The page was copy-on-write and is now privately writable.
    Resolved,
    /// Not a copy-on-write page: a real protection fault.
    NotCow,
}

/// Resolve a write to a copy-on-write page at `virt` in `pml4`.
pub fn resolve_cow(pml4: u64, virt: u64) -> Result<CowOutcome, OutOfMemory> {
    let page = virt & !(PAGE_SIZE - 1);
    let mut table_phys = pml4;
    for level in [4u32, 3, 2] {
        let entry = &table(table_phys)[index(page, level)];
        if !entry.flags().contains(F::PRESENT) || entry.flags().contains(F::HUGE_PAGE) {
            return Ok(CowOutcome::NotCow);
        }
        table_phys = entry.addr().as_u64();
    }
    let entry = &table(table_phys)[index(page, 1)];
    let current = atomic(entry).load(Ordering::Acquire);
    let flags = F::from_bits_truncate(current);
    if !flags.contains(F::PRESENT) || !flags.contains(COW) {
        return Ok(CowOutcome::NotCow);
    }
    let old = current & ADDR_BITS;
    let mut new_flags = flags;
    new_flags.remove(COW);
    new_flags.insert(F::WRITABLE);
    // Another thread of this address space may resolve the same page at the same time: only the one whose swap
    // succeeds gives up the old frame; the other's access simply runs again on the winner's page.
    let swap = |new: u64| {
        atomic(entry)
            .compare_exchange(current, new, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    };
    if crate::mm::pageref::is_shared(old) {
        let copy = frames::alloc_pages(0)?;
        super::physmem::copy_page(old, copy);
        if !swap(copy | new_flags.bits()) {
            frames::free(copy);
            return Ok(CowOutcome::Resolved);
        }
        if crate::mm::pageref::unshare(old) {
            frames::free(old);
        }
        invalidate(page);
        // Other threads of this address space may still use the old (shared, read-only) frame.
        super::tlb::shootdown(pml4);
    } else {
        // Only the permission grew: a stale read-only entry elsewhere just faults once more and is refreshed.
        if swap(old | new_flags.bits()) {
            invalidate(page);
        }
    }
    Ok(CowOutcome::Resolved)
}

/// The next address at or after `va` (below `end`) whose level-1 entry may exist: whole regions whose upper-level
/// table is absent are skipped, so walking a huge, mostly empty range (a large untouched mapping) stays cheap.
fn next_candidate(pml4: u64, mut va: u64, end: u64) -> Option<u64> {
    'outer: while va < end {
        let mut table_phys = pml4;
        for level in [4u32, 3, 2] {
            let entry = &table(table_phys)[index(va, level)];
            if !entry.flags().contains(F::PRESENT) || entry.flags().contains(F::HUGE_PAGE) {
                let span = 1u64 << (12 + 9 * (level - 1));
                va = (va & !(span - 1)).checked_add(span)?;
                continue 'outer;
            }
            table_phys = entry.addr().as_u64();
        }
        return Some(va);
    }
    None
}

/// Remove the user mappings in `[start, end)` of `pml4`, releasing their frames (shared ones are only unshared).
pub fn unmap_user_range(pml4: u64, start: u64, end: u64) {
    let mut va = start & !(PAGE_SIZE - 1);
    let mut freed = alloc::vec::Vec::new();
    while let Some(at) = next_candidate(pml4, va, end) {
        if let Some(phys) = unmap_page(pml4, at) {
            freed.push(phys);
        }
        va = at + PAGE_SIZE;
    }
    if freed.is_empty() {
        return;
    }
    // Other CPUs must forget the pages before the frames can be reused.
    super::tlb::shootdown(pml4);
    for phys in freed {
        if crate::mm::pageref::unshare(phys) {
            frames::free(phys);
        }
    }
}

/// Change the access rights of the present user pages in `[start, end)`. Copy-on-write pages stay read-only
/// until written (the fault handler then makes a private writable copy when `writable` is set).
pub fn protect_user_range(pml4: u64, start: u64, end: u64, flags: MapFlags) {
    let mut va = start & !(PAGE_SIZE - 1);
    while let Some(at) = next_candidate(pml4, va, end) {
        va = at;
        if let Some(entry) = leaf_entry(pml4, va) {
            // One swap, so that a copy-on-write copy made meanwhile by another CPU is not replaced by the old frame.
            let changed =
                atomic(entry).fetch_update(Ordering::AcqRel, Ordering::Acquire, |value| {
                    let old = F::from_bits_truncate(value);
                    if !old.contains(F::PRESENT) {
                        return None;
                    }
                    let mut new = flags.to_entry_flags();
                    if old.contains(COW) {
                        new.remove(F::WRITABLE);
                        new.insert(COW);
                    }
                    if old.contains(SHARED) {
                        new.insert(SHARED);
                    }
                    Some((value & ADDR_BITS) | new.bits())
                });
            if changed.is_ok() {
                invalidate(va);
            }
        }
        va += PAGE_SIZE;
    }
    super::tlb::shootdown(pml4);
}

/// The level-1 entry mapping `virt`, if the tables down to it exist.
fn leaf_entry(
    pml4: u64,
    virt: u64,
) -> Option<&'static mut x86_64::structures::paging::page_table::PageTableEntry> {
    let mut table_phys = pml4;
    for level in [4u32, 3, 2] {
        let entry = &table(table_phys)[index(virt, level)];
        if !entry.flags().contains(F::PRESENT) || entry.flags().contains(F::HUGE_PAGE) {
            return None;
        }
        table_phys = entry.addr().as_u64();
    }
    Some(&mut table(table_phys)[index(virt, 1)])
}

/// Move the mappings of `[old, old + len)` to `new` (mremap): page-table entries move, frames stay.
pub fn move_user_range(pml4: u64, old: u64, new: u64, len: u64) -> Result<(), MapError> {
    let mut off = 0;
    let end = old.checked_add(len).ok_or(MapError::BadAddress)?;
    while let Some(at) = next_candidate(pml4, old + off, end) {
        off = at - old;
        if let Some(entry) = leaf_entry(pml4, old + off) {
            if entry.flags().contains(F::PRESENT) {
                let phys = entry.addr().as_u64();
                let flags = entry.flags();
                entry.set_unused();
                invalidate(old + off);
                let dst = walk_create(pml4, new + off, true)?;
                dst.set_addr(PhysAddr::new(phys), flags);
            }
        }
        off += PAGE_SIZE;
    }
    super::tlb::shootdown(pml4);
    Ok(())
}

/// Allocate `pages` frames (not necessarily contiguous) and map them contiguously in the vmalloc window, aligned to
/// `align` bytes (a power of two). Returns the virtual address. For heap blocks larger than the buddy's largest order.
pub fn vmalloc(pages: u64, align: u64) -> Result<u64, MapError> {
    let size = pages.checked_mul(PAGE_SIZE).ok_or(MapError::OutOfMemory)?;
    let align = align.max(PAGE_SIZE);
    let base = loop {
        let cur = VMALLOC_NEXT.load(Ordering::Relaxed);
        let start = cur.next_multiple_of(align);
        let end = start.checked_add(size).ok_or(MapError::OutOfMemory)?;
        if end > VMALLOC_BASE + VMALLOC_SIZE {
            return Err(MapError::OutOfMemory);
        }
        if VMALLOC_NEXT
            .compare_exchange(cur, end, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
        {
            break start;
        }
    };
    for i in 0..pages {
        let frame = match frames::alloc_pages(0) {
            Ok(f) => f,
            Err(_) => {
                vfree(base, i);
                return Err(MapError::OutOfMemory);
            }
        };
        if let Err(e) = map_page(
            kernel_pml4(),
            base + i * PAGE_SIZE,
            frame,
            MapFlags::KERNEL_RW,
        ) {
            frames::free(frame);
            vfree(base, i);
            return Err(e);
        }
    }
    Ok(base)
}

/// Free what `vmalloc` mapped at `base` (`pages` pages). The virtual range is not reused.
pub fn vfree(base: u64, pages: u64) {
    for i in 0..pages {
        if let Some(frame) = unmap_page(kernel_pml4(), base + i * PAGE_SIZE) {
            frames::free(frame);
        }
    }
}

/// Whether `addr` lies in the vmalloc window.
pub fn is_vmalloc(addr: u64) -> bool {
    (VMALLOC_BASE..VMALLOC_BASE + VMALLOC_SIZE).contains(&addr)
}
