//! Every AF_UNIX socket of the system and their names, with the protocol rules of `af_unix.c`. Operations never
//! sleep: "would block" is `EAGAIN`, and the caller decides whether to wait and try again. Descriptors in
//! flight (`R`) that a socket drops are handed back to the caller, which closes them outside its lock.

use crate::addr::{self, Name};
use crate::args::SockType;
use crate::cmsg::Ucred;
use crate::options::BUF_DEFAULT;
use crate::queue::{Message, Queue};
use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;
use basalt_linux_abi::Errno;

pub type SocketId = u64;

const SHUT_RCV: u8 = 1;
const SHUT_SEND: u8 = 2;
const SHUT_BOTH: u8 = 3;
/// net.unix.max_dgram_qlen: a datagram socket not connected back to the sender queues at most this many + 1.
pub const MAX_DGRAM_QLEN: usize = 10;
/// net.core.somaxconn: larger (or negative) backlogs are cut to it.
pub const SOMAXCONN: u32 = 4096;

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Unconnected,
    Listening {
        backlog: usize,
        pending: VecDeque<SocketId>,
    },
    Connected,
}

/// Where a datagram goes, or what connect names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dest<'a> {
    /// The connected peer.
    Peer,
    /// An abstract name (without the leading NUL).
    Abstract(&'a [u8]),
    /// A socket inode of the filesystem, by number.
    Inode(u64),
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    /// Abstract names are per socket type (Linux hashes the type in): a stream and a datagram socket may both
    /// hold one, and looking it up with the other type finds nothing.
    Abstract(Vec<u8>, i32),
    Inode(u64),
}

/// One socket.
pub struct Socket<R> {
    ty: SockType,
    state: State,
    name: Option<Name>,
    key: Option<Key>,
    /// The connected peer (streams, seqpacket, connected datagram sockets).
    peer: Option<SocketId>,
    /// The peer's name when the connection was made, for getpeername after the peer is gone.
    peer_name: Option<Name>,
    queue: Queue<R>,
    shutdown: u8,
    error: Option<Errno>,
    peercred: Option<Ucred>,
    /// Bytes this socket sent that are still queued somewhere (sk_wmem_alloc).
    inflight: usize,
    pub passcred: bool,
    pub sndbuf: u32,
    pub rcvbuf: u32,
    pub rcvtimeo: Option<u64>,
    pub sndtimeo: Option<u64>,
    pub reuseaddr: bool,
    pub keepalive: bool,
}

impl<R> Socket<R> {
    fn new(ty: SockType) -> Self {
        Socket {
            ty,
            state: State::Unconnected,
            name: None,
            key: None,
            peer: None,
            peer_name: None,
            queue: Queue::new(),
            shutdown: 0,
            error: None,
            peercred: None,
            inflight: 0,
            passcred: false,
            sndbuf: BUF_DEFAULT,
            rcvbuf: BUF_DEFAULT,
            rcvtimeo: None,
            sndtimeo: None,
            reuseaddr: false,
            keepalive: false,
        }
    }

    pub fn ty(&self) -> SockType {
        self.ty
    }

    pub fn listening(&self) -> bool {
        matches!(self.state, State::Listening { .. })
    }

    /// SO_PEERCRED.
    pub fn peercred(&self) -> Ucred {
        self.peercred.unwrap_or(Ucred::NONE)
    }

    /// SO_ERROR: the pending error, cleared.
    pub fn take_error(&mut self) -> Option<Errno> {
        self.error.take()
    }

    fn writable(&self) -> bool {
        !self.listening() && self.inflight * 4 <= self.sndbuf as usize
    }

    /// SIOCINQ (`unix_inq_len`): EINVAL for a listener; the queued bytes of a stream or seqpacket socket, the
    /// size of the next datagram.
    pub fn unread(&self) -> Result<usize, Errno> {
        if self.listening() {
            return Err(Errno::EINVAL);
        }
        Ok(match self.ty {
            SockType::Dgram => self.queue.messages.front().map_or(0, Message::unread),
            _ => self.queue.unread_bytes(),
        })
    }

    /// SIOCOUTQ (`unix_outq_len`): what this socket sent that is still queued, as charged.
    pub fn unsent(&self) -> Result<usize, Errno> {
        if self.listening() {
            return Err(Errno::EINVAL);
        }
        Ok(self.inflight)
    }
}

/// All sockets and names.
pub struct World<R> {
    sockets: BTreeMap<SocketId, Socket<R>>,
    names: BTreeMap<Key, SocketId>,
    next_id: SocketId,
    next_autobind: u32,
    /// Descriptors sitting in queues (the garbage collector has nothing to do while this is 0).
    in_flight: usize,
}

impl<R> Default for World<R> {
    fn default() -> Self {
        Self::new()
    }
}

impl<R> World<R> {
    pub const fn new() -> Self {
        World {
            sockets: BTreeMap::new(),
            names: BTreeMap::new(),
            next_id: 1,
            next_autobind: 0,
            in_flight: 0,
        }
    }

    pub fn socket(&self, id: SocketId) -> Result<&Socket<R>, Errno> {
        self.sockets.get(&id).ok_or(Errno::EBADF)
    }

    pub fn socket_mut(&mut self, id: SocketId) -> Result<&mut Socket<R>, Errno> {
        self.sockets.get_mut(&id).ok_or(Errno::EBADF)
    }

    /// A new unconnected socket.
    pub fn create(&mut self, ty: SockType) -> SocketId {
        let id = self.next_id;
        self.next_id += 1;
        self.sockets.insert(id, Socket::new(ty));
        id
    }

    /// socketpair: two connected sockets whose peer credentials are the creator's.
    pub fn pair(&mut self, ty: SockType, cred: Ucred) -> (SocketId, SocketId) {
        let a = self.create(ty);
        let b = self.create(ty);
        for (me, other) in [(a, b), (b, a)] {
            if let Some(s) = self.sockets.get_mut(&me) {
                s.peer = Some(other);
                s.peercred = Some(cred);
                if ty.connected_kind() {
                    s.state = State::Connected;
                }
            }
        }
        (a, b)
    }

    /// Whether the socket has a name.
    pub fn is_bound(&self, id: SocketId) -> bool {
        self.sockets.get(&id).is_some_and(|s| s.name.is_some())
    }

    /// bind to an abstract name: EINVAL when already bound, EADDRINUSE when the name is taken.
    pub fn bind_abstract(&mut self, id: SocketId, name: &[u8]) -> Result<(), Errno> {
        let ty = self.socket(id)?.ty.number();
        self.bind_key(
            id,
            Key::Abstract(name.to_vec(), ty),
            Name::Abstract(name.to_vec()),
        )
    }

    /// bind to a path whose new socket inode is `ino` (the caller made it; EINVAL when already bound, and the
    /// caller removes the inode again).
    pub fn bind_inode(&mut self, id: SocketId, ino: u64, path: &[u8]) -> Result<(), Errno> {
        self.bind_key(id, Key::Inode(ino), Name::Path(path.to_vec()))
    }

    fn bind_key(&mut self, id: SocketId, key: Key, name: Name) -> Result<(), Errno> {
        let s = self.sockets.get(&id).ok_or(Errno::EBADF)?;
        if s.name.is_some() {
            return Err(Errno::EINVAL);
        }
        if self.names.contains_key(&key) {
            return Err(Errno::EADDRINUSE);
        }
        self.names.insert(key.clone(), id);
        if let Some(s) = self.sockets.get_mut(&id) {
            s.name = Some(name);
            s.key = Some(key);
        }
        Ok(())
    }

    /// Autobind: a free abstract name of five hex digits; nothing to do for a bound socket.
    pub fn autobind(&mut self, id: SocketId) -> Result<(), Errno> {
        if self.is_bound(id) {
            return Ok(());
        }
        let ty = self.socket(id)?.ty.number();
        for _ in 0..=0xfffff {
            let n = self.next_autobind & 0xfffff;
            self.next_autobind = self.next_autobind.wrapping_add(1);
            let Name::Abstract(bytes) = Name::autobind(n) else {
                continue;
            };
            if !self.names.contains_key(&Key::Abstract(bytes.clone(), ty)) {
                return self.bind_abstract(id, &bytes);
            }
        }
        Err(Errno::ENOSPC)
    }

    /// getsockname: the name, or just the family.
    pub fn sock_name(&self, id: SocketId) -> Result<Vec<u8>, Errno> {
        let s = self.socket(id)?;
        Ok(s.name.as_ref().map_or_else(addr::unnamed, Name::encode))
    }

    /// getpeername: ENOTCONN without a peer.
    pub fn peer_name(&self, id: SocketId) -> Result<Vec<u8>, Errno> {
        let s = self.socket(id)?;
        let peer = s.peer.ok_or(Errno::ENOTCONN)?;
        let name = match self.sockets.get(&peer) {
            Some(p) => p.name.as_ref(),
            None => s.peer_name.as_ref(),
        };
        Ok(name.map_or_else(addr::unnamed, Name::encode))
    }

    /// listen: EOPNOTSUPP for datagram sockets, EINVAL unbound or connected; the backlog is capped at somaxconn
    /// (as unsigned), and the peer credentials become the listener's own.
    pub fn listen(&mut self, id: SocketId, backlog: i32, cred: Ucred) -> Result<(), Errno> {
        let s = self.socket_mut(id)?;
        if !s.ty.connected_kind() {
            return Err(Errno::EOPNOTSUPP);
        }
        if s.name.is_none() {
            return Err(Errno::EINVAL);
        }
        let backlog = (backlog as u32).min(SOMAXCONN) as usize;
        match &mut s.state {
            State::Listening { backlog: b, .. } => *b = backlog,
            State::Unconnected => {
                s.state = State::Listening {
                    backlog,
                    pending: VecDeque::new(),
                }
            }
            State::Connected => return Err(Errno::EINVAL),
        }
        s.peercred = Some(cred);
        Ok(())
    }

    /// The socket a name leads to: ECONNREFUSED when nothing is bound there (an abstract name bound by another
    /// type included), EPROTOTYPE for a path bound by another type.
    fn resolve(&self, ty: SockType, dest: Dest<'_>) -> Result<SocketId, Errno> {
        let key = match dest {
            Dest::Abstract(n) => Key::Abstract(n.to_vec(), ty.number()),
            Dest::Inode(i) => Key::Inode(i),
            Dest::Peer => return Err(Errno::EINVAL),
        };
        let id = *self.names.get(&key).ok_or(Errno::ECONNREFUSED)?;
        let other = self.socket(id).map_err(|_| Errno::ECONNREFUSED)?;
        if other.ty != ty {
            return Err(Errno::EPROTOTYPE);
        }
        Ok(id)
    }

    /// connect for streams and seqpacket (`unix_stream_connect`): the connection exists at once (data may be
    /// sent before accept); the listener's backlog full is EAGAIN (wait and retry).
    pub fn connect_stream(
        &mut self,
        id: SocketId,
        dest: Dest<'_>,
        cred: Ucred,
    ) -> Result<(), Errno> {
        let ty = self.socket(id)?.ty;
        if self.socket(id)?.passcred {
            self.autobind(id)?;
        }
        let target = self.resolve(ty, dest)?;
        let listener = self.socket(target)?;
        let State::Listening { backlog, pending } = &listener.state else {
            return Err(Errno::ECONNREFUSED);
        };
        if listener.shutdown & SHUT_RCV != 0 {
            return Err(Errno::ECONNREFUSED);
        }
        if pending.len() > *backlog {
            return Err(Errno::EAGAIN);
        }
        match self.socket(id)?.state {
            State::Unconnected => {}
            State::Connected => return Err(Errno::EISCONN),
            State::Listening { .. } => return Err(Errno::EINVAL),
        }
        let listener_name = listener.name.clone();
        let listener_cred = listener.peercred;
        let (sndbuf, rcvbuf, passcred) = (listener.sndbuf, listener.rcvbuf, listener.passcred);
        let embryo = self.create(ty);
        let client_name = self.socket(id)?.name.clone();
        if let Some(e) = self.sockets.get_mut(&embryo) {
            e.state = State::Connected;
            e.name = listener_name.clone();
            e.peer = Some(id);
            e.peer_name = client_name;
            e.peercred = Some(cred);
            e.sndbuf = sndbuf;
            e.rcvbuf = rcvbuf;
            e.passcred = passcred;
        }
        if let Some(c) = self.sockets.get_mut(&id) {
            c.state = State::Connected;
            c.peer = Some(embryo);
            c.peer_name = listener_name;
            c.peercred = listener_cred;
        }
        if let Some(State::Listening { pending, .. }) =
            self.sockets.get_mut(&target).map(|l| &mut l.state)
        {
            pending.push_back(embryo);
        }
        Ok(())
    }

    /// accept: EOPNOTSUPP for datagram sockets, EINVAL when not listening, EAGAIN with nothing pending.
    pub fn accept(&mut self, id: SocketId) -> Result<SocketId, Errno> {
        let s = self.socket_mut(id)?;
        if !s.ty.connected_kind() {
            return Err(Errno::EOPNOTSUPP);
        }
        match &mut s.state {
            State::Listening { pending, .. } => pending.pop_front().ok_or(Errno::EAGAIN),
            _ => Err(Errno::EINVAL),
        }
    }

    /// connect for datagram sockets: `None` (AF_UNSPEC) dissolves the association. Changing peers drops what
    /// was queued from the old one (`unix_dgram_disconnected`); returns those descriptors.
    pub fn connect_dgram(&mut self, id: SocketId, dest: Option<Dest<'_>>) -> Result<Vec<R>, Errno> {
        let target = match dest {
            Some(d) => {
                if self.socket(id)?.passcred {
                    self.autobind(id)?;
                }
                let t = self.resolve(SockType::Dgram, d)?;
                if !self.may_send(id, t) {
                    return Err(Errno::EPERM);
                }
                Some(t)
            }
            None => None,
        };
        let s = self.socket_mut(id)?;
        let old = s.peer;
        s.peer = target;
        let mut garbage = Vec::new();
        if let Some(old) = old.filter(|&o| Some(o) != target) {
            if !self.socket(id)?.queue.is_empty() {
                garbage = self.purge(id);
                if let Some(o) = self.sockets.get_mut(&old) {
                    if o.peer == Some(id) {
                        o.error = Some(Errno::ECONNRESET);
                    }
                }
            }
        }
        if let Some(t) = target {
            let name = self.socket(t)?.name.clone();
            self.socket_mut(id)?.peer_name = name;
        }
        Ok(garbage)
    }

    /// `unix_may_send`: a datagram socket connected elsewhere accepts only from its peer.
    fn may_send(&self, from: SocketId, to: SocketId) -> bool {
        self.sockets
            .get(&to)
            .is_none_or(|t| t.peer.is_none() || t.peer == Some(from))
    }

    fn purge(&mut self, id: SocketId) -> Vec<R> {
        let Some(s) = self.sockets.get_mut(&id) else {
            return Vec::new();
        };
        let messages = core::mem::take(&mut s.queue.messages);
        let mut garbage = Vec::new();
        for m in messages {
            self.uncharge(m.sender, m.charge);
            self.in_flight = self.in_flight.saturating_sub(m.rights.len());
            garbage.extend(m.rights);
        }
        garbage
    }

    fn uncharge(&mut self, sender: SocketId, charge: usize) {
        if let Some(s) = self.sockets.get_mut(&sender) {
            s.inflight = s.inflight.saturating_sub(charge);
        }
    }

    /// shutdown (`unix_shutdown`): `how` is SHUT_RD, SHUT_WR or SHUT_RDWR (EINVAL otherwise); a connected peer
    /// gets the mirror image.
    pub fn shutdown(&mut self, id: SocketId, how: i32) -> Result<(), Errno> {
        if !(0..=2).contains(&how) {
            return Err(Errno::EINVAL);
        }
        let mode = (how + 1) as u8;
        let s = self.socket_mut(id)?;
        s.shutdown |= mode;
        let (ty, peer) = (s.ty, s.peer);
        if ty.connected_kind() {
            if let Some(p) = peer.and_then(|p| self.sockets.get_mut(&p)) {
                let mut mirror = 0;
                if mode & SHUT_RCV != 0 {
                    mirror |= SHUT_SEND;
                }
                if mode & SHUT_SEND != 0 {
                    mirror |= SHUT_RCV;
                }
                p.shutdown |= mirror;
            }
        }
        Ok(())
    }

    /// The last descriptor of a socket closed (`unix_release_sock`): its name is freed, a connected peer sees
    /// the end (ECONNRESET when data was left unread or the connection was never accepted), pending
    /// connections are dropped. Returns the descriptors that were in flight to it.
    pub fn release(&mut self, id: SocketId) -> Vec<R> {
        self.release_one(id, false)
    }

    fn release_one(&mut self, id: SocketId, embryo: bool) -> Vec<R> {
        let had_data = self.sockets.get(&id).is_some_and(|s| !s.queue.is_empty());
        let mut garbage = self.purge(id);
        let Some(s) = self.sockets.remove(&id) else {
            return garbage;
        };
        if let Some(key) = &s.key {
            if self.names.get(key) == Some(&id) {
                self.names.remove(key);
            }
        }
        if s.ty.connected_kind() {
            if let Some(p) = s.peer.and_then(|p| self.sockets.get_mut(&p)) {
                p.shutdown = SHUT_BOTH;
                if had_data || embryo {
                    p.error = Some(Errno::ECONNRESET);
                }
            }
        }
        if let State::Listening { pending, .. } = s.state {
            for e in pending {
                garbage.extend(self.release_one(e, true));
            }
        }
        garbage
    }

    /// poll bits (`unix_poll`, `unix_dgram_poll`).
    pub fn poll(&self, id: SocketId) -> u16 {
        use crate::poll::*;
        let Ok(s) = self.socket(id) else {
            return POLLERR;
        };
        let mut mask = 0;
        if s.error.is_some() {
            mask |= POLLERR;
        }
        if s.shutdown == SHUT_BOTH {
            mask |= POLLHUP;
        }
        if s.shutdown & SHUT_RCV != 0 {
            mask |= POLLRDHUP | POLLIN | POLLRDNORM;
        }
        let pending = matches!(&s.state, State::Listening { pending, .. } if !pending.is_empty());
        if !s.queue.is_empty() || pending {
            mask |= POLLIN | POLLRDNORM;
        }
        if s.ty.connected_kind() && s.state == State::Unconnected {
            mask |= POLLHUP;
        }
        let mut writable = s.writable();
        if writable && s.ty == SockType::Dgram {
            if let Some(other) = s.peer.and_then(|p| self.sockets.get(&p)) {
                if other.peer != Some(id) && other.queue.len() > MAX_DGRAM_QLEN {
                    writable = false;
                }
            }
        }
        if writable {
            mask |= POLLOUT | POLLWRNORM | POLLWRBAND;
        }
        mask
    }
}

mod gc;
mod transfer;

pub use transfer::{Outgoing, Received};

#[cfg(test)]
mod tests;
