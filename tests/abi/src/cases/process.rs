//! Process identity and groups: getpid, getppid, getpgid/setpgid, getsid/setsid.
//!
//! Each case process is the leader of its own process group (the runner puts it there), in the runner's session.

use crate::child::{self, ask, close, pipe, read_byte, write_byte};
use crate::registry::Case;
use crate::sys::{self, eq, getpid, nr, outcome, value, NO_SUCH_PID};

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case::new("proc.getpid", getpid_basic),
    Case::new("proc.getppid_in_child", getppid_in_child),
    Case::new("proc.getpgid_self", getpgid_self),
    Case::new("proc.getpgid_esrch", getpgid_esrch),
    Case::new("proc.getpgid_negative", getpgid_negative),
    Case::new("proc.getpgrp", getpgrp),
    Case::new("proc.setpgid_new_group", setpgid_new_group),
    Case::new("proc.setpgid_negative_einval", setpgid_negative),
    Case::new("proc.setpgid_esrch", setpgid_esrch),
    Case::new("proc.setpgid_missing_group_eperm", setpgid_missing_group),
    Case::new("proc.setpgid_of_child", setpgid_of_child),
    Case::new("proc.setpgid_join_group", setpgid_join_group),
    Case::new("proc.setpgid_session_leader_eperm", setpgid_session_leader),
    Case::new("proc.setpgid_after_exec_eacces", setpgid_after_exec),
    Case::new("proc.getsid", getsid_basic),
    Case::new("proc.getsid_esrch", getsid_esrch),
    Case::new("proc.setsid_new_session", setsid_new_session),
    Case::new("proc.setsid_group_leader_eperm", setsid_group_leader),
];

fn getpid_basic() -> String {
    let pid = getpid();
    // SAFETY: plain libc calls.
    let libc_pid = unsafe { libc::getpid() } as usize;
    format!(
        "pid>0={} libc={} tid={}",
        sys::yes(pid > 0),
        eq(pid, libc_pid),
        eq(sys::gettid(), pid)
    )
}

fn getppid_in_child() -> String {
    let me = getpid();
    let in_child = ask(|| eq(sys!(nr::GETPPID).unwrap_or(0), me).to_string());
    format!("child's ppid={in_child}")
}

fn getpgid_self() -> String {
    let zero = sys!(nr::GETPGID, 0);
    let by_pid = sys!(nr::GETPGID, getpid());
    format!(
        "pgid(0)={} leader={}",
        eq(zero, by_pid),
        eq(zero, Ok(getpid()))
    )
}

fn getpgid_esrch() -> String {
    value(sys!(nr::GETPGID, NO_SUCH_PID))
}

fn getpgid_negative() -> String {
    value(sys!(nr::GETPGID, -1i64))
}

fn getpgrp() -> String {
    eq(sys!(nr::GETPGRP), sys!(nr::GETPGID, 0)).to_string()
}

fn setpgid_new_group() -> String {
    ask(|| {
        let before = eq(sys!(nr::GETPGID, 0), Ok(getpid()));
        let r = outcome(sys!(nr::SETPGID, 0, 0));
        let after = eq(sys!(nr::GETPGID, 0), Ok(getpid()));
        format!("leader before={before} setpgid={r} leader after={after}")
    })
}

fn setpgid_negative() -> String {
    outcome(sys!(nr::SETPGID, 0, -1i64))
}

fn setpgid_esrch() -> String {
    outcome(sys!(nr::SETPGID, NO_SUCH_PID, 0))
}

fn setpgid_missing_group() -> String {
    // A group id no process group has: moving there is refused with EPERM (the pgid itself is valid).
    ask(|| outcome(sys!(nr::SETPGID, 0, NO_SUCH_PID)))
}

fn setpgid_of_child() -> String {
    let (r, w) = pipe();
    let Ok(pid) = child::spawn(|| {
        let _ = read_byte(r);
        0
    }) else {
        return "fork failed".to_string();
    };
    let set = outcome(sys!(nr::SETPGID, pid, pid));
    let pgid = eq(sys!(nr::GETPGID, pid), Ok(pid as usize));
    write_byte(w, 1);
    child::wait_text(pid);
    format!("setpgid={set} child pgid=own {pgid}")
}

fn setpgid_join_group() -> String {
    let (r, w) = pipe();
    let hold = || {
        close(w);
        let _ = read_byte(r);
        0
    };
    let (Ok(a), Ok(b)) = (child::spawn(hold), child::spawn(hold)) else {
        return "fork failed".to_string();
    };
    let first = outcome(sys!(nr::SETPGID, a, a));
    let join = outcome(sys!(nr::SETPGID, b, a));
    let pgid = eq(sys!(nr::GETPGID, b), Ok(a as usize));
    close(w);
    child::wait_text(a);
    child::wait_text(b);
    format!("leader={first} join={join} pgid of second=first's {pgid}")
}

fn setpgid_session_leader() -> String {
    let (r, w) = pipe();
    let (r2, w2) = pipe();
    let Ok(pid) = child::spawn(|| {
        let ok = sys!(nr::SETSID).is_ok();
        write_byte(w2, u8::from(ok));
        let _ = read_byte(r);
        0
    }) else {
        return "fork failed".to_string();
    };
    let setsid_ok = read_byte(r2) == Ok(1);
    let r = outcome(sys!(nr::SETPGID, pid, getpid()));
    write_byte(w, 1);
    child::wait_text(pid);
    format!("child setsid ok={} setpgid={}", sys::yes(setsid_ok), r)
}

fn setpgid_after_exec() -> String {
    // posix_spawn returns only after the child has called execve (musl uses CLONE_VFORK).
    let (r, w) = pipe();
    let me = crate::exec_child::self_path();
    let argv0 = sys::cstr(&me);
    let mode = sys::cstr("ABI_EXEC_CHILD=wait");
    let argv = [argv0.as_ptr() as *mut libc::c_char, core::ptr::null_mut()];
    let envp = [mode.as_ptr() as *mut libc::c_char, core::ptr::null_mut()];
    let mut pid: libc::pid_t = 0;
    // SAFETY: plain libc calls on locals; the file actions object is initialised before use and destroyed after.
    let spawned = unsafe {
        let mut actions: libc::posix_spawn_file_actions_t = core::mem::zeroed();
        libc::posix_spawn_file_actions_init(&mut actions);
        // The new program waits for a byte on its stdin (the pipe), so it is alive during setpgid.
        libc::posix_spawn_file_actions_adddup2(&mut actions, r, 0);
        let rc = libc::posix_spawn(
            &mut pid,
            argv0.as_ptr(),
            &actions,
            core::ptr::null(),
            argv.as_ptr(),
            envp.as_ptr(),
        );
        libc::posix_spawn_file_actions_destroy(&mut actions);
        rc
    };
    if spawned != 0 {
        return format!("posix_spawn errno {spawned}");
    }
    let r = outcome(sys!(nr::SETPGID, pid, pid));
    child::close(w);
    child::wait_text(pid);
    r
}

fn getsid_basic() -> String {
    eq(sys!(nr::GETSID, 0), sys!(nr::GETSID, getpid())).to_string()
}

fn getsid_esrch() -> String {
    value(sys!(nr::GETSID, NO_SUCH_PID))
}

fn setsid_new_session() -> String {
    ask(|| {
        let pid = Ok(getpid());
        let ret = sys!(nr::SETSID);
        format!(
            "ret=pid {} sid=pid {} pgid=pid {}",
            eq(ret, pid),
            eq(sys!(nr::GETSID, 0), pid),
            eq(sys!(nr::GETPGID, 0), pid)
        )
    })
}

fn setsid_group_leader() -> String {
    outcome(sys!(nr::SETSID))
}
