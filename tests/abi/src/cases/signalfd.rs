//! signalfd4: reading pending blocked signals, flags and errors, updating the mask, readiness.

use crate::registry::Case;
use crate::sig;
use crate::sys::{errno_name, getpid, nr, outcome, value, Errno, BAD_PTR};

pub const CASES: &[Case] = &[
    Case::new("signalfd.read_pending", read_pending),
    Case::new("signalfd.nonblock_eagain", nonblock),
    Case::new("signalfd.errors", errors),
    Case::new("signalfd.update_mask", update_mask),
    Case::new("signalfd.poll", poll_ready),
    Case::new("signalfd.queued_value", queued_value),
    Case::new("signalfd.several_records", several),
];

fn make(fd: i32, sigs: &[i32], flags: i32) -> Result<i32, Errno> {
    let mask = sig::mask_of(sigs);
    sys!(nr::SIGNALFD4, fd, &mask as *const u64, 8, flags).map(|f| f as i32)
}

/// Reads one record: "signo code pid_is_me int".
fn read_one(fd: i32) -> String {
    let mut b = [0u8; 128];
    match sys!(nr::READ, fd, b.as_mut_ptr(), 128) {
        Ok(n) => {
            let w = |at: usize| u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
            format!(
                "{n}:signo={} code={} pid_is_me={} int={}",
                w(0),
                w(8) as i32,
                w(12) as usize == getpid(),
                w(44)
            )
        }
        Err(e) => errno_name(e),
    }
}

fn read_pending() -> String {
    sig::block(&[libc::SIGUSR1]);
    let Ok(fd) = make(-1, &[libc::SIGUSR1], 0) else {
        return "signalfd4 failed".into();
    };
    let _ = sys!(nr::KILL, getpid(), libc::SIGUSR1);
    let got = read_one(fd);
    format!("{got} still_pending={}", sig::pending() != 0)
}

fn nonblock() -> String {
    sig::block(&[libc::SIGUSR1]);
    let Ok(fd) = make(-1, &[libc::SIGUSR1], libc::O_NONBLOCK | libc::O_CLOEXEC) else {
        return "signalfd4 failed".into();
    };
    format!(
        "read={} cloexec={}",
        read_one(fd),
        value(sys!(nr::FCNTL, fd, libc::F_GETFD))
    )
}

fn errors() -> String {
    let mask = sig::mask_of(&[libc::SIGUSR1]);
    let efd = sys!(nr::EVENTFD2, 0, 0).map_or(-1, |f| f as i32);
    let mut small = [0u8; 64];
    let fd = make(-1, &[libc::SIGUSR1], libc::O_NONBLOCK).unwrap_or(-1);
    format!(
        "size4={} flags={} efault={} not_signalfd={} bad_fd={} short_read={} write={}",
        outcome(sys!(nr::SIGNALFD4, -1i32, &mask as *const u64, 4, 0)),
        outcome(sys!(nr::SIGNALFD4, -1i32, &mask as *const u64, 8, 1)),
        outcome(sys!(nr::SIGNALFD4, -1i32, BAD_PTR, 8, 0)),
        outcome(sys!(nr::SIGNALFD4, efd, &mask as *const u64, 8, 0)),
        outcome(sys!(nr::SIGNALFD4, 999, &mask as *const u64, 8, 0)),
        outcome(sys!(nr::READ, fd, small.as_mut_ptr(), 64)),
        outcome(sys!(nr::WRITE, fd, small.as_ptr(), 64)),
    )
}

fn update_mask() -> String {
    sig::block(&[libc::SIGUSR1, libc::SIGUSR2]);
    let Ok(fd) = make(-1, &[libc::SIGUSR1], libc::O_NONBLOCK) else {
        return "signalfd4 failed".into();
    };
    let same = make(fd, &[libc::SIGUSR2], 0).is_ok_and(|f| f == fd);
    let _ = sys!(nr::KILL, getpid(), libc::SIGUSR1);
    let _ = sys!(nr::KILL, getpid(), libc::SIGUSR2);
    format!("same_fd={same} read={} next={}", read_one(fd), read_one(fd))
}

fn poll_ready() -> String {
    sig::block(&[libc::SIGUSR1]);
    let Ok(fd) = make(-1, &[libc::SIGUSR1], libc::O_NONBLOCK) else {
        return "signalfd4 failed".into();
    };
    let idle = super::eventfd::poll_one(fd, libc::POLLIN);
    let _ = sys!(nr::KILL, getpid(), libc::SIGUSR1);
    format!(
        "idle={idle} pending={}",
        super::eventfd::poll_one(fd, libc::POLLIN)
    )
}

fn queued_value() -> String {
    let rt = libc::SIGRTMIN() + 1;
    sig::block(&[rt]);
    let Ok(fd) = make(-1, &[rt], libc::O_NONBLOCK) else {
        return "signalfd4 failed".into();
    };
    // SAFETY: plain data.
    let mut info: libc::siginfo_t = unsafe { core::mem::zeroed() };
    info.si_signo = rt;
    info.si_code = -1; // SI_QUEUE
                       // si_value sits 8 bytes into the union (after pid and uid).
                       // SAFETY: writing within the siginfo_t.
    unsafe {
        let p = (&mut info as *mut libc::siginfo_t as *mut u8).add(24) as *mut i32;
        *p = 77;
        let pid = (&mut info as *mut libc::siginfo_t as *mut u8).add(16) as *mut i32;
        *pid = getpid() as i32;
    }
    let q = outcome(sys!(
        nr::RT_SIGQUEUEINFO,
        getpid(),
        rt,
        &info as *const libc::siginfo_t
    ));
    let got = read_one(fd);
    format!(
        "queue={q} got_rt_plus_one={} read={}",
        got.contains(&format!("signo={rt} ")),
        got
    )
    .replace(&format!("signo={rt} "), "signo=RT1 ")
}

fn several() -> String {
    sig::block(&[libc::SIGUSR1, libc::SIGUSR2]);
    let Ok(fd) = make(-1, &[libc::SIGUSR1, libc::SIGUSR2], libc::O_NONBLOCK) else {
        return "signalfd4 failed".into();
    };
    let _ = sys!(nr::KILL, getpid(), libc::SIGUSR2);
    let _ = sys!(nr::KILL, getpid(), libc::SIGUSR1);
    let mut b = [0u8; 384];
    let n = sys!(nr::READ, fd, b.as_mut_ptr(), 384);
    format!("bytes={} first={} second={}", value(n), b[0], b[128])
}
