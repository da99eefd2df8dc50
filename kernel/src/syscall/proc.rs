//! Process and thread system calls: fork/clone, execve, exit, wait4, ids, sleeping, TLS.
#![forbid(unsafe_code)]

use super::user;
use crate::arch::{idt::TrapFrame, switch, usercopy};
use crate::task::{exec, process, sched, Task};
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use basalt_linux_abi::Errno;
use core::sync::atomic::Ordering;

const CLONE_VM: u64 = 0x100;
const CLONE_FS: u64 = 0x200;
const CLONE_FILES: u64 = 0x400;
const CLONE_SIGHAND: u64 = 0x800;
const CLONE_VFORK: u64 = 0x4000;
const CLONE_PARENT: u64 = 0x8000;
const CLONE_THREAD: u64 = 0x10000;
const CLONE_SYSVSEM: u64 = 0x40000;
const CLONE_SETTLS: u64 = 0x80000;
const CLONE_PARENT_SETTID: u64 = 0x100000;
const CLONE_CHILD_CLEARTID: u64 = 0x200000;
const CLONE_CHILD_SETTID: u64 = 0x1000000;
const CSIGNAL: u64 = 0xff;
/// Ignored by Linux since 2.6 (kept for old callers such as musl's pthread_create).
const CLONE_DETACHED: u64 = 0x400000;

/// The flags this kernel implements; others get EINVAL rather than silently different behaviour.
const SUPPORTED: u64 = CSIGNAL
    | CLONE_DETACHED
    | CLONE_VM
    | CLONE_FS
    | CLONE_FILES
    | CLONE_SIGHAND
    | CLONE_VFORK
    | CLONE_PARENT
    | CLONE_THREAD
    | CLONE_SYSVSEM
    | CLONE_SETTLS
    | CLONE_PARENT_SETTID
    | CLONE_CHILD_CLEARTID
    | CLONE_CHILD_SETTID;

/// clone(2) with Linux's x86_64 argument order: flags, stack, parent_tid, child_tid, tls.
pub fn clone(
    frame: &TrapFrame,
    flags: u64,
    stack: u64,
    parent_tid: u64,
    child_tid: u64,
    tls: u64,
) -> Result<usize, Errno> {
    clone_with(frame, flags, stack, parent_tid, child_tid, tls, false)
}

/// clone, optionally resetting the child's caught signals to their defaults (clone3's CLONE_CLEAR_SIGHAND).
fn clone_with(
    frame: &TrapFrame,
    flags: u64,
    stack: u64,
    parent_tid: u64,
    child_tid: u64,
    tls: u64,
    clear_sighand: bool,
) -> Result<usize, Errno> {
    if flags & !SUPPORTED != 0 {
        return Err(Errno::EINVAL);
    }
    // Linux's consistency rules.
    if flags & CLONE_THREAD != 0 && flags & CLONE_SIGHAND == 0 {
        return Err(Errno::EINVAL);
    }
    if flags & CLONE_SIGHAND != 0 && flags & CLONE_VM == 0 {
        return Err(Errno::EINVAL);
    }
    if flags & CLONE_SETTLS != 0 && tls >= crate::arch::paging::USER_END {
        return Err(Errno::EPERM);
    }
    let me = sched::current().ok_or(Errno::ESRCH)?;
    let caller = me.process.clone();
    // init has no parent to share (Linux refuses CLONE_PARENT for the unkillable init).
    if flags & CLONE_PARENT != 0 && caller.pid == 1 {
        return Err(Errno::EINVAL);
    }
    let id = process::alloc_id()?;

    let child_process = if flags & CLONE_THREAD != 0 {
        caller.clone()
    } else {
        let mm = if flags & CLONE_VM != 0 {
            // Shared memory without being a thread (vfork, posix_spawn): one address space, two processes.
            caller.address_space()
        } else {
            Arc::new(caller.address_space().fork().map_err(|_| Errno::ENOMEM)?)
        };
        // CLONE_PARENT: a sibling of the caller, which also gets the caller's own exit signal.
        let (parent, exit_signal) = if flags & CLONE_PARENT != 0 {
            let parent = caller
                .parent()
                .or_else(|| process::find(1))
                .unwrap_or_else(|| caller.clone());
            (parent, caller.exit_signal())
        } else {
            (caller.clone(), (flags & CSIGNAL) as u8)
        };
        let share = process::Share {
            files: flags & CLONE_FILES != 0,
            fs: flags & CLONE_FS != 0,
            exit_signal,
        };
        let child = process::Process::new_child(id, Some(&caller), Some(&parent), mm, share);
        child.set_name(&caller.name_string());
        if clear_sighand {
            child.signals.lock().handlers.reset_for_exec();
        }
        child
    };

    let mut child_frame = frame.clone();
    child_frame.rax = 0;
    if stack != 0 {
        child_frame.rsp = stack;
    }
    let Ok(task) = Task::new(id, child_process.clone(), crate::task::user_thread_entry, 0) else {
        if flags & CLONE_THREAD == 0 {
            process::abandon(&child_process);
        }
        return Err(Errno::ENOMEM);
    };
    *task.initial_frame.lock() = Some(child_frame);
    {
        // The mask is inherited; a new thread has no alternate stack, a forked child keeps its parent's.
        let parent_sig = me.sig.lock();
        let altstack = if flags & CLONE_THREAD != 0 {
            basalt_signal::AltStack::RESET
        } else {
            parent_sig.altstack
        };
        *task.sig.lock() = crate::task::signal::ThreadSignals::new(parent_sig.blocked, altstack);
    }
    me.fpu.lock().save();
    *task.fpu.lock() = me.fpu.lock().clone();
    task.fs_base.store(
        if flags & CLONE_SETTLS != 0 {
            tls
        } else {
            switch::fs_base()
        },
        Ordering::Relaxed,
    );
    if flags & CLONE_PARENT_SETTID != 0 {
        // Linux ignores a bad pointer here: the child exists either way.
        let _ = user::write_i32(parent_tid, id as i32);
    }
    if flags & CLONE_CHILD_CLEARTID != 0 {
        task.clear_child_tid.store(child_tid, Ordering::Relaxed);
    }
    if flags & CLONE_CHILD_SETTID != 0 {
        // Written by the child itself before it first runs in user mode, so it lands in the child's memory.
        task.set_child_tid.store(child_tid, Ordering::Relaxed);
    }
    let vfork = (flags & CLONE_VFORK != 0).then(|| {
        let done = process::VforkDone::new();
        *task.vfork_done.lock() = Some(done.clone());
        done
    });
    child_process.add_thread(&task);
    sched::spawn(task);
    if let Some(done) = vfork {
        // The child borrows our memory (and often our stack): sleep until it execs or exits.
        done.wait(&caller);
    }
    Ok(id as usize)
}

/// fork(2).
pub fn fork(frame: &TrapFrame) -> Result<usize, Errno> {
    clone(frame, u64::from(process::SIGCHLD), 0, 0, 0, 0)
}

/// vfork(2): the child runs in our memory while we sleep until it execs or exits.
pub fn vfork(frame: &TrapFrame) -> Result<usize, Errno> {
    let flags = CLONE_VM | CLONE_VFORK | u64::from(process::SIGCHLD);
    clone(frame, flags, 0, 0, 0, 0)
}

/// execve(2): replace the program. Today programs come from the initramfs.
pub fn execve(
    frame: &mut TrapFrame,
    path_ptr: u64,
    argv_ptr: u64,
    envp_ptr: u64,
) -> Result<usize, Errno> {
    execveat(
        frame,
        super::path::AT_FDCWD,
        path_ptr,
        argv_ptr,
        envp_ptr,
        0,
    )
}

/// execveat(dirfd, path, argv, envp, flags): AT_EMPTY_PATH runs the file `dirfd` refers to; AT_SYMLINK_NOFOLLOW
/// refuses a symbolic link (ELOOP).
pub fn execveat(
    frame: &mut TrapFrame,
    dirfd: i32,
    path_ptr: u64,
    argv_ptr: u64,
    envp_ptr: u64,
    flags: u32,
) -> Result<usize, Errno> {
    const AT_SYMLINK_NOFOLLOW: u32 = 0x100;
    const AT_EMPTY_PATH: u32 = 0x1000;
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let path = user::read_cstring(path_ptr, user::PATH_MAX - 1, Errno::ENAMETOOLONG)?;
    if path.is_empty() && flags & AT_EMPTY_PATH == 0 {
        return Err(Errno::ENOENT);
    }
    let ino = super::path::lookup_executable_at(dirfd, &path, flags & AT_SYMLINK_NOFOLLOW == 0)?;
    let path = String::from_utf8(path).map_err(|_| Errno::ENOENT)?;
    // A script run through a close-on-exec descriptor: its interpreter could not open /dev/fd/N (the descriptor is
    // gone by then), so Linux refuses scripts (ENOENT) in that case.
    let fd_path_inaccessible = dirfd != super::path::AT_FDCWD
        && !path.starts_with('/')
        && process::current()
            .ok_or(Errno::ESRCH)?
            .files()
            .lock()
            .cloexec(dirfd)
            .unwrap_or(false);
    // The name the program sees (and a script's interpreter opens), as Linux builds it for fd-relative execs.
    let path = if path.starts_with('/') || dirfd == super::path::AT_FDCWD {
        path
    } else if path.is_empty() {
        alloc::format!("/dev/fd/{dirfd}")
    } else {
        alloc::format!("/dev/fd/{dirfd}/{path}")
    };
    let mut total = 0;
    let mut argv = user::read_string_array(argv_ptr, &mut total)?;
    if argv.is_empty() {
        // Since Linux 5.18 an empty argv gets an empty argv[0], so programs never see argc == 0.
        argv.push(Vec::new());
    }
    let envp = user::read_string_array(envp_ptr, &mut total)?;
    let (path, file, argv) = resolve_program(path, ino, argv, fd_path_inaccessible)?;
    let argv_refs: Vec<&[u8]> = argv.iter().map(|a| a.as_slice()).collect();
    let envp_refs: Vec<&[u8]> = envp.iter().map(|e| e.as_slice()).collect();
    let loaded = exec::load(&path, file, &argv_refs, &envp_refs).map_err(|e| e.errno())?;
    let image = process::ProgramImage::new(
        super::path::canonical_path(dirfd, path.as_bytes()).unwrap_or_default(),
        &argv_refs,
        &envp_refs,
    );
    let me = sched::current().ok_or(Errno::ESRCH)?;
    // Past the point of no return. The old memory is let go of first (robust futexes, a vfork parent resumes).
    process::exec_release(&me);
    // A table shared with another process (CLONE_FILES) is copied first: close-on-exec acts on ours only.
    let mut files = me.process.files().lock().clone();
    let closed = files.close_on_exec();
    let old = me.process.set_files(Arc::new(spin::Mutex::new(files)));
    drop(old);
    drop(closed);
    crate::task::signal::reset_for_exec(&me);
    me.process.creds.commit_exec();
    me.process.replace_address_space(loaded.mm);
    me.process.set_name(&path);
    *me.process.image.lock() = Arc::new(image);
    sched::activate_current_mm();
    *me.fpu.lock() = switch::FpuState::initial();
    me.fpu.lock().restore();
    me.fs_base.store(0, Ordering::Relaxed);
    switch::set_fs_base(0);
    *frame = loaded.frame;
    frame.cs = 0x33;
    frame.ss = 0x2b;
    Ok(0)
}

/// Find the program to run: the file at `path`, or for a `#!` script its interpreter with the script's path
/// inserted into the arguments (up to 4 levels, like Linux's binfmt_script nesting limit).
/// What exec runs: the program's path, its image, and its arguments.
type Program = (String, exec::ExecFile, Vec<Vec<u8>>);

fn resolve_program(
    mut path: String,
    first: basalt_memfs::InodeId,
    mut argv: Vec<Vec<u8>>,
    fd_path_inaccessible: bool,
) -> Result<Program, Errno> {
    let mut next = Some(first);
    for _ in 0..5 {
        let ino = match next.take() {
            Some(ino) => ino,
            None => super::path::lookup_executable(path.as_bytes())?,
        };
        let file = exec::ExecFile::open(ino)?;
        if !file.head.starts_with(b"#!") {
            return Ok((path, file, argv));
        }
        if fd_path_inaccessible {
            return Err(Errno::ENOENT);
        }
        let image = &file.head;
        let line_end = image
            .iter()
            .position(|&b| b == b'\n')
            .unwrap_or(image.len())
            .min(256);
        let line = core::str::from_utf8(&image[2..line_end])
            .map_err(|_| Errno::ENOEXEC)?
            .trim();
        let (interp, arg) = match line.split_once([' ', '\t']) {
            Some((i, a)) => (i, Some(a.trim())),
            None => (line, None),
        };
        if interp.is_empty() {
            return Err(Errno::ENOEXEC);
        }
        let mut new_argv: Vec<Vec<u8>> = alloc::vec![interp.as_bytes().to_vec()];
        if let Some(a) = arg.filter(|a| !a.is_empty()) {
            new_argv.push(a.as_bytes().to_vec());
        }
        new_argv.push(path.as_bytes().to_vec());
        new_argv.extend(argv.into_iter().skip(1));
        argv = new_argv;
        path = String::from(interp);
    }
    Err(Errno::ELOOP)
}

/// wait4(pid, wstatus, options, rusage).
pub fn wait4(pid: i32, status_ptr: u64, options: u32, rusage: u64) -> Result<usize, Errno> {
    let Some(event) = process::wait_child(pid, options)? else {
        // WNOHANG and nothing to report: Linux leaves status and rusage alone.
        return Ok(0);
    };
    if status_ptr != 0 {
        user::write_i32(status_ptr, event.status)?;
    }
    if rusage != 0 {
        usercopy::copy_to_user(rusage, &basalt_cputime::rusage_bytes(event.usage))?;
    }
    Ok(event.pid as usize)
}

/// set_robust_list(head, len): remember the thread's robust futex list (walked when it exits or execs).
pub fn set_robust_list(head: u64, len: u64) -> Result<usize, Errno> {
    if len != basalt_futex::robust::HEAD_SIZE {
        return Err(Errno::EINVAL);
    }
    let me = sched::current().ok_or(Errno::ESRCH)?;
    me.robust_list.store(head, Ordering::Relaxed);
    Ok(0)
}

/// get_robust_list(tid, head_ptr, len_ptr): the list head of a thread (0: the caller).
pub fn get_robust_list(tid: i32, head_ptr: u64, len_ptr: u64) -> Result<usize, Errno> {
    let t = if tid == 0 {
        sched::current()
    } else {
        u32::try_from(tid).ok().and_then(process::find_thread)
    }
    .ok_or(Errno::ESRCH)?;
    let head = t.robust_list.load(Ordering::Relaxed);
    usercopy::copy_to_user(len_ptr, &basalt_futex::robust::HEAD_SIZE.to_le_bytes())?;
    usercopy::copy_to_user(head_ptr, &head.to_le_bytes())?;
    Ok(0)
}

/// set_tid_address(2).
pub fn set_tid_address(addr: u64) -> Result<usize, Errno> {
    let me = sched::current().ok_or(Errno::ESRCH)?;
    me.clear_child_tid.store(addr, Ordering::Relaxed);
    Ok(me.tid as usize)
}

const ARCH_SET_GS: u64 = 0x1001;
const ARCH_SET_FS: u64 = 0x1002;
const ARCH_GET_FS: u64 = 0x1003;
const ARCH_GET_GS: u64 = 0x1004;

/// arch_prctl(2): the FS base (TLS). GS for user space is not supported.
pub fn arch_prctl(code: u64, addr: u64) -> Result<usize, Errno> {
    let me = sched::current().ok_or(Errno::ESRCH)?;
    match code {
        ARCH_SET_FS => {
            if !switch::set_fs_base(addr) {
                return Err(Errno::EPERM);
            }
            me.fs_base.store(addr, Ordering::Relaxed);
            Ok(0)
        }
        ARCH_GET_FS => {
            usercopy::copy_to_user(addr, &switch::fs_base().to_le_bytes())?;
            Ok(0)
        }
        ARCH_SET_GS | ARCH_GET_GS => Err(Errno::EINVAL),
        _ => Err(Errno::EINVAL),
    }
}

/// nanosleep / clock_nanosleep (relative): sleep, EINTR with the remaining time when interrupted.
pub fn nanosleep(req: u64, rem: u64) -> Result<usize, Errno> {
    let requested_ns = crate::time::timespec_from_user(req)?;
    let ns = requested_ns;
    let deadline = crate::time::monotonic_ns().saturating_add(ns);
    if sched::sleep_until(deadline) {
        return Ok(0);
    }
    if rem != 0 {
        let left = deadline.saturating_sub(crate::time::monotonic_ns());
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&((left / 1_000_000_000) as i64).to_le_bytes());
        out[8..].copy_from_slice(&((left % 1_000_000_000) as i64).to_le_bytes());
        usercopy::copy_to_user(rem, &out)?;
    }
    Err(Errno::EINTR)
}

/// The current thread's ids.
/// A value read from the calling thread, without taking references (for the id calls, which must be cheap).
pub fn with_current(read: impl FnOnce(&Task) -> usize) -> Result<usize, Errno> {
    sched::with_current(|t| read(t)).ok_or(Errno::ESRCH)
}

/// setpgid(pid, pgid): move a process (itself or a child) into a process group of its session.
pub fn setpgid(pid: i32, pgid: i32) -> Result<usize, Errno> {
    if pgid < 0 {
        return Err(Errno::EINVAL);
    }
    let me = process::current().ok_or(Errno::ESRCH)?;
    let target = if pid == 0 || pid as u32 == me.pid {
        me.clone()
    } else {
        let t = process::find(pid as u32)
            .filter(|t| t.pid == pid as u32)
            .ok_or(Errno::ESRCH)?;
        if t.ppid() != me.pid {
            return Err(Errno::ESRCH);
        }
        if t.sid.load(Ordering::Relaxed) != me.sid.load(Ordering::Relaxed) {
            return Err(Errno::EPERM);
        }
        // A child that has run execve is out of reach.
        if t.has_exec() {
            return Err(Errno::EACCES);
        }
        t
    };
    // A session leader cannot move.
    if target.sid.load(Ordering::Relaxed) == target.pid {
        return Err(Errno::EPERM);
    }
    let new = if pgid == 0 { target.pid } else { pgid as u32 };
    if new != target.pid {
        // Joining an existing group: it must exist in the same session.
        let exists = process::in_group(new)
            .iter()
            .any(|p| p.sid.load(Ordering::Relaxed) == target.sid.load(Ordering::Relaxed));
        if !exists {
            return Err(Errno::EPERM);
        }
    }
    target.pgid.store(new, Ordering::Relaxed);
    Ok(0)
}

/// getpgid(pid) (0: the caller).
pub fn getpgid(pid: i32) -> Result<usize, Errno> {
    let p = if pid == 0 {
        process::current().ok_or(Errno::ESRCH)?
    } else {
        process::find(pid as u32)
            .filter(|p| p.pid == pid as u32)
            .ok_or(Errno::ESRCH)?
    };
    Ok(p.pgid.load(Ordering::Relaxed) as usize)
}

/// getsid(pid) (0: the caller).
pub fn getsid(pid: i32) -> Result<usize, Errno> {
    let p = if pid == 0 {
        process::current().ok_or(Errno::ESRCH)?
    } else {
        process::find(pid as u32)
            .filter(|p| p.pid == pid as u32)
            .ok_or(Errno::ESRCH)?
    };
    Ok(p.sid.load(Ordering::Relaxed) as usize)
}

/// setsid(): a new session and process group led by the caller (EPERM for a group leader).
pub fn setsid() -> Result<usize, Errno> {
    let me = process::current().ok_or(Errno::ESRCH)?;
    if me.pgid.load(Ordering::Relaxed) == me.pid || !process::in_group(me.pid).is_empty() {
        return Err(Errno::EPERM);
    }
    me.sid.store(me.pid, Ordering::Relaxed);
    me.pgid.store(me.pid, Ordering::Relaxed);
    crate::tty::job::on_setsid(&me);
    Ok(me.pid as usize)
}

/// clone3(args, size): the extensible form of clone, with Linux's validation of `struct clone_args`.
pub fn clone3(frame: &TrapFrame, args_ptr: u64, size: u64) -> Result<usize, Errno> {
    const SIZE_VER0: u64 = 64;
    const SIZE_KNOWN: u64 = 88;
    const CLONE_CLEAR_SIGHAND: u64 = 1 << 32;
    const MAX_SET_TID: u64 = 32;
    if size < SIZE_VER0 {
        return Err(Errno::EINVAL);
    }
    if size > 4096 {
        return Err(Errno::E2BIG);
    }
    let mut raw = [0u8; SIZE_KNOWN as usize];
    let known = size.min(SIZE_KNOWN) as usize;
    usercopy::copy_from_user(&mut raw[..known], args_ptr)?;
    if size > SIZE_KNOWN {
        // A newer caller's extra fields must all be zero (we do not know them).
        let mut tail = alloc::vec![0u8; (size - SIZE_KNOWN) as usize];
        usercopy::copy_from_user(&mut tail, args_ptr + SIZE_KNOWN)?;
        if tail.iter().any(|&b| b != 0) {
            return Err(Errno::E2BIG);
        }
    }
    let field = |i: usize| u64::from_le_bytes(raw[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]));
    let (flags, _pidfd, child_tid, parent_tid, exit_signal) =
        (field(0), field(1), field(2), field(3), field(4));
    let (stack, stack_size, tls, set_tid, set_tid_size) =
        (field(5), field(6), field(7), field(8), field(9));
    if exit_signal & !0xff != 0 || exit_signal > 64 {
        return Err(Errno::EINVAL);
    }
    if flags & CSIGNAL != 0 || flags & !(SUPPORTED | CLONE_CLEAR_SIGHAND) & !CSIGNAL != 0 {
        return Err(Errno::EINVAL);
    }
    if (stack == 0) != (stack_size == 0) {
        return Err(Errno::EINVAL);
    }
    if set_tid_size > MAX_SET_TID || (set_tid == 0) != (set_tid_size == 0) {
        return Err(Errno::EINVAL);
    }
    if set_tid_size != 0 {
        // Choosing the child's pid (checkpoint/restore) is not supported.
        return Err(Errno::EINVAL);
    }
    if flags & CLONE_CLEAR_SIGHAND != 0 && flags & CLONE_SIGHAND != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & CLONE_THREAD != 0 && exit_signal != 0 {
        return Err(Errno::EINVAL);
    }
    let clear_sighand = flags & CLONE_CLEAR_SIGHAND != 0;
    let flags = (flags & !CLONE_CLEAR_SIGHAND) | exit_signal;
    let top = if stack != 0 {
        stack.checked_add(stack_size).ok_or(Errno::EINVAL)?
    } else {
        0
    };
    clone_with(frame, flags, top, parent_tid, child_tid, tls, clear_sighand)
}

/// waitid(idtype, id, infop, options, rusage): like wait4, reporting through a siginfo.
pub fn waitid(idtype: u32, id: u64, infop: u64, options: u32, rusage: u64) -> Result<usize, Errno> {
    const P_ALL: u32 = 0;
    const P_PID: u32 = 1;
    const P_PGID: u32 = 2;
    const WSTOPPED: u32 = 2;
    const WEXITED: u32 = 4;
    const WCONTINUED: u32 = 8;
    const WNOHANG: u32 = 1;
    const WNOWAIT: u32 = 0x0100_0000;
    const KNOWN: u32 = WNOHANG | WSTOPPED | WEXITED | WCONTINUED | WNOWAIT | 0xe000_0000;
    if options & !KNOWN != 0 || options & (WEXITED | WSTOPPED | WCONTINUED) == 0 {
        return Err(Errno::EINVAL);
    }
    let me = process::current().ok_or(Errno::ESRCH)?;
    let id = id as u32;
    let my_pgid = me.pgid.load(Ordering::Relaxed);
    let select: alloc::boxed::Box<dyn Fn(&process::Process) -> bool> = match idtype {
        P_ALL => alloc::boxed::Box::new(|_| true),
        P_PID if id as i32 > 0 => alloc::boxed::Box::new(move |c| c.pid == id),
        P_PGID if id as i32 >= 0 => {
            let pgid = if id == 0 { my_pgid } else { id };
            alloc::boxed::Box::new(move |c| c.pgid.load(Ordering::Relaxed) == pgid)
        }
        _ => return Err(Errno::EINVAL),
    };
    let opts = process::WaitOptions {
        exited: options & WEXITED != 0,
        stopped: options & WSTOPPED != 0,
        continued: options & WCONTINUED != 0,
        nohang: options & WNOHANG != 0,
        nowait: options & WNOWAIT != 0,
        all: options & process::WALL != 0,
        clone: options & process::WCLONE != 0,
    };
    let found = process::wait_for(|c| select(c), opts)?;
    if infop != 0 {
        let bytes = match found {
            Some(event) => child_event(event.pid, event.status)
                .waitid_info()
                .to_user_bytes(),
            None => [0u8; 128],
        };
        usercopy::copy_to_user(infop, &bytes[..basalt_signal::WAITID_INFO_BYTES])?;
    }
    if rusage != 0 {
        let usage = found.map(|event| event.usage).unwrap_or_default();
        usercopy::copy_to_user(rusage, &basalt_cputime::rusage_bytes(usage))?;
    }
    Ok(0)
}

/// A wait status word as the child event it describes.
fn child_event(pid: u32, status: i32) -> basalt_signal::ChildEvent {
    use basalt_signal::{ChildState, Signal};
    let sig = |n: i32| Signal::new(n as u32).unwrap_or(basalt_signal::SIGKILL);
    let state = if status == 0xffff {
        ChildState::Continued
    } else if status & 0xff == 0x7f {
        ChildState::Stopped(sig((status >> 8) & 0xff))
    } else if status & 0x7f == 0 {
        ChildState::Exited((status >> 8) & 0xff)
    } else if status & 0x80 != 0 {
        ChildState::Dumped(sig(status & 0x7f))
    } else {
        ChildState::Killed(sig(status & 0x7f))
    };
    basalt_signal::ChildEvent {
        state,
        pid: pid as i32,
        uid: 0,
        utime_ns: 0,
        stime_ns: 0,
    }
}
