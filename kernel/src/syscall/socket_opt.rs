//! Socket options (setsockopt/getsockopt at SOL_SOCKET, with Linux's length rules) and socket ioctls.
#![forbid(unsafe_code)]

use super::socket::{sock, sock_file};
use crate::arch::usercopy;
use crate::fs::OpenFile;
use crate::net::unix::with_world;
use alloc::vec::Vec;
use basalt_linux_abi::Errno;
use basalt_unix_socket::cmsg;
use basalt_unix_socket::options::{self, *};

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
