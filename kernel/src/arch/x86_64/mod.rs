//! Everything that touches x86_64 hardware directly. `unsafe` code lives here and in `mm::raw`.

pub mod acpi;
pub mod apic;
pub mod boot;
pub mod clock;
pub mod cpu;
pub mod fpu;
pub mod idt;
pub mod ioapic;
pub mod paging;
pub mod percpu;
pub mod physmem;
pub mod power;
pub mod rtc;
pub mod serial;
pub mod smp;
pub mod stackwalk;
pub mod switch;
pub mod syscall;
pub mod tlb;
pub mod traps;
pub mod usercopy;
