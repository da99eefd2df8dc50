//! User and group ids, supplementary groups and umask. The suite is meant to run as root (as Basalt's init does);
//! cases that drop privileges do so in a child.

use crate::child::ask;
use crate::registry::Case;
use crate::scratch;
use crate::sys::{errno_name, nr, outcome, value, BAD_PTR};

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case::new("ids.uid_gid", uid_gid),
    Case::new("ids.getresuid", getresuid),
    Case::new("ids.getresgid", getresgid),
    Case::new("ids.getresuid_efault", getresuid_efault),
    Case::new("ids.setresuid_drop_all", setresuid_drop_all),
    Case::new("ids.setresuid_keep_saved", setresuid_keep_saved),
    Case::new("ids.setuid_as_root_sets_all", setuid_as_root_sets_all),
    Case::new("ids.setuid_invalid_einval", setuid_invalid),
    Case::new("ids.setresuid_unprivileged_eperm", setresuid_unprivileged),
    Case::new("ids.setresgid", setresgid),
    Case::new("ids.setgroups_getgroups", setgroups_getgroups),
    Case::new("ids.getgroups_small_buffer_einval", getgroups_small_buffer),
    Case::new("ids.setgroups_unprivileged_eperm", setgroups_unprivileged),
    Case::new("ids.kill_unprivileged_eperm", kill_unprivileged),
    Case::new("ids.open_unprivileged_eacces", open_unprivileged),
    Case::new("ids.umask", umask),
    Case::new("ids.setreuid_saved_follows", setreuid_saved_follows),
    Case::new("ids.setfsuid_returns_previous", setfsuid_returns_previous),
    Case::new("ids.setgroups_sorted", setgroups_sorted),
    Case::new("ids.access_uses_real_uid", access_uses_real_uid),
    Case::new("ids.chmod_not_owner_eperm", chmod_not_owner),
    Case::new("ids.kill_same_uid", kill_same_uid),
    Case::new("ids.sigqueue_unprivileged_eperm", sigqueue_unprivileged),
    Case::new(
        "ids.sethostname_unprivileged_eperm",
        sethostname_unprivileged,
    ),
    Case::new(
        "ids.clock_settime_unprivileged_eperm",
        clock_settime_unprivileged,
    ),
    Case::new("ids.chown_as_root", chown_as_root),
    Case::new("ids.chown_clears_setid", chown_clears_setid),
    Case::new("ids.chown_unprivileged", chown_unprivileged),
];

/// Three ids from getresuid/getresgid, as `r e s`.
fn res_ids(number: usize) -> String {
    let (mut r, mut e, mut s) = (0u32, 0u32, 0u32);
    match sys!(
        number,
        &mut r as *mut u32,
        &mut e as *mut u32,
        &mut s as *mut u32
    ) {
        Ok(_) => format!("{r} {e} {s}"),
        Err(err) => errno_name(err),
    }
}

/// In a child: drop every uid to 1000, then run `body`.
fn as_unprivileged(body: impl FnOnce() -> String) -> String {
    ask(|| match sys!(nr::SETRESUID, 1000, 1000, 1000) {
        Ok(_) => body(),
        Err(e) => format!("setresuid {}", errno_name(e)),
    })
}

fn uid_gid() -> String {
    format!(
        "uid={} euid={} gid={} egid={}",
        value(sys!(nr::GETUID)),
        value(sys!(nr::GETEUID)),
        value(sys!(nr::GETGID)),
        value(sys!(nr::GETEGID))
    )
}

fn getresuid() -> String {
    res_ids(nr::GETRESUID)
}

fn getresgid() -> String {
    res_ids(nr::GETRESGID)
}

fn getresuid_efault() -> String {
    let (mut e, mut s) = (0u32, 0u32);
    outcome(sys!(
        nr::GETRESUID,
        BAD_PTR,
        &mut e as *mut u32,
        &mut s as *mut u32
    ))
}

fn setresuid_drop_all() -> String {
    as_unprivileged(|| {
        let ids = res_ids(nr::GETRESUID);
        format!("ids={ids} back to root={}", outcome(sys!(nr::SETUID, 0)))
    })
}

fn setresuid_keep_saved() -> String {
    ask(|| {
        let drop = outcome(sys!(nr::SETRESUID, -1i64, 1000, -1i64));
        let dropped = res_ids(nr::GETRESUID);
        let regain = outcome(sys!(nr::SETRESUID, -1i64, 0, -1i64));
        format!(
            "drop euid={drop} ids={dropped} regain={regain} ids={}",
            res_ids(nr::GETRESUID)
        )
    })
}

fn setuid_as_root_sets_all() -> String {
    ask(|| {
        let r = outcome(sys!(nr::SETUID, 1000));
        format!("{r} ids={}", res_ids(nr::GETRESUID))
    })
}

fn setuid_invalid() -> String {
    outcome(sys!(nr::SETUID, u32::MAX))
}

fn setresuid_unprivileged() -> String {
    as_unprivileged(|| outcome(sys!(nr::SETRESUID, 2000, -1i64, -1i64)))
}

fn setresgid() -> String {
    ask(|| {
        let r = outcome(sys!(nr::SETRESGID, 2000, 2001, 2002));
        format!("{r} ids={}", res_ids(nr::GETRESGID))
    })
}

fn setgroups_getgroups() -> String {
    let groups: [u32; 3] = [10, 20, 30];
    let set = outcome(sys!(nr::SETGROUPS, 3, groups.as_ptr()));
    let count = value(sys!(nr::GETGROUPS, 0, 0));
    let mut buf = [0u32; 8];
    let got = sys!(nr::GETGROUPS, 8, buf.as_mut_ptr());
    let list: Vec<String> = buf[..got.unwrap_or(0).min(8)]
        .iter()
        .map(u32::to_string)
        .collect();
    format!("set={set} count={count} list={}", list.join(","))
}

fn getgroups_small_buffer() -> String {
    let groups: [u32; 3] = [10, 20, 30];
    let _ = sys!(nr::SETGROUPS, 3, groups.as_ptr());
    let mut buf = [0u32; 1];
    outcome(sys!(nr::GETGROUPS, 1, buf.as_mut_ptr()))
}

fn setgroups_unprivileged() -> String {
    as_unprivileged(|| {
        let groups: [u32; 1] = [10];
        outcome(sys!(nr::SETGROUPS, 1, groups.as_ptr()))
    })
}

fn kill_unprivileged() -> String {
    let parent = crate::sys::getpid();
    as_unprivileged(|| outcome(sys!(nr::KILL, parent, 0)))
}

fn open_unprivileged() -> String {
    let p = match scratch::create("root-only", b"secret", 0o600) {
        Ok(p) => p,
        Err(e) => return format!("create {}", errno_name(e)),
    };
    let text =
        as_unprivileged(|| outcome(scratch::open(&p, libc::O_RDONLY, 0).map(|fd| fd as usize)));
    scratch::remove(&p);
    text
}

fn umask() -> String {
    let first = sys!(nr::UMASK, 0o027).unwrap_or(0);
    let second = sys!(nr::UMASK, 0o022).unwrap_or(0);
    format!("old={first:03o} then={second:03o}")
}

fn setreuid_saved_follows() -> String {
    ask(|| {
        // An effective uid other than the real one becomes the saved uid too; the real uid 0 still leads back.
        let r = outcome(sys!(nr::SETREUID, -1i64, 1000));
        let ids = res_ids(nr::GETRESUID);
        format!(
            "{r} ids={ids} back={}",
            outcome(sys!(nr::SETREUID, -1i64, 0))
        )
    })
}

fn setfsuid_returns_previous() -> String {
    ask(|| {
        let first = value(sys!(nr::SETFSUID, 1000));
        let query = value(sys!(nr::SETFSUID, -1i64));
        let _ = sys!(nr::SETRESUID, 1000, 1000, 1000);
        let refused = value(sys!(nr::SETFSUID, 0));
        let after = value(sys!(nr::SETFSUID, -1i64));
        format!("first={first} query={query} after drop={refused} then={after}")
    })
}

fn setgroups_sorted() -> String {
    let groups: [u32; 3] = [30, 10, 20];
    let set = outcome(sys!(nr::SETGROUPS, 3, groups.as_ptr()));
    let mut buf = [0u32; 3];
    let got = sys!(nr::GETGROUPS, 3, buf.as_mut_ptr());
    let list: Vec<String> = buf[..got.unwrap_or(0).min(3)]
        .iter()
        .map(u32::to_string)
        .collect();
    format!("set={set} list={}", list.join(","))
}

fn access_uses_real_uid() -> String {
    let p = match scratch::create("access-real", b"secret", 0o600) {
        Ok(p) => p,
        Err(e) => return format!("create {}", errno_name(e)),
    };
    let text = ask(|| {
        // Real uid 1000, effective uid still 0: access() asks about the real uid, open uses the effective one.
        if let Err(e) = sys!(nr::SETRESUID, 1000, 0, 0) {
            return format!("setresuid {}", errno_name(e));
        }
        let c = crate::sys::cstr(&p);
        let real = outcome(sys!(
            nr::FACCESSAT2,
            libc::AT_FDCWD,
            c.as_ptr(),
            libc::R_OK,
            0
        ));
        let eff = outcome(sys!(
            nr::FACCESSAT2,
            libc::AT_FDCWD,
            c.as_ptr(),
            libc::R_OK,
            libc::AT_EACCESS
        ));
        let open = match scratch::open(&p, libc::O_RDONLY, 0) {
            Ok(fd) => {
                crate::child::close(fd);
                "ok".to_string()
            }
            Err(e) => errno_name(e),
        };
        format!("access={real} eaccess={eff} open={open}")
    });
    scratch::remove(&p);
    text
}

fn chmod_not_owner() -> String {
    let p = match scratch::create("chmod-owner", b"", 0o644) {
        Ok(p) => p,
        Err(e) => return format!("create {}", errno_name(e)),
    };
    let text = as_unprivileged(|| {
        let c = crate::sys::cstr(&p);
        outcome(sys!(nr::CHMOD, c.as_ptr(), 0o777))
    });
    scratch::remove(&p);
    text
}

fn kill_same_uid() -> String {
    as_unprivileged(|| {
        // A process with the same uid may be signalled.
        let pid = match crate::child::spawn(|| {
            // SAFETY: pause only waits for a signal.
            unsafe { libc::pause() };
            0
        }) {
            Ok(pid) => pid,
            Err(e) => return format!("fork {}", errno_name(e)),
        };
        let probe = outcome(sys!(nr::KILL, pid, 0));
        let kill = sys!(nr::KILL, pid, libc::SIGKILL);
        // Waiting for a child that was not killed would hang; the runner kills it with the group.
        let ended = match kill {
            Ok(_) => crate::child::wait_text(pid),
            Err(_) => "left running".to_string(),
        };
        format!("probe={probe} kill={} child {ended}", outcome(kill))
    })
}

fn sigqueue_unprivileged() -> String {
    let parent = crate::sys::getpid();
    as_unprivileged(|| {
        let mut info = [0i32; 32];
        info[2] = -1; // SI_QUEUE
        outcome(sys!(nr::RT_SIGQUEUEINFO, parent, 0, info.as_ptr()))
    })
}

fn sethostname_unprivileged() -> String {
    as_unprivileged(|| {
        let name = *b"x";
        outcome(sys!(nr::SETHOSTNAME, name.as_ptr(), 1))
    })
}

fn clock_settime_unprivileged() -> String {
    as_unprivileged(|| {
        // A valid time, refused for want of privilege: the clock is never changed.
        let t: [i64; 2] = [2_000_000_000, 0];
        outcome(sys!(nr::CLOCK_SETTIME, libc::CLOCK_REALTIME, t.as_ptr()))
    })
}

/// Owner, group and permission bits of `path`, as `uid:gid mode`.
fn owner_and_mode(path: &str) -> String {
    let c = crate::sys::cstr(path);
    // SAFETY: plain data.
    let mut st: libc::stat = unsafe { core::mem::zeroed() };
    match sys!(
        nr::NEWFSTATAT,
        libc::AT_FDCWD,
        c.as_ptr(),
        &mut st as *mut libc::stat,
        0
    ) {
        Ok(_) => format!("{}:{} {:04o}", st.st_uid, st.st_gid, st.st_mode & 0o7777),
        Err(e) => errno_name(e),
    }
}

fn chown_as_root() -> String {
    let p = match scratch::create("chown-root", b"", 0o644) {
        Ok(p) => p,
        Err(e) => return format!("create {}", errno_name(e)),
    };
    let c = crate::sys::cstr(&p);
    let both = outcome(sys!(nr::CHOWN, c.as_ptr(), 1000, 2000));
    let after_both = owner_and_mode(&p);
    let group_only = outcome(sys!(
        nr::FCHOWNAT,
        libc::AT_FDCWD,
        c.as_ptr(),
        -1i64,
        3000,
        0
    ));
    let after_group = owner_and_mode(&p);
    let bad_flags = outcome(sys!(nr::FCHOWNAT, libc::AT_FDCWD, c.as_ptr(), 0, 0, 1));
    scratch::remove(&p);
    format!("{both} {after_both}, group only {group_only} {after_group}, bad flags {bad_flags}")
}

fn chown_clears_setid() -> String {
    let p = match scratch::create("chown-setid", b"", 0o6755) {
        Ok(p) => p,
        Err(e) => return format!("create {}", errno_name(e)),
    };
    let before = owner_and_mode(&p);
    let c = crate::sys::cstr(&p);
    // Even "no change" clears the set-user-id bit, and the set-group-id bit of a group-executable file.
    let r = outcome(sys!(nr::CHOWN, c.as_ptr(), -1i64, -1i64));
    let after = owner_and_mode(&p);
    scratch::remove(&p);
    format!("before {before}, chown -1 -1 {r}, after {after}")
}

fn chown_unprivileged() -> String {
    let p = match scratch::create("chown-user", b"", 0o644) {
        Ok(p) => p,
        Err(e) => return format!("create {}", errno_name(e)),
    };
    let c = crate::sys::cstr(&p);
    let _ = sys!(nr::CHOWN, c.as_ptr(), 1000, 1000);
    let text = ask(|| {
        // Known groups whatever the host's: gid 1000 only, then uid 1000.
        let setup = [
            sys!(nr::SETGROUPS, 0, 0),
            sys!(nr::SETRESGID, 1000, 1000, 1000),
            sys!(nr::SETRESUID, 1000, 1000, 1000),
        ];
        if let Some(Err(e)) = setup.iter().find(|r| r.is_err()) {
            return format!("setup {}", errno_name(*e));
        }
        let same = outcome(sys!(nr::CHOWN, c.as_ptr(), 1000, 1000));
        let give_away = outcome(sys!(nr::CHOWN, c.as_ptr(), 2000, -1i64));
        let other_group = outcome(sys!(nr::CHOWN, c.as_ptr(), -1i64, 2000));
        format!("to itself {same}, give away {give_away}, other group {other_group}")
    });
    scratch::remove(&p);
    text
}
