//! Pipes: pipe/pipe2, flags, end of file, EPIPE, capacity, partial reads.

use crate::child::{self, close, read_to_end, write_all};
use crate::registry::Case;
use crate::sig;
use crate::sys::{errno_name, nr, outcome, value, BAD_PTR};

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case::new("pipe.roundtrip", roundtrip),
    Case::new("pipe.efault", efault),
    Case::new("pipe.eof_after_writers_close", eof_after_writers_close),
    Case::new("pipe.epipe_without_readers", epipe_without_readers),
    Case::new("pipe.wrong_end_ebadf", wrong_end),
    Case::new("pipe.partial_reads", partial_reads),
    Case::new("pipe.across_fork", across_fork),
    Case::new("pipe.capacity", capacity),
    Case::new("pipe.fionread", fionread),
    Case::new("pipe2.cloexec", pipe2_cloexec),
    Case::new("pipe2.nonblock_empty_eagain", pipe2_nonblock_empty),
    Case::new("pipe2.bad_flags_einval", pipe2_bad_flags),
];

/// A pipe made with `flags`.
fn make(flags: i32) -> Result<(i32, i32), crate::sys::Errno> {
    let mut fds = [-1i32; 2];
    sys!(nr::PIPE2, fds.as_mut_ptr(), flags)?;
    Ok((fds[0], fds[1]))
}

fn read_n(fd: i32, n: usize) -> String {
    let mut buf = vec![0u8; n];
    match sys!(nr::READ, fd, buf.as_mut_ptr(), n) {
        Ok(got) => format!("{got} {:?}", String::from_utf8_lossy(&buf[..got])),
        Err(e) => errno_name(e),
    }
}

fn roundtrip() -> String {
    let mut fds = [-1i32; 2];
    if let Err(e) = sys!(nr::PIPE, fds.as_mut_ptr()) {
        return errno_name(e);
    }
    let w = value(sys!(nr::WRITE, fds[1], b"ping".as_ptr(), 4));
    format!("write={w} read={}", read_n(fds[0], 16))
}

fn efault() -> String {
    format!(
        "pipe={} pipe2={}",
        outcome(sys!(nr::PIPE, BAD_PTR)),
        outcome(sys!(nr::PIPE2, BAD_PTR, 0))
    )
}

fn eof_after_writers_close() -> String {
    let Ok((r, w)) = make(0) else {
        return "pipe failed".to_string();
    };
    let _ = sys!(nr::WRITE, w, b"x".as_ptr(), 1);
    close(w);
    format!("first={} then={}", read_n(r, 16), read_n(r, 16))
}

fn epipe_without_readers() -> String {
    sig::disposition(libc::SIGPIPE, libc::SIG_IGN);
    let Ok((r, w)) = make(0) else {
        return "pipe failed".to_string();
    };
    close(r);
    outcome(sys!(nr::WRITE, w, b"x".as_ptr(), 1))
}

fn wrong_end() -> String {
    let Ok((r, w)) = make(0) else {
        return "pipe failed".to_string();
    };
    let mut b = [0u8; 1];
    format!(
        "read write end={} write read end={}",
        outcome(sys!(nr::READ, w, b.as_mut_ptr(), 1)),
        outcome(sys!(nr::WRITE, r, b.as_ptr(), 1))
    )
}

fn partial_reads() -> String {
    let Ok((r, w)) = make(0) else {
        return "pipe failed".to_string();
    };
    let _ = sys!(nr::WRITE, w, b"0123456789".as_ptr(), 10);
    format!("read 4={} read 100={}", read_n(r, 4), read_n(r, 100))
}

fn across_fork() -> String {
    let Ok((r, w)) = make(libc::O_CLOEXEC) else {
        return "pipe failed".to_string();
    };
    let pid = child::spawn(|| {
        close(r);
        i32::from(write_all(w, b"from child").is_err())
    });
    close(w);
    let data = read_to_end(r);
    let status = pid.map_or_else(errno_name, child::wait_text);
    format!("{:?} child {status}", String::from_utf8_lossy(&data))
}

fn capacity() -> String {
    let Ok((_r, w)) = make(libc::O_NONBLOCK) else {
        return "pipe failed".to_string();
    };
    let chunk = [0u8; 4096];
    let mut total = 0usize;
    let stop = loop {
        match sys!(nr::WRITE, w, chunk.as_ptr(), chunk.len()) {
            Ok(n) => total += n,
            Err(e) => break errno_name(e),
        }
        if total > 16 << 20 {
            break "no limit".to_string();
        }
    };
    let size = value(sys!(nr::FCNTL, w, libc::F_GETPIPE_SZ));
    format!("filled {total} bytes then {stop} F_GETPIPE_SZ={size}")
}

fn fionread() -> String {
    let Ok((r, w)) = make(0) else {
        return "pipe failed".to_string();
    };
    let _ = sys!(nr::WRITE, w, b"12345".as_ptr(), 5);
    let mut n = -1i32;
    let res = outcome(sys!(nr::IOCTL, r, libc::FIONREAD, &mut n as *mut i32));
    format!("{res} available={n}")
}

fn pipe2_cloexec() -> String {
    let Ok((r, w)) = make(libc::O_CLOEXEC) else {
        return "pipe failed".to_string();
    };
    let Ok((r2, w2)) = make(0) else {
        return "pipe failed".to_string();
    };
    let fd_flags = |fd: i32| value(sys!(nr::FCNTL, fd, libc::F_GETFD));
    format!(
        "O_CLOEXEC: {} {} plain: {} {}",
        fd_flags(r),
        fd_flags(w),
        fd_flags(r2),
        fd_flags(w2)
    )
}

fn pipe2_nonblock_empty() -> String {
    let Ok((r, _w)) = make(libc::O_NONBLOCK) else {
        return "pipe failed".to_string();
    };
    let fl = sys!(nr::FCNTL, r, libc::F_GETFL).map(|f| f as i32 & libc::O_NONBLOCK != 0);
    format!(
        "read={} O_NONBLOCK in F_GETFL={}",
        read_n(r, 1),
        fl.map_or_else(errno_name, |b| crate::sys::yes(b).to_string())
    )
}

fn pipe2_bad_flags() -> String {
    let mut fds = [-1i32; 2];
    outcome(sys!(nr::PIPE2, fds.as_mut_ptr(), libc::O_RDWR))
}
