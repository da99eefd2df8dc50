//! Kernel panics and fatal exceptions: print the message, registers and a symbolized backtrace, stop every CPU,
//! and in test mode end QEMU with a failure status.
#![forbid(unsafe_code)]

use crate::arch::{apic, cpu, idt::TrapFrame, power, stackwalk, traps};
use core::fmt::Write;
use core::sync::atomic::{AtomicBool, Ordering};

static IN_PROGRESS: AtomicBool = AtomicBool::new(false);
static TEST_MODE: AtomicBool = AtomicBool::new(false);

/// Whether some CPU is panicking (other CPUs then stop when they get the NMI).
pub fn in_progress() -> bool {
    IN_PROGRESS.load(Ordering::Relaxed)
}

/// In test mode a panic exits QEMU with status 35 instead of halting.
pub fn set_test_mode(on: bool) {
    TEST_MODE.store(on, Ordering::Relaxed);
}

fn print_backtrace(c: &mut crate::arch::serial::Uart, first_ip: Option<u64>, rbp: u64) {
    let _ = writeln!(c, "Backtrace:");
    let mut addrs = [0u64; 32];
    let mut n = 0;
    if let Some(ip) = first_ip {
        addrs[0] = ip;
        n = 1;
    }
    n += stackwalk::walk(rbp, &mut addrs[n..]);
    let table = stackwalk::ksyms_table();
    for (i, &addr) in addrs[..n].iter().enumerate() {
        // Return addresses point after the call; look up addr-1 so the caller's own line is named.
        let lookup = if first_ip.is_some() && i == 0 {
            addr
        } else {
            addr.saturating_sub(1)
        };
        match basalt_ksyms::lookup(table, lookup) {
            Some((name, off)) => {
                let _ = writeln!(
                    c,
                    "  #{i:<2} {addr:#018x} {name}+{:#x}",
                    off + (addr - lookup)
                );
            }
            None => {
                let _ = writeln!(c, "  #{i:<2} {addr:#018x} ?");
            }
        }
    }
}

fn print_registers(c: &mut crate::arch::serial::Uart, f: &TrapFrame, cr2: u64) {
    let _ = writeln!(
        c,
        "RIP: {:#018x} CS: {:#06x} RFLAGS: {:#010x}",
        f.rip, f.cs, f.rflags
    );
    let _ = writeln!(
        c,
        "RSP: {:#018x} SS: {:#06x} CR2: {:#018x}",
        f.rsp, f.ss, cr2
    );
    let _ = writeln!(
        c,
        "RAX: {:#018x} RBX: {:#018x} RCX: {:#018x}",
        f.rax, f.rbx, f.rcx
    );
    let _ = writeln!(
        c,
        "RDX: {:#018x} RSI: {:#018x} RDI: {:#018x}",
        f.rdx, f.rsi, f.rdi
    );
    let _ = writeln!(
        c,
        "RBP: {:#018x} R8:  {:#018x} R9:  {:#018x}",
        f.rbp, f.r8, f.r9
    );
    let _ = writeln!(
        c,
        "R10: {:#018x} R11: {:#018x} R12: {:#018x}",
        f.r10, f.r11, f.r12
    );
    let _ = writeln!(
        c,
        "R13: {:#018x} R14: {:#018x} R15: {:#018x}",
        f.r13, f.r14, f.r15
    );
}

/// A fatal exception in kernel mode: report it and panic.
pub fn oops(frame: &TrapFrame, cr2: u64) -> ! {
    crate::console::with_forced(|c| {
        let _ = writeln!(
            c,
            "Oops: {} (vector {}, error code {:#x}) on CPU {}",
            traps::exception_name(frame.vector),
            frame.vector,
            frame.error_code,
            cpu_index()
        );
        print_registers(c, frame, cr2);
        print_backtrace(c, Some(frame.rip), frame.rbp);
    });
    panic!("Fatal exception: {}", traps::exception_name(frame.vector));
}

fn cpu_index() -> usize {
    if crate::arch::percpu::this_cpu_ready() {
        crate::arch::percpu::this_cpu().index
    } else {
        0
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    x86_64::instructions::interrupts::disable();
    if IN_PROGRESS.swap(true, Ordering::SeqCst) {
        // Another CPU is already reporting; stay out of its way.
        cpu::halt_forever();
    }
    apic::send_nmi_all_but_self();
    crate::console::with_forced(|c| {
        let _ = writeln!(c, "Kernel panic - not syncing: {}", info.message());
        if let Some(loc) = info.location() {
            let _ = writeln!(c, "  at {}:{}:{}", loc.file(), loc.line(), loc.column());
        }
        let _ = writeln!(
            c,
            "CPU: {} uptime: {} ms",
            cpu_index(),
            crate::time::monotonic_ns() / 1_000_000
        );
        print_backtrace(c, None, stackwalk::current_rbp());
        let _ = writeln!(
            c,
            "---[ end Kernel panic - not syncing: {} ]---",
            info.message()
        );
    });
    if TEST_MODE.load(Ordering::Relaxed) {
        power::qemu_test_exit(false);
    }
    cpu::halt_forever()
}
