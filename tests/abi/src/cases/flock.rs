//! flock (shared/exclusive, non-blocking conflicts, conversion, per open file description, released on close)
//! and the flushing calls: fsync, fdatasync, sync, syncfs, readahead.

use crate::child::{self, close, pipe};
use crate::registry::Case;
use crate::scratch;
use crate::sys::{nr, outcome};

pub const CASES: &[Case] = &[
    Case::new("flock.shared_and_exclusive", shared_and_exclusive),
    Case::new("flock.per_open_description", per_description),
    Case::new("flock.released_on_close", released_on_close),
    Case::new("flock.conversion", conversion),
    Case::new("flock.blocking_waits_for_unlock", blocking),
    Case::new("flock.errors", flock_errors),
    Case::new("fsync.kinds", fsync_kinds),
    Case::new("readahead.kinds", readahead_kinds),
];

const LOCK_SH: i32 = 1;
const LOCK_EX: i32 = 2;
const LOCK_NB: i32 = 4;
const LOCK_UN: i32 = 8;

fn fl(fd: i32, op: i32) -> String {
    outcome(sys!(nr::FLOCK, fd, op))
}

fn two_opens(name: &str) -> (String, i32, i32) {
    let p = scratch::create(name, b"data", 0o600).unwrap_or_default();
    let a = scratch::open(&p, libc::O_RDWR, 0).unwrap_or(-1);
    let b = scratch::open(&p, libc::O_RDWR, 0).unwrap_or(-1);
    (p, a, b)
}

fn shared_and_exclusive() -> String {
    let (p, a, b) = two_opens("flock-se");
    let r = format!(
        "a_sh={} b_sh={} b_ex={} a_un={} b_un={} b_ex_now={} a_sh_blocked={}",
        fl(a, LOCK_SH),
        fl(b, LOCK_SH | LOCK_NB),
        fl(b, LOCK_EX | LOCK_NB),
        fl(a, LOCK_UN),
        fl(b, LOCK_UN),
        fl(b, LOCK_EX | LOCK_NB),
        fl(a, LOCK_SH | LOCK_NB),
    );
    scratch::remove(&p);
    r
}

fn per_description() -> String {
    let (p, a, b) = two_opens("flock-ofd");
    let d = sys!(nr::DUP, a).map_or(-1, |d| d as i32);
    let r = format!(
        "a_ex={} dup_ex={} other_ex={} forked_child={}",
        fl(a, LOCK_EX),
        fl(d, LOCK_EX | LOCK_NB),
        fl(b, LOCK_EX | LOCK_NB),
        child::run(move || if sys!(nr::FLOCK, a, LOCK_EX | LOCK_NB).is_ok() {
            0
        } else {
            1
        }),
    );
    scratch::remove(&p);
    r
}

fn released_on_close() -> String {
    let (p, a, b) = two_opens("flock-close");
    let d = sys!(nr::DUP, a).map_or(-1, |d| d as i32);
    let _ = fl(a, LOCK_EX);
    close(a);
    let still = fl(b, LOCK_EX | LOCK_NB);
    close(d);
    let free = fl(b, LOCK_EX | LOCK_NB);
    scratch::remove(&p);
    format!("after_one_close={still} after_last_close={free}")
}

fn conversion() -> String {
    let (p, a, b) = two_opens("flock-conv");
    let r = format!(
        "a_sh={} b_sh={} a_up={} then_b_up={} then_a_sh={}",
        fl(a, LOCK_SH),
        fl(b, LOCK_SH),
        fl(a, LOCK_EX | LOCK_NB),
        fl(b, LOCK_EX | LOCK_NB),
        fl(a, LOCK_SH | LOCK_NB),
    );
    scratch::remove(&p);
    r
}

fn blocking() -> String {
    let (p, a, b) = two_opens("flock-block");
    let _ = fl(a, LOCK_EX);
    let (r, w) = pipe();
    let holder = child::spawn(move || {
        close(r);
        std::thread::sleep(std::time::Duration::from_millis(30));
        child::write_byte(w, b'u');
        let _ = sys!(nr::FLOCK, a, LOCK_UN);
        0
    });
    close(w);
    close(a);
    let got = fl(b, LOCK_EX);
    let order = child::read_byte(r).map_or("none".to_string(), |c| (c as char).to_string());
    if let Ok(pid) = holder {
        let _ = child::wait4(pid, 0);
    }
    scratch::remove(&p);
    format!("lock={got} holder_had_said={order}")
}

fn flock_errors() -> String {
    let (pr, _pw) = pipe();
    let (p, a, _b) = two_opens("flock-err");
    let opath = scratch::open(&p, libc::O_PATH, 0).unwrap_or(-1);
    let r = format!(
        "bad_fd={} bad_op={} zero={} both={} pipe={} o_path={}",
        fl(999, LOCK_EX),
        fl(a, 16),
        fl(a, 0),
        fl(a, LOCK_SH | LOCK_EX),
        fl(pr, LOCK_EX | LOCK_NB),
        fl(opath, LOCK_EX),
    );
    scratch::remove(&p);
    r
}

fn fsync_kinds() -> String {
    let (pr, _pw) = pipe();
    let p = scratch::create("fsync", b"x", 0o600).unwrap_or_default();
    let ro = scratch::open(&p, libc::O_RDONLY, 0).unwrap_or(-1);
    let dir = scratch::open(".", libc::O_RDONLY | libc::O_DIRECTORY, 0).unwrap_or(-1);
    let efd = sys!(nr::EVENTFD2, 0, 0).map_or(-1, |f| f as i32);
    let opath = scratch::open(&p, libc::O_PATH, 0).unwrap_or(-1);
    let r = format!(
        "file={} fdatasync={} dir={} pipe={} eventfd={} bad={} o_path={} sync={} syncfs={} syncfs_pipe={} syncfs_bad={}",
        outcome(sys!(nr::FSYNC, ro)),
        outcome(sys!(nr::FDATASYNC, ro)),
        outcome(sys!(nr::FSYNC, dir)),
        outcome(sys!(nr::FSYNC, pr)),
        outcome(sys!(nr::FSYNC, efd)),
        outcome(sys!(nr::FSYNC, 999)),
        outcome(sys!(nr::FSYNC, opath)),
        outcome(sys!(nr::SYNC)),
        outcome(sys!(nr::SYNCFS, ro)),
        outcome(sys!(nr::SYNCFS, pr)),
        outcome(sys!(nr::SYNCFS, 999)),
    );
    scratch::remove(&p);
    r
}

fn readahead_kinds() -> String {
    let (pr, _pw) = pipe();
    let p = scratch::create("readahead", b"some data", 0o600).unwrap_or_default();
    let ro = scratch::open(&p, libc::O_RDONLY, 0).unwrap_or(-1);
    let wo = scratch::open(&p, libc::O_WRONLY, 0).unwrap_or(-1);
    let dir = scratch::open(".", libc::O_RDONLY | libc::O_DIRECTORY, 0).unwrap_or(-1);
    let r = format!(
        "file={} write_only={} dir={} pipe={} bad={}",
        outcome(sys!(nr::READAHEAD, ro, 0, 4096)),
        outcome(sys!(nr::READAHEAD, wo, 0, 4096)),
        outcome(sys!(nr::READAHEAD, dir, 0, 4096)),
        outcome(sys!(nr::READAHEAD, pr, 0, 4096)),
        outcome(sys!(nr::READAHEAD, 999, 0, 4096)),
    );
    scratch::remove(&p);
    r
}
