//! Helpers of the AF_UNIX cases: addresses, sockets, sends and receives shown as text, poll bits.

use crate::scratch;
use crate::sys::{errno_name, nr, outcome, value};

/// Socket types, short.
pub const STREAM: i32 = libc::SOCK_STREAM;
pub const DGRAM: i32 = libc::SOCK_DGRAM;
pub const SEQPACKET: i32 = libc::SOCK_SEQPACKET;

/// A `sockaddr_un` holding `path` as given (no NUL added): family, then the bytes.
pub fn sun(path: &[u8]) -> Vec<u8> {
    let mut v = vec![1u8, 0];
    v.extend_from_slice(path);
    v
}

/// A new AF_UNIX socket (-1 on failure; later calls then fail with EBADF).
pub fn sock(ty: i32) -> i32 {
    sys!(nr::SOCKET, libc::AF_UNIX, ty, 0).map_or(-1, |fd| fd as i32)
}

/// A connected pair.
pub fn pair(ty: i32) -> (i32, i32) {
    let mut sv = [-1i32; 2];
    let _ = sys!(nr::SOCKETPAIR, libc::AF_UNIX, ty, 0, sv.as_mut_ptr());
    (sv[0], sv[1])
}

pub fn bind(fd: i32, addr: &[u8]) -> Result<usize, crate::sys::Errno> {
    sys!(nr::BIND, fd, addr.as_ptr(), addr.len())
}

pub fn connect(fd: i32, addr: &[u8]) -> Result<usize, crate::sys::Errno> {
    sys!(nr::CONNECT, fd, addr.as_ptr(), addr.len())
}

/// A scratch path for a socket, removed first.
pub fn sock_path(name: &str) -> String {
    let p = scratch::path(name);
    scratch::remove(&p);
    p
}

/// getsockname (or getpeername): the reported length and the bytes.
pub fn name_of(fd: i32, peer: bool) -> Result<(usize, Vec<u8>), crate::sys::Errno> {
    let mut buf = [0u8; 128];
    let mut len: u32 = 128;
    let call = if peer {
        nr::GETPEERNAME
    } else {
        nr::GETSOCKNAME
    };
    sys!(call, fd, buf.as_mut_ptr(), &mut len as *mut u32)?;
    let n = (len as usize).min(128);
    Ok((len as usize, buf[..n].to_vec()))
}

/// send(2): the count or the errno.
pub fn send(fd: i32, data: &[u8], flags: i32) -> String {
    value(sys!(nr::SENDTO, fd, data.as_ptr(), data.len(), flags, 0, 0))
}

/// recv(2) of up to `n` bytes: `count "data"` or the errno.
pub fn recv(fd: i32, n: usize, flags: i32) -> String {
    let mut buf = vec![0u8; n];
    match sys!(nr::RECVFROM, fd, buf.as_mut_ptr(), n, flags, 0, 0) {
        Ok(got) => format!("{got} {:?}", String::from_utf8_lossy(&buf[..got.min(n)])),
        Err(e) => errno_name(e),
    }
}

/// A bound, listening stream (or seqpacket) socket at a fresh scratch path; returns (fd, address).
pub fn listener(ty: i32, name: &str, backlog: i32) -> (i32, Vec<u8>) {
    let addr = sun(sock_path(name).as_bytes());
    let fd = sock(ty);
    let _ = bind(fd, &addr);
    let _ = sys!(nr::LISTEN, fd, backlog);
    (fd, addr)
}

/// An int socket option.
pub fn getopt(fd: i32, opt: i32) -> String {
    let mut v: i32 = -7;
    let mut len: u32 = 4;
    match sys!(
        nr::GETSOCKOPT,
        fd,
        libc::SOL_SOCKET,
        opt,
        &mut v as *mut i32,
        &mut len as *mut u32
    ) {
        Ok(_) => v.to_string(),
        Err(e) => errno_name(e),
    }
}

pub fn setopt(fd: i32, opt: i32, v: i32) -> String {
    outcome(sys!(
        nr::SETSOCKOPT,
        fd,
        libc::SOL_SOCKET,
        opt,
        &v as *const i32,
        4
    ))
}

pub fn revents(fd: i32, events: i16) -> String {
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

/// Every readiness bit the cases look at.
pub const ALL: i16 = libc::POLLIN | libc::POLLOUT | libc::POLLRDHUP;

/// recvmsg into one buffer of `n` bytes: (return value, msg_flags, data).
pub fn recvmsg_flags(fd: i32, n: usize, flags: i32) -> String {
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

pub fn sleep_ms(ms: i64) {
    let t = [0i64, ms * 1_000_000];
    let _ = sys!(nr::NANOSLEEP, t.as_ptr(), 0);
}
