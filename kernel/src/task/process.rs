//! Processes: pids, parents and children, the address space and thread group, exit and wait.
#![forbid(unsafe_code)]

use super::wait::WaitQueue;
use super::{sched, Task};
use crate::arch::idt::TrapFrame;
use crate::fs::fdtable::FdTable;
use crate::mm::uspace::AddressSpace;
use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use basalt_linux_abi::Errno;
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, Ordering};
use spin::Mutex;

/// Largest pid handed out before wrapping (Linux's default pid_max).
const PID_MAX: u32 = 32768;

/// A process: one address space, one or more threads.
pub struct Process {
    pub pid: u32,
    parent: Mutex<Weak<Process>>,
    pub pgid: AtomicU32,
    pub sid: AtomicU32,
    mm: Mutex<Arc<AddressSpace>>,
    threads: Mutex<Vec<Weak<Task>>>,
    children: Mutex<Vec<Arc<Process>>>,
    /// Set by exit_group (or a fatal signal): every thread leaves at its next chance.
    exiting: AtomicBool,
    /// The wait status (Linux encoding) once the whole process has ended.
    exit_status: AtomicI32,
    zombie: AtomicBool,
    /// Woken when a child changes state (wait4).
    pub child_events: WaitQueue,
    /// Open files; threads share the table (and clone with CLONE_FILES shares it across processes).
    files: Mutex<Arc<Mutex<FdTable>>>,
    /// Signal handlers and process-wide pending signals.
    pub signals: Mutex<super::signal::ProcessSignals>,
    /// Working directory (an inode of the root filesystem, held while it is the cwd).
    cwd: Mutex<Option<basalt_memfs::InodeId>>,
    /// File-creation mask.
    pub umask: AtomicU32,
    /// ITIMER_REAL / alarm.
    pub real_timer: Mutex<basalt_signal::RealTimer>,
    /// Stopped by a stop signal (job control).
    stopped: AtomicBool,
    /// A stop or continue not yet reported to wait4 (WUNTRACED / WCONTINUED): the wait status to report.
    unreported_stop: AtomicI32,
    pub name: Mutex<[u8; 16]>,
    /// Resource limits (copied by fork, kept over exec).
    pub rlimits: Mutex<basalt_rlimit::Rlimits>,
}

static PROCESSES: Mutex<BTreeMap<u32, Weak<Process>>> = Mutex::new(BTreeMap::new());
static NEXT_PID: AtomicU32 = AtomicU32::new(1);

/// A free id for a process or thread (they share one number space, as on Linux).
pub fn alloc_id() -> Result<u32, Errno> {
    let table = PROCESSES.lock();
    for _ in 0..PID_MAX {
        let mut id = NEXT_PID.fetch_add(1, Ordering::Relaxed);
        if id >= PID_MAX {
            NEXT_PID.store(2, Ordering::Relaxed);
            id = 2;
        }
        if !table.contains_key(&id) {
            return Ok(id);
        }
    }
    Err(Errno::EAGAIN)
}

impl Process {
    /// A new process (not yet in the table) with `mm` as its address space.
    pub fn new(pid: u32, parent: Option<&Arc<Process>>, mm: AddressSpace) -> Arc<Process> {
        let (pgid, sid) = parent
            .map(|p| {
                (
                    p.pgid.load(Ordering::Relaxed),
                    p.sid.load(Ordering::Relaxed),
                )
            })
            .unwrap_or((pid, pid));
        let p =
            Arc::new(Process {
                pid,
                parent: Mutex::new(parent.map(Arc::downgrade).unwrap_or_default()),
                pgid: AtomicU32::new(pgid),
                sid: AtomicU32::new(sid),
                mm: Mutex::new(Arc::new(mm)),
                threads: Mutex::new(Vec::new()),
                children: Mutex::new(Vec::new()),
                exiting: AtomicBool::new(false),
                exit_status: AtomicI32::new(0),
                zombie: AtomicBool::new(false),
                child_events: WaitQueue::new(),
                signals: Mutex::new(super::signal::ProcessSignals {
                    handlers: parent
                        .map(|p| p.signals.lock().handlers.clone())
                        .unwrap_or_default(),
                    pending: basalt_signal::Pending::new(),
                }),
                real_timer: Mutex::new(basalt_signal::RealTimer::DISARMED),
                cwd: Mutex::new(parent.and_then(|p| p.cwd()).filter(|&ino| {
                    crate::fs::root::fs().is_ok_and(|fs| fs.lock().hold(ino).is_ok())
                })),
                umask: AtomicU32::new(
                    parent
                        .map(|p| p.umask.load(Ordering::Relaxed))
                        .unwrap_or(0o022),
                ),
                stopped: AtomicBool::new(false),
                unreported_stop: AtomicI32::new(0),
                files: Mutex::new(Arc::new(Mutex::new(
                    parent.map(|p| p.files().lock().clone()).unwrap_or_default(),
                ))),
                name: Mutex::new(parent.map(|p| *p.name.lock()).unwrap_or([0; 16])),
                rlimits: Mutex::new(parent.map(|p| *p.rlimits.lock()).unwrap_or_default()),
            });
        PROCESSES.lock().insert(pid, Arc::downgrade(&p));
        if let Some(parent) = parent {
            parent.children.lock().push(p.clone());
        }
        p
    }

    /// The working directory (None: the root).
    pub fn cwd(&self) -> Option<basalt_memfs::InodeId> {
        *self.cwd.lock()
    }

    /// Change the working directory (the new one is already held by the caller).
    pub fn set_cwd(&self, ino: basalt_memfs::InodeId) {
        let old = self.cwd.lock().replace(ino);
        if let (Some(old), Ok(fs)) = (old, crate::fs::root::fs()) {
            let _ = fs.lock().release(old);
        }
    }

    /// Live threads of this process.
    pub fn threads_snapshot(&self) -> Vec<Arc<Task>> {
        self.threads
            .lock()
            .iter()
            .filter_map(|t| t.upgrade())
            .filter(|t| t.state() != super::State::Dead)
            .collect()
    }

    pub fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::Acquire)
    }

    /// Stop or continue; returns whether the state changed.
    pub fn set_stopped(&self, stopped: bool) -> bool {
        for t in self.threads_snapshot() {
            t.attention();
        }
        self.stopped.swap(stopped, Ordering::AcqRel) != stopped
    }

    /// Record a stop for wait4(WUNTRACED) and tell the parent.
    pub fn note_stopped(&self, sig: i32) {
        self.unreported_stop
            .store(0x7f | (sig << 8), Ordering::Release);
        if let Some(parent) = self.parent.lock().upgrade() {
            super::signal::notify_parent_of_stop(
                &parent,
                self.pid,
                basalt_signal::code::CLD_STOPPED,
                sig,
            );
            parent.child_events.wake_all();
        }
    }

    /// Record a continue for wait4(WCONTINUED) and tell the parent.
    pub fn note_continued(&self) {
        self.unreported_stop.store(0xffff, Ordering::Release);
        if let Some(parent) = self.parent.lock().upgrade() {
            super::signal::notify_parent_of_stop(
                &parent,
                self.pid,
                basalt_signal::code::CLD_CONTINUED,
                18,
            );
            parent.child_events.wake_all();
        }
    }

    /// The descriptor table.
    pub fn files(&self) -> Arc<Mutex<FdTable>> {
        self.files.lock().clone()
    }

    /// Share another process's descriptor table (CLONE_FILES).
    pub fn share_files(&self, table: Arc<Mutex<FdTable>>) {
        *self.files.lock() = table;
    }

    /// A process for kernel threads: not in the process table (no signals, not visible to kill or wait).
    pub fn new_kernel(id: u32, mm: AddressSpace) -> Arc<Process> {
        let p = Process::new(id, None, mm);
        PROCESSES.lock().remove(&id);
        p.set_name("kthread");
        p
    }

    /// The address space threads of this process run in.
    pub fn address_space(&self) -> Arc<AddressSpace> {
        self.mm.lock().clone()
    }

    /// Replace the address space (exec). The old one is freed once no CPU has it loaded.
    pub fn replace_address_space(&self, mm: AddressSpace) {
        mm.apply_rlimits(&self.rlimits.lock());
        *self.mm.lock() = Arc::new(mm);
    }

    /// Register a thread; its id also finds this process (as on Linux, where every tid names its thread group).
    pub fn add_thread(self: &Arc<Self>, t: &Arc<Task>) {
        self.threads.lock().push(Arc::downgrade(t));
        if t.tid != self.pid && PROCESSES.lock().contains_key(&self.pid) {
            PROCESSES.lock().insert(t.tid, Arc::downgrade(self));
        }
    }

    pub fn ppid(&self) -> u32 {
        self.parent.lock().upgrade().map(|p| p.pid).unwrap_or(0)
    }

    pub fn is_exiting(&self) -> bool {
        self.exiting.load(Ordering::Acquire)
    }

    /// The process name (`comm`): the executable's file name, at most 15 bytes.
    pub fn set_name(&self, path: &str) {
        let base = path.rsplit('/').next().unwrap_or(path).as_bytes();
        let mut name = [0u8; 16];
        let n = base.len().min(15);
        name[..n].copy_from_slice(&base[..n]);
        *self.name.lock() = name;
    }

    pub fn name_string(&self) -> alloc::string::String {
        let name = *self.name.lock();
        let len = name.iter().position(|&b| b == 0).unwrap_or(16);
        alloc::string::String::from_utf8_lossy(&name[..len]).into_owned()
    }

    fn live_threads(&self) -> usize {
        let mut threads = self.threads.lock();
        threads.retain(|t| t.upgrade().is_some_and(|t| t.state() != super::State::Dead));
        threads.len()
    }
}

/// The thread with id `tid`.
pub fn find_thread(tid: u32) -> Option<Arc<Task>> {
    let p = find(tid)?;
    p.threads_snapshot().into_iter().find(|t| t.tid == tid)
}

/// Every process (not threads).
pub fn all() -> Vec<Arc<Process>> {
    PROCESSES
        .lock()
        .iter()
        .filter_map(|(&id, w)| w.upgrade().filter(|p| p.pid == id))
        .collect()
}

/// Every process in process group `pgid`.
pub fn in_group(pgid: u32) -> Vec<Arc<Process>> {
    all()
        .into_iter()
        .filter(|p| p.pgid.load(Ordering::Relaxed) == pgid && !p.zombie.load(Ordering::Acquire))
        .collect()
}

/// Number of processes (and threads) in the table.
pub fn count() -> usize {
    PROCESSES.lock().len()
}

/// Look a process up by pid.
pub fn find(pid: u32) -> Option<Arc<Process>> {
    PROCESSES.lock().get(&pid)?.upgrade()
}

/// The current thread's process.
pub fn current() -> Option<Arc<Process>> {
    sched::current().map(|t| t.process.clone())
}

/// Start the whole process ending with wait status `status`: other threads stop at their next chance.
pub fn begin_exit(p: &Process, status: i32) {
    if !p.exiting.swap(true, Ordering::AcqRel) {
        p.exit_status.store(status, Ordering::Release);
    }
    // Every thread leaves at its next chance: wake the sleeping ones so they see it.
    for t in p.threads_snapshot() {
        t.attention();
        sched::wake(&t);
    }
}

/// The current thread ends. When it is the process's last thread, the process becomes a zombie for its parent.
pub fn exit_thread() -> ! {
    let me = sched::current().expect("exit_thread outside a thread");
    // CLONE_CHILD_CLEARTID / set_tid_address: tell a joining thread (pthread_join waits on this word).
    let clear = me.clear_child_tid.swap(0, Ordering::AcqRel);
    if clear != 0 && crate::arch::usercopy::copy_to_user(clear, &0u32.to_le_bytes()).is_ok() {
        let _ = super::futex::wake(clear, 1, u32::MAX);
    }
    let process = me.process.clone();
    let tid = me.tid;
    drop(me);
    // The thread is the caller itself, still counted live until it is marked dead by the scheduler.
    let others = process.live_threads().saturating_sub(1);
    if tid != process.pid {
        PROCESSES.lock().remove(&tid);
    }
    if others == 0 {
        finish_process(&process);
    }
    drop(process);
    sched::exit_current()
}

fn finish_process(p: &Arc<Process>) {
    if p.pid == 1 {
        panic!(
            "Attempted to kill init! exitcode={:#010x}",
            p.exit_status.load(Ordering::Acquire)
        );
    }
    // Children go to init, as on Linux without subreapers.
    let orphans: Vec<Arc<Process>> = core::mem::take(&mut *p.children.lock());
    if !orphans.is_empty() {
        if let Some(init) = find(1) {
            for child in orphans {
                *child.parent.lock() = Arc::downgrade(&init);
                init.children.lock().push(child);
            }
            init.child_events.wake_all();
        }
    }
    // Close files (pipes see their ends go) and release the memory now; the zombie keeps only its status.
    let closed = p.files().lock().close_all();
    drop(closed);
    if let (Some(cwd), Ok(fs)) = (p.cwd.lock().take(), crate::fs::root::fs()) {
        let _ = fs.lock().release(cwd);
    }
    if let Ok(empty) = AddressSpace::new() {
        p.replace_address_space(empty);
    }
    p.zombie.store(true, Ordering::Release);
    if let Some(parent) = p.parent.lock().upgrade() {
        let status = p.exit_status.load(Ordering::Acquire);
        if super::signal::notify_parent_of_exit(&parent, p.pid, status) {
            // The parent ignores SIGCHLD: nobody will wait, reap now.
            parent.children.lock().retain(|c| c.pid != p.pid);
            PROCESSES.lock().remove(&p.pid);
        }
        parent.child_events.wake_all();
    }
}

/// exit(2): this thread only (the process ends with it when it is the last).
pub fn sys_exit(code: i32) -> ! {
    if let Some(p) = current() {
        if p.live_threads() <= 1 {
            begin_exit(&p, (code & 0xff) << 8);
        }
    }
    exit_thread()
}

/// exit_group(2): the whole process.
pub fn sys_exit_group(code: i32) -> ! {
    if let Some(p) = current() {
        begin_exit(&p, (code & 0xff) << 8);
    }
    exit_thread()
}

/// Kill the current process with `signal` (wait status: terminated by that signal, with "core dumped" if `core`).
pub fn kill_current(signal: i32, core: bool) -> ! {
    if let Some(p) = current() {
        begin_exit(&p, signal | if core { 0x80 } else { 0 });
    }
    exit_thread()
}

/// Options of wait4.
const WNOHANG: u32 = 1;
const WUNTRACED: u32 = 2;
const WCONTINUED: u32 = 8;
const WNOTHREAD: u32 = 0x2000_0000;
const WALL: u32 = 0x4000_0000;
const WCLONE: u32 = 0x8000_0000;

/// Which child events a wait accepts, and how.
#[derive(Clone, Copy, Debug)]
pub struct WaitOptions {
    pub exited: bool,
    pub stopped: bool,
    pub continued: bool,
    /// Return at once (None) when no matching child has an event.
    pub nohang: bool,
    /// Report without consuming (waitid's WNOWAIT).
    pub nowait: bool,
}

/// wait4: returns (pid, status) of a reaped child, or 0 with WNOHANG.
pub fn wait_child(pid: i32, options: u32) -> Result<(u32, i32), Errno> {
    if options & !(WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WALL | WCLONE) != 0 {
        return Err(Errno::EINVAL);
    }
    let me = current().ok_or(Errno::ECHILD)?;
    let my_pgid = me.pgid.load(Ordering::Relaxed);
    let select = move |c: &Process| match pid {
        -1 => true,
        0 => c.pgid.load(Ordering::Relaxed) == my_pgid,
        p if p > 0 => c.pid == p as u32,
        p => c.pgid.load(Ordering::Relaxed) == p.unsigned_abs(),
    };
    let opts = WaitOptions {
        exited: true,
        stopped: options & WUNTRACED != 0,
        continued: options & WCONTINUED != 0,
        nohang: options & WNOHANG != 0,
        nowait: false,
    };
    Ok(wait_for(select, opts)?.unwrap_or((0, 0)))
}

/// Wait for an event of a child chosen by `select`: Some((pid, wait status word)), or None with `nohang`.
pub fn wait_for(
    select: impl Fn(&Process) -> bool,
    opts: WaitOptions,
) -> Result<Option<(u32, i32)>, Errno> {
    let me = current().ok_or(Errno::ECHILD)?;
    let result = me.child_events.wait_until(|| {
        let mut children = me.children.lock();
        if !children.iter().any(|c| select(c)) {
            return Some(Err(Errno::ECHILD));
        }
        if opts.stopped || opts.continued {
            let reportable = |c: &Arc<Process>| {
                let s = c.unreported_stop.load(Ordering::Acquire);
                let wanted = (s == 0xffff && opts.continued) || (s != 0xffff && opts.stopped);
                (s != 0 && wanted).then_some(s)
            };
            if let Some(c) = children
                .iter()
                .filter(|c| select(c))
                .find(|c| reportable(c).is_some())
            {
                let s = c.unreported_stop.load(Ordering::Acquire);
                if !opts.nowait {
                    c.unreported_stop.store(0, Ordering::Release);
                }
                return Some(Ok(Some((c.pid, s))));
            }
        }
        if opts.exited {
            if let Some(i) = children
                .iter()
                .position(|c| select(c) && c.zombie.load(Ordering::Acquire))
            {
                let status = children[i].exit_status.load(Ordering::Acquire);
                let pid = children[i].pid;
                if !opts.nowait {
                    children.remove(i);
                    PROCESSES.lock().remove(&pid);
                }
                return Some(Ok(Some((pid, status))));
            }
        }
        if opts.nohang {
            return Some(Ok(None));
        }
        None
    });
    match result {
        Ok(r) => r,
        Err(_) => Err(ERESTARTSYS),
    }
}

/// "Interrupted; restart the call if the handler says so" (Linux's ERESTARTSYS, never seen by user space).
pub const ERESTARTSYS: Errno = Errno(512);

/// Whether a sleeping thread has a signal to act on.
pub fn signal_pending(task: &Arc<Task>) -> bool {
    super::signal::has_deliverable(task)
}

/// Per-tick process work (ITIMER_REAL / alarm) — runs on CPU 0.
pub fn timer_tick(now_ns: u64) {
    let expired: Vec<Arc<Process>> = all()
        .into_iter()
        .filter(|p| p.real_timer.lock().expire(now_ns))
        .collect();
    for p in expired {
        let _ = super::signal::send_to_process(
            &p,
            basalt_signal::SigInfo::kernel(basalt_signal::SIGALRM),
        );
        p.real_timer.lock().on_sigalrm_dequeued(now_ns);
    }
}

/// Called on every return to user mode: leave if the process is exiting, stop, or run signal handlers.
pub fn on_return_to_user(frame: &mut TrapFrame) {
    super::signal::deliver(frame);
}
