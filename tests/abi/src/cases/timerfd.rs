//! timerfd: create arguments, one-shot and periodic expirations, gettime, absolute times, settime errors.

use crate::registry::Case;
use crate::sys::{errno_name, nr, outcome, value, Errno, BAD_PTR};

pub const CASES: &[Case] = &[
    Case::new("timerfd.create_args", create_args),
    Case::new("timerfd.oneshot_blocking_read", oneshot_read),
    Case::new("timerfd.unarmed_eagain", unarmed),
    Case::new("timerfd.gettime", gettime),
    Case::new("timerfd.periodic_counts", periodic),
    Case::new("timerfd.abstime_past", abstime_past),
    Case::new("timerfd.settime_errors", settime_errors),
    Case::new("timerfd.old_value", old_value),
    Case::new("timerfd.short_read_einval", short_read),
    Case::new("timerfd.realtime_clock", realtime_clock),
];

const TFD_TIMER_ABSTIME: i32 = 1;

fn make(clock: i32, flags: i32) -> Result<i32, Errno> {
    create(clock, flags).map(|fd| fd as i32)
}

fn create(clock: i32, flags: i32) -> Result<usize, Errno> {
    sys!(nr::TIMERFD_CREATE, clock, flags)
}

fn spec(value_ns: i64, interval_ns: i64) -> libc::itimerspec {
    libc::itimerspec {
        it_interval: libc::timespec {
            tv_sec: interval_ns / 1_000_000_000,
            tv_nsec: interval_ns % 1_000_000_000,
        },
        it_value: libc::timespec {
            tv_sec: value_ns / 1_000_000_000,
            tv_nsec: value_ns % 1_000_000_000,
        },
    }
}

fn set(fd: i32, flags: i32, s: &libc::itimerspec) -> Result<usize, Errno> {
    sys!(
        nr::TIMERFD_SETTIME,
        fd,
        flags,
        s as *const libc::itimerspec,
        0
    )
}

fn read_count(fd: i32) -> Result<u64, Errno> {
    let mut b = [0u8; 8];
    sys!(nr::READ, fd, b.as_mut_ptr(), 8).map(|_| u64::from_le_bytes(b))
}

fn create_args() -> String {
    let cloexec = make(libc::CLOCK_MONOTONIC, libc::O_CLOEXEC)
        .and_then(|fd| sys!(nr::FCNTL, fd, libc::F_GETFD));
    format!(
        "bad_clock={} cputime_clock={} bad_flags={} boottime={} realtime={} cloexec={}",
        outcome(create(99, 0)),
        outcome(create(libc::CLOCK_PROCESS_CPUTIME_ID, 0)),
        outcome(create(libc::CLOCK_MONOTONIC, 1)),
        outcome(create(libc::CLOCK_BOOTTIME, 0)),
        outcome(create(libc::CLOCK_REALTIME, 0)),
        value(cloexec)
    )
}

fn oneshot_read() -> String {
    let Ok(fd) = make(libc::CLOCK_MONOTONIC, 0) else {
        return "timerfd_create failed".into();
    };
    let s = outcome(set(fd, 0, &spec(10_000_000, 0)));
    let n = read_count(fd).map_or_else(errno_name, |n| n.to_string());
    let mut cur = spec(0, 0);
    let _ = sys!(nr::TIMERFD_GETTIME, fd, &mut cur as *mut libc::itimerspec);
    let _ = sys!(nr::FCNTL, fd, libc::F_SETFL, libc::O_NONBLOCK);
    let again = read_count(fd).map_or_else(errno_name, |n| n.to_string());
    format!(
        "set={s} read={n} after={}.{}/{}.{} again={again}",
        cur.it_value.tv_sec, cur.it_value.tv_nsec, cur.it_interval.tv_sec, cur.it_interval.tv_nsec
    )
}

fn unarmed() -> String {
    let Ok(fd) = make(libc::CLOCK_MONOTONIC, libc::O_NONBLOCK) else {
        return "timerfd_create failed".into();
    };
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let polled = sys!(nr::POLL, &mut p as *mut libc::pollfd, 1, 0);
    format!(
        "read={} poll={} write={}",
        read_count(fd).map_or_else(errno_name, |n| n.to_string()),
        value(polled),
        outcome(sys!(nr::WRITE, fd, [0u8; 8].as_ptr(), 8))
    )
}

fn gettime() -> String {
    let Ok(fd) = make(libc::CLOCK_MONOTONIC, 0) else {
        return "timerfd_create failed".into();
    };
    let _ = set(fd, 0, &spec(10_000_000_000, 1_500_000_000));
    let mut cur = spec(0, 0);
    let r = outcome(sys!(
        nr::TIMERFD_GETTIME,
        fd,
        &mut cur as *mut libc::itimerspec
    ));
    let left = cur.it_value.tv_sec * 1_000_000_000 + cur.it_value.tv_nsec;
    let (isec, insec) = (cur.it_interval.tv_sec, cur.it_interval.tv_nsec);
    let efault = outcome(sys!(nr::TIMERFD_GETTIME, fd, BAD_PTR));
    let not_timer = outcome(sys!(
        nr::TIMERFD_GETTIME,
        0,
        &mut cur as *mut libc::itimerspec
    ));
    format!(
        "{r} interval={isec}.{insec} left_in_range={} efault={efault} not_timer={not_timer}",
        left > 9_000_000_000 && left <= 10_000_000_000,
    )
}

fn periodic() -> String {
    let Ok(fd) = make(libc::CLOCK_MONOTONIC, 0) else {
        return "timerfd_create failed".into();
    };
    let _ = set(fd, 0, &spec(5_000_000, 5_000_000));
    std::thread::sleep(std::time::Duration::from_millis(30));
    let n = read_count(fd);
    let next = read_count(fd);
    format!(
        "several={} next_one={}",
        n.is_ok_and(|n| n >= 2),
        next.map_or_else(errno_name, |n| (n >= 1).to_string())
    )
}

fn abstime_past() -> String {
    let Ok(fd) = make(libc::CLOCK_MONOTONIC, libc::O_NONBLOCK) else {
        return "timerfd_create failed".into();
    };
    let s = outcome(set(fd, TFD_TIMER_ABSTIME, &spec(1, 0)));
    format!(
        "set={s} read={}",
        read_count(fd).map_or_else(errno_name, |n| n.to_string())
    )
}

fn settime_errors() -> String {
    let Ok(fd) = make(libc::CLOCK_MONOTONIC, 0) else {
        return "timerfd_create failed".into();
    };
    let mut bad = spec(0, 0);
    bad.it_value.tv_nsec = 1_000_000_000;
    let mut neg = spec(0, 0);
    neg.it_interval.tv_sec = -1;
    let ok = spec(1_000_000_000, 0);
    let efd = sys!(nr::EVENTFD2, 0, 0).map_or(-1, |f| f as i32);
    format!(
        "nsec={} negative={} flags={} efault={} bad_fd={} not_timer={} old_efault={}",
        outcome(set(fd, 0, &bad)),
        outcome(set(fd, 0, &neg)),
        outcome(set(fd, 8, &ok)),
        outcome(sys!(nr::TIMERFD_SETTIME, fd, 0, BAD_PTR, 0)),
        outcome(set(999, 0, &ok)),
        outcome(set(efd, 0, &ok)),
        outcome(sys!(
            nr::TIMERFD_SETTIME,
            fd,
            0,
            &ok as *const libc::itimerspec,
            BAD_PTR
        )),
    )
}

fn old_value() -> String {
    let Ok(fd) = make(libc::CLOCK_MONOTONIC, 0) else {
        return "timerfd_create failed".into();
    };
    let _ = set(fd, 0, &spec(20_000_000_000, 3_000_000_000));
    let mut old = spec(0, 0);
    let r = sys!(
        nr::TIMERFD_SETTIME,
        fd,
        0,
        &spec(0, 0) as *const libc::itimerspec,
        &mut old as *mut libc::itimerspec
    );
    let mut cur = spec(1, 1);
    let _ = sys!(nr::TIMERFD_GETTIME, fd, &mut cur as *mut libc::itimerspec);
    format!(
        "{} old_interval={} old_left_positive={} now={}.{}/{}.{}",
        outcome(r),
        old.it_interval.tv_sec,
        old.it_value.tv_sec > 0,
        cur.it_value.tv_sec,
        cur.it_value.tv_nsec,
        cur.it_interval.tv_sec,
        cur.it_interval.tv_nsec
    )
}

fn short_read() -> String {
    let Ok(fd) = make(libc::CLOCK_MONOTONIC, libc::O_NONBLOCK) else {
        return "timerfd_create failed".into();
    };
    let mut b = [0u8; 4];
    outcome(sys!(nr::READ, fd, b.as_mut_ptr(), 4))
}

fn realtime_clock() -> String {
    let Ok(fd) = make(libc::CLOCK_REALTIME, 0) else {
        return "timerfd_create failed".into();
    };
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    let _ = sys!(
        nr::CLOCK_GETTIME,
        libc::CLOCK_REALTIME,
        &mut now as *mut libc::timespec
    );
    let at = now.tv_sec * 1_000_000_000 + now.tv_nsec + 10_000_000;
    let s = outcome(set(fd, TFD_TIMER_ABSTIME, &spec(at, 0)));
    format!(
        "set={s} read={}",
        read_count(fd).map_or_else(errno_name, |n| n.to_string())
    )
}
