//! The scheduler: a run queue per CPU, round robin, preemption on the timer when a thread is in user mode, idle
//! CPUs halt. Wake-ups go back to the thread's last CPU (an IPI wakes it if idle); an idle CPU steals from the
//! busiest queue.
//!
//! This module holds the one call into the context switch (`arch::switch::switch`), hence its `unsafe`.

use super::{State, Task};
use crate::arch::{apic, paging, percpu, switch, traps};
use crate::mm::uspace::AddressSpace;
use alloc::collections::{BTreeMap, VecDeque};
use alloc::sync::Arc;
use basalt_sched_attr::CpuMask;
use core::sync::atomic::{AtomicBool, AtomicI8, AtomicU64, Ordering};
use spin::Mutex;
use x86_64::instructions::interrupts::without_interrupts;

/// Time slice at nice 0, in timer ticks.
const SLICE_TICKS: u64 = 2;

/// A thread's scheduling attributes: the CPUs it may run on and its nice value (both per thread, as on Linux;
/// a new thread starts with its creator's).
pub struct SchedAttr {
    affinity: AtomicU64,
    nice: AtomicI8,
}

impl SchedAttr {
    /// The current thread's attributes, for a thread it creates (every CPU and nice 0 for the first ones).
    pub fn inherited() -> SchedAttr {
        let (affinity, nice) = current()
            .map(|t| (t.sched_attr.affinity(), t.sched_attr.nice()))
            .unwrap_or((CpuMask::ALL, 0));
        SchedAttr {
            affinity: AtomicU64::new(affinity.bits()),
            nice: AtomicI8::new(nice),
        }
    }

    /// The CPUs the thread may run on.
    pub fn affinity(&self) -> CpuMask {
        CpuMask::from_bits(self.affinity.load(Ordering::Relaxed))
    }

    pub fn nice(&self) -> i8 {
        self.nice.load(Ordering::Relaxed)
    }

    pub fn set_nice(&self, nice: i8) {
        self.nice.store(nice, Ordering::Relaxed);
    }
}

/// The online CPUs.
pub fn online_cpus() -> CpuMask {
    CpuMask::first(percpu::online_count().max(1))
}

/// Restrict `task` to the CPUs of `mask` (already checked to hold an online one). The current thread moves off a
/// CPU it may no longer use at once; another thread at its next switch.
pub fn set_affinity(task: &Arc<Task>, mask: CpuMask) {
    task.sched_attr
        .affinity
        .store(mask.bits(), Ordering::Relaxed);
    let me = current();
    if me.is_some_and(|me| Arc::ptr_eq(&me, task)) && !mask.contains(this().0) {
        yield_now();
    }
}

/// Whether `task` may run on CPU `cpu`.
fn allowed(task: &Task, cpu: usize) -> bool {
    task.sched_attr.affinity().contains(cpu)
}

/// A CPU `task` may run on: `preferred` if allowed, else its first allowed online CPU.
fn allowed_cpu(task: &Task, preferred: usize) -> usize {
    if allowed(task, preferred) {
        return preferred;
    }
    task.sched_attr
        .affinity()
        .and(online_cpus())
        .first_cpu()
        .unwrap_or(0)
}

struct CpuSched {
    queue: Mutex<VecDeque<Arc<Task>>>,
    current: Mutex<Option<Arc<Task>>>,
    /// Saved stack pointer of this CPU's idle context.
    idle_rsp: AtomicU64,
    /// The thread this CPU just switched away from; `finish_switch` lets other CPUs run it again.
    prev: Mutex<Option<Arc<Task>>>,
    /// The user address space loaded in CR3 (kept alive while loaded).
    active_mm: Mutex<Option<Arc<AddressSpace>>>,
    idle: AtomicBool,
    slice_start: AtomicU64,
}

impl CpuSched {
    const fn new() -> Self {
        CpuSched {
            queue: Mutex::new(VecDeque::new()),
            current: Mutex::new(None),
            idle_rsp: AtomicU64::new(0),
            prev: Mutex::new(None),
            active_mm: Mutex::new(None),
            idle: AtomicBool::new(false),
            slice_start: AtomicU64::new(0),
        }
    }
}

static CPUS: [CpuSched; percpu::MAX_CPUS] = [const { CpuSched::new() }; percpu::MAX_CPUS];

/// Sleeping threads by deadline (ns since boot).
static SLEEPERS: Mutex<BTreeMap<(u64, u32), Arc<Task>>> = Mutex::new(BTreeMap::new());

fn this() -> (usize, &'static CpuSched) {
    let i = percpu::this_cpu().sched_slot;
    (i, &CPUS[i])
}

/// The thread running on this CPU (None in the idle context or early boot).
pub fn current() -> Option<Arc<Task>> {
    with_current(Arc::clone)
}

/// Run `f` on the thread running on this CPU without taking a reference to it (the cheap way for hot paths such as
/// every return to user mode). `f` runs with interrupts off and this CPU's current slot locked: keep it short and
/// never schedule from it.
pub fn with_current<R>(f: impl FnOnce(&Arc<Task>) -> R) -> Option<R> {
    // Threads run only on CPUs whose per-CPU block is set up, and no CPU looks for its thread before its own
    // set-up, so "any CPU online" is enough here (and cheaper than reading the GS base MSR).
    if percpu::online_count() == 0 {
        return None;
    }
    without_interrupts(|| this().1.current.lock().as_ref().map(f))
}

/// Make a new or woken thread runnable on the least loaded online CPU.
pub fn spawn(task: Arc<Task>) {
    let online = percpu::online_count().max(1);
    // Run-queue locks are also taken by the timer interrupt: never hold one with interrupts on.
    let target = without_interrupts(|| {
        (0..online)
            .filter(|&i| allowed(&task, i))
            .min_by_key(|&i| CPUS[i].queue.lock().len())
            .unwrap_or_else(|| allowed_cpu(&task, 0))
    });
    enqueue(target, task);
}

fn enqueue(cpu: usize, task: Arc<Task>) {
    without_interrupts(|| CPUS[cpu].queue.lock().push_back(task));
    if CPUS[cpu].idle.load(Ordering::Acquire) && cpu != this().0 {
        if let Some(c) = percpu::cpu(cpu) {
            apic::send_fixed_ipi(c.apic_id, traps::RESCHEDULE_VECTOR);
        }
    }
}

/// Mark the current thread as about to block (call before queueing it anywhere a waker can find it).
pub fn prepare_to_block(me: &Arc<Task>) {
    // SeqCst (a locked exchange): the caller's next step is to recheck its condition and the interruption flags, and
    // that load must not pass this store. Otherwise a waker that sets a flag and then finds the thread still
    // Runnable (an exit_group, say) wakes nobody, while the thread read the old flag and sleeps for good.
    me.state.swap(State::Blocked as u8, Ordering::SeqCst);
}

/// The condition came true before blocking: stay runnable.
pub fn cancel_block(me: &Arc<Task>) {
    me.set_state(State::Runnable);
}

/// Give up the CPU until woken (after `prepare_to_block`).
pub fn block() {
    without_interrupts(|| schedule(false));
}

/// Wake a blocked thread; does nothing if it is not blocked.
pub fn wake(task: &Arc<Task>) {
    if task
        .state
        .compare_exchange(
            State::Blocked as u8,
            State::Runnable as u8,
            Ordering::AcqRel,
            Ordering::Acquire,
        )
        .is_ok()
    {
        let cpu =
            (task.last_cpu.load(Ordering::Relaxed) as usize).min(percpu::online_count().max(1) - 1);
        enqueue(allowed_cpu(task, cpu), task.clone());
    }
}

/// Give up the CPU (after `prepare_to_block` and the caller's recheck) until woken or until the monotonic clock
/// reaches `deadline_ns`.
pub fn block_until(me: &Arc<Task>, deadline_ns: u64) {
    without_interrupts(|| SLEEPERS.lock().insert((deadline_ns, me.tid), me.clone()));
    if crate::time::monotonic_ns() >= deadline_ns {
        cancel_block(me);
    } else {
        block();
    }
    without_interrupts(|| SLEEPERS.lock().remove(&(deadline_ns, me.tid)));
}

/// Let others run.
pub fn yield_now() {
    without_interrupts(|| schedule(true));
}

/// Whether a sleeping thread should give up waiting (the process is being killed, or a signal is pending).
pub fn interrupt_pending(me: &Arc<Task>) -> bool {
    me.process.is_exiting() || crate::task::process::signal_pending(me)
}

/// The current thread ends: switch away for good (its stack is freed when it is off the CPU).
pub fn exit_current() -> ! {
    without_interrupts(|| {
        if let Some(me) = current() {
            me.set_state(State::Dead);
        }
        schedule(false);
    });
    unreachable!("a dead thread was scheduled again");
}

/// Sleep until the monotonic clock reaches `deadline_ns`, or an interruption. Returns false when interrupted.
pub fn sleep_until(deadline_ns: u64) -> bool {
    let Some(me) = current() else { return true };
    while crate::time::monotonic_ns() < deadline_ns {
        if interrupt_pending(&me) {
            return false;
        }
        prepare_to_block(&me);
        without_interrupts(|| SLEEPERS.lock().insert((deadline_ns, me.tid), me.clone()));
        // Recheck after marking ourselves blocked: a wake-up before that point would be lost.
        if crate::time::monotonic_ns() >= deadline_ns || interrupt_pending(&me) {
            cancel_block(&me);
        } else {
            block();
        }
        without_interrupts(|| SLEEPERS.lock().remove(&(deadline_ns, me.tid)));
    }
    true
}

/// Called from the timer interrupt. `user` says whether the CPU was in user mode (only then is the thread
/// preempted: the kernel itself is not preemptible).
pub fn timer_tick(user: bool) {
    let ran = with_current(|t| t.cpu_time.charge_tick(user)).is_some();
    super::stats::tick(this().0, user, !ran);
    let now = crate::time::monotonic_ns();
    if this().0 == 0 {
        let expired: alloc::vec::Vec<Arc<Task>> = {
            let mut sleepers = SLEEPERS.lock();
            let mut out = alloc::vec::Vec::new();
            while let Some(entry) = sleepers.first_entry() {
                if entry.key().0 > now {
                    break;
                }
                out.push(entry.remove());
            }
            out
        };
        for t in expired {
            wake(&t);
        }
    }
    let (_, cpu) = this();
    let ticks = percpu::this_cpu().timer_ticks.load(Ordering::Relaxed);
    // Nicer threads get shorter slices, favoured ones longer (a coarse stand-in for CFS's weights).
    let slice = cpu.current.lock().as_ref().map_or(SLICE_TICKS, |t| {
        basalt_sched_attr::slice_ticks(t.sched_attr.nice(), SLICE_TICKS)
    });
    if user && ticks.wrapping_sub(cpu.slice_start.load(Ordering::Relaxed)) >= slice {
        let others_waiting = !cpu.queue.lock().is_empty();
        if others_waiting {
            schedule(true);
        }
    }
}

fn pick(cpu_index: usize) -> Option<Arc<Task>> {
    // A wake-up that raced with the thread cancelling its sleep can leave a stale entry; entries for threads that
    // are not runnable (blocked again, or dead) are dropped: a real wake-up enqueues them anew.
    let runnable = |t: &Arc<Task>| t.state() == State::Runnable;
    loop {
        let Some(t) = CPUS[cpu_index].queue.lock().pop_front() else {
            break;
        };
        if !runnable(&t) {
            continue;
        }
        let target = allowed_cpu(&t, cpu_index);
        if target != cpu_index {
            // Its affinity changed while it waited here: hand it to a CPU it may use.
            enqueue(target, t);
            continue;
        }
        return Some(t);
    }
    // Steal from the busiest other CPU, a thread that may run here.
    let online = percpu::online_count().max(1);
    let victim = (0..online)
        .filter(|&i| i != cpu_index)
        .max_by_key(|&i| CPUS[i].queue.lock().len())?;
    let mut q = CPUS[victim].queue.lock();
    if q.len() <= 1 {
        return None;
    }
    let i = (0..q.len())
        .rev()
        .find(|&i| runnable(&q[i]) && allowed(&q[i], cpu_index))?;
    q.remove(i)
}

/// Pick the next thread and claim it for this CPU: wait until no other CPU runs on its stack, take `on_cpu` atomically
/// (a thread can sit in two queues after a racing wake-up), and make sure it is still runnable. The current thread
/// itself is returned unclaimed (it is already on this CPU).
fn claim_next(index: usize, prev: Option<&Arc<Task>>) -> Option<Arc<Task>> {
    // A thread still running elsewhere (about to switch away) is put back rather than waited for: two CPUs each
    // waiting for the other's current thread would wait forever. The idle loop retries soon.
    const ATTEMPTS: usize = 8;
    for _ in 0..ATTEMPTS {
        let n = pick(index)?;
        if prev.is_some_and(|p| Arc::ptr_eq(p, &n)) {
            return Some(n);
        }
        if n.on_cpu
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            CPUS[index].queue.lock().push_back(n);
            // The other CPU may be waiting for this one to flush its TLB (interrupts are off here).
            crate::arch::tlb::service();
            continue;
        }
        // Off every CPU now, so its state is settled: a thread only blocks or dies while running.
        if n.state() == State::Runnable {
            return Some(n);
        }
        n.on_cpu.store(false, Ordering::Release);
    }
    None
}

/// Switch to the next runnable thread (or the idle context). Interrupts must be disabled.
/// `requeue`: put the current thread back on the run queue (preemption, yield) instead of leaving it blocked/dead.
fn schedule(requeue: bool) {
    let (index, cpu) = this();
    let prev = cpu.current.lock().take();
    if let Some(p) = &prev {
        if requeue && p.state() == State::Runnable {
            let target = allowed_cpu(p, index);
            if target == index {
                cpu.queue.lock().push_back(p.clone());
            } else {
                // Its affinity excludes this CPU now: it continues elsewhere once off this one.
                enqueue(target, p.clone());
            }
        }
    }
    let next = claim_next(index, prev.as_ref());
    if next.is_some() {
        super::stats::note_switch();
    }
    if let (Some(p), Some(n)) = (&prev, &next) {
        if Arc::ptr_eq(p, n) {
            *cpu.current.lock() = next;
            cpu.slice_start.store(
                percpu::this_cpu().timer_ticks.load(Ordering::Relaxed),
                Ordering::Relaxed,
            );
            return;
        }
    }
    if prev.is_none() && next.is_none() {
        return;
    }
    let now = crate::time::monotonic_ns();
    if let Some(p) = &prev {
        p.cpu_time
            .switched_out(now, !(requeue && p.state() == State::Runnable));
    }
    if let Some(n) = &next {
        n.cpu_time.switched_in(now);
    }

    let save_ptr: *mut u64 = match &prev {
        Some(p) => {
            p.fpu.lock().save();
            p.fs_base.store(switch::fs_base(), Ordering::Relaxed);
            p.saved_rsp.as_ptr()
        }
        None => cpu.idle_rsp.as_ptr(),
    };
    let next_rsp = match &next {
        Some(n) => {
            // on_cpu was claimed by claim_next.
            n.last_cpu.store(index as u32, Ordering::Relaxed);
            percpu::set_kernel_stack(n.kstack_top());
            let mm = n.process.address_space();
            let mut active = cpu.active_mm.lock();
            if active.as_ref().map(|a| a.pml4()) != Some(mm.pml4()) {
                paging::activate(mm.pml4());
                *active = Some(mm);
            }
            drop(active);
            n.fpu.lock().restore();
            switch::set_fs_base(n.fs_base.load(Ordering::Relaxed));
            n.saved_rsp.load(Ordering::Acquire)
        }
        None => {
            // Idle: drop any user address space so it can be freed.
            paging::activate(paging::kernel_pml4());
            *cpu.active_mm.lock() = None;
            cpu.idle_rsp.load(Ordering::Acquire)
        }
    };
    *cpu.current.lock() = next;
    *cpu.prev.lock() = prev;
    cpu.slice_start.store(
        percpu::this_cpu().timer_ticks.load(Ordering::Relaxed),
        Ordering::Relaxed,
    );
    // SAFETY: interrupts are off; `save_ptr` points into the previous thread (kept alive in `cpu.prev` until
    // finish_switch) or this CPU's static idle slot; `next_rsp` was saved by a switch away from `next` (not running:
    // on_cpu was false) or prepared for a new thread, or is this CPU's idle context.
    unsafe { switch::switch(save_ptr, next_rsp) };
    finish_switch();
}

/// After a switch, on the new stack: let the thread we left be run elsewhere (or be freed if it died).
pub fn finish_switch() {
    let (_, cpu) = this();
    if let Some(p) = cpu.prev.lock().take() {
        p.on_cpu.store(false, Ordering::Release);
    }
}

/// Load the current process's address space on this CPU (after exec replaced it).
pub fn activate_current_mm() {
    without_interrupts(|| {
        let (_, cpu) = this();
        if let Some(task) = cpu.current.lock().clone() {
            let mm = task.process.address_space();
            paging::activate(mm.pml4());
            *cpu.active_mm.lock() = Some(mm);
        }
    });
}

/// This CPU becomes an idle context: run threads when there are any, halt otherwise. Never returns.
pub fn run_idle() -> ! {
    let (_, cpu) = this();
    loop {
        x86_64::instructions::interrupts::disable();
        let has_work = !cpu.queue.lock().is_empty() || percpu::online_count() > 1;
        if has_work {
            schedule(false);
        }
        cpu.idle.store(true, Ordering::Release);
        if cpu.queue.lock().is_empty() {
            crate::arch::cpu::idle_halt();
        } else {
            x86_64::instructions::interrupts::enable();
        }
        cpu.idle.store(false, Ordering::Release);
    }
}

/// A kernel thread for periodic work that must not run in interrupt context (it takes locks that threads hold
/// with interrupts enabled): interval timers (ITIMER_REAL, alarm), and releasing shared memory objects of address
/// spaces freed in the scheduler.
pub fn start_housekeeping() -> Result<(), super::NoMemory> {
    let mm = crate::mm::uspace::AddressSpace::new().map_err(|_| super::NoMemory)?;
    let id = super::process::alloc_id().map_err(|_| super::NoMemory)?;
    let process = super::process::Process::new_kernel(id, mm);
    let task = Task::new(id, process.clone(), housekeeping, 0)?;
    process.add_thread(&task);
    spawn(task);
    Ok(())
}

extern "C" fn housekeeping(_arg: u64) -> ! {
    finish_switch();
    x86_64::instructions::interrupts::enable();
    loop {
        let now = crate::time::monotonic_ns();
        super::process::timer_tick(now);
        crate::mm::shared_pages::run_deferred();
        super::stats::maybe_sample_load(now);
        sleep_until(now + 10_000_000);
    }
}
