//! AF_UNIX socket options (SOL_SOCKET) with their length rules, SO_PEERCRED, timeouts, FIONREAD/SIOCOUTQ.

use super::unix_util::*;
use crate::child;
use crate::registry::Case;
use crate::sys::{eq, errno_name, nr, outcome, yes, BAD_PTR};

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case::new("unix.sockopt_values", sockopt_values),
    Case::new("unix.sockopt_buffers", sockopt_buffers),
    Case::new("unix.sockopt_errors", sockopt_errors),
    Case::new("unix.so_error", so_error),
    Case::new("unix.peercred", peercred),
    Case::new("unix.rcvtimeo", rcvtimeo),
    Case::new("unix.fionread", fionread),
    Case::new("unix.passcred_autobinds", passcred_autobinds),
];

fn ucred_of(fd: i32) -> Result<(i32, u32, u32), crate::sys::Errno> {
    let mut c = [0u32; 3];
    let mut len: u32 = 12;
    sys!(
        nr::GETSOCKOPT,
        fd,
        libc::SOL_SOCKET,
        libc::SO_PEERCRED,
        c.as_mut_ptr(),
        &mut len as *mut u32
    )?;
    Ok((c[0] as i32, c[1], c[2]))
}

fn ioctl_int(fd: i32, cmd: u64) -> String {
    let mut v: i32 = -1;
    match sys!(nr::IOCTL, fd, cmd, &mut v as *mut i32) {
        Ok(_) => v.to_string(),
        Err(e) => errno_name(e),
    }
}

fn sockopt_values() -> String {
    let s = sock(STREAM);
    let d = sock(DGRAM);
    let q = sock(SEQPACKET);
    format!(
        "type {} {} {} domain={} protocol={} passcred={} set passcred={} now={} reuseaddr set={} now={}",
        getopt(s, libc::SO_TYPE),
        getopt(d, libc::SO_TYPE),
        getopt(q, libc::SO_TYPE),
        getopt(s, libc::SO_DOMAIN),
        getopt(s, libc::SO_PROTOCOL),
        getopt(s, libc::SO_PASSCRED),
        setopt(s, libc::SO_PASSCRED, 5),
        getopt(s, libc::SO_PASSCRED),
        setopt(s, libc::SO_REUSEADDR, 1),
        getopt(s, libc::SO_REUSEADDR),
    )
}

fn sockopt_buffers() -> String {
    let s = sock(STREAM);
    let default_positive = getopt(s, libc::SO_SNDBUF)
        .parse::<i32>()
        .is_ok_and(|v| v > 0);
    format!(
        "default positive={} sndbuf 10000 -> {} {} rcvbuf 10000 -> {} {} sndbuf 1 -> {} {} rcvbuf 1 -> {} {}",
        yes(default_positive),
        setopt(s, libc::SO_SNDBUF, 10000),
        getopt(s, libc::SO_SNDBUF),
        setopt(s, libc::SO_RCVBUF, 10000),
        getopt(s, libc::SO_RCVBUF),
        setopt(s, libc::SO_SNDBUF, 1),
        getopt(s, libc::SO_SNDBUF),
        setopt(s, libc::SO_RCVBUF, 1),
        getopt(s, libc::SO_RCVBUF),
    )
}

fn sockopt_errors() -> String {
    let s = sock(STREAM);
    let v: i32 = 1;
    let mut out: i32 = 0;
    let mut len: i32 = 2;
    let short = sys!(
        nr::GETSOCKOPT,
        s,
        libc::SOL_SOCKET,
        libc::SO_TYPE,
        &mut out as *mut i32,
        &mut len as *mut i32
    );
    let mut neg: i32 = -1;
    let mut four: i32 = 4;
    let mut big: i32 = 64;
    let long = sys!(
        nr::GETSOCKOPT,
        s,
        libc::SOL_SOCKET,
        libc::SO_TYPE,
        &mut out as *mut i32,
        &mut big as *mut i32
    );
    format!(
        "set optlen 2={} set unknown={} set SO_TYPE={} set efault={} get unknown={} get len 2={} reported={len} \
         get negative={} get efault={} get long={} reported={big}",
        outcome(sys!(nr::SETSOCKOPT, s, libc::SOL_SOCKET, libc::SO_PASSCRED, &v as *const i32, 2)),
        outcome(sys!(nr::SETSOCKOPT, s, libc::SOL_SOCKET, 999, &v as *const i32, 4)),
        outcome(sys!(nr::SETSOCKOPT, s, libc::SOL_SOCKET, libc::SO_TYPE, &v as *const i32, 4)),
        outcome(sys!(nr::SETSOCKOPT, s, libc::SOL_SOCKET, libc::SO_PASSCRED, BAD_PTR, 4)),
        outcome(sys!(nr::GETSOCKOPT, s, libc::SOL_SOCKET, 999, &mut out as *mut i32, &mut four as *mut i32)),
        outcome(short),
        outcome(sys!(nr::GETSOCKOPT, s, libc::SOL_SOCKET, libc::SO_TYPE, &mut out as *mut i32, &mut neg as *mut i32)),
        outcome(sys!(nr::GETSOCKOPT, s, libc::SOL_SOCKET, libc::SO_TYPE, BAD_PTR, &mut four as *mut i32)),
        outcome(long),
    )
}

fn so_error() -> String {
    let (a, b) = pair(STREAM);
    let _ = send(a, b"x", 0);
    child::close(b);
    format!(
        "pending={} cleared={}",
        getopt(a, libc::SO_ERROR),
        getopt(a, libc::SO_ERROR)
    )
}

fn peercred() -> String {
    let me = sys!(nr::GETPID).unwrap_or(0) as i32;
    let euid = sys!(nr::GETEUID).unwrap_or(0) as u32;
    let (a, _b) = pair(STREAM);
    let s = sock(STREAM);
    let (l, addr) = listener(STREAM, "unix-peercred", 4);
    let (to_parent_r, to_parent_w) = child::pipe();
    let pid = child::spawn(|| {
        let c = sock(STREAM);
        let _ = connect(c, &addr);
        let ok = ucred_of(c).is_ok_and(|(p, _, _)| p == me);
        child::write_byte(to_parent_w, u8::from(ok));
        let _ = child::read_byte(c);
        0
    })
    .unwrap_or(-1);
    let client_saw_listener = child::read_byte(to_parent_r).unwrap_or(9);
    let srv = sys!(nr::ACCEPT, l, 0, 0).map_or(-1, |v| v as i32);
    let accepted = ucred_of(srv);
    child::close(srv);
    let _ = child::wait_text(pid);
    let r = format!(
        "pair pid={} uid={} unconnected={:?} listener pid={} accepted pid is client={} client sees listener={}",
        eq(ucred_of(a).map(|c| c.0).unwrap_or(0), me),
        eq(ucred_of(a).map(|c| c.1).unwrap_or(7), euid),
        ucred_of(s),
        eq(ucred_of(l).map(|c| c.0).unwrap_or(0), me),
        eq(accepted.map(|c| c.0).unwrap_or(0), pid),
        client_saw_listener
    );
    sock_path("unix-peercred");
    r
}

fn rcvtimeo() -> String {
    let (a, _b) = pair(STREAM);
    let tv: [i64; 2] = [0, 30_000];
    let set = outcome(sys!(
        nr::SETSOCKOPT,
        a,
        libc::SOL_SOCKET,
        libc::SO_RCVTIMEO,
        tv.as_ptr(),
        16
    ));
    let mut got = [0i64; 2];
    let mut len: u32 = 16;
    let get = outcome(sys!(
        nr::GETSOCKOPT,
        a,
        libc::SOL_SOCKET,
        libc::SO_RCVTIMEO,
        got.as_mut_ptr(),
        &mut len as *mut u32
    ));
    let bad: [i64; 2] = [0, 1_000_000];
    // Linux keeps the timeout in jiffies: what comes back is the value rounded to the tick.
    let close = got[0] == 0 && (20_000..=40_000).contains(&got[1]);
    format!(
        "set={set} get={get} len={len} about the same={} recv={} usec too big={} short={}",
        yes(close),
        recv(a, 4, 0),
        outcome(sys!(
            nr::SETSOCKOPT,
            a,
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            bad.as_ptr(),
            16
        )),
        outcome(sys!(
            nr::SETSOCKOPT,
            a,
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            bad.as_ptr(),
            8
        )),
    )
}

fn fionread() -> String {
    const SIOCOUTQ: u64 = 0x5411;
    let fion: u64 = 0x541b; // FIONREAD (SIOCINQ)
    let (s1, s2) = pair(STREAM);
    let idle_out = ioctl_int(s1, SIOCOUTQ);
    let _ = send(s1, b"hello", 0);
    let _ = send(s1, b"abc", 0);
    let (d1, d2) = pair(DGRAM);
    let _ = send(d1, b"hello", 0);
    let _ = send(d1, b"abc", 0);
    let (q1, q2) = pair(SEQPACKET);
    let _ = send(q1, b"hello", 0);
    let _ = send(q1, b"abc", 0);
    let (l, _addr) = listener(STREAM, "unix-fionread", 4);
    let pending_out = ioctl_int(s1, SIOCOUTQ).parse::<i32>().is_ok_and(|v| v > 0);
    let r = format!(
        "stream={} dgram={} seqpacket={} empty={} listener={} outq idle={idle_out} outq pending={} TCGETS={}",
        ioctl_int(s2, fion),
        ioctl_int(d2, fion),
        ioctl_int(q2, fion),
        ioctl_int(s1, fion),
        ioctl_int(l, fion),
        yes(pending_out),
        ioctl_int(s1, 0x5401), // TCGETS
    );
    sock_path("unix-fionread");
    r
}

fn passcred_autobinds() -> String {
    let (l, addr) = listener(STREAM, "unix-passauto", 4);
    let c = sock(STREAM);
    let _ = setopt(c, libc::SO_PASSCRED, 1);
    let before = name_of(c, false).map_or(0, |(len, _)| len);
    let conn = outcome(connect(c, &addr));
    let after = name_of(c, false).map_or(0, |(len, _)| len);
    let srv = sys!(nr::ACCEPT, l, 0, 0).map_or(-1, |v| v as i32);
    let peer = name_of(srv, true).map_or(0, |(len, _)| len);
    let d = sock(DGRAM);
    let target = sock(DGRAM);
    let _ = bind(target, &sun(b"\0basalt-abi-passauto"));
    let _ = setopt(d, libc::SO_PASSCRED, 1);
    let name = sun(b"\0basalt-abi-passauto");
    let _ = sys!(
        nr::SENDTO,
        d,
        b"x".as_ptr(),
        1,
        0,
        name.as_ptr(),
        name.len()
    );
    let dgram_after = name_of(d, false).map_or(0, |(len, _)| len);
    sock_path("unix-passauto");
    format!(
        "stream: before={before} connect={conn} after={after} server sees={peer}; dgram after sendto={dgram_after}"
    )
}
