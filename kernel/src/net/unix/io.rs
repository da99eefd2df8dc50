//! Sending and receiving with Linux's blocking rules: O_NONBLOCK or MSG_DONTWAIT give EAGAIN, SO_SNDTIMEO and
//! SO_RCVTIMEO bound the wait (EAGAIN when they run out, EINTR on a signal), an untimed wait interrupted by a
//! signal restarts under SA_RESTART (ERESTARTSYS), a stream send that was partly done returns its count.
#![forbid(unsafe_code)]

use super::{changed, wait_queue, with_world, Rights, SocketFile};
use crate::task::process::{self, ERESTARTSYS};
use alloc::vec::Vec;
use basalt_linux_abi::Errno;
use basalt_unix_socket::world::Outgoing;
use basalt_unix_socket::{Dest, Received, SockType, Ucred};

/// Where a message goes, owned (the name was copied from user space).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Abstract(Vec<u8>),
    Inode(u64),
}

impl Target {
    fn dest(&self) -> Dest<'_> {
        match self {
            Target::Abstract(n) => Dest::Abstract(n),
            Target::Inode(i) => Dest::Inode(*i),
        }
    }
}

/// How a send behaves.
#[derive(Debug, Default, Clone, Copy)]
pub struct SendMode {
    pub nonblock: bool,
    /// MSG_NOSIGNAL: EPIPE without SIGPIPE.
    pub nosignal: bool,
    /// Credentials the sender claims (SCM_CREDENTIALS, already checked); else its own.
    pub creds: Option<Ucred>,
}

/// How a receive behaves.
#[derive(Debug, Default, Clone, Copy)]
pub struct RecvMode {
    pub nonblock: bool,
    pub peek: bool,
    /// MSG_WAITALL: a stream read waits for the whole buffer.
    pub waitall: bool,
}

/// The caller's own credentials as messages carry them: thread-group id, real uid and gid.
pub fn own_creds() -> Ucred {
    let pid = process::current().map_or(0, |p| p.pid as i32);
    let c = crate::task::cred::current();
    Ucred {
        pid,
        uid: c.uid,
        gid: c.gid,
    }
}

/// Try `attempt` until it stops saying EAGAIN, sleeping between tries unless `nonblock`.
pub fn wait_for<T>(
    nonblock: bool,
    timeout_ns: Option<u64>,
    mut attempt: impl FnMut() -> Result<T, Errno>,
) -> Result<T, Errno> {
    if nonblock || timeout_ns == Some(0) {
        return attempt();
    }
    let deadline = timeout_ns.map(|t| crate::time::monotonic_ns().saturating_add(t));
    let step = wait_queue().wait_until_deadline(
        || match attempt() {
            Err(Errno::EAGAIN) => None,
            r => Some(r),
        },
        deadline,
    );
    match step {
        Ok(Some(r)) => r,
        Ok(None) => Err(Errno::EAGAIN),
        Err(_) if deadline.is_some() => Err(Errno::EINTR),
        Err(_) => Err(ERESTARTSYS),
    }
}

fn raise_sigpipe() {
    if let Some(me) = crate::task::sched::current() {
        let _ = crate::task::signal::send_to_thread(
            &me,
            basalt_signal::SigInfo::kernel(basalt_signal::SIGPIPE),
        );
    }
}

/// Send `data` (with `rights` on its first part) to the peer or `target`.
pub fn send_to(
    sock: &SocketFile,
    data: &[u8],
    rights: &mut Vec<Rights>,
    mode: SendMode,
    target: Option<&Target>,
) -> Result<usize, Errno> {
    let creds = mode.creds.unwrap_or_else(own_creds);
    let (ty, timeout) = with_world(|w| w.socket(sock.id).map(|s| (s.ty(), s.sndtimeo)))?;
    let result = if ty == SockType::Stream {
        send_stream(sock, data, rights, mode, creds, target.is_some(), timeout)
    } else {
        let dest = target.map_or(Dest::Peer, Target::dest);
        let r = wait_for(mode.nonblock, timeout, || {
            with_world(|w| {
                w.send_dgram(
                    sock.id,
                    dest,
                    &mut Outgoing {
                        data,
                        rights,
                        creds,
                    },
                )
            })
        });
        if r.is_ok() {
            changed();
        }
        r
    };
    // Only streams raise SIGPIPE (unix_stream_sendmsg); seqpacket's EPIPE comes from the datagram path.
    if result == Err(Errno::EPIPE) && !mode.nosignal && ty == SockType::Stream {
        raise_sigpipe();
    }
    result
}

/// Send to the connected peer.
pub fn send(
    sock: &SocketFile,
    data: &[u8],
    rights: &mut Vec<Rights>,
    mode: SendMode,
) -> Result<usize, Errno> {
    send_to(sock, data, rights, mode, None)
}

fn send_stream(
    sock: &SocketFile,
    data: &[u8],
    rights: &mut Vec<Rights>,
    mode: SendMode,
    creds: Ucred,
    addressed: bool,
    timeout: Option<u64>,
) -> Result<usize, Errno> {
    let mut done = 0;
    loop {
        let rest = &data[done..];
        let step = wait_for(mode.nonblock, timeout, || {
            with_world(|w| {
                w.send_stream(
                    sock.id,
                    addressed,
                    &mut Outgoing {
                        data: rest,
                        rights,
                        creds,
                    },
                )
            })
        });
        match step {
            Ok(n) => {
                done += n;
                changed();
            }
            // What was sent counts; the error shows on the next call.
            Err(_) if done > 0 => return Ok(done),
            Err(e) => return Err(e),
        }
        if done >= data.len() {
            return Ok(done);
        }
    }
}

/// Receive up to `max` bytes (one datagram, or stream bytes).
pub fn recv(sock: &SocketFile, max: usize, mode: RecvMode) -> Result<Received<Rights>, Errno> {
    let (ty, timeout) = with_world(|w| w.socket(sock.id).map(|s| (s.ty(), s.rcvtimeo)))?;
    let attempt = |want: usize| with_world(|w| w.recv(sock.id, want, mode.peek, mode.nonblock));
    let mut got = wait_for(mode.nonblock, timeout, || attempt(max))?;
    changed();
    let whole = ty == SockType::Stream && mode.waitall && !mode.peek;
    while whole && !got.data.is_empty() && got.rights.is_empty() && got.data.len() < max {
        let want = max - got.data.len();
        match wait_for(mode.nonblock, timeout, || attempt(want)) {
            Ok(more) if !more.data.is_empty() => {
                got.data.extend_from_slice(&more.data);
                got.rights.extend(more.rights);
                changed();
            }
            // End of file, an error or a signal: what arrived so far is the result.
            _ => break,
        }
    }
    got.full_len = got.full_len.max(got.data.len());
    Ok(got)
}
