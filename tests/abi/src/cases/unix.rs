//! AF_UNIX sockets, part one: socket/socketpair arguments, names (path, abstract, autobind), listen, connect,
//! accept and their errors. Data, shutdown and readiness are in `unix_stream` and `unix_dgram`, options in
//! `unix_opts`, ancillary data in `unix_scm`; the helpers they share in `unix_util`.

use super::unix_util::*;
use crate::child;
use crate::registry::Case;
use crate::scratch;
use crate::sys::{eq, errno_name, nr, outcome, value, yes, BAD_PTR};

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case::new("unix.socket_types", socket_types),
    Case::new("unix.socket_errors", socket_errors),
    Case::new("unix.socket_flags", socket_flags),
    Case::new("unix.fstat", fstat),
    Case::new("unix.enotsock_ebadf", enotsock),
    Case::new("unix.socketpair", socketpair_roundtrip),
    Case::new("unix.socketpair_errors", socketpair_errors),
    Case::new("unix.bind_path", bind_path),
    Case::new("unix.bind_eaddrinuse", bind_eaddrinuse),
    Case::new("unix.bind_twice", bind_twice),
    Case::new("unix.bind_bad_lengths", bind_bad_lengths),
    Case::new("unix.bind_missing_dir", bind_missing_dir),
    Case::new("unix.abstract", abstract_names),
    Case::new("unix.autobind", autobind),
    Case::new("unix.path_outlives_socket", path_outlives_socket),
    Case::new("unix.listen_rules", listen_rules),
    Case::new("unix.connect_errors", connect_errors),
    Case::new("unix.connect_eprototype", connect_eprototype),
    Case::new("unix.accept_roundtrip", accept_roundtrip),
    Case::new("unix.connect_before_accept", connect_before_accept),
    Case::new("unix.eisconn", eisconn),
    Case::new("unix.backlog_eagain", backlog_eagain),
    Case::new("unix.accept_errors", accept_errors),
    Case::new("unix.accept4_flags", accept4_flags),
    Case::new("unix.accept_rcvtimeo", accept_rcvtimeo),
    Case::new("unix.listener_close_resets", listener_close_resets),
    Case::new("unix.getpeername", getpeername),
    Case::new("unix.name_length_rules", name_length_rules),
];

fn socket_types() -> String {
    let r = |ty| outcome(sys!(nr::SOCKET, libc::AF_UNIX, ty, 0));
    let raw = sock(libc::SOCK_RAW);
    format!(
        "stream={} dgram={} seqpacket={} raw={} raw SO_TYPE={} protocol 1={}",
        r(STREAM),
        r(DGRAM),
        r(SEQPACKET),
        r(libc::SOCK_RAW),
        getopt(raw, libc::SO_TYPE),
        outcome(sys!(nr::SOCKET, libc::AF_UNIX, STREAM, 1))
    )
}

fn socket_errors() -> String {
    let r = |d: i32, t: i32, p: i32| outcome(sys!(nr::SOCKET, d, t, p));
    format!(
        "family 46={} family -1={} bad flag={} type 12={} protocol 7={} type 4={} type 0={} type 10={} \
         bad flag beats family={}",
        r(46, STREAM, 0),
        r(-1, STREAM, 0),
        r(libc::AF_UNIX, STREAM | 0x40, 0),
        r(libc::AF_UNIX, 12, 0),
        r(libc::AF_UNIX, STREAM, 7),
        r(libc::AF_UNIX, 4, 0),
        r(libc::AF_UNIX, 0, 0),
        r(libc::AF_UNIX, 10, 0),
        r(46, STREAM | 0x40, 0)
    )
}

fn socket_flags() -> String {
    let plain = sock(STREAM);
    let flagged = sock(STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC);
    let fl = |fd| sys!(nr::FCNTL, fd, libc::F_GETFL).map_or(-1, |v| v as i32);
    let fd = |fd| sys!(nr::FCNTL, fd, libc::F_GETFD).map_or(-1, |v| v as i32);
    format!(
        "plain accmode={} nonblock={} cloexec={}; flagged nonblock={} cloexec={}",
        fl(plain) & libc::O_ACCMODE,
        yes(fl(plain) & libc::O_NONBLOCK != 0),
        fd(plain),
        yes(fl(flagged) & libc::O_NONBLOCK != 0),
        fd(flagged)
    )
}

fn fstat() -> String {
    let s = sock(DGRAM);
    // SAFETY: zeroed stat is a valid buffer.
    let mut st: libc::stat = unsafe { core::mem::zeroed() };
    if let Err(e) = sys!(nr::FSTAT, s, &mut st as *mut libc::stat) {
        return errno_name(e);
    }
    format!(
        "socket={} perms={:o} lseek={}",
        yes(st.st_mode & libc::S_IFMT == libc::S_IFSOCK),
        st.st_mode & 0o7777,
        outcome(sys!(nr::LSEEK, s, 0, 0))
    )
}

fn enotsock() -> String {
    let (r, _w) = child::pipe();
    let addr = sun(b"x");
    let mut len: u32 = 16;
    let mut buf = [0u8; 16];
    let mut all = |fd: i32| {
        [
            outcome(bind(fd, &addr)),
            outcome(sys!(nr::LISTEN, fd, 1)),
            outcome(sys!(nr::ACCEPT, fd, 0, 0)),
            outcome(connect(fd, &addr)),
            outcome(sys!(
                nr::GETSOCKNAME,
                fd,
                buf.as_mut_ptr(),
                &mut len as *mut u32
            )),
            outcome(sys!(nr::SHUTDOWN, fd, 0)),
            outcome(sys!(nr::SENDTO, fd, buf.as_ptr(), 1, 0, 0, 0)),
            outcome(sys!(
                nr::RECVFROM,
                fd,
                buf.as_mut_ptr(),
                1,
                libc::MSG_DONTWAIT,
                0,
                0
            )),
            getopt(fd, libc::SO_TYPE),
        ]
        .join(",")
    };
    format!("pipe: {}; closed: {}", all(r), all(999))
}

fn socketpair_roundtrip() -> String {
    let (a, b) = pair(STREAM);
    let w1 = send(a, b"ping", 0);
    let r1 = recv(b, 16, 0);
    let w2 = value(sys!(nr::WRITE, b, b"pong".as_ptr(), 4));
    let mut buf = [0u8; 16];
    let r2 = value(sys!(nr::READ, a, buf.as_mut_ptr(), 16));
    format!(
        "a->b {w1} {r1}; b->a {w2} {r2} {:?}",
        String::from_utf8_lossy(&buf[..4])
    )
}

fn socketpair_errors() -> String {
    let mut sv = [-1i32; 2];
    format!(
        "efault={} family 46={} bad type={} protocol 7={} dgram={} seqpacket={}",
        outcome(sys!(nr::SOCKETPAIR, libc::AF_UNIX, STREAM, 0, BAD_PTR)),
        outcome(sys!(nr::SOCKETPAIR, 46, STREAM, 0, sv.as_mut_ptr())),
        outcome(sys!(nr::SOCKETPAIR, libc::AF_UNIX, 4, 0, sv.as_mut_ptr())),
        outcome(sys!(
            nr::SOCKETPAIR,
            libc::AF_UNIX,
            STREAM,
            7,
            sv.as_mut_ptr()
        )),
        outcome(sys!(
            nr::SOCKETPAIR,
            libc::AF_UNIX,
            DGRAM,
            0,
            sv.as_mut_ptr()
        )),
        outcome(sys!(
            nr::SOCKETPAIR,
            libc::AF_UNIX,
            SEQPACKET,
            0,
            sv.as_mut_ptr()
        )),
    )
}

fn bind_path() -> String {
    let p = sock_path("unix-bind");
    let s = sock(STREAM);
    let b = outcome(bind(s, &sun(p.as_bytes())));
    // SAFETY: zeroed stat is a valid buffer.
    let mut st: libc::stat = unsafe { core::mem::zeroed() };
    let cpath = std::ffi::CString::new(p.clone()).unwrap_or_default();
    let stat = sys!(nr::STAT, cpath.as_ptr(), &mut st as *mut libc::stat);
    let name = name_of(s, false);
    let expected = {
        let mut v = sun(p.as_bytes());
        v.push(0);
        v
    };
    let r = format!(
        "bind={b} stat={} socket inode={} perms={:o} name len is path+3={} bytes={}",
        outcome(stat),
        yes(st.st_mode & libc::S_IFMT == libc::S_IFSOCK),
        st.st_mode & 0o7777,
        yes(name.as_ref().is_ok_and(|(l, _)| *l == p.len() + 3)),
        eq(name.map(|(_, b)| b).unwrap_or_default(), expected)
    );
    scratch::remove(&p);
    r
}

fn bind_eaddrinuse() -> String {
    let p = sock_path("unix-inuse");
    let a = sock(STREAM);
    let _ = bind(a, &sun(p.as_bytes()));
    let b = sock(DGRAM);
    let again = outcome(bind(b, &sun(p.as_bytes())));
    let file = scratch::create("unix-regular", b"x", 0o644).unwrap_or_default();
    let on_file = outcome(bind(b, &sun(file.as_bytes())));
    scratch::remove(&p);
    scratch::remove(&file);
    format!("same path={again} regular file={on_file}")
}

fn bind_twice() -> String {
    let p1 = sock_path("unix-twice1");
    let p2 = sock_path("unix-twice2");
    let s = sock(STREAM);
    let first = outcome(bind(s, &sun(p1.as_bytes())));
    let second = outcome(bind(s, &sun(p2.as_bytes())));
    let abs = outcome(bind(s, &sun(b"\0basalt-abi-twice")));
    let cpath = std::ffi::CString::new(p2.clone()).unwrap_or_default();
    // SAFETY: zeroed stat is a valid buffer.
    let mut st: libc::stat = unsafe { core::mem::zeroed() };
    let left = outcome(sys!(nr::STAT, cpath.as_ptr(), &mut st as *mut libc::stat));
    scratch::remove(&p1);
    scratch::remove(&p2);
    format!("first={first} second={second} abstract={abs} second path left={left}")
}

fn bind_bad_lengths() -> String {
    let s = sock(STREAM);
    let addr = sun(b"abi-tmp-unix-len");
    let big = [1u8; 129];
    let mut over = [b'a'; 111];
    over[0] = 1;
    over[1] = 0;
    let wrong_family = [2u8, 0, b'a', 0];
    format!(
        "len 0={} len 1={} len 2 wrong family={} len 111={} len 129={} family 2={} efault={} null len 0={}",
        outcome(sys!(nr::BIND, s, addr.as_ptr(), 0)),
        outcome(sys!(nr::BIND, s, addr.as_ptr(), 1)),
        outcome(sys!(nr::BIND, s, wrong_family.as_ptr(), 2)),
        outcome(sys!(nr::BIND, s, over.as_ptr(), 111)),
        outcome(sys!(nr::BIND, s, big.as_ptr(), 129)),
        outcome(sys!(nr::BIND, s, wrong_family.as_ptr(), 4)),
        outcome(sys!(nr::BIND, s, BAD_PTR, 20)),
        outcome(sys!(nr::BIND, s, 0, 0)),
    )
}

fn bind_missing_dir() -> String {
    let s = sock(STREAM);
    let file = scratch::create("unix-notdir", b"x", 0o644).unwrap_or_default();
    let under_file = format!("{file}/sock");
    let r = format!(
        "missing dir={} under a file={}",
        outcome(bind(s, &sun(b"abi-tmp-no-such-dir/sock"))),
        outcome(bind(s, &sun(under_file.as_bytes())))
    );
    scratch::remove(&file);
    r
}

fn abstract_names() -> String {
    let name = b"\0basalt-abi-abstract";
    let a = sock(DGRAM);
    let bound = outcome(bind(a, &sun(name)));
    let got = name_of(a, false);
    let b = sock(DGRAM);
    let taken = outcome(bind(b, &sun(name)));
    child::close(a);
    let after_close = outcome(bind(b, &sun(name)));
    // An abstract name is as long as the address says: trailing NULs count.
    let c = sock(DGRAM);
    let with_nul = outcome(bind(c, &sun(b"\0basalt-abi-abstract\0")));
    let c_len = name_of(c, false).map_or(0, |(l, _)| l);
    format!(
        "bind={bound} name len={} same bytes={} taken={taken} free after close={after_close} \
         trailing nul distinct={with_nul} len={c_len}",
        got.as_ref().map_or(0, |(l, _)| *l),
        eq(got.map(|(_, b)| b).unwrap_or_default(), sun(name))
    )
}

fn autobind() -> String {
    let s = sock(DGRAM);
    let r = outcome(bind(s, &[1, 0]));
    let Ok((len, bytes)) = name_of(s, false) else {
        return "getsockname failed".into();
    };
    let hex = bytes.get(3..8).is_some_and(|d| {
        d.iter()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
    });
    let again = outcome(bind(s, &[1, 0]));
    let same = name_of(s, false).map(|(_, b)| b).unwrap_or_default() == bytes;
    let named = sock(DGRAM);
    let _ = bind(named, &sun(b"\0basalt-abi-autobind"));
    let on_named = outcome(bind(named, &[1, 0]));
    format!(
        "bind={r} len={len} leading nul={} five hex digits={} again={again} unchanged={} on a named socket={on_named}",
        yes(bytes.get(2) == Some(&0)),
        yes(hex),
        yes(same)
    )
}

fn path_outlives_socket() -> String {
    let (l, addr) = listener(STREAM, "unix-outlive", 4);
    child::close(l);
    let cpath = std::ffi::CString::new(&addr[2..]).unwrap_or_default();
    let still = sys!(nr::ACCESS, cpath.as_ptr(), 0);
    let c = sock(STREAM);
    let r = format!(
        "path still there={} connect={}",
        outcome(still),
        outcome(connect(c, &addr))
    );
    scratch::remove(&String::from_utf8_lossy(&addr[2..]));
    r
}

fn listen_rules() -> String {
    let unbound = sock(STREAM);
    let d = sock(DGRAM);
    let _ = bind(d, &[1, 0]);
    let (l, addr) = listener(STREAM, "unix-listen", 5);
    let (a, _b) = pair(STREAM);
    let r = format!(
        "unbound={} dgram={} acceptconn before={} after={} relisten={} connected={} pair acceptconn={}",
        outcome(sys!(nr::LISTEN, unbound, 1)),
        outcome(sys!(nr::LISTEN, d, 1)),
        getopt(unbound, libc::SO_ACCEPTCONN),
        getopt(l, libc::SO_ACCEPTCONN),
        outcome(sys!(nr::LISTEN, l, -1i64)),
        outcome(sys!(nr::LISTEN, a, 1)),
        getopt(a, libc::SO_ACCEPTCONN),
    );
    scratch::remove(&String::from_utf8_lossy(&addr[2..]));
    r
}

fn connect_errors() -> String {
    let c = sock(STREAM);
    let file = scratch::create("unix-connfile", b"x", 0o644).unwrap_or_default();
    let p = sock_path("unix-notlisten");
    let bound = sock(STREAM);
    let _ = bind(bound, &sun(p.as_bytes()));
    let r = format!(
        "missing={} regular file={} bound not listening={} abstract unknown={} len 2={} efault={} len 200={}",
        outcome(connect(c, &sun(b"abi-tmp-unix-nothing"))),
        outcome(connect(c, &sun(file.as_bytes()))),
        outcome(connect(c, &sun(p.as_bytes()))),
        outcome(connect(c, &sun(b"\0basalt-abi-nobody"))),
        outcome(sys!(nr::CONNECT, c, sun(b"").as_ptr(), 2)),
        outcome(sys!(nr::CONNECT, c, BAD_PTR, 20)),
        outcome(sys!(nr::CONNECT, c, sun(b"x").as_ptr(), 200)),
    );
    scratch::remove(&file);
    scratch::remove(&p);
    r
}

fn connect_eprototype() -> String {
    let d = sock(DGRAM);
    let _ = bind(d, &sun(b"\0basalt-abi-proto-d"));
    let (l, addr) = listener(STREAM, "unix-proto", 4);
    let s = sock(STREAM);
    let q = sock(SEQPACKET);
    let d2 = sock(DGRAM);
    let r = format!(
        "stream to dgram={} seqpacket to stream={} dgram to stream={}",
        outcome(connect(s, &sun(b"\0basalt-abi-proto-d"))),
        outcome(connect(q, &addr)),
        outcome(connect(d2, &addr)),
    );
    child::close(l);
    scratch::remove(&String::from_utf8_lossy(&addr[2..]));
    r
}

fn accept_roundtrip() -> String {
    let (l, addr) = listener(STREAM, "unix-accept", 4);
    let c = sock(STREAM);
    let conn = outcome(connect(c, &addr));
    let mut peer = [0u8; 128];
    let mut plen: u32 = 128;
    let s = sys!(nr::ACCEPT, l, peer.as_mut_ptr(), &mut plen as *mut u32).map_or(-1, |v| v as i32);
    let mut path = addr.clone();
    path.push(0);
    let r = format!(
        "connect={conn} accept={} client addr len={plen} server name is listener's={} client peer is listener={} \
         c->s {} {} s->c {} {}",
        yes(s >= 0),
        eq(name_of(s, false).map(|(_, b)| b).unwrap_or_default(), path.clone()),
        eq(name_of(c, true).map(|(_, b)| b).unwrap_or_default(), path),
        send(c, b"hello", 0),
        recv(s, 16, 0),
        send(s, b"world", 0),
        recv(c, 16, 0),
    );
    scratch::remove(&String::from_utf8_lossy(&addr[2..]));
    r
}

fn connect_before_accept() -> String {
    let (l, addr) = listener(STREAM, "unix-early", 4);
    let c = sock(STREAM);
    let _ = connect(c, &addr);
    let early = send(c, b"early", 0);
    let pending = {
        let mut p = libc::pollfd {
            fd: l,
            events: libc::POLLIN,
            revents: 0,
        };
        let _ = sys!(nr::POLL, &mut p as *mut libc::pollfd, 1, 0);
        p.revents
    };
    let s = sys!(nr::ACCEPT, l, 0, 0).map_or(-1, |v| v as i32);
    let r = format!(
        "send before accept={early} listener poll={pending:#x} after accept {}",
        recv(s, 16, 0)
    );
    scratch::remove(&String::from_utf8_lossy(&addr[2..]));
    r
}

fn eisconn() -> String {
    let (l, addr) = listener(STREAM, "unix-eisconn", 4);
    let c = sock(STREAM);
    let _ = connect(c, &addr);
    let (a, _b) = pair(STREAM);
    let r = format!(
        "again={} socketpair end={} listener connecting={}",
        outcome(connect(c, &addr)),
        outcome(connect(a, &addr)),
        outcome(connect(l, &addr)),
    );
    scratch::remove(&String::from_utf8_lossy(&addr[2..]));
    r
}

fn backlog_eagain() -> String {
    let (l, addr) = listener(STREAM, "unix-backlog", 0);
    let c1 = sock(STREAM | libc::SOCK_NONBLOCK);
    let c2 = sock(STREAM | libc::SOCK_NONBLOCK);
    let c3 = sock(STREAM | libc::SOCK_NONBLOCK);
    let first = outcome(connect(c1, &addr));
    let second = outcome(connect(c2, &addr));
    let _ = sys!(nr::ACCEPT, l, 0, 0);
    let after_accept = outcome(connect(c3, &addr));
    scratch::remove(&String::from_utf8_lossy(&addr[2..]));
    format!("backlog 0: first={first} second={second} after an accept={after_accept}")
}

fn accept_errors() -> String {
    let (l, addr) = listener(STREAM, "unix-accepterr", 4);
    let _ = sys!(nr::FCNTL, l, libc::F_SETFL, libc::O_NONBLOCK);
    let d = sock(DGRAM);
    let unlistened = sock(STREAM);
    let mut len: i32 = -1;
    let mut buf = [0u8; 16];
    let c = sock(STREAM);
    let _ = connect(c, &addr);
    let r = format!(
        "bad flags={} dgram={} not listening={} negative addrlen={} empty after={}",
        outcome(sys!(nr::ACCEPT4, l, 0, 0, 1)),
        outcome(sys!(nr::ACCEPT, d, 0, 0)),
        outcome(sys!(nr::ACCEPT, unlistened, 0, 0)),
        outcome(sys!(nr::ACCEPT, l, buf.as_mut_ptr(), &mut len as *mut i32)),
        outcome(sys!(nr::ACCEPT, l, 0, 0)),
    );
    scratch::remove(&String::from_utf8_lossy(&addr[2..]));
    r
}

fn accept4_flags() -> String {
    let (l, addr) = listener(STREAM, "unix-accept4", 4);
    let empty = {
        let _ = sys!(nr::FCNTL, l, libc::F_SETFL, libc::O_NONBLOCK);
        let r = outcome(sys!(nr::ACCEPT, l, 0, 0));
        let _ = sys!(nr::FCNTL, l, libc::F_SETFL, 0);
        r
    };
    let c = sock(STREAM);
    let _ = connect(c, &addr);
    let s = sys!(
        nr::ACCEPT4,
        l,
        0,
        0,
        libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC
    )
    .map_or(-1, |v| v as i32);
    let fl = sys!(nr::FCNTL, s, libc::F_GETFL).map_or(-1, |v| v as i32);
    let fd = sys!(nr::FCNTL, s, libc::F_GETFD).map_or(-1, |v| v as i32);
    let r = format!(
        "nonblocking listener, none pending={empty} accepted nonblock={} cloexec={fd} read empty={}",
        yes(fl & libc::O_NONBLOCK != 0),
        recv(s, 4, 0)
    );
    scratch::remove(&String::from_utf8_lossy(&addr[2..]));
    r
}

fn listener_close_resets() -> String {
    let (l, addr) = listener(STREAM, "unix-reset", 4);
    let c = sock(STREAM);
    let _ = connect(c, &addr);
    child::close(l);
    scratch::remove(&String::from_utf8_lossy(&addr[2..]));
    format!(
        "read={} then={} write={}",
        recv(c, 4, libc::MSG_DONTWAIT),
        recv(c, 4, libc::MSG_DONTWAIT),
        send(c, b"x", libc::MSG_NOSIGNAL)
    )
}

fn getpeername() -> String {
    let s = sock(STREAM);
    let d = sock(DGRAM);
    let (a, _b) = pair(STREAM);
    let unnamed = name_of(a, true).map_or_else(errno_name, |(l, _)| l.to_string());
    let own = name_of(s, false).map_or_else(errno_name, |(l, _)| l.to_string());
    format!(
        "unconnected stream={} unconnected dgram={} pair peer len={unnamed} unbound own len={own}",
        name_of(s, true).map_or_else(errno_name, |(l, _)| l.to_string()),
        name_of(d, true).map_or_else(errno_name, |(l, _)| l.to_string()),
    )
}

fn name_length_rules() -> String {
    let s = sock(DGRAM);
    let _ = bind(s, &sun(b"\0basalt-abi-lenrules"));
    let mut buf = [0xffu8; 32];
    let mut len: i32 = 4;
    let short = sys!(nr::GETSOCKNAME, s, buf.as_mut_ptr(), &mut len as *mut i32);
    let untouched = buf[4] == 0xff;
    let mut neg: i32 = -1;
    let mut zero: i32 = 0;
    format!(
        "len 4: {} reported={len} copied only 4={} negative={} zero={} reported={} bad buffer={} bad length pointer={}",
        outcome(short),
        yes(untouched),
        outcome(sys!(nr::GETSOCKNAME, s, buf.as_mut_ptr(), &mut neg as *mut i32)),
        outcome(sys!(nr::GETSOCKNAME, s, buf.as_mut_ptr(), &mut zero as *mut i32)),
        zero,
        {
            let mut l: i32 = 32;
            outcome(sys!(nr::GETSOCKNAME, s, BAD_PTR, &mut l as *mut i32))
        },
        outcome(sys!(nr::GETSOCKNAME, s, buf.as_mut_ptr(), BAD_PTR)),
    )
}

fn accept_rcvtimeo() -> String {
    let (l, addr) = listener(STREAM, "unix-acctimeo", 4);
    let tv: [i64; 2] = [0, 30_000];
    let set = outcome(sys!(
        nr::SETSOCKOPT,
        l,
        libc::SOL_SOCKET,
        libc::SO_RCVTIMEO,
        tv.as_ptr(),
        16
    ));
    let r = outcome(sys!(nr::ACCEPT, l, 0, 0));
    scratch::remove(&String::from_utf8_lossy(&addr[2..]));
    format!("set={set} accept with nothing pending={r}")
}
