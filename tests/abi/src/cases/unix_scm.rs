//! AF_UNIX sendmsg/recvmsg: iovecs, msghdr errors, SCM_RIGHTS (descriptors really change hands, MSG_CTRUNC,
//! closing in flight) and SCM_CREDENTIALS (checked against the sender).

use super::unix_util::*;
use crate::child;
use crate::registry::Case;
use crate::sys::{eq, nr, outcome, value, yes, BAD_PTR};

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case::new("unix.msg_iovecs", msg_iovecs),
    Case::new("unix.msg_errors", msg_errors),
    Case::new("unix.scm_rights", scm_rights),
    Case::new("unix.scm_rights_shared_offset", scm_rights_offset),
    Case::new("unix.scm_rights_ctrunc", scm_rights_ctrunc),
    Case::new("unix.scm_rights_closed_in_flight", scm_rights_in_flight),
    Case::new("unix.scm_rights_errors", scm_rights_errors),
    Case::new("unix.scm_rights_peek_and_boundary", scm_rights_peek),
    Case::new("unix.scm_rights_cycle_collected", scm_rights_cycle),
    Case::new("unix.scm_rights_long_chain", scm_rights_chain),
    Case::new("unix.scm_credentials", scm_credentials),
    Case::new("unix.scm_credentials_checked", scm_credentials_checked),
];

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

fn scm_rights_cycle() -> String {
    let (a, b) = pair(STREAM);
    let (pr, pw) = child::pipe();
    // a's queue gets a itself and the pipe's write end; then nothing outside the queue refers to a.
    let sent = send_fds(b, b"c", &[a, pw]);
    child::close(a);
    child::close(pw);
    // Closing b (an ordinary close) lets the collector find a, reachable only from its own queue.
    child::close(b);
    let mut p = libc::pollfd {
        fd: pr,
        events: libc::POLLIN,
        revents: 0,
    };
    let ready = value(sys!(nr::POLL, &mut p as *mut libc::pollfd, 1, 2000));
    let mut buf = [0u8; 4];
    let read = if ready == "1" {
        value(sys!(nr::READ, pr, buf.as_mut_ptr(), 4))
    } else {
        "not ready".into()
    };
    format!("sent={sent} poll={ready} read={read}")
}

fn scm_rights_chain() -> String {
    // Enough to overflow the kernel stack if closing recursed (it did at 400).
    const LINKS: usize = 400;
    let (pr, pw) = child::pipe();
    // Each socket carries the previous one in its queue; the first carries the pipe's write end.
    let mut held = pw;
    let mut failures = 0;
    for _ in 0..LINKS {
        let (a, b) = pair(DGRAM);
        if send_fds(b, b"l", &[held]) != "1" {
            failures += 1;
        }
        child::close(held);
        child::close(b);
        held = a;
    }
    // Closing the last frees the whole chain, down to the pipe's write end.
    child::close(held);
    let mut p = libc::pollfd {
        fd: pr,
        events: libc::POLLIN,
        revents: 0,
    };
    let ready = value(sys!(nr::POLL, &mut p as *mut libc::pollfd, 1, 2000));
    format!(
        "failed sends={failures} writer gone: poll={ready} revents={:#x}",
        p.revents
    )
}

fn scm_rights_peek() -> String {
    let (a, b) = pair(DGRAM);
    let (pr, _pw) = child::pipe();
    let _ = send_fds(a, b"p", &[pr]);
    let peeked = recv_control(b, 64, libc::MSG_PEEK);
    let taken = recv_control(b, 64, 0);
    let (p1, p2) = (fds_in(&peeked.control), fds_in(&taken.control));
    let distinct = p1.len() == 1 && p2.len() == 1 && p1 != p2;
    // A stream read stops after the bytes that carried descriptors.
    let (s1, s2) = pair(STREAM);
    let _ = send(s1, b"ab", 0);
    let _ = send_fds(s1, b"cd", &[pr]);
    let _ = send(s1, b"ef", 0);
    let first = recv_control(s2, 64, 0);
    let second = recv_control(s2, 64, 0);
    format!(
        "peek installs its own copy={} then recv={}; stream: first={} fds={} second={} fds={}",
        yes(distinct),
        taken.n,
        first.n,
        fds_in(&first.control).len(),
        second.n,
        fds_in(&second.control).len()
    )
}
