//! Descriptor duplication and flags: dup, dup2, dup3, fcntl.

use crate::child::{close, pipe};
use crate::registry::Case;
use crate::scratch;
use crate::sys::{eq, errno_name, nr, outcome, value};

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case::new("dup.lowest_free", dup_lowest_free),
    Case::new("dup.ebadf", dup_ebadf),
    Case::new("dup.shares_offset", dup_shares_offset),
    Case::new("dup.clears_cloexec", dup_clears_cloexec),
    Case::new("dup2.same_fd", dup2_same_fd),
    Case::new("dup2.same_invalid_fd_ebadf", dup2_same_invalid_fd),
    Case::new("dup2.replaces_open_fd", dup2_replaces_open_fd),
    Case::new("dup2.newfd_too_big_ebadf", dup2_newfd_too_big),
    Case::new("dup3.same_fd_einval", dup3_same_fd),
    Case::new("dup3.bad_flags_einval", dup3_bad_flags),
    Case::new("dup3.cloexec", dup3_cloexec),
    Case::new("fcntl.getfl_access_mode", fcntl_getfl),
    Case::new("fcntl.setfl_append", fcntl_setfl_append),
    Case::new("fcntl.setfd_cloexec", fcntl_setfd),
    Case::new("fcntl.dupfd_minimum", fcntl_dupfd_minimum),
    Case::new("fcntl.dupfd_cloexec", fcntl_dupfd_cloexec),
    Case::new("fcntl.bad_cmd_einval", fcntl_bad_cmd),
    Case::new("fcntl.ebadf", fcntl_ebadf),
];

fn fd_flags(fd: i32) -> String {
    value(sys!(nr::FCNTL, fd, libc::F_GETFD))
}

/// Runs `body` with scratch file `name` opened read-write.
fn with_file(contents: &[u8], body: impl FnOnce(i32) -> String) -> String {
    let p = match scratch::create("dup", contents, 0o644) {
        Ok(p) => p,
        Err(e) => return format!("create {}", errno_name(e)),
    };
    let t = match scratch::open(&p, libc::O_RDWR, 0) {
        Ok(fd) => {
            let t = body(fd);
            close(fd);
            t
        }
        Err(e) => format!("open {}", errno_name(e)),
    };
    scratch::remove(&p);
    t
}

fn dup_lowest_free() -> String {
    let (a, b) = pipe();
    let (c, d) = pipe();
    close(b);
    let n = sys!(nr::DUP, d);
    let t = format!("takes the freed number={}", eq(n, Ok(b as usize)));
    for fd in [a, c, d] {
        close(fd);
    }
    if let Ok(n) = n {
        close(n as i32);
    }
    t
}

fn dup_ebadf() -> String {
    outcome(sys!(nr::DUP, 999))
}

fn dup_shares_offset() -> String {
    with_file(b"0123456789", |fd| {
        let Ok(copy) = sys!(nr::DUP, fd) else {
            return "dup failed".to_string();
        };
        let _ = sys!(nr::LSEEK, fd, 4, libc::SEEK_SET);
        let t = format!(
            "offset seen through copy={}",
            value(sys!(nr::LSEEK, copy, 0, libc::SEEK_CUR))
        );
        close(copy as i32);
        t
    })
}

fn dup_clears_cloexec() -> String {
    let (r, w) = pipe();
    let Ok(copy) = sys!(nr::DUP, r) else {
        return "dup failed".to_string();
    };
    let t = format!("original={} copy={}", fd_flags(r), fd_flags(copy as i32));
    close(r);
    close(w);
    close(copy as i32);
    t
}

fn dup2_same_fd() -> String {
    let (r, w) = pipe();
    let t = format!(
        "returns fd={} flags kept={}",
        eq(sys!(nr::DUP2, r, r), Ok(r as usize)),
        fd_flags(r)
    );
    close(r);
    close(w);
    t
}

fn dup2_same_invalid_fd() -> String {
    outcome(sys!(nr::DUP2, 999, 999))
}

fn dup2_replaces_open_fd() -> String {
    with_file(b"0123456789", |fd| {
        let (r, w) = pipe();
        let res = sys!(nr::DUP2, fd, r);
        let _ = sys!(nr::LSEEK, fd, 7, libc::SEEK_SET);
        // r now names the file, not the pipe, and shares its offset; the cloexec flag is cleared.
        let t = format!(
            "returns newfd={} offset via newfd={} flags={}",
            eq(res, Ok(r as usize)),
            value(sys!(nr::LSEEK, r, 0, libc::SEEK_CUR)),
            fd_flags(r)
        );
        close(r);
        close(w);
        t
    })
}

fn dup2_newfd_too_big() -> String {
    let (r, w) = pipe();
    let t = outcome(sys!(nr::DUP2, r, 1 << 30));
    close(r);
    close(w);
    t
}

fn dup3_same_fd() -> String {
    let (r, w) = pipe();
    let t = outcome(sys!(nr::DUP3, r, r, 0));
    close(r);
    close(w);
    t
}

fn dup3_bad_flags() -> String {
    let (r, w) = pipe();
    let t = outcome(sys!(nr::DUP3, r, 100, libc::O_NONBLOCK));
    close(r);
    close(w);
    t
}

fn dup3_cloexec() -> String {
    let (r, w) = pipe();
    let res = outcome(sys!(nr::DUP3, r, 100, libc::O_CLOEXEC));
    let plain = outcome(sys!(nr::DUP3, r, 101, 0));
    let t = format!(
        "{res} flags={} without O_CLOEXEC: {plain} flags={}",
        fd_flags(100),
        fd_flags(101)
    );
    for fd in [r, w, 100, 101] {
        close(fd);
    }
    t
}

fn fcntl_getfl() -> String {
    let (r, w) = pipe();
    let mode = |fd: i32| {
        sys!(nr::FCNTL, fd, libc::F_GETFL)
            .map_or_else(errno_name, |f| (f as i32 & libc::O_ACCMODE).to_string())
    };
    let t = with_file(b"", |fd| format!("file O_RDWR={}", mode(fd)));
    let out = format!("pipe read end={} write end={} {t}", mode(r), mode(w));
    close(r);
    close(w);
    out
}

fn fcntl_setfl_append() -> String {
    with_file(b"abc", |fd| {
        let set = outcome(sys!(nr::FCNTL, fd, libc::F_SETFL, libc::O_APPEND));
        let has = sys!(nr::FCNTL, fd, libc::F_GETFL).map(|f| f as i32 & libc::O_APPEND != 0);
        let _ = sys!(nr::WRITE, fd, b"Z".as_ptr(), 1);
        let pos = value(sys!(nr::LSEEK, fd, 0, libc::SEEK_CUR));
        format!(
            "set={set} O_APPEND reported={} write landed at end, offset={pos}",
            crate::sys::yes(has.is_ok_and(|b| b))
        )
    })
}

fn fcntl_setfd() -> String {
    let (r, w) = pipe();
    let clear = outcome(sys!(nr::FCNTL, r, libc::F_SETFD, 0));
    let cleared = fd_flags(r);
    let set = outcome(sys!(nr::FCNTL, r, libc::F_SETFD, libc::FD_CLOEXEC));
    let t = format!("clear={clear} now={cleared} set={set} now={}", fd_flags(r));
    close(r);
    close(w);
    t
}

fn fcntl_dupfd_minimum() -> String {
    let (r, w) = pipe();
    let res = sys!(nr::FCNTL, r, libc::F_DUPFD, 200);
    let second = sys!(nr::FCNTL, r, libc::F_DUPFD, 200);
    let t = format!(
        "first={} second={} flags={}",
        value(res),
        value(second),
        fd_flags(200)
    );
    for fd in [r, w, 200, 201] {
        close(fd);
    }
    t
}

fn fcntl_dupfd_cloexec() -> String {
    let (r, w) = pipe();
    let res = sys!(nr::FCNTL, r, libc::F_DUPFD_CLOEXEC, 300);
    let t = format!("{} flags={}", value(res), fd_flags(300));
    for fd in [r, w, 300] {
        close(fd);
    }
    t
}

fn fcntl_bad_cmd() -> String {
    let (r, w) = pipe();
    let t = outcome(sys!(nr::FCNTL, r, 9999));
    close(r);
    close(w);
    t
}

fn fcntl_ebadf() -> String {
    outcome(sys!(nr::FCNTL, 999, libc::F_GETFD))
}
