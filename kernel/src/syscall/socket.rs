//! Socket system calls (AF_UNIX only): user memory in and out — `struct sockaddr_un`, `struct msghdr`, iovecs,
//! control messages, option values — around `net::unix`.
#![forbid(unsafe_code)]

use crate::arch::usercopy;
use crate::fs::{fdtable::FdTable, OpenFile, O_NONBLOCK, O_RDWR};
use crate::net::unix::io::{self, RecvMode, SendMode, Target};
use crate::net::unix::{names, socket_of, with_world, Rights, SocketFile};
use crate::task::process;
use alloc::sync::Arc;
use alloc::vec::Vec;
use basalt_linux_abi::Errno;
use basalt_unix_socket::addr::{self, Name, SOCKADDR_STORAGE_LEN};
use basalt_unix_socket::args::{check_accept_flags, check_socket_args, AF_UNSPEC};
use basalt_unix_socket::cmsg::{self, ControlOut, SenderIds, SCM_CREDENTIALS};
use basalt_unix_socket::msg::*;
use basalt_unix_socket::options::{self, *};
use basalt_unix_socket::{BindTarget, Dest, SockType};
use spin::Mutex;

/// Largest iovec count (UIO_MAXIOV).
const IOV_MAX: u64 = 1024;
/// Most bytes one call moves (MAX_RW_COUNT).
const MAX_RW: u64 = 0x7fff_f000;
/// Stream sends copy user memory in pieces of this size.
const SEND_CHUNK: usize = 64 * 1024;

fn table() -> Result<Arc<Mutex<FdTable>>, Errno> {
    Ok(process::current().ok_or(Errno::ESRCH)?.files())
}

/// The open file of socket descriptor `fd`: EBADF, or ENOTSOCK for another kind of file.
fn sock_file(fd: i32) -> Result<Arc<OpenFile>, Errno> {
    let f = table()?.lock().get(fd)?;
    socket_of(&f).ok_or(Errno::ENOTSOCK)?;
    Ok(f)
}

fn sock(f: &OpenFile) -> Result<&SocketFile, Errno> {
    socket_of(f).ok_or(Errno::ENOTSOCK)
}

/// `move_addr_to_kernel`: EINVAL outside 0..=sizeof(sockaddr_storage), then the copy.
fn addr_from_user(ptr: u64, len: u64) -> Result<Vec<u8>, Errno> {
    let len = len as i32;
    if len < 0 || len as usize > SOCKADDR_STORAGE_LEN {
        return Err(Errno::EINVAL);
    }
    let mut raw = alloc::vec![0u8; len as usize];
    if len > 0 {
        usercopy::copy_from_user(&mut raw, ptr)?;
    }
    Ok(raw)
}

/// `move_addr_to_user`: copy what fits in the caller's length, report the real length.
fn addr_to_user(kaddr: &[u8], uaddr: u64, ulen: u64) -> Result<(), Errno> {
    let mut b = [0u8; 4];
    usercopy::copy_from_user(&mut b, ulen)?;
    let len = i32::from_le_bytes(b);
    let len = len.min(kaddr.len() as i32);
    if len < 0 {
        return Err(Errno::EINVAL);
    }
    if len > 0 {
        usercopy::copy_to_user(uaddr, &kaddr[..len as usize])?;
    }
    usercopy::copy_to_user(ulen, &(kaddr.len() as i32).to_le_bytes())
}

fn target_of(name: Name) -> Result<Target, Errno> {
    Ok(match name {
        Name::Abstract(n) => Target::Abstract(n),
        Name::Path(p) => Target::Inode(names::lookup_path(&p)?),
    })
}

fn new_socket_file(id: basalt_unix_socket::SocketId, nonblock: bool) -> Arc<OpenFile> {
    OpenFile::new(
        SocketFile::new(id),
        O_RDWR | if nonblock { O_NONBLOCK } else { 0 },
    )
}

pub fn socket(domain: i32, ty: i32, protocol: i32) -> Result<usize, Errno> {
    let a = check_socket_args(domain, ty, protocol)?;
    let id = with_world(|w| w.create(a.ty));
    let file = new_socket_file(id, a.nonblock);
    Ok(table()?.lock().install(file, a.cloexec)? as usize)
}

pub fn socketpair(domain: i32, ty: i32, protocol: i32, sv: u64) -> Result<usize, Errno> {
    let a = check_socket_args(domain, ty, protocol)?;
    let creds = peer_creds();
    let (x, y) = with_world(|w| w.pair(a.ty, creds));
    let (fx, fy) = (
        new_socket_file(x, a.nonblock),
        new_socket_file(y, a.nonblock),
    );
    let t = table()?;
    let (dx, dy) = {
        let mut t = t.lock();
        let dx = t.install(fx, a.cloexec)?;
        match t.install(fy, a.cloexec) {
            Ok(dy) => (dx, dy),
            Err(e) => {
                let closed = t.close(dx);
                drop(t);
                drop(closed);
                return Err(e);
            }
        }
    };
    let mut out = [0u8; 8];
    out[..4].copy_from_slice(&dx.to_le_bytes());
    out[4..].copy_from_slice(&dy.to_le_bytes());
    if let Err(e) = usercopy::copy_to_user(sv, &out) {
        let closed = {
            let mut t = t.lock();
            (t.close(dx), t.close(dy))
        };
        drop(closed);
        return Err(e);
    }
    Ok(0)
}

/// SO_PEERCRED's view of the caller: thread-group id, effective uid and gid.
fn peer_creds() -> basalt_unix_socket::Ucred {
    let c = crate::task::cred::current();
    basalt_unix_socket::Ucred {
        pid: process::current().map_or(0, |p| p.pid as i32),
        uid: c.euid,
        gid: c.egid,
    }
}

pub fn bind(fd: i32, uaddr: u64, len: u64) -> Result<usize, Errno> {
    let f = sock_file(fd)?;
    let raw = addr_from_user(uaddr, len)?;
    let id = sock(&f)?.id;
    match addr::parse_bind(&raw)? {
        BindTarget::Auto => with_world(|w| w.autobind(id))?,
        BindTarget::Name(Name::Abstract(n)) => with_world(|w| w.bind_abstract(id, &n))?,
        BindTarget::Name(Name::Path(p)) => names::bind_path(id, &p)?,
    }
    Ok(0)
}

pub fn listen(fd: i32, backlog: i32) -> Result<usize, Errno> {
    let f = sock_file(fd)?;
    let id = sock(&f)?.id;
    let creds = peer_creds();
    with_world(|w| w.listen(id, backlog, creds))?;
    crate::net::unix::changed();
    Ok(0)
}

pub fn connect(fd: i32, uaddr: u64, len: u64) -> Result<usize, Errno> {
    let f = sock_file(fd)?;
    let raw = addr_from_user(uaddr, len)?;
    let s = sock(&f)?;
    let ty = with_world(|w| w.socket(s.id).map(|s| s.ty()))?;
    if ty == SockType::Dgram {
        if raw.len() < 2 {
            return Err(Errno::EINVAL);
        }
        let garbage = if addr::family(&raw) == AF_UNSPEC {
            with_world(|w| w.connect_dgram(s.id, None))?
        } else {
            let target = target_of(addr::parse(&raw)?)?;
            with_world(|w| w.connect_dgram(s.id, Some(dest(&target))))?
        };
        drop(garbage);
        crate::net::unix::changed();
        return Ok(0);
    }
    let target = target_of(addr::parse(&raw)?)?;
    let creds = peer_creds();
    let timeout = with_world(|w| w.socket(s.id).map(|s| s.sndtimeo))?;
    io::wait_for(f.nonblocking(), timeout, || {
        with_world(|w| w.connect_stream(s.id, dest(&target), creds))
    })?;
    crate::net::unix::changed();
    Ok(0)
}

fn dest(t: &Target) -> Dest<'_> {
    match t {
        Target::Abstract(n) => Dest::Abstract(n),
        Target::Inode(i) => Dest::Inode(*i),
    }
}

pub fn accept4(fd: i32, uaddr: u64, ulen: u64, flags: i32) -> Result<usize, Errno> {
    let f = sock_file(fd)?;
    let (nonblock, cloexec) = check_accept_flags(flags)?;
    let id = sock(&f)?.id;
    let new = io::wait_for(f.nonblocking(), None, || with_world(|w| w.accept(id)))?;
    crate::net::unix::changed();
    let file = new_socket_file(new, nonblock);
    if uaddr != 0 {
        let name = with_world(|w| w.peer_name(new)).unwrap_or_else(|_| addr::unnamed());
        // The connection is dropped if the address cannot be stored, as on Linux.
        addr_to_user(&name, uaddr, ulen)?;
    }
    Ok(table()?.lock().install(file, cloexec)? as usize)
}

pub fn getsockname(fd: i32, uaddr: u64, ulen: u64) -> Result<usize, Errno> {
    let f = sock_file(fd)?;
    let id = sock(&f)?.id;
    let name = with_world(|w| w.sock_name(id))?;
    addr_to_user(&name, uaddr, ulen)?;
    Ok(0)
}

pub fn getpeername(fd: i32, uaddr: u64, ulen: u64) -> Result<usize, Errno> {
    let f = sock_file(fd)?;
    let id = sock(&f)?.id;
    let name = with_world(|w| w.peer_name(id))?;
    addr_to_user(&name, uaddr, ulen)?;
    Ok(0)
}

pub fn shutdown(fd: i32, how: i32) -> Result<usize, Errno> {
    let f = sock_file(fd)?;
    let id = sock(&f)?.id;
    with_world(|w| w.shutdown(id, how))?;
    crate::net::unix::changed();
    Ok(0)
}

/// An iovec array (`import_iovec`): EFAULT for the array, EINVAL for a total beyond ssize_t.
fn iovecs(iov: u64, count: u64) -> Result<Vec<(u64, u64)>, Errno> {
    let mut out = Vec::new();
    let mut total: u64 = 0;
    for i in 0..count {
        let mut b = [0u8; 16];
        usercopy::copy_from_user(&mut b, iov + i * 16)?;
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
        usercopy::copy_from_user(&mut out[at..], base + from as u64)?;
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
            Err(e) if done > 0 => {
                let _ = e;
                return Ok(done);
            }
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
        // What did not fit is closed here, outside every lock.
        drop(rights);
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
    drop(rights);
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
        usercopy::copy_to_user(msg + 8, &(from.len() as i32).to_le_bytes())?;
    }
    if !control.bytes.is_empty() {
        usercopy::copy_to_user(m.control, &control.bytes)?;
    }
    usercopy::copy_to_user(msg + 40, &(control.bytes.len() as u64).to_le_bytes())?;
    usercopy::copy_to_user(msg + 48, &msg_flags.to_le_bytes())?;
    Ok(n)
}

pub fn setsockopt(fd: i32, level: i32, name: i32, val: u64, len: u64) -> Result<usize, Errno> {
    let f = sock_file(fd)?;
    let id = sock(&f)?.id;
    if level != cmsg::SOL_SOCKET {
        return Err(Errno::EOPNOTSUPP);
    }
    let len = len as i32;
    if len < 4 {
        return Err(Errno::EINVAL);
    }
    let mut raw = alloc::vec![0u8; (len as usize).min(16)];
    usercopy::copy_from_user(&mut raw, val)?;
    let int = options::int_value(&raw)?;
    with_world(|w| {
        let s = w.socket_mut(id)?;
        match name {
            SO_PASSCRED => s.passcred = int != 0,
            SO_REUSEADDR => s.reuseaddr = int != 0,
            SO_KEEPALIVE => s.keepalive = int != 0,
            SO_SNDBUF => s.sndbuf = options::sndbuf_from(int),
            SO_RCVBUF => s.rcvbuf = options::rcvbuf_from(int),
            SO_RCVTIMEO => s.rcvtimeo = options::timeout_from(&raw)?,
            SO_SNDTIMEO => s.sndtimeo = options::timeout_from(&raw)?,
            _ => return Err(Errno::ENOPROTOOPT),
        }
        Ok(())
    })?;
    crate::net::unix::changed();
    Ok(0)
}

pub fn getsockopt(fd: i32, level: i32, name: i32, val: u64, ulen: u64) -> Result<usize, Errno> {
    let f = sock_file(fd)?;
    let id = sock(&f)?.id;
    if level != cmsg::SOL_SOCKET {
        return Err(Errno::EOPNOTSUPP);
    }
    let mut b = [0u8; 4];
    usercopy::copy_from_user(&mut b, ulen)?;
    let len = i32::from_le_bytes(b);
    if len < 0 {
        return Err(Errno::EINVAL);
    }
    let int = |v: i32| v.to_le_bytes().to_vec();
    let value: Vec<u8> = with_world(|w| {
        let s = w.socket_mut(id)?;
        Ok::<_, Errno>(match name {
            SO_TYPE => int(s.ty().number()),
            SO_ERROR => int(s.take_error().map_or(0, |e| i32::from(e.0))),
            SO_PASSCRED => int(i32::from(s.passcred)),
            SO_REUSEADDR => int(i32::from(s.reuseaddr)),
            SO_KEEPALIVE => int(i32::from(s.keepalive)),
            SO_SNDBUF => int(s.sndbuf as i32),
            SO_RCVBUF => int(s.rcvbuf as i32),
            SO_ACCEPTCONN => int(i32::from(s.listening())),
            SO_DOMAIN => int(1),
            SO_PROTOCOL => int(0),
            SO_PEERCRED => s.peercred().to_bytes().to_vec(),
            SO_RCVTIMEO => options::timeout_to(s.rcvtimeo).to_vec(),
            SO_SNDTIMEO => options::timeout_to(s.sndtimeo).to_vec(),
            _ => return Err(Errno::ENOPROTOOPT),
        })
    })?;
    let n = (len as usize).min(value.len());
    usercopy::copy_to_user(val, &value[..n])?;
    usercopy::copy_to_user(ulen, &(n as i32).to_le_bytes())?;
    Ok(0)
}

/// ioctl on a socket: SIOCINQ (FIONREAD) and SIOCOUTQ; anything else is not a terminal's (ENOTTY).
pub fn ioctl(f: &OpenFile, cmd: u64, arg: u64) -> Result<usize, Errno> {
    const SIOCINQ: u64 = 0x541b;
    const SIOCOUTQ: u64 = 0x5411;
    let id = sock(f)?.id;
    let n = match cmd {
        SIOCINQ => with_world(|w| w.socket(id)?.unread())?,
        SIOCOUTQ => with_world(|w| w.socket(id)?.unsent())?,
        _ => return Err(Errno::ENOTTY),
    };
    usercopy::copy_to_user(arg, &(n.min(i32::MAX as usize) as i32).to_le_bytes())?;
    Ok(0)
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
        let entry = vec + sent * MMSGHDR;
        match sendmsg(fd, entry, flags) {
            Ok(n) => {
                if let Err(e) = usercopy::copy_to_user(entry + 56, &(n as u32).to_le_bytes()) {
                    return if sent > 0 { Ok(sent as usize) } else { Err(e) };
                }
                sent += 1;
            }
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
        let entry = vec + got * MMSGHDR;
        match recvmsg(fd, entry, flags & !MSG_WAITFORONE) {
            Ok(n) => {
                if let Err(e) = usercopy::copy_to_user(entry + 56, &(n as u32).to_le_bytes()) {
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
