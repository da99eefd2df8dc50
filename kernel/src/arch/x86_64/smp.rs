//! Starting the other CPUs: a real-mode trampoline copied below 1 MiB, INIT-SIPI-SIPI, and the Rust entry of an
//! application processor.

use super::{apic, boot, cpu, paging};
use core::arch::global_asm;
use core::sync::atomic::{AtomicBool, Ordering};

/// Physical page the trampoline is copied to (SIPI vector 0x08). The frame allocator never hands out the first
/// MiB, so it is free.
pub const TRAMPOLINE_PHYS: u64 = 0x8000;
const AP_STACK_ORDER: usize = 2; // 16 KiB

global_asm!(
    r#"
    .section .ap_trampoline, "a"
    .set TRAMP, 0x8000
    /* Fixed layout: the data block sits at the start so the code can address it with plain numbers. */
    .code16
    .global ap_tramp_start
ap_tramp_start:
    jmp ap_real_start
    .balign 8
    /* +8: TrampolineData (cr3, efer bits, stack, entry, index) */
    .skip 32
    /* +40: GDT pointer */
    .short 31
    .long TRAMP + 48
    .balign 8
    /* +48: GDT: null, 32-bit code 0x08, data 0x10, 64-bit code 0x18 */
    .quad 0
    .quad 0x00cf9a000000ffff
    .quad 0x00cf92000000ffff
    .quad 0x00af9a000000ffff
ap_real_start:
    cli
    cld
    xor ax, ax
    mov ds, ax
    lgdt [TRAMP + 40]
    mov eax, cr0
    or eax, 1
    mov cr0, eax
    /* far jump to 32-bit protected mode: ptr16:32 (operand-size prefix) */
    .byte 0x66, 0xea
    .long TRAMP + (ap_pm32 - ap_tramp_start)
    .short 0x08

    .code32
ap_pm32:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, cr4
    or eax, 1 << 5
    mov cr4, eax
    mov eax, [TRAMP + 8]
    mov cr3, eax
    mov ecx, 0xc0000080
    rdmsr
    or eax, [TRAMP + 12]
    wrmsr
    mov eax, cr0
    or eax, 0x80010001
    mov cr0, eax
    .byte 0xea
    .long TRAMP + (ap_lm64 - ap_tramp_start)
    .short 0x18

    .code64
ap_lm64:
    xor eax, eax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov rsp, qword ptr [TRAMP + 16]
    mov rsi, rsp
    mov edi, dword ptr [TRAMP + 32]
    mov rax, qword ptr [TRAMP + 24]
    xor ebp, ebp
    call rax
1:  hlt
    jmp 1b
    .global ap_tramp_end
ap_tramp_end:
    .code64
    "#
);

extern "C" {
    static ap_tramp_start: u8;
    static ap_tramp_end: u8;
}

/// The data block at the end of the trampoline, filled in for each AP.
#[repr(C)]
struct TrampolineData {
    cr3: u32,
    efer_bits: u32,
    stack: u64,
    entry: u64,
    index: u32,
    _pad: u32,
}

static AP_STARTED: AtomicBool = AtomicBool::new(false);

/// Offset of [`TrampolineData`] in the trampoline (fixed by the assembly above).
const DATA_OFFSET: usize = 8;

fn trampoline_bytes() -> (&'static [u8], usize) {
    // SAFETY: the two labels delimit the trampoline in the read-only image.
    unsafe {
        let start = &ap_tramp_start as *const u8;
        let end = &ap_tramp_end as *const u8;
        (
            core::slice::from_raw_parts(start, end as usize - start as usize),
            DATA_OFFSET,
        )
    }
}

/// Start every application processor in `apic_ids` (the boot CPU's id is skipped). Returns how many started.
pub fn start_aps(apic_ids: &[u32], nx: bool) -> usize {
    let (code, data_offset) = trampoline_bytes();
    let dest = paging::phys_to_virt(TRAMPOLINE_PHYS) as *mut u8;
    // SAFETY: the page at TRAMPOLINE_PHYS is below 1 MiB, never given to the frame allocator, and mapped by the
    // direct map; the trampoline is smaller than a page.
    unsafe { core::ptr::copy_nonoverlapping(code.as_ptr(), dest, code.len()) };
    let data = paging::phys_to_virt(TRAMPOLINE_PHYS + data_offset as u64) as *mut TrampolineData;

    let bsp = apic::id();
    let mut started = 0;
    let mut next_index = 1;
    for &id in apic_ids {
        if id == bsp {
            continue;
        }
        let Ok(stack_phys) = crate::mm::frames::alloc_pages(AP_STACK_ORDER) else {
            log::error!("smp: out of memory for the stack of CPU with APIC id {id}");
            break;
        };
        let stack_top = paging::phys_to_virt(stack_phys) + (4096u64 << AP_STACK_ORDER);
        let efer_bits = (1u32 << 8) | if nx { 1 << 11 } else { 0 };
        AP_STARTED.store(false, Ordering::SeqCst);
        // SAFETY: `data` points into the copied trampoline page; the AP reads it only after the SIPI below.
        unsafe {
            core::ptr::write_volatile(
                data,
                TrampolineData {
                    cr3: boot::boot_pml4_phys() as u32,
                    efer_bits,
                    stack: stack_top,
                    entry: ap_entry as *const () as u64,
                    index: next_index,
                    _pad: 0,
                },
            );
        }
        apic::send_init(id);
        apic::send_startup(id, (TRAMPOLINE_PHYS >> 12) as u8);
        if !wait_started(2_000_000) {
            apic::send_startup(id, (TRAMPOLINE_PHYS >> 12) as u8);
            if !wait_started(200_000_000) {
                log::error!("smp: CPU with APIC id {id} did not start");
                let _ = crate::mm::frames::free_pages(stack_phys, AP_STACK_ORDER);
                continue;
            }
        }
        started += 1;
        next_index += 1;
    }
    started
}

fn wait_started(ns: u64) -> bool {
    let deadline = crate::time::monotonic_ns() + ns;
    while crate::time::monotonic_ns() < deadline {
        if AP_STARTED.load(Ordering::SeqCst) {
            return true;
        }
        core::hint::spin_loop();
    }
    AP_STARTED.load(Ordering::SeqCst)
}

/// First Rust code on an application processor, on its own stack, with the boot page tables.
extern "C" fn ap_entry(index: u32, stack_top: u64) -> ! {
    AP_STARTED.store(true, Ordering::SeqCst);
    paging::activate(paging::kernel_pml4());
    let features = cpu::features();
    cpu::enable_protections(&features);
    super::fpu::init_this_cpu();
    super::percpu::init_this_cpu(index as usize, apic::id(), stack_top);
    super::idt::load();
    super::syscall::init_this_cpu();
    apic::enable_this_cpu();
    apic::start_periodic_timer();
    crate::task::sched::run_idle()
}
