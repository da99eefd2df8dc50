//! TLB shootdown: after user page tables change (unmap, protect, copy-on-write, fork), other CPUs may still cache
//! the old translations. The changing CPU bumps a generation and interrupts the others; each flushes its whole TLB
//! (reloading CR3) and records the generation. Waiting CPUs service requests themselves while they spin, so two
//! CPUs shooting down at once cannot deadlock, even with interrupts disabled.

use super::{apic, percpu, traps};
use core::sync::atomic::{AtomicU64, Ordering};

static GENERATION: AtomicU64 = AtomicU64::new(0);
static FLUSHED: [AtomicU64; percpu::MAX_CPUS] = [const { AtomicU64::new(0) }; percpu::MAX_CPUS];

fn flush_local() {
    let (frame, flags) = x86_64::registers::control::Cr3::read();
    // SAFETY: reloading the same CR3 only drops non-global TLB entries.
    unsafe { x86_64::registers::control::Cr3::write(frame, flags) };
}

/// Bring this CPU up to date with pending shootdown requests.
pub fn service() {
    if !percpu::this_cpu_ready() {
        return;
    }
    let index = percpu::this_cpu().index;
    let target = GENERATION.load(Ordering::Acquire);
    if FLUSHED[index].load(Ordering::Acquire) < target {
        flush_local();
        FLUSHED[index].fetch_max(target, Ordering::AcqRel);
    }
}

/// Make every CPU drop its cached user translations (this CPU's are flushed by the caller's invlpg or here).
pub fn shootdown() {
    flush_local();
    let online = percpu::online_count();
    if online <= 1 || !percpu::this_cpu_ready() {
        return;
    }
    let me = percpu::this_cpu().index;
    let target = GENERATION.fetch_add(1, Ordering::AcqRel) + 1;
    FLUSHED[me].fetch_max(target, Ordering::AcqRel);
    apic::send_fixed_ipi_all_but_self(traps::TLB_FLUSH_VECTOR);
    for cpu in (0..online).filter(|&c| c != me) {
        let mut spins: u64 = 0;
        while FLUSHED[cpu].load(Ordering::Acquire) < target {
            // Serve others' requests meanwhile (they may be waiting on us with interrupts off).
            service();
            core::hint::spin_loop();
            spins += 1;
            if spins.is_multiple_of(10_000_000) {
                // A lost IPI would wait forever: ask again.
                apic::send_fixed_ipi_all_but_self(traps::TLB_FLUSH_VECTOR);
            }
        }
    }
}
