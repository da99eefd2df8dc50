//! Memory: frames, heap, page tables, user copies.

use super::TestResult;
use crate::arch::paging::{self, MapFlags, PAGE_SIZE};
use crate::arch::usercopy;
use crate::ensure;
use crate::mm::frames;
use alloc::vec::Vec;
use basalt_linux_abi::Errno;
use core::sync::atomic::AtomicU64;

pub fn frames_alloc_free() -> TestResult {
    let mut blocks = Vec::with_capacity(64);
    let before = frames::free_frames();
    for i in 0..64usize {
        let order = i % 4;
        let phys = frames::alloc_pages(order).map_err(|_| "out of memory")?;
        ensure!(
            phys % (PAGE_SIZE << order) == 0,
            "block {phys:#x} of order {order} misaligned"
        );
        blocks.push((phys, order));
    }
    blocks.sort_unstable();
    for w in blocks.windows(2) {
        ensure!(
            w[0].0 + (PAGE_SIZE << w[0].1) <= w[1].0,
            "blocks overlap: {:#x} and {:#x}",
            w[0].0,
            w[1].0
        );
    }
    for &(phys, order) in &blocks {
        frames::free_pages(phys, order).map_err(|e| alloc::format!("free failed: {e}"))?;
    }
    ensure!(
        frames::free_frames() == before,
        "free frames {} != {} before",
        frames::free_frames(),
        before
    );
    ensure!(
        frames::free_pages(0x1000, 0).is_err(),
        "freeing a frame never allocated was accepted"
    );
    Ok(())
}

pub fn frames_exhaustion_is_an_error() -> TestResult {
    // Reserve the bookkeeping first, so that it does not count against the frames measured.
    let mut taken: Vec<u64> = Vec::new();
    taken
        .try_reserve(frames::free_frames() as usize)
        .map_err(|_| "no room for bookkeeping")?;
    let before = frames::free_frames();
    while let Ok(phys) = frames::alloc_pages(0) {
        if taken.len() == taken.capacity() {
            frames::free(phys);
            break;
        }
        taken.push(phys);
    }
    let exhausted = frames::alloc_pages(0).is_err();
    for phys in taken.drain(..) {
        frames::free(phys);
    }
    ensure!(
        exhausted,
        "allocation still succeeded after taking every frame"
    );
    ensure!(
        frames::free_frames() == before,
        "free frames {} != {} before",
        frames::free_frames(),
        before
    );
    Ok(())
}

pub fn heap_size_classes() -> TestResult {
    let mut objects: Vec<Vec<u8>> = Vec::new();
    for size in [
        1usize, 7, 16, 17, 31, 64, 100, 128, 255, 512, 1000, 2048, 2049, 4096, 10_000, 65_536,
    ] {
        for k in 0..8u8 {
            let v: Vec<u8> = (0..size)
                .map(|i| (i as u8).wrapping_mul(31).wrapping_add(k))
                .collect();
            objects.push(v);
        }
    }
    for (n, v) in objects.iter().enumerate() {
        let k = (n % 8) as u8;
        for (i, &b) in v.iter().enumerate() {
            ensure!(
                b == (i as u8).wrapping_mul(31).wrapping_add(k),
                "object {n} corrupted at byte {i}"
            );
        }
    }
    let aligned = alloc::alloc::Layout::from_size_align(256, 256).map_err(|_| "layout")?;
    let b = alloc::boxed::Box::new(Aligned256([7; 256]));
    ensure!(
        (&*b as *const Aligned256 as usize).is_multiple_of(aligned.align()),
        "256-byte alignment not honoured"
    );
    ensure!(b.0.iter().all(|&x| x == 7), "aligned object corrupted");
    Ok(())
}

#[repr(align(256))]
struct Aligned256([u8; 256]);

pub fn heap_large_and_oom() -> TestResult {
    let before = frames::free_frames();
    {
        let mut big: Vec<u8> = Vec::new();
        big.try_reserve_exact(4 << 20)
            .map_err(|_| "4 MiB allocation failed")?;
        big.resize(4 << 20, 0xa5);
        ensure!(big.iter().all(|&b| b == 0xa5), "large block corrupted");
        // Beyond the buddy's largest block (4 MiB): scattered frames mapped contiguously.
        let mut larger: Vec<u8> = Vec::new();
        larger
            .try_reserve_exact(6 << 20)
            .map_err(|_| "6 MiB allocation failed")?;
        larger.resize(6 << 20, 0x5a);
        ensure!(larger.iter().all(|&b| b == 0x5a), "6 MiB block corrupted");
        drop(larger);
        let mut huge: Vec<u8> = Vec::new();
        ensure!(
            huge.try_reserve_exact(1 << 40).is_err(),
            "a 1 TiB allocation succeeded"
        );
    }
    let stats = crate::mm::heap::stats();
    ensure!(
        stats.large_blocks_in_use < 64,
        "large blocks not returned: {}",
        stats.large_blocks_in_use
    );
    // The heap may keep one partial slab per class; large blocks go back at once.
    let after = frames::free_frames();
    ensure!(
        after + 16 >= before,
        "frames leaked by large allocations: {before} -> {after}"
    );
    Ok(())
}

pub fn paging_map_unmap() -> TestResult {
    let pml4 = paging::kernel_pml4();
    let virt = paging::MMIO_BASE + (256u64 << 30);
    let frame = frames::alloc_zeroed().map_err(|_| "out of memory")?;
    paging::map_page(pml4, virt, frame, MapFlags::KERNEL_RW)
        .map_err(|e| alloc::format!("map: {e:?}"))?;
    let (phys, _) = paging::translate(pml4, virt).ok_or("mapped page not found")?;
    ensure!(phys == frame, "translate gave {phys:#x}, mapped {frame:#x}");
    ensure!(
        paging::map_page(pml4, virt, frame, MapFlags::KERNEL_RW)
            == Err(paging::MapError::AlreadyMapped),
        "double map accepted"
    );
    crate::arch::physmem::write(frame, b"basalt");
    let mut back = [0u8; 6];
    crate::arch::physmem::read(frame, &mut back);
    ensure!(&back == b"basalt", "read back {back:?}");
    ensure!(
        paging::unmap_page(pml4, virt) == Some(frame),
        "unmap did not return the frame"
    );
    ensure!(
        paging::translate(pml4, virt).is_none(),
        "page still mapped after unmap"
    );
    frames::free(frame);
    ensure!(
        paging::map_page(pml4, 0x1000, frame, MapFlags::KERNEL_RW)
            == Err(paging::MapError::BadAddress),
        "kernel mapping in the user half accepted"
    );
    Ok(())
}

pub fn paging_w_xor_x() -> TestResult {
    use x86_64::structures::paging::PageTableFlags as F;
    let pml4 = paging::kernel_pml4();
    let text = paging_w_xor_x as *const () as u64;
    let (_, f) = paging::translate(pml4, text).ok_or("text not mapped")?;
    ensure!(!f.contains(F::WRITABLE), "kernel text is writable");
    ensure!(!f.contains(F::NO_EXECUTE), "kernel text is not executable");
    let ro = crate::arch::stackwalk::ksyms_table().as_ptr() as u64;
    let (_, f) = paging::translate(pml4, ro).ok_or("rodata not mapped")?;
    ensure!(!f.contains(F::WRITABLE), "rodata is writable");
    let nx = crate::arch::cpu::features().nx;
    ensure!(!nx || f.contains(F::NO_EXECUTE), "rodata is executable");
    let data = &DATA_PROBE as *const AtomicU64 as u64;
    let (_, f) = paging::translate(pml4, data).ok_or("data not mapped")?;
    ensure!(f.contains(F::WRITABLE), "data is not writable");
    ensure!(!nx || f.contains(F::NO_EXECUTE), "data is executable");
    let (_, f) =
        paging::translate(pml4, paging::phys_to_virt(0x100000)).ok_or("direct map missing")?;
    ensure!(!nx || f.contains(F::NO_EXECUTE), "direct map is executable");
    ensure!(
        !f.contains(F::USER_ACCESSIBLE),
        "direct map is user-accessible"
    );
    Ok(())
}

/// Lives in writable data (interior mutability keeps it out of rodata).
static DATA_PROBE: AtomicU64 = AtomicU64::new(0);

pub fn usercopy_faults_are_efault() -> TestResult {
    let mut buf = [0u8; 16];
    ensure!(
        usercopy::copy_from_user(&mut buf, 0x1000) == Err(Errno::EFAULT),
        "unmapped user page did not fault"
    );
    ensure!(
        usercopy::copy_from_user(&mut buf, paging::phys_to_virt(0)) == Err(Errno::EFAULT),
        "kernel address accepted as user memory"
    );
    ensure!(
        usercopy::copy_from_user(&mut buf, u64::MAX - 4) == Err(Errno::EFAULT),
        "wrapping range accepted"
    );
    ensure!(
        usercopy::copy_to_user(0x2000, &buf) == Err(Errno::EFAULT),
        "write to unmapped user page did not fault"
    );
    // The futex compare-and-exchange: a fault resumes at its own fixup.
    ensure!(
        usercopy::cmpxchg_user_u32(0x1000, 0, 1) == Err(Errno::EFAULT),
        "cmpxchg on an unmapped user page did not fault"
    );
    ensure!(
        usercopy::cmpxchg_user_u32(paging::phys_to_virt(0), 0, 1) == Err(Errno::EFAULT),
        "cmpxchg accepted a kernel address"
    );
    ensure!(
        usercopy::cmpxchg_user_u32(0x1002, 0, 1) == Err(Errno::EFAULT),
        "cmpxchg accepted an unaligned word"
    );
    Ok(())
}

pub fn initramfs_has_init() -> TestResult {
    let entry =
        crate::initramfs::find_following_links("/init").map_err(|e| alloc::format!("{e}"))?;
    let entry = entry.ok_or("no /init in the initramfs")?;
    let plan = basalt_elf_load::plan(entry.data, 0x5555_5555_4000, paging::USER_END - PAGE_SIZE)
        .map_err(|e| alloc::format!("/init is not loadable: {e}"))?;
    ensure!(plan.entry != 0, "entry point 0");
    Ok(())
}
