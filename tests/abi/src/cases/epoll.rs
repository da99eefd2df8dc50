//! epoll: create flags, epoll_ctl errors, level/edge-triggered and one-shot reporting, hang-ups, closing,
//! nesting and loops, blocking waits, pwait/pwait2 arguments, timerfd and eventfd through epoll.

use super::eventfd;
use crate::child::{self, close, pipe};
use crate::registry::Case;
use crate::sys::{errno_name, nr, outcome, value, Errno, BAD_PTR, KERNEL_PTR};

pub const CASES: &[Case] = &[
    Case::new("epoll.create_flags", create_flags),
    Case::new("epoll.ctl_errors", ctl_errors),
    Case::new("epoll.ctl_exclusive", ctl_exclusive),
    Case::new("epoll.level_triggered", level_triggered),
    Case::new("epoll.edge_triggered", edge_triggered),
    Case::new("epoll.oneshot", oneshot),
    Case::new("epoll.hangup_always_reported", hangup),
    Case::new("epoll.write_end_err", write_end_err),
    Case::new("epoll.close_removes", close_removes),
    Case::new("epoll.dup_keeps", dup_keeps),
    Case::new("epoll.nested", nested),
    Case::new("epoll.loop_eloop", loop_eloop),
    Case::new("epoll.blocking_wait_woken", blocking_wait),
    Case::new("epoll.wait_args", wait_args),
    Case::new("epoll.pwait_args", pwait_args),
    Case::new("epoll.pwait2_timeout", pwait2_timeout),
    Case::new("epoll.maxevents_partial", maxevents_partial),
    Case::new("epoll.eventfd_out", eventfd_out),
    Case::new("epoll.timerfd", timerfd),
    Case::new("epoll.poll_epoll_fd", poll_epoll_fd),
];

const EPOLLIN: u32 = 1;
const EPOLLOUT: u32 = 4;
const EPOLLERR: u32 = 8;
const EPOLLHUP: u32 = 0x10;
const EPOLLEXCLUSIVE: u32 = 1 << 28;
const EPOLLONESHOT: u32 = 1 << 30;
const EPOLLET: u32 = 1 << 31;
const ADD: i32 = 1;
const DEL: i32 = 2;
const MOD: i32 = 3;

pub fn create() -> i32 {
    sys!(nr::EPOLL_CREATE1, 0).map_or(-1, |fd| fd as i32)
}

#[repr(C, packed)]
#[derive(Clone, Copy, Default)]
struct Event {
    events: u32,
    data: u64,
}

pub fn ctl(ep: i32, op: i32, fd: i32, events: u32, data: u64) -> Result<usize, Errno> {
    let ev = Event { events, data };
    sys!(nr::EPOLL_CTL, ep, op, fd, &ev as *const Event)
}

/// epoll_wait with `timeout` ms; "n[ev:data,...]".
pub fn wait(ep: i32, max: usize, timeout: i32) -> String {
    let mut evs = vec![Event::default(); max.max(1)];
    match sys!(nr::EPOLL_WAIT, ep, evs.as_mut_ptr(), max, timeout) {
        Ok(n) => {
            let list: Vec<String> = evs[..n]
                .iter()
                .map(|e| {
                    let (ev, data) = (e.events, e.data);
                    format!("{ev:#x}:{data}")
                })
                .collect();
            format!("{n}[{}]", list.join(","))
        }
        Err(e) => errno_name(e),
    }
}

fn create_flags() -> String {
    let cloexec =
        sys!(nr::EPOLL_CREATE1, libc::O_CLOEXEC).and_then(|fd| sys!(nr::FCNTL, fd, libc::F_GETFD));
    format!(
        "create0={} create1={} bad_flags={} cloexec={}",
        outcome(sys!(nr::EPOLL_CREATE, 0)),
        outcome(sys!(nr::EPOLL_CREATE, 1)),
        outcome(sys!(nr::EPOLL_CREATE1, 1)),
        value(cloexec)
    )
}

fn ctl_errors() -> String {
    let ep = create();
    let (r, _w) = pipe();
    let add = outcome(ctl(ep, ADD, r, EPOLLIN, 0));
    let again = outcome(ctl(ep, ADD, r, EPOLLIN, 0));
    let (r2, _w2) = pipe();
    let mod_missing = outcome(ctl(ep, MOD, r2, EPOLLIN, 0));
    let del_missing = outcome(ctl(ep, DEL, r2, 0, 0));
    let itself = outcome(ctl(ep, ADD, ep, EPOLLIN, 0));
    let not_epoll = outcome(ctl(r2, ADD, r, EPOLLIN, 0));
    let bad_fd = outcome(ctl(ep, ADD, 999, EPOLLIN, 0));
    let bad_ep = outcome(ctl(999, ADD, r, EPOLLIN, 0));
    let bad_op = outcome(ctl(ep, 7, r2, EPOLLIN, 0));
    let efault = outcome(sys!(nr::EPOLL_CTL, ep, ADD, r2, BAD_PTR));
    let del_null = outcome(sys!(nr::EPOLL_CTL, ep, DEL, r, 0));
    let file = crate::scratch::create("epoll-regular", b"x", 0o600);
    let regular = match file {
        Ok(p) => {
            let fd = crate::scratch::open(&p, libc::O_RDONLY, 0).unwrap_or(-1);
            let r = outcome(ctl(ep, ADD, fd, EPOLLIN, 0));
            crate::scratch::remove(&p);
            r
        }
        Err(e) => errno_name(e),
    };
    let null = crate::scratch::open("/dev/null", libc::O_RDONLY, 0).unwrap_or(-1);
    let devnull = outcome(ctl(ep, ADD, null, EPOLLIN, 0));
    format!(
        "add={add} again={again} mod_missing={mod_missing} del_missing={del_missing} self={itself} \
         not_epoll={not_epoll} bad_fd={bad_fd} bad_ep={bad_ep} bad_op={bad_op} efault={efault} \
         del_null_event={del_null} regular={regular} devnull={devnull}"
    )
}

fn ctl_exclusive() -> String {
    let ep = create();
    let inner = create();
    let (r, _w) = pipe();
    let (r2, _w2) = pipe();
    format!(
        "add={} mod_it={} mod_flag={} with_oneshot={} on_epoll={}",
        outcome(ctl(ep, ADD, r, EPOLLIN | EPOLLEXCLUSIVE, 0)),
        outcome(ctl(ep, MOD, r, EPOLLIN, 0)),
        outcome(ctl(ep, MOD, r, EPOLLIN | EPOLLEXCLUSIVE, 0)),
        outcome(ctl(ep, ADD, r2, EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT, 0)),
        outcome(ctl(ep, ADD, inner, EPOLLIN | EPOLLEXCLUSIVE, 0)),
    )
}

fn level_triggered() -> String {
    let ep = create();
    let (r, w) = pipe();
    let _ = ctl(ep, ADD, r, EPOLLIN, 7);
    let empty = wait(ep, 4, 0);
    child::write_byte(w, b'x');
    let first = wait(ep, 4, 0);
    let second = wait(ep, 4, 0);
    let _ = child::read_byte(r);
    let drained = wait(ep, 4, 0);
    format!("empty={empty} first={first} second={second} drained={drained}")
}

fn edge_triggered() -> String {
    let ep = create();
    let (r, w) = pipe();
    let _ = ctl(ep, ADD, r, EPOLLIN | EPOLLET, 1);
    child::write_byte(w, b'x');
    let first = wait(ep, 4, 0);
    let second = wait(ep, 4, 0);
    child::write_byte(w, b'y');
    let after_write = wait(ep, 4, 0);
    let _ = ctl(ep, MOD, r, EPOLLIN | EPOLLET, 2);
    let after_mod = wait(ep, 4, 0);
    format!("first={first} second={second} after_write={after_write} after_mod={after_mod}")
}

fn oneshot() -> String {
    let ep = create();
    let (r, w) = pipe();
    let _ = ctl(ep, ADD, r, EPOLLIN | EPOLLONESHOT, 3);
    child::write_byte(w, b'x');
    let first = wait(ep, 4, 0);
    child::write_byte(w, b'y');
    let disabled = wait(ep, 4, 0);
    let rearm = outcome(ctl(ep, MOD, r, EPOLLIN | EPOLLONESHOT, 4));
    let rearmed = wait(ep, 4, 0);
    format!("first={first} disabled={disabled} rearm={rearm} rearmed={rearmed}")
}

fn hangup() -> String {
    let ep = create();
    let (r, w) = pipe();
    let _ = ctl(ep, ADD, r, 0, 5);
    let before = wait(ep, 4, 0);
    close(w);
    format!("before={before} after_close={}", wait(ep, 4, 0))
}

fn write_end_err() -> String {
    let ep = create();
    let (r, w) = pipe();
    let _ = ctl(ep, ADD, w, EPOLLOUT, 6);
    let open = wait(ep, 4, 0);
    close(r);
    format!("open={open} reader_closed={}", wait(ep, 4, 0))
}

fn close_removes() -> String {
    let ep = create();
    let (_r, w) = pipe();
    let _ = ctl(ep, ADD, w, EPOLLOUT, 8);
    let open = wait(ep, 4, 0);
    close(w);
    format!("open={open} after_close={}", wait(ep, 4, 0))
}

fn dup_keeps() -> String {
    let ep = create();
    let (r, w) = pipe();
    let _ = ctl(ep, ADD, r, EPOLLIN, 10);
    let d = sys!(nr::DUP, r).map_or(-1, |d| d as i32);
    close(r);
    child::write_byte(w, b'x');
    let still = wait(ep, 4, 0);
    let del = outcome(ctl(ep, DEL, d, 0, 0));
    format!("still={still} del_by_dup={del}")
}

fn nested() -> String {
    let outer = create();
    let inner = create();
    let (r, w) = pipe();
    let _ = ctl(inner, ADD, r, EPOLLIN, 11);
    let add = outcome(ctl(outer, ADD, inner, EPOLLIN, 12));
    let idle = wait(outer, 4, 0);
    child::write_byte(w, b'x');
    let outer_sees = wait(outer, 4, 0);
    let inner_sees = wait(inner, 4, 0);
    format!("add={add} idle={idle} outer={outer_sees} inner={inner_sees}")
}

fn loop_eloop() -> String {
    let a = create();
    let b = create();
    let first = outcome(ctl(a, ADD, b, EPOLLIN, 0));
    let back = outcome(ctl(b, ADD, a, EPOLLIN, 0));
    format!("a_watches_b={first} b_watches_a={back}")
}

fn blocking_wait() -> String {
    let ep = create();
    let (r, w) = pipe();
    let _ = ctl(ep, ADD, r, EPOLLIN, 13);
    let writer = child::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(30));
        child::write_byte(w, b'x');
        0
    });
    let got = wait(ep, 4, -1);
    if let Ok(pid) = writer {
        let _ = child::wait4(pid, 0);
    }
    got
}

fn wait_args() -> String {
    let ep = create();
    let (r, _w) = pipe();
    let mut evs = [Event::default(); 2];
    let zero = outcome(sys!(nr::EPOLL_WAIT, ep, evs.as_mut_ptr(), 0, 0));
    let neg = outcome(sys!(nr::EPOLL_WAIT, ep, evs.as_mut_ptr(), -1i32, 0));
    let kernel = outcome(sys!(nr::EPOLL_WAIT, ep, KERNEL_PTR, 1, 0));
    let bad_fd = outcome(sys!(nr::EPOLL_WAIT, 999, evs.as_mut_ptr(), 1, 0));
    let not_epoll = outcome(sys!(nr::EPOLL_WAIT, r, evs.as_mut_ptr(), 1, 0));
    let nothing_ready_bad_ptr = value(sys!(nr::EPOLL_WAIT, ep, BAD_PTR, 1, 0));
    let _ = ctl(ep, ADD, _w, EPOLLOUT, 0);
    let ready_bad_ptr = outcome(sys!(nr::EPOLL_WAIT, ep, BAD_PTR, 1, 0));
    format!(
        "zero={zero} neg={neg} kernel={kernel} bad_fd={bad_fd} not_epoll={not_epoll} \
         idle_bad_ptr={nothing_ready_bad_ptr} ready_bad_ptr={ready_bad_ptr}"
    )
}

fn pwait_args() -> String {
    let ep = create();
    let mut evs = [Event::default(); 2];
    let mask: u64 = 0;
    format!(
        "size4={} null_mask_size4={} mask_efault={} ok={}",
        outcome(sys!(
            nr::EPOLL_PWAIT,
            ep,
            evs.as_mut_ptr(),
            2,
            0,
            &mask as *const u64,
            4
        )),
        value(sys!(nr::EPOLL_PWAIT, ep, evs.as_mut_ptr(), 2, 0, 0, 4)),
        outcome(sys!(
            nr::EPOLL_PWAIT,
            ep,
            evs.as_mut_ptr(),
            2,
            0,
            BAD_PTR,
            8
        )),
        value(sys!(
            nr::EPOLL_PWAIT,
            ep,
            evs.as_mut_ptr(),
            2,
            0,
            &mask as *const u64,
            8
        )),
    )
}

fn pwait2_timeout() -> String {
    let ep = create();
    let mut evs = [Event::default(); 2];
    let ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 10_000_000,
    };
    let bad = libc::timespec {
        tv_sec: 0,
        tv_nsec: 1_000_000_000,
    };
    format!(
        "timeout={} bad_ts={} ts_efault={}",
        value(sys!(
            nr::EPOLL_PWAIT2,
            ep,
            evs.as_mut_ptr(),
            2,
            &ts as *const libc::timespec,
            0,
            8
        )),
        outcome(sys!(
            nr::EPOLL_PWAIT2,
            ep,
            evs.as_mut_ptr(),
            2,
            &bad as *const libc::timespec,
            0,
            8
        )),
        outcome(sys!(
            nr::EPOLL_PWAIT2,
            ep,
            evs.as_mut_ptr(),
            2,
            BAD_PTR,
            0,
            8
        )),
    )
}

fn maxevents_partial() -> String {
    let ep = create();
    let mut ends = Vec::new();
    for i in 0..3u64 {
        let (r, w) = pipe();
        child::write_byte(w, b'x');
        let _ = ctl(ep, ADD, r, EPOLLIN, i);
        ends.push((r, w));
    }
    format!("first={} rest={}", wait(ep, 2, 0), wait(ep, 4, 0))
}

fn eventfd_out() -> String {
    let ep = create();
    let Ok(efd) = eventfd::make(0, libc::O_NONBLOCK) else {
        return "eventfd2 failed".into();
    };
    let _ = ctl(ep, ADD, efd, EPOLLIN | EPOLLOUT | EPOLLET, 20);
    let first = wait(ep, 4, 0);
    let quiet = wait(ep, 4, 0);
    let _ = eventfd::write_u64(efd, 2);
    let after_write = wait(ep, 4, 0);
    format!("first={first} quiet={quiet} after_write={after_write}")
}

fn timerfd() -> String {
    let ep = create();
    let Ok(tfd) = sys!(nr::TIMERFD_CREATE, libc::CLOCK_MONOTONIC, libc::O_NONBLOCK) else {
        return "timerfd_create failed".into();
    };
    let spec = libc::itimerspec {
        it_interval: libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        },
        it_value: libc::timespec {
            tv_sec: 0,
            tv_nsec: 20_000_000,
        },
    };
    let _ = ctl(ep, ADD, tfd as i32, EPOLLIN, 21);
    let idle = wait(ep, 4, 0);
    let _ = sys!(
        nr::TIMERFD_SETTIME,
        tfd,
        0,
        &spec as *const libc::itimerspec,
        0
    );
    let fired = wait(ep, 4, -1);
    let mut b = [0u8; 8];
    let n = sys!(nr::READ, tfd, b.as_mut_ptr(), 8);
    format!(
        "idle={idle} fired={fired} read={}:{} after_read={}",
        value(n),
        u64::from_le_bytes(b),
        wait(ep, 4, 0)
    )
}

fn poll_epoll_fd() -> String {
    let ep = create();
    let (r, w) = pipe();
    let _ = ctl(ep, ADD, r, EPOLLIN, 0);
    let idle = eventfd::poll_one(ep, libc::POLLIN | libc::POLLOUT);
    child::write_byte(w, b'x');
    let ready = eventfd::poll_one(ep, libc::POLLIN | libc::POLLOUT);
    let _ = (EPOLLERR, EPOLLHUP);
    format!("idle={idle} ready={ready}")
}
