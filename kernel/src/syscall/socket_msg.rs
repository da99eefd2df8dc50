//! Socket data transfer: send, sendto, sendmsg, sendmmsg, recv, recvfrom, recvmsg, recvmmsg, and read/write on
//! sockets — iovecs, `struct msghdr`, control messages (SCM_RIGHTS installs descriptors, SCM_CREDENTIALS is
//! checked) copied between user memory and `net::unix::io`.
#![forbid(unsafe_code)]

use super::socket::{addr_from_user, addr_to_user, sock, sock_file, table, target_of};
use crate::arch::usercopy;
use crate::fs::OpenFile;
use crate::net::unix::io::{self, RecvMode, SendMode, Target};
use crate::net::unix::{with_world, Rights};
use crate::task::process;
use alloc::vec::Vec;
use basalt_linux_abi::Errno;
use basalt_unix_socket::addr::{self, SOCKADDR_STORAGE_LEN};
use basalt_unix_socket::cmsg::{self, ControlOut, SenderIds, SCM_CREDENTIALS};
use basalt_unix_socket::msg::*;
use basalt_unix_socket::SockType;

/// Largest iovec count (UIO_MAXIOV).
const IOV_MAX: u64 = 1024;

/// Most bytes one call moves (MAX_RW_COUNT).
const MAX_RW: u64 = 0x7fff_f000;

/// Stream sends copy user memory in pieces of this size.
const SEND_CHUNK: usize = 64 * 1024;

/// `base + offset` in user space; an address that wraps around is EFAULT.
fn user_at(base: u64, offset: u64) -> Result<u64, Errno> {
    base.checked_add(offset).ok_or(Errno::EFAULT)
}

/// An iovec array (`import_iovec`): EFAULT for the array, EINVAL for a total beyond ssize_t.
fn iovecs(iov: u64, count: u64) -> Result<Vec<(u64, u64)>, Errno> {
    let mut out = Vec::new();
    let mut total: u64 = 0;
    for i in 0..count {
        let mut b = [0u8; 16];
        usercopy::copy_from_user(&mut b, user_at(iov, i * 16)?)?;
        let base = u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
        let len = u64::from_le_bytes([b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]]);
        if len > isize::MAX as u64 {
            return Err(Errno::EINVAL);
        }
        // Past MAX_RW_COUNT the rest is ignored, as Linux clamps.
        let len = len.min(MAX_RW - total.min(MAX_RW));
        total += len;
        out.push((base, len));
    }
    Ok(out)
}

/// The user bytes of `iov` from `skip` on, at most `max`.
fn gather(iov: &[(u64, u64)], skip: usize, max: usize) -> Result<Vec<u8>, Errno> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    for &(base, len) in iov {
        let len = len as usize;
        if out.len() >= max {
            break;
        }
        if pos + len <= skip {
            pos += len;
            continue;
        }
        let from = skip.saturating_sub(pos);
        let n = (len - from).min(max - out.len());
        let at = out.len();
        out.try_reserve(n).map_err(|_| Errno::ENOMEM)?;
        out.resize(at + n, 0);
        usercopy::copy_from_user(&mut out[at..], user_at(base, from as u64)?)?;
        pos += len;
    }
    Ok(out)
}

/// Scatter `data` over `iov`.
fn scatter(iov: &[(u64, u64)], data: &[u8]) -> Result<(), Errno> {
    let mut done = 0;
    for &(base, len) in iov {
        if done >= data.len() {
            break;
        }
        let n = (len as usize).min(data.len() - done);
        usercopy::copy_to_user(base, &data[done..done + n])?;
        done += n;
    }
    Ok(())
}

/// One send call after the arguments are in: `iov` holds the data.
fn send_iov(
    f: &OpenFile,
    iov: &[(u64, u64)],
    flags: u32,
    target: Option<Target>,
    rights: &mut Vec<Rights>,
    creds: Option<basalt_unix_socket::Ucred>,
) -> Result<usize, Errno> {
    if flags & MSG_OOB != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    let s = sock(f)?;
    let mode = SendMode {
        nonblock: f.nonblocking() || flags & MSG_DONTWAIT != 0,
        nosignal: flags & MSG_NOSIGNAL != 0,
        creds,
    };
    let total: usize = iov.iter().map(|&(_, l)| l as usize).sum();
    let (ty, sndbuf) = with_world(|w| w.socket(s.id).map(|s| (s.ty(), s.sndbuf)))?;
    if ty != SockType::Stream {
        // Longer than the send buffer is EMSGSIZE anyway: copy no more than that.
        let data = gather(iov, 0, total.min(sndbuf as usize))?;
        return io::send_to(s, &data, rights, mode, target.as_ref());
    }
    let mut done = 0;
    loop {
        let chunk = match gather(iov, done, SEND_CHUNK) {
            Ok(c) => c,
            Err(_) if done > 0 => return Ok(done),
            Err(e) => return Err(e),
        };
        let n = match io::send_to(s, &chunk, rights, mode, target.as_ref()) {
            Ok(n) => n,
            Err(_) if done > 0 => return Ok(done),
            Err(e) => return Err(e),
        };
        done += n;
        if n < chunk.len() || done >= total {
            return Ok(done);
        }
    }
}

/// write(2)/writev(2) on a socket: a send without flags.
pub fn write_iov(f: &OpenFile, iov: &[(u64, u64)]) -> Result<usize, Errno> {
    send_iov(f, iov, 0, None, &mut Vec::new(), None)
}

/// read(2)/readv(2) on a socket: a receive without flags.
pub fn read_iov(f: &OpenFile, iov: &[(u64, u64)]) -> Result<usize, Errno> {
    let total: usize = iov.iter().map(|&(_, l)| l as usize).sum();
    let got = io::recv(
        sock(f)?,
        total,
        RecvMode {
            nonblock: f.nonblocking(),
            ..RecvMode::default()
        },
    )?;
    scatter(iov, &got.data)?;
    Ok(got.data.len())
}

fn optional_target(uaddr: u64, len: u64) -> Result<Option<Target>, Errno> {
    if uaddr == 0 || len == 0 {
        return Ok(None);
    }
    let raw = addr_from_user(uaddr, len)?;
    target_of(addr::parse(&raw)?).map(Some)
}

pub fn sendto(
    fd: i32,
    buf: u64,
    len: u64,
    flags: u32,
    uaddr: u64,
    alen: u64,
) -> Result<usize, Errno> {
    let f = sock_file(fd)?;
    let target = optional_target(uaddr, alen)?;
    send_iov(
        &f,
        &[(buf, len.min(MAX_RW))],
        flags,
        target,
        &mut Vec::new(),
        None,
    )
}

pub fn recvfrom(
    fd: i32,
    buf: u64,
    len: u64,
    flags: u32,
    uaddr: u64,
    ulen: u64,
) -> Result<usize, Errno> {
    let f = sock_file(fd)?;
    let iov = [(buf, len.min(MAX_RW))];
    let (n, _, from) = recv_common(&f, &iov, flags, &mut ControlOut::new(0), false)?;
    if uaddr != 0 {
        addr_to_user(&from.unwrap_or_default(), uaddr, ulen)?;
    }
    Ok(n)
}

/// The receive behind recvfrom and recvmsg: (return value, msg_flags, sender address).
fn recv_common(
    f: &OpenFile,
    iov: &[(u64, u64)],
    flags: u32,
    control: &mut ControlOut,
    control_given: bool,
) -> Result<(usize, u32, Option<Vec<u8>>), Errno> {
    if flags & MSG_OOB != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    let s = sock(f)?;
    let total: usize = iov.iter().map(|&(_, l)| l as usize).sum();
    let got = io::recv(
        s,
        total,
        RecvMode {
            nonblock: f.nonblocking() || flags & MSG_DONTWAIT != 0,
            peek: flags & MSG_PEEK != 0,
            waitall: flags & MSG_WAITALL != 0,
        },
    )?;
    let ty = with_world(|w| w.socket(s.id).map(|s| s.ty()))?;
    scatter(iov, &got.data)?;
    if let Some(c) = got.creds {
        control.put(SCM_CREDENTIALS, &c.to_bytes());
    }
    if !got.rights.is_empty() {
        let room = if control_given {
            control.rights_room()
        } else {
            0
        };
        let cloexec = flags & MSG_CMSG_CLOEXEC != 0;
        let mut installed = Vec::new();
        let sent = got.rights.len();
        let mut rights = got.rights.into_iter();
        {
            let t = table()?;
            let mut t = t.lock();
            for file in rights.by_ref().take(room) {
                match t.install(file, cloexec) {
                    Ok(fd) => installed.push(fd),
                    Err(_) => break,
                }
            }
        }
        // What did not fit is closed, outside every lock.
        crate::net::unix::dispose(rights.collect());
        control.put_rights(&installed, sent);
    }
    let mut msg_flags = 0;
    if got.truncated && ty != SockType::Stream {
        msg_flags |= MSG_TRUNC;
    }
    if control.truncated {
        msg_flags |= MSG_CTRUNC;
    }
    let n = if flags & MSG_TRUNC != 0 && ty != SockType::Stream {
        got.full_len
    } else {
        got.data.len()
    };
    Ok((n, msg_flags, got.from))
}

/// `struct msghdr` (56 bytes).
struct MsgHdr {
    name: u64,
    namelen: i32,
    iov: u64,
    iovlen: u64,
    control: u64,
    controllen: u64,
}

fn read_msghdr(ptr: u64) -> Result<MsgHdr, Errno> {
    let mut b = [0u8; 56];
    usercopy::copy_from_user(&mut b, ptr)?;
    let q = |i: usize| {
        u64::from_le_bytes([
            b[i],
            b[i + 1],
            b[i + 2],
            b[i + 3],
            b[i + 4],
            b[i + 5],
            b[i + 6],
            b[i + 7],
        ])
    };
    let mut m = MsgHdr {
        name: q(0),
        namelen: i32::from_le_bytes([b[8], b[9], b[10], b[11]]),
        iov: q(16),
        iovlen: q(24),
        control: q(32),
        controllen: q(40),
    };
    if m.name == 0 {
        m.namelen = 0;
    }
    if m.namelen < 0 {
        return Err(Errno::EINVAL);
    }
    m.namelen = m.namelen.min(SOCKADDR_STORAGE_LEN as i32);
    if m.iovlen > IOV_MAX {
        return Err(Errno::EMSGSIZE);
    }
    Ok(m)
}

pub fn sendmsg(fd: i32, msg: u64, flags: u32) -> Result<usize, Errno> {
    let f = sock_file(fd)?;
    let m = read_msghdr(msg)?;
    let target = if m.namelen > 0 {
        let raw = addr_from_user(m.name, m.namelen as u64)?;
        Some(raw)
    } else {
        None
    };
    let iov = iovecs(m.iov, m.iovlen)?;
    if m.controllen > i32::MAX as u64 {
        return Err(Errno::ENOBUFS);
    }
    let mut control = alloc::vec![0u8; m.controllen as usize];
    if !control.is_empty() {
        usercopy::copy_from_user(&mut control, m.control)?;
    }
    let parsed = cmsg::parse_control(&control)?;
    let mut rights = Vec::new();
    {
        let t = table()?;
        let t = t.lock();
        for &fd in &parsed.fds {
            rights.push(t.get(fd)?);
        }
    }
    if let Some(c) = &parsed.creds {
        let me = crate::task::cred::current();
        let ids = SenderIds {
            pid: process::current().map_or(0, |p| p.pid as i32),
            uids: [me.uid, me.euid, me.suid],
            gids: [me.gid, me.egid, me.sgid],
            privileged: me.euid == 0,
        };
        cmsg::check_creds(c, &ids)?;
    }
    let target = match target {
        Some(raw) => Some(target_of(addr::parse(&raw)?)?),
        None => None,
    };
    let r = send_iov(&f, &iov, flags, target, &mut rights, parsed.creds);
    crate::net::unix::dispose(rights);
    r
}

pub fn recvmsg(fd: i32, msg: u64, flags: u32) -> Result<usize, Errno> {
    let f = sock_file(fd)?;
    let m = read_msghdr(msg)?;
    let iov = iovecs(m.iov, m.iovlen)?;
    let capacity = if m.control == 0 {
        0
    } else {
        m.controllen.min(i32::MAX as u64) as usize
    };
    let mut control = ControlOut::new(capacity);
    let (n, msg_flags, from) = recv_common(&f, &iov, flags, &mut control, m.control != 0)?;
    if m.name != 0 {
        let from = from.unwrap_or_default();
        let len = from.len().min(m.namelen as usize);
        usercopy::copy_to_user(m.name, &from[..len])?;
        usercopy::copy_to_user(user_at(msg, 8)?, &(from.len() as i32).to_le_bytes())?;
    }
    if !control.bytes.is_empty() {
        usercopy::copy_to_user(m.control, &control.bytes)?;
    }
    usercopy::copy_to_user(
        user_at(msg, 40)?,
        &(control.bytes.len() as u64).to_le_bytes(),
    )?;
    usercopy::copy_to_user(user_at(msg, 48)?, &msg_flags.to_le_bytes())?;
    Ok(n)
}

/// `struct mmsghdr`: a msghdr and the byte count the call stores.
const MMSGHDR: u64 = 64;

/// MSG_WAITFORONE: after the first message, do not wait for more.
const MSG_WAITFORONE: u32 = 0x10000;

/// sendmmsg: one sendmsg per entry until one fails; the count sent, or the first error.
pub fn sendmmsg(fd: i32, vec: u64, vlen: u64, flags: u32) -> Result<usize, Errno> {
    sock_file(fd)?;
    let vlen = vlen.min(IOV_MAX);
    let mut sent = 0u64;
    while sent < vlen {
        let step = user_at(vec, sent * MMSGHDR).and_then(|entry| {
            let n = sendmsg(fd, entry, flags)?;
            usercopy::copy_to_user(user_at(entry, 56)?, &(n as u32).to_le_bytes())
        });
        match step {
            Ok(()) => sent += 1,
            Err(e) => return if sent > 0 { Ok(sent as usize) } else { Err(e) },
        }
    }
    Ok(sent as usize)
}

/// recvmmsg: one recvmsg per entry; MSG_WAITFORONE stops waiting after the first; a timeout is checked between
/// messages (as Linux does) and the time left is written back.
pub fn recvmmsg(fd: i32, vec: u64, vlen: u64, flags: u32, timeout: u64) -> Result<usize, Errno> {
    sock_file(fd)?;
    let deadline = if timeout != 0 {
        let ns = crate::time::timespec_from_user(timeout)?;
        Some(crate::time::monotonic_ns().saturating_add(ns))
    } else {
        None
    };
    let vlen = vlen.min(IOV_MAX);
    let mut got = 0u64;
    let mut flags = flags;
    let mut error = None;
    while got < vlen {
        let Ok(entry) = user_at(vec, got * MMSGHDR) else {
            error = Some(Errno::EFAULT);
            break;
        };
        match recvmsg(fd, entry, flags & !MSG_WAITFORONE) {
            Ok(n) => {
                if let Err(e) =
                    usercopy::copy_to_user(user_at(entry, 56)?, &(n as u32).to_le_bytes())
                {
                    error = Some(e);
                    break;
                }
                got += 1;
            }
            Err(e) => {
                error = Some(e);
                break;
            }
        }
        if flags & MSG_WAITFORONE != 0 {
            flags |= MSG_DONTWAIT;
        }
        if deadline.is_some_and(|d| crate::time::monotonic_ns() >= d) {
            break;
        }
    }
    if let Some(d) = deadline {
        let left = d.saturating_sub(crate::time::monotonic_ns());
        let mut ts = [0u8; 16];
        ts[..8].copy_from_slice(&((left / 1_000_000_000) as i64).to_le_bytes());
        ts[8..].copy_from_slice(&((left % 1_000_000_000) as i64).to_le_bytes());
        usercopy::copy_to_user(timeout, &ts)?;
    }
    match error {
        Some(e) if got == 0 => Err(e),
        _ => Ok(got as usize),
    }
}
