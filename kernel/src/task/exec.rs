//! Loading a program: a static ELF from the initramfs into a fresh address space, with the initial stack Linux
//! programs expect (argv, envp, auxiliary vector).
#![forbid(unsafe_code)]

use crate::arch::{cpu, idt::TrapFrame, paging, paging::MapFlags, paging::PAGE_SIZE, physmem};
use crate::mm::frames;
use crate::mm::uspace::AddressSpace;
use alloc::vec::Vec;
use basalt_elf_load::{self as elf, auxv::*, LoadPlan, StackArgs};
use basalt_linux_abi::Errno;
use basalt_memfs::InodeId;
use core::fmt;

/// Top of the initial stack (as on Linux without ASLR: just below the end of user space).
const STACK_TOP: u64 = 0x7fff_ffff_f000;
/// Size of the initial stack mapping.
const STACK_SIZE: u64 = 256 * 1024;
/// Where a position-independent program (ET_DYN) is placed (Linux's ELF_ET_DYN_BASE without randomisation).
const PIE_BASE: u64 = 0x5555_5555_4000;

/// Why a program could not be started.
#[derive(Debug)]
pub enum ExecError {
    Elf(elf::ElfError),
    Stack(elf::StackError),
    /// The interpreter (PT_INTERP) is missing or itself asks for an interpreter.
    NeedsInterpreter,
    OutOfMemory,
    Map(paging::MapError),
}

impl ExecError {
    /// The errno execve reports for this error.
    pub fn errno(&self) -> basalt_linux_abi::Errno {
        use basalt_linux_abi::Errno;
        match self {
            ExecError::Elf(_) | ExecError::NeedsInterpreter => Errno::ENOEXEC,
            ExecError::Stack(_) => Errno::E2BIG,
            ExecError::OutOfMemory | ExecError::Map(_) => Errno::ENOMEM,
        }
    }
}

impl fmt::Display for ExecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExecError::Elf(e) => write!(f, "bad executable: {e}"),
            ExecError::Stack(e) => write!(f, "arguments do not fit: {e}"),
            ExecError::NeedsInterpreter => {
                f.write_str("its ELF interpreter is missing or unusable")
            }
            ExecError::OutOfMemory => f.write_str("out of memory"),
            ExecError::Map(e) => write!(f, "mapping failed: {e:?}"),
        }
    }
}

impl From<frames::OutOfMemory> for ExecError {
    fn from(_: frames::OutOfMemory) -> Self {
        ExecError::OutOfMemory
    }
}

impl From<paging::MapError> for ExecError {
    fn from(e: paging::MapError) -> Self {
        match e {
            paging::MapError::OutOfMemory => ExecError::OutOfMemory,
            other => ExecError::Map(other),
        }
    }
}

/// Copy `bytes` into user memory of `pml4` at `addr` through the direct map (the pages are mapped already).
fn fill(pml4: u64, mut addr: u64, mut bytes: &[u8]) -> Result<(), ExecError> {
    while !bytes.is_empty() {
        let (phys, _) =
            paging::translate(pml4, addr).ok_or(ExecError::Map(paging::MapError::BadAddress))?;
        let room = (PAGE_SIZE - addr % PAGE_SIZE) as usize;
        let n = room.min(bytes.len());
        physmem::write(phys, &bytes[..n]);
        addr += n as u64;
        bytes = &bytes[n..];
    }
    Ok(())
}

/// Map zeroed pages for `[start, end)` with `flags`.
fn map_zeroed(pml4: u64, start: u64, end: u64, flags: MapFlags) -> Result<(), ExecError> {
    let mut va = start & !(PAGE_SIZE - 1);
    while va < end {
        let frame = frames::alloc_zeroed()?;
        if let Err(e) = paging::map_page(pml4, va, frame, flags) {
            frames::free(frame);
            return Err(e.into());
        }
        va += PAGE_SIZE;
    }
    Ok(())
}

/// An executable file as exec sees it: its first bytes (the `#!` line, or the ELF and program headers) and its
/// length. Segments are mapped from the file and paged in on demand, as Linux does, so exec never reads the
/// whole program.
pub struct ExecFile {
    pub ino: InodeId,
    pub head: Vec<u8>,
    pub len: u64,
}

/// How much of a file exec reads up front: the headers of every ordinary ELF file lie in its first page.
const EXEC_HEAD_BYTES: usize = 4096;

impl ExecFile {
    pub fn open(ino: InodeId) -> Result<ExecFile, Errno> {
        let (head, len) = crate::fs::root::read_head(ino, EXEC_HEAD_BYTES)?;
        Ok(ExecFile { ino, head, len })
    }

    /// The load plan at `bias`; reads the rest of the file only when the headers lie beyond its first page.
    fn plan(&mut self, bias: u64) -> Result<LoadPlan, ExecError> {
        let user_end = paging::USER_END - PAGE_SIZE;
        match elf::plan_from_head(&self.head, self.len, bias, user_end) {
            Err(e) if e.needs_more_of_file() && (self.head.len() as u64) < self.len => {
                self.head =
                    crate::fs::root::read_whole(self.ino).map_err(|_| ExecError::OutOfMemory)?;
                self.len = self.head.len() as u64;
                elf::plan_from_head(&self.head, self.len, bias, user_end).map_err(ExecError::Elf)
            }
            other => other.map_err(ExecError::Elf),
        }
    }
}

/// Map every PT_LOAD segment like Linux's ELF loader: the file's pages as a private file mapping, the bss beyond
/// them as anonymous memory, and the part of the last file page past the segment's file bytes cleared.
fn map_segments(mm: &AddressSpace, file: &ExecFile, plan: &LoadPlan) -> Result<(), ExecError> {
    use basalt_linux_abi::mman::{MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE};
    let mapped_file = basalt_vm::MmapFile {
        file_id: file.ino.number(),
        readable: true,
        writable: false,
        noexec: false,
    };
    for seg in &plan.segments {
        let prot = basalt_vm::Prot::new(seg.readable, seg.writable, seg.executable).bits();
        let page_start = seg.vaddr & !(PAGE_SIZE - 1);
        let file_end = seg.vaddr + seg.file_size;
        let file_pages_end = if seg.file_size > 0 {
            file_end.next_multiple_of(PAGE_SIZE)
        } else {
            page_start
        };
        let mem_end = (seg.vaddr + seg.mem_size).next_multiple_of(PAGE_SIZE);
        if file_pages_end > page_start {
            // p_vaddr and p_offset are congruent modulo the page size (checked by the plan).
            let offset = seg.file_offset - (seg.vaddr - page_start);
            let request = basalt_vm::MmapRequest::new(
                page_start,
                file_pages_end - page_start,
                prot,
                MAP_PRIVATE | MAP_FIXED,
                offset,
            );
            mm.mmap(request.with_file(mapped_file))
                .map_err(|_| ExecError::OutOfMemory)?;
        }
        if mem_end > file_pages_end {
            let request = basalt_vm::MmapRequest::new(
                file_pages_end,
                mem_end - file_pages_end,
                prot,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                0,
            );
            mm.mmap(request).map_err(|_| ExecError::OutOfMemory)?;
        }
        if seg.mem_size > seg.file_size && seg.file_size > 0 && file_end % PAGE_SIZE != 0 {
            clear_after_file_bytes(mm.pml4(), file, seg, file_end)?;
        }
    }
    Ok(())
}

/// The bss of a segment starts inside its last file page: give that page its file bytes and zeros after them
/// (the rest of the file page belongs to whatever follows in the file).
fn clear_after_file_bytes(
    pml4: u64,
    file: &ExecFile,
    seg: &elf::Segment,
    file_end: u64,
) -> Result<(), ExecError> {
    let page = file_end & !(PAGE_SIZE - 1);
    let flags = MapFlags {
        writable: seg.writable,
        executable: seg.executable,
        user: true,
        uncached: false,
    };
    map_zeroed(pml4, page, page + PAGE_SIZE, flags)?;
    let mut bytes = alloc::vec![0u8; (file_end - page) as usize];
    // The file offset of `page` (p_offset and p_vaddr are congruent, so this never goes below zero).
    let offset = (seg.file_offset + page)
        .checked_sub(seg.vaddr)
        .ok_or(ExecError::Map(paging::MapError::BadAddress))?;
    crate::fs::root::fs_of(file.ino)
        .and_then(|fs| fs.lock().read_at(file.ino, offset, &mut bytes))
        .map_err(|_| ExecError::OutOfMemory)?;
    fill(pml4, page, &bytes)
}

fn auxv(plan: &LoadPlan) -> [(u64, u64); 15] {
    let (_, _, _, hwcap) = cpu::cpuid(1, 0);
    let creds = super::cred::current();
    [
        (
            AT_MINSIGSTKSZ,
            crate::arch::fpu::format().min_signal_stack(),
        ),
        (AT_PHDR, plan.phdr_vaddr.unwrap_or(0)),
        (AT_PHENT, plan.phent as u64),
        (AT_PHNUM, plan.phnum as u64),
        (AT_PAGESZ, PAGE_SIZE),
        (AT_BASE, 0),
        (AT_FLAGS, 0),
        (AT_ENTRY, plan.entry),
        (AT_UID, creds.uid.into()),
        (AT_EUID, creds.euid.into()),
        (AT_GID, creds.gid.into()),
        (AT_EGID, creds.egid.into()),
        // Linux's secureexec without set-id files: the program runs with effective ids other than its real ones.
        (
            AT_SECURE,
            u64::from(creds.euid != creds.uid || creds.egid != creds.gid),
        ),
        (AT_HWCAP, hwcap as u64),
        (AT_CLKTCK, 100),
    ]
}

/// Load the ELF interpreter named by PT_INTERP into `mm`; returns (its entry point, its load address).
fn load_interpreter(mm: &AddressSpace, path: &str) -> Result<(u64, u64), ExecError> {
    let ino = crate::fs::root::resolve_absolute(path.as_bytes())
        .map_err(|_| ExecError::NeedsInterpreter)?;
    let mut file = ExecFile::open(ino).map_err(|_| ExecError::OutOfMemory)?;
    // Plan once at a trial address (page 0 is never mappable) to learn the span of the image.
    const TRIAL_BIAS: u64 = 0x1000_0000;
    let probe = file.plan(TRIAL_BIAS)?;
    if probe.interpreter.is_some() {
        return Err(ExecError::NeedsInterpreter);
    }
    let lowest = probe
        .segments
        .iter()
        .map(|s| s.vaddr & !(PAGE_SIZE - 1))
        .min()
        .unwrap_or(TRIAL_BIAS);
    let span = probe.highest_address.saturating_sub(lowest);
    let lowest = lowest - TRIAL_BIAS;
    // Let the area rules pick a free range (top-down below mmap_base), then load there.
    const PROT_NONE: u64 = 0;
    const MAP_PRIVATE_ANONYMOUS: u64 = 0x02 | 0x20;
    let base = mm
        .mmap(basalt_vm::MmapRequest::new(
            0,
            span,
            PROT_NONE,
            MAP_PRIVATE_ANONYMOUS,
            0,
        ))
        .map_err(|_| ExecError::OutOfMemory)?;
    mm.munmap(base, span).map_err(|_| ExecError::OutOfMemory)?;
    let bias = base - lowest;
    let plan = file.plan(bias)?;
    map_segments(mm, &file, &plan)?;
    Ok((plan.entry, base))
}

/// A loaded program: its address space and the registers to start it with.
pub struct Loaded {
    pub mm: AddressSpace,
    pub frame: TrapFrame,
}

/// Build a new address space holding the program in `file` and its initial stack.
pub fn load(
    path: &str,
    mut file: ExecFile,
    argv: &[&[u8]],
    envp: &[&[u8]],
) -> Result<Loaded, ExecError> {
    let plan = file.plan(PIE_BASE)?;
    let mm = AddressSpace::with_layout(basalt_vm::AddressSpaceLayout::linux_x86_64(
        plan.highest_address,
    ))?;
    let pml4 = mm.pml4();
    map_segments(&mm, &file, &plan)?;
    // A dynamically linked program starts in its interpreter (ld.so), loaded where mmap would place it.
    let (start, interp_base) = match &plan.interpreter {
        Some(interp) => load_interpreter(&mm, interp)?,
        None => (plan.entry, 0),
    };
    let mut aux = auxv(&plan);
    for entry in aux.iter_mut().filter(|e| e.0 == AT_BASE) {
        entry.1 = interp_base;
    }
    let args = StackArgs {
        argv,
        envp,
        auxv: &aux,
        random: cpu::random_bytes(),
        execfn: path.as_bytes(),
        platform: b"x86_64",
    };
    let stack =
        elf::build_stack(STACK_TOP, &args, (STACK_SIZE / 2) as usize).map_err(ExecError::Stack)?;
    let stack_flags = MapFlags {
        writable: true,
        executable: plan.executable_stack,
        user: true,
        uncached: false,
    };
    // Only the pages the initial stack image needs are mapped now; the rest of the area is demand-zero.
    map_zeroed(pml4, stack.sp & !(PAGE_SIZE - 1), STACK_TOP, stack_flags)?;
    let stack_prot = basalt_vm::Prot::new(true, true, plan.executable_stack);
    mm.add_area(
        STACK_TOP - STACK_SIZE..STACK_TOP,
        stack_prot,
        basalt_vm::VmaKind::Stack,
        true,
    )
    .map_err(|_| ExecError::Map(paging::MapError::AlreadyMapped))?;
    fill(pml4, stack.sp, &stack.bytes)?;
    Ok(Loaded {
        mm,
        frame: TrapFrame {
            rip: start,
            rsp: stack.sp,
            rflags: 0x202,
            ..TrapFrame::default()
        },
    })
}

/// An exception in user mode that nothing could resolve: log it like Linux and end the process with the matching
/// signal (delivered to a handler once signals exist).
pub fn user_exception(frame: &TrapFrame, cr2: u64) {
    let mut fault_signal = None;
    if frame.vector == 14 {
        match crate::mm::uspace::handle_current_fault(cr2, frame.error_code) {
            Ok(()) => return,
            Err(crate::mm::uspace::FaultOutcome::OutOfMemory) => {
                log::warn!("out of memory resolving a page fault; killing the process");
                super::process::kill_current(SIGKILL, false);
            }
            Err(crate::mm::uspace::FaultOutcome::Signal(s)) => fault_signal = Some(s),
        }
    }
    use basalt_signal::code;
    let (signal, si_code, addr) = match frame.vector {
        0 => (SIGFPE, code::FPE_INTDIV, frame.rip),
        16 | 19 => (SIGFPE, code::SI_KERNEL, frame.rip),
        1 | 3 | 4 => (SIGTRAP, code::SI_KERNEL, 0),
        6 => (SIGILL, code::ILL_ILLOPN, frame.rip),
        17 => (SIGBUS, code::BUS_ADRALN, cr2),
        14 => match fault_signal {
            Some(basalt_vm::FaultSignal::BusAdrErr) => (SIGBUS, code::BUS_ADRERR, cr2),
            Some(s) => (SIGSEGV, s.si_code(), cr2),
            None => (SIGSEGV, code::SEGV_MAPERR, cr2),
        },
        _ => (SIGSEGV, code::SI_KERNEL, 0),
    };
    let Some(task) = super::sched::current() else {
        return;
    };
    let handled =
        task.process.signals.lock().handlers.get(signal).handler != basalt_signal::Handler::Default;
    if !handled {
        // Logged like Linux's show_signal_msg for unhandled faults.
        let comm = task.process.name_string();
        let pid = task.process.pid;
        if frame.vector == 14 {
            log::info!(
                "{comm}[{pid}]: segfault at {cr2:x} ip {:016x} sp {:016x} error {:x}",
                frame.rip,
                frame.rsp,
                frame.error_code
            );
        } else {
            log::info!(
                "traps: {comm}[{pid}] {} ip:{:x} sp:{:x} error:{:x}",
                crate::arch::traps::exception_name(frame.vector),
                frame.rip,
                frame.rsp,
                frame.error_code
            );
        }
    }
    super::signal::force_fault(&task, basalt_signal::SigInfo::fault(signal, si_code, addr));
}

use basalt_signal::{SIGBUS, SIGFPE, SIGILL, SIGSEGV, SIGTRAP};
const SIGKILL: i32 = 9;
