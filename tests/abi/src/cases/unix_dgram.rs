//! AF_UNIX datagram and seqpacket sockets: message boundaries, truncation, addressed and connected sends and
//! their errors, queue limits, sendmmsg/recvmmsg.

use super::unix_util::*;
use crate::child;
use crate::registry::Case;
use crate::sig;
use crate::sys::{errno_name, nr, outcome, value, yes};

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case::new("unix.dgram_boundaries", dgram_boundaries),
    Case::new("unix.dgram_trunc", dgram_trunc),
    Case::new("unix.dgram_sendto_addresses", dgram_sendto),
    Case::new("unix.dgram_errors", dgram_errors),
    Case::new("unix.dgram_peer_closed", dgram_peer_closed),
    Case::new("unix.dgram_connect_rules", dgram_connect_rules),
    Case::new("unix.dgram_queue_full", dgram_queue_full),
    Case::new("unix.dgram_blocking_recv", dgram_blocking_recv),
    Case::new("unix.seqpacket", seqpacket),
    Case::new("unix.seqpacket_unconnected", seqpacket_unconnected),
    Case::new("unix.sendmmsg_recvmmsg", mmsg),
];

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
        name_of(a, true).map_or_else(errno_name, |(l, _)| l.to_string())
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
    let peer = name_of(srv, true).map_or_else(errno_name, |(l, _)| l.to_string());
    let unspec = [0u8, 0];
    let dissolve = outcome(sys!(nr::CONNECT, srv, unspec.as_ptr(), 2));
    format!(
        "connect={conn} stranger sendto={eperm} stranger connect={connect_eperm} peer sendto={from_x} peer len={peer} \
         AF_UNSPEC={dissolve} send after={} getpeername after={} short AF_UNSPEC={}",
        send(srv, b"y", 0),
        name_of(srv, true).map_or_else(errno_name, |(l, _)| l.to_string()),
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
    sock_path("unix-seq");
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
