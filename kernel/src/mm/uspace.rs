//! A user address space: its page tables and its memory areas (basalt-vm), demand paging, copy-on-write, and the
//! memory-management system calls' effect on the page tables.
#![forbid(unsafe_code)]

use crate::arch::paging::{self, MapFlags, PAGE_SIZE};
use crate::mm::frames::{self, OutOfMemory};
use basalt_linux_abi::Errno;
use basalt_vm::{
    Access, AddressSpaceLayout, FaultAction, FaultSignal, MmapRequest, Prot, Vma, VmaKind, Vmas,
};
use core::ops::Range;
use core::sync::atomic::{AtomicU64, Ordering};
use spin::Mutex;

/// One process's user memory. Dropping it frees every page it maps that no other address space shares.
pub struct AddressSpace {
    pml4: u64,
    vmas: Mutex<Vmas>,
}

fn flags_for(prot: Prot) -> MapFlags {
    MapFlags {
        writable: prot.write,
        executable: prot.exec,
        user: true,
        uncached: false,
    }
}

impl AddressSpace {
    /// An empty user half (a process before its first exec).
    pub fn new() -> Result<Self, OutOfMemory> {
        Self::with_layout(AddressSpaceLayout::linux_x86_64(PAGE_SIZE * 16))
    }

    /// An empty user half whose heap starts at `brk_start`.
    pub fn with_layout(layout: AddressSpaceLayout) -> Result<Self, OutOfMemory> {
        Ok(AddressSpace {
            pml4: paging::new_user_pml4()?,
            vmas: Mutex::new(Vmas::new(layout)),
        })
    }

    /// A copy-on-write duplicate (fork).
    pub fn fork(&self) -> Result<Self, OutOfMemory> {
        // Copy the areas first and let go of the lock: copying the page tables shoots down other CPUs' TLBs, and a
        // CPU spinning on this lock with interrupts off could never answer.
        let vmas = self.vmas.lock().fork_copy();
        Ok(AddressSpace {
            pml4: paging::fork_user_space(self.pml4)?,
            vmas: Mutex::new(vmas),
        })
    }

    /// The top-level page table.
    pub fn pml4(&self) -> u64 {
        self.pml4
    }

    /// Record an area the loader mapped itself (ELF segments, the initial stack).
    pub fn add_area(
        &self,
        range: Range<u64>,
        prot: Prot,
        kind: VmaKind,
        grows_down: bool,
    ) -> Result<(), Errno> {
        let mut vma = Vma::anonymous(range, prot, kind);
        if grows_down {
            vma = vma.growing_down();
        }
        self.vmas.lock().insert_fixed(vma).map(|_| ())
    }

    /// Map a zeroed page at `page` with `prot`.
    fn map_zero(&self, page: u64, prot: Prot) -> Result<(), Errno> {
        let frame = frames::alloc_zeroed().map_err(|_| Errno::ENOMEM)?;
        match paging::map_page(self.pml4, page, frame, flags_for(prot)) {
            Ok(()) => Ok(()),
            // Another thread mapped it first: fine.
            Err(paging::MapError::AlreadyMapped) => {
                frames::free(frame);
                Ok(())
            }
            Err(_) => {
                frames::free(frame);
                Err(Errno::ENOMEM)
            }
        }
    }

    /// Resolve a page fault at `addr`. Err(signal) when the access is not allowed (or memory ran out: SIGKILL-like
    /// ENOMEM is reported as a SIGSEGV map error would be, the caller decides).
    pub fn handle_fault(
        &self,
        addr: u64,
        access: Access,
        present: bool,
    ) -> Result<(), FaultOutcome> {
        let page = addr & !(PAGE_SIZE - 1);
        let (action, prot) = {
            let mut vmas = self.vmas.lock();
            let action = vmas.classify_fault(addr, access, present, file_size);
            let prot = vmas.find(addr).map(|v| v.prot).unwrap_or(Prot::NONE);
            (action, prot)
        };
        match action {
            FaultAction::MapZero | FaultAction::GrowStack { .. } => self
                .map_zero(page, prot)
                .map_err(|_| FaultOutcome::OutOfMemory),
            FaultAction::CopyOnWrite => match paging::resolve_cow(self.pml4, addr) {
                Ok(paging::CowOutcome::Resolved) => Ok(()),
                Ok(paging::CowOutcome::NotCow) => {
                    paging::protect_user_range(self.pml4, page, page + PAGE_SIZE, flags_for(prot));
                    Ok(())
                }
                Err(_) => Err(FaultOutcome::OutOfMemory),
            },
            FaultAction::RefreshPermissions => {
                paging::protect_user_range(self.pml4, page, page + PAGE_SIZE, flags_for(prot));
                Ok(())
            }
            FaultAction::LoadFile {
                file_id, offset, ..
            } => {
                // Read the file straight into the new frame; only the part past the end of the file is cleared.
                let frame = frames::alloc_pages(0).map_err(|_| FaultOutcome::OutOfMemory)?;
                let read = crate::arch::physmem::fill_frame(frame, |page| {
                    let read = crate::fs::root::fs().and_then(|fs| {
                        fs.lock()
                            .read_at(basalt_memfs::InodeId::from_number(file_id), offset, page)
                    });
                    if let Some(rest) = page.get_mut(*read.as_ref().unwrap_or(&0)..) {
                        rest.fill(0);
                    }
                    read
                });
                if read.is_err() {
                    frames::free(frame);
                    return Err(FaultOutcome::Signal(FaultSignal::BusAdrErr));
                }
                match paging::map_page(self.pml4, page, frame, flags_for(prot)) {
                    Ok(()) => Ok(()),
                    Err(paging::MapError::AlreadyMapped) => {
                        frames::free(frame);
                        Ok(())
                    }
                    Err(_) => {
                        frames::free(frame);
                        Err(FaultOutcome::OutOfMemory)
                    }
                }
            }
            FaultAction::Signal(s) => Err(FaultOutcome::Signal(s)),
        }
    }

    pub fn mmap(&self, req: MmapRequest) -> Result<u64, Errno> {
        let shared_anonymous = req.needs_shmem_object();
        // Shared anonymous memory is allocated at once: refuse what would take more than half of free memory.
        if shared_anonymous && req.len / PAGE_SIZE > frames::free_frames() / 2 {
            return Err(Errno::ENOMEM);
        }
        let req = if shared_anonymous {
            req.with_file(basalt_vm::MmapFile::read_write(
                SHMEM_IDS.fetch_add(1, Ordering::Relaxed),
            ))
        } else {
            req
        };
        let outcome = self.vmas.lock().mmap(req)?;
        self.free_ranges(&outcome.unmapped);
        if shared_anonymous {
            // Shared anonymous memory must be the same frames in every process that inherits it: allocate it now
            // and mark it shared, so fork shares the pages instead of copying them.
            let prot = Prot::from_bits(req.prot);
            let len = req.len.next_multiple_of(PAGE_SIZE);
            let mut va = outcome.addr;
            while va < outcome.addr + len {
                let frame = match frames::alloc_zeroed() {
                    Ok(f) => f,
                    Err(_) => {
                        let _ = self.munmap(outcome.addr, len);
                        return Err(Errno::ENOMEM);
                    }
                };
                if paging::map_shared_page(self.pml4, va, frame, flags_for(prot)).is_err() {
                    frames::free(frame);
                    let _ = self.munmap(outcome.addr, len);
                    return Err(Errno::ENOMEM);
                }
                va += PAGE_SIZE;
            }
        }
        Ok(outcome.addr)
    }

    pub fn munmap(&self, addr: u64, len: u64) -> Result<(), Errno> {
        let freed = self.vmas.lock().munmap(addr, len)?;
        self.free_ranges(&freed);
        Ok(())
    }

    pub fn mprotect(&self, addr: u64, len: u64, prot: u64) -> Result<(), Errno> {
        let outcome = self.vmas.lock().mprotect(addr, len, prot);
        for (range, prot) in &outcome.done {
            paging::protect_user_range(self.pml4, range.start, range.end, flags_for(*prot));
        }
        outcome.result()
    }

    pub fn brk(&self, requested: u64) -> u64 {
        let outcome = self.vmas.lock().brk(requested);
        self.free_ranges(&outcome.freed);
        outcome.brk
    }

    pub fn mremap(
        &self,
        old: u64,
        old_len: u64,
        new_len: u64,
        flags: u64,
        new_addr: u64,
    ) -> Result<u64, Errno> {
        let outcome = self
            .vmas
            .lock()
            .mremap(old, old_len, new_len, flags, new_addr)?;
        for m in &outcome.moves {
            if m.source_kept {
                // MREMAP_DONTUNMAP: the old range stays mapped but empty; its pages move.
                paging::move_user_range(self.pml4, m.from.start, m.to, m.from.end - m.from.start)
                    .map_err(|_| Errno::ENOMEM)?;
            } else {
                paging::move_user_range(self.pml4, m.from.start, m.to, m.from.end - m.from.start)
                    .map_err(|_| Errno::ENOMEM)?;
            }
        }
        self.free_ranges(&outcome.freed);
        Ok(outcome.addr)
    }

    pub fn madvise_dontneed(&self, addr: u64, len: u64) -> Result<(), Errno> {
        let outcome = self.vmas.lock().madvise_dontneed(addr, len);
        self.free_ranges(&outcome.done);
        outcome.result()
    }

    /// For keys that must be equal in every process mapping the same memory (shared futexes): the shared object
    /// and byte offset behind `addr` when it lies in a MAP_SHARED area, None for private memory, EFAULT when nothing
    /// is mapped there.
    pub fn shared_object_at(&self, addr: u64) -> Result<Option<(u64, u64)>, Errno> {
        let vmas = self.vmas.lock();
        let vma = vmas.find(addr).ok_or(Errno::EFAULT)?;
        Ok(match (vma.sharing, vma.backing) {
            (basalt_vm::Sharing::Shared, basalt_vm::Backing::File { file_id, offset }) => {
                Some((file_id, offset + (addr - vma.start)))
            }
            _ => None,
        })
    }

    fn free_ranges(&self, ranges: &[Range<u64>]) {
        for r in ranges {
            paging::unmap_user_range(self.pml4, r.start, r.end);
        }
    }
}

impl Drop for AddressSpace {
    fn drop(&mut self) {
        paging::destroy_user_space(self.pml4);
    }
}

/// Identifiers of shared anonymous memory objects (high bit set: never an inode number).
static SHMEM_IDS: AtomicU64 = AtomicU64::new(1 << 63);

/// Size of a mapped file (for SIGBUS past its end). Shared anonymous objects have no end.
fn file_size(file_id: u64) -> u64 {
    if file_id & (1 << 63) != 0 {
        return u64::MAX;
    }
    crate::fs::root::fs()
        .and_then(|fs| fs.lock().stat(basalt_memfs::InodeId::from_number(file_id)))
        .map(|s| s.size)
        .unwrap_or(0)
}

/// Why a fault could not be resolved.
#[derive(Debug, Clone, Copy)]
pub enum FaultOutcome {
    Signal(FaultSignal),
    OutOfMemory,
}

/// The current process's address space resolves a fault at `addr` (from user mode or from the kernel's user-copy
/// routine). `error_code` is the CPU's page-fault error code.
pub fn handle_current_fault(addr: u64, error_code: u64) -> Result<(), FaultOutcome> {
    let Some(task) = crate::task::sched::current() else {
        return Err(FaultOutcome::Signal(FaultSignal::SegvMapErr));
    };
    let access = if error_code & 0x10 != 0 {
        Access::Execute
    } else if error_code & 0x2 != 0 {
        Access::Write
    } else {
        Access::Read
    };
    let mm = task.process.address_space();
    let outcome = mm.handle_fault(addr, access, error_code & 1 != 0);
    if outcome.is_ok() {
        task.cpu_time.count_fault();
    }
    outcome
}
