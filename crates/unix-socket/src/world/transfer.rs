//! Moving data: queueing sends (stream pieces, datagrams, seqpacket records) and taking messages off a queue
//! (`unix_stream_sendmsg`, `unix_dgram_sendmsg`, `unix_stream_read_generic`, `unix_dgram_recvmsg`).

use super::{Dest, SocketId, State, World, MAX_DGRAM_QLEN, SHUT_RCV, SHUT_SEND};
use crate::addr::Name;
use crate::args::SockType;
use crate::cmsg::Ucred;
use crate::options::MIN_SNDBUF;
use crate::queue::{Message, MESSAGE_OVERHEAD};
use alloc::vec::Vec;
use basalt_linux_abi::Errno;

/// What one receive took from a queue.
pub struct Received<R> {
    /// The bytes for the caller's buffer (at most what it asked for).
    pub data: Vec<u8>,
    /// The message's full length (datagrams; MSG_TRUNC reports it).
    pub full_len: usize,
    /// A datagram longer than the buffer (MSG_TRUNC in msg_flags).
    pub truncated: bool,
    /// Passed descriptors (duplicates when peeking).
    pub rights: Vec<R>,
    /// The sender's credentials, when the receiver asked for them (SO_PASSCRED).
    pub creds: Option<Ucred>,
    /// The sender's address (encoded), if it had one.
    pub from: Option<Vec<u8>>,
}

/// A message to send.
pub struct Outgoing<'a, R> {
    pub data: &'a [u8],
    /// Taken when the data (or its first part, on a stream) is queued.
    pub rights: &'a mut Vec<R>,
    pub creds: Ucred,
}

impl<R> World<R> {
    fn enqueue(&mut self, from: SocketId, to: SocketId, data: Vec<u8>, out: &mut Outgoing<'_, R>) {
        let charge = data.len() + MESSAGE_OVERHEAD;
        let from_name = self
            .sockets
            .get(&from)
            .and_then(|s| s.name.as_ref().map(Name::encode));
        if let Some(s) = self.sockets.get_mut(&from) {
            s.inflight += charge;
        }
        self.in_flight += out.rights.len();
        if let Some(t) = self.sockets.get_mut(&to) {
            t.queue.messages.push_back(Message {
                data,
                read: 0,
                rights: core::mem::take(out.rights),
                creds: out.creds,
                from: from_name,
                sender: from,
                charge,
            });
        }
    }

    /// Send on a stream (`unix_stream_sendmsg`): queues what the send buffer has room for and returns how much;
    /// EAGAIN when there is no room. `addressed`: the caller gave an address (EISCONN / EOPNOTSUPP).
    pub fn send_stream(
        &mut self,
        id: SocketId,
        addressed: bool,
        out: &mut Outgoing<'_, R>,
    ) -> Result<usize, Errno> {
        let s = self.socket(id)?;
        if addressed {
            return Err(if s.state == State::Connected {
                Errno::EISCONN
            } else {
                Errno::EOPNOTSUPP
            });
        }
        let peer = s
            .peer
            .filter(|_| s.state == State::Connected)
            .ok_or(Errno::ENOTCONN)?;
        if s.shutdown & SHUT_SEND != 0 {
            return Err(Errno::EPIPE);
        }
        if out.data.is_empty() {
            return Ok(0);
        }
        match self.sockets.get(&peer) {
            Some(p) if p.shutdown & SHUT_RCV == 0 => {}
            _ => return Err(Errno::EPIPE),
        }
        let sndbuf = s.sndbuf as usize;
        if s.inflight >= sndbuf {
            return Err(Errno::EAGAIN);
        }
        // One message at most half the buffer, as Linux sizes its skbs, so a reader can drain while we fill.
        let room = (sndbuf - s.inflight).max(sndbuf / 2);
        let n = out
            .data
            .len()
            .min(room)
            .min((sndbuf / 2).max(MIN_SNDBUF as usize));
        let data = out.data[..n].to_vec();
        self.enqueue(id, peer, data, out);
        Ok(n)
    }

    /// Send one datagram or seqpacket record (`unix_dgram_sendmsg`, `unix_seqpacket_sendmsg`).
    pub fn send_dgram(
        &mut self,
        id: SocketId,
        dest: Dest<'_>,
        out: &mut Outgoing<'_, R>,
    ) -> Result<usize, Errno> {
        let s = self.socket(id)?;
        let ty = s.ty;
        let dest = if ty == SockType::SeqPacket {
            if s.state != State::Connected {
                return Err(Errno::ENOTCONN);
            }
            Dest::Peer
        } else {
            dest
        };
        if dest == Dest::Peer && s.peer.is_none() {
            return Err(Errno::ENOTCONN);
        }
        if s.passcred && s.name.is_none() && ty == SockType::Dgram {
            self.autobind(id)?;
        }
        let s = self.socket(id)?;
        let sndbuf = s.sndbuf as usize;
        if out.data.len() > sndbuf.saturating_sub(32) {
            return Err(Errno::EMSGSIZE);
        }
        // The sender's own SHUT_WR (sock_alloc_send_pskb); a datagram peer is not told of it.
        if s.shutdown & SHUT_SEND != 0 {
            return Err(Errno::EPIPE);
        }
        if s.inflight >= sndbuf {
            return Err(Errno::EAGAIN);
        }
        let target = match dest {
            Dest::Peer => s.peer.ok_or(Errno::ENOTCONN)?,
            d => self.resolve(ty, d)?,
        };
        if !self.may_send(id, target) {
            return Err(Errno::EPERM);
        }
        let Some(other) = self.sockets.get(&target) else {
            if ty == SockType::SeqPacket {
                return Err(Errno::EPIPE);
            }
            // The peer is gone: forget it, once (the next send is ENOTCONN).
            if let Some(me) = self.sockets.get_mut(&id) {
                if me.peer == Some(target) {
                    me.peer = None;
                }
            }
            return Err(Errno::ECONNREFUSED);
        };
        if other.shutdown & SHUT_RCV != 0 {
            return Err(Errno::EPIPE);
        }
        if other.peer != Some(id) && other.queue.len() > MAX_DGRAM_QLEN {
            return Err(Errno::EAGAIN);
        }
        let n = out.data.len();
        let data = out.data.to_vec();
        self.enqueue(id, target, data, out);
        Ok(n)
    }

    /// Receive (`unix_stream_read_generic`, `unix_dgram_recvmsg`): EAGAIN when the caller should wait.
    /// `nonblock` matters only for an empty datagram socket shut for reading (EAGAIN, not end of file).
    pub fn recv(
        &mut self,
        id: SocketId,
        max: usize,
        peek: bool,
        nonblock: bool,
    ) -> Result<Received<R>, Errno>
    where
        R: Clone,
    {
        match self.socket(id)?.ty {
            SockType::Stream => self.recv_stream(id, max, peek),
            ty => self.recv_dgram(id, ty, max, peek, nonblock),
        }
    }

    fn recv_stream(&mut self, id: SocketId, max: usize, peek: bool) -> Result<Received<R>, Errno>
    where
        R: Clone,
    {
        let s = self.socket_mut(id)?;
        if s.state != State::Connected {
            return Err(Errno::EINVAL);
        }
        let passcred = s.passcred;
        let mut got = Received {
            data: Vec::new(),
            full_len: 0,
            truncated: false,
            rights: Vec::new(),
            creds: None,
            from: None,
        };
        let mut first_creds = None;
        let mut consumed = Vec::new();
        let mut taken = 0;
        let mut index = 0;
        while got.data.len() < max {
            let Some(m) = s.queue.messages.get_mut(index) else {
                break;
            };
            if let Some(c) = first_creds {
                if passcred && c != m.creds {
                    break;
                }
            } else {
                first_creds = Some(m.creds);
                got.from = m.from.clone();
            }
            let start = m.read;
            let n = m.unread().min(max - got.data.len());
            got.data.extend_from_slice(&m.data[start..start + n]);
            let had_rights = !m.rights.is_empty();
            if peek {
                got.rights.extend(m.rights.iter().cloned());
                index += 1;
            } else {
                taken += m.rights.len();
                got.rights.append(&mut m.rights);
                m.read += n;
                if m.unread() == 0 {
                    if let Some(done) = s.queue.messages.pop_front() {
                        consumed.push((done.sender, done.charge));
                    }
                } else {
                    break;
                }
            }
            if had_rights {
                break;
            }
        }
        if first_creds.is_none() {
            if let Some(e) = s.error.take() {
                return Err(e);
            }
            if s.shutdown & SHUT_RCV != 0 || max == 0 {
                return Ok(got);
            }
            return Err(Errno::EAGAIN);
        }
        got.creds = first_creds.filter(|_| passcred);
        got.full_len = got.data.len();
        for (sender, charge) in consumed {
            self.uncharge(sender, charge);
        }
        self.in_flight = self.in_flight.saturating_sub(taken);
        Ok(got)
    }

    fn recv_dgram(
        &mut self,
        id: SocketId,
        ty: SockType,
        max: usize,
        peek: bool,
        nonblock: bool,
    ) -> Result<Received<R>, Errno>
    where
        R: Clone,
    {
        let s = self.socket_mut(id)?;
        if ty == SockType::SeqPacket && s.state != State::Connected {
            return Err(Errno::ENOTCONN);
        }
        if let Some(e) = s.error.take() {
            return Err(e);
        }
        let passcred = s.passcred;
        let Some(m) = s.queue.messages.front_mut() else {
            let eof = s.shutdown & SHUT_RCV != 0 && (!nonblock || ty == SockType::SeqPacket);
            if eof {
                return Ok(Received {
                    data: Vec::new(),
                    full_len: 0,
                    truncated: false,
                    rights: Vec::new(),
                    creds: None,
                    from: None,
                });
            }
            return Err(Errno::EAGAIN);
        };
        let n = m.data.len().min(max);
        let mut got = Received {
            data: m.data[..n].to_vec(),
            full_len: m.data.len(),
            truncated: m.data.len() > max,
            rights: Vec::new(),
            creds: passcred.then_some(m.creds),
            from: m.from.clone(),
        };
        if peek {
            got.rights = m.rights.clone();
        } else if let Some(m) = s.queue.messages.pop_front() {
            got.rights = m.rights;
            self.uncharge(m.sender, m.charge);
            self.in_flight = self.in_flight.saturating_sub(got.rights.len());
        }
        Ok(got)
    }
}
