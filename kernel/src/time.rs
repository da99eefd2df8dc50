//! Time: a monotonic clock from the TSC (calibrated against the HPET or ACPI PM timer at boot), the wall clock at
//! boot from the RTC, and the APIC timer rate.
#![forbid(unsafe_code)]

use crate::arch::{apic, boot, clock, cpu, rtc};
use core::sync::atomic::{AtomicU64, Ordering};

static TSC_HZ: AtomicU64 = AtomicU64::new(0);
/// CLOCK_REALTIME at monotonic time 0, in nanoseconds since the epoch (read from the RTC, moved by settimeofday).
static BOOT_REALTIME_NS: AtomicU64 = AtomicU64::new(0);

/// How long calibration measures.
const CALIBRATION_NS: u64 = 5_000_000;

/// Nanoseconds since the first boot instruction (0 until the TSC is calibrated).
pub fn monotonic_ns() -> u64 {
    let hz = TSC_HZ.load(Ordering::Relaxed);
    if hz == 0 {
        return 0;
    }
    let ticks = cpu::rdtsc().saturating_sub(boot::entry_tsc());
    (ticks as u128 * 1_000_000_000 / hz as u128) as u64
}

/// TSC frequency in Hz.
pub fn tsc_hz() -> u64 {
    TSC_HZ.load(Ordering::Relaxed)
}

/// Measure the TSC and APIC timer rates against the reference clock (boot CPU; APIC must be mapped).
pub fn calibrate(features: &cpu::Features) {
    apic::timer_start_calibration();
    let tsc0 = cpu::rdtsc();
    let hpet0 = clock::hpet_fs();
    let have_reference = clock::reference_delay_ns(CALIBRATION_NS);
    let tsc1 = cpu::rdtsc();
    let apic_ticks = apic::timer_elapsed_since_start();
    let elapsed_ns = match (hpet0, clock::hpet_fs()) {
        (Some(a), Some(b)) if b > a => ((b - a) / 1_000_000) as u64,
        _ => CALIBRATION_NS,
    };
    let measured = (tsc1 - tsc0) as u128 * 1_000_000_000 / elapsed_ns as u128;
    let hz = match (have_reference, features.tsc_hz_hint) {
        (_, Some(hint)) => hint,
        (true, None) => measured as u64,
        (false, None) => {
            log::warn!("time: no HPET or PM timer; assuming a 1 GHz TSC");
            1_000_000_000
        }
    };
    TSC_HZ.store(hz.max(1), Ordering::Relaxed);
    let apic_rate = if have_reference {
        (apic_ticks as u128 * 1_000_000_000 / elapsed_ns as u128) as u64
    } else {
        // Without a reference, derive it from the TSC measurement window (also unknown): a common 1 GHz bus / 16.
        62_500_000
    };
    apic::set_timer_rate(apic_rate.max(1));
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Read the RTC and remember the wall-clock time at boot. Returns the date read.
pub fn init_wall_clock() -> rtc::DateTime {
    let dt = rtc::read();
    let days = days_from_civil(dt.year as i64, dt.month as u32, dt.day as u32);
    let secs = days * 86_400 + dt.hour as i64 * 3600 + dt.minute as i64 * 60 + dt.second as i64;
    let since_boot = monotonic_ns() / 1_000_000_000;
    BOOT_REALTIME_NS.store(
        (secs.max(0) as u64)
            .saturating_sub(since_boot)
            .saturating_mul(1_000_000_000),
        Ordering::Relaxed,
    );
    dt
}

/// Read a `struct timespec` from user memory as nanoseconds: EINVAL for negative seconds or a `tv_nsec` outside
/// 0..1e9 (as Linux checks), EFAULT for a bad pointer. Huge values saturate.
pub fn timespec_from_user(addr: u64) -> Result<u64, basalt_linux_abi::Errno> {
    use basalt_linux_abi::Errno;
    let mut ts = [0u8; 16];
    crate::arch::usercopy::copy_from_user(&mut ts, addr)?;
    let (sec, nsec) = ts.split_at(8);
    let sec = i64::from_le_bytes(sec.try_into().map_err(|_| Errno::EFAULT)?);
    let nsec = i64::from_le_bytes(nsec.try_into().map_err(|_| Errno::EFAULT)?);
    if sec < 0 || !(0..1_000_000_000).contains(&nsec) {
        return Err(Errno::EINVAL);
    }
    Ok((sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(nsec as u64))
}

/// Nanoseconds since the Unix epoch now (CLOCK_REALTIME).
pub fn realtime_ns() -> u64 {
    BOOT_REALTIME_NS
        .load(Ordering::Relaxed)
        .saturating_add(monotonic_ns())
}

/// Set CLOCK_REALTIME to `ns` since the epoch (not earlier than the time since boot: the caller checks).
pub fn set_realtime_ns(ns: u64) {
    BOOT_REALTIME_NS.store(ns.saturating_sub(monotonic_ns()), Ordering::Relaxed);
}

/// Seconds since the Unix epoch at boot (as the wall clock now puts it).
pub fn boot_unix_seconds() -> u64 {
    BOOT_REALTIME_NS.load(Ordering::Relaxed) / 1_000_000_000
}
