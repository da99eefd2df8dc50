//! Processes: pids, parents and children, the address space and thread group, exit and wait.
#![forbid(unsafe_code)]

use super::wait::WaitQueue;
use super::{sched, Task};
use crate::arch::idt::TrapFrame;
use crate::fs::fdtable::FdTable;
use crate::fs::vfs::{Held, Loc};
use crate::mm::uspace::AddressSpace;
use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use basalt_cputime::Account;
use basalt_linux_abi::Errno;
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicU8, Ordering};
use spin::Mutex;

/// Largest pid handed out before wrapping (Linux's default pid_max).
const PID_MAX: u32 = 32768;

/// The usual exit signal of a child (a child with another one, or none, is a "clone" child for wait).
pub const SIGCHLD: u8 = 17;

/// What CLONE_FS shares between processes: the working directory, the root directory (chroot) and the
/// file-creation mask.
pub struct FsContext {
    /// The working directory, held (None: the namespace root).
    cwd: Mutex<Option<Held>>,
    /// The root directory, held (None: the namespace root).
    root: Mutex<Option<Held>>,
    umask: AtomicU32,
}

impl FsContext {
    fn new(umask: u32) -> FsContext {
        FsContext {
            cwd: Mutex::new(None),
            root: Mutex::new(None),
            umask: AtomicU32::new(umask),
        }
    }

    /// A private copy (a child without CLONE_FS): the directories are held once more.
    fn copy(&self) -> FsContext {
        let cwd = self.cwd.lock().as_ref().and_then(|h| h.try_clone().ok());
        let root = self.root.lock().as_ref().and_then(|h| h.try_clone().ok());
        FsContext {
            cwd: Mutex::new(cwd),
            root: Mutex::new(root),
            umask: AtomicU32::new(self.umask.load(Ordering::Relaxed)),
        }
    }

    /// Give the directories back (the last process using this context ended).
    fn release(self) {
        drop(self.cwd.lock().take());
        drop(self.root.lock().take());
    }
}

/// CLONE_VFORK: the parent sleeps until the child execs or exits.
pub struct VforkDone {
    done: AtomicBool,
    queue: WaitQueue,
}

impl VforkDone {
    pub fn new() -> Arc<VforkDone> {
        Arc::new(VforkDone {
            done: AtomicBool::new(false),
            queue: WaitQueue::new(),
        })
    }

    /// The child let go of the parent's memory.
    pub fn complete(&self) {
        self.done.store(true, Ordering::SeqCst);
        self.queue.wake_all();
    }

    /// The parent waits; only a fatal signal (its process exiting) ends the wait early, as on Linux.
    pub fn wait(&self, parent: &Process) {
        self.queue
            .wait_uninterruptible(|| self.done.load(Ordering::SeqCst) || parent.is_exiting());
    }
}

/// What a new process shares with the one creating it (clone flags).
#[derive(Clone, Copy)]
pub struct Share {
    /// CLONE_FILES: one descriptor table.
    pub files: bool,
    /// CLONE_FS: one cwd and umask.
    pub fs: bool,
    /// Sent to the parent when the child ends (the low byte of clone's flags; 0: none).
    pub exit_signal: u8,
}

impl Share {
    /// fork: copies of everything, SIGCHLD at exit.
    pub const FORK: Share = Share {
        files: false,
        fs: false,
        exit_signal: SIGCHLD,
    };
}

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
    /// Working directory and umask (shared across processes by CLONE_FS).
    fs: Mutex<Arc<FsContext>>,
    /// Threads that have not exited yet: the last one to leave ends the process.
    live: AtomicU32,
    /// Signal for the parent at exit (`SIGCHLD` normally; see `Share::exit_signal`).
    exit_signal: AtomicU8,
    /// The process has called execve since fork (setpgid on it is then EACCES).
    exec_done: AtomicBool,
    /// Signal handlers and process-wide pending signals.
    pub signals: Mutex<super::signal::ProcessSignals>,
    /// ITIMER_REAL / alarm.
    pub real_timer: Mutex<basalt_signal::RealTimer>,
    /// Stopped by a stop signal (job control).
    stopped: AtomicBool,
    /// A stop or continue not yet reported to wait4 (WUNTRACED / WCONTINUED): the wait status to report.
    unreported_stop: AtomicI32,
    pub name: Mutex<[u8; 16]>,
    /// User and group ids and supplementary groups: inherited by fork and clone, kept by exec (see task::cred).
    pub creds: super::cred::CredCell,
    /// CPU time of threads that ended and of children that were reaped.
    accounts: Mutex<EndedAccounts>,
    /// prctl settings: the signal sent when the parent dies (0: none; not inherited by fork), whether a core
    /// dump may be written (inherited), and no_new_privs (inherited, can never be cleared).
    pub parent_death_signal: AtomicU8,
    pub dumpable: AtomicBool,
    pub no_new_privs: AtomicBool,
    /// Resource limits (copied by fork, kept over exec).
    pub rlimits: Mutex<basalt_rlimit::Rlimits>,
    /// What /proc/<pid> shows of the program: set by exec, inherited by fork.
    pub image: Mutex<Arc<ProgramImage>>,
    /// When the process was created (monotonic ns since boot).
    pub start_ns: u64,
    /// The controlling terminal (inherited by fork, dropped by setsid; see crate::tty::job).
    pub ctty: Mutex<Option<Arc<crate::tty::Tty>>>,
}

/// What exec recorded about the running program, for /proc/<pid>/{exe,cmdline,environ}.
#[derive(Default)]
pub struct ProgramImage {
    /// Absolute path of the executable (the interpreter of a script), empty if unknown.
    pub exe: Vec<u8>,
    /// The arguments, each followed by a NUL.
    pub cmdline: Vec<u8>,
    /// The environment strings, each followed by a NUL.
    pub environ: Vec<u8>,
}

impl ProgramImage {
    /// The record of a program at `exe` started with `argv` and `envp`.
    pub fn new(exe: Vec<u8>, argv: &[&[u8]], envp: &[&[u8]]) -> ProgramImage {
        let joined = |strings: &[&[u8]]| {
            let mut out = Vec::new();
            for s in strings {
                out.extend_from_slice(s);
                out.push(0);
            }
            out
        };
        ProgramImage {
            exe,
            cmdline: joined(argv),
            environ: joined(envp),
        }
    }
}

/// What a process keeps of threads and children that are gone.
#[derive(Clone, Copy, Default)]
struct EndedAccounts {
    threads: Account,
    reaped_children: Account,
}

/// A child's state change found by wait4/waitid.
#[derive(Clone, Copy, Debug)]
pub struct WaitEvent {
    pub pid: u32,
    /// The wait status word (Linux's encoding).
    pub status: i32,
    /// The child's resource use, its own reaped children included (wait4's `rusage`).
    pub usage: Account,
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
    /// A new process (entered in the table) with `mm` as its address space, forked from `parent` if any.
    pub fn new(pid: u32, parent: Option<&Arc<Process>>, mm: AddressSpace) -> Arc<Process> {
        Self::new_child(pid, parent, parent, Arc::new(mm), Share::FORK)
    }

    /// A new process that inherits from `from` (ids, handlers, files, cwd...) and is the child of `parent` (the
    /// two differ with CLONE_PARENT).
    pub fn new_child(
        pid: u32,
        from: Option<&Arc<Process>>,
        parent: Option<&Arc<Process>>,
        mm: Arc<AddressSpace>,
        share: Share,
    ) -> Arc<Process> {
        let (pgid, sid) = from
            .map(|p| {
                (
                    p.pgid.load(Ordering::Relaxed),
                    p.sid.load(Ordering::Relaxed),
                )
            })
            .unwrap_or((pid, pid));
        let p = Arc::new(Process {
            pid,
            parent: Mutex::new(parent.map(Arc::downgrade).unwrap_or_default()),
            pgid: AtomicU32::new(pgid),
            sid: AtomicU32::new(sid),
            mm: Mutex::new(mm),
            threads: Mutex::new(Vec::new()),
            children: Mutex::new(Vec::new()),
            exiting: AtomicBool::new(false),
            exit_status: AtomicI32::new(0),
            zombie: AtomicBool::new(false),
            child_events: WaitQueue::new(),
            signals: Mutex::new(super::signal::ProcessSignals {
                handlers: from
                    .map(|p| p.signals.lock().handlers.clone())
                    .unwrap_or_default(),
                pending: basalt_signal::Pending::new(),
            }),
            real_timer: Mutex::new(basalt_signal::RealTimer::DISARMED),
            fs: Mutex::new(match from {
                Some(p) if share.fs => p.fs.lock().clone(),
                Some(p) => Arc::new(p.fs.lock().copy()),
                None => Arc::new(FsContext::new(0o022)),
            }),
            live: AtomicU32::new(0),
            exit_signal: AtomicU8::new(share.exit_signal),
            exec_done: AtomicBool::new(false),
            stopped: AtomicBool::new(false),
            unreported_stop: AtomicI32::new(0),
            files: Mutex::new(match from {
                Some(p) if share.files => p.files(),
                Some(p) => Arc::new(Mutex::new(p.files().lock().fork_copy())),
                None => Arc::default(),
            }),
            name: Mutex::new(from.map(|p| *p.name.lock()).unwrap_or([0; 16])),
            accounts: Mutex::new(EndedAccounts::default()),
            parent_death_signal: AtomicU8::new(0),
            dumpable: AtomicBool::new(from.is_none_or(|p| p.dumpable.load(Ordering::Relaxed))),
            no_new_privs: AtomicBool::new(
                from.is_some_and(|p| p.no_new_privs.load(Ordering::Relaxed)),
            ),
            creds: super::cred::CredCell::inherit(from.map(|p| &p.creds)),
            rlimits: Mutex::new(from.map(|p| *p.rlimits.lock()).unwrap_or_default()),
            image: Mutex::new(from.map(|p| p.image.lock().clone()).unwrap_or_default()),
            start_ns: crate::time::monotonic_ns(),
            ctty: Mutex::new(from.and_then(|p| p.ctty.lock().clone())),
        });
        PROCESSES.lock().insert(pid, Arc::downgrade(&p));
        super::stats::note_fork();
        if let Some(parent) = parent {
            parent.children.lock().push(p.clone());
        }
        p
    }

    /// The working directory (None: the namespace root).
    pub fn cwd(&self) -> Option<Loc> {
        self.fs.lock().cwd.lock().as_ref().map(Held::loc)
    }

    /// The root and working directories together (one taking of the filesystem context's lock, for path walks).
    pub fn root_and_cwd(&self) -> (Option<Loc>, Option<Loc>) {
        let fs = self.fs.lock();
        let root = fs.root.lock().as_ref().map(Held::loc);
        let cwd = fs.cwd.lock().as_ref().map(Held::loc);
        (root, cwd)
    }

    /// Change the working directory.
    pub fn set_cwd(&self, dir: Held) {
        let fs = self.fs.lock().clone();
        let old = fs.cwd.lock().replace(dir);
        drop(old);
    }

    /// The root directory (None: the namespace root).
    pub fn root_dir(&self) -> Option<Loc> {
        self.fs.lock().root.lock().as_ref().map(Held::loc)
    }

    /// Change the root directory (chroot).
    pub fn set_root_dir(&self, dir: Held) {
        let fs = self.fs.lock().clone();
        let old = fs.root.lock().replace(dir);
        drop(old);
    }

    /// The file-creation mask.
    pub fn umask(&self) -> u32 {
        self.fs.lock().umask.load(Ordering::Relaxed)
    }

    /// Set the file-creation mask; returns the old one.
    pub fn set_umask(&self, mask: u32) -> u32 {
        self.fs.lock().umask.swap(mask, Ordering::Relaxed)
    }

    /// The signal the parent gets when this process ends.
    pub fn exit_signal(&self) -> u8 {
        self.exit_signal.load(Ordering::Relaxed)
    }

    /// execve succeeded: the process runs a new program.
    pub fn note_exec(&self) {
        self.exec_done.store(true, Ordering::Relaxed);
    }

    /// Whether the process has exec'd since it was forked.
    pub fn has_exec(&self) -> bool {
        self.exec_done.load(Ordering::Relaxed)
    }

    /// The parent process, if it still exists.
    pub fn parent(&self) -> Option<Arc<Process>> {
        self.parent.lock().upgrade()
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

    /// Use `table` as the descriptor table (exec gives a process sharing one by CLONE_FILES its own copy); returns
    /// the old one, for the caller to drop outside the lock.
    pub fn set_files(&self, table: Arc<Mutex<FdTable>>) -> Arc<Mutex<FdTable>> {
        core::mem::replace(&mut *self.files.lock(), table)
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
        self.live.fetch_add(1, Ordering::SeqCst);
        {
            let mut threads = self.threads.lock();
            threads.retain(|t| t.upgrade().is_some_and(|t| t.state() != super::State::Dead));
            threads.push(Arc::downgrade(t));
        }
        if t.tid != self.pid && PROCESSES.lock().contains_key(&self.pid) {
            PROCESSES.lock().insert(t.tid, Arc::downgrade(self));
        }
    }

    /// CPU time and other resource use of all the process's threads, live and ended.
    pub fn cpu_account(&self) -> Account {
        let now = crate::time::monotonic_ns();
        let ended = self.accounts.lock().threads;
        self.threads_snapshot()
            .iter()
            .fold(ended, |sum, t| sum.plus(t.cpu_time.read(now)))
    }

    /// Resource use of the children this process has reaped (and of their reaped children).
    pub fn children_account(&self) -> Account {
        self.accounts.lock().reaped_children
    }

    pub fn ppid(&self) -> u32 {
        self.parent.lock().upgrade().map(|p| p.pid).unwrap_or(0)
    }

    pub fn is_exiting(&self) -> bool {
        // SeqCst: sleepers check this after marking themselves blocked; see `sched::prepare_to_block`.
        self.exiting.load(Ordering::SeqCst)
    }

    /// The process name (`comm`): the executable's file name, at most 15 bytes.
    pub fn set_name(&self, path: &str) {
        let base = path.rsplit('/').next().unwrap_or(path).as_bytes();
        let mut name = [0u8; 16];
        let n = base.len().min(15);
        name[..n].copy_from_slice(&base[..n]);
        *self.name.lock() = name;
    }

    /// Whether the process has ended and waits to be reaped.
    pub fn is_zombie(&self) -> bool {
        self.zombie.load(Ordering::Acquire)
    }

    pub fn name_string(&self) -> alloc::string::String {
        let name = *self.name.lock();
        let len = name.iter().position(|&b| b == 0).unwrap_or(16);
        alloc::string::String::from_utf8_lossy(&name[..len]).into_owned()
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
    if !p.exiting.swap(true, Ordering::SeqCst) {
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
    leave(None)
}

/// exec succeeded in thread `me`: its robust futexes are released, its tid words forgotten, a CLONE_VFORK parent
/// resumes, and the process counts as exec'd.
pub fn exec_release(me: &Task) {
    super::futex::exit_robust_list(me);
    me.clear_child_tid.store(0, Ordering::Relaxed);
    if let Some(v) = me.vfork_done.lock().take() {
        v.complete();
    }
    me.process.note_exec();
}

/// The current thread ends; `status` becomes the process's wait status if it is the last thread and nothing
/// (exit_group, a signal) decided one before.
fn leave(status: Option<i32>) -> ! {
    let me = sched::current().expect("exit_thread outside a thread");
    super::futex::exit_robust_list(&me);
    // CLONE_CHILD_CLEARTID / set_tid_address: tell a joining thread (pthread_join waits on this word; Linux's wake
    // is a shared one).
    let clear = me.clear_child_tid.swap(0, Ordering::AcqRel);
    if clear != 0 && crate::arch::usercopy::copy_to_user(clear, &0u32.to_le_bytes()).is_ok() {
        let _ = super::futex::wake(clear, true, 1, u32::MAX);
    }
    if let Some(v) = me.vfork_done.lock().take() {
        v.complete();
    }
    let process = me.process.clone();
    let ended = me.cpu_time.retire(crate::time::monotonic_ns());
    {
        let mut accounts = process.accounts.lock();
        accounts.threads = accounts.threads.plus(ended);
    }
    let tid = me.tid;
    drop(me);
    if tid != process.pid {
        PROCESSES.lock().remove(&tid);
    }
    // One atomic count, so of threads leaving at the same time exactly one is the last.
    if process.live.fetch_sub(1, Ordering::SeqCst) == 1 {
        if let Some(status) = status {
            begin_exit(&process, status);
        }
        finish_process(&process);
    }
    drop(process);
    sched::exit_current()
}

/// A new process whose first thread could not be created: take it out of the tables again.
pub fn abandon(p: &Arc<Process>) {
    PROCESSES.lock().remove(&p.pid);
    if let Some(parent) = p.parent() {
        parent.children.lock().retain(|c| !Arc::ptr_eq(c, p));
    }
    release_shared(p);
}

/// Drop the process's references to its descriptor table and fs context; whatever no other process shares is
/// closed or released.
fn release_shared(p: &Process) {
    let files = core::mem::take(&mut *p.files.lock());
    if let Some(table) = Arc::into_inner(files) {
        let closed = table.lock().close_all();
        drop(closed);
    }
    let fs = core::mem::replace(&mut *p.fs.lock(), Arc::new(FsContext::new(0)));
    if let Some(fs) = Arc::into_inner(fs) {
        fs.release();
    }
}

fn finish_process(p: &Arc<Process>) {
    if p.pid == 1 {
        panic!(
            "Attempted to kill init! exitcode={:#010x}",
            p.exit_status.load(Ordering::Acquire)
        );
    }
    // Children go to init, as on Linux without subreapers (and signal it with SIGCHLD whatever they had).
    let orphans: Vec<Arc<Process>> = core::mem::take(&mut *p.children.lock());
    if !orphans.is_empty() {
        if let Some(init) = find(1) {
            for child in orphans {
                child.exit_signal.store(SIGCHLD, Ordering::Relaxed);
                *child.parent.lock() = Arc::downgrade(&init);
                // PR_SET_PDEATHSIG: the child learns that its parent died.
                let death_signal = child.parent_death_signal.load(Ordering::Relaxed);
                if let Some(sig) = basalt_signal::Signal::new(u32::from(death_signal)) {
                    let _ =
                        super::signal::send_to_process(&child, basalt_signal::SigInfo::kernel(sig));
                }
                init.children.lock().push(child);
            }
            init.child_events.wake_all();
        }
    }
    // A session leader's terminal is hung up for its session.
    crate::tty::job::on_exit(p);
    // Close files (pipes see their ends go) and release the memory now; the zombie keeps only its status. A table
    // or cwd shared with other processes (CLONE_FILES, CLONE_FS) lives on with them.
    release_shared(p);
    if let Ok(empty) = AddressSpace::new() {
        p.replace_address_space(empty);
    }
    p.zombie.store(true, Ordering::Release);
    if let Some(parent) = p.parent.lock().upgrade() {
        let status = p.exit_status.load(Ordering::Acquire);
        if super::signal::notify_parent_of_exit(&parent, p.pid, status, p.exit_signal()) {
            // The parent ignores SIGCHLD: nobody will wait, reap now.
            parent.children.lock().retain(|c| c.pid != p.pid);
            PROCESSES.lock().remove(&p.pid);
        }
        parent.child_events.wake_all();
    }
}

/// exit(2): this thread only (the process ends with it when it is the last).
pub fn sys_exit(code: i32) -> ! {
    leave(Some((code & 0xff) << 8))
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
pub const WALL: u32 = 0x4000_0000;
pub const WCLONE: u32 = 0x8000_0000;

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
    /// __WALL: children of any exit signal; else __WCLONE: only those whose exit signal is not SIGCHLD (or none),
    /// without it only the SIGCHLD ones.
    pub all: bool,
    pub clone: bool,
}

impl WaitOptions {
    /// Whether the wait's __WALL / __WCLONE choice includes `c`.
    fn kind_matches(&self, c: &Process) -> bool {
        self.all || (c.exit_signal() != SIGCHLD) == self.clone
    }
}

/// wait4: returns (pid, status) of a reaped child, or 0 with WNOHANG.
pub fn wait_child(pid: i32, options: u32) -> Result<Option<WaitEvent>, Errno> {
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
        all: options & WALL != 0,
        clone: options & WCLONE != 0,
    };
    wait_for(select, opts)
}

/// Wait for an event of a child chosen by `select`, or None with `nohang`. Reaping a child adds its resource use
/// to the caller's children account.
pub fn wait_for(
    select: impl Fn(&Process) -> bool,
    opts: WaitOptions,
) -> Result<Option<WaitEvent>, Errno> {
    let me = current().ok_or(Errno::ECHILD)?;
    let select = |c: &Process| select(c) && opts.kind_matches(c);
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
                let usage = c.cpu_account().plus(c.children_account());
                return Some(Ok(Some(WaitEvent {
                    pid: c.pid,
                    status: s,
                    usage,
                })));
            }
        }
        if opts.exited {
            if let Some(i) = children
                .iter()
                .position(|c| select(c) && c.zombie.load(Ordering::Acquire))
            {
                let status = children[i].exit_status.load(Ordering::Acquire);
                let pid = children[i].pid;
                let usage = children[i]
                    .cpu_account()
                    .plus(children[i].children_account());
                if !opts.nowait {
                    children.remove(i);
                    PROCESSES.lock().remove(&pid);
                    let mut accounts = me.accounts.lock();
                    accounts.reaped_children = accounts.reaped_children.plus(usage);
                }
                return Some(Ok(Some(WaitEvent { pid, status, usage })));
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
