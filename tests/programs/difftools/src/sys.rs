//! The system calls of the helpers, each checked: `Err(errno)` instead of `-1`. All `unsafe` of the crate is
//! here; every call passes pointers to live, correctly sized buffers.

use std::ffi::CString;

/// A failed call's errno.
pub type Errno = i32;

fn last_errno() -> Errno {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn check(ret: libc::c_int) -> Result<i32, Errno> {
    if ret < 0 {
        Err(last_errno())
    } else {
        Ok(ret)
    }
}

fn check_size(ret: libc::ssize_t) -> Result<usize, Errno> {
    usize::try_from(ret).map_err(|_| last_errno())
}

fn c_string(text: &str) -> Result<CString, Errno> {
    CString::new(text).map_err(|_| libc::EINVAL)
}

pub fn open(path: &str, flags: i32) -> Result<i32, Errno> {
    let path = c_string(path)?;
    // SAFETY: `path` is NUL-terminated and outlives the call.
    check(unsafe { libc::open(path.as_ptr(), flags | libc::O_CLOEXEC, 0o644) })
}

pub fn close(fd: i32) {
    // SAFETY: closing a descriptor touches no memory.
    unsafe { libc::close(fd) };
}

pub fn read(fd: i32, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: `buf` is writable for its length.
    check_size(unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) })
}

pub fn write(fd: i32, buf: &[u8]) -> Result<usize, Errno> {
    // SAFETY: `buf` is readable for its length.
    check_size(unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) })
}

/// Writes all of `buf`, retrying after partial writes and EINTR.
pub fn write_all(fd: i32, mut buf: &[u8]) -> Result<(), Errno> {
    while !buf.is_empty() {
        match write(fd, buf) {
            Ok(n) => buf = &buf[n..],
            Err(libc::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

pub fn dup2(from: i32, to: i32) -> Result<i32, Errno> {
    // SAFETY: no memory is involved.
    check(unsafe { libc::dup2(from, to) })
}

pub fn lseek(fd: i32, offset: i64, whence: i32) -> Result<i64, Errno> {
    // SAFETY: no memory is involved.
    let ret = unsafe { libc::lseek(fd, offset, whence) };
    if ret < 0 {
        Err(last_errno())
    } else {
        Ok(ret)
    }
}

/// `Some(revents)` when `fd` became ready for `events` within `timeout_ms`.
pub fn poll(fd: i32, events: i16, timeout_ms: i32) -> Result<Option<i16>, Errno> {
    let mut p = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    let n = check(unsafe { libc::poll(&mut p, 1, timeout_ms) })?;
    Ok((n > 0).then_some(p.revents))
}

pub fn fork() -> Result<i32, Errno> {
    // SAFETY: the helpers are single-threaded, so the child may run anything.
    check(unsafe { libc::fork() })
}

pub fn exit_now(code: i32) -> ! {
    // SAFETY: ends the process without running the parent's buffered-output destructors twice.
    unsafe { libc::_exit(code) }
}

/// execvp(argv[0], argv); returns only on failure.
pub fn execvp(argv: &[String]) -> Errno {
    let Ok(args) = argv
        .iter()
        .map(|a| c_string(a))
        .collect::<Result<Vec<_>, _>>()
    else {
        return libc::EINVAL;
    };
    let Some(first) = args.first() else {
        return libc::EINVAL;
    };
    let mut pointers: Vec<*const libc::c_char> = args.iter().map(|a| a.as_ptr()).collect();
    pointers.push(std::ptr::null());
    // SAFETY: a NULL-terminated array of NUL-terminated strings that outlive the call.
    unsafe { libc::execvp(first.as_ptr(), pointers.as_ptr()) };
    last_errno()
}

/// waitpid; returns (pid, status).
pub fn waitpid(pid: i32, options: i32) -> Result<(i32, i32), Errno> {
    let mut status = 0;
    loop {
        // SAFETY: `status` is a valid int.
        match check(unsafe { libc::waitpid(pid, &mut status, options) }) {
            Err(libc::EINTR) => continue,
            other => return other.map(|p| (p, status)),
        }
    }
}

pub fn kill(pid: i32, sig: i32) -> Result<(), Errno> {
    // SAFETY: no memory is involved.
    check(unsafe { libc::kill(pid, sig) }).map(drop)
}

pub fn getpid() -> i32 {
    // SAFETY: no memory is involved.
    unsafe { libc::getpid() }
}

pub fn getpgrp() -> i32 {
    // SAFETY: no memory is involved.
    unsafe { libc::getpgrp() }
}

pub fn getsid() -> i32 {
    // SAFETY: no memory is involved.
    unsafe { libc::getsid(0) }
}

pub fn setsid() -> Result<i32, Errno> {
    // SAFETY: no memory is involved.
    check(unsafe { libc::setsid() })
}

pub fn setpgid(pid: i32, pgid: i32) -> Result<(), Errno> {
    // SAFETY: no memory is involved.
    check(unsafe { libc::setpgid(pid, pgid) }).map(drop)
}

pub fn getuid() -> u32 {
    // SAFETY: no memory is involved.
    unsafe { libc::getuid() }
}

pub fn getgid() -> u32 {
    // SAFETY: no memory is involved.
    unsafe { libc::getgid() }
}

/// Sets the disposition of `sig` to `SIG_DFL` or `SIG_IGN` (`handler` 0 or 1), or to a handler that only
/// interrupts (any other value).
pub fn set_signal(sig: i32, handler: usize) -> Result<(), Errno> {
    extern "C" fn note(_: libc::c_int) {}
    // SAFETY: a zeroed sigaction is a valid starting point.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = if handler > 1 {
        note as extern "C" fn(libc::c_int) as usize
    } else {
        handler
    };
    // SAFETY: `action` is fully initialised; the old action is not wanted.
    check(unsafe { libc::sigaction(sig, &action, std::ptr::null_mut()) }).map(drop)
}

pub fn tcgetpgrp(fd: i32) -> Result<i32, Errno> {
    // SAFETY: no memory is involved.
    check(unsafe { libc::tcgetpgrp(fd) })
}

pub fn tcsetpgrp(fd: i32, pgrp: i32) -> Result<(), Errno> {
    // SAFETY: no memory is involved.
    check(unsafe { libc::tcsetpgrp(fd, pgrp) }).map(drop)
}

pub fn tcgetattr(fd: i32) -> Result<libc::termios, Errno> {
    // SAFETY: a zeroed termios is plain data, filled by the call.
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: `t` is a valid termios.
    check(unsafe { libc::tcgetattr(fd, &mut t) })?;
    Ok(t)
}

pub fn tcsetattr(fd: i32, t: &libc::termios) -> Result<(), Errno> {
    // SAFETY: `t` is a valid termios.
    check(unsafe { libc::tcsetattr(fd, libc::TCSANOW, t) }).map(drop)
}

/// An ioctl whose argument is an int passed by value (`TIOCSCTTY`, `TIOCNOTTY`).
pub fn ioctl_value(fd: i32, request: libc::Ioctl, value: libc::c_ulong) -> Result<i32, Errno> {
    // SAFETY: the argument is a plain integer.
    check(unsafe { libc::ioctl(fd, request, value) })
}

/// An ioctl that reads or writes one int (`TIOCGPTN`, `TIOCSPTLCK`, `TIOCGSID`, `FIONREAD`).
pub fn ioctl_int(fd: i32, request: libc::Ioctl, value: &mut libc::c_int) -> Result<i32, Errno> {
    // SAFETY: `value` is a valid int for the kernel to read or write.
    check(unsafe { libc::ioctl(fd, request, value as *mut libc::c_int) })
}

pub fn set_winsize(fd: i32, rows: u16, cols: u16) -> Result<(), Errno> {
    let size = libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: `size` is a valid winsize.
    check(unsafe { libc::ioctl(fd, libc::TIOCSWINSZ, &size) }).map(drop)
}

pub fn socket(domain: i32, kind: i32) -> Result<i32, Errno> {
    // SAFETY: no memory is involved.
    check(unsafe { libc::socket(domain, kind | libc::SOCK_CLOEXEC, 0) })
}

pub fn socketpair(kind: i32) -> Result<(i32, i32), Errno> {
    let mut fds = [0; 2];
    // SAFETY: `fds` holds two ints.
    check(unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            kind | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    })?;
    Ok((fds[0], fds[1]))
}

/// A `sockaddr_un` for `name`: a path, or an abstract name written `@name`; with its length.
pub fn unix_address(name: &str) -> (libc::sockaddr_un, libc::socklen_t) {
    // SAFETY: a zeroed sockaddr_un is plain data.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let bytes: Vec<u8> = match name.strip_prefix('@') {
        Some(rest) => std::iter::once(0).chain(rest.bytes()).collect(),
        None => name.bytes().collect(),
    };
    let n = bytes.len().min(addr.sun_path.len());
    for (slot, b) in addr.sun_path.iter_mut().zip(&bytes[..n]) {
        *slot = *b as libc::c_char;
    }
    // A path gets its terminating NUL counted when there is room, as most programs do.
    let nul = usize::from(!name.starts_with('@') && n < addr.sun_path.len());
    let len = std::mem::size_of::<libc::sa_family_t>() + n + nul;
    (addr, len as libc::socklen_t)
}

/// How an address reads: `(unnamed)`, `@name`, or the path.
pub fn address_text(addr: &libc::sockaddr_un, len: libc::socklen_t) -> String {
    let family = std::mem::size_of::<libc::sa_family_t>();
    let len = (len as usize).min(std::mem::size_of::<libc::sockaddr_un>());
    if len <= family {
        return "(unnamed)".to_owned();
    }
    let path: Vec<u8> = addr.sun_path[..len - family]
        .iter()
        .map(|&c| c as u8)
        .collect();
    match path.split_first() {
        Some((0, rest)) => format!("@{}", String::from_utf8_lossy(rest)),
        _ => {
            let end = path.iter().position(|&b| b == 0).unwrap_or(path.len());
            String::from_utf8_lossy(&path[..end]).into_owned()
        }
    }
}

pub fn bind(fd: i32, name: &str) -> Result<(), Errno> {
    let (addr, len) = unix_address(name);
    // SAFETY: `addr` is valid for `len` bytes.
    check(unsafe { libc::bind(fd, (&addr as *const libc::sockaddr_un).cast(), len) }).map(drop)
}

pub fn connect(fd: i32, name: &str) -> Result<(), Errno> {
    let (addr, len) = unix_address(name);
    // SAFETY: `addr` is valid for `len` bytes.
    check(unsafe { libc::connect(fd, (&addr as *const libc::sockaddr_un).cast(), len) }).map(drop)
}

pub fn listen(fd: i32, backlog: i32) -> Result<(), Errno> {
    // SAFETY: no memory is involved.
    check(unsafe { libc::listen(fd, backlog) }).map(drop)
}

pub fn accept(fd: i32) -> Result<i32, Errno> {
    // SAFETY: NULL address pointers ask for no peer address.
    check(unsafe {
        libc::accept4(
            fd,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            libc::SOCK_CLOEXEC,
        )
    })
}

pub fn shutdown(fd: i32, how: i32) -> Result<(), Errno> {
    // SAFETY: no memory is involved.
    check(unsafe { libc::shutdown(fd, how) }).map(drop)
}

/// getsockname (`peer` false) or getpeername, as text.
pub fn name_of(fd: i32, peer: bool) -> Result<String, Errno> {
    // SAFETY: a zeroed sockaddr_un is plain data.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_un>() as libc::socklen_t;
    let pointer = (&mut addr as *mut libc::sockaddr_un).cast();
    // SAFETY: `addr` is writable for `len` bytes.
    let ret = unsafe {
        if peer {
            libc::getpeername(fd, pointer, &mut len)
        } else {
            libc::getsockname(fd, pointer, &mut len)
        }
    };
    check(ret)?;
    Ok(address_text(&addr, len))
}

pub fn send(fd: i32, buf: &[u8], flags: i32) -> Result<usize, Errno> {
    // SAFETY: `buf` is readable for its length.
    check_size(unsafe { libc::send(fd, buf.as_ptr().cast(), buf.len(), flags) })
}

pub fn send_to(fd: i32, buf: &[u8], name: &str) -> Result<usize, Errno> {
    let (addr, len) = unix_address(name);
    // SAFETY: `buf` and `addr` are readable for their lengths.
    check_size(unsafe {
        libc::sendto(
            fd,
            buf.as_ptr().cast(),
            buf.len(),
            0,
            (&addr as *const libc::sockaddr_un).cast(),
            len,
        )
    })
}

/// recvfrom: (length the call returned, sender address).
pub fn recv_from(fd: i32, buf: &mut [u8], flags: i32) -> Result<(usize, String), Errno> {
    // SAFETY: a zeroed sockaddr_un is plain data.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_un>() as libc::socklen_t;
    // SAFETY: `buf` and `addr` are writable for their lengths.
    let n = check_size(unsafe {
        libc::recvfrom(
            fd,
            buf.as_mut_ptr().cast(),
            buf.len(),
            flags,
            (&mut addr as *mut libc::sockaddr_un).cast(),
            &mut len,
        )
    })?;
    Ok((n, address_text(&addr, len)))
}

pub fn set_int_option(fd: i32, level: i32, option: i32, value: i32) -> Result<(), Errno> {
    // SAFETY: `value` is an int, as the option length says.
    check(unsafe {
        libc::setsockopt(
            fd,
            level,
            option,
            (&value as *const i32).cast(),
            std::mem::size_of::<i32>() as libc::socklen_t,
        )
    })
    .map(drop)
}

pub fn get_int_option(fd: i32, level: i32, option: i32) -> Result<i32, Errno> {
    let mut value = 0i32;
    let mut len = std::mem::size_of::<i32>() as libc::socklen_t;
    // SAFETY: `value` is writable for `len` bytes.
    check(unsafe {
        libc::getsockopt(fd, level, option, (&mut value as *mut i32).cast(), &mut len)
    })?;
    Ok(value)
}

pub fn peer_credentials(fd: i32) -> Result<libc::ucred, Errno> {
    let mut cred = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: `cred` is writable for `len` bytes.
    check(unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    })?;
    Ok(cred)
}

/// What one control message carried.
pub enum Control {
    Rights(Vec<i32>),
    Credentials(libc::ucred),
    Other(i32, i32),
}

/// sendmsg of `data` with an optional `SCM_RIGHTS` list and optional `SCM_CREDENTIALS`.
pub fn send_with(
    fd: i32,
    data: &[u8],
    rights: &[i32],
    creds: Option<libc::ucred>,
) -> Result<usize, Errno> {
    let mut control = vec![0u64; 64];
    let mut used = 0usize;
    let mut iov = libc::iovec {
        iov_base: data.as_ptr() as *mut libc::c_void,
        iov_len: data.len(),
    };
    // SAFETY: a zeroed msghdr is plain data.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    let rights_len = std::mem::size_of_val(rights) as u32;
    let creds_len = std::mem::size_of::<libc::ucred>() as u32;
    // SAFETY: CMSG_SPACE is pure arithmetic.
    let space = unsafe {
        (if rights.is_empty() {
            0
        } else {
            libc::CMSG_SPACE(rights_len)
        }) + (if creds.is_some() {
            libc::CMSG_SPACE(creds_len)
        } else {
            0
        })
    } as usize;
    if space > control.len() * 8 {
        return Err(libc::EINVAL);
    }
    if space > 0 {
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = space as _;
        // SAFETY: the control buffer holds `space` bytes, enough for the headers written below, and the
        // CMSG_* macros stay within msg_controllen.
        unsafe {
            let mut header = libc::CMSG_FIRSTHDR(&msg);
            if !rights.is_empty() {
                (*header).cmsg_level = libc::SOL_SOCKET;
                (*header).cmsg_type = libc::SCM_RIGHTS;
                (*header).cmsg_len = libc::CMSG_LEN(rights_len) as _;
                std::ptr::copy_nonoverlapping(
                    rights.as_ptr(),
                    libc::CMSG_DATA(header).cast(),
                    rights.len(),
                );
                used += libc::CMSG_SPACE(rights_len) as usize;
                header = libc::CMSG_NXTHDR(&msg, header);
            }
            if let Some(c) = creds {
                (*header).cmsg_level = libc::SOL_SOCKET;
                (*header).cmsg_type = libc::SCM_CREDENTIALS;
                (*header).cmsg_len = libc::CMSG_LEN(creds_len) as _;
                std::ptr::write_unaligned(libc::CMSG_DATA(header).cast(), c);
                used += libc::CMSG_SPACE(creds_len) as usize;
            }
        }
        msg.msg_controllen = used as _;
    }
    // SAFETY: `msg` points at live buffers.
    check_size(unsafe { libc::sendmsg(fd, &msg, 0) })
}

/// recvmsg into `buf`: (bytes, control messages, msg_flags).
pub fn recv_with(fd: i32, buf: &mut [u8], flags: i32) -> Result<(usize, Vec<Control>, i32), Errno> {
    let mut control = vec![0u64; 64];
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    // SAFETY: a zeroed msghdr is plain data.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = (control.len() * 8) as _;
    // SAFETY: `msg` points at live, writable buffers.
    let n = check_size(unsafe { libc::recvmsg(fd, &mut msg, flags | libc::MSG_CMSG_CLOEXEC) })?;
    let mut found = Vec::new();
    // SAFETY: the kernel filled msg_controllen bytes of the control buffer; the CMSG_* macros walk within them.
    unsafe {
        let mut header = libc::CMSG_FIRSTHDR(&msg);
        while !header.is_null() {
            let h = &*header;
            let data = libc::CMSG_DATA(header);
            let payload = (h.cmsg_len as usize).saturating_sub(libc::CMSG_LEN(0) as usize);
            if h.cmsg_level == libc::SOL_SOCKET && h.cmsg_type == libc::SCM_RIGHTS {
                let count = payload / 4;
                let fds = (0..count)
                    .map(|i| std::ptr::read_unaligned(data.cast::<i32>().add(i)))
                    .collect();
                found.push(Control::Rights(fds));
            } else if h.cmsg_level == libc::SOL_SOCKET && h.cmsg_type == libc::SCM_CREDENTIALS {
                found.push(Control::Credentials(std::ptr::read_unaligned(data.cast())));
            } else {
                found.push(Control::Other(h.cmsg_level, h.cmsg_type));
            }
            header = libc::CMSG_NXTHDR(&msg, header);
        }
    }
    Ok((n, found, msg.msg_flags))
}

/// fstat: (mode, size).
pub fn fstat(fd: i32) -> Result<(u32, i64), Errno> {
    // SAFETY: a zeroed stat is plain data.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is a valid stat buffer.
    check(unsafe { libc::fstat(fd, &mut st) })?;
    Ok((st.st_mode, st.st_size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_read_back() {
        for name in ["sock", "@abstract", "/a/b"] {
            let (addr, len) = unix_address(name);
            assert_eq!(address_text(&addr, len), name);
        }
        let (addr, _) = unix_address("x");
        assert_eq!(address_text(&addr, 2), "(unnamed)");
    }
}
