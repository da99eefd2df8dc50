//! Thin wrappers over the system calls the benchmarks make.
//!
//! Every wrapper returns the kernel's errno on failure, so that a kernel that
//! lacks a call (ENOSYS) produces a readable `failed:` line instead of a crash.

use basalt_linux_abi::{reboot, Errno};
use std::ffi::{c_char, CStr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// The errno of the last failed libc call.
fn last_errno() -> Errno {
    let raw = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
    // Linux errno values are all below 4096; anything else is reported as 0 ("errno 0").
    Errno(u16::try_from(raw).unwrap_or(0))
}

/// A failed system call: which one, and the errno it returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SysError {
    /// The call's name, as in its man page.
    pub call: &'static str,
    /// What the kernel returned.
    pub errno: Errno,
}

impl std::fmt::Display for SysError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.call, self.errno)
    }
}

/// `Ok(value)` unless libc reported failure with -1.
fn check<T: PartialEq + From<i8>>(call: &'static str, value: T) -> Result<T, SysError> {
    if value == T::from(-1) {
        Err(SysError {
            call,
            errno: last_errno(),
        })
    } else {
        Ok(value)
    }
}

/// `getppid` as a raw `syscall` instruction (no libc caching), the cheapest call there is.
#[inline(always)]
pub fn raw_getppid() -> i64 {
    // SAFETY: getppid takes no arguments and touches no memory.
    unsafe { libc::syscall(libc::SYS_getppid) }
}

/// Checks once that `getppid` works, so the timed loop does not measure an error path.
pub fn check_getppid() -> Result<(), SysError> {
    check("getppid", raw_getppid()).map(drop)
}

/// This process's id.
pub fn getpid() -> i32 {
    // SAFETY: getpid has no preconditions.
    unsafe { libc::getpid() }
}

/// Nanoseconds of CLOCK_MONOTONIC.
pub fn monotonic_ns() -> Result<u64, SysError> {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable timespec.
    check("clock_gettime", unsafe {
        libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now)
    })?;
    let invalid = SysError {
        call: "clock_gettime",
        errno: Errno::EINVAL,
    };
    let seconds = u64::try_from(now.tv_sec).map_err(|_| invalid)?;
    let nanoseconds = u64::try_from(now.tv_nsec).map_err(|_| invalid)?;
    seconds
        .checked_mul(1_000_000_000)
        .and_then(|ns| ns.checked_add(nanoseconds))
        .ok_or(invalid)
}

/// Both ends of a new pipe (close-on-exec), as (read end, write end).
pub fn pipe() -> Result<(OwnedFd, OwnedFd), SysError> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    check("pipe2", unsafe {
        libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC)
    })?;
    // SAFETY: pipe2 succeeded, so both are fresh descriptors that nothing else owns.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// A connected AF_UNIX stream socket pair (close-on-exec).
pub fn socketpair_stream() -> Result<(OwnedFd, OwnedFd), SysError> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors socketpair writes.
    check("socketpair", unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_STREAM | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    })?;
    // SAFETY: socketpair succeeded, so both are fresh descriptors that nothing else owns.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Writes all of `bytes` (a pipe may take a large write in parts).
pub fn write_all(fd: &OwnedFd, mut bytes: &[u8]) -> Result<(), SysError> {
    while !bytes.is_empty() {
        // SAFETY: the buffer is valid for its length.
        let written = check("write", unsafe {
            libc::write(fd.as_raw_fd(), bytes.as_ptr().cast(), bytes.len())
        })?;
        bytes = &bytes[written as usize..];
    }
    Ok(())
}

/// Reads until end of file, returning how many bytes came.
pub fn read_to_end(fd: &OwnedFd, buffer: &mut [u8]) -> Result<u64, SysError> {
    let mut total = 0u64;
    loop {
        // SAFETY: the buffer is valid and writable for its length.
        let count = check("read", unsafe {
            libc::read(fd.as_raw_fd(), buffer.as_mut_ptr().cast(), buffer.len())
        })?;
        if count == 0 {
            return Ok(total);
        }
        total += count as u64;
    }
}

/// Writes exactly one byte.
pub fn write_byte(fd: &OwnedFd, byte: u8) -> Result<(), SysError> {
    // SAFETY: the buffer is one valid byte.
    let written = check("write", unsafe {
        libc::write(fd.as_raw_fd(), (&byte as *const u8).cast(), 1)
    })?;
    if written == 1 {
        Ok(())
    } else {
        Err(SysError {
            call: "write",
            errno: Errno::EIO,
        })
    }
}

/// Reads exactly one byte; end of file is an error (the other side went away).
pub fn read_byte(fd: &OwnedFd) -> Result<u8, SysError> {
    let mut byte = 0u8;
    // SAFETY: the buffer is one valid, writable byte.
    let count = check("read", unsafe {
        libc::read(fd.as_raw_fd(), (&mut byte as *mut u8).cast(), 1)
    })?;
    if count == 1 {
        Ok(byte)
    } else {
        Err(SysError {
            call: "read",
            errno: Errno::EPIPE,
        })
    }
}

/// Which side of a fork this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forked {
    /// The new process.
    Child,
    /// The original process, with the child's id.
    Parent(libc::pid_t),
}

/// `fork()`.
///
/// The benchmark is single-threaded, so the child may keep running ordinary
/// code; still, the children only make raw system calls and `_exit`.
pub fn fork() -> Result<Forked, SysError> {
    // SAFETY: this program never starts threads, so no lock can be held by a
    // thread that does not exist in the child.
    let pid = check("fork", unsafe { libc::fork() })?;
    Ok(if pid == 0 {
        Forked::Child
    } else {
        Forked::Parent(pid)
    })
}

/// How a child ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChildEnd {
    /// `exit(code)`.
    Exited(i32),
    /// Killed by this signal.
    Signaled(i32),
}

/// Waits for child `pid` to end (retrying on EINTR).
pub fn wait_for(pid: libc::pid_t) -> Result<ChildEnd, SysError> {
    let mut status = 0;
    loop {
        // SAFETY: `status` is a valid, writable int.
        match check("waitpid", unsafe { libc::waitpid(pid, &mut status, 0) }) {
            Ok(_) => break,
            Err(error) if error.errno == Errno::EINTR => continue,
            Err(error) => return Err(error),
        }
    }
    if libc::WIFEXITED(status) {
        Ok(ChildEnd::Exited(libc::WEXITSTATUS(status)))
    } else if libc::WIFSIGNALED(status) {
        Ok(ChildEnd::Signaled(libc::WTERMSIG(status)))
    } else {
        // waitpid without WUNTRACED/WCONTINUED reports only ended children.
        Err(SysError {
            call: "waitpid",
            errno: Errno::EINVAL,
        })
    }
}

/// Ends this process at once: no destructors, no stdio flush (right for forked children).
pub fn exit_now(code: i32) -> ! {
    // SAFETY: _exit never returns and has no preconditions.
    unsafe { libc::_exit(code) }
}

/// Replaces this process with `path`; returns only on failure.
///
/// `argv` must be null-terminated; it is built before fork so the child does not allocate.
pub fn execve(path: &CStr, argv: &[*const c_char]) -> SysError {
    debug_assert!(argv.last().is_some_and(|last| last.is_null()));
    let environment: [*const c_char; 1] = [std::ptr::null()];
    // SAFETY: `path` is NUL-terminated; `argv` is a null-terminated array of
    // NUL-terminated strings that outlive the call; the environment is empty.
    unsafe { libc::execve(path.as_ptr(), argv.as_ptr(), environment.as_ptr()) };
    SysError {
        call: "execve",
        errno: last_errno(),
    }
}

/// `reboot(LINUX_REBOOT_CMD_POWER_OFF)` with both magic numbers, as a raw call.
pub fn power_off() -> SysError {
    // SAFETY: reboot takes plain integers and a null argument pointer.
    let result = unsafe {
        libc::syscall(
            libc::SYS_reboot,
            libc::c_long::from(reboot::MAGIC1),
            libc::c_long::from(reboot::MAGIC2[0]),
            libc::c_long::from(reboot::CMD_POWER_OFF),
            std::ptr::null::<libc::c_void>(),
        )
    };
    let errno = if result == -1 {
        last_errno()
    } else {
        // Returning at all from a successful power off is unexpected.
        Errno::EIO
    };
    SysError {
        call: "reboot",
        errno,
    }
}

/// Creates (or truncates) `path` for reading and writing.
pub fn create_file(path: &CStr) -> Result<OwnedFd, SysError> {
    // SAFETY: `path` is NUL-terminated.
    let fd = check("open", unsafe {
        libc::open(
            path.as_ptr(),
            libc::O_CREAT | libc::O_RDWR | libc::O_TRUNC | libc::O_CLOEXEC,
            0o600,
        )
    })?;
    // SAFETY: open succeeded, so the descriptor is fresh and ours.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// A transfer of `done` bytes where `len` were asked for: a short one is EIO.
fn whole(call: &'static str, done: usize, len: usize) -> Result<(), SysError> {
    if done == len {
        Ok(())
    } else {
        Err(SysError {
            call,
            errno: Errno::EIO,
        })
    }
}

/// Writes all of `buf` at `offset` (one call; a short write is an error).
pub fn pwrite_all(fd: &OwnedFd, buf: &[u8], offset: u64) -> Result<(), SysError> {
    // SAFETY: the buffer is valid for its length.
    let n = check("pwrite64", unsafe {
        libc::pwrite(
            fd.as_raw_fd(),
            buf.as_ptr().cast(),
            buf.len(),
            offset as libc::off_t,
        )
    })?;
    whole("pwrite64", n as usize, buf.len())
}

/// Fills `buf` from `offset` (one call; a short read is an error).
pub fn pread_exact(fd: &OwnedFd, buf: &mut [u8], offset: u64) -> Result<(), SysError> {
    // SAFETY: the buffer is valid and writable for its length.
    let n = check("pread64", unsafe {
        libc::pread(
            fd.as_raw_fd(),
            buf.as_mut_ptr().cast(),
            buf.len(),
            offset as libc::off_t,
        )
    })?;
    whole("pread64", n as usize, buf.len())
}

/// Removes `path`.
pub fn unlink(path: &CStr) -> Result<(), SysError> {
    // SAFETY: `path` is NUL-terminated.
    check("unlink", unsafe { libc::unlink(path.as_ptr()) }).map(|_| ())
}

/// Makes directory `path` (mode 0755); an existing one is fine.
pub fn mkdir_existing_ok(path: &CStr) -> Result<(), SysError> {
    // SAFETY: `path` is NUL-terminated.
    match check("mkdir", unsafe { libc::mkdir(path.as_ptr(), 0o755) }) {
        Err(e) if e.errno == Errno::EEXIST => Ok(()),
        other => other.map(|_| ()),
    }
}

/// stat(2) of `path`: whether it exists (ENOENT is `false`, other failures are errors).
pub fn exists(path: &CStr) -> Result<bool, SysError> {
    // SAFETY: an all-zero struct stat is a valid value to be overwritten.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `path` is NUL-terminated and `st` is writable.
    match check("stat", unsafe { libc::stat(path.as_ptr(), &mut st) }) {
        Ok(_) => Ok(true),
        Err(e) if e.errno == Errno::ENOENT => Ok(false),
        Err(e) => Err(e),
    }
}

/// Removes directory `path`.
pub fn rmdir(path: &CStr) -> Result<(), SysError> {
    // SAFETY: `path` is NUL-terminated.
    check("rmdir", unsafe { libc::rmdir(path.as_ptr()) }).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monotonic_clock_does_not_go_backwards() {
        let first = monotonic_ns().expect("clock");
        let second = monotonic_ns().expect("clock");
        assert!(second >= first);
    }

    #[test]
    fn getpid_is_this_process() {
        assert_eq!(u32::try_from(getpid()).ok(), Some(std::process::id()));
    }

    #[test]
    fn getppid_works_on_the_host() {
        assert!(check_getppid().is_ok());
        assert!(raw_getppid() > 0);
    }

    #[test]
    fn pipe_carries_a_byte_and_reports_end_of_file() {
        let (read_end, write_end) = pipe().expect("pipe");
        write_byte(&write_end, 0x5a).expect("write");
        assert_eq!(read_byte(&read_end), Ok(0x5a));
        drop(write_end);
        assert_eq!(
            read_byte(&read_end),
            Err(SysError {
                call: "read",
                errno: Errno::EPIPE
            })
        );
    }

    #[test]
    fn writing_to_a_pipe_without_reader_fails_with_epipe() {
        // The test harness ignores SIGPIPE (Rust's runtime does), so write returns EPIPE.
        let (read_end, write_end) = pipe().expect("pipe");
        drop(read_end);
        let error = write_byte(&write_end, 1).expect_err("no reader");
        assert_eq!(error.errno, Errno::EPIPE);
        assert_eq!(error.to_string(), "write: EPIPE (Broken pipe)");
    }

    #[test]
    fn waiting_for_a_non_child_fails_with_echild() {
        let error = wait_for(1).expect_err("init is not our child");
        assert_eq!(error.errno, Errno::ECHILD);
    }

    #[test]
    fn exec_of_a_missing_file_fails_with_enoent() {
        let path = c"/nonexistent/basalt-bench";
        let argv = [path.as_ptr(), std::ptr::null()];
        let error = execve(path, &argv);
        assert_eq!(error.errno, Errno::ENOENT);
    }
}
