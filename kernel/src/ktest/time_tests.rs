//! Clocks and timers, checked against the HPET and the RTC (generous tolerances: these run under emulation on
//! shared machines; the point is to catch wrong calibration, not to measure).

use super::TestResult;
use crate::arch::{apic, clock, percpu, rtc};
use crate::ensure;
use crate::time;
use core::sync::atomic::Ordering;

pub fn timer_ticks() -> TestResult {
    let cpu = percpu::this_cpu();
    let before = cpu.timer_ticks.load(Ordering::Relaxed);
    clock::reference_delay_ns(50_000_000);
    ensure!(
        cpu.timer_ticks.load(Ordering::Relaxed) > before,
        "no timer interrupt in 50 ms"
    );
    Ok(())
}

fn within(measured: u64, expected: u64, percent: u64) -> bool {
    measured.abs_diff(expected) * 100 <= expected * percent
}

pub fn tsc_matches_hpet() -> TestResult {
    let Some(h0) = clock::hpet_fs() else {
        return Ok(());
    };
    let t0 = time::monotonic_ns();
    clock::reference_delay_ns(100_000_000);
    let t1 = time::monotonic_ns();
    let h1 = clock::hpet_fs().ok_or("HPET vanished")?;
    let hpet_ns = ((h1 - h0) / 1_000_000) as u64;
    let tsc_ns = t1 - t0;
    ensure!(
        within(tsc_ns, hpet_ns, 5),
        "TSC says {tsc_ns} ns, HPET {hpet_ns} ns"
    );
    Ok(())
}

pub fn apic_timer_rate() -> TestResult {
    let cpu = percpu::this_cpu();
    let before = cpu.timer_ticks.load(Ordering::Relaxed);
    let t0 = time::monotonic_ns();
    clock::reference_delay_ns(500_000_000);
    let elapsed = time::monotonic_ns() - t0;
    let ticks = cpu.timer_ticks.load(Ordering::Relaxed) - before;
    let expected = elapsed * apic::TIMER_HZ / 1_000_000_000;
    ensure!(
        within(ticks, expected, 30),
        "{ticks} timer ticks in {elapsed} ns, expected about {expected}"
    );
    Ok(())
}

fn wait_second_change(limit_ns: u64) -> Option<u64> {
    let start = rtc::seconds();
    let deadline = time::monotonic_ns() + limit_ns;
    while time::monotonic_ns() < deadline {
        if rtc::seconds() != start {
            return Some(time::monotonic_ns());
        }
        core::hint::spin_loop();
    }
    None
}

pub fn rtc_second_matches_tsc() -> TestResult {
    wait_second_change(3_000_000_000).ok_or("RTC seconds did not change in 3 s")?;
    let a = time::monotonic_ns();
    let b = wait_second_change(3_000_000_000).ok_or("RTC seconds did not change in 3 s")?;
    ensure!(
        within(b - a, 1_000_000_000, 10),
        "one RTC second lasted {} ns by the TSC",
        b - a
    );
    let now = rtc::read();
    ensure!(
        now.year >= 2020 && (1..=12).contains(&now.month),
        "implausible RTC date {now:?}"
    );
    Ok(())
}

pub fn calendar() -> TestResult {
    ensure!(time::days_from_civil(1970, 1, 1) == 0, "epoch");
    ensure!(time::days_from_civil(2000, 3, 1) == 11_017, "2000-03-01");
    ensure!(time::days_from_civil(2026, 11, 22) == 20_779, "2026-11-22");
    ensure!(time::days_from_civil(1969, 12, 31) == -1, "1969-12-31");
    ensure!(
        time::boot_unix_seconds() > 1_577_836_800,
        "boot time {} is before 2020",
        time::boot_unix_seconds()
    );
    Ok(())
}
