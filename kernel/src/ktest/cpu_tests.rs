//! CPU, interrupts and SMP.

use super::TestResult;
use crate::arch::{apic, clock, percpu, traps};
use crate::ensure;
use core::sync::atomic::{AtomicU64, Ordering};

pub fn breakpoint_returns() -> TestResult {
    let before = traps::BREAKPOINTS.load(Ordering::Relaxed);
    x86_64::instructions::interrupts::int3();
    x86_64::instructions::interrupts::int3();
    let after = traps::BREAKPOINTS.load(Ordering::Relaxed);
    ensure!(
        after == before + 2,
        "2 breakpoints taken, counter moved by {}",
        after - before
    );
    Ok(())
}

static IRQ4_COUNT: AtomicU64 = AtomicU64::new(0);

fn irq4_handler() {
    IRQ4_COUNT.fetch_add(1, Ordering::Relaxed);
    // Reading the IIR acknowledges "transmitter empty"; turn the source off so it does not repeat.
    crate::console::set_tx_interrupt(false);
    let _ = crate::console::interrupt_id();
}

/// Route COM1's IRQ 4 through the I/O APIC, make the UART raise "transmitter empty", and see it arrive.
pub fn ioapic_routes_irq4() -> TestResult {
    traps::set_irq_handler(4, irq4_handler);
    ensure!(
        crate::arch::ioapic::route_isa_irq(4, traps::IRQ_BASE + 4, apic::id(), true),
        "no I/O APIC input for IRQ 4"
    );
    IRQ4_COUNT.store(0, Ordering::Relaxed);
    crate::console::set_tx_interrupt(true);
    clock::reference_delay_ns(20_000_000);
    crate::console::set_tx_interrupt(false);
    crate::arch::ioapic::route_isa_irq(4, traps::IRQ_BASE + 4, apic::id(), false);
    let n = IRQ4_COUNT.load(Ordering::Relaxed);
    ensure!(n >= 1, "IRQ 4 never arrived");
    Ok(())
}

pub fn all_cpus_online_and_ticking() -> TestResult {
    let online = percpu::online_count();
    ensure!(online >= 1, "no CPU online");
    let mut before = [0u64; percpu::MAX_CPUS];
    for (i, b) in before.iter_mut().enumerate().take(online) {
        *b = percpu::cpu(i)
            .ok_or("online CPU without per-CPU data")?
            .timer_ticks
            .load(Ordering::Relaxed);
    }
    clock::reference_delay_ns(100_000_000);
    for (i, b) in before.iter().enumerate().take(online) {
        let cpu = percpu::cpu(i).ok_or("online CPU without per-CPU data")?;
        let now = cpu.timer_ticks.load(Ordering::Relaxed);
        ensure!(
            now > *b,
            "CPU {i} (APIC id {}) timer did not tick in 100 ms",
            cpu.apic_id
        );
    }
    Ok(())
}

/// System calls reject bad input with Linux's errors and never crash.
pub fn syscall_errors() -> TestResult {
    use crate::syscall::{dispatch, Args};
    use basalt_linux_abi::{nr, Errno};
    let call = |n: usize, a: [u64; 6]| dispatch(n, Args::new(a));
    ensure!(
        call(100_000, [0; 6]) == Err(Errno::ENOSYS),
        "unknown number"
    );
    ensure!(
        call(nr::LOOKUP_DCOOKIE, [0; 6]) == Err(Errno::ENOSYS),
        "unimplemented call"
    );
    let unmapped = call(nr::NANOSLEEP, [0x1000, 0, 0, 0, 0, 0]);
    ensure!(
        unmapped == Err(Errno::EFAULT),
        "nanosleep, unmapped buffer: {unmapped:?}"
    );
    let wrapping = call(nr::NANOSLEEP, [u64::MAX - 8, 0, 0, 0, 0, 0]);
    ensure!(
        wrapping == Err(Errno::EFAULT),
        "nanosleep, wrapping buffer: {wrapping:?}"
    );
    ensure!(
        call(nr::REBOOT, [1, 2, 0x4321_fedc, 0, 0, 0]) == Err(Errno::EINVAL),
        "reboot with bad magic"
    );
    ensure!(
        call(nr::REBOOT, [0xfee1_dead, 672_274_793, 0x1234, 0, 0, 0]) == Err(Errno::EINVAL),
        "reboot with an unknown command"
    );
    Ok(())
}
