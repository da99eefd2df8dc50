//! Garbage collection of sockets kept alive only by descriptors in flight (`net/unix/garbage.c`): a socket
//! whose every reference sits in some socket's queue, and that no socket with an outside reference can reach
//! through queued descriptors, can never be received again (a socket sent over itself and closed, or two
//! sockets holding each other). Their queues are emptied; dropping what comes out frees them.

use super::{SocketId, World};
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;

impl<R> World<R> {
    /// Whether any descriptor is in flight (otherwise there is nothing to collect).
    pub fn has_rights_in_flight(&self) -> bool {
        self.in_flight > 0
    }

    /// Collect unreachable cycles. `identify` says of a descriptor in flight which socket it is (None for other
    /// files) and how many references to that open file exist in all (queues, descriptor tables, anything
    /// else). Returns the descriptors taken out of the dead sockets' queues, for the caller to drop outside its
    /// lock.
    pub fn collect_cycles(&mut self, identify: impl Fn(&R) -> Option<(SocketId, usize)>) -> Vec<R> {
        if self.in_flight == 0 {
            return Vec::new();
        }
        // References from queues, and the total count, of each socket that is in flight.
        let mut queued: BTreeMap<SocketId, (usize, usize)> = BTreeMap::new();
        for s in self.sockets.values() {
            for m in &s.queue.messages {
                for r in &m.rights {
                    if let Some((id, total)) = identify(r) {
                        let e = queued.entry(id).or_insert((0, total));
                        e.0 += 1;
                        e.1 = e.1.max(total);
                    }
                }
            }
        }
        let mut candidates: BTreeSet<SocketId> = queued
            .iter()
            .filter(|(id, (q, total))| q == total && self.sockets.contains_key(id))
            .map(|(id, _)| *id)
            .collect();
        // Whatever a live socket's queue holds is live, and so on transitively.
        let mut work: Vec<SocketId> = self
            .sockets
            .keys()
            .filter(|id| !candidates.contains(id))
            .copied()
            .collect();
        while let Some(live) = work.pop() {
            let Some(s) = self.sockets.get(&live) else {
                continue;
            };
            for m in &s.queue.messages {
                for r in &m.rights {
                    if let Some((id, _)) = identify(r) {
                        if candidates.remove(&id) {
                            work.push(id);
                        }
                    }
                }
            }
        }
        let mut garbage = Vec::new();
        for id in candidates {
            garbage.extend(self.purge(id));
        }
        garbage
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::SockType;
    use crate::cmsg::Ucred;
    use crate::world::Outgoing;
    use alloc::vec;

    const ME: Ucred = Ucred {
        pid: 1,
        uid: 0,
        gid: 0,
    };

    /// A descriptor in a test: the socket it names and how many references exist.
    #[derive(Clone, Debug, PartialEq, Eq)]
    struct Fd {
        id: SocketId,
        refs: usize,
    }

    fn pass(w: &mut World<Fd>, from: SocketId, fd: Fd) {
        let mut rights = vec![fd];
        let mut out = Outgoing {
            data: b"x",
            rights: &mut rights,
            creds: ME,
        };
        w.send_stream(from, false, &mut out).unwrap();
    }

    fn identify(fd: &Fd) -> Option<(SocketId, usize)> {
        Some((fd.id, fd.refs))
    }

    #[test]
    fn a_socket_sent_over_itself_and_closed_is_collected() {
        let mut w = World::new();
        let (a, b) = w.pair(SockType::Stream, ME);
        // b travels to b's own queue (sent from a); its only reference is that one.
        pass(&mut w, a, Fd { id: b, refs: 1 });
        assert!(w.has_rights_in_flight());
        let garbage = w.collect_cycles(identify);
        assert_eq!(garbage, vec![Fd { id: b, refs: 1 }]);
        assert!(!w.has_rights_in_flight());
    }

    #[test]
    fn a_reachable_or_open_socket_stays() {
        let mut w = World::new();
        let (a, b) = w.pair(SockType::Stream, ME);
        let (c, d) = w.pair(SockType::Stream, ME);
        // d is still open somewhere (2 references, 1 queued).
        pass(&mut w, c, Fd { id: d, refs: 2 });
        // b is only in flight, but in the queue of d, which is live: b stays too.
        pass(&mut w, c, Fd { id: b, refs: 1 });
        assert!(w.collect_cycles(identify).is_empty());
        let _ = a;
    }

    #[test]
    fn two_sockets_holding_each_other_are_collected() {
        let mut w = World::new();
        let (a, b) = w.pair(SockType::Stream, ME);
        pass(&mut w, a, Fd { id: a, refs: 1 }); // a sits in b's queue
        pass(&mut w, b, Fd { id: b, refs: 1 }); // b sits in a's queue
        let mut garbage = w.collect_cycles(identify);
        garbage.sort_by_key(|f| f.id);
        assert_eq!(garbage.len(), 2);
    }
}
