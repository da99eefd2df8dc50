//! What procfs files say: values gathered from the processes, memory and mounts, written out by
//! basalt-procfs-fmt; and where procfs symlinks point.
#![forbid(unsafe_code)]

use super::{process_of, Node, PidFile, System};
use crate::fs::vfs::{self, Loc, Namespace};
use crate::task::process::Process;
use crate::task::{self, State};
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use basalt_linux_abi::Errno;
use basalt_procfs_fmt as fmt;
use basalt_signal::{Handler, SigSet, Signal};

/// Nanoseconds per clock tick (USER_HZ = 100).
const NS_PER_TICK: u64 = 10_000_000;

/// The root of the reader, for the paths procfs shows.
fn reader_root(ns: &Namespace) -> Loc {
    crate::syscall::path::caller_root(ns)
}

/// The target of a procfs symlink.
pub fn readlink(node: Node) -> Result<Vec<u8>, Errno> {
    let ns = vfs::namespace()?;
    // A thread's links are its process's (threads share exe, cwd and root here).
    let node = match node {
        Node::Task(id, _, file) => Node::Pid(id, file),
        other => other,
    };
    match node {
        Node::System(System::SelfLink) => {
            let me = crate::task::process::current().ok_or(Errno::ENOENT)?;
            Ok(alloc::format!("{}", me.pid).into_bytes())
        }
        Node::System(System::Mounts) => Ok(b"self/mounts".to_vec()),
        Node::Pid(pid, PidFile::Exe) => {
            let exe = process_of(pid)?.image.lock().exe.clone();
            if exe.is_empty() {
                return Err(Errno::ENOENT);
            }
            Ok(exe)
        }
        Node::Pid(pid, PidFile::Cwd) => {
            let p = process_of(pid)?;
            let root = p.root_dir().unwrap_or_else(|| ns.mounts.root());
            let cwd = p.cwd().unwrap_or(root);
            vfs::path_of(&ns, cwd, reader_root(&ns))
        }
        Node::Pid(pid, PidFile::Root) => {
            let root = process_of(pid)?
                .root_dir()
                .unwrap_or_else(|| ns.mounts.root());
            vfs::path_of(&ns, root, reader_root(&ns))
        }
        Node::Fd(pid, fd) => {
            let file = process_of(pid)?.files().lock().get(fd as i32)?;
            Ok(describe_file(&ns, &file.ops))
        }
        _ => Err(Errno::EINVAL),
    }
}

/// What /proc/<pid>/fd/N shows: the path of a file, or Linux's `pipe:[ino]`-style names.
fn describe_file(ns: &Namespace, ops: &Arc<dyn crate::fs::FileOps>) -> Vec<u8> {
    let root = reader_root(ns);
    if let Some(loc) = ops.location() {
        if let Ok(path) = vfs::path_of(ns, loc, root) {
            return path;
        }
    }
    if let Some(path) = ops
        .inode()
        .and_then(|ino| vfs::path_of_inode(ns, ino.number(), root))
    {
        return path;
    }
    let stat = ops.stat();
    match stat.mode & 0o170_000 {
        0o010_000 => alloc::format!("pipe:[{}]", stat.ino).into_bytes(),
        0o020_000 => {
            let dev = basalt_memfs::DeviceNumber::decode(stat.rdev);
            match crate::fs::devices::name_of(dev.major, dev.minor) {
                Some(name) => alloc::format!("/dev/{name}").into_bytes(),
                None => b"anon_inode:[unknown]".to_vec(),
            }
        }
        _ => b"anon_inode:[unknown]".to_vec(),
    }
}

/// `/proc/<pid>/fdinfo/<fd>`: the offset, the open flags (with O_CLOEXEC from the descriptor, in octal), the
/// mount and the inode, as Linux's `seq_show` prints them.
fn fd_info(p: &Arc<Process>, fd: u32) -> Result<String, Errno> {
    let (file, cloexec) = {
        let table = p.files();
        let table = table.lock();
        (table.get(fd as i32)?, table.cloexec(fd as i32)?)
    };
    let flags = file.flags() | if cloexec { crate::fs::O_CLOEXEC } else { 0 };
    let pos = *file.offset.lock();
    let mnt_id = file.ops.location().or(file.node).map_or(0, |loc| loc.mnt.0);
    let ino = file.ops.stat().ino;
    Ok(alloc::format!(
        "pos:\t{pos}\nflags:\t0{flags:o}\nmnt_id:\t{mnt_id}\nino:\t{ino}\n"
    ))
}

/// The text of a procfs file.
pub fn file_text(node: Node) -> Result<Vec<u8>, Errno> {
    let text: Vec<u8> = match node {
        Node::System(System::Meminfo) => fmt::format_meminfo(&meminfo()).into_bytes(),
        Node::System(System::Uptime) => uptime().into_bytes(),
        Node::System(System::Loadavg) => loadavg().into_bytes(),
        Node::System(System::Stat) => fmt::format_proc_stat(&system_stat()).into_bytes(),
        Node::System(System::Cpuinfo) => fmt::format_cpuinfo(&cpuinfo()).into_bytes(),
        Node::System(System::Filesystems) => {
            fmt::format_filesystems(&crate::syscall::mount::FILESYSTEMS).into_bytes()
        }
        Node::System(System::Version) => fmt::format_version(
            crate::syscall::info::RELEASE,
            "basalt@basalt",
            "rustc",
            crate::syscall::info::VERSION,
        )
        .into_bytes(),
        Node::System(System::Cmdline) => {
            let mut line = String::from(crate::boot::kernel_cmdline());
            line.push('\n');
            line.into_bytes()
        }
        Node::Pid(id, file) => {
            let p = process_of(id)?;
            // /proc/<tid> of a thread: that thread, with the totals of the whole process.
            let task = super::thread_of(&p, id).or_else(|| p.threads_snapshot().into_iter().next());
            let view = Seen {
                id,
                task,
                whole: true,
            };
            pid_text(&p, &view, file)?
        }
        Node::Task(id, tid, file) => {
            let p = process_of(id)?;
            let task = super::thread_of(&p, tid).ok_or(Errno::ENOENT)?;
            let view = Seen {
                id: tid,
                task: Some(task),
                whole: false,
            };
            pid_text(&p, &view, file)?
        }
        Node::FdInfo(pid, fd) => fd_info(&process_of(pid)?, fd)?.into_bytes(),
        _ => return Err(Errno::EISDIR),
    };
    Ok(text)
}

/// Whose numbers a /proc/<id> or /proc/<pid>/task/<tid> file shows.
struct Seen {
    /// The id the directory is named by (the pid field of stat, `Pid:` of status).
    id: u32,
    /// The thread whose own state, signals and scheduling are shown (the main one for a process).
    task: Option<Arc<task::Task>>,
    /// Whether times, faults and switches are the whole process's (else the thread's).
    whole: bool,
}

impl Seen {
    /// CPU time, faults and switches as the file counts them.
    fn account(&self, p: &Process) -> basalt_cputime::Account {
        match (&self.task, self.whole) {
            (Some(t), false) => t.cpu_time.read(crate::time::monotonic_ns()),
            _ => p.cpu_account(),
        }
    }

    /// The state letter: the process's, or for one thread (a non-leader or a task/ entry) that thread's.
    fn state(&self, p: &Process) -> char {
        match &self.task {
            Some(t) if !self.whole || t.tid != p.pid => {
                if p.is_zombie() {
                    'Z'
                } else if p.is_stopped() {
                    'T'
                } else if t.state() == State::Runnable {
                    'R'
                } else {
                    'S'
                }
            }
            _ => state_letter(p),
        }
    }
}

fn pid_text(p: &Arc<Process>, seen: &Seen, file: PidFile) -> Result<Vec<u8>, Errno> {
    Ok(match file {
        PidFile::Stat => fmt::format_stat(&proc_stat(p, seen)).into_bytes(),
        PidFile::Status => fmt::format_status(&proc_status(p, seen)).into_bytes(),
        PidFile::Cmdline => p.image.lock().cmdline.clone(),
        PidFile::Environ => p.image.lock().environ.clone(),
        PidFile::Comm => {
            let mut name = p.name_string();
            name.push('\n');
            name.into_bytes()
        }
        PidFile::Statm => {
            let usage = p.address_space().usage();
            alloc::format!(
                "{} {} 0 {} 0 {} 0\n",
                usage.size / 4096,
                usage.resident_pages,
                usage.exec / 4096,
                (usage.data + usage.stack) / 4096
            )
            .into_bytes()
        }
        PidFile::Maps => maps(p)?.into_bytes(),
        PidFile::Mounts => mounts()?.into_bytes(),
        PidFile::Cwd
        | PidFile::Exe
        | PidFile::Root
        | PidFile::FdDir
        | PidFile::Task
        | PidFile::FdInfoDir => return Err(Errno::EINVAL),
    })
}

/// The state letter: zombie, stopped, running (a thread is runnable) or sleeping.
fn state_letter(p: &Process) -> char {
    if p.is_zombie() {
        'Z'
    } else if p.is_stopped() {
        'T'
    } else if p
        .threads_snapshot()
        .iter()
        .any(|t| t.state() == State::Runnable)
    {
        'R'
    } else {
        'S'
    }
}

/// Signals with a given disposition, as a mask.
fn handler_mask(p: &Process, want: fn(&Handler) -> bool) -> u64 {
    let signals = p.signals.lock();
    (1..=64u32)
        .filter_map(Signal::new)
        .filter(|&sig| want(&signals.handlers.get(sig).handler))
        .fold(0, |mask, sig| mask | (1u64 << (sig.number() - 1)))
}

fn proc_stat(p: &Arc<Process>, seen: &Seen) -> fmt::ProcStat {
    let threads = p.threads_snapshot();
    let main = seen.task.as_ref();
    let account = seen.account(p);
    let (utime, stime) = account.split_ns();
    let (cutime, cstime) = p.children_account().split_ns();
    let nice = main.map_or(0, |t| i64::from(t.sched_attr.nice()));
    let usage = p.address_space().usage();
    let blocked = main.map_or(SigSet::EMPTY, |t| t.sig.lock().blocked);
    let thread_pending = main.map_or(SigSet::EMPTY, |t| t.sig.lock().pending.signals());
    let rss_limit = p.rlimits.lock().soft(basalt_rlimit::Resource::RSS);
    // Each lock is taken and dropped on its own line: temporaries in the struct literal below would live to its
    // end, and handler_mask takes the signal lock again.
    let process_pending = p.signals.lock().pending.signals().0;
    let ignored = handler_mask(p, |h| matches!(h, Handler::Ignore));
    let caught = handler_mask(p, |h| matches!(h, Handler::User(_)));
    let processor = main.map_or(0, |t| {
        t.last_cpu.load(core::sync::atomic::Ordering::Relaxed)
    });
    let terminal = crate::tty::controlling(p);
    fmt::ProcStat {
        pid: seen.id,
        comm: p.name_string(),
        state: seen.state(p),
        ppid: p.ppid(),
        pgrp: p.pgid.load(core::sync::atomic::Ordering::Relaxed),
        session: p.sid.load(core::sync::atomic::Ordering::Relaxed),
        // Linux's new_encode_dev, as DeviceNumber::encode is for these small numbers.
        tty_nr: terminal.as_ref().map_or(0, |t| t.device().encode() as u32),
        tpgid: terminal
            .and_then(|t| t.with(|s| s.pgrp))
            .map_or(-1, |pgrp| pgrp as i32),
        flags: 0,
        minflt: account.minor_faults,
        cminflt: p.children_account().minor_faults,
        majflt: 0,
        cmajflt: 0,
        utime: utime / NS_PER_TICK,
        stime: stime / NS_PER_TICK,
        cutime: cutime / NS_PER_TICK,
        cstime: cstime / NS_PER_TICK,
        priority: 20 + nice,
        nice,
        num_threads: threads.len() as u64,
        starttime: p.start_ns / NS_PER_TICK,
        vsize: usage.size,
        rss: usage.resident_pages,
        rsslim: rss_limit,
        startstack: usage.stack_start,
        signal: process_pending | thread_pending.0,
        blocked: blocked.0,
        sigignore: ignored,
        sigcatch: caught,
        exit_signal: i32::from(p.exit_signal()),
        processor,
        start_brk: usage.brk_start,
        ..fmt::ProcStat::default()
    }
}

fn proc_status(p: &Arc<Process>, seen: &Seen) -> fmt::ProcStatus {
    let threads = p.threads_snapshot();
    let main = seen.task.as_ref();
    let creds = p.creds.get();
    let usage = p.address_space().usage();
    let account = seen.account(p);
    let affinity = main.map_or(0, |t| t.sched_attr.affinity().bits());
    let signals = main.map(|t| {
        let sig = t.sig.lock();
        (sig.pending.signals().0, sig.blocked.0)
    });
    let (thread_pending, blocked) = signals.unwrap_or((0, 0));
    let files = p.files();
    let fd_size = files.lock().capacity() as u32;
    // As in proc_stat: no lock may live on in the struct literal.
    let process_pending = p.signals.lock().pending.signals().0;
    let ignored = handler_mask(p, |h| matches!(h, Handler::Ignore));
    let caught = handler_mask(p, |h| matches!(h, Handler::User(_)));
    fmt::ProcStatus {
        name: p.name_string(),
        umask: p.umask(),
        state: seen.state(p),
        tgid: p.pid,
        pid: seen.id,
        ppid: p.ppid(),
        pgid: p.pgid.load(core::sync::atomic::Ordering::Relaxed),
        sid: p.sid.load(core::sync::atomic::Ordering::Relaxed),
        uids: [creds.uid, creds.euid, creds.suid, creds.fsuid],
        gids: [creds.gid, creds.egid, creds.sgid, creds.fsgid],
        fd_size,
        groups: creds.groups.clone(),
        vm_peak_kb: usage.size / 1024,
        vm_size_kb: usage.size / 1024,
        vm_rss_kb: usage.resident_pages * 4,
        vm_data_kb: usage.data / 1024,
        vm_stk_kb: usage.stack / 1024,
        vm_exe_kb: usage.exec / 1024,
        threads: threads.len() as u64,
        sig_pending_thread: thread_pending,
        sig_pending_process: process_pending,
        sig_blocked: blocked,
        sig_ignored: ignored,
        sig_caught: caught,
        cpus_allowed: alloc::vec![affinity as u32, (affinity >> 32) as u32],
        voluntary_switches: account.voluntary_switches,
        involuntary_switches: account.involuntary_switches,
    }
}

fn maps(p: &Arc<Process>) -> Result<String, Errno> {
    let ns = vfs::namespace()?;
    let root = reader_root(&ns);
    let identify = |file_id: u64| {
        let ino = basalt_memfs::InodeId::from_number(file_id);
        let stat = crate::fs::root::fs_of(ino).ok()?.lock().stat(ino).ok()?;
        let dev = basalt_memfs::DeviceNumber::decode(stat.dev);
        let path = match vfs::path_of_inode(&ns, file_id, root) {
            Some(path) => String::from_utf8_lossy(&path).into_owned(),
            None if stat.nlink == 0 => String::from("(deleted)"),
            None => String::new(),
        };
        Some(basalt_vm::FileIdentity {
            major: dev.major,
            minor: dev.minor,
            inode: stat.ino,
            path,
        })
    };
    Ok(p.address_space().format_maps(identify))
}

/// The mounts as `/proc/mounts` lists them, paths seen from the reader's root.
pub fn mounts() -> Result<String, Errno> {
    let ns = vfs::namespace()?;
    let root = reader_root(&ns);
    let mut out = String::new();
    for mnt in ns.mounts.attached() {
        let (Some(top), Ok(fs)) = (ns.mounts.mount_root(mnt), ns.fs(mnt)) else {
            continue;
        };
        let Ok(target) = vfs::path_of(&ns, top, root) else {
            continue;
        };
        let info = ns.info(mnt);
        let flags = info.map_or(0, |i| i.flags);
        let source = info.map_or(&b"none"[..], |i| &i.source);
        let options = crate::syscall::mount::options_text(flags, fs.as_ref());
        fmt::format_mount_line(&mut out, source, &target, fs.type_name(), &options);
    }
    Ok(out)
}

fn meminfo() -> fmt::MemInfo {
    let total = crate::mm::frames::total_frames() * 4096;
    let free = crate::mm::frames::free_frames() * 4096;
    let tmpfs = crate::fs::tmpfs::data_bytes();
    let threads: u64 = crate::task::process::all()
        .iter()
        .map(|p| p.threads_snapshot().len() as u64)
        .sum();
    fmt::MemInfo {
        total,
        free,
        // tmpfs pages cannot be dropped: what is free is what is available.
        available: free,
        cached: tmpfs,
        shmem: tmpfs,
        kernel_stack: threads * task::KSTACK_SIZE,
        slab: 0,
    }
}

fn cpu_count() -> usize {
    crate::arch::percpu::online_count().max(1)
}

fn uptime() -> String {
    let idle_ticks: u64 = task::stats::cpu_times(cpu_count())
        .iter()
        .map(|t| t.idle)
        .sum();
    fmt::format_uptime(crate::time::monotonic_ns(), idle_ticks * NS_PER_TICK)
}

fn loadavg() -> String {
    let processes = crate::task::process::all();
    let threads: Vec<_> = processes
        .iter()
        .flat_map(|p| p.threads_snapshot())
        .collect();
    let running = threads
        .iter()
        .filter(|t| t.state() == State::Runnable)
        .count() as u64;
    let last = processes.iter().map(|p| p.pid).max().unwrap_or(0);
    fmt::format_loadavg(&task::stats::load(), running, threads.len() as u64, last)
}

fn system_stat() -> fmt::SystemStat {
    let per_cpu = task::stats::cpu_times(cpu_count());
    let mut total = fmt::CpuTimes::default();
    for cpu in &per_cpu {
        total.user += cpu.user;
        total.system += cpu.system;
        total.idle += cpu.idle;
    }
    let threads: Vec<_> = crate::task::process::all()
        .iter()
        .flat_map(|p| p.threads_snapshot())
        .collect();
    fmt::SystemStat {
        total,
        interrupts: per_cpu.iter().map(|c| c.user + c.system + c.idle).sum(),
        per_cpu,
        context_switches: task::stats::switches(),
        boot_time: crate::time::boot_unix_seconds(),
        forks: task::stats::forks(),
        running: threads
            .iter()
            .filter(|t| t.state() == State::Runnable)
            .count() as u64,
        blocked: 0,
    }
}

fn cpuinfo() -> Vec<fmt::CpuInfo> {
    super::cpuinfo::processors(cpu_count())
}
