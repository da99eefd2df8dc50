//! eventfd2: the counter, semaphore mode, buffer sizes, overflow, flags, readiness and blocking reads.

use crate::child::{self, close};
use crate::registry::Case;
use crate::sys::{errno_name, nr, outcome, value, Errno};

pub const CASES: &[Case] = &[
    Case::new("eventfd.counter", counter),
    Case::new("eventfd.semaphore", semaphore),
    Case::new("eventfd.short_buffers_einval", short_buffers),
    Case::new("eventfd.overflow", overflow),
    Case::new("eventfd.bad_flags_einval", bad_flags),
    Case::new("eventfd.cloexec_nonblock", cloexec_nonblock),
    Case::new("eventfd.poll", poll_readiness),
    Case::new("eventfd.blocking_read_woken", blocking_read),
    Case::new("eventfd.fstat", fstat),
];

const EFD_SEMAPHORE: i32 = 1;

pub fn make(init: u32, flags: i32) -> Result<i32, Errno> {
    sys!(nr::EVENTFD2, init, flags).map(|fd| fd as i32)
}

pub fn read_u64(fd: i32) -> String {
    let mut b = [0u8; 8];
    match sys!(nr::READ, fd, b.as_mut_ptr(), 8) {
        Ok(n) => format!("{n}:{}", u64::from_le_bytes(b)),
        Err(e) => errno_name(e),
    }
}

pub fn write_u64(fd: i32, v: u64) -> Result<usize, Errno> {
    let b = v.to_le_bytes();
    sys!(nr::WRITE, fd, b.as_ptr(), 8)
}

fn counter() -> String {
    let Ok(fd) = make(3, libc::O_NONBLOCK) else {
        return "eventfd2 failed".into();
    };
    let w = value(write_u64(fd, 4));
    format!("write={w} read={} again={}", read_u64(fd), read_u64(fd))
}

fn semaphore() -> String {
    let Ok(fd) = make(2, EFD_SEMAPHORE | libc::O_NONBLOCK) else {
        return "eventfd2 failed".into();
    };
    format!("{} {} {}", read_u64(fd), read_u64(fd), read_u64(fd))
}

fn short_buffers() -> String {
    let Ok(fd) = make(1, 0) else {
        return "eventfd2 failed".into();
    };
    let mut b = [0u8; 16];
    let r4 = outcome(sys!(nr::READ, fd, b.as_mut_ptr(), 4));
    let w4 = outcome(sys!(nr::WRITE, fd, b.as_ptr(), 4));
    // Longer buffers move 8 bytes.
    let r16 = value(sys!(nr::READ, fd, b.as_mut_ptr(), 16));
    b[..8].copy_from_slice(&5u64.to_le_bytes());
    let w16 = value(sys!(nr::WRITE, fd, b.as_ptr(), 16));
    format!("read4={r4} write4={w4} read16={r16} write16={w16}")
}

fn overflow() -> String {
    let Ok(fd) = make(0, libc::O_NONBLOCK) else {
        return "eventfd2 failed".into();
    };
    let max = outcome(write_u64(fd, u64::MAX));
    let fill = outcome(write_u64(fd, u64::MAX - 1));
    let more = outcome(write_u64(fd, 1));
    let zero = outcome(write_u64(fd, 0));
    format!(
        "max={max} fill={fill} one_more={more} zero={zero} read={}",
        read_u64(fd)
    )
}

fn bad_flags() -> String {
    format!(
        "{} {}",
        outcome(make(0, 0x10).map(|f| f as usize)),
        outcome(make(0, libc::O_RDWR).map(|f| f as usize))
    )
}

fn cloexec_nonblock() -> String {
    let Ok(fd) = make(0, libc::O_CLOEXEC | libc::O_NONBLOCK) else {
        return "eventfd2 failed".into();
    };
    format!(
        "fd_flags={} fl_nonblock={} read={}",
        value(sys!(nr::FCNTL, fd, libc::F_GETFD)),
        sys!(nr::FCNTL, fd, libc::F_GETFL).map_or(false, |f| f as i32 & libc::O_NONBLOCK != 0),
        read_u64(fd)
    )
}

pub fn poll_one(fd: i32, events: i16) -> String {
    let mut p = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    match sys!(nr::POLL, &mut p as *mut libc::pollfd, 1, 0) {
        Ok(n) => format!("{n}/{:#x}", p.revents),
        Err(e) => errno_name(e),
    }
}

fn poll_readiness() -> String {
    let Ok(fd) = make(0, libc::O_NONBLOCK) else {
        return "eventfd2 failed".into();
    };
    let ev = libc::POLLIN | libc::POLLOUT;
    let empty = poll_one(fd, ev);
    let _ = write_u64(fd, 1);
    let one = poll_one(fd, ev);
    let _ = write_u64(fd, u64::MAX - 2);
    let full = poll_one(fd, ev);
    format!("empty={empty} one={one} full={full}")
}

fn blocking_read() -> String {
    let Ok(fd) = make(0, 0) else {
        return "eventfd2 failed".into();
    };
    let writer = child::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(30));
        let _ = write_u64(fd, 42);
        0
    });
    let got = read_u64(fd);
    if let Ok(pid) = writer {
        let _ = child::wait4(pid, 0);
    }
    close(fd);
    got
}

fn fstat() -> String {
    let Ok(fd) = make(0, 0) else {
        return "eventfd2 failed".into();
    };
    // SAFETY: plain data.
    let mut st: libc::stat = unsafe { core::mem::zeroed() };
    match sys!(nr::FSTAT, fd, &mut st as *mut libc::stat) {
        Ok(_) => format!("mode={:o}", st.st_mode),
        Err(e) => errno_name(e),
    }
}
