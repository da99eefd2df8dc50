//! What happens on each vector: exceptions, the local timer, device IRQs, inter-processor interrupts.

use super::idt::TrapFrame;
use super::{apic, percpu, usercopy};
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Local APIC timer.
pub const TIMER_VECTOR: u8 = 0x20;
/// ISA IRQ n arrives on vector IRQ_BASE + n.
pub const IRQ_BASE: u8 = 0x30;
/// Tells a CPU to stop (sent by a panicking CPU).
pub const STOP_VECTOR: u8 = 0xf0;
/// Wakes an idle CPU to look at its run queue.
pub const RESCHEDULE_VECTOR: u8 = 0xf1;
/// Asks a CPU to flush its TLB (another CPU changed user page tables).
pub const TLB_FLUSH_VECTOR: u8 = 0xf2;
/// The local APIC's spurious vector.
pub const SPURIOUS_VECTOR: u8 = 0xff;

/// Breakpoints taken (the in-kernel tests check that `int3` comes back).
pub static BREAKPOINTS: AtomicU64 = AtomicU64::new(0);

const NO_HANDLER: usize = 0;
/// Handlers for ISA IRQs 0..16, as function addresses (0 = none).
static IRQ_HANDLERS: [AtomicUsize; 16] = [const { AtomicUsize::new(NO_HANDLER) }; 16];

/// Install the handler for ISA IRQ `irq` (runs with interrupts off; EOI is sent afterwards).
pub fn set_irq_handler(irq: u8, handler: fn()) {
    if let Some(slot) = IRQ_HANDLERS.get(irq as usize) {
        slot.store(handler as usize, Ordering::Release);
    }
}

const EXCEPTION_NAMES: [&str; 32] = [
    "divide error",
    "debug",
    "non-maskable interrupt",
    "breakpoint",
    "overflow",
    "bound range exceeded",
    "invalid opcode",
    "device not available",
    "double fault",
    "coprocessor segment overrun",
    "invalid TSS",
    "segment not present",
    "stack-segment fault",
    "general protection fault",
    "page fault",
    "reserved",
    "x87 floating-point error",
    "alignment check",
    "machine check",
    "SIMD floating-point error",
    "virtualization exception",
    "control protection fault",
    "reserved",
    "reserved",
    "reserved",
    "reserved",
    "reserved",
    "reserved",
    "hypervisor injection",
    "VMM communication",
    "security exception",
    "reserved",
];

/// The name of an exception vector.
pub fn exception_name(vector: u64) -> &'static str {
    EXCEPTION_NAMES
        .get(vector as usize)
        .copied()
        .unwrap_or("interrupt")
}

/// Entry from `isr_common` for every vector.
pub extern "C" fn trap_dispatch(frame: &mut TrapFrame) {
    dispatch(frame);
    if frame.is_user_mode() {
        returning_to_user(frame);
    }
}

fn dispatch(frame: &mut TrapFrame) {
    let vector = frame.vector;
    match vector {
        3 if frame.is_user_mode() => exception(frame),
        3 => {
            BREAKPOINTS.fetch_add(1, Ordering::Relaxed);
        }
        2 => {
            if crate::panic::in_progress() {
                super::cpu::halt_forever();
            }
            log::warn!("NMI on CPU {}", percpu::this_cpu().index);
        }
        14 if !frame.is_user_mode() && kernel_fault_on_user_memory(frame) => {}
        0..=31 => exception(frame),
        v if v == TIMER_VECTOR as u64 => {
            percpu::this_cpu()
                .timer_ticks
                .fetch_add(1, Ordering::Relaxed);
            apic::eoi();
            crate::task::sched::timer_tick(frame.is_user_mode());
        }
        v if v == RESCHEDULE_VECTOR as u64 => apic::eoi(),
        v if v == TLB_FLUSH_VECTOR as u64 => {
            super::tlb::service();
            apic::eoi();
        }
        v if v == STOP_VECTOR as u64 => super::cpu::halt_forever(),
        v if v == SPURIOUS_VECTOR as u64 => {}
        v if (IRQ_BASE as u64..IRQ_BASE as u64 + 16).contains(&v) => {
            let handler = IRQ_HANDLERS[(v - IRQ_BASE as u64) as usize].load(Ordering::Acquire);
            if handler != NO_HANDLER {
                // SAFETY: only `set_irq_handler` stores into the table, and it stores `fn()` addresses.
                let f: fn() = unsafe { core::mem::transmute::<usize, fn()>(handler) };
                f();
            }
            apic::eoi();
        }
        _ => {
            log::warn!("unexpected interrupt vector {vector:#x}");
            apic::eoi();
        }
    }
}

fn exception(frame: &mut TrapFrame) {
    let cr2 = x86_64::registers::control::Cr2::read_raw();
    if frame.is_user_mode() {
        crate::task::exec::user_exception(frame, cr2);
        return;
    }
    crate::panic::oops(frame, cr2);
}

/// A kernel-mode page fault inside the user-copy routine: first give copy-on-write a chance (the kernel writing to
/// a user page shared after fork), else make the copy fail with EFAULT.
fn kernel_fault_on_user_memory(frame: &mut TrapFrame) -> bool {
    if !usercopy::in_copy_routine(frame) {
        return false;
    }
    let cr2 = x86_64::registers::control::Cr2::read_raw();
    // Demand paging and copy-on-write apply to the kernel's accesses on behalf of the process too.
    if cr2 < super::paging::USER_END
        && crate::mm::uspace::handle_current_fault(cr2, frame.error_code | 0x4).is_ok()
    {
        return true;
    }
    usercopy::fixup(frame)
}

/// Before an interrupt, exception or system call returns to user mode: let the process model act (exit, signals).
pub fn returning_to_user(frame: &mut TrapFrame) {
    crate::task::process::on_return_to_user(frame);
}

/// Read from an address that is never mapped, to check that a kernel page fault is reported (test mode only).
pub fn provoke_kernel_page_fault() -> u64 {
    let unmapped = super::paging::MMIO_BASE + (511u64 << 30);
    // SAFETY: not sound by design: the read faults and the page-fault handler panics with a register dump; this
    // exists only for `basalt.test=pagefault`.
    unsafe { core::ptr::read_volatile(unmapped as *const u64) }
}
