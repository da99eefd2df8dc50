//! Receive queues: messages (a datagram, or one send's bytes on a stream) with their ancillary data.

use crate::cmsg::Ucred;
use crate::world::SocketId;
use alloc::collections::VecDeque;
use alloc::vec::Vec;

/// Bytes a queued message is charged beyond its data (an approximation of an sk_buff's truesize), so a flood
/// of empty datagrams is bounded by the sender's buffer too.
pub const MESSAGE_OVERHEAD: usize = 256;

/// One queued message.
pub struct Message<R> {
    pub data: Vec<u8>,
    /// Bytes already read (streams read messages piecemeal).
    pub read: usize,
    /// Descriptors passed with it; taken by the first read that reaches the message.
    pub rights: Vec<R>,
    /// Credentials of the sender (explicit SCM_CREDENTIALS or its own).
    pub creds: Ucred,
    /// The sender's address when it was sent (encoded), if it had one.
    pub from: Option<Vec<u8>>,
    /// The sending socket and what it was charged.
    pub sender: SocketId,
    pub charge: usize,
}

impl<R> Message<R> {
    pub fn unread(&self) -> usize {
        self.data.len() - self.read
    }
}

/// A receive queue.
pub struct Queue<R> {
    pub messages: VecDeque<Message<R>>,
}

impl<R> Queue<R> {
    pub const fn new() -> Self {
        Queue {
            messages: VecDeque::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    pub fn len(&self) -> usize {
        self.messages.len()
    }

    /// Bytes waiting to be read (FIONREAD on a stream).
    pub fn unread_bytes(&self) -> usize {
        self.messages.iter().map(Message::unread).sum()
    }
}

impl<R> Default for Queue<R> {
    fn default() -> Self {
        Self::new()
    }
}
