//! fcntl record locks: F_GETLK/F_SETLK/F_SETLKW between processes, splitting, release on any close, OFD locks,
//! argument errors, waiting, and EDEADLK for a simple cycle.

use crate::child::{self, close};
use crate::registry::Case;
use crate::scratch;
use crate::sys::{errno_name, getpid, nr, outcome, Errno, BAD_PTR};

pub const CASES: &[Case] = &[
    Case::new("reclock.other_process_sees_lock", other_process),
    Case::new("reclock.own_locks_never_conflict", own_locks),
    Case::new("reclock.unlock_splits", unlock_splits),
    Case::new("reclock.released_on_any_close", released_on_any_close),
    Case::new("reclock.ofd_locks", ofd_locks),
    Case::new("reclock.errors", errors),
    Case::new("reclock.setlkw_waits", setlkw_waits),
    Case::new("reclock.deadlock_edeadlk", deadlock),
];

const F_GETLK: i32 = 5;
const F_SETLK: i32 = 6;
const F_SETLKW: i32 = 7;
const F_OFD_GETLK: i32 = 36;
const F_OFD_SETLK: i32 = 37;
const RD: i16 = 0;
const WR: i16 = 1;
const UN: i16 = 2;

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct Flock {
    l_type: i16,
    l_whence: i16,
    l_start: i64,
    l_len: i64,
    l_pid: i32,
}

fn lk(fd: i32, cmd: i32, l_type: i16, start: i64, len: i64) -> Result<usize, Errno> {
    let l = Flock {
        l_type,
        l_whence: 0,
        l_start: start,
        l_len: len,
        l_pid: 0,
    };
    sys!(nr::FCNTL, fd, cmd, &l as *const Flock)
}

/// F_GETLK-style query: "UNLCK" or "WR 0+10 pid=parent".
fn query(fd: i32, cmd: i32, l_type: i16, start: i64, len: i64, parent: usize) -> String {
    let mut l = Flock {
        l_type,
        l_whence: 0,
        l_start: start,
        l_len: len,
        l_pid: 0,
    };
    match sys!(nr::FCNTL, fd, cmd, &mut l as *mut Flock) {
        Ok(_) => match l.l_type {
            UN => "UNLCK".into(),
            t => {
                let who = if l.l_pid as usize == parent {
                    "parent".to_string()
                } else if l.l_pid == -1 {
                    "-1".to_string()
                } else {
                    "other".to_string()
                };
                format!(
                    "{} {}+{} pid={who}",
                    if t == WR { "WR" } else { "RD" },
                    l.l_start,
                    l.l_len
                )
            }
        },
        Err(e) => errno_name(e),
    }
}

fn file(name: &str) -> (String, i32) {
    let p = scratch::create(name, &[0u8; 256], 0o600).unwrap_or_default();
    let fd = scratch::open(&p, libc::O_RDWR, 0).unwrap_or(-1);
    (p, fd)
}

fn other_process() -> String {
    let (p, fd) = file("lk-other");
    let set = outcome(lk(fd, F_SETLK, WR, 0, 10));
    let parent = getpid();
    let seen = child::ask(move || {
        format!(
            "getlk={} setlk={} elsewhere={} read_lock_inside={}",
            query(fd, F_GETLK, WR, 5, 1, parent),
            outcome(lk(fd, F_SETLK, WR, 0, 1)),
            outcome(lk(fd, F_SETLK, WR, 20, 5)),
            outcome(lk(fd, F_SETLK, RD, 9, 1)),
        )
    });
    scratch::remove(&p);
    format!("set={set} child: {seen}")
}

fn own_locks() -> String {
    let (p, fd) = file("lk-own");
    let _ = lk(fd, F_SETLK, WR, 0, 0);
    let r = format!(
        "getlk={} relock_read={}",
        query(fd, F_GETLK, WR, 0, 10, 0),
        outcome(lk(fd, F_SETLK, RD, 5, 5))
    );
    scratch::remove(&p);
    r
}

fn unlock_splits() -> String {
    let (p, fd) = file("lk-split");
    let _ = lk(fd, F_SETLK, WR, 0, 100);
    let _ = lk(fd, F_SETLK, UN, 40, 20);
    let parent = getpid();
    let seen = child::ask(move || {
        format!(
            "at50={} at30={} at70={} past_end={}",
            query(fd, F_GETLK, RD, 50, 1, parent),
            query(fd, F_GETLK, RD, 30, 1, parent),
            query(fd, F_GETLK, RD, 70, 1, parent),
            query(fd, F_GETLK, RD, 100, 0, parent),
        )
    });
    scratch::remove(&p);
    seen
}

fn released_on_any_close() -> String {
    let (p, fd) = file("lk-close");
    let _ = lk(fd, F_SETLK, WR, 0, 0);
    let other = scratch::open(&p, libc::O_RDONLY, 0).unwrap_or(-1);
    let parent = getpid();
    let before = child::ask(move || query(fd, F_GETLK, WR, 0, 1, parent));
    close(other);
    let after = child::ask(move || query(fd, F_GETLK, WR, 0, 1, parent));
    scratch::remove(&p);
    format!("before={before} after_closing_another_fd={after}")
}

fn ofd_locks() -> String {
    let (p, a) = file("lk-ofd");
    let b = scratch::open(&p, libc::O_RDWR, 0).unwrap_or(-1);
    let set = outcome(lk(a, F_OFD_SETLK, WR, 0, 10));
    let c = scratch::open(&p, libc::O_RDONLY, 0).unwrap_or(-1);
    close(c);
    let r = format!(
        "set={set} ofd_other_description={} posix_same_process={} ofd_setlk_other={} same_description={}",
        query(b, F_OFD_GETLK, WR, 0, 1, 0),
        query(b, F_GETLK, WR, 0, 1, 0),
        outcome(lk(b, F_OFD_SETLK, RD, 0, 1)),
        query(a, F_OFD_GETLK, WR, 0, 1, 0),
    );
    scratch::remove(&p);
    r
}

fn errors() -> String {
    let (p, fd) = file("lk-err");
    let ro = scratch::open(&p, libc::O_RDONLY, 0).unwrap_or(-1);
    let wo = scratch::open(&p, libc::O_WRONLY, 0).unwrap_or(-1);
    let bad_whence = {
        let l = Flock {
            l_type: WR,
            l_whence: 7,
            ..Flock::default()
        };
        outcome(sys!(nr::FCNTL, fd, F_SETLK, &l as *const Flock))
    };
    let pid_set = {
        let l = Flock {
            l_type: WR,
            l_pid: 5,
            ..Flock::default()
        };
        outcome(sys!(nr::FCNTL, fd, F_OFD_SETLK, &l as *const Flock))
    };
    let r = format!(
        "whence={bad_whence} negative={} back_past_zero={} overflow={} type={} rd_on_wronly={} wr_on_rdonly={} \
         getlk_unlck={} ofd_pid={pid_set} efault={} bad_fd={}",
        outcome(lk(fd, F_SETLK, WR, -1, 1)),
        outcome(lk(fd, F_SETLK, WR, 2, -5)),
        outcome(lk(fd, F_SETLK, WR, i64::MAX, 2)),
        outcome(lk(fd, F_SETLK, 9, 0, 1)),
        outcome(lk(wo, F_SETLK, RD, 0, 1)),
        outcome(lk(ro, F_SETLK, WR, 0, 1)),
        outcome(lk(fd, F_GETLK, UN, 0, 1)),
        outcome(sys!(nr::FCNTL, fd, F_SETLK, BAD_PTR)),
        outcome(lk(999, F_SETLK, WR, 0, 1)),
    );
    scratch::remove(&p);
    r
}

fn setlkw_waits() -> String {
    let (p, fd) = file("lk-wait");
    let _ = lk(fd, F_SETLK, WR, 0, 0);
    let (r, w) = child::pipe();
    let waiter = child::spawn(move || {
        close(r);
        let got = lk(fd, F_SETLKW, WR, 0, 1).is_ok();
        child::write_byte(w, if got { b'y' } else { b'n' });
        0
    });
    close(w);
    std::thread::sleep(std::time::Duration::from_millis(50));
    let _ = lk(fd, F_SETLK, UN, 0, 0);
    let got = child::read_byte(r).map_or("none".to_string(), |c| (c as char).to_string());
    if let Ok(pid) = waiter {
        let _ = child::wait4(pid, 0);
    }
    scratch::remove(&p);
    format!("child_got_lock={got}")
}

fn deadlock() -> String {
    let (p, fd) = file("lk-deadlock");
    let _ = lk(fd, F_SETLK, WR, 0, 1);
    let (ready_r, ready_w) = child::pipe();
    let (done_r, done_w) = child::pipe();
    let other = child::spawn(move || {
        close(ready_r);
        close(done_r);
        let _ = lk(fd, F_SETLK, WR, 1, 1);
        child::write_byte(ready_w, b'r');
        // Blocks on the parent's lock until the parent gives up.
        let got = lk(fd, F_SETLKW, WR, 0, 1).is_ok();
        child::write_byte(done_w, if got { b'y' } else { b'n' });
        0
    });
    close(ready_w);
    close(done_w);
    let _ = child::read_byte(ready_r);
    std::thread::sleep(std::time::Duration::from_millis(100));
    let cycle = outcome(lk(fd, F_SETLKW, WR, 1, 1));
    let _ = lk(fd, F_SETLK, UN, 0, 1);
    let child_got =
        child::read_byte(done_r).map_or("none".to_string(), |c| (c as char).to_string());
    if let Ok(pid) = other {
        let _ = child::wait4(pid, 0);
    }
    scratch::remove(&p);
    format!("parent={cycle} child_got_lock={child_got}")
}
