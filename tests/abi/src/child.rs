//! Helpers for cases that create processes: fork, wait, describe a status word, pipes.

use crate::signame::signal_name;
use crate::sys::{errno_name, nr, Errno};

/// Forks; the child runs `body` and exits with its return value. Returns the child's pid, or the errno.
///
/// Uses musl's `fork` (not the raw system call) so that musl's cached thread id is right in the child.
pub fn spawn(body: impl FnOnce() -> i32) -> Result<i32, Errno> {
    // SAFETY: the parent is single-threaded whenever cases fork (threads are joined first).
    match unsafe { libc::fork() } {
        -1 => Err(Errno(
            std::io::Error::last_os_error().raw_os_error().unwrap_or(0) as u16,
        )),
        0 => {
            let code = body();
            // SAFETY: `_exit` never returns; skipping atexit handlers and stdio flushing is intended.
            unsafe { libc::_exit(code) }
        }
        pid => Ok(pid),
    }
}

/// `wait4(pid, &status, options)`: the pid returned and the status word.
pub fn wait4(pid: i32, options: i32) -> Result<(usize, i32), Errno> {
    let mut status: i32 = 0;
    loop {
        match sys!(nr::WAIT4, pid as i64, &mut status as *mut i32, options, 0) {
            Err(Errno::EINTR) => continue,
            Ok(got) => return Ok((got, status)),
            Err(e) => return Err(e),
        }
    }
}

/// Waits for `pid` (any child if -1) and describes how it ended.
pub fn wait_text(pid: i32) -> String {
    match wait4(pid, libc::__WALL) {
        Ok((_, status)) => describe(status),
        Err(e) => errno_name(e),
    }
}

/// Forks a child running `body` and returns how it ended ("exited 3", "killed SIGSEGV", ...).
pub fn run(body: impl FnOnce() -> i32) -> String {
    match spawn(body) {
        Ok(pid) => wait_text(pid),
        Err(e) => format!("fork {}", errno_name(e)),
    }
}

/// A status word from `wait4`, decoded with the `W*` macros.
pub fn describe(status: i32) -> String {
    if libc::WIFEXITED(status) {
        format!("exited {}", libc::WEXITSTATUS(status))
    } else if libc::WIFSIGNALED(status) {
        let core = if libc::WCOREDUMP(status) { " core" } else { "" };
        format!("killed {}{}", signal_name(libc::WTERMSIG(status)), core)
    } else if libc::WIFSTOPPED(status) {
        format!("stopped {}", signal_name(libc::WSTOPSIG(status)))
    } else if libc::WIFCONTINUED(status) {
        "continued".to_string()
    } else {
        format!("status {status:#x}")
    }
}

/// A pipe `(read, write)`, both close-on-exec.
pub fn pipe() -> (i32, i32) {
    let mut fds = [-1i32; 2];
    let _ = sys!(nr::PIPE2, fds.as_mut_ptr(), libc::O_CLOEXEC);
    (fds[0], fds[1])
}

/// Closes `fd`, ignoring errors (cleanup).
pub fn close(fd: i32) {
    let _ = sys!(nr::CLOSE, fd);
}

/// Writes all of `bytes` to `fd` (retrying on short writes and EINTR).
pub fn write_all(fd: i32, mut bytes: &[u8]) -> Result<(), Errno> {
    while !bytes.is_empty() {
        match sys!(nr::WRITE, fd, bytes.as_ptr(), bytes.len()) {
            Ok(0) => return Err(Errno::EIO),
            Ok(n) => bytes = &bytes[n..],
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Reads from `fd` until end of file (retrying on EINTR).
pub fn read_to_end(fd: i32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match sys!(nr::READ, fd, buf.as_mut_ptr(), buf.len()) {
            Ok(0) | Err(Errno::EBADF) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(Errno::EINTR) => {}
            Err(_) => return out,
        }
    }
}

/// Reads one byte from `fd`: the way processes of a case wait for each other.
pub fn read_byte(fd: i32) -> Result<u8, Errno> {
    let mut b = 0u8;
    loop {
        match sys!(nr::READ, fd, &mut b as *mut u8, 1) {
            Ok(1) => return Ok(b),
            Ok(_) => return Err(Errno::EIO),
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
}

/// Writes one byte to `fd`.
pub fn write_byte(fd: i32, b: u8) {
    let _ = write_all(fd, &[b]);
}

/// Forks a child that runs `body` and sends its text back; returns that text, or how the child ended if it sent
/// nothing (for example `killed SIGSEGV`).
pub fn ask(body: impl FnOnce() -> String) -> String {
    let (r, w) = pipe();
    let pid = spawn(|| {
        close(r);
        let text = body();
        let _ = write_all(w, text.as_bytes());
        0
    });
    close(w);
    let pid = match pid {
        Ok(pid) => pid,
        Err(e) => return format!("fork {}", errno_name(e)),
    };
    let text = read_to_end(r);
    close(r);
    let status = wait_text(pid);
    if text.is_empty() {
        status
    } else {
        String::from_utf8_lossy(&text).into_owned()
    }
}

/// A child that blocks until the returned write end is closed, then exits with `code`.
pub fn blocked_child(code: i32) -> (i32, i32) {
    let (r, w) = pipe();
    let pid = spawn(|| {
        close(w);
        let _ = read_byte(r);
        code
    })
    .unwrap_or(-1);
    close(r);
    (pid, w)
}

/// A child that stops itself with SIGSTOP, then sleeps until killed.
pub fn stopping_child() -> i32 {
    spawn(|| {
        let _ = crate::sig::raise(libc::SIGSTOP);
        loop {
            // SAFETY: pause only waits for a signal.
            unsafe { libc::pause() };
        }
    })
    .unwrap_or(-1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_words() {
        assert_eq!(describe(3 << 8), "exited 3");
        assert_eq!(describe(0), "exited 0");
        assert_eq!(describe(libc::SIGTERM), "killed SIGTERM");
        assert_eq!(describe(0x80 | libc::SIGSEGV), "killed SIGSEGV core");
        assert_eq!(describe((libc::SIGSTOP << 8) | 0x7f), "stopped SIGSTOP");
        assert_eq!(describe(0xffff), "continued");
    }
}
