//! Terminals through pseudo-terminals: termios defaults, canonical input and echo, VMIN/VTIME, signal characters
//! for the foreground group, window size and SIGWINCH, tcsetpgrp rules, background jobs (SIGTTIN/SIGTTOU),
//! hangup and EIO at the master, ENOTTY elsewhere.

use crate::child::{self, ask, close, pipe, read_byte, spawn, wait4, write_all, write_byte};
use crate::registry::Case;
use crate::sys::{cstr, errno_name, nr, outcome, value, Errno};

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case::new("tty.pty_open", pty_open),
    Case::new("tty.pty_termios_defaults", termios_defaults),
    Case::new("tty.canonical_line_and_echo", canonical_line),
    Case::new("tty.eof_character", eof_character),
    Case::new("tty.fionread_counts_lines", fionread_counts_lines),
    Case::new("tty.vmin_vtime", vmin_vtime),
    Case::new("tty.nonblocking_read", nonblocking_read),
    Case::new("tty.onlcr_output", onlcr_output),
    Case::new("tty.tcflsh", tcflsh),
    Case::new("tty.intr_kills_foreground", intr_kills_foreground),
    Case::new("tty.susp_stops_foreground", susp_stops_foreground),
    Case::new("tty.quit_kills_foreground", quit_kills_foreground),
    Case::new("tty.winsize_sigwinch", winsize_sigwinch),
    Case::new("tty.tiocspgrp_errors", tiocspgrp_errors),
    Case::new("tty.controlling_terminal", controlling_terminal),
    Case::new("tty.background_read_sigttin", background_read),
    Case::new("tty.background_write_tostop", background_write),
    Case::new("tty.master_eio_after_slave_close", master_eio),
    Case::new("tty.hangup_sends_sighup", hangup_sighup),
    Case::new("tty.proc_stat_names_ctty", proc_stat_names_ctty),
    Case::new("tty.poll_readiness", poll_readiness),
    Case::new("tty.poll_wakes_sleepers", poll_wakes_sleepers),
    Case::new("tty.enotty_elsewhere", enotty_elsewhere),
];

const TIOCGPTN: u32 = 0x8004_5430;
const TIOCSPTLCK: u32 = 0x4004_5431;

fn ioctl(fd: i32, cmd: u32, arg: usize) -> Result<usize, Errno> {
    sys!(nr::IOCTL, fd, cmd, arg)
}

fn open(path: &str, flags: i32) -> Result<i32, Errno> {
    let c = cstr(path);
    sys!(nr::OPENAT, libc::AT_FDCWD, c.as_ptr(), flags, 0).map(|fd| fd as i32)
}

/// A new pty: (master, slave path), unlocked.
fn new_pty() -> Result<(i32, String), Errno> {
    let m = open("/dev/ptmx", libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC)?;
    let mut n: u32 = 0;
    ioctl(m, TIOCGPTN, &mut n as *mut u32 as usize)?;
    let zero: i32 = 0;
    ioctl(m, TIOCSPTLCK, &zero as *const i32 as usize)?;
    Ok((m, format!("/dev/pts/{n}")))
}

/// A pty with its slave open (O_NOCTTY).
fn pair() -> Result<(i32, i32), Errno> {
    let (m, path) = new_pty()?;
    let s = open(&path, libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC)?;
    Ok((m, s))
}

fn get_termios(fd: i32) -> Result<libc::termios, Errno> {
    // SAFETY: plain data.
    let mut t: libc::termios = unsafe { core::mem::zeroed() };
    ioctl(
        fd,
        libc::TCGETS as u32,
        &mut t as *mut libc::termios as usize,
    )?;
    Ok(t)
}

fn set_termios(fd: i32, t: &libc::termios) -> Result<usize, Errno> {
    ioctl(fd, libc::TCSETS as u32, t as *const libc::termios as usize)
}

fn read_text(fd: i32) -> String {
    let mut buf = [0u8; 256];
    match sys!(nr::READ, fd, buf.as_mut_ptr(), buf.len()) {
        Ok(n) => format!("{:?}", String::from_utf8_lossy(&buf[..n])),
        Err(e) => errno_name(e),
    }
}

fn fionread(fd: i32) -> String {
    let mut n: i32 = -1;
    match ioctl(fd, libc::FIONREAD as u32, &mut n as *mut i32 as usize) {
        Ok(_) => n.to_string(),
        Err(e) => errno_name(e),
    }
}

/// Poll one descriptor without waiting: the returned events by name.
fn poll_now(fd: i32) -> String {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN | libc::POLLOUT,
        revents: 0,
    };
    match sys!(nr::POLL, &mut p as *mut libc::pollfd, 1, 0) {
        Ok(_) => {
            let mut names = Vec::new();
            for (bit, name) in [
                (libc::POLLIN, "IN"),
                (libc::POLLOUT, "OUT"),
                (libc::POLLERR, "ERR"),
                (libc::POLLHUP, "HUP"),
            ] {
                if p.revents & bit != 0 {
                    names.push(name);
                }
            }
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join("|")
            }
        }
        Err(e) => errno_name(e),
    }
}

/// Wait until `fd` polls readable. Linux hands pty input to the line discipline from a work queue; its poll
/// finishes that work first, so after this the input is in place (FIONREAD, flushes see it).
fn wait_readable(fd: i32) {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let _ = sys!(nr::POLL, &mut p as *mut libc::pollfd, 1, -1i32);
}

fn pty_open() -> String {
    let m = match open("/dev/ptmx", libc::O_RDWR | libc::O_NOCTTY) {
        Ok(m) => m,
        Err(e) => return format!("ptmx {}", errno_name(e)),
    };
    let mut n: u32 = 0;
    let ptn = outcome(ioctl(m, TIOCGPTN, &mut n as *mut u32 as usize));
    let path = format!("/dev/pts/{n}");
    let locked = outcome(open(&path, libc::O_RDWR | libc::O_NOCTTY).map(|fd| fd as usize));
    let zero: i32 = 0;
    let unlock = outcome(ioctl(m, TIOCSPTLCK, &zero as *const i32 as usize));
    let s = open(&path, libc::O_RDWR | libc::O_NOCTTY);
    let slave = s.map(|_| "ok".to_string()).unwrap_or_else(errno_name);
    // SAFETY: isatty only issues an ioctl.
    let ttys = unsafe { (libc::isatty(m), libc::isatty(*s.as_ref().unwrap_or(&-1))) };
    // SAFETY: plain data.
    let mut st: libc::stat = unsafe { core::mem::zeroed() };
    let major = match s {
        Ok(fd) if sys!(nr::FSTAT, fd, &mut st as *mut libc::stat).is_ok() => {
            libc::major(st.st_rdev).to_string()
        }
        _ => "?".to_string(),
    };
    let bad_ptn = outcome(ioctl(
        *s.as_ref().unwrap_or(&-1),
        TIOCGPTN,
        &mut n as *mut u32 as usize,
    ));
    format!(
        "ptn={ptn} locked_open={locked} unlock={unlock} slave={slave} isatty={},{} major={major} slave_ptn={bad_ptn}",
        ttys.0, ttys.1
    )
}

fn termios_defaults() -> String {
    let Ok((m, s)) = pair() else {
        return "pty failed".to_string();
    };
    let (Ok(t), Ok(tm)) = (get_termios(s), get_termios(m)) else {
        return "TCGETS failed".to_string();
    };
    // SAFETY: plain data.
    let mut t2: [u32; 11] = [0; 11];
    let speeds = match ioctl(s, 0x802c_542au32, t2.as_mut_ptr() as usize) {
        Ok(_) => format!("{},{}", t2[9], t2[10]),
        Err(e) => errno_name(e),
    };
    format!(
        "iflag={:o} oflag={:o} cflag={:o} lflag={:o} cc={:?} speeds={speeds} master_same={}",
        t.c_iflag,
        t.c_oflag,
        t.c_cflag,
        t.c_lflag,
        &t.c_cc[..17],
        tm.c_lflag == t.c_lflag
    )
}

fn canonical_line() -> String {
    let Ok((m, s)) = pair() else {
        return "pty failed".to_string();
    };
    let _ = write_all(m, b"ab\x7fc\x15xyz\x17d\re\n");
    let first = read_text(s);
    let second = read_text(s);
    let echo = read_text(m);
    format!("lines={first},{second} echo={echo}")
}

fn eof_character() -> String {
    let Ok((m, s)) = pair() else {
        return "pty failed".to_string();
    };
    let _ = write_all(m, b"xy\x04\x04");
    let a = read_text(s);
    let b = read_text(s);
    format!("{a} {b}")
}

fn fionread_counts_lines() -> String {
    let Ok((m, s)) = pair() else {
        return "pty failed".to_string();
    };
    let _ = write_all(m, b"abc\nde");
    wait_readable(s);
    wait_readable(m);
    let slave = fionread(s);
    let master = fionread(m);
    format!("slave={slave} master_echo={master}")
}

fn raw_mode(s: i32, vmin: u8, vtime: u8) {
    if let Ok(mut t) = get_termios(s) {
        t.c_lflag &= !(libc::ICANON | libc::ECHO);
        t.c_cc[libc::VMIN] = vmin;
        t.c_cc[libc::VTIME] = vtime;
        let _ = set_termios(s, &t);
    }
}

fn vmin_vtime() -> String {
    let Ok((m, s)) = pair() else {
        return "pty failed".to_string();
    };
    raw_mode(s, 0, 0);
    let poll_empty = read_text(s);
    raw_mode(s, 0, 1);
    let timed_out = read_text(s);
    let _ = write_all(m, b"abc");
    raw_mode(s, 2, 0);
    let counted = read_text(s);
    // Canonical input pending when raw mode starts becomes readable.
    let Ok((m2, s2)) = pair() else {
        return "pty failed".to_string();
    };
    let _ = write_all(m2, b"half");
    raw_mode(s2, 1, 0);
    let switched = read_text(s2);
    close(m2);
    format!("vmin0vtime0={poll_empty} vtime_timeout={timed_out} vmin2={counted} canon_to_raw={switched}")
}

fn nonblocking_read() -> String {
    let Ok((_m, s)) = pair() else {
        return "pty failed".to_string();
    };
    let on: i32 = 1;
    let fionbio = outcome(ioctl(s, libc::FIONBIO as u32, &on as *const i32 as usize));
    let r = read_text(s);
    let flags = sys!(nr::FCNTL, s, libc::F_GETFL).unwrap_or(0) as i32;
    format!(
        "fionbio={fionbio} read={r} nonblock_flag={}",
        flags & libc::O_NONBLOCK != 0
    )
}

fn onlcr_output() -> String {
    let Ok((m, s)) = pair() else {
        return "pty failed".to_string();
    };
    let _ = write_all(s, b"a\nb");
    let cooked = read_text(m);
    if let Ok(mut t) = get_termios(s) {
        t.c_oflag &= !libc::OPOST;
        let _ = set_termios(s, &t);
    }
    let _ = write_all(s, b"c\n");
    let raw = read_text(m);
    format!("opost={cooked} no_opost={raw}")
}

fn tcflsh() -> String {
    let Ok((m, s)) = pair() else {
        return "pty failed".to_string();
    };
    let _ = write_all(m, b"abc\n");
    wait_readable(s);
    let flush = outcome(ioctl(s, libc::TCFLSH as u32, libc::TCIFLUSH as usize));
    let left = fionread(s);
    let bad = outcome(ioctl(s, libc::TCFLSH as u32, 7));
    let xonc_bad = outcome(ioctl(s, libc::TCXONC as u32, 9));
    format!("flush={flush} left={left} bad_arg={bad} tcxonc_bad={xonc_bad}")
}

/// Fork a session leader whose controlling terminal is the slave `path`; it signals readiness on a pipe, then
/// runs `body`. Returns (pid, ready read end).
fn leader_on(path: String, master: i32, body: impl FnOnce(i32) -> i32) -> (i32, i32) {
    let (r, w) = pipe();
    let pid = spawn(move || {
        close(r);
        close(master);
        if sys!(nr::SETSID).is_err() {
            return 100;
        }
        let Ok(s) = open(&path, libc::O_RDWR) else {
            return 101;
        };
        write_byte(w, b'r');
        close(w);
        body(s)
    })
    .unwrap_or(-1);
    close(w);
    (pid, r)
}

fn intr_kills_foreground() -> String {
    let Ok((m, path)) = new_pty() else {
        return "pty failed".to_string();
    };
    let (pid, ready) = leader_on(path, m, |_| loop {
        // SAFETY: pause only waits for a signal.
        unsafe { libc::pause() };
    });
    let _ = read_byte(ready);
    let _ = write_all(m, b"\x03");
    let ended = child::wait_text(pid);
    format!("{ended} echo={}", read_text(m))
}

/// A session leader on a new pty puts a child in a new process group in the foreground (a group that is not
/// orphaned: its parent is in another group of the session) and reports how the child stops or ends after the
/// test types `key` on the master.
fn foreground_job(key: &'static [u8]) -> String {
    let Ok((m, path)) = new_pty() else {
        return "pty failed".to_string();
    };
    let (ready_r, ready_w) = pipe();
    let (pid, text_r) = {
        let (r, w) = pipe();
        let pid = spawn(move || {
            close(r);
            close(ready_r);
            close(m);
            let _ = sys!(nr::SETSID);
            let Ok(s) = open(&path, libc::O_RDWR) else {
                return 1;
            };
            let worker = spawn(|| {
                let _ = sys!(nr::SETPGID, 0, 0);
                loop {
                    // SAFETY: pause only waits for a signal.
                    unsafe { libc::pause() };
                }
            })
            .unwrap_or(-1);
            let _ = sys!(nr::SETPGID, worker, worker);
            let set = outcome(ioctl(
                s,
                libc::TIOCSPGRP as u32,
                &worker as *const i32 as usize,
            ));
            write_byte(ready_w, b'r');
            let status = match wait4(worker, libc::WUNTRACED) {
                Ok((_, st)) => child::describe(st),
                Err(e) => errno_name(e),
            };
            let _ = sys!(nr::KILL, worker, libc::SIGKILL);
            let _ = wait4(worker, 0);
            let _ = write_all(w, format!("tcsetpgrp={set} worker {status}").as_bytes());
            0
        })
        .unwrap_or(-1);
        close(w);
        (pid, r)
    };
    close(ready_w);
    let _ = read_byte(ready_r);
    let _ = write_all(m, key);
    let text = child::read_to_end(text_r);
    let leader = child::wait_text(pid);
    format!(
        "{} leader {leader} echo={}",
        String::from_utf8_lossy(&text),
        read_text(m)
    )
}

fn susp_stops_foreground() -> String {
    foreground_job(b"\x1a")
}

fn quit_kills_foreground() -> String {
    foreground_job(b"\x1c")
}

fn winsize_sigwinch() -> String {
    let Ok((m, path)) = new_pty() else {
        return "pty failed".to_string();
    };
    // Blocked before the fork, so the child cannot miss the signal.
    crate::sig::block(&[libc::SIGWINCH]);
    let (pid, ready) = leader_on(path, m, |s| {
        // SAFETY: plain data.
        let mut info: libc::siginfo_t = unsafe { core::mem::zeroed() };
        let set = crate::sig::set_of(&[libc::SIGWINCH]);
        // SAFETY: valid pointers.
        let sig = unsafe { libc::sigwaitinfo(&set, &mut info) };
        // SAFETY: plain data.
        let mut ws: libc::winsize = unsafe { core::mem::zeroed() };
        let _ = ioctl(
            s,
            libc::TIOCGWINSZ as u32,
            &mut ws as *mut libc::winsize as usize,
        );
        if sig == libc::SIGWINCH {
            i32::from(ws.ws_row)
        } else {
            99
        }
    });
    let _ = read_byte(ready);
    let ws = libc::winsize {
        ws_row: 33,
        ws_col: 100,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    let set = outcome(ioctl(
        m,
        libc::TIOCSWINSZ as u32,
        &ws as *const libc::winsize as usize,
    ));
    // SAFETY: plain data.
    let mut got: libc::winsize = unsafe { core::mem::zeroed() };
    let _ = ioctl(
        m,
        libc::TIOCGWINSZ as u32,
        &mut got as *mut libc::winsize as usize,
    );
    let ended = child::wait_text(pid);
    format!(
        "set={set} master_sees={}x{} child={ended}",
        got.ws_row, got.ws_col
    )
}

fn tiocspgrp_errors() -> String {
    let Ok((_m, path)) = new_pty() else {
        return "pty failed".to_string();
    };
    let Ok((_m2, other)) = pair() else {
        return "pty failed".to_string();
    };
    // SAFETY: getpgrp has no arguments.
    let outside_group = unsafe { libc::getpgrp() };
    ask(move || {
        if sys!(nr::SETSID).is_err() {
            return "setsid failed".to_string();
        }
        let Ok(s) = open(&path, libc::O_RDWR) else {
            return "open failed".to_string();
        };
        let set = |fd: i32, pgrp: i32| {
            outcome(ioctl(
                fd,
                libc::TIOCSPGRP as u32,
                &pgrp as *const i32 as usize,
            ))
        };
        let me = crate::sys::getpid() as i32;
        let mut sid: i32 = 0;
        let gsid = ioctl(s, libc::TIOCGSID as u32, &mut sid as *mut i32 as usize);
        let mut pg: i32 = 0;
        let gpgrp = ioctl(s, libc::TIOCGPGRP as u32, &mut pg as *mut i32 as usize);
        format!(
            "gsid={} gpgrp={} negative={} missing={} other_session={} not_ctty={} not_ctty_get={} own={} efault={}",
            gsid.map(|_| crate::sys::eq(sid, me).to_string()).unwrap_or_else(errno_name),
            gpgrp.map(|_| crate::sys::eq(pg, me).to_string()).unwrap_or_else(errno_name),
            set(s, -1),
            set(s, 0x3fff_fff0),
            set(s, outside_group),
            set(other, me),
            outcome(ioctl(other, libc::TIOCGPGRP as u32, &mut pg as *mut i32 as usize)),
            set(s, me),
            outcome(ioctl(s, libc::TIOCSPGRP as u32, crate::sys::BAD_PTR)),
        )
    })
}

fn controlling_terminal() -> String {
    let Ok((m, path)) = new_pty() else {
        return "pty failed".to_string();
    };
    ask(move || {
        let _ = sys!(nr::SETSID);
        // TIOCNOTTY by the session leader sends SIGHUP and SIGCONT to the foreground group: this one.
        crate::sig::disposition(libc::SIGHUP, libc::SIG_IGN);
        let before = outcome(open("/dev/tty", libc::O_RDWR).map(|fd| fd as usize));
        let noctty = open(&path, libc::O_RDWR | libc::O_NOCTTY).unwrap_or(-1);
        let still_none = outcome(open("/dev/tty", libc::O_RDWR).map(|fd| fd as usize));
        let sctty = outcome(ioctl(noctty, libc::TIOCSCTTY as u32, 0));
        let dev_tty = open("/dev/tty", libc::O_RDWR);
        let via_dev_tty = match dev_tty {
            Ok(fd) => {
                let _ = write_all(fd, b"hi\n");
                "ok"
            }
            Err(_) => "failed",
        };
        let master_sctty = outcome(ioctl(m, libc::TIOCSCTTY as u32, 0));
        let notty = outcome(ioctl(noctty, libc::TIOCNOTTY as u32, 0));
        let after = outcome(open("/dev/tty", libc::O_RDWR).map(|fd| fd as usize));
        let notty_again = outcome(ioctl(noctty, libc::TIOCNOTTY as u32, 0));
        format!(
            "before={before} noctty={still_none} tiocsctty={sctty} dev_tty={via_dev_tty} echo={} master_sctty={master_sctty} tiocnotty={notty} after={after} again={notty_again}",
            read_text(m)
        )
    })
}

/// A session leader on the slave runs a background child (its own process group) that does `job`; the leader
/// reports how the child ended or stopped.
fn background_job(setup: fn(i32), job: fn(i32) -> String) -> String {
    let Ok((m, path)) = new_pty() else {
        return "pty failed".to_string();
    };
    let text = ask(move || {
        let _ = sys!(nr::SETSID);
        let Ok(s) = open(&path, libc::O_RDWR) else {
            return "open failed".to_string();
        };
        setup(s);
        let (r, w) = pipe();
        let pid = spawn(move || {
            close(r);
            let _ = sys!(nr::SETPGID, 0, 0);
            let text = job(s);
            let _ = write_all(w, text.as_bytes());
            0
        })
        .unwrap_or(-1);
        close(w);
        let _ = sys!(nr::SETPGID, pid, pid);
        let status = match wait4(pid, libc::WUNTRACED) {
            Ok((_, st)) => child::describe(st),
            Err(e) => errno_name(e),
        };
        if status.starts_with("stopped") {
            let _ = sys!(nr::KILL, pid, libc::SIGKILL);
            let _ = wait4(pid, 0);
        }
        let said = child::read_to_end(r);
        format!("{status} {:?}", String::from_utf8_lossy(&said))
    });
    close(m);
    text
}

fn background_read() -> String {
    let stopped = background_job(|_| {}, read_text);
    let ignored = background_job(
        |_| {},
        |s| {
            crate::sig::disposition(libc::SIGTTIN, libc::SIG_IGN);
            read_text(s)
        },
    );
    format!("default: {stopped}; ignored: {ignored}")
}

fn tostop(s: i32) {
    if let Ok(mut t) = get_termios(s) {
        t.c_lflag |= libc::TOSTOP;
        let _ = set_termios(s, &t);
    }
}

fn background_write() -> String {
    let plain = background_job(|_| {}, |s| value(sys!(nr::WRITE, s, b"x".as_ptr(), 1)));
    let stopped = background_job(tostop, |s| value(sys!(nr::WRITE, s, b"x".as_ptr(), 1)));
    let ignored = background_job(tostop, |s| {
        crate::sig::disposition(libc::SIGTTOU, libc::SIG_IGN);
        value(sys!(nr::WRITE, s, b"x".as_ptr(), 1))
    });
    let tcsetattr = background_job(
        |_| {},
        |s| match get_termios(s) {
            Ok(t) => outcome(set_termios(s, &t)),
            Err(e) => errno_name(e),
        },
    );
    format!("no_tostop: {plain}; tostop: {stopped}; ignored: {ignored}; tcsetattr: {tcsetattr}")
}

fn master_eio() -> String {
    let Ok((m, s)) = pair() else {
        return "pty failed".to_string();
    };
    let before = poll_now(m);
    let _ = write_all(s, b"hi\n");
    close(s);
    let poll_closed = poll_now(m);
    let data = read_text(m);
    let then = read_text(m);
    format!("before={before} closed={poll_closed} read={data} then={then}")
}

fn hangup_sighup() -> String {
    let Ok((m, path)) = new_pty() else {
        return "pty failed".to_string();
    };
    let (pid, ready) = leader_on(path, m, |s| {
        let ended = loop {
            let mut b = [0u8; 8];
            match sys!(nr::READ, s, b.as_mut_ptr(), 8) {
                Ok(0) => break 0,
                Ok(_) => continue,
                Err(_) => break 2,
            }
        };
        // Linux ends the read before it signals the session leader, so wait (boundedly) for the SIGHUP.
        for _ in 0..1000 {
            let pause = libc::timespec {
                tv_sec: 0,
                tv_nsec: 10_000_000,
            };
            // SAFETY: nanosleep reads the timespec only.
            unsafe { libc::nanosleep(&pause, core::ptr::null_mut()) };
        }
        ended
    });
    let _ = read_byte(ready);
    close(m);
    child::wait_text(pid)
}

/// /proc/self/stat of a session leader that took a pty as controlling terminal: tty_nr is the slave's device
/// number (new_encode_dev) and tpgid its foreground group, the leader's own.
fn proc_stat_names_ctty() -> String {
    let Ok((m, path)) = new_pty() else {
        return "pty failed".to_string();
    };
    let (pid, ready) = leader_on(path, m, |s| {
        let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
            return 2;
        };
        let Some((_, after_comm)) = stat.rsplit_once(')') else {
            return 3;
        };
        // After the name: state ppid pgrp session tty_nr tpgid ...
        let fields: Vec<i64> = after_comm
            .split_whitespace()
            .skip(1)
            .take(5)
            .filter_map(|f| f.parse().ok())
            .collect();
        // SAFETY: plain data, filled by fstat.
        let mut st: libc::stat = unsafe { core::mem::zeroed() };
        if sys!(nr::FSTAT, s, &mut st as *mut libc::stat).is_err() || fields.len() != 5 {
            return 4;
        }
        let (major, minor) = (
            libc::major(st.st_rdev) as i64,
            libc::minor(st.st_rdev) as i64,
        );
        let encoded = (minor & 0xff) | (major << 8) | ((minor & !0xff) << 12);
        let tty_ok = fields[3] == encoded;
        let tpgid_ok = fields[4] == fields[1];
        10 + i32::from(tty_ok) + 2 * i32::from(tpgid_ok)
    });
    let _ = read_byte(ready);
    // The master stays open until the child is done: closing it hangs the terminal up (SIGHUP).
    let ended = child::wait_text(pid);
    close(m);
    ended
}

fn poll_readiness() -> String {
    let Ok((m, s)) = pair() else {
        return "pty failed".to_string();
    };
    let empty = poll_now(s);
    let _ = write_all(m, b"part");
    let partial = poll_now(s);
    let _ = write_all(m, b"\n");
    let line = poll_now(s);
    format!(
        "empty={empty} partial_line={partial} full_line={line} master={}",
        poll_now(m)
    )
}

/// A poll already asleep on a terminal wakes when the other side makes it readable: on the slave when the master
/// types a line, on the master when the slave writes. The writer waits until the poller sleeps, so the wake-up is
/// what is tested; the poll's 30 s timeout only guards against a hang.
fn poll_wakes_sleepers() -> String {
    let Ok((m, s)) = pair() else {
        return "pty failed".to_string();
    };
    // No echo: the master has nothing to read until the slave writes.
    let Ok(mut t) = get_termios(s) else {
        return "tcgets failed".to_string();
    };
    t.c_lflag &= !libc::ECHO;
    let _ = set_termios(s, &t);
    let slave = sleeping_poll(s, || write_all(m, b"typed\n"));
    let line = read_text(s);
    let master = sleeping_poll(m, || write_all(s, b"out"));
    format!(
        "slave: {slave} read={line} master: {master} read={}",
        read_text(m)
    )
}

/// Forks a child that polls `fd` for input (exit 0: woken readable, 1: timed out), runs `wake` once the child
/// sleeps, and describes what happened.
fn sleeping_poll(fd: i32, wake: impl FnOnce() -> Result<(), Errno>) -> String {
    let pid = spawn(|| {
        let mut p = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        match sys!(nr::POLL, &mut p as *mut libc::pollfd, 1, 30_000i32) {
            Ok(1) if p.revents & libc::POLLIN != 0 => 0,
            Ok(0) => 1,
            _ => 2,
        }
    });
    let pid = match pid {
        Ok(pid) => pid,
        Err(e) => return format!("fork {}", errno_name(e)),
    };
    let asleep = wait_until_sleeping(pid);
    let woke = outcome(wake().map(|()| 0));
    format!(
        "asleep={asleep} wake={woke} poller {}",
        child::wait_text(pid)
    )
}

/// Waits (up to 30 s) until `pid` is in an interruptible sleep (state S in /proc/PID/stat).
fn wait_until_sleeping(pid: i32) -> bool {
    for _ in 0..30_000 {
        let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            return false;
        };
        match text.rfind(')').and_then(|end| text.get(end + 2..end + 3)) {
            Some("S") => return true,
            Some("R") => std::thread::sleep(std::time::Duration::from_millis(1)),
            _ => return false,
        }
    }
    false
}

fn enotty_elsewhere() -> String {
    let (r, w) = pipe();
    // SAFETY: plain data.
    let mut t: libc::termios = unsafe { core::mem::zeroed() };
    let pipe_tcgets = outcome(ioctl(
        r,
        libc::TCGETS as u32,
        &mut t as *mut libc::termios as usize,
    ));
    // SAFETY: isatty only issues an ioctl.
    let isatty = unsafe { libc::isatty(w) };
    let null = open("/dev/null", libc::O_RDWR).unwrap_or(-1);
    let mut ws = [0u16; 4];
    let null_winsz = outcome(ioctl(
        null,
        libc::TIOCGWINSZ as u32,
        ws.as_mut_ptr() as usize,
    ));
    let bad_fd = outcome(ioctl(
        -1,
        libc::TCGETS as u32,
        &mut t as *mut libc::termios as usize,
    ));
    let efault = match pair() {
        Ok((_m, s)) => outcome(ioctl(s, libc::TCGETS as u32, crate::sys::BAD_PTR)),
        Err(e) => errno_name(e),
    };
    format!("pipe={pipe_tcgets} isatty={isatty} null={null_winsz} badfd={bad_fd} efault={efault}")
}
