//! I/O APIC routing of device interrupts, and masking of the legacy 8259 PICs.

use super::paging;
use spin::Mutex;
use x86_64::instructions::port::Port;

const MAX_IOAPICS: usize = 8;

#[derive(Clone, Copy)]
struct IoApic {
    virt: u64,
    gsi_base: u32,
    entries: u32,
}

/// How an ISA IRQ is wired, after MADT interrupt source overrides.
#[derive(Clone, Copy, Debug)]
pub struct IsaRoute {
    pub gsi: u32,
    pub active_low: bool,
    pub level: bool,
}

struct State {
    ioapics: [Option<IoApic>; MAX_IOAPICS],
    isa: [IsaRoute; 16],
}

static STATE: Mutex<State> = Mutex::new(State {
    ioapics: [None; MAX_IOAPICS],
    isa: [IsaRoute {
        gsi: 0,
        active_low: false,
        level: false,
    }; 16],
});

impl IoApic {
    fn write(&self, reg: u32, value: u32) {
        // SAFETY: `virt` maps this IOAPIC's register window (IOREGSEL at +0, IOWIN at +0x10), uncached.
        unsafe {
            core::ptr::write_volatile(self.virt as *mut u32, reg);
            core::ptr::write_volatile((self.virt + 0x10) as *mut u32, value);
        }
    }
    fn read(&self, reg: u32) -> u32 {
        // SAFETY: as in `write`.
        unsafe {
            core::ptr::write_volatile(self.virt as *mut u32, reg);
            core::ptr::read_volatile((self.virt + 0x10) as *const u32)
        }
    }
    fn set_entry(&self, index: u32, low: u32, high: u32) {
        self.write(0x10 + 2 * index, low | (1 << 16)); // mask while changing
        self.write(0x11 + 2 * index, high);
        self.write(0x10 + 2 * index, low);
    }
}

/// Remap the 8259 PICs away from the exception vectors and mask every line: the IOAPIC delivers interrupts.
pub fn disable_legacy_pic() {
    let mut cmd1: Port<u8> = Port::new(0x20);
    let mut data1: Port<u8> = Port::new(0x21);
    let mut cmd2: Port<u8> = Port::new(0xa0);
    let mut data2: Port<u8> = Port::new(0xa1);
    // SAFETY: the standard ICW1-4 initialisation of both PICs, then mask all; these ports belong to the PICs.
    unsafe {
        cmd1.write(0x11);
        cmd2.write(0x11);
        data1.write(0xe0);
        data2.write(0xe8);
        data1.write(4);
        data2.write(2);
        data1.write(1);
        data2.write(1);
        data1.write(0xff);
        data2.write(0xff);
    }
}

/// Register an IOAPIC from the MADT and mask all its inputs.
pub fn add(phys: u64, gsi_base: u32) -> Result<(), paging::MapError> {
    let virt = paging::map_mmio(phys, 0x20)?;
    let mut io = IoApic {
        virt,
        gsi_base,
        entries: 0,
    };
    io.entries = ((io.read(1) >> 16) & 0xff) + 1;
    for i in 0..io.entries {
        io.set_entry(i, 1 << 16, 0);
    }
    let mut st = STATE.lock();
    if let Some(slot) = st.ioapics.iter_mut().find(|s| s.is_none()) {
        *slot = Some(io);
    } else {
        log::warn!("ioapic: more than {MAX_IOAPICS} I/O APICs; ignoring the one at {phys:#x}");
    }
    Ok(())
}

/// Set the identity ISA routes (IRQ n = GSI n, edge, active high) before overrides are applied.
pub fn reset_isa_routes() {
    let mut st = STATE.lock();
    for (irq, route) in st.isa.iter_mut().enumerate() {
        *route = IsaRoute {
            gsi: irq as u32,
            active_low: false,
            level: false,
        };
    }
}

/// Apply a MADT interrupt source override.
pub fn set_isa_override(irq: u8, route: IsaRoute) {
    if let Some(r) = STATE.lock().isa.get_mut(irq as usize) {
        *r = route;
    }
}

/// Number of I/O APICs found.
pub fn count() -> usize {
    STATE.lock().ioapics.iter().flatten().count()
}

/// Route ISA IRQ `irq` to `vector` on the CPU with APIC id `dest` (unmasked), or mask it.
pub fn route_isa_irq(irq: u8, vector: u8, dest: u32, enabled: bool) -> bool {
    let st = STATE.lock();
    let Some(route) = st.isa.get(irq as usize).copied() else {
        return false;
    };
    let Some(io) = st
        .ioapics
        .iter()
        .flatten()
        .find(|io| route.gsi >= io.gsi_base && route.gsi < io.gsi_base + io.entries)
    else {
        return false;
    };
    let mut low = vector as u32;
    if route.active_low {
        low |= 1 << 13;
    }
    if route.level {
        low |= 1 << 15;
    }
    if !enabled {
        low |= 1 << 16;
    }
    io.set_entry(route.gsi - io.gsi_base, low, dest << 24);
    true
}
