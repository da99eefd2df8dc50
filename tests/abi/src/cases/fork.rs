//! fork and vfork: return values, copied versus shared state, inheritance.

use core::arch::asm;
use core::sync::atomic::{AtomicU32, Ordering::SeqCst};

use crate::child::{self, ask, close, pipe, read_to_end, write_all, write_byte};
use crate::registry::Case;
use crate::sys::{self, eq, getpid, nr, yes};
use crate::{scratch, sig};

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case::new("fork.raw_returns", raw_returns),
    Case::new("fork.child_pid", child_pid),
    Case::new("fork.memory_copied", memory_copied),
    Case::new("fork.shared_anon_mapping", shared_anon_mapping),
    Case::new("fork.private_anon_mapping", private_anon_mapping),
    Case::new("fork.file_offset_shared", file_offset_shared),
    Case::new("fork.cloexec_flag_kept", cloexec_flag_kept),
    Case::new("fork.exit_codes", exit_codes),
    Case::new("fork.reap_32", reap_32),
    Case::new("fork.mask_inherited", mask_inherited),
    Case::new("fork.pending_cleared", pending_cleared),
    Case::new("fork.handler_inherited", handler_inherited),
    Case::new("fork.alarm_not_inherited", alarm_not_inherited),
    Case::new("fork.orphan_reparented", orphan_reparented),
    Case::new("vfork.raw_shares_memory", vfork_raw_shares_memory),
    Case::new("vfork.parent_waits_for_exit", vfork_parent_waits_for_exit),
    Case::new("vfork.exec_releases_parent", vfork_exec_releases_parent),
];

fn raw_returns() -> String {
    // SAFETY: the child makes only raw system calls before exiting.
    let ret = unsafe { sys::raw(nr::FORK, &[]) };
    if ret == 0 {
        let _ = sys!(nr::EXIT_GROUP, 7);
    }
    let Ok(pid) = sys::decode(ret) else {
        return format!("fork {ret}");
    };
    match child::wait4(-1, 0) {
        Ok((got, status)) => format!(
            "parent got pid>0 wait pid={} {}",
            eq(got, pid),
            child::describe(status)
        ),
        Err(e) => sys::errno_name(e),
    }
}

fn child_pid() -> String {
    let me = getpid();
    let (r, w) = pipe();
    let Ok(pid) = child::spawn(|| {
        let _ = write_all(w, &getpid().to_ne_bytes());
        0
    }) else {
        return "fork failed".to_string();
    };
    close(w);
    let reported = read_to_end(r);
    child::wait_text(pid);
    let reported = usize::from_ne_bytes(reported.try_into().unwrap_or([0; 8]));
    format!(
        "child pid=returned {} parent={}",
        eq(reported, pid as usize),
        if reported == me { "same" } else { "differ" }
    )
}

fn memory_copied() -> String {
    let mut v = Box::new(1u32);
    let in_child = ask(|| {
        *v = 2;
        format!("child={v}")
    });
    format!("{in_child} parent={v}")
}

fn shared_anon_mapping() -> String {
    let flags = libc::MAP_SHARED | libc::MAP_ANONYMOUS;
    let Ok(addr) = sys!(
        nr::MMAP,
        0,
        sys::PAGE,
        libc::PROT_READ | libc::PROT_WRITE,
        flags,
        -1i64,
        0
    ) else {
        return "mmap failed".to_string();
    };
    let cell = addr as *const AtomicU32;
    // SAFETY: the page is mapped read-write and aligned.
    let status = child::run(|| {
        unsafe { &*cell }.store(42, SeqCst);
        0
    });
    // SAFETY: as above.
    format!("{status} parent sees {}", unsafe { &*cell }.load(SeqCst))
}

fn private_anon_mapping() -> String {
    let Ok(addr) = sys::map_anon(sys::PAGE) else {
        return "mmap failed".to_string();
    };
    let cell = addr as *const AtomicU32;
    // SAFETY: the page is mapped read-write and aligned.
    unsafe { &*cell }.store(1, SeqCst);
    let status = child::run(|| {
        unsafe { &*cell }.store(42, SeqCst);
        0
    });
    // SAFETY: as above.
    format!("{status} parent sees {}", unsafe { &*cell }.load(SeqCst))
}

fn file_offset_shared() -> String {
    let Ok(p) = scratch::create("fork-offset", b"", 0o644) else {
        return format!("create {}", sys::last_errno());
    };
    let text = match scratch::open(&p, libc::O_RDWR, 0) {
        Ok(fd) => {
            let status = child::run(|| i32::from(write_all(fd, b"abc").is_err()));
            let pos = sys::value(sys!(nr::LSEEK, fd, 0, libc::SEEK_CUR));
            close(fd);
            format!("{status} parent offset={pos}")
        }
        Err(e) => sys::errno_name(e),
    };
    scratch::remove(&p);
    text
}

fn cloexec_flag_kept() -> String {
    let (r, w) = pipe();
    ask(move || {
        let flags = sys::value(sys!(nr::FCNTL, r, libc::F_GETFD));
        close(w);
        format!("FD_CLOEXEC in child={flags}")
    })
}

fn exit_codes() -> String {
    let pids: Vec<_> = [0, 1, 42, 127, 255]
        .iter()
        .map(|&code| child::spawn(move || code))
        .collect();
    let texts: Vec<String> = pids
        .into_iter()
        .map(|p| p.map_or_else(sys::errno_name, child::wait_text))
        .collect();
    texts.join(", ")
}

fn reap_32() -> String {
    let mut forked = 0;
    for i in 0..32 {
        if child::spawn(move || i).is_ok() {
            forked += 1;
        }
    }
    let mut reaped = 0;
    let mut sum = 0;
    while let Ok((_, status)) = child::wait4(-1, 0) {
        reaped += 1;
        sum += libc::WEXITSTATUS(status);
    }
    let after = sys::outcome(child::wait4(-1, 0).map(|(p, _)| p));
    format!("forked={forked} reaped={reaped} sum={sum} then {after}")
}

fn mask_inherited() -> String {
    sig::block(&[libc::SIGUSR1]);
    ask(|| {
        let m = sig::current_mask();
        format!(
            "usr1 blocked in child={}",
            yes(m & sig::mask_of(&[libc::SIGUSR1]) != 0)
        )
    })
}

fn pending_cleared() -> String {
    sig::block(&[libc::SIGUSR1]);
    let _ = sig::raise(libc::SIGUSR1);
    let bit = sig::mask_of(&[libc::SIGUSR1]);
    let in_child = ask(|| format!("child pending={}", yes(sig::pending() & bit != 0)));
    format!(
        "{in_child} parent pending={}",
        yes(sig::pending() & bit != 0)
    )
}

fn handler_inherited() -> String {
    if let Err(e) = sig::record_on(libc::SIGUSR1, 0) {
        return sys::errno_name(e);
    }
    ask(|| {
        let _ = sig::raise(libc::SIGUSR1);
        format!("child handled={}", sig::hits(libc::SIGUSR1))
    })
}

fn alarm_not_inherited() -> String {
    let _ = sys!(nr::ALARM, 100);
    let in_child = ask(|| format!("child alarm left={}", sys::value(sys!(nr::ALARM, 0))));
    format!(
        "{in_child} parent alarm left={}",
        sys::value(sys!(nr::ALARM, 0))
    )
}

fn orphan_reparented() -> String {
    let (r, w) = pipe();
    let status = child::run(|| {
        let parent = getpid();
        let grandchild = child::spawn(|| {
            // Poll until the parent has gone (bounded by the case timeout).
            while sys!(nr::GETPPID) == Ok(parent) {
                let ts = [0i64, 1_000_000];
                let _ = sys!(nr::NANOSLEEP, ts.as_ptr(), 0);
            }
            let _ = write_all(w, b"ppid changed");
            0
        });
        i32::from(grandchild.is_err())
    });
    close(w);
    let text = read_to_end(r);
    format!("{status}, grandchild: {}", String::from_utf8_lossy(&text))
}

fn vfork_raw_shares_memory() -> String {
    let flag = AtomicU32::new(0);
    let ret: isize;
    // SAFETY: the child writes the flag and exits without touching the stack, which it shares with the suspended
    // parent; rcx/r11 (clobbered by syscall) and rdi are excluded from the input's registers.
    unsafe {
        asm!(
            "syscall",
            "test rax, rax",
            "jnz 2f",
            "mov dword ptr [{flag}], 1",
            "mov edi, 7",
            "mov eax, 60",
            "syscall",
            "2:",
            flag = in(reg) flag.as_ptr(),
            inlateout("rax") nr::VFORK as isize => ret,
            out("rdi") _, out("rcx") _, out("r11") _,
        );
    }
    let seen = flag.load(SeqCst);
    match sys::decode(ret) {
        Ok(pid) => format!(
            "parent sees child's write={seen} {}",
            child::wait_text(pid as i32)
        ),
        Err(e) => sys::errno_name(e),
    }
}

/// Stack for callbacks run by musl's `clone` in the caller's address space.
fn clone_stack() -> Vec<u8> {
    vec![0u8; 256 * 1024]
}

fn stack_top(stack: &mut [u8]) -> *mut libc::c_void {
    let top = stack.as_mut_ptr() as usize + stack.len();
    (top & !15) as *mut libc::c_void
}

static VFORK_FLAG: AtomicU32 = AtomicU32::new(0);

extern "C" fn vfork_child_sets_flag(_arg: *mut libc::c_void) -> i32 {
    // Give the parent every chance to run if it wrongly is not suspended.
    for _ in 0..100 {
        let _ = sys!(nr::SCHED_YIELD);
    }
    VFORK_FLAG.store(1, SeqCst);
    5
}

fn vfork_parent_waits_for_exit() -> String {
    let mut stack = clone_stack();
    let flags = libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD;
    // SAFETY: the callback only touches an atomic and makes raw system calls, on its own stack.
    let pid = unsafe {
        libc::clone(
            vfork_child_sets_flag,
            stack_top(&mut stack),
            flags,
            core::ptr::null_mut(),
        )
    };
    if pid < 0 {
        return format!("clone {}", sys::last_errno());
    }
    let seen = VFORK_FLAG.load(SeqCst);
    format!(
        "flag set when parent resumed={seen} {}",
        child::wait_text(pid)
    )
}

struct ExecArgs {
    stdin: i32,
    path: *const libc::c_char,
    argv: [*const libc::c_char; 2],
    envp: [*const libc::c_char; 2],
}

extern "C" fn vfork_child_execs(arg: *mut libc::c_void) -> i32 {
    // SAFETY: `arg` points to the parent's ExecArgs, alive while the parent is suspended.
    let a = unsafe { &*(arg as *const ExecArgs) };
    let _ = sys!(nr::DUP2, a.stdin, 0);
    let _ = sys!(nr::EXECVE, a.path, a.argv.as_ptr(), a.envp.as_ptr());
    99
}

fn vfork_exec_releases_parent() -> String {
    let (r, w) = pipe();
    let path = sys::cstr(&crate::exec_child::self_path());
    let mode = sys::cstr("ABI_EXEC_CHILD=wait");
    let args = ExecArgs {
        stdin: r,
        path: path.as_ptr(),
        argv: [path.as_ptr(), core::ptr::null()],
        envp: [mode.as_ptr(), core::ptr::null()],
    };
    let mut stack = clone_stack();
    let flags = libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD;
    let arg = &args as *const ExecArgs as *mut libc::c_void;
    // SAFETY: the callback uses raw system calls and the argument block only.
    let pid = unsafe { libc::clone(vfork_child_execs, stack_top(&mut stack), flags, arg) };
    if pid < 0 {
        return format!("clone {}", sys::last_errno());
    }
    // The new program blocks on its stdin, so the parent can only be running because execve released it.
    let alive = match child::wait4(pid, libc::WNOHANG) {
        Ok((0, _)) => "yes".to_string(),
        Ok((_, st)) => child::describe(st),
        Err(e) => sys::errno_name(e),
    };
    write_byte(w, 1);
    close(w);
    format!(
        "child alive after parent resumed={alive} {}",
        child::wait_text(pid)
    )
}
