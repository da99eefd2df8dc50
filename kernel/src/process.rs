//! The first user program: load a static ELF from the initramfs into a fresh address space and run it in ring 3.
//! (Processes in general — fork, exec, scheduling — come with the process model; today there is exactly one.)
#![forbid(unsafe_code)]

use crate::arch::{
    cpu, idt::TrapFrame, paging, paging::MapFlags, paging::PAGE_SIZE, physmem, syscall,
};
use crate::mm::frames;
use alloc::collections::BTreeMap;
use basalt_elf_load::{self as elf, auxv::*, LoadPlan, StackArgs};
use core::fmt;
use spin::Mutex;

/// Top of the initial stack (as on Linux without ASLR: just below the end of user space).
const STACK_TOP: u64 = 0x7fff_ffff_f000;
/// Size of the initial stack mapping.
const STACK_SIZE: u64 = 256 * 1024;
/// Where a position-independent program (ET_DYN) is placed (Linux's ELF_ET_DYN_BASE without randomisation).
const PIE_BASE: u64 = 0x5555_5555_4000;

/// The running user program.
struct Process {
    pid: u32,
    name: [u8; 16],
    name_len: usize,
    pml4: u64,
}

static CURRENT: Mutex<Option<Process>> = Mutex::new(None);

/// Why a program could not be started.
#[derive(Debug)]
pub enum ExecError {
    Elf(elf::ElfError),
    Stack(elf::StackError),
    /// Dynamically linked programs need the process model's mmap and file-backed mappings.
    NeedsInterpreter,
    OutOfMemory,
    Map(paging::MapError),
}

impl fmt::Display for ExecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExecError::Elf(e) => write!(f, "bad executable: {e}"),
            ExecError::Stack(e) => write!(f, "arguments do not fit: {e}"),
            ExecError::NeedsInterpreter => {
                f.write_str("dynamically linked programs are not supported yet")
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

fn load_segments(pml4: u64, image: &[u8], plan: &LoadPlan) -> Result<(), ExecError> {
    // Neighbouring segments may share a page: give every page the union of the permissions of its segments.
    let mut pages: BTreeMap<u64, MapFlags> = BTreeMap::new();
    for seg in &plan.segments {
        let mut va = seg.vaddr & !(PAGE_SIZE - 1);
        while va < seg.vaddr + seg.mem_size {
            let f = pages.entry(va).or_insert(MapFlags {
                writable: false,
                executable: false,
                user: true,
                uncached: false,
            });
            f.writable |= seg.writable;
            f.executable |= seg.executable;
            va += PAGE_SIZE;
        }
    }
    for (&va, &flags) in &pages {
        map_zeroed(pml4, va, va + PAGE_SIZE, flags)?;
    }
    for seg in &plan.segments {
        let start = seg.file_offset as usize;
        let data = image
            .get(start..start + seg.file_size as usize)
            .ok_or(ExecError::OutOfMemory)?;
        fill(pml4, seg.vaddr, data)?;
    }
    Ok(())
}

fn auxv(plan: &LoadPlan) -> [(u64, u64); 13] {
    let (_, _, _, hwcap) = cpu::cpuid(1, 0);
    [
        (AT_PHDR, plan.phdr_vaddr.unwrap_or(0)),
        (AT_PHENT, plan.phent as u64),
        (AT_PHNUM, plan.phnum as u64),
        (AT_PAGESZ, PAGE_SIZE),
        (AT_BASE, 0),
        (AT_FLAGS, 0),
        (AT_ENTRY, plan.entry),
        (AT_UID, 0),
        (AT_EUID, 0),
        (AT_GID, 0),
        (AT_EGID, 0),
        (AT_HWCAP, hwcap as u64),
        (AT_CLKTCK, 100),
    ]
}

/// Load `image` as PID 1 and enter it. Returns only on failure (the address space is then freed).
pub fn exec_init(path: &str, image: &[u8], argv: &[&[u8]], envp: &[&[u8]]) -> ExecError {
    match prepare(path, image, argv, envp) {
        Ok(frame) => {
            log::info!("Run {path} as init process");
            crate::boot_time::report_init_start(path);
            syscall::enter_user(frame)
        }
        Err(e) => e,
    }
}

fn prepare(
    path: &str,
    image: &[u8],
    argv: &[&[u8]],
    envp: &[&[u8]],
) -> Result<TrapFrame, ExecError> {
    let plan = elf::plan(image, PIE_BASE, paging::USER_END - PAGE_SIZE).map_err(ExecError::Elf)?;
    if plan.interpreter.is_some() {
        return Err(ExecError::NeedsInterpreter);
    }
    let pml4 = paging::new_user_pml4()?;
    let result = (|| {
        load_segments(pml4, image, &plan)?;
        let aux = auxv(&plan);
        let args = StackArgs {
            argv,
            envp,
            auxv: &aux,
            random: cpu::random_bytes(),
            execfn: path.as_bytes(),
            platform: b"x86_64",
        };
        let stack = elf::build_stack(STACK_TOP, &args, (STACK_SIZE / 2) as usize)
            .map_err(ExecError::Stack)?;
        let stack_flags = MapFlags {
            writable: true,
            executable: plan.executable_stack,
            user: true,
            uncached: false,
        };
        map_zeroed(pml4, STACK_TOP - STACK_SIZE, STACK_TOP, stack_flags)?;
        fill(pml4, stack.sp, &stack.bytes)?;
        Ok::<_, ExecError>((plan.entry, stack.sp))
    })();
    let (entry, sp) = match result {
        Ok(v) => v,
        Err(e) => {
            paging::destroy_user_space(pml4);
            return Err(e);
        }
    };

    let mut name = [0u8; 16];
    let base = path.rsplit('/').next().unwrap_or(path).as_bytes();
    let name_len = base.len().min(15);
    name[..name_len].copy_from_slice(&base[..name_len]);
    *CURRENT.lock() = Some(Process {
        pid: 1,
        name,
        name_len,
        pml4,
    });

    paging::activate(pml4);
    cpu::init_fpu();
    Ok(TrapFrame {
        rip: entry,
        rsp: sp,
        rflags: 0x202,
        ..TrapFrame::default()
    })
}

/// PID of the running program.
pub fn current_pid() -> u32 {
    CURRENT.lock().as_ref().map(|p| p.pid).unwrap_or(0)
}

fn current_name() -> ([u8; 16], usize) {
    CURRENT
        .lock()
        .as_ref()
        .map(|p| (p.name, p.name_len))
        .unwrap_or(([0; 16], 0))
}

/// Linux's `si_signo` numbers for the signals exceptions raise.
const SIGILL: i32 = 4;
const SIGTRAP: i32 = 5;
const SIGBUS: i32 = 7;
const SIGFPE: i32 = 8;
const SIGSEGV: i32 = 11;

/// The program ended (exit_group, or killed by `signal`). With only init running this is fatal, as on Linux.
pub fn exit_current(status: i32, signal: Option<i32>) -> ! {
    let pid = current_pid();
    let code = match signal {
        Some(sig) => sig,
        None => (status & 0xff) << 8,
    };
    if let Some(p) = CURRENT.lock().as_ref() {
        log::debug!(
            "process {} exits; address space at {:#x} stays until the process model frees it",
            p.pid,
            p.pml4
        );
    }
    if pid == 1 {
        panic!("Attempted to kill init! exitcode={code:#010x}");
    }
    panic!("process {pid} exited with {code:#x} and nothing else can run yet");
}

/// An exception in user mode: log it like Linux and end the program with the matching signal.
pub fn user_exception(frame: &TrapFrame, cr2: u64) {
    let (name, len) = current_name();
    let comm = core::str::from_utf8(&name[..len]).unwrap_or("?");
    let pid = current_pid();
    let signal = match frame.vector {
        0 | 16 | 19 => SIGFPE,
        1 | 3 | 4 => SIGTRAP,
        6 => SIGILL,
        17 => SIGBUS,
        _ => SIGSEGV,
    };
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
    exit_current(0, Some(signal));
}
