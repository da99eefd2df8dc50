//! Socket system calls (AF_UNIX only): sockets, names, connections — `struct sockaddr_un` in and out — around
//! `net::unix`. Data transfer is in `socket_msg`, options and ioctls in `socket_opt`.
#![forbid(unsafe_code)]

use crate::arch::usercopy;
use crate::fs::{fdtable::FdTable, OpenFile, O_NONBLOCK, O_RDWR};
use crate::net::unix::io::{self, Target};
use crate::net::unix::{names, socket_of, with_world, SocketFile};
use crate::task::process;
use alloc::sync::Arc;
use alloc::vec::Vec;
use basalt_linux_abi::Errno;
use basalt_unix_socket::addr::{self, Name, SOCKADDR_STORAGE_LEN};
use basalt_unix_socket::args::{check_accept_flags, check_socket_args, AF_UNSPEC};
use basalt_unix_socket::{BindTarget, Dest, SockType};
use spin::Mutex;

pub use super::socket_msg::{
    read_iov, recvfrom, recvmmsg, recvmsg, sendmmsg, sendmsg, sendto, write_iov,
};
pub use super::socket_opt::{getsockopt, ioctl, setsockopt};

pub(super) fn table() -> Result<Arc<Mutex<FdTable>>, Errno> {
    Ok(process::current().ok_or(Errno::ESRCH)?.files())
}

/// The open file of socket descriptor `fd`: EBADF, or ENOTSOCK for another kind of file.
pub(super) fn sock_file(fd: i32) -> Result<Arc<OpenFile>, Errno> {
    let f = table()?.lock().get(fd)?;
    socket_of(&f).ok_or(Errno::ENOTSOCK)?;
    Ok(f)
}

pub(super) fn sock(f: &OpenFile) -> Result<&SocketFile, Errno> {
    socket_of(f).ok_or(Errno::ENOTSOCK)
}

/// `move_addr_to_kernel`: EINVAL outside 0..=sizeof(sockaddr_storage), then the copy.
pub(super) fn addr_from_user(ptr: u64, len: u64) -> Result<Vec<u8>, Errno> {
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
pub(super) fn addr_to_user(kaddr: &[u8], uaddr: u64, ulen: u64) -> Result<(), Errno> {
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

pub(super) fn target_of(name: Name) -> Result<Target, Errno> {
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
pub(super) fn peer_creds() -> basalt_unix_socket::Ucred {
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
        crate::net::unix::dispose(garbage);
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
    // accept waits as long as SO_RCVTIMEO says, as on Linux.
    let timeout = with_world(|w| w.socket(id).map(|s| s.rcvtimeo))?;
    let new = io::wait_for(f.nonblocking(), timeout, || with_world(|w| w.accept(id)))?;
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
