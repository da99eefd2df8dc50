//! clone (threads, flag checks, exit signals, shared tables) and clone3 (argument-structure checks).

use core::sync::atomic::{AtomicI32, AtomicU32, Ordering::SeqCst};

use crate::child::{self, ask, close, pipe};
use crate::registry::Case;
use crate::sig;
use crate::sys::{self, eq, errno_name, nr, outcome, yes};

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case::new("clone.std_thread_join", std_thread_join),
    Case::new("clone.threads_share_memory", threads_share_memory),
    Case::new("clone.thread_ids", thread_ids),
    Case::new(
        "clone.raw_thread_settid_cleartid",
        raw_thread_settid_cleartid,
    ),
    Case::new("clone.exit_group_from_thread", exit_group_from_thread),
    Case::new(
        "clone.thread_without_sighand_einval",
        thread_without_sighand,
    ),
    Case::new("clone.sighand_without_vm_einval", sighand_without_vm),
    Case::new("clone.newns_with_fs_einval", newns_with_fs),
    Case::new(
        "clone.pidfd_with_parent_settid_einval",
        pidfd_with_parent_settid,
    ),
    Case::new("clone.fork_like", fork_like),
    Case::new("clone.exit_signal_zero", exit_signal_zero),
    Case::new("clone.exit_signal_usr1", exit_signal_usr1),
    Case::new("clone.parent_settid", parent_settid),
    Case::new("clone.child_settid", child_settid),
    Case::new("clone.files_shared", files_shared),
    Case::new("clone.files_copied", files_copied),
    Case::new("clone.fs_shared_umask", fs_shared_umask),
    Case::new("clone.parent_flag_sibling", parent_flag_sibling),
    Case::new("clone.vm_child_shares_memory", vm_child_shares_memory),
];

/// Legacy clone(flags, stack, parent_tid, child_tid, tls) whose child exits with `code`.
fn clone_exiting(flags: u64, parent_tid: usize, code: usize) -> Result<usize, sys::Errno> {
    sys::decode(sys::clone_exit_child(
        nr::CLONE,
        [flags as usize, 0, parent_tid, 0, 0],
        code,
    ))
}

fn std_thread_join() -> String {
    match std::thread::spawn(|| 7).join() {
        Ok(v) => format!("joined {v}"),
        Err(_) => "thread panicked".to_string(),
    }
}

fn threads_share_memory() -> String {
    static COUNT: AtomicU32 = AtomicU32::new(0);
    let handles: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(|| {
                for _ in 0..1000 {
                    COUNT.fetch_add(1, SeqCst);
                }
            })
        })
        .collect();
    for h in handles {
        let _ = h.join();
    }
    format!("count={}", COUNT.load(SeqCst))
}

fn thread_ids() -> String {
    let pid = sys::getpid();
    let tid = sys::gettid();
    let ppid = sys!(nr::GETPPID);
    let seen = std::thread::spawn(move || {
        format!(
            "pid={} tid={} ppid={}",
            eq(sys::getpid(), pid),
            if sys::gettid() == tid {
                "same"
            } else {
                "differ"
            },
            eq(sys!(nr::GETPPID), ppid)
        )
    })
    .join();
    seen.unwrap_or_else(|_| "thread panicked".to_string())
}

static RAW_THREAD_RAN: AtomicU32 = AtomicU32::new(0);
static RAW_THREAD_TID: AtomicU32 = AtomicU32::new(0);

extern "C" fn raw_thread_body(_arg: usize) {
    RAW_THREAD_TID.store(sys::gettid() as u32, SeqCst);
    RAW_THREAD_RAN.store(1, SeqCst);
}

fn raw_thread_settid_cleartid() -> String {
    let mut stack = sys::ThreadStack::new();
    let ptid = AtomicI32::new(0);
    let ctid = AtomicI32::new(-1);
    let flags =
        sys::THREAD_FLAGS | (libc::CLONE_PARENT_SETTID | libc::CLONE_CHILD_CLEARTID) as usize;
    // SAFETY: the thread touches only atomics and raw system calls; the stack, ptid and ctid outlive it because we
    // wait for ctid to be cleared.
    let ret = unsafe {
        sys::clone_thread(
            flags,
            stack.top(),
            ptid.as_ptr() as usize,
            ctid.as_ptr() as usize,
            raw_thread_body,
            0,
        )
    };
    let tid = match sys::decode(ret) {
        Ok(tid) => tid as i32,
        Err(e) => return format!("clone {}", errno_name(e)),
    };
    // CLONE_CHILD_CLEARTID: the kernel zeroes ctid and wakes the futex when the thread exits.
    sys::wait_cleared(&ctid);
    format!(
        "ptid=returned {} thread ran={} thread tid={} ctid cleared",
        eq(ptid.load(SeqCst), tid),
        RAW_THREAD_RAN.load(SeqCst),
        eq(RAW_THREAD_TID.load(SeqCst) as i32, tid)
    )
}

fn exit_group_from_thread() -> String {
    child::run(|| {
        let t = std::thread::spawn(|| {
            let _ = sys!(nr::EXIT_GROUP, 3);
        });
        let _ = t.join();
        // Not reached if exit_group ended every thread.
        let _ = sys!(nr::EXIT_GROUP, 50);
        50
    })
}

fn thread_without_sighand() -> String {
    let flags = (libc::CLONE_VM | libc::CLONE_THREAD) as u64;
    outcome(clone_exiting(flags, 0, 0))
}

fn sighand_without_vm() -> String {
    let flags = (libc::CLONE_SIGHAND | libc::SIGCHLD) as u64;
    outcome(clone_exiting(flags, 0, 0))
}

fn newns_with_fs() -> String {
    let flags = (libc::CLONE_NEWNS | libc::CLONE_FS | libc::SIGCHLD) as u64;
    outcome(clone_exiting(flags, 0, 0))
}

fn pidfd_with_parent_settid() -> String {
    let mut slot = 0i32;
    let flags = (libc::CLONE_PIDFD | libc::CLONE_PARENT_SETTID | libc::SIGCHLD) as u64;
    outcome(clone_exiting(flags, &mut slot as *mut i32 as usize, 0))
}

fn fork_like() -> String {
    match clone_exiting(libc::SIGCHLD as u64, 0, 4) {
        Ok(pid) => match child::wait4(pid as i32, 0) {
            Ok((got, st)) => format!("wait pid={} {}", eq(got, pid), child::describe(st)),
            Err(e) => errno_name(e),
        },
        Err(e) => errno_name(e),
    }
}

fn exit_signal_zero() -> String {
    let Ok(pid) = clone_exiting(0, 0, 4) else {
        return format!("clone {}", sys::last_errno());
    };
    // A child that signals nothing on exit is a "clone" child: plain wait does not see it.
    let plain = match child::wait4(pid as i32, 0) {
        Ok(_) => "found".to_string(),
        Err(e) => errno_name(e),
    };
    let wclone = match child::wait4(pid as i32, libc::__WCLONE) {
        Ok((_, st)) => child::describe(st),
        Err(e) => errno_name(e),
    };
    format!("plain wait={plain} __WCLONE={wclone}")
}

fn exit_signal_usr1() -> String {
    sig::block(&[libc::SIGUSR1, libc::SIGCHLD]);
    let Ok(pid) = clone_exiting(libc::SIGUSR1 as u64, 0, 4) else {
        return format!("clone {}", sys::last_errno());
    };
    let status = match child::wait4(pid as i32, libc::__WCLONE) {
        Ok((_, st)) => child::describe(st),
        Err(e) => errno_name(e),
    };
    let p = sig::pending();
    format!(
        "{status} usr1 pending={} chld pending={}",
        yes(p & sig::mask_of(&[libc::SIGUSR1]) != 0),
        yes(p & sig::mask_of(&[libc::SIGCHLD]) != 0)
    )
}

fn parent_settid() -> String {
    let ptid = AtomicI32::new(0);
    let flags = (libc::CLONE_PARENT_SETTID | libc::SIGCHLD) as u64;
    match clone_exiting(flags, ptid.as_ptr() as usize, 0) {
        Ok(pid) => {
            child::wait_text(pid as i32);
            format!("parent_tid=pid {}", eq(ptid.load(SeqCst) as usize, pid))
        }
        Err(e) => errno_name(e),
    }
}

fn child_settid() -> String {
    let ctid = AtomicI32::new(0);
    let flags = (libc::CLONE_CHILD_SETTID | libc::SIGCHLD) as usize;
    // SAFETY: fork-like (no CLONE_VM): the child has its own copy of memory and makes only raw calls.
    let ret = unsafe { sys::raw(nr::CLONE, &[flags, 0, 0, ctid.as_ptr() as usize, 0]) };
    if ret == 0 {
        let ok = ctid.load(SeqCst) as usize == sys::gettid();
        let _ = sys!(nr::EXIT_GROUP, if ok { 0 } else { 1 });
    }
    match sys::decode(ret) {
        Ok(pid) => format!(
            "child saw its tid: {} parent copy untouched={}",
            child::wait_text(pid as i32),
            yes(ctid.load(SeqCst) == 0)
        ),
        Err(e) => errno_name(e),
    }
}

/// Fork-like clone with `extra` flags whose child closes `fd` and exits 0.
fn child_closes(extra: i32, fd: i32) -> String {
    let flags = (extra | libc::SIGCHLD) as usize;
    // SAFETY: fork-like (no CLONE_VM): the child makes only raw calls.
    let ret = unsafe { sys::raw(nr::CLONE, &[flags, 0, 0, 0, 0]) };
    if ret == 0 {
        let _ = sys!(nr::CLOSE, fd);
        let _ = sys!(nr::EXIT_GROUP, 0);
    }
    match sys::decode(ret) {
        Ok(pid) => {
            let st = child::wait_text(pid as i32);
            format!(
                "{st} fd in parent={}",
                outcome(sys!(nr::FCNTL, fd, libc::F_GETFD))
            )
        }
        Err(e) => errno_name(e),
    }
}

fn files_shared() -> String {
    let (r, w) = pipe();
    let text = child_closes(libc::CLONE_FILES, r);
    close(w);
    text
}

fn files_copied() -> String {
    let (r, w) = pipe();
    let text = child_closes(0, r);
    close(w);
    close(r);
    text
}

fn fs_shared_umask() -> String {
    let run = |extra: i32| {
        let _ = sys!(nr::UMASK, 0o022);
        let flags = (extra | libc::SIGCHLD) as usize;
        // SAFETY: fork-like; the child makes only raw calls.
        let ret = unsafe { sys::raw(nr::CLONE, &[flags, 0, 0, 0, 0]) };
        if ret == 0 {
            let _ = sys!(nr::UMASK, 0o077);
            let _ = sys!(nr::EXIT_GROUP, 0);
        }
        if let Ok(pid) = sys::decode(ret) {
            child::wait_text(pid as i32);
        }
        format!("{:03o}", sys!(nr::UMASK, 0o022).unwrap_or(0))
    };
    format!(
        "with CLONE_FS umask={} without={}",
        run(libc::CLONE_FS),
        run(0)
    )
}

fn parent_flag_sibling() -> String {
    let inner = ask(|| {
        let flags = (libc::CLONE_PARENT | libc::SIGCHLD) as u64;
        match clone_exiting(flags, 0, 6) {
            Ok(_) => format!(
                "caller wait={}",
                outcome(child::wait4(-1, libc::__WALL).map(|r| r.0))
            ),
            Err(e) => errno_name(e),
        }
    });
    // The sibling is our child now.
    let sibling = match child::wait4(-1, libc::__WALL) {
        Ok((_, st)) => child::describe(st),
        Err(e) => errno_name(e),
    };
    format!("{inner}, grandparent reaps sibling: {sibling}")
}

static VM_CHILD_WROTE: AtomicU32 = AtomicU32::new(0);

extern "C" fn vm_child_body(_arg: *mut libc::c_void) -> i32 {
    VM_CHILD_WROTE.store(sys::getpid() as u32, SeqCst);
    9
}

fn vm_child_shares_memory() -> String {
    // CLONE_VM without CLONE_THREAD or CLONE_VFORK: a process of its own that runs in our memory.
    let mut stack = vec![0u8; 256 * 1024];
    let top = ((stack.as_mut_ptr() as usize + stack.len()) & !15) as *mut libc::c_void;
    // SAFETY: the callback touches only an atomic and makes raw calls, on its own stack, which outlives it (we
    // wait for the child before returning).
    let pid = unsafe {
        libc::clone(
            vm_child_body,
            top,
            libc::CLONE_VM | libc::SIGCHLD,
            core::ptr::null_mut(),
        )
    };
    if pid < 0 {
        return format!("clone {}", sys::last_errno());
    }
    let status = child::wait_text(pid);
    let seen = VM_CHILD_WROTE.load(SeqCst) as i32;
    format!(
        "{status} its pid in our memory={} own pid={}",
        yes(seen == pid),
        yes(seen != sys::getpid() as i32)
    )
}
