//! The system console (COM1): kernel log lines and what user programs write to fds 0–2.
#![forbid(unsafe_code)]

use crate::arch::serial::Uart;
use spin::Mutex;

static CONSOLE: Mutex<Uart> = Mutex::new(Uart::com1());

/// Probe and program the UART.
pub fn init() {
    CONSOLE.lock().init();
}

/// Write bytes atomically with respect to other console writers.
pub fn write(bytes: &[u8]) {
    x86_64::instructions::interrupts::without_interrupts(|| CONSOLE.lock().write_bytes(bytes));
}

/// Write bytes exactly as given (a terminal's output, already post-processed by its line discipline).
pub fn write_raw(bytes: &[u8]) {
    x86_64::instructions::interrupts::without_interrupts(|| CONSOLE.lock().write_raw(bytes));
}

/// Run `f` with the console held, so a multi-part message stays together.
pub fn with<R>(f: impl FnOnce(&mut Uart) -> R) -> R {
    x86_64::instructions::interrupts::without_interrupts(|| f(&mut CONSOLE.lock()))
}

/// Run `f` with the console even if another CPU (or this one, interrupted) holds the lock: for panics only.
/// Waits briefly for a clean hand-over first.
pub fn with_forced<R>(f: impl FnOnce(&mut Uart) -> R) -> R {
    for _ in 0..10_000_000 {
        if let Some(mut uart) = CONSOLE.try_lock() {
            return f(&mut uart);
        }
        core::hint::spin_loop();
    }
    let mut uart = Uart::com1();
    uart.init();
    f(&mut uart)
}

/// Enable or disable the UART's transmit interrupt (IOAPIC test).
pub fn set_tx_interrupt(on: bool) {
    with(|u| u.set_tx_interrupt(on));
}

/// Read the UART's interrupt identification (acknowledge).
pub fn interrupt_id() -> u8 {
    with(|u| u.interrupt_id())
}

/// Take console input from the serial port's receive interrupt (IRQ 4) from now on.
pub fn enable_input() {
    crate::arch::traps::set_irq_handler(4, serial_interrupt);
    let bsp = crate::arch::apic::id();
    if crate::arch::ioapic::route_isa_irq(4, crate::arch::traps::IRQ_BASE + 4, bsp, true) {
        with(|u| u.enable_rx_interrupt());
    } else {
        log::warn!("console: no interrupt line for COM1; input disabled");
    }
}

fn serial_interrupt() {
    loop {
        let byte = with(|u| {
            let _ = u.interrupt_id();
            u.read_byte()
        });
        match byte {
            Some(b) => crate::tty::console::push_input(b),
            None => break,
        }
    }
}
