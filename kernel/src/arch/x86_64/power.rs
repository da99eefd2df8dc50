//! Power off and reset: ACPI first, then the legacy ways; and QEMU's debug-exit port for test results.

use super::acpi::{Platform, Register};
use spin::Once;
use x86_64::instructions::port::Port;

static PLATFORM: Once<Platform> = Once::new();

const SLP_EN: u16 = 1 << 13;
const SLP_TYP_MASK: u16 = 0x7 << 10;
const SCI_EN: u16 = 1;
/// QEMU's `isa-debug-exit` device (when present): QEMU exits with status `(value << 1) | 1`.
const DEBUG_EXIT_PORT: u16 = 0xf4;

/// Remember the ACPI power registers (boot CPU, once).
pub fn init(platform: &Platform) {
    PLATFORM.call_once(|| platform.clone());
}

fn out16(port: u16, value: u16) {
    // SAFETY: ports taken from the FADT's PM1 control blocks.
    unsafe { Port::<u16>::new(port).write(value) }
}

fn in16(port: u16) -> u16 {
    // SAFETY: as in out16; reading PM1 control has no side effects.
    unsafe { Port::<u16>::new(port).read() }
}

/// Switch the platform off (ACPI S5). Returns only if that failed.
pub fn power_off() {
    let Some(p) = PLATFORM.get() else { return };
    let (Some(pm1a), Some((typ_a, typ_b))) = (p.pm1a_control, p.s5) else {
        log::error!("power: ACPI S5 not available");
        return;
    };
    if in16(pm1a) & SCI_EN == 0 && p.smi_command != 0 && p.acpi_enable != 0 {
        // Take ACPI mode over from the firmware first.
        // SAFETY: the FADT's SMI command port and enable value.
        unsafe { Port::<u8>::new(p.smi_command as u16).write(p.acpi_enable) };
        for _ in 0..1_000_000 {
            if in16(pm1a) & SCI_EN != 0 {
                break;
            }
            core::hint::spin_loop();
        }
    }
    // Keep the other control bits (SCI_EN) as they are; replace SLP_TYP and set SLP_EN.
    let sleep_value =
        |port: u16, typ: u16| (in16(port) & !SLP_TYP_MASK) | ((typ << 10) & SLP_TYP_MASK) | SLP_EN;
    out16(pm1a, sleep_value(pm1a, typ_a));
    if let Some(pm1b) = p.pm1b_control {
        out16(pm1b, sleep_value(pm1b, typ_b));
    }
    for _ in 0..10_000_000 {
        core::hint::spin_loop();
    }
    log::error!("power: ACPI poweroff did not take effect");
}

/// Reset the machine: ACPI reset register, then the keyboard controller, then a triple fault.
pub fn reset() -> ! {
    if let Some((reg, value)) = PLATFORM.get().and_then(|p| p.reset_register) {
        match reg {
            // SAFETY: the FADT's reset register; writing the reset value resets the machine.
            Register::Port(port) => unsafe { Port::<u8>::new(port).write(value) },
            Register::Memory(phys) => {
                if let Ok(virt) = super::paging::map_mmio(phys, 1) {
                    // SAFETY: as above, memory-mapped.
                    unsafe { core::ptr::write_volatile(virt as *mut u8, value) };
                }
            }
        }
    }
    // SAFETY: pulsing the 8042's reset line (command 0xfe) resets PCs.
    unsafe { Port::<u8>::new(0x64).write(0xfe) };
    for _ in 0..1_000_000 {
        core::hint::spin_loop();
    }
    // Last resort: an empty IDT turns the next exception into a triple fault, which resets.
    let empty: [u64; 2] = [0, 0];
    // SAFETY: deliberately loading an empty IDT and trapping: the CPU resets.
    unsafe {
        core::arch::asm!("lidt [{}]", "int3", in(reg) &empty, options(noreturn));
    }
}

/// End a test run under QEMU: exit status 33 for success, 35 for failure (needs `-device isa-debug-exit`).
pub fn qemu_test_exit(success: bool) {
    let value: u32 = if success { 0x10 } else { 0x11 };
    // SAFETY: on QEMU with isa-debug-exit this ends the VM; elsewhere port 0xf4 is unused.
    unsafe { Port::<u32>::new(DEBUG_EXIT_PORT).write(value) };
}
