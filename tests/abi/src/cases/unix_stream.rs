//! AF_UNIX stream sockets: end of file, EPIPE and SIGPIPE, ECONNRESET, shutdown, non-blocking and waiting
//! calls, poll readiness, interrupted and restarted receives.

use super::unix_util::*;
use crate::child;
use crate::registry::Case;
use crate::sig;
use crate::sys::{errno_name, nr, outcome, value, yes};

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
    Case::new("unix.stream_bulk_transfer", bulk_transfer),
    Case::new("unix.connect_waits_for_backlog", connect_waits),
    Case::new("unix.sndtimeo_connect", sndtimeo_connect),
    Case::new("unix.poll_waits_for_data", poll_waits),
    Case::new("unix.socket_inode_ops", socket_inode_ops),
    Case::new("unix.recv_eintr", recv_eintr),
    Case::new("unix.recv_sa_restart", recv_restart),
];

extern "C" fn on_alarm(_: i32, _: *mut libc::siginfo_t, _: *mut libc::c_void) {}

fn itimer(usec: i64) {
    let t: [i64; 4] = [0, usec, 0, usec];
    let _ = sys!(nr::SETITIMER, libc::ITIMER_REAL, t.as_ptr(), 0);
}

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
    sock_path("unix-pollst");
    r
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
    sock_path("unix-cwait");
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
    sock_path("unix-ctimeo");
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

fn socket_inode_ops() -> String {
    let (l, addr) = listener(STREAM, "unix-inode", 4);
    let path = std::ffi::CString::new(&addr[2..]).unwrap_or_default();
    let open = outcome(sys!(nr::OPEN, path.as_ptr(), libc::O_RDONLY));
    let unlink = outcome(sys!(nr::UNLINK, path.as_ptr()));
    let c = sock(STREAM);
    let after = outcome(connect(c, &addr));
    let name_kept = name_of(l, false).map_or(0, |(len, _)| len) == addr.len() + 1;
    format!(
        "open={open} unlink={unlink} connect after unlink={after} listener keeps its name={}",
        yes(name_kept)
    )
}

fn recv_eintr() -> String {
    let _ = sig::handle(libc::SIGALRM, on_alarm, 0, &[]);
    let (a, _b) = pair(STREAM);
    let (l, _addr) = listener(STREAM, "unix-eintr", 4);
    itimer(15_000);
    let r = recv(a, 4, 0);
    let acc = outcome(sys!(nr::ACCEPT, l, 0, 0));
    itimer(0);
    sock_path("unix-eintr");
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
