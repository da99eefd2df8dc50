//! AF_UNIX sockets, part two: stream and datagram data rules, shutdown, EPIPE/SIGPIPE, poll readiness, socket
//! options, SCM_RIGHTS and SCM_CREDENTIALS, interrupted waits.

use super::unix::{
    bind, connect, getopt, listener, pair, recv, send, setopt, sock, sun, DGRAM, SEQPACKET, STREAM,
};
use crate::child;
use crate::registry::Case;
use crate::sig;
use crate::sys::{eq, errno_name, nr, outcome, value, yes, BAD_PTR};

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case::new("unix.stream_eof_and_poll", stream_eof),
    Case::new("unix.stream_sigpipe", stream_sigpipe),
    Case::new("unix.close_unread_econnreset", close_unread),
    Case::new("unix.shutdown_wr", shutdown_wr),
    Case::new("unix.shutdown_rd", shutdown_rd),
    Case::new("unix.shutdown_errors", shutdown_errors),
    Case::new("unix.unconnected_stream", unconnected_stream),
    Case::new("unix.stream_fill_nonblock", stream_fill),
    Case::new("unix.peek_dontwait", peek_dontwait),
    Case::new("unix.waitall", waitall),
    Case::new("unix.poll_states", poll_states),
    Case::new("unix.dgram_boundaries", dgram_boundaries),
    Case::new("unix.dgram_trunc", dgram_trunc),
    Case::new("unix.dgram_sendto_addresses", dgram_sendto),
    Case::new("unix.dgram_errors", dgram_errors),
    Case::new("unix.dgram_peer_closed", dgram_peer_closed),
    Case::new("unix.dgram_connect_rules", dgram_connect_rules),
    Case::new("unix.dgram_queue_full", dgram_queue_full),
    Case::new("unix.seqpacket", seqpacket),
    Case::new("unix.seqpacket_unconnected", seqpacket_unconnected),
    Case::new("unix.sockopt_values", sockopt_values),
    Case::new("unix.sockopt_buffers", sockopt_buffers),
    Case::new("unix.sockopt_errors", sockopt_errors),
    Case::new("unix.so_error", so_error),
    Case::new("unix.peercred", peercred),
    Case::new("unix.rcvtimeo", rcvtimeo),
    Case::new("unix.msg_iovecs", msg_iovecs),
    Case::new("unix.msg_errors", msg_errors),
    Case::new("unix.scm_rights", scm_rights),
    Case::new("unix.scm_rights_shared_offset", scm_rights_offset),
    Case::new("unix.scm_rights_ctrunc", scm_rights_ctrunc),
    Case::new("unix.scm_rights_closed_in_flight", scm_rights_in_flight),
    Case::new("unix.scm_rights_errors", scm_rights_errors),
    Case::new("unix.scm_credentials", scm_credentials),
    Case::new("unix.scm_credentials_checked", scm_credentials_checked),
    Case::new("unix.stream_bulk_transfer", bulk_transfer),
    Case::new("unix.connect_waits_for_backlog", connect_waits),
    Case::new("unix.sndtimeo_connect", sndtimeo_connect),
    Case::new("unix.poll_waits_for_data", poll_waits),
    Case::new("unix.dgram_blocking_recv", dgram_blocking_recv),
    Case::new("unix.socket_inode_ops", socket_inode_ops),
    Case::new("unix.fionread", fionread),
    Case::new("unix.sendmmsg_recvmmsg", mmsg),
    Case::new("unix.recv_eintr", recv_eintr),
    Case::new("unix.recv_sa_restart", recv_restart),
];

fn revents(fd: i32, events: i16) -> String {
    let mut p = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    match sys!(nr::POLL, &mut p as *mut libc::pollfd, 1, 0) {
        Ok(_) => format!("{:#x}", p.revents),
        Err(e) => errno_name(e),
    }
}

const ALL: i16 = libc::POLLIN | libc::POLLOUT | libc::POLLRDHUP;

fn stream_eof() -> String {
    let (a, b) = pair(STREAM);
    let empty = revents(a, ALL);
    let _ = send(b, b"z", 0);
    let readable = revents(a, ALL);
    child::close(b);
    let closed = revents(a, ALL);
    format!(
        "empty={empty} data={readable} peer closed={closed} read={} then={}",
        recv(a, 4, 0),
        recv(a, 4, 0)
    )
}

fn stream_sigpipe() -> String {
    let killed = child::run(|| {
        let (a, b) = pair(STREAM);
        child::close(b);
        let _ = send(a, b"x", 0);
        0
    });
    let nosignal = child::run(|| {
        let (a, b) = pair(STREAM);
        child::close(b);
        if send(a, b"x", libc::MSG_NOSIGNAL) == "EPIPE" {
            7
        } else {
            1
        }
    });
    let seqpacket = child::run(|| {
        let (a, b) = pair(SEQPACKET);
        child::close(b);
        if send(a, b"x", 0) == "EPIPE" {
            7
        } else {
            1
        }
    });
    sig::disposition(libc::SIGPIPE, libc::SIG_IGN);
    let (a, b) = pair(STREAM);
    child::close(b);
    format!(
        "default={killed} MSG_NOSIGNAL={nosignal} seqpacket={seqpacket} ignored write={}",
        value(sys!(nr::WRITE, a, b"x".as_ptr(), 1))
    )
}

fn close_unread() -> String {
    let (a, b) = pair(STREAM);
    let _ = send(a, b"unread", 0);
    child::close(b);
    format!(
        "read={} then={} poll={}",
        recv(a, 4, 0),
        recv(a, 4, 0),
        revents(a, ALL)
    )
}

fn shutdown_wr() -> String {
    sig::disposition(libc::SIGPIPE, libc::SIG_IGN);
    let (a, b) = pair(STREAM);
    let _ = send(a, b"last", 0);
    let sh = outcome(sys!(nr::SHUTDOWN, a, libc::SHUT_WR));
    format!(
        "shutdown={sh} peer poll={} own poll={} peer reads {} then {} own write={} peer can still write={} own read={}",
        revents(b, ALL),
        revents(a, ALL),
        recv(b, 16, 0),
        recv(b, 16, 0),
        send(a, b"x", 0),
        send(b, b"back", 0),
        recv(a, 16, 0)
    )
}

fn shutdown_rd() -> String {
    sig::disposition(libc::SIGPIPE, libc::SIG_IGN);
    let (a, b) = pair(STREAM);
    let _ = send(b, b"queued", 0);
    let sh = outcome(sys!(nr::SHUTDOWN, a, libc::SHUT_RD));
    format!(
        "shutdown={sh} queued data still read={} then={} peer write={} own poll={}",
        recv(a, 16, 0),
        recv(a, 16, 0),
        send(b, b"x", 0),
        revents(a, ALL)
    )
}

fn shutdown_errors() -> String {
    let (a, _b) = pair(STREAM);
    let s = sock(STREAM);
    let d = sock(DGRAM);
    format!(
        "how 3={} how -1={} unconnected stream={} unconnected dgram={} rdwr={} poll after rdwr={}",
        outcome(sys!(nr::SHUTDOWN, a, 3)),
        outcome(sys!(nr::SHUTDOWN, a, -1i64)),
        outcome(sys!(nr::SHUTDOWN, s, libc::SHUT_RDWR)),
        outcome(sys!(nr::SHUTDOWN, d, libc::SHUT_WR)),
        outcome(sys!(nr::SHUTDOWN, a, libc::SHUT_RDWR)),
        revents(a, ALL)
    )
}

fn unconnected_stream() -> String {
    sig::disposition(libc::SIGPIPE, libc::SIG_IGN);
    let s = sock(STREAM);
    let (a, _b) = pair(STREAM);
    let addr = sun(b"\0basalt-abi-nowhere");
    format!(
        "recv={} send={} sendto unconnected={} sendto connected={} poll={}",
        recv(s, 4, libc::MSG_DONTWAIT),
        send(s, b"x", 0),
        value(sys!(
            nr::SENDTO,
            s,
            b"x".as_ptr(),
            1,
            0,
            addr.as_ptr(),
            addr.len()
        )),
        value(sys!(
            nr::SENDTO,
            a,
            b"x".as_ptr(),
            1,
            0,
            addr.as_ptr(),
            addr.len()
        )),
        revents(s, ALL)
    )
}

fn stream_fill() -> String {
    let (a, b) = pair(STREAM | libc::SOCK_NONBLOCK);
    let chunk = [7u8; 4096];
    let mut total = 0usize;
    let stop = loop {
        match sys!(nr::WRITE, a, chunk.as_ptr(), chunk.len()) {
            Ok(n) => total += n,
            Err(e) => break errno_name(e),
        }
        if total > 64 << 20 {
            break "no limit".into();
        }
    };
    let full = revents(a, libc::POLLOUT);
    let mut buf = vec![0u8; 1 << 16];
    let mut drained = 0usize;
    while let Ok(n) = sys!(nr::READ, b, buf.as_mut_ptr(), buf.len()) {
        if n == 0 {
            break;
        }
        drained += n;
    }
    format!(
        "stopped with {stop} some written={} poll when full={full} drained all={} poll after={}",
        yes(total > 0),
        yes(drained == total),
        revents(a, libc::POLLOUT)
    )
}

fn peek_dontwait() -> String {
    let (a, b) = pair(STREAM);
    let empty = recv(b, 4, libc::MSG_DONTWAIT);
    let _ = send(a, b"abc", 0);
    let _ = send(a, b"def", 0);
    format!(
        "empty={empty} peek={} read={} rest={}",
        recv(b, 4, libc::MSG_PEEK),
        recv(b, 4, 0),
        recv(b, 16, 0)
    )
}

fn waitall() -> String {
    let (a, b) = pair(STREAM);
    let pid = child::spawn(|| {
        let _ = send(b, b"ab", 0);
        let t = [0i64, 50_000_000];
        let _ = sys!(nr::NANOSLEEP, t.as_ptr(), 0);
        let _ = send(b, b"cd", 0);
        0
    });
    let got = recv(a, 4, libc::MSG_WAITALL);
    let _ = pid.map(child::wait_text);
    child::close(b);
    format!("waitall={got} at eof={}", recv(a, 8, libc::MSG_WAITALL))
}

fn poll_states() -> String {
    let s = sock(STREAM);
    let d = sock(DGRAM);
    let q = sock(SEQPACKET);
    let (l, addr) = listener(STREAM, "unix-pollst", 4);
    let idle = revents(l, ALL);
    let c = sock(STREAM);
    let _ = connect(c, &addr);
    let r = format!(
        "new stream={} new dgram={} new seqpacket={} listener idle={idle} pending={} connected client={}",
        revents(s, ALL),
        revents(d, ALL),
        revents(q, ALL),
        revents(l, ALL),
        revents(c, ALL)
    );
    super::unix::sock_path("unix-pollst");
    r
}

fn dgram_boundaries() -> String {
    let (a, b) = pair(DGRAM);
    let _ = send(a, b"abc", 0);
    let _ = send(a, b"de", 0);
    let _ = send(a, b"", 0);
    format!(
        "{} | {} | {} | {}",
        recv(b, 10, 0),
        recv(b, 10, 0),
        recv(b, 10, 0),
        recv(b, 10, libc::MSG_DONTWAIT)
    )
}

/// recvmsg into one buffer of `n` bytes: (return value, msg_flags, data).
fn recvmsg_flags(fd: i32, n: usize, flags: i32) -> String {
    let mut buf = vec![0u8; n];
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: n,
    };
    // SAFETY: zeroed msghdr is valid.
    let mut m: libc::msghdr = unsafe { core::mem::zeroed() };
    m.msg_iov = &mut iov;
    m.msg_iovlen = 1;
    match sys!(nr::RECVMSG, fd, &mut m as *mut libc::msghdr, flags) {
        Ok(r) => format!(
            "{r} flags={:#x} {:?}",
            m.msg_flags,
            String::from_utf8_lossy(&buf[..r.min(n)])
        ),
        Err(e) => errno_name(e),
    }
}

fn dgram_trunc() -> String {
    let (a, b) = pair(DGRAM);
    let _ = send(a, b"abcdef", 0);
    let _ = send(a, b"ghijkl", 0);
    let _ = send(a, b"mn", 0);
    format!(
        "short buffer={} MSG_TRUNC={} peek trunc={} fits={}",
        recvmsg_flags(b, 2, 0),
        recvmsg_flags(b, 2, libc::MSG_TRUNC),
        recvmsg_flags(b, 1, libc::MSG_PEEK | libc::MSG_TRUNC),
        recvmsg_flags(b, 8, 0)
    )
}

fn recvfrom_addr(fd: i32) -> String {
    let mut buf = [0u8; 16];
    let mut from = [0u8; 128];
    let mut len: u32 = 128;
    match sys!(
        nr::RECVFROM,
        fd,
        buf.as_mut_ptr(),
        16,
        0,
        from.as_mut_ptr(),
        &mut len as *mut u32
    ) {
        Ok(n) => format!(
            "{n} from len={len} {:?}",
            String::from_utf8_lossy(&from[2..(len as usize).clamp(2, 128)])
        ),
        Err(e) => errno_name(e),
    }
}

fn dgram_sendto() -> String {
    let srv = sock(DGRAM);
    let name = sun(b"\0basalt-abi-dsrv");
    let _ = bind(srv, &name);
    let anon = sock(DGRAM);
    let named = sock(DGRAM);
    let _ = bind(named, &sun(b"\0basalt-abi-dcli"));
    let to = |fd: i32, data: &[u8]| {
        value(sys!(
            nr::SENDTO,
            fd,
            data.as_ptr(),
            data.len(),
            0,
            name.as_ptr(),
            name.len()
        ))
    };
    let s1 = to(anon, b"one");
    let s2 = to(named, b"two");
    format!(
        "sent {s1} {s2}; unbound sender: {}; bound sender: {}",
        recvfrom_addr(srv),
        recvfrom_addr(srv)
    )
}

fn dgram_errors() -> String {
    let d = sock(DGRAM);
    let file = crate::scratch::create("unix-dgfile", b"x", 0o644).unwrap_or_default();
    let to = |addr: &[u8]| {
        outcome(sys!(
            nr::SENDTO,
            d,
            b"x".as_ptr(),
            1,
            0,
            addr.as_ptr(),
            addr.len()
        ))
    };
    let s = sock(STREAM);
    let _ = bind(s, &sun(b"\0basalt-abi-dstream"));
    let big = vec![0u8; 300_000];
    let small = sock(DGRAM);
    let _ = setopt(small, libc::SO_SNDBUF, 1);
    let (a, _b) = pair(DGRAM);
    let _ = setopt(a, libc::SO_SNDBUF, 1);
    let r = format!(
        "no address={} missing path={} regular file={} nobody={} stream name={} bad length={} MSG_OOB={} \
         over sndbuf={}",
        outcome(sys!(nr::SENDTO, d, b"x".as_ptr(), 1, 0, 0, 0)),
        to(&sun(b"abi-tmp-unix-none")),
        to(&sun(file.as_bytes())),
        to(&sun(b"\0basalt-abi-nobody")),
        to(&sun(b"\0basalt-abi-dstream")),
        outcome(sys!(nr::SENDTO, d, b"x".as_ptr(), 1, 0, sun(b"x").as_ptr(), 1)),
        outcome(sys!(nr::SENDTO, a, b"x".as_ptr(), 1, libc::MSG_OOB, 0, 0)),
        outcome(sys!(nr::SENDTO, a, big.as_ptr(), 8000, 0, 0, 0)),
    );
    crate::scratch::remove(&file);
    r
}

fn dgram_peer_closed() -> String {
    let (a, b) = pair(DGRAM);
    let _ = send(b, b"left", 0);
    child::close(b);
    format!(
        "queued still read={} empty recv={} send={} again={} getpeername={}",
        recv(a, 8, libc::MSG_DONTWAIT),
        recv(a, 8, libc::MSG_DONTWAIT),
        send(a, b"x", 0),
        send(a, b"x", 0),
        super::unix::name_of(a, true).map_or_else(errno_name, |(l, _)| l.to_string())
    )
}

fn dgram_connect_rules() -> String {
    let srv = sock(DGRAM);
    let _ = bind(srv, &sun(b"\0basalt-abi-dc-srv"));
    let x = sock(DGRAM);
    let _ = bind(x, &sun(b"\0basalt-abi-dc-x"));
    let other = sock(DGRAM);
    let conn = outcome(connect(srv, &sun(b"\0basalt-abi-dc-x")));
    let eperm = outcome(sys!(
        nr::SENDTO,
        other,
        b"x".as_ptr(),
        1,
        0,
        sun(b"\0basalt-abi-dc-srv").as_ptr(),
        sun(b"\0basalt-abi-dc-srv").len()
    ));
    let connect_eperm = outcome(connect(other, &sun(b"\0basalt-abi-dc-srv")));
    let from_x = value(sys!(
        nr::SENDTO,
        x,
        b"x".as_ptr(),
        1,
        0,
        sun(b"\0basalt-abi-dc-srv").as_ptr(),
        sun(b"\0basalt-abi-dc-srv").len()
    ));
    let peer = super::unix::name_of(srv, true).map_or_else(errno_name, |(l, _)| l.to_string());
    let unspec = [0u8, 0];
    let dissolve = outcome(sys!(nr::CONNECT, srv, unspec.as_ptr(), 2));
    format!(
        "connect={conn} stranger sendto={eperm} stranger connect={connect_eperm} peer sendto={from_x} peer len={peer} \
         AF_UNSPEC={dissolve} send after={} getpeername after={} short AF_UNSPEC={}",
        send(srv, b"y", 0),
        super::unix::name_of(srv, true).map_or_else(errno_name, |(l, _)| l.to_string()),
        outcome(sys!(nr::CONNECT, srv, unspec.as_ptr(), 1)),
    )
}

fn dgram_queue_full() -> String {
    let srv = sock(DGRAM);
    let name = sun(b"\0basalt-abi-dq");
    let _ = bind(srv, &name);
    let c = sock(DGRAM | libc::SOCK_NONBLOCK);
    let _ = connect(c, &name);
    let mut sent = 0;
    let stop = loop {
        match sys!(nr::SENDTO, c, b"x".as_ptr(), 1, 0, 0, 0) {
            Ok(_) => sent += 1,
            Err(e) => break errno_name(e),
        }
        if sent > 100_000 {
            break "no limit".into();
        }
    };
    format!(
        "stopped with {stop} after some={} pollout when full={}",
        yes(sent > 0),
        revents(c, libc::POLLOUT)
    )
}

fn seqpacket() -> String {
    sig::disposition(libc::SIGPIPE, libc::SIG_IGN);
    let (l, addr) = listener(SEQPACKET, "unix-seq", 4);
    let c = sock(SEQPACKET);
    let conn = outcome(connect(c, &addr));
    let s = sys!(nr::ACCEPT, l, 0, 0).map_or(-1, |v| v as i32);
    let _ = send(c, b"first", 0);
    let _ = send(c, b"second", 0);
    let r1 = recvmsg_flags(s, 3, 0);
    let r2 = recvmsg_flags(s, 16, 0);
    child::close(c);
    let r = format!(
        "connect={conn} {r1} | {r2} | after close: recv={} send={} poll={}",
        recv(s, 8, 0),
        send(s, b"x", 0),
        revents(s, ALL)
    );
    super::unix::sock_path("unix-seq");
    r
}

fn seqpacket_unconnected() -> String {
    let q = sock(SEQPACKET);
    let addr = sun(b"\0basalt-abi-seqnone");
    format!(
        "send={} sendto={} recv={} listen unbound={}",
        send(q, b"x", 0),
        value(sys!(
            nr::SENDTO,
            q,
            b"x".as_ptr(),
            1,
            0,
            addr.as_ptr(),
            addr.len()
        )),
        recv(q, 4, libc::MSG_DONTWAIT),
        outcome(sys!(nr::LISTEN, q, 1)),
    )
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
    super::unix::sock_path("unix-peercred");
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

fn msg_iovecs() -> String {
    let (a, b) = pair(SEQPACKET);
    let parts: [&[u8]; 3] = [b"ab", b"", b"cde"];
    let iov: Vec<libc::iovec> = parts
        .iter()
        .map(|p| libc::iovec {
            iov_base: p.as_ptr() as *mut libc::c_void,
            iov_len: p.len(),
        })
        .collect();
    // SAFETY: zeroed msghdr is valid.
    let mut m: libc::msghdr = unsafe { core::mem::zeroed() };
    m.msg_iov = iov.as_ptr() as *mut libc::iovec;
    m.msg_iovlen = 3;
    let sent = value(sys!(nr::SENDMSG, a, &m as *const libc::msghdr, 0));
    let mut x = [0u8; 3];
    let mut y = [0u8; 8];
    let mut riov = [
        libc::iovec {
            iov_base: x.as_mut_ptr().cast(),
            iov_len: 3,
        },
        libc::iovec {
            iov_base: y.as_mut_ptr().cast(),
            iov_len: 8,
        },
    ];
    // SAFETY: zeroed msghdr is valid.
    let mut r: libc::msghdr = unsafe { core::mem::zeroed() };
    r.msg_iov = riov.as_mut_ptr();
    r.msg_iovlen = 2;
    let got = value(sys!(nr::RECVMSG, b, &mut r as *mut libc::msghdr, 0));
    format!(
        "sendmsg={sent} recvmsg={got} {:?} {:?} controllen={} flags={}",
        String::from_utf8_lossy(&x),
        String::from_utf8_lossy(&y[..2]),
        r.msg_controllen,
        r.msg_flags
    )
}

fn msg_errors() -> String {
    let (a, b) = pair(DGRAM);
    let data = *b"x";
    let mut iov = libc::iovec {
        iov_base: data.as_ptr() as *mut libc::c_void,
        iov_len: 1,
    };
    // SAFETY: zeroed msghdr is valid.
    let mut m: libc::msghdr = unsafe { core::mem::zeroed() };
    m.msg_iov = &mut iov;
    m.msg_iovlen = 1;
    let mut many = m;
    many.msg_iovlen = 1025;
    let mut bad_iov = m;
    bad_iov.msg_iov = BAD_PTR as *mut libc::iovec;
    let name = sun(b"\0x");
    let mut neg_name = m;
    neg_name.msg_name = name.as_ptr() as *mut libc::c_void;
    neg_name.msg_namelen = u32::MAX;
    let mut huge_control = m;
    huge_control.msg_control = data.as_ptr() as *mut libc::c_void;
    huge_control.msg_controllen = 1 << 31;
    let mut bad_control = m;
    bad_control.msg_control = BAD_PTR as *mut libc::c_void;
    bad_control.msg_controllen = 32;
    let mut bad_buf = m;
    let mut biov = libc::iovec {
        iov_base: BAD_PTR as *mut libc::c_void,
        iov_len: 4,
    };
    bad_buf.msg_iov = &mut biov;
    let _ = send(a, b"q", 0);
    let s = |msg: &libc::msghdr| outcome(sys!(nr::SENDMSG, a, msg as *const libc::msghdr, 0));
    format!(
        "msghdr efault={} iovlen 1025={} iov efault={} namelen -1={} controllen 2^31={} control efault={} \
         data efault={} recv into bad buffer={} recvmsg efault={}",
        outcome(sys!(nr::SENDMSG, a, BAD_PTR, 0)),
        s(&many),
        s(&bad_iov),
        s(&neg_name),
        s(&huge_control),
        s(&bad_control),
        s(&bad_buf),
        outcome(sys!(nr::RECVMSG, b, &mut bad_buf as *mut libc::msghdr, 0)),
        outcome(sys!(nr::RECVMSG, b, BAD_PTR, 0)),
    )
}

/// sendmsg of `data` with SCM_RIGHTS for `fds`.
fn send_fds(sock: i32, data: &[u8], fds: &[i32]) -> String {
    let mut control = vec![0u8; 16 + ((fds.len() * 4 + 7) & !7)];
    control[..8].copy_from_slice(&((16 + fds.len() * 4) as u64).to_le_bytes());
    control[8..12].copy_from_slice(&libc::SOL_SOCKET.to_le_bytes());
    control[12..16].copy_from_slice(&libc::SCM_RIGHTS.to_le_bytes());
    for (i, fd) in fds.iter().enumerate() {
        control[16 + i * 4..20 + i * 4].copy_from_slice(&fd.to_le_bytes());
    }
    send_control(sock, data, &control, 0)
}

fn send_control(sock: i32, data: &[u8], control: &[u8], flags: i32) -> String {
    let mut iov = libc::iovec {
        iov_base: data.as_ptr() as *mut libc::c_void,
        iov_len: data.len(),
    };
    // SAFETY: zeroed msghdr is valid.
    let mut m: libc::msghdr = unsafe { core::mem::zeroed() };
    m.msg_iov = &mut iov;
    m.msg_iovlen = 1;
    m.msg_control = control.as_ptr() as *mut libc::c_void;
    m.msg_controllen = control.len() as _;
    value(sys!(nr::SENDMSG, sock, &m as *const libc::msghdr, flags))
}

/// What one recvmsg with `space` control bytes returned: data count, flags, control bytes.
struct Got {
    n: String,
    flags: i32,
    control: Vec<u8>,
}

fn recv_control(sock: i32, space: usize, flags: i32) -> Got {
    let mut buf = [0u8; 64];
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: 64,
    };
    let mut control = vec![0u8; space];
    // SAFETY: zeroed msghdr is valid.
    let mut m: libc::msghdr = unsafe { core::mem::zeroed() };
    m.msg_iov = &mut iov;
    m.msg_iovlen = 1;
    if space > 0 {
        m.msg_control = control.as_mut_ptr().cast();
        m.msg_controllen = space as _;
    }
    let n = value(sys!(nr::RECVMSG, sock, &mut m as *mut libc::msghdr, flags));
    control.truncate((m.msg_controllen as usize).min(space));
    Got {
        n,
        flags: m.msg_flags,
        control,
    }
}

/// The descriptors of the first SCM_RIGHTS message in `c`.
fn fds_in(c: &[u8]) -> Vec<i32> {
    if c.len() < 16 {
        return vec![];
    }
    let len = u64::from_le_bytes(c[..8].try_into().unwrap_or_default()) as usize;
    c.get(16..len.min(c.len()))
        .unwrap_or(&[])
        .chunks_exact(4)
        .map(|w| i32::from_le_bytes([w[0], w[1], w[2], w[3]]))
        .collect()
}

fn header(c: &[u8]) -> String {
    if c.len() < 16 {
        return "none".into();
    }
    format!(
        "len={} level={} type={}",
        u64::from_le_bytes(c[..8].try_into().unwrap_or_default()),
        i32::from_le_bytes(c[8..12].try_into().unwrap_or_default()),
        i32::from_le_bytes(c[12..16].try_into().unwrap_or_default())
    )
}

fn scm_rights() -> String {
    let (a, b) = pair(STREAM);
    let (pr, pw) = child::pipe();
    let sent = send_fds(a, b"F", &[pr]);
    child::close(pr);
    let got = recv_control(b, 64, 0);
    let fds = fds_in(&got.control);
    let _ = child::write_all(pw, b"through");
    let mut buf = [0u8; 16];
    let read = fds.first().map_or("no fd".into(), |&fd| {
        value(sys!(nr::READ, fd, buf.as_mut_ptr(), 16))
    });
    let cloexec = fds.first().map_or(-1, |&fd| {
        sys!(nr::FCNTL, fd, libc::F_GETFD).map_or(-1, |v| v as i32)
    });
    let _ = send_fds(a, b"G", &[pw]);
    let with_flag = recv_control(b, 64, libc::MSG_CMSG_CLOEXEC);
    let fd2 = fds_in(&with_flag.control);
    format!(
        "sent={sent} recv={} flags={:#x} controllen={} {} fds={} read through it={read} {:?} cloexec={cloexec} \
         MSG_CMSG_CLOEXEC cloexec={}",
        got.n,
        got.flags,
        got.control.len(),
        header(&got.control),
        fds.len(),
        String::from_utf8_lossy(&buf[..7]),
        fd2.first()
            .map_or(-1, |&fd| sys!(nr::FCNTL, fd, libc::F_GETFD).map_or(-1, |v| v as i32)),
    )
}

fn scm_rights_offset() -> String {
    let path = crate::scratch::create("unix-offset", b"0123456789", 0o644).unwrap_or_default();
    let fd = crate::scratch::open(&path, libc::O_RDONLY, 0).unwrap_or(-1);
    let (a, b) = pair(DGRAM);
    let _ = send_fds(a, b"f", &[fd]);
    let got = fds_in(&recv_control(b, 64, 0).control);
    let theirs = got.first().copied().unwrap_or(-1);
    let _ = sys!(nr::LSEEK, theirs, 4, libc::SEEK_SET);
    let mut buf = [0u8; 2];
    let r = value(sys!(nr::READ, fd, buf.as_mut_ptr(), 2));
    crate::scratch::remove(&path);
    format!(
        "seek through the passed fd moves the original: read {r} {:?}",
        String::from_utf8_lossy(&buf)
    )
}

fn scm_rights_ctrunc() -> String {
    let (a, b) = pair(STREAM);
    let (p1, p2) = child::pipe();
    let _ = send_fds(a, b"1", &[p1, p2]);
    let one = recv_control(b, 20, 0);
    let _ = send_fds(a, b"2", &[p1]);
    let none = recv_control(b, 0, 0);
    let _ = send_fds(a, b"3", &[p1]);
    let tiny = recv_control(b, 8, 0);
    format!(
        "room for one: flags={:#x} controllen={} fds={} {}; no buffer: {} flags={:#x}; 8 bytes: flags={:#x} controllen={}",
        one.flags,
        one.control.len(),
        fds_in(&one.control).len(),
        header(&one.control),
        none.n,
        none.flags,
        tiny.flags,
        tiny.control.len()
    )
}

fn scm_rights_in_flight() -> String {
    let (a, b) = pair(STREAM);
    let (pr, pw) = child::pipe();
    let _ = send_fds(a, b"w", &[pw]);
    child::close(pw);
    // The only other reference to the write end is in flight; closing the receiver closes it.
    child::close(b);
    let mut buf = [0u8; 4];
    let eof = value(sys!(nr::READ, pr, buf.as_mut_ptr(), 4));
    format!("reader sees eof={eof}")
}

fn scm_rights_errors() -> String {
    let (a, _b) = pair(STREAM);
    let mut short = vec![0u8; 24];
    short[..8].copy_from_slice(&8u64.to_le_bytes());
    short[8..12].copy_from_slice(&libc::SOL_SOCKET.to_le_bytes());
    short[12..16].copy_from_slice(&libc::SCM_RIGHTS.to_le_bytes());
    let mut unknown = vec![0u8; 16];
    unknown[..8].copy_from_slice(&16u64.to_le_bytes());
    unknown[8..12].copy_from_slice(&libc::SOL_SOCKET.to_le_bytes());
    unknown[12..16].copy_from_slice(&99i32.to_le_bytes());
    let mut other_level = unknown.clone();
    other_level[8..12].copy_from_slice(&6i32.to_le_bytes());
    let mut too_long = unknown.clone();
    too_long[..8].copy_from_slice(&64u64.to_le_bytes());
    let many: Vec<i32> = vec![0; 254];
    format!(
        "fd -1={} closed fd={} cmsg_len 8={} unknown type={} other level={} cmsg_len past end={} 254 fds={}",
        send_fds(a, b"x", &[-1]),
        send_fds(a, b"x", &[999]),
        send_control(a, b"x", &short, 0),
        send_control(a, b"x", &unknown, 0),
        send_control(a, b"x", &other_level, 0),
        send_control(a, b"x", &too_long, 0),
        send_fds(a, b"x", &many),
    )
}

fn creds_control(pid: i32, uid: u32, gid: u32) -> Vec<u8> {
    let mut c = vec![0u8; 32];
    c[..8].copy_from_slice(&28u64.to_le_bytes());
    c[8..12].copy_from_slice(&libc::SOL_SOCKET.to_le_bytes());
    c[12..16].copy_from_slice(&libc::SCM_CREDENTIALS.to_le_bytes());
    c[16..20].copy_from_slice(&pid.to_le_bytes());
    c[20..24].copy_from_slice(&uid.to_le_bytes());
    c[24..28].copy_from_slice(&gid.to_le_bytes());
    c
}

fn creds_in(c: &[u8]) -> Option<(i32, u32, u32)> {
    let w = |i: usize| c.get(i..i + 4).map(|b| [b[0], b[1], b[2], b[3]]);
    Some((
        i32::from_le_bytes(w(16)?),
        u32::from_le_bytes(w(20)?),
        u32::from_le_bytes(w(24)?),
    ))
}

fn scm_credentials() -> String {
    let me = sys!(nr::GETPID).unwrap_or(0) as i32;
    let uid = sys!(nr::GETUID).unwrap_or(0) as u32;
    let (a, b) = pair(DGRAM);
    let without = {
        let _ = send(a, b"x", 0);
        recv_control(b, 64, 0)
    };
    let _ = setopt(b, libc::SO_PASSCRED, 1);
    let _ = send(a, b"y", 0);
    let with = recv_control(b, 64, 0);
    let c = creds_in(&with.control);
    format!(
        "without SO_PASSCRED controllen={}; with: controllen={} {} pid={} uid={}",
        without.control.len(),
        with.control.len(),
        header(&with.control),
        eq(c.map(|c| c.0), Some(me)),
        eq(c.map(|c| c.1), Some(uid))
    )
}

fn scm_credentials_checked() -> String {
    let me = sys!(nr::GETPID).unwrap_or(0) as i32;
    let (a, b) = pair(DGRAM);
    let _ = setopt(b, libc::SO_PASSCRED, 1);
    let root_other_pid = send_control(a, b"r", &creds_control(1, 5, 5), 0);
    let got = creds_in(&recv_control(b, 64, 0).control);
    let unprivileged = child::ask(|| {
        if sys!(nr::SETGID, 1000).is_err() || sys!(nr::SETUID, 1000).is_err() {
            return "setuid failed".into();
        }
        let pid = sys!(nr::GETPID).unwrap_or(0) as i32;
        format!(
            "own={} other pid={} uid 0={} gid 0={}",
            send_control(a, b"u", &creds_control(pid, 1000, 1000), 0),
            send_control(a, b"u", &creds_control(1, 1000, 1000), 0),
            send_control(a, b"u", &creds_control(pid, 0, 1000), 0),
            send_control(a, b"u", &creds_control(pid, 1000, 0), 0),
        )
    });
    let bad_len = {
        let mut c = creds_control(me, 0, 0);
        c[..8].copy_from_slice(&24u64.to_le_bytes());
        send_control(a, b"l", &c, 0)
    };
    format!(
        "root claims pid 1 uid 5={root_other_pid} received={:?}; unprivileged: {unprivileged}; cmsg_len 24={bad_len}",
        got
    )
}

extern "C" fn on_alarm(_: i32, _: *mut libc::siginfo_t, _: *mut libc::c_void) {}

fn itimer(usec: i64) {
    let t: [i64; 4] = [0, usec, 0, usec];
    let _ = sys!(nr::SETITIMER, libc::ITIMER_REAL, t.as_ptr(), 0);
}

fn recv_eintr() -> String {
    let _ = sig::handle(libc::SIGALRM, on_alarm, 0, &[]);
    let (a, _b) = pair(STREAM);
    let (l, _addr) = listener(STREAM, "unix-eintr", 4);
    itimer(15_000);
    let r = recv(a, 4, 0);
    let acc = outcome(sys!(nr::ACCEPT, l, 0, 0));
    itimer(0);
    super::unix::sock_path("unix-eintr");
    format!("recv={r} accept={acc}")
}

fn recv_restart() -> String {
    let _ = sig::record_on(libc::SIGALRM, libc::SA_RESTART);
    let (a, b) = pair(STREAM);
    let pid = child::spawn(|| {
        let t = [0i64, 120_000_000];
        let _ = sys!(nr::NANOSLEEP, t.as_ptr(), 0);
        let _ = send(b, b"late", 0);
        0
    });
    itimer(15_000);
    let r = recv(a, 8, 0);
    itimer(0);
    let _ = pid.map(child::wait_text);
    format!("recv={r} handler ran={}", yes(sig::hits(libc::SIGALRM) > 0))
}

fn sleep_ms(ms: i64) {
    let t = [0i64, ms * 1_000_000];
    let _ = sys!(nr::NANOSLEEP, t.as_ptr(), 0);
}

fn bulk_transfer() -> String {
    const TOTAL: usize = 1 << 20;
    let (a, b) = pair(STREAM);
    let pid = child::spawn(|| {
        child::close(a);
        let data: Vec<u8> = (0..TOTAL).map(|i| (i % 251) as u8).collect();
        i32::from(child::write_all(b, &data).is_err())
    });
    child::close(b);
    let got = child::read_to_end(a);
    let intact = got.len() == TOTAL && got.iter().enumerate().all(|(i, &v)| v == (i % 251) as u8);
    let status = pid.map_or_else(errno_name, child::wait_text);
    format!("received all intact={} writer {status}", yes(intact))
}

fn connect_waits() -> String {
    let (l, addr) = listener(STREAM, "unix-cwait", 0);
    let c1 = sock(STREAM);
    let first = outcome(connect(c1, &addr));
    let pid = child::spawn(|| {
        let c2 = sock(STREAM);
        i32::from(connect(c2, &addr).is_err())
    });
    sleep_ms(50);
    let _ = sys!(nr::ACCEPT, l, 0, 0);
    let status = pid.map_or_else(errno_name, child::wait_text);
    super::unix::sock_path("unix-cwait");
    format!("first={first} blocked connect after an accept: {status}")
}

fn sndtimeo_connect() -> String {
    let (_l, addr) = listener(STREAM, "unix-ctimeo", 0);
    let c1 = sock(STREAM);
    let _ = connect(c1, &addr);
    let c2 = sock(STREAM);
    let tv: [i64; 2] = [0, 30_000];
    let set = outcome(sys!(
        nr::SETSOCKOPT,
        c2,
        libc::SOL_SOCKET,
        libc::SO_SNDTIMEO,
        tv.as_ptr(),
        16
    ));
    let r = outcome(connect(c2, &addr));
    super::unix::sock_path("unix-ctimeo");
    format!("set={set} connect={r}")
}

fn poll_waits() -> String {
    let (a, b) = pair(STREAM);
    let pid = child::spawn(|| {
        sleep_ms(50);
        i32::from(send(b, b"!", 0) != "1")
    });
    let mut p = libc::pollfd {
        fd: a,
        events: libc::POLLIN,
        revents: 0,
    };
    let n = value(sys!(nr::POLL, &mut p as *mut libc::pollfd, 1, -1i64));
    let status = pid.map_or_else(errno_name, child::wait_text);
    format!(
        "poll={n} revents={:#x} {} child {status}",
        p.revents,
        recv(a, 4, 0)
    )
}

fn dgram_blocking_recv() -> String {
    let srv = sock(DGRAM);
    let name = sun(b"\0basalt-abi-dblock");
    let _ = bind(srv, &name);
    let pid = child::spawn(|| {
        sleep_ms(50);
        let c = sock(DGRAM);
        i32::from(
            sys!(
                nr::SENDTO,
                c,
                b"late".as_ptr(),
                4,
                0,
                name.as_ptr(),
                name.len()
            )
            .is_err(),
        )
    });
    let r = recv(srv, 16, 0);
    let status = pid.map_or_else(errno_name, child::wait_text);
    format!("recv={r} child {status}")
}

fn socket_inode_ops() -> String {
    let (l, addr) = listener(STREAM, "unix-inode", 4);
    let path = std::ffi::CString::new(&addr[2..]).unwrap_or_default();
    let open = outcome(sys!(nr::OPEN, path.as_ptr(), libc::O_RDONLY));
    let unlink = outcome(sys!(nr::UNLINK, path.as_ptr()));
    let c = sock(STREAM);
    let after = outcome(connect(c, &addr));
    let name_kept = super::unix::name_of(l, false).map_or(0, |(len, _)| len) == addr.len() + 1;
    format!(
        "open={open} unlink={unlink} connect after unlink={after} listener keeps its name={}",
        yes(name_kept)
    )
}

fn ioctl_int(fd: i32, cmd: u64) -> String {
    let mut v: i32 = -1;
    match sys!(nr::IOCTL, fd, cmd, &mut v as *mut i32) {
        Ok(_) => v.to_string(),
        Err(e) => errno_name(e),
    }
}

fn fionread() -> String {
    const SIOCOUTQ: u64 = 0x5411;
    let fion = libc::FIONREAD as u64;
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
        ioctl_int(s1, libc::TCGETS as u64),
    );
    super::unix::sock_path("unix-fionread");
    r
}

fn mmsg() -> String {
    let (a, b) = pair(DGRAM);
    let parts: [&[u8]; 3] = [b"one", b"three", b"x"];
    let iovs: Vec<libc::iovec> = parts
        .iter()
        .map(|p| libc::iovec {
            iov_base: p.as_ptr() as *mut libc::c_void,
            iov_len: p.len(),
        })
        .collect();
    // SAFETY: zeroed mmsghdrs are valid.
    let mut out: Vec<libc::mmsghdr> = (0..3).map(|_| unsafe { core::mem::zeroed() }).collect();
    for (m, iov) in out.iter_mut().zip(iovs.iter()) {
        m.msg_hdr.msg_iov = iov as *const libc::iovec as *mut libc::iovec;
        m.msg_hdr.msg_iovlen = 1;
    }
    let sent = value(sys!(nr::SENDMMSG, a, out.as_mut_ptr(), 3, 0));
    let lens: Vec<u32> = out.iter().map(|m| m.msg_len).collect();
    let mut bufs = [[0u8; 8]; 4];
    let mut riov: Vec<libc::iovec> = bufs
        .iter_mut()
        .map(|b| libc::iovec {
            iov_base: b.as_mut_ptr().cast(),
            iov_len: 8,
        })
        .collect();
    // SAFETY: zeroed mmsghdrs are valid.
    let mut inn: Vec<libc::mmsghdr> = (0..4).map(|_| unsafe { core::mem::zeroed() }).collect();
    for (m, iov) in inn.iter_mut().zip(riov.iter_mut()) {
        m.msg_hdr.msg_iov = iov;
        m.msg_hdr.msg_iovlen = 1;
    }
    let got = value(sys!(
        nr::RECVMMSG,
        b,
        inn.as_mut_ptr(),
        4,
        libc::MSG_DONTWAIT,
        0
    ));
    let rlens: Vec<u32> = inn.iter().take(3).map(|m| m.msg_len).collect();
    let empty = value(sys!(
        nr::RECVMMSG,
        b,
        inn.as_mut_ptr(),
        4,
        libc::MSG_DONTWAIT,
        0
    ));
    let _ = send(a, b"solo", 0);
    let one = value(sys!(
        nr::RECVMMSG,
        b,
        inn.as_mut_ptr(),
        4,
        libc::MSG_WAITFORONE,
        0
    ));
    let bad_ts: [i64; 2] = [0, 2_000_000_000];
    let _ = send(a, b"z", 0);
    let einval = value(sys!(
        nr::RECVMMSG,
        b,
        inn.as_mut_ptr(),
        4,
        libc::MSG_DONTWAIT,
        bad_ts.as_ptr()
    ));
    format!(
        "sendmmsg={sent} lens={lens:?} recvmmsg={got} lens={rlens:?} {:?} empty={empty} waitforone={one} \
         bad timeout={einval} pipe={}",
        String::from_utf8_lossy(&bufs[1][..5]),
        value(sys!(nr::SENDMMSG, child::pipe().0, out.as_mut_ptr(), 1, 0)),
    )
}
