//! TLB shootdown: after user page tables change (unmap, protect, copy-on-write, fork), other CPUs may still cache
//! the old translations. Only CPUs that have the changed address space loaded can: each CPU records its loaded
//! top-level table ([`note_loaded`], before loading CR3), and the changing CPU interrupts just those. It bumps a
//! generation; each interrupted CPU flushes its whole TLB (reloading CR3) and records the generation. Waiting CPUs
//! service requests themselves while they spin, so two CPUs shooting down at once cannot deadlock, even with
//! interrupts disabled. A single-threaded process's changes never interrupt anyone.

use super::{apic, percpu, traps};
use core::sync::atomic::{AtomicU64, Ordering};

static GENERATION: AtomicU64 = AtomicU64::new(0);
static FLUSHED: [AtomicU64; percpu::MAX_CPUS] = [const { AtomicU64::new(0) }; percpu::MAX_CPUS];
/// The top-level table each CPU has loaded (0: not known yet).
static LOADED: [AtomicU64; percpu::MAX_CPUS] = [const { AtomicU64::new(0) }; percpu::MAX_CPUS];

/// This CPU is about to load `pml4` into CR3. Recorded first, so that a CPU changing that address space after
/// this point either sees the record (and interrupts us) or finished its change before our CR3 load.
pub fn note_loaded(pml4: u64) {
    if percpu::this_cpu_ready() {
        LOADED[percpu::this_cpu().index].store(pml4, Ordering::SeqCst);
    }
}

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

/// Make every CPU that has address space `pml4` loaded drop its cached user translations (this CPU's are flushed
/// here whatever it has loaded).
pub fn shootdown(pml4: u64) {
    flush_local();
    let online = percpu::online_count();
    if online <= 1 || !percpu::this_cpu_ready() {
        return;
    }
    let me = percpu::this_cpu().index;
    // The page-table change must be visible before we look at who has the table loaded (see note_loaded).
    core::sync::atomic::fence(Ordering::SeqCst);
    let holds = |cpu: usize| cpu != me && LOADED[cpu].load(Ordering::SeqCst) == pml4;
    if !(0..online).any(holds) {
        return;
    }
    let target = GENERATION.fetch_add(1, Ordering::AcqRel) + 1;
    FLUSHED[me].fetch_max(target, Ordering::AcqRel);
    for cpu in (0..online).filter(|&c| holds(c)) {
        if let Some(c) = percpu::cpu(cpu) {
            apic::send_fixed_ipi(c.apic_id, traps::TLB_FLUSH_VECTOR);
        }
    }
    for cpu in (0..online).filter(|&c| holds(c)) {
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
