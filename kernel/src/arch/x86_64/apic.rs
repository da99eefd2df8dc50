//! Local APIC (xAPIC, memory-mapped): per-CPU timer, end-of-interrupt, inter-processor interrupts.

use super::paging;
use super::traps::{SPURIOUS_VECTOR, TIMER_VECTOR};
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use x86_64::registers::model_specific::Msr;

const IA32_APIC_BASE: u32 = 0x1b;
const REG_ID: u64 = 0x20;
const REG_TPR: u64 = 0x80;
const REG_EOI: u64 = 0xb0;
const REG_SVR: u64 = 0xf0;
const REG_ICR_LOW: u64 = 0x300;
const REG_ICR_HIGH: u64 = 0x310;
const REG_LVT_TIMER: u64 = 0x320;
const REG_LVT_LINT0: u64 = 0x350;
const REG_LVT_LINT1: u64 = 0x360;
const REG_LVT_ERROR: u64 = 0x370;
const REG_TIMER_INITIAL: u64 = 0x380;
const REG_TIMER_CURRENT: u64 = 0x390;
const REG_TIMER_DIVIDE: u64 = 0x3e0;

const LVT_MASKED: u32 = 1 << 16;
const TIMER_PERIODIC: u32 = 1 << 17;
const DIVIDE_BY_16: u32 = 0x3;

/// Timer interrupts per second on every CPU.
pub const TIMER_HZ: u64 = 100;

static BASE: AtomicU64 = AtomicU64::new(0);
/// APIC timer ticks (after the divider) per second, measured on the boot CPU.
static TIMER_TICKS_PER_SEC: AtomicU64 = AtomicU64::new(0);
static BSP_ID: AtomicU32 = AtomicU32::new(0);

fn read(reg: u64) -> u32 {
    // SAFETY: BASE is the mapped, uncached local APIC page; registers are 32-bit and 16-byte aligned.
    unsafe { core::ptr::read_volatile((BASE.load(Ordering::Relaxed) + reg) as *const u32) }
}

fn write(reg: u64, value: u32) {
    // SAFETY: as in `read`.
    unsafe { core::ptr::write_volatile((BASE.load(Ordering::Relaxed) + reg) as *mut u32, value) }
}

/// Map the local APIC (boot CPU, once). `madt_address` is the address the MADT reports.
pub fn init_mapping(madt_address: u64) -> Result<(), paging::MapError> {
    // SAFETY: reading IA32_APIC_BASE is side-effect free on every x86_64 CPU.
    let msr = unsafe { Msr::new(IA32_APIC_BASE).read() };
    let phys = if msr & 0xffff_f000 != 0 {
        msr & 0xf_ffff_ffff_f000
    } else {
        madt_address
    };
    let virt = paging::map_mmio(phys, 4096)?;
    BASE.store(virt, Ordering::Relaxed);
    Ok(())
}

/// Enable this CPU's local APIC: software enable, spurious vector, accept all priorities, mask LINT and error LVTs.
pub fn enable_this_cpu() {
    // SAFETY: setting the global-enable bit of IA32_APIC_BASE keeps the base address unchanged.
    unsafe {
        let mut msr = Msr::new(IA32_APIC_BASE);
        let v = msr.read();
        msr.write(v | (1 << 11));
    }
    write(REG_SVR, 0x100 | SPURIOUS_VECTOR as u32);
    write(REG_TPR, 0);
    write(REG_LVT_LINT0, LVT_MASKED);
    write(REG_LVT_LINT1, LVT_MASKED);
    write(REG_LVT_ERROR, LVT_MASKED);
    write(REG_LVT_TIMER, LVT_MASKED);
}

/// This CPU's local APIC id.
pub fn id() -> u32 {
    read(REG_ID) >> 24
}

/// Remember the boot CPU's APIC id.
pub fn set_bsp_id(id: u32) {
    BSP_ID.store(id, Ordering::Relaxed);
}

/// Signal end of interrupt.
pub fn eoi() {
    if BASE.load(Ordering::Relaxed) != 0 {
        write(REG_EOI, 0);
    }
}

/// Start the timer counting down from its maximum, masked (for calibration).
pub fn timer_start_calibration() {
    write(REG_TIMER_DIVIDE, DIVIDE_BY_16);
    write(REG_LVT_TIMER, LVT_MASKED);
    write(REG_TIMER_INITIAL, u32::MAX);
}

/// Ticks elapsed since `timer_start_calibration`.
pub fn timer_elapsed_since_start() -> u64 {
    (u32::MAX - read(REG_TIMER_CURRENT)) as u64
}

/// The running timer's current count (it counts down from the programmed initial count, then reloads).
pub fn timer_current_count() -> u32 {
    read(REG_TIMER_CURRENT)
}

/// Record the calibrated timer rate (ticks per second after the divide-by-16).
pub fn set_timer_rate(ticks_per_sec: u64) {
    TIMER_TICKS_PER_SEC.store(ticks_per_sec, Ordering::Relaxed);
}

/// The calibrated timer rate.
pub fn timer_rate() -> u64 {
    TIMER_TICKS_PER_SEC.load(Ordering::Relaxed)
}

/// Start this CPU's periodic timer at [`TIMER_HZ`].
pub fn start_periodic_timer() {
    let count = (timer_rate() / TIMER_HZ).clamp(1, u32::MAX as u64) as u32;
    write(REG_TIMER_DIVIDE, DIVIDE_BY_16);
    write(REG_LVT_TIMER, TIMER_PERIODIC | TIMER_VECTOR as u32);
    write(REG_TIMER_INITIAL, count);
}

fn wait_icr_idle() {
    for _ in 0..1_000_000 {
        if read(REG_ICR_LOW) & (1 << 12) == 0 {
            return;
        }
        core::hint::spin_loop();
    }
}

fn send_icr(dest: u32, low: u32) {
    wait_icr_idle();
    write(REG_ICR_HIGH, dest << 24);
    write(REG_ICR_LOW, low);
    wait_icr_idle();
}

/// INIT IPI (assert) to `dest`.
pub fn send_init(dest: u32) {
    send_icr(dest, 0x0000_4500);
}

/// Start-up IPI to `dest`: the CPU starts in real mode at `page << 12`.
pub fn send_startup(dest: u32, page: u8) {
    send_icr(dest, 0x0000_4600 | page as u32);
}

/// A fixed-vector IPI to the CPU with APIC id `dest`.
pub fn send_fixed_ipi(dest: u32, vector: u8) {
    send_icr(dest, 0x0000_4000 | vector as u32);
}

/// A fixed-vector IPI to every CPU but this one.
pub fn send_fixed_ipi_all_but_self(vector: u8) {
    if BASE.load(Ordering::Relaxed) != 0 {
        send_icr(0, 0x000c_4000 | vector as u32);
    }
}

/// NMI to every CPU but this one (used to stop them on panic; works even where interrupts are disabled).
pub fn send_nmi_all_but_self() {
    if BASE.load(Ordering::Relaxed) != 0 {
        send_icr(0, 0x000c_4400);
    }
}
