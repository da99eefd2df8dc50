//! Clocks and timers, checked against the HPET and the RTC (generous tolerances: these run under emulation on
//! shared machines; the point is to catch wrong calibration, not to measure).

use super::TestResult;
use crate::arch::{apic, clock, percpu, rtc};
use crate::ensure;
use crate::time;
use alloc::string::String;
use core::sync::atomic::Ordering;

pub fn timer_ticks() -> TestResult {
    let cpu = percpu::this_cpu();
    let before = cpu.timer_ticks.load(Ordering::Relaxed);
    // A hang limit, not a speed limit: under a loaded host the first tick may take long to be delivered.
    let deadline = time::monotonic_ns() + 10_000_000_000;
    while cpu.timer_ticks.load(Ordering::Relaxed) == before {
        ensure!(
            time::monotonic_ns() < deadline,
            "no timer interrupt in 10 s"
        );
        core::hint::spin_loop();
    }
    Ok(())
}

fn within(measured: u64, expected: u64, percent: u64) -> bool {
    measured.abs_diff(expected) * 100 <= expected * percent
}

/// A pause of the emulator between reading the two clocks skews one sample, never all: the clocks agree if
/// any of a few samples agrees.
pub fn tsc_matches_hpet() -> TestResult {
    let mut last = String::new();
    for _ in 0..5 {
        let Some(h0) = clock::hpet_fs() else {
            return Ok(());
        };
        let t0 = time::monotonic_ns();
        clock::reference_delay_ns(100_000_000);
        let t1 = time::monotonic_ns();
        let h1 = clock::hpet_fs().ok_or("HPET vanished")?;
        let hpet_ns = ((h1 - h0) / 1_000_000) as u64;
        let tsc_ns = t1 - t0;
        if within(tsc_ns, hpet_ns, 5) {
            return Ok(());
        }
        last = alloc::format!("TSC says {tsc_ns} ns, HPET {hpet_ns} ns");
    }
    Err(last)
}

/// The periodic timer counts down at the calibrated rate. Counting ticks over a wall-clock interval would
/// depend on the host (an emulator drops periods while its vCPU thread waits), so this reads the count
/// register twice, about 1 ms apart within one period, and compares its speed with the TSC's.
pub fn apic_timer_rate() -> TestResult {
    let rate = apic::timer_rate();
    ensure!(rate > 0, "the APIC timer was not calibrated");
    let period_ns = 1_000_000_000 / apic::TIMER_HZ;
    for _ in 0..1000 {
        // Interrupts off, so no handler runs between reading the clock and the count.
        let ((t0, c0), (t1, c1)) = x86_64::instructions::interrupts::without_interrupts(|| {
            let first = (time::monotonic_ns(), apic::timer_current_count());
            clock::reference_delay_ns(1_000_000);
            (first, (time::monotonic_ns(), apic::timer_current_count()))
        });
        // A reload in between, or a pause long enough for one, spoils the sample: take another.
        if c1 >= c0 || t1 - t0 >= period_ns / 2 {
            continue;
        }
        let measured = u64::from(c0 - c1) * 1_000_000_000 / (t1 - t0);
        ensure!(
            within(measured, rate, 10),
            "the timer counts {measured} per second, calibrated at {rate}"
        );
        return Ok(());
    }
    Err("no undisturbed sample of the timer count in 1000 tries".into())
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
    // As above: a pause while watching for the change of second skews one sample, so take up to three.
    let mut agreed = false;
    let mut lasted = 0;
    for _ in 0..3 {
        wait_second_change(3_000_000_000).ok_or("RTC seconds did not change in 3 s")?;
        let a = time::monotonic_ns();
        let b = wait_second_change(3_000_000_000).ok_or("RTC seconds did not change in 3 s")?;
        lasted = b - a;
        if within(lasted, 1_000_000_000, 10) {
            agreed = true;
            break;
        }
    }
    ensure!(agreed, "one RTC second lasted {lasted} ns by the TSC");
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
