//! Reference clocks used to calibrate the TSC and the APIC timer: the HPET, else the ACPI PM timer.

use super::paging;
use core::sync::atomic::{AtomicU64, Ordering};
use x86_64::instructions::port::Port;

static HPET_BASE: AtomicU64 = AtomicU64::new(0);
static HPET_PERIOD_FS: AtomicU64 = AtomicU64::new(0);
static PM_TIMER_PORT: AtomicU64 = AtomicU64::new(0);

const PM_TIMER_HZ: u64 = 3_579_545;

/// Map and start the HPET main counter.
pub fn init_hpet(phys: u64) -> Result<(), paging::MapError> {
    let virt = paging::map_mmio(phys, 0x400)?;
    // SAFETY: `virt` maps the HPET register block; capability (0x0), configuration (0x10) and counter (0xf0)
    // registers are 64-bit.
    unsafe {
        let caps = core::ptr::read_volatile(virt as *const u64);
        let period_fs = caps >> 32;
        if period_fs == 0 || period_fs > 100_000_000 {
            log::warn!("hpet: invalid period {period_fs} fs, not used");
            return Ok(());
        }
        let config = (virt + 0x10) as *mut u64;
        core::ptr::write_volatile(config, core::ptr::read_volatile(config) | 1);
        HPET_PERIOD_FS.store(period_fs, Ordering::Relaxed);
    }
    HPET_BASE.store(virt, Ordering::Relaxed);
    Ok(())
}

/// Use the ACPI PM timer at I/O port `port` when there is no HPET.
pub fn set_pm_timer_port(port: u16) {
    PM_TIMER_PORT.store(port as u64, Ordering::Relaxed);
}

/// Whether a reference clock is available, and its name.
pub fn reference_name() -> Option<&'static str> {
    if HPET_BASE.load(Ordering::Relaxed) != 0 {
        Some("HPET")
    } else if PM_TIMER_PORT.load(Ordering::Relaxed) != 0 {
        Some("ACPI PM timer")
    } else {
        None
    }
}

/// Read the HPET counter in femtoseconds since it started, if there is an HPET.
pub fn hpet_fs() -> Option<u128> {
    let base = HPET_BASE.load(Ordering::Relaxed);
    if base == 0 {
        return None;
    }
    // SAFETY: the HPET main counter register of the mapped block.
    let count = unsafe { core::ptr::read_volatile((base + 0xf0) as *const u64) };
    Some(count as u128 * HPET_PERIOD_FS.load(Ordering::Relaxed) as u128)
}

fn pm_timer_ticks() -> u32 {
    let mut port: Port<u32> = Port::new(PM_TIMER_PORT.load(Ordering::Relaxed) as u16);
    // SAFETY: reading the PM timer port has no side effects.
    unsafe { port.read() & 0x00ff_ffff }
}

/// Busy-wait `ns` nanoseconds on the reference clock. Returns false when there is none.
pub fn reference_delay_ns(ns: u64) -> bool {
    if let Some(start) = hpet_fs() {
        let target = start + ns as u128 * 1_000_000;
        while hpet_fs().unwrap_or(target) < target {
            core::hint::spin_loop();
        }
        return true;
    }
    if PM_TIMER_PORT.load(Ordering::Relaxed) != 0 {
        let needed = ns as u128 * PM_TIMER_HZ as u128 / 1_000_000_000;
        let mut last = pm_timer_ticks();
        let mut elapsed: u128 = 0;
        while elapsed < needed {
            let now = pm_timer_ticks();
            elapsed += (now.wrapping_sub(last) & 0x00ff_ffff) as u128;
            last = now;
            core::hint::spin_loop();
        }
        return true;
    }
    false
}
