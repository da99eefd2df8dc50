//! The Basalt kernel.
//!
//! Boot path: `arch::boot` (32-bit PVH / Multiboot2 entry, long mode) → [`kernel_entry`] → [`boot::start`], which
//! brings up memory, interrupts, clocks and the other CPUs, then starts `/init` from the initramfs.
#![no_std]
#![no_main]

extern crate alloc;

mod arch;
mod boot;
mod boot_time;
mod console;
mod fs;
mod initramfs;
mod klog;
mod ktest;
mod mm;
mod net;
mod panic;
mod syscall;
mod task;
mod time;
mod tty;

/// First Rust code, called by the entry assembly on the boot stack with the boot protocol and the physical address
/// of its boot-information structure.
#[no_mangle]
pub extern "C" fn kernel_entry(protocol: u32, info_phys: u32) -> ! {
    boot::start(protocol, info_phys as u64)
}
