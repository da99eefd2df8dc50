//! Clocks, sleeps and timers: nanosleep, clock_nanosleep, clock_gettime/getres/settime, gettimeofday, time,
//! times, getrusage, setitimer/getitimer, alarm, pause. Only relations are printed (ordering, ranges), never times.

use crate::registry::Case;
use crate::sig;
use crate::sys::{self, errno_name, nr, outcome, value, yes, BAD_PTR};

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case::new("time.nanosleep_short", nanosleep_short),
    Case::new("time.nanosleep_zero", nanosleep_zero),
    Case::new("time.nanosleep_nsec_too_big_einval", nanosleep_nsec_too_big),
    Case::new(
        "time.nanosleep_negative_nsec_einval",
        nanosleep_negative_nsec,
    ),
    Case::new("time.nanosleep_negative_sec_einval", nanosleep_negative_sec),
    Case::new("time.nanosleep_efault", nanosleep_efault),
    Case::new("time.nanosleep_eintr_remaining", nanosleep_eintr_remaining),
    Case::new(
        "time.clock_nanosleep_bad_clock_einval",
        clock_nanosleep_bad_clock,
    ),
    Case::new(
        "time.clock_nanosleep_thread_cputime",
        clock_nanosleep_thread_cputime,
    ),
    Case::new(
        "time.clock_nanosleep_abstime_past",
        clock_nanosleep_abstime_past,
    ),
    Case::new(
        "time.clock_nanosleep_bad_nsec_einval",
        clock_nanosleep_bad_nsec,
    ),
    Case::new("time.clock_nanosleep_efault", clock_nanosleep_efault),
    Case::new("time.clock_gettime_clocks", clock_gettime_clocks),
    Case::new(
        "time.clock_gettime_bad_clock_einval",
        clock_gettime_bad_clock,
    ),
    Case::new("time.clock_gettime_efault", clock_gettime_efault),
    Case::new("time.monotonic_nondecreasing", monotonic_nondecreasing),
    Case::new("time.clock_getres", clock_getres),
    Case::new("time.clock_getres_bad_clock_einval", clock_getres_bad_clock),
    Case::new(
        "time.clock_settime_monotonic_einval",
        clock_settime_monotonic,
    ),
    Case::new("time.clock_settime_bad_nsec_einval", clock_settime_bad_nsec),
    Case::new("time.clock_settime_cputime_einval", clock_settime_cputime),
    Case::new("time.clock_settime_efault", clock_settime_efault),
    Case::new("time.settimeofday_bad_usec_einval", settimeofday_bad_usec),
    Case::new("time.settimeofday_bad_tz_einval", settimeofday_bad_tz),
    Case::new("time.gettimeofday", gettimeofday),
    Case::new("time.gettimeofday_efault", gettimeofday_efault),
    Case::new("time.time", time),
    Case::new("time.time_efault", time_efault),
    Case::new("time.times", times),
    Case::new("time.times_efault", times_efault),
    Case::new("time.getrusage", getrusage),
    Case::new("time.getrusage_bad_who_einval", getrusage_bad_who),
    Case::new("time.getrusage_efault", getrusage_efault),
    Case::new(
        "time.cpu_clocks_count_busy_time",
        cpu_clocks_count_busy_time,
    ),
    Case::new(
        "time.getrusage_counts_busy_time",
        getrusage_counts_busy_time,
    ),
    Case::new("time.child_cpu_time_reported", child_cpu_time_reported),
    Case::new("time.setitimer_real_fires", setitimer_real_fires),
    Case::new("time.getitimer_remaining", getitimer_remaining),
    Case::new("time.setitimer_bad_which_einval", setitimer_bad_which),
    Case::new("time.setitimer_bad_usec_einval", setitimer_bad_usec),
    Case::new("time.alarm_returns_remaining", alarm_returns_remaining),
    Case::new("time.pause_alarm_eintr", pause_alarm),
];

type Timespec = [i64; 2];

fn ts(sec: i64, nsec: i64) -> Timespec {
    [sec, nsec]
}

fn now(clock: i32) -> Result<Timespec, sys::Errno> {
    let mut t = ts(0, 0);
    sys!(nr::CLOCK_GETTIME, clock, t.as_mut_ptr())?;
    Ok(t)
}

fn nanos(t: Timespec) -> i128 {
    i128::from(t[0]) * 1_000_000_000 + i128::from(t[1])
}

/// Arms ITIMER_REAL to fire once after `usec` microseconds.
fn itimer_once(usec: i64) -> Result<usize, sys::Errno> {
    let t: [i64; 4] = [0, 0, 0, usec];
    sys!(nr::SETITIMER, libc::ITIMER_REAL, t.as_ptr(), 0)
}

/// Arms ITIMER_REAL to fire every `usec` microseconds: a blocking call is then interrupted even if the first
/// expiry came before it started.
fn itimer_repeating(usec: i64) {
    let t: [i64; 4] = [0, usec, 0, usec];
    let _ = sys!(nr::SETITIMER, libc::ITIMER_REAL, t.as_ptr(), 0);
}

fn itimer_off() {
    let _ = sys!(nr::SETITIMER, libc::ITIMER_REAL, [0i64; 4].as_ptr(), 0);
}

fn nanosleep_short() -> String {
    let t = ts(0, 1_000_000);
    outcome(sys!(nr::NANOSLEEP, t.as_ptr(), 0))
}

fn nanosleep_zero() -> String {
    let t = ts(0, 0);
    outcome(sys!(nr::NANOSLEEP, t.as_ptr(), 0))
}

fn nanosleep_nsec_too_big() -> String {
    let t = ts(0, 1_000_000_000);
    outcome(sys!(nr::NANOSLEEP, t.as_ptr(), 0))
}

fn nanosleep_negative_nsec() -> String {
    let t = ts(0, -1);
    outcome(sys!(nr::NANOSLEEP, t.as_ptr(), 0))
}

fn nanosleep_negative_sec() -> String {
    let t = ts(-1, 0);
    outcome(sys!(nr::NANOSLEEP, t.as_ptr(), 0))
}

fn nanosleep_efault() -> String {
    outcome(sys!(nr::NANOSLEEP, BAD_PTR, 0))
}

fn nanosleep_eintr_remaining() -> String {
    let _ = sig::record_on(libc::SIGALRM, 0);
    itimer_repeating(20_000);
    let req = ts(5, 0);
    let mut rem = ts(-1, -1);
    let r = outcome(sys!(nr::NANOSLEEP, req.as_ptr(), rem.as_mut_ptr()));
    itimer_off();
    let sane = nanos(rem) > 0 && nanos(rem) <= nanos(req) && rem[1] < 1_000_000_000;
    format!("{r} remaining in (0, requested]={}", yes(sane))
}

fn clock_nanosleep_bad_clock() -> String {
    let t = ts(0, 1000);
    outcome(sys!(nr::CLOCK_NANOSLEEP, 100, 0, t.as_ptr(), 0))
}

fn clock_nanosleep_thread_cputime() -> String {
    let t = ts(0, 1000);
    outcome(sys!(
        nr::CLOCK_NANOSLEEP,
        libc::CLOCK_THREAD_CPUTIME_ID,
        0,
        t.as_ptr(),
        0
    ))
}

fn clock_nanosleep_abstime_past() -> String {
    let t = ts(1, 0);
    outcome(sys!(
        nr::CLOCK_NANOSLEEP,
        libc::CLOCK_MONOTONIC,
        libc::TIMER_ABSTIME,
        t.as_ptr(),
        0
    ))
}

fn clock_nanosleep_bad_nsec() -> String {
    let t = ts(0, 1_000_000_000);
    outcome(sys!(
        nr::CLOCK_NANOSLEEP,
        libc::CLOCK_MONOTONIC,
        0,
        t.as_ptr(),
        0
    ))
}

fn clock_nanosleep_efault() -> String {
    outcome(sys!(
        nr::CLOCK_NANOSLEEP,
        libc::CLOCK_MONOTONIC,
        0,
        BAD_PTR,
        0
    ))
}

const CLOCKS: [(&str, i32); 8] = [
    ("REALTIME", libc::CLOCK_REALTIME),
    ("MONOTONIC", libc::CLOCK_MONOTONIC),
    ("PROCESS_CPUTIME", libc::CLOCK_PROCESS_CPUTIME_ID),
    ("THREAD_CPUTIME", libc::CLOCK_THREAD_CPUTIME_ID),
    ("MONOTONIC_RAW", libc::CLOCK_MONOTONIC_RAW),
    ("REALTIME_COARSE", libc::CLOCK_REALTIME_COARSE),
    ("MONOTONIC_COARSE", libc::CLOCK_MONOTONIC_COARSE),
    ("BOOTTIME", libc::CLOCK_BOOTTIME),
];

fn clock_gettime_clocks() -> String {
    let parts: Vec<String> = CLOCKS
        .iter()
        .map(|&(name, id)| match now(id) {
            Ok(t) if t[0] >= 0 && (0..1_000_000_000).contains(&t[1]) => format!("{name}=ok"),
            Ok(_) => format!("{name}=out of range"),
            Err(e) => format!("{name}={}", errno_name(e)),
        })
        .collect();
    parts.join(" ")
}

fn clock_gettime_bad_clock() -> String {
    outcome(now(100).map(|_| 0))
}

fn clock_gettime_efault() -> String {
    outcome(sys!(nr::CLOCK_GETTIME, libc::CLOCK_MONOTONIC, BAD_PTR))
}

fn monotonic_nondecreasing() -> String {
    let mut last = 0i128;
    for _ in 0..1000 {
        match now(libc::CLOCK_MONOTONIC) {
            Ok(t) if nanos(t) >= last => last = nanos(t),
            Ok(_) => return "went backwards".to_string(),
            Err(e) => return errno_name(e),
        }
    }
    "nondecreasing over 1000 reads".to_string()
}

fn clock_getres() -> String {
    let parts: Vec<String> = [
        ("REALTIME", libc::CLOCK_REALTIME),
        ("MONOTONIC", libc::CLOCK_MONOTONIC),
    ]
    .iter()
    .map(|&(name, id)| {
        let mut t = ts(-1, -1);
        match sys!(nr::CLOCK_GETRES, id, t.as_mut_ptr()) {
            Ok(_) => format!(
                "{name} in (0, 1ms]={}",
                yes(nanos(t) > 0 && nanos(t) <= 1_000_000)
            ),
            Err(e) => format!("{name}={}", errno_name(e)),
        }
    })
    .collect();
    let null = outcome(sys!(nr::CLOCK_GETRES, libc::CLOCK_MONOTONIC, 0));
    format!("{} NULL res={null}", parts.join(" "))
}

fn clock_getres_bad_clock() -> String {
    let mut t = ts(0, 0);
    outcome(sys!(nr::CLOCK_GETRES, 100, t.as_mut_ptr()))
}

fn clock_settime_monotonic() -> String {
    let t = ts(1000, 0);
    outcome(sys!(nr::CLOCK_SETTIME, libc::CLOCK_MONOTONIC, t.as_ptr()))
}

fn clock_settime_bad_nsec() -> String {
    // Invalid, so the real clock is never changed.
    let t = ts(1000, 1_000_000_000);
    outcome(sys!(nr::CLOCK_SETTIME, libc::CLOCK_REALTIME, t.as_ptr()))
}

fn clock_settime_cputime() -> String {
    // CPU-time clocks can never be set, not even by root: they have no set operation at all.
    let t = ts(1, 0);
    outcome(sys!(
        nr::CLOCK_SETTIME,
        libc::CLOCK_PROCESS_CPUTIME_ID,
        t.as_ptr()
    ))
}

fn clock_settime_efault() -> String {
    outcome(sys!(nr::CLOCK_SETTIME, libc::CLOCK_REALTIME, BAD_PTR))
}

fn settimeofday_bad_usec() -> String {
    // Invalid, so the real clock is never changed.
    let tv: [i64; 2] = [1000, 1_000_001];
    outcome(sys!(nr::SETTIMEOFDAY, tv.as_ptr(), 0))
}

fn settimeofday_bad_tz() -> String {
    // More than 15 hours west: refused, so the system time zone is never changed.
    let tz: [i32; 2] = [16 * 60, 0];
    outcome(sys!(nr::SETTIMEOFDAY, 0, tz.as_ptr()))
}

fn gettimeofday() -> String {
    let mut tv = [0i64; 2];
    let r = outcome(sys!(nr::GETTIMEOFDAY, tv.as_mut_ptr(), 0));
    let real = now(libc::CLOCK_REALTIME).unwrap_or([0, 0]);
    let close = (real[0] - tv[0]).abs() <= 2;
    format!(
        "{r} usec<1e6={} agrees with CLOCK_REALTIME={}",
        yes((0..1_000_000).contains(&tv[1])),
        yes(close)
    )
}

fn gettimeofday_efault() -> String {
    outcome(sys!(nr::GETTIMEOFDAY, BAD_PTR, 0))
}

fn time() -> String {
    let mut stored = 0i64;
    let ret = sys!(nr::TIME, &mut stored as *mut i64).unwrap_or(0) as i64;
    let real = now(libc::CLOCK_REALTIME).unwrap_or([0, 0]);
    format!(
        "stored=returned {} agrees with CLOCK_REALTIME={}",
        sys::eq(stored, ret),
        yes((real[0] - ret).abs() <= 2)
    )
}

fn time_efault() -> String {
    value(sys!(nr::TIME, BAD_PTR))
}

fn times() -> String {
    let mut t = [i64::MIN; 4];
    let r = sys!(nr::TIMES, t.as_mut_ptr());
    let null = outcome(sys!(nr::TIMES, 0));
    format!(
        "{} fields>=0={} NULL={null}",
        outcome(r),
        yes(t.iter().all(|&v| v >= 0))
    )
}

fn times_efault() -> String {
    outcome(sys!(nr::TIMES, BAD_PTR))
}

fn getrusage() -> String {
    let parts: Vec<String> = [
        ("SELF", libc::RUSAGE_SELF),
        ("CHILDREN", libc::RUSAGE_CHILDREN),
        ("THREAD", 1),
    ]
    .iter()
    .map(|&(name, who)| {
        // SAFETY: plain data.
        let mut ru: libc::rusage = unsafe { core::mem::zeroed() };
        format!(
            "{name}={}",
            outcome(sys!(nr::GETRUSAGE, who, &mut ru as *mut libc::rusage))
        )
    })
    .collect();
    parts.join(" ")
}

fn getrusage_bad_who() -> String {
    // SAFETY: plain data.
    let mut ru: libc::rusage = unsafe { core::mem::zeroed() };
    outcome(sys!(nr::GETRUSAGE, 42, &mut ru as *mut libc::rusage))
}

fn getrusage_efault() -> String {
    outcome(sys!(nr::GETRUSAGE, libc::RUSAGE_SELF, BAD_PTR))
}

fn setitimer_real_fires() -> String {
    let _ = sig::record_on(libc::SIGALRM, 0);
    sig::block(&[libc::SIGALRM]);
    let armed = outcome(itimer_once(10_000));
    let empty = 0u64;
    // Wait with SIGALRM unblocked; returns EINTR after the handler.
    let r = outcome(sys!(nr::RT_SIGSUSPEND, &empty as *const u64, 8));
    format!(
        "armed={armed} sigsuspend={r} SIGALRM delivered={}",
        sig::hits(libc::SIGALRM)
    )
}

fn getitimer_remaining() -> String {
    sig::block(&[libc::SIGALRM]);
    let t: [i64; 4] = [0, 0, 10, 0];
    let _ = sys!(nr::SETITIMER, libc::ITIMER_REAL, t.as_ptr(), 0);
    let mut cur = [-1i64; 4];
    let r = outcome(sys!(nr::GETITIMER, libc::ITIMER_REAL, cur.as_mut_ptr()));
    let left = i128::from(cur[2]) * 1_000_000 + i128::from(cur[3]);
    let mut old = [-1i64; 4];
    let _ = sys!(
        nr::SETITIMER,
        libc::ITIMER_REAL,
        [0i64; 4].as_ptr(),
        old.as_mut_ptr()
    );
    format!(
        "{r} interval={}.{} value in (0, 10s]={} disarm returned old in (0, 10s]={}",
        cur[0],
        cur[1],
        yes(left > 0 && left <= 10_000_000),
        yes(old[2] * 1_000_000 + old[3] > 0 && old[2] <= 10)
    )
}

fn setitimer_bad_which() -> String {
    let t: [i64; 4] = [0, 0, 1, 0];
    outcome(sys!(nr::SETITIMER, 5, t.as_ptr(), 0))
}

fn setitimer_bad_usec() -> String {
    let t: [i64; 4] = [0, 0, 0, 1_000_000];
    outcome(sys!(nr::SETITIMER, libc::ITIMER_REAL, t.as_ptr(), 0))
}

fn alarm_returns_remaining() -> String {
    let first = value(sys!(nr::ALARM, 5));
    let second = value(sys!(nr::ALARM, 0));
    let third = value(sys!(nr::ALARM, 0));
    format!("first={first} cancel={second} again={third}")
}

fn pause_alarm() -> String {
    let _ = sig::record_on(libc::SIGALRM, 0);
    itimer_repeating(10_000);
    let r = outcome(sys!(nr::PAUSE));
    itimer_off();
    format!("pause={r} handled={}", yes(sig::hits(libc::SIGALRM) >= 1))
}

/// The CPU time the CPU-time cases burn, by their own thread's CPU clock (so a busy machine only makes them take
/// longer), and how long they try before giving up (a kernel whose clock does not advance).
const BUSY_NS: i128 = 40_000_000;
const GIVE_UP_NS: i128 = 20_000_000_000;
/// What the other measures must show of BUSY_NS: the kernel may account in 10 ms ticks.
const COUNTED_NS: i128 = 25_000_000;

/// Spins until this thread's CPU clock advanced by BUSY_NS; false if it did not within GIVE_UP_NS of wall time.
fn spin_busy() -> bool {
    let cpu = || now(libc::CLOCK_THREAD_CPUTIME_ID).map(nanos).unwrap_or(0);
    let wall = || now(libc::CLOCK_MONOTONIC).map(nanos).unwrap_or(i128::MAX);
    let (cpu_start, wall_start) = (cpu(), wall());
    while cpu() - cpu_start < BUSY_NS {
        if wall() - wall_start > GIVE_UP_NS {
            return false;
        }
        core::hint::spin_loop();
    }
    true
}

fn cpu_clocks_count_busy_time() -> String {
    let read = || {
        [libc::CLOCK_PROCESS_CPUTIME_ID, libc::CLOCK_MONOTONIC]
            .map(|c| now(c).map(nanos).unwrap_or(-1))
    };
    let before = read();
    let advanced = spin_busy();
    let after = read();
    let process = after[0] - before[0];
    let wall = after[1] - before[1];
    // Linux's CPU clocks and CLOCK_MONOTONIC come from different clock sources, so the CPU time may pass the wall
    // time by a little; a kernel that counted the spinning thread twice would pass it by the whole busy time.
    const CLOCK_SLACK_NS: i128 = 10_000_000;
    format!(
        "thread clock advanced={} process clock counted={} within wall time={}",
        yes(advanced),
        yes(process >= BUSY_NS),
        yes(process <= wall + CLOCK_SLACK_NS)
    )
}

/// utime + stime of a `struct rusage`, in nanoseconds.
fn rusage_cpu_ns(ru: &libc::rusage) -> i128 {
    let tv = |t: libc::timeval| i128::from(t.tv_sec) * 1_000_000_000 + i128::from(t.tv_usec) * 1000;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

fn getrusage_of(who: i32) -> libc::rusage {
    // SAFETY: plain data.
    let mut ru: libc::rusage = unsafe { core::mem::zeroed() };
    let _ = sys!(nr::GETRUSAGE, who, &mut ru as *mut libc::rusage);
    ru
}

fn getrusage_counts_busy_time() -> String {
    let self_before = rusage_cpu_ns(&getrusage_of(libc::RUSAGE_SELF));
    let thread_before = rusage_cpu_ns(&getrusage_of(1));
    let advanced = spin_busy();
    let self_after = rusage_cpu_ns(&getrusage_of(libc::RUSAGE_SELF));
    let thread_after = rusage_cpu_ns(&getrusage_of(1));
    format!(
        "spun={} SELF counted={} THREAD counted={}",
        yes(advanced),
        yes(self_after - self_before >= COUNTED_NS),
        yes(thread_after - thread_before >= COUNTED_NS)
    )
}

/// A child that spins and touches 64 fresh pages: wait4's rusage, RUSAGE_CHILDREN and times() report it.
fn child_cpu_time_reported() -> String {
    const PAGES: usize = 64;
    let children_before = rusage_cpu_ns(&getrusage_of(libc::RUSAGE_CHILDREN));
    let pid = match crate::child::spawn(|| {
        if !spin_busy() {
            return 2;
        }
        let mut pages = vec![0u8; PAGES * 4096 + 4096];
        for page in pages.chunks_mut(4096) {
            page[0] = 1;
        }
        i32::from(pages.contains(&1)) - 1
    }) {
        Ok(pid) => pid,
        Err(e) => return errno_name(e),
    };
    // SAFETY: plain data.
    let mut ru: libc::rusage = unsafe { core::mem::zeroed() };
    let mut status = 0i32;
    let r = loop {
        match sys!(
            nr::WAIT4,
            pid,
            &mut status as *mut i32,
            0,
            &mut ru as *mut libc::rusage
        ) {
            Err(sys::Errno::EINTR) => continue,
            other => break other,
        }
    };
    if r != Ok(pid as usize) {
        return format!("wait4 {}", outcome(r));
    }
    let children_after = rusage_cpu_ns(&getrusage_of(libc::RUSAGE_CHILDREN));
    let mut tms = [0i64; 4];
    let _ = sys!(nr::TIMES, tms.as_mut_ptr());
    format!(
        "wait4 counted={} minflt>={PAGES}={} CHILDREN counted={} times cutime+cstime>=2={}",
        yes(rusage_cpu_ns(&ru) >= COUNTED_NS),
        yes(ru.ru_minflt >= PAGES as i64),
        yes(children_after - children_before >= COUNTED_NS),
        yes(tms[2] + tms[3] >= 2)
    )
}
