//! ACPI table discovery (with the `acpi` crate): processors and interrupt controllers (MADT), power management
//! registers (FADT), the HPET, and the S5 sleep type from the DSDT (for poweroff).

use super::paging;
use acpi::address::AddressSpace;
use acpi::fadt::Fadt;
use acpi::madt::{Madt, MadtEntry};
use acpi::{AcpiHandler, AcpiTables, HpetInfo, PhysicalMapping};
use core::ptr::NonNull;

/// The most CPUs we record from the MADT.
pub const MAX_CPUS: usize = super::percpu::MAX_CPUS;

/// A register that is either an I/O port or memory.
#[derive(Clone, Copy, Debug)]
pub enum Register {
    Port(u16),
    Memory(u64),
}

/// What the kernel needs from ACPI.
#[derive(Clone, Debug)]
pub struct Platform {
    pub local_apic_address: u64,
    /// APIC ids of usable processors, boot CPU first if it is listed.
    pub cpu_apic_ids: [u32; MAX_CPUS],
    pub cpu_count: usize,
    pub hpet_address: Option<u64>,
    pub pm_timer_port: Option<u16>,
    pub pm1a_control: Option<u16>,
    pub pm1b_control: Option<u16>,
    pub smi_command: u32,
    pub acpi_enable: u8,
    pub reset_register: Option<(Register, u8)>,
    /// SLP_TYPa / SLP_TYPb for S5 (soft off), from the DSDT.
    pub s5: Option<(u16, u16)>,
}

#[derive(Clone, Copy)]
struct DirectMapHandler;

impl AcpiHandler for DirectMapHandler {
    unsafe fn map_physical_region<T>(
        &self,
        physical_address: usize,
        size: usize,
    ) -> PhysicalMapping<Self, T> {
        let virt = paging::phys_to_virt(physical_address as u64) as *mut T;
        // SAFETY: the direct map covers the first 4 GiB and all RAM, where firmware places ACPI tables; the pointer
        // is non-null because the direct map starts in the kernel half.
        unsafe {
            PhysicalMapping::new(
                physical_address,
                NonNull::new_unchecked(virt),
                size,
                size,
                *self,
            )
        }
    }

    fn unmap_physical_region<T>(_region: &PhysicalMapping<Self, T>) {}
}

/// An error finding the ACPI tables.
#[derive(Debug)]
pub struct AcpiError(pub acpi::AcpiError);

/// Read the tables starting from the RSDP at `rsdp` (or search the BIOS area when the boot loader gave none).
pub fn discover(rsdp: Option<u64>) -> Result<Platform, AcpiError> {
    // SAFETY: the RSDP address comes from the boot protocol (PVH start_info or a Multiboot2 tag) or, without one,
    // from the BIOS search the crate does in the legacy areas, which the direct map covers.
    let tables = unsafe {
        match rsdp {
            Some(addr) => AcpiTables::from_rsdp(DirectMapHandler, addr as usize),
            None => AcpiTables::search_for_rsdp_bios(DirectMapHandler),
        }
    }
    .map_err(AcpiError)?;

    let mut p = Platform {
        local_apic_address: 0xfee0_0000,
        cpu_apic_ids: [0; MAX_CPUS],
        cpu_count: 0,
        hpet_address: None,
        pm_timer_port: None,
        pm1a_control: None,
        pm1b_control: None,
        smi_command: 0,
        acpi_enable: 0,
        reset_register: None,
        s5: None,
    };

    super::ioapic::reset_isa_routes();
    let madt = tables.find_table::<Madt>().map_err(AcpiError)?;
    p.local_apic_address = madt.get().local_apic_address as u64;
    for entry in madt.get().entries() {
        match entry {
            MadtEntry::LocalApic(lapic) => {
                let flags = lapic.flags;
                // Bit 0: enabled; bit 1: online-capable (may be brought up).
                if flags & 0b11 != 0 && p.cpu_count < MAX_CPUS {
                    p.cpu_apic_ids[p.cpu_count] = lapic.apic_id as u32;
                    p.cpu_count += 1;
                }
            }
            MadtEntry::LocalX2Apic(x2) => {
                let flags = x2.flags;
                if flags & 0b11 != 0 && p.cpu_count < MAX_CPUS && x2.x2apic_id < 255 {
                    p.cpu_apic_ids[p.cpu_count] = x2.x2apic_id;
                    p.cpu_count += 1;
                }
            }
            MadtEntry::IoApic(io) => {
                if let Err(e) =
                    super::ioapic::add(io.io_apic_address as u64, io.global_system_interrupt_base)
                {
                    log::warn!("acpi: cannot map I/O APIC: {e:?}");
                }
            }
            MadtEntry::InterruptSourceOverride(iso) if iso.bus == 0 => {
                let flags = iso.flags;
                // Polarity bits 0-1 (3 = active low), trigger bits 2-3 (3 = level); 0 = bus default (ISA: high, edge).
                super::ioapic::set_isa_override(
                    iso.irq,
                    super::ioapic::IsaRoute {
                        gsi: iso.global_system_interrupt,
                        active_low: flags & 0b11 == 0b11,
                        level: (flags >> 2) & 0b11 == 0b11,
                    },
                );
            }
            MadtEntry::LocalApicAddressOverride(o) => p.local_apic_address = o.local_apic_address,
            _ => {}
        }
    }
    drop(madt);

    if let Ok(hpet) = HpetInfo::new(&tables) {
        p.hpet_address = Some(hpet.base_address as u64);
    }

    if let Ok(fadt) = tables.find_table::<Fadt>() {
        let io_port = |ga: acpi::address::GenericAddress| match ga.address_space {
            AddressSpace::SystemIo if ga.address != 0 && ga.address <= u16::MAX as u64 => {
                Some(ga.address as u16)
            }
            _ => None,
        };
        p.pm_timer_port = fadt.pm_timer_block().ok().flatten().and_then(io_port);
        p.pm1a_control = fadt.pm1a_control_block().ok().and_then(io_port);
        p.pm1b_control = fadt.pm1b_control_block().ok().flatten().and_then(io_port);
        p.smi_command = fadt.smi_cmd_port;
        p.acpi_enable = fadt.acpi_enable;
        let flags = fadt.flags;
        if flags.supports_system_reset_via_fadt() {
            if let Ok(reg) = fadt.reset_register() {
                let value = fadt.reset_value;
                let r = match reg.address_space {
                    AddressSpace::SystemIo => Some(Register::Port(reg.address as u16)),
                    AddressSpace::SystemMemory => Some(Register::Memory(reg.address)),
                    _ => None,
                };
                p.reset_register = r.map(|r| (r, value));
            }
        }
    }

    if let Ok(dsdt) = tables.dsdt() {
        let virt = paging::phys_to_virt(dsdt.address as u64) as *const u8;
        // SAFETY: the crate validated the DSDT header; `address`/`length` describe its AML body in mapped memory.
        let aml = unsafe { core::slice::from_raw_parts(virt, dsdt.length as usize) };
        match basalt_acpi_sleep::find_s5(aml) {
            Ok(t) => p.s5 = Some((t.slp_typ_a, t.slp_typ_b)),
            Err(e) => {
                log::warn!("acpi: no usable \\_S5 in the DSDT ({e}); poweroff will fall back")
            }
        }
    }
    Ok(p)
}
