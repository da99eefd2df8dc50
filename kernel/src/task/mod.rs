//! Threads ("tasks"), processes, and the scheduler that runs them on every CPU.

pub mod cputime;
pub mod cred;
pub mod exec;
pub mod futex;
pub mod process;
pub mod sched;
pub mod signal;
pub mod stats;
pub mod wait;

use crate::arch::idt::TrapFrame;
use crate::arch::switch::FpuState;
use crate::arch::{paging, switch};
use crate::mm::frames;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, Ordering};
use process::Process;
use spin::Mutex;

/// Kernel stack size of every thread: 16 KiB.
const KSTACK_ORDER: usize = 2;
pub const KSTACK_SIZE: u64 = 4096 << KSTACK_ORDER;

/// Where a thread is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum State {
    /// On a run queue or running.
    Runnable = 0,
    /// Waiting for a wake-up.
    Blocked = 1,
    /// Finished; its kernel stack is freed once it is off the CPU.
    Dead = 2,
}

/// One thread of execution: a kernel stack, saved CPU state, and the process it belongs to.
pub struct Task {
    pub tid: u32,
    pub process: Arc<Process>,
    kstack_phys: u64,
    /// Saved stack pointer while switched out.
    saved_rsp: AtomicU64,
    state: AtomicU8,
    /// True while some CPU runs on this thread's stack (a waker must not run it elsewhere until it is off).
    on_cpu: AtomicBool,
    pub fpu: Mutex<FpuState>,
    pub fs_base: AtomicU64,
    /// `set_tid_address` / CLONE_CHILD_CLEARTID: cleared and futex-woken on exit.
    pub clear_child_tid: AtomicU64,
    /// CLONE_CHILD_SETTID: where the new thread stores its tid before it first enters user mode.
    pub set_child_tid: AtomicU64,
    /// set_robust_list: the head of this thread's robust futex list (walked when it exits or execs).
    pub robust_list: AtomicU64,
    /// CLONE_VFORK: the parent sleeps until this thread execs or exits.
    pub vfork_done: Mutex<Option<Arc<process::VforkDone>>>,
    /// Last CPU this thread ran on (wake-ups go back there).
    pub last_cpu: AtomicU32,
    /// Registers a new user thread starts with (fork/clone child, or init).
    pub initial_frame: Mutex<Option<TrapFrame>>,
    /// Pending signals, blocked mask and alternate stack of this thread.
    pub sig: Mutex<signal::ThreadSignals>,
    /// Something may need doing before this thread returns to user mode (a signal was posted or unblocked, the
    /// process is exiting or stopping). Lets the common return path skip the signal machinery.
    pub needs_attention: AtomicBool,
    /// CPU time, faults and context switches, for getrusage, times and the CPU-time clocks.
    pub cpu_time: cputime::CpuClock,
    /// CPU affinity and nice value.
    pub sched_attr: sched::SchedAttr,
}

/// Out of memory creating a thread.
#[derive(Debug)]
pub struct NoMemory;

impl Task {
    /// A new thread of `process` that will start by calling `entry(arg)` on its own kernel stack.
    pub fn new(
        tid: u32,
        process: Arc<Process>,
        entry: extern "C" fn(u64) -> !,
        arg: u64,
    ) -> Result<Arc<Task>, NoMemory> {
        let kstack_phys = frames::alloc_pages(KSTACK_ORDER).map_err(|_| NoMemory)?;
        let top = paging::phys_to_virt(kstack_phys) + KSTACK_SIZE;
        let rsp = switch::prepare_new_stack(top, entry, arg);
        Ok(Arc::new(Task {
            tid,
            process,
            kstack_phys,
            saved_rsp: AtomicU64::new(rsp),
            state: AtomicU8::new(State::Runnable as u8),
            on_cpu: AtomicBool::new(false),
            fpu: Mutex::new(FpuState::initial()),
            fs_base: AtomicU64::new(0),
            clear_child_tid: AtomicU64::new(0),
            set_child_tid: AtomicU64::new(0),
            robust_list: AtomicU64::new(0),
            vfork_done: Mutex::new(None),
            last_cpu: AtomicU32::new(0),
            initial_frame: Mutex::new(None),
            needs_attention: AtomicBool::new(true),
            cpu_time: cputime::CpuClock::default(),
            sched_attr: sched::SchedAttr::inherited(),
            sig: Mutex::new(signal::ThreadSignals::new(
                basalt_signal::SigSet::EMPTY,
                basalt_signal::AltStack::RESET,
            )),
        }))
    }

    /// Top of this thread's kernel stack (where the CPU pushes the user frame on entry).
    pub fn kstack_top(&self) -> u64 {
        paging::phys_to_virt(self.kstack_phys) + KSTACK_SIZE
    }

    pub fn state(&self) -> State {
        match self.state.load(Ordering::Acquire) {
            0 => State::Runnable,
            1 => State::Blocked,
            _ => State::Dead,
        }
    }

    /// Make the next return to user mode look at signals and the process state.
    pub fn attention(&self) {
        self.needs_attention.store(true, Ordering::Release);
    }

    fn set_state(&self, s: State) {
        self.state.store(s as u8, Ordering::Release);
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        if let Err(e) = frames::free_pages(self.kstack_phys, KSTACK_ORDER) {
            log::error!("task {}: freeing its kernel stack failed: {e}", self.tid);
        }
    }
}

/// Entry of every new user thread (fork/clone child): start user mode with the registers it was given.
pub extern "C" fn user_thread_entry(_arg: u64) -> ! {
    sched::finish_switch();
    let me = sched::current().expect("user thread without a task");
    let mut frame = me.initial_frame.lock().take().unwrap_or_default();
    // CLONE_CHILD_SETTID: written from the child itself, so it lands in the child's memory (a failure is ignored,
    // as on Linux).
    let settid = me.set_child_tid.swap(0, Ordering::AcqRel);
    if settid != 0 {
        let _ = crate::arch::usercopy::copy_to_user(settid, &me.tid.to_le_bytes());
    }
    drop(me);
    // Like any return to user mode: leave at once if the process is already exiting, take pending signals.
    crate::arch::traps::returning_to_user(&mut frame);
    crate::arch::syscall::enter_user(frame)
}
