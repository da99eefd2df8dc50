//! select, pselect6, poll and ppoll: readiness of pipe ends, bad descriptors, argument errors, and the timeout
//! written back on return.

use crate::child::{self, close, pipe};
use crate::registry::Case;
use crate::sys::{nr, outcome, value, BAD_PTR};

pub const CASES: &[Case] = &[
    Case::new("select.ready_sets", ready_sets),
    Case::new("select.ebadf", ebadf),
    Case::new("select.arg_errors", arg_errors),
    Case::new("select.timeout_written_back", select_timeout),
    Case::new("select.blocking_woken", select_blocking),
    Case::new("pselect6.timeout_written_back", pselect_timeout),
    Case::new("pselect6.sigmask_args", pselect_sigmask),
    Case::new("poll.pipe_ends", poll_pipe_ends),
    Case::new("poll.nval_and_negative", poll_nval),
    Case::new("poll.blocking_woken", poll_blocking),
    Case::new("ppoll.timeout_written_back", ppoll_timeout),
];

fn set(fds: &[i32]) -> [u64; 16] {
    let mut s = [0u64; 16];
    for &fd in fds {
        s[fd as usize / 64] |= 1 << (fd % 64);
    }
    s
}

fn members(s: &[u64; 16], below: i32) -> Vec<i32> {
    (0..below)
        .filter(|&fd| s[fd as usize / 64] & (1 << (fd % 64)) != 0)
        .collect()
}

fn ready_sets() -> String {
    let (r, w) = pipe();
    let (r2, _w2) = pipe();
    child::write_byte(w, b'x');
    let mut rs = set(&[r, r2]);
    let mut ws = set(&[w, r]);
    let mut es = set(&[r]);
    let mut tv = libc::timeval {
        tv_sec: 0,
        tv_usec: 0,
    };
    let n = sys!(
        nr::SELECT,
        64,
        rs.as_mut_ptr(),
        ws.as_mut_ptr(),
        es.as_mut_ptr(),
        &mut tv as *mut libc::timeval
    );
    let name = |fd: i32| {
        if fd == r {
            "r"
        } else if fd == w {
            "w"
        } else if fd == r2 {
            "r2"
        } else {
            "?"
        }
    };
    let show = |s: &[u64; 16]| {
        members(s, 64)
            .into_iter()
            .map(name)
            .collect::<Vec<_>>()
            .join("+")
    };
    format!(
        "n={} read={} write={} except={}",
        value(n),
        show(&rs),
        show(&ws),
        show(&es)
    )
}

fn ebadf() -> String {
    let (r, _w) = pipe();
    let mut rs = set(&[r, 40]);
    let mut tv = libc::timeval {
        tv_sec: 0,
        tv_usec: 0,
    };
    let bad = outcome(sys!(
        nr::SELECT,
        64,
        rs.as_mut_ptr(),
        0,
        0,
        &mut tv as *mut libc::timeval
    ));
    // Beyond n, the bit is not looked at.
    let mut rs = set(&[r, 40]);
    let below = value(sys!(
        nr::SELECT,
        40,
        rs.as_mut_ptr(),
        0,
        0,
        &mut tv as *mut libc::timeval
    ));
    format!("closed_fd={bad} n_below_it={below}")
}

fn arg_errors() -> String {
    let (r, _w) = pipe();
    let mut rs = set(&[r]);
    let mut bad_tv = libc::timeval {
        tv_sec: 0,
        tv_usec: 1_000_000,
    };
    let mut neg_tv = libc::timeval {
        tv_sec: -1,
        tv_usec: 0,
    };
    let mut neg_usec = libc::timeval {
        tv_sec: 1,
        tv_usec: -1,
    };
    let mut tv = libc::timeval {
        tv_sec: 0,
        tv_usec: 0,
    };
    format!(
        "negative_n={} usec_1e6={} negative_sec={} negative_usec={} set_efault={} tv_efault={} nothing={}",
        outcome(sys!(nr::SELECT, -1i32, rs.as_mut_ptr(), 0, 0, &mut tv as *mut libc::timeval)),
        outcome(sys!(nr::SELECT, 64, rs.as_mut_ptr(), 0, 0, &mut bad_tv as *mut libc::timeval)),
        outcome(sys!(nr::SELECT, 64, rs.as_mut_ptr(), 0, 0, &mut neg_tv as *mut libc::timeval)),
        outcome(sys!(nr::SELECT, 64, rs.as_mut_ptr(), 0, 0, &mut neg_usec as *mut libc::timeval)),
        outcome(sys!(nr::SELECT, 64, BAD_PTR, 0, 0, &mut tv as *mut libc::timeval)),
        outcome(sys!(nr::SELECT, 64, rs.as_mut_ptr(), 0, 0, BAD_PTR)),
        value(sys!(nr::SELECT, 0, 0, 0, 0, &mut tv as *mut libc::timeval)),
    )
}

fn select_timeout() -> String {
    let (r, _w) = pipe();
    let mut rs = set(&[r]);
    let mut tv = libc::timeval {
        tv_sec: 0,
        tv_usec: 20_000,
    };
    let n = value(sys!(
        nr::SELECT,
        64,
        rs.as_mut_ptr(),
        0,
        0,
        &mut tv as *mut libc::timeval
    ));
    let mut rs2 = set(&[r]);
    let mut long = libc::timeval {
        tv_sec: 5,
        tv_usec: 0,
    };
    child::write_byte(_w, b'x');
    let m = value(sys!(
        nr::SELECT,
        64,
        rs2.as_mut_ptr(),
        0,
        0,
        &mut long as *mut libc::timeval
    ));
    let left = long.tv_sec * 1_000_000 + long.tv_usec;
    format!(
        "timed_out={n} left={}.{} cleared={} ready={m} left_some={}",
        tv.tv_sec,
        tv.tv_usec,
        members(&rs, 64).is_empty(),
        left > 0 && left <= 5_000_000
    )
}

fn select_blocking() -> String {
    let (r, w) = pipe();
    let writer = child::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(30));
        child::write_byte(w, b'x');
        0
    });
    let mut rs = set(&[r]);
    let n = value(sys!(nr::SELECT, 64, rs.as_mut_ptr(), 0, 0, 0));
    if let Ok(pid) = writer {
        let _ = child::wait4(pid, 0);
    }
    format!("n={n} set={}", members(&rs, 64) == [r])
}

fn pselect_timeout() -> String {
    let (r, _w) = pipe();
    let mut rs = set(&[r]);
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 20_000_000,
    };
    let n = value(sys!(
        nr::PSELECT6,
        64,
        rs.as_mut_ptr(),
        0,
        0,
        &mut ts as *mut libc::timespec,
        0
    ));
    let mut bad = libc::timespec {
        tv_sec: 0,
        tv_nsec: 1_000_000_000,
    };
    let e = outcome(sys!(
        nr::PSELECT6,
        64,
        rs.as_mut_ptr(),
        0,
        0,
        &mut bad as *mut libc::timespec,
        0
    ));
    format!("timed_out={n} left={}.{} bad_ts={e}", ts.tv_sec, ts.tv_nsec)
}

fn pselect_sigmask() -> String {
    let (r, _w) = pipe();
    let mut rs = set(&[r]);
    let mask: u64 = 0;
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    let size4: [u64; 2] = [&mask as *const u64 as u64, 4];
    let null_mask: [u64; 2] = [0, 4];
    let ok: [u64; 2] = [&mask as *const u64 as u64, 8];
    let bad_mask: [u64; 2] = [BAD_PTR as u64, 8];
    let run = |sig: usize| {
        let mut rs = rs;
        let mut ts = ts;
        outcome(sys!(
            nr::PSELECT6,
            64,
            rs.as_mut_ptr(),
            0,
            0,
            &mut ts as *mut libc::timespec,
            sig
        ))
    };
    let r1 = run(size4.as_ptr() as usize);
    let r2 = run(null_mask.as_ptr() as usize);
    let r3 = run(ok.as_ptr() as usize);
    let r4 = run(bad_mask.as_ptr() as usize);
    let r5 = run(BAD_PTR);
    let _ = (&mut rs, &mut ts);
    format!("size4={r1} null_mask={r2} ok={r3} mask_efault={r4} struct_efault={r5}")
}

fn poll1(fd: i32, events: i16) -> String {
    super::eventfd::poll_one(fd, events)
}

fn poll_pipe_ends() -> String {
    let (r, w) = pipe();
    let both = libc::POLLIN | libc::POLLOUT;
    let empty_r = poll1(r, both);
    let empty_w = poll1(w, both);
    child::write_byte(w, b'x');
    let data_r = poll1(r, both);
    close(w);
    let hup_r = poll1(r, both);
    let (r2, w2) = pipe();
    close(r2);
    let err_w = poll1(w2, both);
    let err_unasked = poll1(w2, 0);
    format!(
        "empty_r={empty_r} empty_w={empty_w} data_r={data_r} hup_r={hup_r} err_w={err_w} \
         err_unasked={err_unasked}"
    )
}

fn poll_nval() -> String {
    let mut fds = [
        libc::pollfd {
            fd: 999,
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd: -1,
            events: libc::POLLIN,
            revents: 7,
        },
    ];
    let n = sys!(nr::POLL, fds.as_mut_ptr(), 2, 0);
    let (bad, negative) = (fds[0].revents, fds[1].revents);
    let too_many = outcome(sys!(nr::POLL, fds.as_mut_ptr(), 1 << 30, 0));
    format!(
        "n={} bad={bad:#x} negative={negative:#x} efault={} too_many={too_many}",
        value(n),
        outcome(sys!(nr::POLL, BAD_PTR, 1, 0)),
    )
}

fn poll_blocking() -> String {
    let (r, w) = pipe();
    let writer = child::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(30));
        child::write_byte(w, b'x');
        0
    });
    let mut p = libc::pollfd {
        fd: r,
        events: libc::POLLIN,
        revents: 0,
    };
    let n = sys!(nr::POLL, &mut p as *mut libc::pollfd, 1, -1i32);
    if let Ok(pid) = writer {
        let _ = child::wait4(pid, 0);
    }
    format!("n={} revents={:#x}", value(n), p.revents)
}

fn ppoll_timeout() -> String {
    let (r, _w) = pipe();
    let mut p = libc::pollfd {
        fd: r,
        events: libc::POLLIN,
        revents: 0,
    };
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 20_000_000,
    };
    let n = value(sys!(
        nr::PPOLL,
        &mut p as *mut libc::pollfd,
        1,
        &mut ts as *mut libc::timespec,
        0,
        8
    ));
    let mut zero = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    let z = value(sys!(
        nr::PPOLL,
        &mut p as *mut libc::pollfd,
        1,
        &mut zero as *mut libc::timespec,
        0,
        8
    ));
    let mask: u64 = 0;
    let size4 = outcome(sys!(
        nr::PPOLL,
        &mut p as *mut libc::pollfd,
        1,
        &mut zero as *mut libc::timespec,
        &mask as *const u64,
        4
    ));
    format!(
        "timed_out={n} left={}.{} zero={z} size4={size4}",
        ts.tv_sec, ts.tv_nsec
    )
}
