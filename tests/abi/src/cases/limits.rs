//! Resource limits: getrlimit/setrlimit/prlimit64 and their errors, and limits being enforced.

use crate::child::{ask, close};
use crate::registry::Case;
use crate::sys::{errno_name, nr, outcome, value, BAD_PTR, NO_SUCH_PID};
use crate::{scratch, sig};

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case::new("rlimit.getrlimit_nofile", getrlimit_nofile),
    Case::new("rlimit.soft_above_hard_einval", soft_above_hard),
    Case::new("rlimit.bad_resource_einval", bad_resource),
    Case::new("rlimit.getrlimit_efault", getrlimit_efault),
    Case::new("rlimit.prlimit_roundtrip", prlimit_roundtrip),
    Case::new("rlimit.prlimit_esrch", prlimit_esrch),
    Case::new("rlimit.prlimit_bad_resource_einval", prlimit_bad_resource),
    Case::new("rlimit.nofile_above_nr_open_eperm", nofile_above_nr_open),
    Case::new(
        "rlimit.raise_hard_unprivileged_eperm",
        raise_hard_unprivileged,
    ),
    Case::new("rlimit.inherited_by_child", inherited_by_child),
    Case::new("rlimit.nofile_enforced", nofile_enforced),
    Case::new("rlimit.as_enforced", as_enforced),
    Case::new("rlimit.fsize_enforced", fsize_enforced),
    Case::new("rlimit.fsize_truncate", fsize_truncate),
    Case::new("rlimit.fsize_signal_only_past_limit", fsize_signal),
    Case::new("rlimit.prlimit_other_process", prlimit_other_process),
    Case::new("rlimit.nofile_lowered_keeps_open_fds", nofile_lowered),
];

type Rlimit = [u64; 2];

fn get(resource: usize) -> Result<Rlimit, crate::sys::Errno> {
    let mut r: Rlimit = [0; 2];
    sys!(nr::GETRLIMIT, resource, r.as_mut_ptr())?;
    Ok(r)
}

fn set(resource: usize, soft: u64, hard: u64) -> Result<usize, crate::sys::Errno> {
    let r: Rlimit = [soft, hard];
    sys!(nr::SETRLIMIT, resource, r.as_ptr())
}

const NOFILE: usize = libc::RLIMIT_NOFILE as usize;

fn getrlimit_nofile() -> String {
    match get(NOFILE) {
        Ok([soft, hard]) => format!("soft<=hard={}", crate::sys::yes(soft <= hard)),
        Err(e) => errno_name(e),
    }
}

fn soft_above_hard() -> String {
    outcome(set(NOFILE, 10, 5))
}

fn bad_resource() -> String {
    outcome(get(100).map(|_| 0))
}

fn getrlimit_efault() -> String {
    outcome(sys!(nr::GETRLIMIT, NOFILE, BAD_PTR))
}

fn prlimit_roundtrip() -> String {
    let new: Rlimit = [100, 200];
    let mut old: Rlimit = [0; 2];
    let r = outcome(sys!(
        nr::PRLIMIT64,
        0,
        NOFILE,
        new.as_ptr(),
        old.as_mut_ptr()
    ));
    let mut cur: Rlimit = [0; 2];
    let q = outcome(sys!(nr::PRLIMIT64, 0, NOFILE, 0, cur.as_mut_ptr()));
    format!("set={r} get={q} now={} {}", cur[0], cur[1])
}

fn prlimit_esrch() -> String {
    let mut cur: Rlimit = [0; 2];
    outcome(sys!(
        nr::PRLIMIT64,
        NO_SUCH_PID,
        NOFILE,
        0,
        cur.as_mut_ptr()
    ))
}

fn prlimit_bad_resource() -> String {
    let mut cur: Rlimit = [0; 2];
    outcome(sys!(nr::PRLIMIT64, 0, 100, 0, cur.as_mut_ptr()))
}

fn nofile_above_nr_open() -> String {
    // Above fs.nr_open (1 << 20 by default) even root is refused.
    outcome(set(NOFILE, 1 << 30, 1 << 30))
}

fn raise_hard_unprivileged() -> String {
    ask(|| {
        let lower = outcome(set(NOFILE, 100, 100));
        let drop = outcome(sys!(nr::SETRESUID, 1000, 1000, 1000));
        let raise = outcome(set(NOFILE, 100, 200));
        let lower_again = outcome(set(NOFILE, 50, 90));
        format!("lower={lower} drop uid={drop} raise hard={raise} lower again={lower_again}")
    })
}

fn inherited_by_child() -> String {
    let _ = set(NOFILE, 64, 128);
    ask(|| match get(NOFILE) {
        Ok([soft, hard]) => format!("child sees {soft} {hard}"),
        Err(e) => errno_name(e),
    })
}

fn nofile_enforced() -> String {
    let _ = set(NOFILE, 8, 8);
    let mut opened = Vec::new();
    let err = loop {
        match sys!(nr::DUP, 0) {
            Ok(fd) => opened.push(fd),
            Err(e) => break errno_name(e),
        }
        if opened.len() > 16 {
            break "no limit".to_string();
        }
    };
    let all_below = opened.iter().all(|&fd| fd < 8);
    let dup2 = outcome(sys!(nr::DUP2, 0, 8));
    let dupfd = outcome(sys!(nr::FCNTL, 0, libc::F_DUPFD, 8));
    format!(
        "dup until {err} all fds<8={} dup2 to 8={dup2} F_DUPFD 8={dupfd}",
        crate::sys::yes(all_below)
    )
}

fn as_enforced() -> String {
    let limit = 512 << 20;
    let r = outcome(set(libc::RLIMIT_AS as usize, limit, limit));
    let big = crate::sys::map_anon(1 << 30);
    let small = crate::sys::map_anon(1 << 20);
    format!(
        "set={r} map 1GiB={} map 1MiB={}",
        outcome(big),
        outcome(small)
    )
}

fn fsize_enforced() -> String {
    sig::disposition(libc::SIGXFSZ, libc::SIG_IGN);
    let p = scratch::path("fsize");
    scratch::remove(&p);
    let fd = match scratch::open(&p, libc::O_CREAT | libc::O_WRONLY | libc::O_TRUNC, 0o644) {
        Ok(fd) => fd,
        Err(e) => return format!("create {}", errno_name(e)),
    };
    let _ = set(libc::RLIMIT_FSIZE as usize, 10, u64::MAX);
    let data = [b'x'; 20];
    let first = value(sys!(nr::WRITE, fd, data.as_ptr(), 20));
    let second = value(sys!(nr::WRITE, fd, data.as_ptr(), 20));
    close(fd);
    scratch::remove(&p);
    format!("first write={first} second={second}")
}

fn fsize_truncate() -> String {
    sig::disposition(libc::SIGXFSZ, libc::SIG_IGN);
    let p = scratch::path("fsize");
    scratch::remove(&p);
    let fd = match scratch::open(&p, libc::O_CREAT | libc::O_RDWR | libc::O_TRUNC, 0o644) {
        Ok(fd) => fd,
        Err(e) => return format!("create {}", errno_name(e)),
    };
    let _ = set(libc::RLIMIT_FSIZE as usize, 10, u64::MAX);
    let grow = outcome(sys!(nr::FTRUNCATE, fd, 100));
    let within = outcome(sys!(nr::FTRUNCATE, fd, 10));
    let data = [b'x'; 20];
    let _ = set(libc::RLIMIT_FSIZE as usize, u64::MAX, u64::MAX);
    let _ = sys!(nr::PWRITE64, fd, data.as_ptr(), 20, 0);
    let _ = set(libc::RLIMIT_FSIZE as usize, 10, u64::MAX);
    let shrink = outcome(sys!(nr::FTRUNCATE, fd, 15));
    close(fd);
    scratch::remove(&p);
    format!("grow past={grow} grow to limit={within} shrink above limit={shrink}")
}

fn prlimit_other_process() -> String {
    let (pid, w) = crate::child::blocked_child(0);
    if pid < 0 {
        return "fork failed".to_string();
    }
    let new: Rlimit = [50, 60];
    let mut old: Rlimit = [0; 2];
    let r = outcome(sys!(
        nr::PRLIMIT64,
        pid,
        NOFILE,
        new.as_ptr(),
        old.as_mut_ptr()
    ));
    let mut cur: Rlimit = [0; 2];
    let q = outcome(sys!(nr::PRLIMIT64, pid, NOFILE, 0, cur.as_mut_ptr()));
    let mine = get(NOFILE).map(|[soft, hard]| soft == 50 && hard == 60);
    close(w);
    let _ = crate::child::wait_text(pid);
    format!(
        "set={r} get={q} child now={} {} caller changed={}",
        cur[0],
        cur[1],
        crate::sys::yes(mine == Ok(true))
    )
}

fn nofile_lowered() -> String {
    // Descriptors above a lowered limit stay usable; new ones must fit below it.
    let high = match sys!(nr::FCNTL, 0, libc::F_DUPFD, 20) {
        Ok(fd) => fd,
        Err(e) => return errno_name(e),
    };
    let _ = set(NOFILE, 10, 10);
    let still = outcome(sys!(nr::FCNTL, high, libc::F_GETFD));
    let dup = sys!(nr::DUP, high).map(|fd| fd < 10);
    format!(
        "old fd usable={still} dup below limit={}",
        match dup {
            Ok(b) => crate::sys::yes(b).to_string(),
            Err(e) => errno_name(e),
        }
    )
}

fn fsize_signal() -> String {
    // A write crossing the limit is shortened without a signal, even when it is larger than any kernel buffer;
    // only one starting at the limit raises SIGXFSZ (once per call) and fails.
    if let Err(e) = sig::record_on(libc::SIGXFSZ, 0) {
        return errno_name(e);
    }
    let p = scratch::path("fsize");
    scratch::remove(&p);
    let fd = match scratch::open(&p, libc::O_CREAT | libc::O_WRONLY | libc::O_TRUNC, 0o644) {
        Ok(fd) => fd,
        Err(e) => return format!("create {}", errno_name(e)),
    };
    let _ = set(libc::RLIMIT_FSIZE as usize, 20000, u64::MAX);
    let data = vec![b'x'; 65536];
    let hits = || sig::HITS[libc::SIGXFSZ as usize].load(std::sync::atomic::Ordering::SeqCst);
    let first = value(sys!(nr::WRITE, fd, data.as_ptr(), data.len()));
    let after_first = hits();
    let iov = [libc::iovec {
        iov_base: data.as_ptr() as *mut libc::c_void,
        iov_len: 10,
    }; 2];
    let second = value(sys!(nr::WRITEV, fd, iov.as_ptr(), 2));
    let after_second = hits();
    close(fd);
    scratch::remove(&p);
    format!("first={first} signals={after_first} at limit writev={second} signals={after_second}")
}
