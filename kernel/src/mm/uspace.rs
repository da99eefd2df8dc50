//! A user address space: its page tables and its memory areas (basalt-vm), demand paging, copy-on-write, and the
//! memory-management system calls' effect on the page tables.
#![forbid(unsafe_code)]

use crate::arch::paging::{self, MapFlags, PAGE_SIZE};
use crate::mm::frames::{self, OutOfMemory};
use crate::mm::{pageref, shared_pages};
use alloc::collections::BTreeSet;
use basalt_linux_abi::mman::{MAP_SHARED, MAP_SHARED_VALIDATE, MAP_TYPE};
use basalt_linux_abi::Errno;
use basalt_vm::{
    Access, AddressSpaceLayout, FaultAction, FaultSignal, MmapRequest, Prot, Sharing, Vma, VmaKind,
    Vmas,
};
use core::ops::Range;
use spin::Mutex;

/// One process's user memory. Dropping it frees every page it maps that no other address space shares.
pub struct AddressSpace {
    pml4: u64,
    vmas: Mutex<Vmas>,
    /// The shared objects (`mm::shared_pages`) some area maps: this address space is one of their users.
    shared: Mutex<BTreeSet<u64>>,
}

// Not used yet: shared futexes (task/futex.rs) key on it.
#[allow(dead_code)]
/// Where a user address lies, for keying a futex: in a shared object (the same in every process mapping it), or
/// in this address space's private memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum MemoryLocation {
    /// Byte `offset` of shared object `object` (a MAP_SHARED file or shared anonymous memory).
    Shared { object: u64, offset: u64 },
    /// Private memory (or nothing mapped): the address itself, meaningful within this address space only.
    Private { addr: u64 },
}

fn flags_for(prot: Prot) -> MapFlags {
    MapFlags {
        writable: prot.write,
        executable: prot.exec,
        user: true,
        uncached: false,
    }
}

/// What /proc/<pid>/stat and status report of an address space.
#[derive(Clone, Copy, Debug, Default)]
pub struct MemoryUsage {
    /// Bytes of all areas.
    pub size: u64,
    /// Pages present in the page tables.
    pub resident_pages: u64,
    /// Bytes of the stack area and of writable private areas other than the stack (`VmStk`, `VmData`).
    pub stack: u64,
    pub data: u64,
    /// Bytes of executable file mappings (`VmExe`, approximately: the program and libraries).
    pub exec: u64,
    /// Where the program break started.
    pub brk_start: u64,
    /// The lowest address of the stack area.
    pub stack_start: u64,
}

impl AddressSpace {
    /// `/proc/<pid>/maps`: `identify` names the file behind a `file_id`.
    pub fn format_maps(
        &self,
        identify: impl Fn(u64) -> Option<basalt_vm::FileIdentity>,
    ) -> alloc::string::String {
        self.vmas.lock().format_maps(identify)
    }

    /// Sizes of the areas and the pages present (counted in the page tables, up to a bound per area).
    pub fn usage(&self) -> MemoryUsage {
        let vmas = self.vmas.lock();
        let mut usage = MemoryUsage {
            brk_start: vmas.layout().brk_start,
            ..MemoryUsage::default()
        };
        for vma in vmas.iter() {
            let len = vma.end - vma.start;
            usage.size += len;
            if vma.kind == VmaKind::Stack {
                usage.stack += len;
                usage.stack_start = vma.start;
            } else if vma.prot.write && vma.sharing != Sharing::Shared {
                usage.data += len;
            } else if vma.prot.exec {
                usage.exec += len;
            }
            // Bounded so that reading /proc of a process with huge sparse mappings stays cheap.
            let pages = (len / PAGE_SIZE).min(1 << 16);
            usage.resident_pages += (0..pages)
                .filter(|i| paging::translate(self.pml4, vma.start + i * PAGE_SIZE).is_some())
                .count() as u64;
        }
        usage
    }

    /// An empty user half (a process before its first exec).
    pub fn new() -> Result<Self, OutOfMemory> {
        Self::with_layout(AddressSpaceLayout::linux_x86_64(PAGE_SIZE * 16))
    }

    /// An empty user half whose heap starts at `brk_start`.
    pub fn with_layout(layout: AddressSpaceLayout) -> Result<Self, OutOfMemory> {
        Ok(AddressSpace {
            pml4: paging::new_user_pml4()?,
            vmas: Mutex::new(Vmas::new(layout)),
            shared: Mutex::new(BTreeSet::new()),
        })
    }

    /// A copy-on-write duplicate (fork).
    pub fn fork(&self) -> Result<Self, OutOfMemory> {
        // Copy the areas first and let go of the lock: copying the page tables shoots down other CPUs' TLBs, and a
        // CPU spinning on this lock with interrupts off could never answer.
        let vmas = self.vmas.lock().fork_copy();
        let pml4 = paging::fork_user_space(self.pml4)?;
        // The child maps the same shared objects; they exist (the parent uses them), so attaching cannot fail.
        let shared = self.shared.lock().clone();
        for &object in &shared {
            let _ = shared_pages::attach(object);
        }
        Ok(AddressSpace {
            pml4,
            vmas: Mutex::new(vmas),
            shared: Mutex::new(shared),
        })
    }

    /// Take the limits of `rlimits` that shape the address space (RLIMIT_STACK, RLIMIT_AS).
    pub fn apply_rlimits(&self, rlimits: &basalt_rlimit::Rlimits) {
        use basalt_rlimit::Resource;
        let mut vmas = self.vmas.lock();
        vmas.set_stack_limit(rlimits.soft(Resource::STACK));
        vmas.set_address_space_limit(rlimits.soft(Resource::AS));
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
        self.install_private(page, frame, prot)
            .map_err(|_| Errno::ENOMEM)
    }

    /// Map the fresh private `frame` at `page`, or free it: when another thread mapped the page first (which is
    /// fine), or when a page table cannot be allocated (out of memory).
    fn install_private(&self, page: u64, frame: u64, prot: Prot) -> Result<(), FaultOutcome> {
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

    /// Resolve a page fault at `addr`. Err(signal) when the access is not allowed (or memory ran out: SIGKILL-like
    /// ENOMEM is reported as a SIGSEGV map error would be, the caller decides).
    pub fn handle_fault(
        &self,
        addr: u64,
        access: Access,
        present: bool,
    ) -> Result<(), FaultOutcome> {
        let page = addr & !(PAGE_SIZE - 1);
        let (action, prot, sharing) = {
            let mut vmas = self.vmas.lock();
            let action = vmas.classify_fault(addr, access, present, file_size);
            let (prot, sharing) = vmas
                .find(addr)
                .map(|v| (v.prot, v.sharing))
                .unwrap_or((Prot::NONE, Sharing::Private));
            (action, prot, sharing)
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
            } if sharing == Sharing::Shared => self.map_object_page(page, prot, file_id, offset),
            FaultAction::LoadFile {
                file_id, offset, ..
            } => self.map_file_copy(page, prot, file_id, offset),
            FaultAction::Signal(s) => Err(FaultOutcome::Signal(s)),
        }
    }

    /// Map the shared object's own page (MAP_SHARED): every mapping sees the same bytes.
    fn map_object_page(
        &self,
        page: u64,
        prot: Prot,
        object: u64,
        offset: u64,
    ) -> Result<(), FaultOutcome> {
        let frame = shared_pages::get_page(object, offset / PAGE_SIZE).map_err(|e| match e {
            shared_pages::PageError::OutOfMemory => FaultOutcome::OutOfMemory,
            shared_pages::PageError::Unavailable => FaultOutcome::Signal(FaultSignal::BusAdrErr),
        })?;
        match paging::map_shared_page(self.pml4, page, frame, flags_for(prot)) {
            Ok(()) => Ok(()),
            // Another thread mapped it first: give our reference back.
            Err(e) => {
                if pageref::unshare(frame) {
                    frames::free(frame);
                }
                if e == paging::MapError::AlreadyMapped {
                    Ok(())
                } else {
                    Err(FaultOutcome::OutOfMemory)
                }
            }
        }
    }

    /// Map a private copy of a file page (MAP_PRIVATE), as the file reads now (mapped pages included).
    fn map_file_copy(
        &self,
        page: u64,
        prot: Prot,
        file_id: u64,
        offset: u64,
    ) -> Result<(), FaultOutcome> {
        // Read the file straight into the new frame; only the part past the end of the file is cleared.
        let frame = frames::alloc_pages(0).map_err(|_| FaultOutcome::OutOfMemory)?;
        let ino = basalt_memfs::InodeId::from_number(file_id);
        let read = crate::arch::physmem::fill_frame(frame, |page| {
            let read = shared_pages::read_file(ino, offset, page);
            if let Some(rest) = page.get_mut(*read.as_ref().unwrap_or(&0)..) {
                rest.fill(0);
            }
            read
        });
        if read.is_err() {
            frames::free(frame);
            return Err(FaultOutcome::Signal(FaultSignal::BusAdrErr));
        }
        self.install_private(page, frame, prot)
    }

    pub fn mmap(&self, req: MmapRequest) -> Result<u64, Errno> {
        let shared_anonymous = req.needs_shmem_object();
        // Linux accounts shared anonymous memory in full at mmap time: refuse what could never fit (more than half
        // of free memory, a stand-in for the overcommit heuristic).
        if shared_anonymous && req.len / PAGE_SIZE > frames::free_frames() / 2 {
            return Err(Errno::ENOMEM);
        }
        let req = if shared_anonymous {
            req.with_file(basalt_vm::MmapFile::read_write(
                shared_pages::new_anonymous_id(),
            ))
        } else {
            req
        };
        // Use the object before its area exists, so no fault on the area can find it missing.
        let object = req
            .file
            .filter(|_| matches!(req.flags & MAP_TYPE, MAP_SHARED | MAP_SHARED_VALIDATE))
            .map(|f| f.file_id);
        if let Some(object) = object {
            self.use_object(object)?;
        }
        let outcome = self.vmas.lock().mmap(req);
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(e) => {
                self.forget_unmapped_objects();
                return Err(e);
            }
        };
        self.free_ranges(&outcome.unmapped);
        self.forget_unmapped_objects();
        Ok(outcome.addr)
    }

    /// Become a user of shared object `object` (once per address space).
    fn use_object(&self, object: u64) -> Result<(), Errno> {
        let mut shared = self.shared.lock();
        if !shared.contains(&object) {
            shared_pages::attach(object)?;
            shared.insert(object);
        }
        Ok(())
    }

    /// Stop using the shared objects no area maps any more (after areas were removed or replaced).
    fn forget_unmapped_objects(&self) {
        let gone: alloc::vec::Vec<u64> = {
            let mut shared = self.shared.lock();
            if shared.is_empty() {
                return;
            }
            let still = self.vmas.lock().shared_objects();
            let gone = shared.difference(&still).copied().collect();
            shared.retain(|o| still.contains(o));
            gone
        };
        for object in gone {
            shared_pages::detach(object);
        }
    }

    /// Where `addr` lies: in a shared object or in private memory (the key of a futex there).
    #[allow(dead_code)]
    pub fn locate(&self, addr: u64) -> MemoryLocation {
        match self.vmas.lock().shared_location(addr) {
            Some((object, offset)) => MemoryLocation::Shared { object, offset },
            None => MemoryLocation::Private { addr },
        }
    }

    /// msync: write the shared file pages of the range back (MS_SYNC), after Linux's checks.
    pub fn msync(&self, addr: u64, len: u64, flags: u64) -> Result<(), Errno> {
        let outcome = self.vmas.lock().msync(addr, len, flags);
        for &object in &outcome.done {
            shared_pages::sync(object);
        }
        outcome.result()
    }

    pub fn munmap(&self, addr: u64, len: u64) -> Result<(), Errno> {
        let freed = self.vmas.lock().munmap(addr, len)?;
        self.free_ranges(&freed);
        self.forget_unmapped_objects();
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
        self.forget_unmapped_objects();
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
        // What the destination replaced (or a shrink cut off) goes first, so moved pages land in empty slots.
        self.free_ranges(&outcome.freed);
        for m in &outcome.moves {
            // With MREMAP_DONTUNMAP the old range stays mapped but empty: its pages move all the same.
            paging::move_user_range(self.pml4, m.from.start, m.to, m.from.end - m.from.start)
                .map_err(|_| Errno::ENOMEM)?;
        }
        self.forget_unmapped_objects();
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
        // The last reference usually goes in the scheduler, with interrupts off: writing a file back there could
        // wait on a lock whose holder waits for this CPU.
        let now = x86_64::instructions::interrupts::are_enabled();
        for &object in self.shared.get_mut().iter() {
            if now {
                shared_pages::detach(object);
            } else {
                shared_pages::detach_later(object);
            }
        }
    }
}

/// Size of a mapped file (for SIGBUS past its end). Shared anonymous objects have no end.
fn file_size(file_id: u64) -> u64 {
    if shared_pages::is_anonymous(file_id) {
        return u64::MAX;
    }
    let ino = basalt_memfs::InodeId::from_number(file_id);
    crate::fs::root::fs_of(ino)
        .and_then(|fs| fs.lock().stat(ino))
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
