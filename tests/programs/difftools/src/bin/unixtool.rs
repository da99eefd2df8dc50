//! `unixtool`: AF_UNIX sockets for the differential scenarios. Errors print as errno names; nothing prints pids.
//!
//! - `serve ADDR COUNT [TYPE]`: bind and listen on ADDR (a path, or `@name` for an abstract name), print
//!   `listening`, and leave a background server that answers COUNT connections, each with `got N bytes: DATA`
//!   (what the client sent until it shut down its side), then exits;
//! - `connect ADDR DATA [TYPE]`: connect, print the peer's name and credentials, send DATA, shut down writing,
//!   print the answer;
//! - `bind ADDR [TYPE]`: bind a socket and close it (a path stays behind);
//! - `dgram ADDR`: datagram sockets: message boundaries, senders' names, truncation, unconnected sends;
//! - `pair TYPE`: a socket pair of TYPE: data both ways, shutdown, end of file, EPIPE;
//! - `passfd FILE`: a child opens FILE and passes the descriptor with SCM_RIGHTS; the parent reads through it;
//! - `creds`: SO_PEERCRED and SCM_CREDENTIALS (uid and gid printed, pids only compared).
//!
//! TYPE is `stream` (default), `dgram` or `seqpacket`.

use basalt_diff_tools::names::{errno_name, wait_status};
use basalt_diff_tools::sys::{self, Control};
use std::process::ExitCode;

type Outcome = Result<(), String>;

/// `what: ERRNO` as the error of a step.
fn step<T>(what: &str, result: Result<T, i32>) -> Result<T, String> {
    result.map_err(|e| format!("{what}: {}", errno_name(e)))
}

/// Prints `what: ok` or `what: ERRNO`; for checks whose failure is the expected outcome.
fn report<T>(what: &str, result: Result<T, i32>) -> Option<T> {
    match result {
        Ok(value) => {
            println!("{what}: ok");
            Some(value)
        }
        Err(e) => {
            println!("{what}: {}", errno_name(e));
            None
        }
    }
}

fn socket_type(name: Option<&String>) -> Result<i32, String> {
    match name.map(String::as_str) {
        None | Some("stream") => Ok(libc::SOCK_STREAM),
        Some("dgram") => Ok(libc::SOCK_DGRAM),
        Some("seqpacket") => Ok(libc::SOCK_SEQPACKET),
        Some(other) => Err(format!("unknown socket type {other}")),
    }
}

/// Reads until end of file (or a 0-byte message).
fn read_to_end(fd: i32) -> Result<Vec<u8>, i32> {
    let mut all = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match sys::read(fd, &mut buf) {
            Ok(0) => return Ok(all),
            Ok(n) => all.extend_from_slice(&buf[..n]),
            Err(libc::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
}

fn serve(args: &[String]) -> Outcome {
    let [addr, count, rest @ ..] = args else {
        return Err("usage: serve ADDR COUNT [TYPE]".to_owned());
    };
    let count: u32 = count
        .parse()
        .map_err(|_| "COUNT must be a number".to_owned())?;
    let kind = socket_type(rest.first())?;
    let fd = step("socket", sys::socket(libc::AF_UNIX, kind))?;
    step("bind", sys::bind(fd, addr))?;
    step("listen", sys::listen(fd, 8))?;
    println!("listening");
    // The server runs on in a child, so that the caller goes on only once connections can be made.
    if step("fork", sys::fork())? != 0 {
        return Ok(());
    }
    if let Ok(null) = sys::open("/dev/null", libc::O_RDWR) {
        for target in 0..3 {
            let _ = sys::dup2(null, target);
        }
    }
    for _ in 0..count {
        let Ok(conn) = sys::accept(fd) else {
            sys::exit_now(1);
        };
        let data = read_to_end(conn).unwrap_or_default();
        let answer = format!(
            "got {} bytes: {}",
            data.len(),
            String::from_utf8_lossy(&data)
        );
        let _ = sys::write_all(conn, answer.as_bytes());
        sys::close(conn);
    }
    sys::exit_now(0)
}

fn connect(args: &[String]) -> Outcome {
    let [addr, data, rest @ ..] = args else {
        return Err("usage: connect ADDR DATA [TYPE]".to_owned());
    };
    let kind = socket_type(rest.first())?;
    let fd = step("socket", sys::socket(libc::AF_UNIX, kind))?;
    step("connect", sys::connect(fd, addr))?;
    println!("peer: {}", step("getpeername", sys::name_of(fd, true))?);
    println!("local: {}", step("getsockname", sys::name_of(fd, false))?);
    let cred = step("SO_PEERCRED", sys::peer_credentials(fd))?;
    println!("peer uid={} gid={}", cred.uid, cred.gid);
    step("send", sys::write_all(fd, data.as_bytes()))?;
    step("shutdown", sys::shutdown(fd, libc::SHUT_WR))?;
    let answer = step("read", read_to_end(fd))?;
    println!("answer: {}", String::from_utf8_lossy(&answer));
    Ok(())
}

fn bind(args: &[String]) -> Outcome {
    let [addr, rest @ ..] = args else {
        return Err("usage: bind ADDR [TYPE]".to_owned());
    };
    let kind = socket_type(rest.first())?;
    let fd = step("socket", sys::socket(libc::AF_UNIX, kind))?;
    step("bind", sys::bind(fd, addr))?;
    println!("bound {}", step("getsockname", sys::name_of(fd, false))?);
    Ok(())
}

fn dgram(args: &[String]) -> Outcome {
    let [addr] = args else {
        return Err("usage: dgram ADDR".to_owned());
    };
    let receiver = step("socket", sys::socket(libc::AF_UNIX, libc::SOCK_DGRAM))?;
    step("bind", sys::bind(receiver, addr))?;
    let unnamed = step("socket", sys::socket(libc::AF_UNIX, libc::SOCK_DGRAM))?;
    let named = step("socket", sys::socket(libc::AF_UNIX, libc::SOCK_DGRAM))?;
    let sender_name = format!("{addr}.sender");
    step("bind sender", sys::bind(named, &sender_name))?;
    for (fd, text) in [
        (unnamed, "one"),
        (named, "two!"),
        (unnamed, ""),
        (named, "three and more"),
    ] {
        let n = step("sendto", sys::send_to(fd, text.as_bytes(), addr))?;
        println!("sent {n} bytes");
    }
    let mut buf = [0u8; 64];
    for size in [64, 64, 64, 5] {
        let (n, from) = step("recvfrom", sys::recv_from(receiver, &mut buf[..size], 0))?;
        println!(
            "received {n} bytes {:?} from {from}",
            String::from_utf8_lossy(&buf[..n.min(size)])
        );
    }
    // A message bigger than the buffer: MSG_TRUNC makes recv return its real length.
    step("sendto", sys::send_to(named, b"0123456789", addr))?;
    let (n, _) = step(
        "recvfrom",
        sys::recv_from(receiver, &mut buf[..4], libc::MSG_TRUNC),
    )?;
    println!(
        "MSG_TRUNC: recv returned {n}, buffer holds {:?}",
        String::from_utf8_lossy(&buf[..4])
    );
    report(
        "recv on an empty socket, MSG_DONTWAIT",
        sys::recv_from(receiver, &mut buf, libc::MSG_DONTWAIT),
    );
    report("send without an address", sys::send(unnamed, b"x", 0));
    report("connect the unnamed socket", sys::connect(unnamed, addr));
    report("send on the connected socket", sys::send(unnamed, b"x", 0));
    let (n, from) = step("recvfrom", sys::recv_from(receiver, &mut buf, 0))?;
    println!("received {n} bytes from {from}");
    report(
        "sendto a missing name",
        sys::send_to(named, b"x", &format!("{addr}.missing")),
    );
    let stream = step("socket", sys::socket(libc::AF_UNIX, libc::SOCK_STREAM))?;
    report("connect a stream socket to it", sys::connect(stream, addr));
    report("bind the same name again", sys::bind(stream, addr));
    sys::close(receiver);
    report(
        "send after the receiver closed",
        sys::send(unnamed, b"x", 0),
    );
    Ok(())
}

fn pair(args: &[String]) -> Outcome {
    let kind = socket_type(args.first())?;
    let (a, b) = step("socketpair", sys::socketpair(kind))?;
    println!(
        "names: {} / {}",
        step("getsockname", sys::name_of(a, false))?,
        step("getpeername", sys::name_of(a, true))?
    );
    let type_option = step(
        "SO_TYPE",
        sys::get_int_option(a, libc::SOL_SOCKET, libc::SO_TYPE),
    )?;
    println!("SO_TYPE matches: {}", type_option == kind);
    for text in ["ab", "cde", "f"] {
        step("write", sys::write_all(a, text.as_bytes()))?;
    }
    let mut avail = 0;
    step("FIONREAD", sys::ioctl_int(b, libc::FIONREAD, &mut avail))?;
    println!("FIONREAD: {avail}");
    let mut buf = [0u8; 64];
    for _ in 0..3 {
        let n = step("read", sys::read(b, &mut buf))?;
        println!("read {n}: {:?}", String::from_utf8_lossy(&buf[..n]));
        if kind == libc::SOCK_STREAM {
            break;
        }
    }
    step("write back", sys::write_all(b, b"reply"))?;
    let n = step("read", sys::read(a, &mut buf))?;
    println!("read back {n}: {:?}", String::from_utf8_lossy(&buf[..n]));
    step("shutdown", sys::shutdown(a, libc::SHUT_WR))?;
    report("write after SHUT_WR", sys::write(a, b"x"));
    match sys::recv_from(b, &mut buf, libc::MSG_DONTWAIT) {
        Ok((n, _)) => println!("peer reads {n} after SHUT_WR"),
        Err(e) => println!("peer read: {}", errno_name(e)),
    }
    step("ignore SIGPIPE", sys::set_signal(libc::SIGPIPE, 1))?;
    sys::close(a);
    report("write after the peer closed", sys::write(b, b"x"));
    match sys::poll(b, libc::POLLIN | libc::POLLOUT, 0) {
        Ok(Some(r)) => println!(
            "poll: in={} hup={}",
            r & libc::POLLIN != 0,
            r & libc::POLLHUP != 0
        ),
        Ok(None) => println!("poll: nothing"),
        Err(e) => println!("poll: {}", errno_name(e)),
    }
    Ok(())
}

fn passfd(args: &[String]) -> Outcome {
    let [file] = args else {
        return Err("usage: passfd FILE".to_owned());
    };
    let (parent, child) = step("socketpair", sys::socketpair(libc::SOCK_STREAM))?;
    let pid = step("fork", sys::fork())?;
    if pid == 0 {
        sys::close(parent);
        let code = match sys::open(file, libc::O_RDONLY) {
            Ok(fd) => {
                // Read a little first: the offset travels with the open file.
                let mut head = [0u8; 4];
                let _ = sys::read(fd, &mut head);
                let sent = sys::send_with(child, b"F", &[fd, fd], None);
                i32::from(sent.is_err())
            }
            Err(e) => {
                let _ = sys::send_with(child, errno_name(e).as_bytes(), &[], None);
                3
            }
        };
        sys::exit_now(code);
    }
    sys::close(child);
    let mut buf = [0u8; 64];
    let (n, controls, flags) = step("recvmsg", sys::recv_with(parent, &mut buf, 0))?;
    println!(
        "message: {:?}, MSG_CTRUNC: {}",
        String::from_utf8_lossy(&buf[..n]),
        flags & libc::MSG_CTRUNC != 0
    );
    for control in controls {
        match control {
            Control::Rights(fds) => {
                println!(
                    "SCM_RIGHTS with {} descriptors, distinct: {}",
                    fds.len(),
                    fds.windows(2).all(|w| w[0] != w[1])
                );
                let fd = fds[0];
                let (mode, size) = step("fstat", sys::fstat(fd))?;
                println!(
                    "regular: {}, size {size}",
                    mode & libc::S_IFMT == libc::S_IFREG
                );
                println!(
                    "offset: {}",
                    step("lseek", sys::lseek(fd, 0, libc::SEEK_CUR))?
                );
                let rest = step("read", read_to_end(fd))?;
                println!("rest: {:?}", String::from_utf8_lossy(&rest));
                println!(
                    "offset seen by the second descriptor: {}",
                    step("lseek", sys::lseek(fds[1], 0, libc::SEEK_CUR))?
                );
            }
            Control::Credentials(_) => println!("unexpected SCM_CREDENTIALS"),
            Control::Other(level, kind) => println!("unexpected control message {level}/{kind}"),
        }
    }
    let (_, status) = step("waitpid", sys::waitpid(pid, 0))?;
    println!("child: {}", wait_status(status));
    // A descriptor sent but never received goes away with the socket.
    let (a, b) = step("socketpair", sys::socketpair(libc::SOCK_DGRAM))?;
    let fd = step("open", sys::open(file, libc::O_RDONLY))?;
    report(
        "send a descriptor nobody receives",
        sys::send_with(a, b"x", &[fd], None),
    );
    report(
        "send a closed descriptor",
        sys::send_with(a, b"x", &[999], None),
    );
    // Too small a control buffer truncates: simulated by receiving with no room for the data part.
    sys::close(b);
    sys::close(a);
    Ok(())
}

fn creds(_: &[String]) -> Outcome {
    let (a, b) = step("socketpair", sys::socketpair(libc::SOCK_STREAM))?;
    let peer = step("SO_PEERCRED", sys::peer_credentials(a))?;
    println!(
        "socketpair SO_PEERCRED: uid={} gid={} pid is mine: {}",
        peer.uid,
        peer.gid,
        peer.pid == sys::getpid()
    );
    println!(
        "SO_PASSCRED initially: {}",
        step(
            "getsockopt",
            sys::get_int_option(b, libc::SOL_SOCKET, libc::SO_PASSCRED)
        )?
    );
    step(
        "SO_PASSCRED",
        sys::set_int_option(b, libc::SOL_SOCKET, libc::SO_PASSCRED, 1),
    )?;
    println!(
        "SO_PASSCRED now: {}",
        step(
            "getsockopt",
            sys::get_int_option(b, libc::SOL_SOCKET, libc::SO_PASSCRED)
        )?
    );
    // Without sending any: the receiver still gets the sender's credentials.
    step("send", sys::send_with(a, b"plain", &[], None))?;
    print_credentials(b)?;
    let own = libc::ucred {
        pid: sys::getpid(),
        uid: sys::getuid(),
        gid: sys::getgid(),
    };
    step("send", sys::send_with(a, b"explicit", &[], Some(own)))?;
    print_credentials(b)?;
    let forged = libc::ucred {
        pid: sys::getpid(),
        uid: 4242,
        gid: 4242,
    };
    match sys::send_with(a, b"forged", &[], Some(forged)) {
        Ok(_) => {
            println!("send forged uid 4242: ok");
            print_credentials(b)?;
        }
        Err(e) => println!("send forged uid 4242: {}", errno_name(e)),
    }
    let other_pid = libc::ucred {
        pid: 1,
        uid: sys::getuid(),
        gid: sys::getgid(),
    };
    match sys::send_with(a, b"pid1", &[], Some(other_pid)) {
        Ok(_) => {
            println!("send as pid 1: ok");
            print_credentials(b)?;
        }
        Err(e) => println!("send as pid 1: {}", errno_name(e)),
    }
    Ok(())
}

fn print_credentials(fd: i32) -> Outcome {
    let mut buf = [0u8; 64];
    let (n, controls, _) = step("recvmsg", sys::recv_with(fd, &mut buf, 0))?;
    let mut line = format!("received {:?}:", String::from_utf8_lossy(&buf[..n]));
    for control in controls {
        match control {
            Control::Credentials(c) => line.push_str(&format!(
                " SCM_CREDENTIALS uid={} gid={} pid {}",
                c.uid,
                c.gid,
                if c.pid == sys::getpid() {
                    "mine"
                } else if c.pid == 1 {
                    "1"
                } else {
                    "other"
                }
            )),
            Control::Rights(fds) => line.push_str(&format!(" SCM_RIGHTS({})", fds.len())),
            Control::Other(level, kind) => line.push_str(&format!(" control {level}/{kind}")),
        }
    }
    println!("{line}");
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = args.split_first() else {
        eprintln!("usage: unixtool serve|connect|bind|dgram|pair|passfd|creds ...");
        return ExitCode::from(2);
    };
    let outcome = match command.as_str() {
        "serve" => serve(rest),
        "connect" => connect(rest),
        "bind" => bind(rest),
        "dgram" => dgram(rest),
        "pair" => pair(rest),
        "passfd" => passfd(rest),
        "creds" => creds(rest),
        other => Err(format!("unknown command {other}")),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            println!("{why}");
            ExitCode::FAILURE
        }
    }
}
