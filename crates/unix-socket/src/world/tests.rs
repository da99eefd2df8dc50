use super::*;
use alloc::vec;

const ME: Ucred = Ucred {
    pid: 7,
    uid: 0,
    gid: 0,
};

fn send(w: &mut World<u32>, id: SocketId, data: &[u8], rights: Vec<u32>) -> Result<usize, Errno> {
    let mut rights = rights;
    let mut out = Outgoing {
        data,
        rights: &mut rights,
        creds: ME,
    };
    match w.socket(id)?.ty() {
        SockType::Stream => w.send_stream(id, false, &mut out),
        _ => w.send_dgram(id, Dest::Peer, &mut out),
    }
}

fn recv(w: &mut World<u32>, id: SocketId, max: usize) -> Result<Vec<u8>, Errno> {
    w.recv(id, max, false, true).map(|r| r.data)
}

#[test]
fn stream_pair_bytes_and_eof() {
    let mut w = World::new();
    let (a, b) = w.pair(SockType::Stream, ME);
    assert_eq!(send(&mut w, a, b"hel", vec![]), Ok(3));
    assert_eq!(send(&mut w, a, b"lo", vec![]), Ok(2));
    assert_eq!(w.socket(b).unwrap().unread(), Ok(5));
    assert!(w.socket(a).unwrap().unsent().unwrap() > 5);
    assert_eq!(recv(&mut w, b, 4), Ok(b"hell".to_vec()));
    assert_eq!(recv(&mut w, b, 4), Ok(b"o".to_vec()));
    assert_eq!(recv(&mut w, b, 4), Err(Errno::EAGAIN));
    assert!(w.release(a).is_empty());
    assert_eq!(recv(&mut w, b, 4), Ok(vec![]));
    assert_eq!(send(&mut w, b, b"x", vec![]), Err(Errno::EPIPE));
}

#[test]
fn close_with_unread_data_resets_peer() {
    let mut w = World::new();
    let (a, b) = w.pair(SockType::Stream, ME);
    send(&mut w, a, b"x", vec![]).unwrap();
    w.release(b);
    assert_eq!(recv(&mut w, a, 4), Err(Errno::ECONNRESET));
    assert_eq!(recv(&mut w, a, 4), Ok(vec![]));
}

#[test]
fn dgram_boundaries_and_truncation() {
    let mut w = World::new();
    let (a, b) = w.pair(SockType::Dgram, ME);
    send(&mut w, a, b"abc", vec![]).unwrap();
    send(&mut w, a, b"de", vec![]).unwrap();
    assert_eq!(w.socket(b).unwrap().unread(), Ok(3));
    let r = w.recv(b, 2, false, true).unwrap();
    assert_eq!((r.data, r.full_len, r.truncated), (b"ab".to_vec(), 3, true));
    assert_eq!(recv(&mut w, b, 10), Ok(b"de".to_vec()));
    w.release(b);
    assert_eq!(send(&mut w, a, b"x", vec![]), Err(Errno::ECONNREFUSED));
    assert_eq!(send(&mut w, a, b"x", vec![]), Err(Errno::ENOTCONN));
}

#[test]
fn listen_connect_accept() {
    let mut w: World<u32> = World::new();
    let l = w.create(SockType::Stream);
    assert_eq!(w.listen(l, 0, ME), Err(Errno::EINVAL));
    w.bind_abstract(l, b"srv").unwrap();
    assert_eq!(w.bind_abstract(l, b"x"), Err(Errno::EINVAL));
    let other = w.create(SockType::Stream);
    assert_eq!(w.bind_abstract(other, b"srv"), Err(Errno::EADDRINUSE));
    assert_eq!(
        w.connect_stream(other, Dest::Abstract(b"srv"), ME),
        Err(Errno::ECONNREFUSED)
    );
    w.listen(l, 1, ME).unwrap();
    assert_eq!(w.socket(l).unwrap().unread(), Err(Errno::EINVAL));
    let c1 = w.create(SockType::Stream);
    let c2 = w.create(SockType::Stream);
    let c3 = w.create(SockType::Stream);
    w.connect_stream(c1, Dest::Abstract(b"srv"), ME).unwrap();
    assert_eq!(
        w.connect_stream(c1, Dest::Abstract(b"srv"), ME),
        Err(Errno::EISCONN)
    );
    w.connect_stream(c2, Dest::Abstract(b"srv"), ME).unwrap();
    // Full at more than the backlog (checked before the caller's own state, as Linux does).
    assert_eq!(
        w.connect_stream(c3, Dest::Abstract(b"srv"), ME),
        Err(Errno::EAGAIN)
    );
    let d = w.create(SockType::Dgram);
    assert_eq!(
        w.connect_dgram(d, Some(Dest::Abstract(b"srv"))).err(),
        Some(Errno::ECONNREFUSED)
    );
    // Abstract names are per type; paths are not (EPROTOTYPE).
    assert_eq!(w.bind_abstract(d, b"srv"), Ok(()));
    let p = w.create(SockType::Dgram);
    w.bind_inode(p, 42, b"/p").unwrap();
    assert_eq!(
        w.connect_stream(c3, Dest::Inode(42), ME),
        Err(Errno::EPROTOTYPE)
    );
    send(&mut w, c1, b"early", vec![]).unwrap();
    let s = w.accept(l).unwrap();
    assert_eq!(recv(&mut w, s, 10), Ok(b"early".to_vec()));
    assert_eq!(
        w.sock_name(s).unwrap(),
        Name::Abstract(b"srv".to_vec()).encode()
    );
    assert_eq!(
        w.peer_name(c1).unwrap(),
        Name::Abstract(b"srv".to_vec()).encode()
    );
    assert_eq!(w.peer_name(s).unwrap(), vec![1, 0]);
    assert!(w.accept(l).is_ok());
    assert_eq!(w.accept(l), Err(Errno::EAGAIN));
}

#[test]
fn unaccepted_connection_resets_client() {
    let mut w: World<u32> = World::new();
    let l = w.create(SockType::Stream);
    w.bind_abstract(l, b"srv").unwrap();
    w.listen(l, 5, ME).unwrap();
    let c = w.create(SockType::Stream);
    w.connect_stream(c, Dest::Abstract(b"srv"), ME).unwrap();
    w.release(l);
    assert_eq!(recv(&mut w, c, 1), Err(Errno::ECONNRESET));
    let c2 = w.create(SockType::Stream);
    assert_eq!(
        w.connect_stream(c2, Dest::Abstract(b"srv"), ME),
        Err(Errno::ECONNREFUSED)
    );
}

#[test]
fn rights_travel_and_come_back_on_close() {
    let mut w = World::new();
    let (a, b) = w.pair(SockType::Stream, ME);
    send(&mut w, a, b"1", vec![10]).unwrap();
    send(&mut w, a, b"2", vec![]).unwrap();
    let r = w.recv(b, 10, false, true).unwrap();
    // The read stops after the message that carried descriptors.
    assert_eq!((r.data, r.rights), (b"1".to_vec(), vec![10]));
    send(&mut w, a, b"3", vec![11, 12]).unwrap();
    assert_eq!(w.release(b), vec![11, 12]);
}

#[test]
fn shutdown_mirrors() {
    let mut w: World<u32> = World::new();
    let (a, b) = w.pair(SockType::Stream, ME);
    assert_eq!(w.shutdown(a, 3), Err(Errno::EINVAL));
    w.shutdown(a, 1).unwrap();
    assert_eq!(send(&mut w, a, b"x", vec![]), Err(Errno::EPIPE));
    assert_eq!(recv(&mut w, b, 1), Ok(vec![]));
    use crate::poll::*;
    assert_eq!(
        w.poll(b) & (POLLIN | POLLRDHUP | POLLHUP),
        POLLIN | POLLRDHUP
    );
    w.release(a);
    assert_ne!(w.poll(b) & POLLHUP, 0);
}

#[test]
fn dgram_queue_limit_and_may_send() {
    let mut w: World<u32> = World::new();
    let srv = w.create(SockType::Dgram);
    w.bind_abstract(srv, b"d").unwrap();
    let c = w.create(SockType::Dgram);
    let mut sent = 0;
    loop {
        let mut rights = vec![];
        let mut out = Outgoing {
            data: b"x",
            rights: &mut rights,
            creds: ME,
        };
        match w.send_dgram(c, Dest::Abstract(b"d"), &mut out) {
            Ok(_) => sent += 1,
            Err(e) => {
                assert_eq!(e, Errno::EAGAIN);
                break;
            }
        }
    }
    assert_eq!(sent, MAX_DGRAM_QLEN + 1);
    let third = w.create(SockType::Dgram);
    assert_eq!(
        w.connect_dgram(srv, Some(Dest::Inode(0))).err(),
        Some(Errno::ECONNREFUSED)
    );
    w.bind_abstract(third, b"t").unwrap();
    w.connect_dgram(srv, Some(Dest::Abstract(b"t"))).unwrap();
    let mut rights = vec![];
    let mut out = Outgoing {
        data: b"x",
        rights: &mut rights,
        creds: ME,
    };
    assert_eq!(
        w.send_dgram(c, Dest::Abstract(b"d"), &mut out),
        Err(Errno::EPERM)
    );
}

#[test]
fn autobind_names() {
    let mut w: World<u32> = World::new();
    let a = w.create(SockType::Dgram);
    w.autobind(a).unwrap();
    let name = w.sock_name(a).unwrap();
    assert_eq!(name.len(), 8);
    assert_eq!(name[2], 0);
    w.autobind(a).unwrap();
    assert_eq!(w.sock_name(a).unwrap(), name);
}

#[test]
fn peek_keeps_data() {
    let mut w = World::new();
    let (a, b) = w.pair(SockType::SeqPacket, ME);
    send(&mut w, a, b"rec", vec![5]).unwrap();
    let p = w.recv(b, 10, true, true).unwrap();
    assert_eq!((p.data, p.rights), (b"rec".to_vec(), vec![5]));
    let r = w.recv(b, 10, false, true).unwrap();
    assert_eq!((r.data, r.rights), (b"rec".to_vec(), vec![5]));
    w.shutdown(a, 1).unwrap();
    assert_eq!(recv(&mut w, b, 10), Ok(vec![]));
}

#[test]
fn dgram_send_after_own_shutdown_is_epipe_and_peer_keeps_reading() {
    let mut w = World::new();
    let (a, b) = w.pair(SockType::Dgram, ME);
    assert_eq!(w.shutdown(a, 1), Ok(()));
    assert_eq!(send(&mut w, a, b"x", vec![]), Err(Errno::EPIPE));
    // The peer was not shut down: it may still send, and reading waits (EAGAIN) rather than ending.
    assert_eq!(recv(&mut w, b, 4), Err(Errno::EAGAIN));
    assert_eq!(send(&mut w, b, b"y", vec![]), Ok(1));
}
