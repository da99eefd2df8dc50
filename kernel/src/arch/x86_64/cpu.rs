//! CPU identification and control-register setup (NX, write protect, SMEP, SMAP).

use core::sync::atomic::{AtomicBool, Ordering};
use x86_64::registers::control::{Cr0, Cr0Flags, Cr4, Cr4Flags};
use x86_64::registers::model_specific::{Efer, EferFlags};

/// Features the kernel cares about, read once with CPUID.
#[derive(Clone, Copy, Debug, Default)]
pub struct Features {
    pub nx: bool,
    pub smep: bool,
    pub smap: bool,
    pub huge_1g: bool,
    pub x2apic: bool,
    pub invariant_tsc: bool,
    pub hypervisor: bool,
    pub fsgsbase: bool,
    /// TSC frequency in Hz if CPUID tells it (leaf 0x15, or the hypervisor leaf 0x40000010).
    pub tsc_hz_hint: Option<u64>,
}

/// Execute CPUID.
pub fn cpuid(leaf: u32, subleaf: u32) -> (u32, u32, u32, u32) {
    #[allow(unused_unsafe)]
    // SAFETY: CPUID is available on every x86_64 CPU and has no side effects.
    let r = unsafe { core::arch::x86_64::__cpuid_count(leaf, subleaf) };
    (r.eax, r.ebx, r.ecx, r.edx)
}

/// Read the CPU's features.
pub fn features() -> Features {
    let (max_leaf, ..) = cpuid(0, 0);
    let (max_ext, ..) = cpuid(0x8000_0000, 0);
    let (_, _, ecx1, _) = cpuid(1, 0);
    let mut f = Features {
        x2apic: ecx1 & (1 << 21) != 0,
        hypervisor: ecx1 & (1 << 31) != 0,
        ..Features::default()
    };
    if max_leaf >= 7 {
        let (_, ebx7, _, _) = cpuid(7, 0);
        f.fsgsbase = ebx7 & 1 != 0;
        f.smep = ebx7 & (1 << 7) != 0;
        f.smap = ebx7 & (1 << 20) != 0;
    }
    if max_ext >= 0x8000_0001 {
        let (_, _, _, edx) = cpuid(0x8000_0001, 0);
        f.nx = edx & (1 << 20) != 0;
        f.huge_1g = edx & (1 << 26) != 0;
    }
    if max_ext >= 0x8000_0007 {
        let (_, _, _, edx) = cpuid(0x8000_0007, 0);
        f.invariant_tsc = edx & (1 << 8) != 0;
    }
    if max_leaf >= 0x15 {
        let (denominator, numerator, crystal_hz, _) = cpuid(0x15, 0);
        if denominator != 0 && numerator != 0 && crystal_hz != 0 {
            f.tsc_hz_hint = Some(crystal_hz as u64 * numerator as u64 / denominator as u64);
        }
    }
    if f.tsc_hz_hint.is_none() && f.hypervisor {
        let (max_hv, ..) = cpuid(0x4000_0000, 0);
        if max_hv >= 0x4000_0010 {
            let (tsc_khz, ..) = cpuid(0x4000_0010, 0);
            if tsc_khz != 0 {
                f.tsc_hz_hint = Some(tsc_khz as u64 * 1000);
            }
        }
    }
    f
}

static SMAP_ON: AtomicBool = AtomicBool::new(false);

/// Whether SMAP is enabled (user-memory access must then be bracketed by STAC/CLAC).
pub fn smap_enabled() -> bool {
    SMAP_ON.load(Ordering::Relaxed)
}

/// Turn on the protections this CPU supports: NX, kernel write protection, SMEP and SMAP.
/// Called on every CPU; `f` comes from [`features`].
pub fn enable_protections(f: &Features) {
    // SAFETY: setting NXE/WP/SMEP/SMAP only restricts what code may do; the kernel's page tables are built to be
    // correct under these rules (kernel pages are supervisor-only; user memory is reached only through usercopy,
    // which uses STAC/CLAC when SMAP is on).
    unsafe {
        if f.nx {
            Efer::update(|e| *e |= EferFlags::NO_EXECUTE_ENABLE);
        }
        Efer::update(|e| *e |= EferFlags::SYSTEM_CALL_EXTENSIONS);
        Cr0::update(|c| *c |= Cr0Flags::WRITE_PROTECT);
        let mut cr4 = Cr4::read();
        if f.smep {
            cr4 |= Cr4Flags::SUPERVISOR_MODE_EXECUTION_PROTECTION;
        }
        if f.smap {
            cr4 |= Cr4Flags::SUPERVISOR_MODE_ACCESS_PREVENTION;
        }
        cr4 |= Cr4Flags::PAGE_GLOBAL | Cr4Flags::OSFXSR | Cr4Flags::OSXMMEXCPT_ENABLE;
        Cr4::write(cr4);
    }
    if f.smap {
        SMAP_ON.store(true, Ordering::Relaxed);
    }
}

/// Read the time-stamp counter.
#[inline]
pub fn rdtsc() -> u64 {
    // SAFETY: RDTSC has no side effects; CR4.TSD is never set, so it is allowed at any privilege.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Halt until the next interrupt, with interrupts enabled in between (atomically: `sti; hlt`).
#[inline]
pub fn idle_halt() {
    x86_64::instructions::interrupts::enable_and_hlt();
}

/// Stop this CPU for good.
pub fn halt_forever() -> ! {
    loop {
        x86_64::instructions::interrupts::disable();
        x86_64::instructions::hlt();
    }
}

/// 16 random bytes from RDRAND when the CPU has it, mixed with the TSC (for AT_RANDOM).
pub fn random_bytes() -> [u8; 16] {
    let (_, _, ecx, _) = cpuid(1, 0);
    let mut out = [0u8; 16];
    for (i, chunk) in out.chunks_mut(8).enumerate() {
        let mut value = rdtsc().rotate_left(17 * i as u32 + 7)
            ^ 0x9e37_79b9_7f4a_7c15u64.wrapping_mul(i as u64 + 1);
        if ecx & (1 << 30) != 0 {
            let mut r: u64 = 0;
            let mut ok: u8 = 0;
            for _ in 0..10 {
                // SAFETY: RDRAND exists (CPUID.1:ECX bit 30); it only writes the output register and CF.
                unsafe {
                    core::arch::asm!("rdrand {}", "setc {}", out(reg) r, out(reg_byte) ok, options(nomem, nostack));
                }
                if ok != 0 {
                    break;
                }
            }
            value ^= r;
        }
        // splitmix64 finaliser so TSC-only values are not predictable patterns.
        value = (value ^ (value >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        value = (value ^ (value >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        value ^= value >> 31;
        chunk.copy_from_slice(&value.to_le_bytes());
    }
    out
}
