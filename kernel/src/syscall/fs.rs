//! File-descriptor system calls: read/write (and vectored), close, dup*, pipe*, lseek, fstat, fcntl, ioctl.
#![forbid(unsafe_code)]

use crate::arch::usercopy;
use crate::fs::fdtable::FdTable;
use crate::fs::{pipe, OpenFile, O_CLOEXEC, O_NONBLOCK, O_RDONLY, O_WRONLY};
use crate::task::process;
use alloc::sync::Arc;
use basalt_linux_abi::Errno;
use spin::Mutex;

/// Bytes moved per step between user memory and a file.
const CHUNK: usize = 4096;
/// Largest iovec count (Linux's UIO_MAXIOV).
const IOV_MAX: u64 = 1024;

fn table() -> Result<Arc<Mutex<FdTable>>, Errno> {
    Ok(process::current().ok_or(Errno::ESRCH)?.files())
}

fn file(fd: i32) -> Result<Arc<OpenFile>, Errno> {
    table()?.lock().get(fd)
}

fn read_into_user(f: &OpenFile, buf: u64, count: u64) -> Result<usize, Errno> {
    if !f.readable() {
        return Err(Errno::EBADF);
    }
    let count = count.min(0x7fff_f000) as usize;
    let mut done = 0;
    let mut chunk = [0u8; CHUNK];
    while done < count {
        let want = (count - done).min(CHUNK);
        let offset = *f.offset.lock();
        let n = match f
            .ops
            .read(&mut chunk[..want], offset, f.nonblocking() || done > 0)
        {
            Ok(n) => n,
            Err(Errno::EAGAIN) if done > 0 => break,
            Err(e) if done > 0 && e != Errno::EFAULT => break,
            Err(e) => return Err(e),
        };
        if n == 0 {
            break;
        }
        usercopy::copy_to_user(buf + done as u64, &chunk[..n])?;
        if f.ops.seekable() {
            *f.offset.lock() += n as u64;
        }
        done += n;
        if n < want {
            break;
        }
    }
    Ok(done)
}

/// Where the next write of `f` starts (the end with O_APPEND).
fn write_position(f: &OpenFile) -> u64 {
    if f.flags() & crate::fs::O_APPEND != 0 {
        f.ops.size()
    } else {
        *f.offset.lock()
    }
}

fn write_from_user(f: &OpenFile, buf: u64, count: u64) -> Result<usize, Errno> {
    if !f.writable() {
        return Err(Errno::EBADF);
    }
    // Limits (RLIMIT_FSIZE) apply to the whole call once, as Linux's write checks do.
    let count = f
        .ops
        .write_allowance(write_position(f), count.min(0x7fff_f000) as usize)?;
    write_chunks(f, buf, count)
}

fn write_chunks(f: &OpenFile, buf: u64, count: usize) -> Result<usize, Errno> {
    let mut done = 0;
    let mut chunk = [0u8; CHUNK];
    while done < count {
        let n = (count - done).min(CHUNK);
        if let Err(e) = usercopy::copy_from_user(&mut chunk[..n], buf + done as u64) {
            return if done > 0 { Ok(done) } else { Err(e) };
        }
        let append = f.flags() & crate::fs::O_APPEND != 0;
        let offset = *f.offset.lock();
        let outcome = if append {
            f.ops.append(&chunk[..n], f.nonblocking())
        } else {
            f.ops
                .write(&chunk[..n], offset, f.nonblocking())
                .map(|w| (w, offset + w as u64))
        };
        let written = match outcome {
            Ok((w, end)) => {
                if f.ops.seekable() {
                    *f.offset.lock() = end;
                }
                w
            }
            Err(e) => {
                if e == Errno::EPIPE {
                    // Writing to a pipe nobody reads: SIGPIPE, as on Linux (EPIPE if it is ignored or handled).
                    if let Some(me) = crate::task::sched::current() {
                        let _ = crate::task::signal::send_to_thread(
                            &me,
                            basalt_signal::SigInfo::kernel(basalt_signal::SIGPIPE),
                        );
                    }
                }
                return if done > 0 { Ok(done) } else { Err(e) };
            }
        };
        done += written;
        if written < n {
            break;
        }
    }
    Ok(done)
}

pub fn read(fd: i32, buf: u64, count: u64) -> Result<usize, Errno> {
    let f = file(fd)?;
    if crate::net::unix::socket_of(&f).is_some() {
        return super::socket::read_iov(&f, &[(buf, count.min(0x7fff_f000))]);
    }
    read_into_user(&f, buf, count)
}

pub fn write(fd: i32, buf: u64, count: u64) -> Result<usize, Errno> {
    let f = file(fd)?;
    if crate::net::unix::socket_of(&f).is_some() {
        return super::socket::write_iov(&f, &[(buf, count.min(0x7fff_f000))]);
    }
    write_from_user(&f, buf, count)
}

pub(super) fn iovecs(iov: u64, iovcnt: u64) -> Result<alloc::vec::Vec<(u64, u64)>, Errno> {
    if iovcnt > IOV_MAX {
        return Err(Errno::EINVAL);
    }
    let mut out = alloc::vec::Vec::new();
    let mut total: u64 = 0;
    for i in 0..iovcnt {
        let mut b = [0u8; 16];
        usercopy::copy_from_user(&mut b, iov + i * 16)?;
        let base = u64::from_le_bytes(b[..8].try_into().map_err(|_| Errno::EFAULT)?);
        let len = u64::from_le_bytes(b[8..].try_into().map_err(|_| Errno::EFAULT)?);
        total = total
            .checked_add(len)
            .filter(|&t| t <= isize::MAX as u64)
            .ok_or(Errno::EINVAL)?;
        out.push((base, len));
    }
    Ok(out)
}

pub fn readv(fd: i32, iov: u64, iovcnt: u64) -> Result<usize, Errno> {
    let f = file(fd)?;
    if crate::net::unix::socket_of(&f).is_some() {
        return super::socket::read_iov(&f, &iovecs(iov, iovcnt)?);
    }
    let mut total = 0;
    for (base, len) in iovecs(iov, iovcnt)? {
        let n = read_into_user(&f, base, len)?;
        total += n;
        if (n as u64) < len {
            break;
        }
    }
    Ok(total)
}

pub fn writev(fd: i32, iov: u64, iovcnt: u64) -> Result<usize, Errno> {
    let f = file(fd)?;
    if crate::net::unix::socket_of(&f).is_some() {
        return super::socket::write_iov(&f, &iovecs(iov, iovcnt)?);
    }
    if !f.writable() {
        return Err(Errno::EBADF);
    }
    let vecs = iovecs(iov, iovcnt)?;
    let wanted = vecs
        .iter()
        .map(|&(_, len)| len)
        .sum::<u64>()
        .min(0x7fff_f000) as usize;
    let mut allowed = f.ops.write_allowance(write_position(&f), wanted)? as u64;
    let mut total = 0;
    for (base, len) in vecs {
        if allowed == 0 {
            break;
        }
        let len = len.min(allowed);
        allowed -= len;
        if len == 0 {
            continue;
        }
        let n = match write_chunks(&f, base, len as usize) {
            Ok(n) => n,
            Err(e) => return if total > 0 { Ok(total) } else { Err(e) },
        };
        total += n;
        if (n as u64) < len {
            break;
        }
    }
    Ok(total)
}

pub fn close(fd: i32) -> Result<usize, Errno> {
    let f = table()?.lock().close(fd)?;
    drop(f);
    Ok(0)
}

pub fn dup(fd: i32) -> Result<usize, Errno> {
    let t = table()?;
    let mut t = t.lock();
    let f = t.get(fd)?;
    Ok(t.install(f, false)? as usize)
}

pub fn dup3(old: i32, new: i32, flags: u32, is_dup2: bool) -> Result<usize, Errno> {
    if flags & !O_CLOEXEC != 0 {
        return Err(Errno::EINVAL);
    }
    // dup3 to the same number is EINVAL before anything is looked up; dup2 just checks the descriptor.
    if old == new && !is_dup2 {
        return Err(Errno::EINVAL);
    }
    let t = table()?;
    let mut t = t.lock();
    let f = t.get(old)?;
    if old == new {
        return Ok(new as usize);
    }
    let previous = t.install_at(new, f, flags & O_CLOEXEC != 0)?;
    drop(t);
    drop(previous);
    Ok(new as usize)
}

pub fn pipe2(fds_ptr: u64, flags: u32) -> Result<usize, Errno> {
    if flags & !(O_CLOEXEC | O_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    let (r, w) = pipe::new_pipe();
    let nb = flags & O_NONBLOCK;
    let rf = OpenFile::new(r, O_RDONLY | nb);
    let wf = OpenFile::new(w, O_WRONLY | nb);
    let cloexec = flags & O_CLOEXEC != 0;
    let t = table()?;
    let (rfd, wfd) = {
        let mut t = t.lock();
        let rfd = t.install(rf, cloexec)?;
        match t.install(wf, cloexec) {
            Ok(wfd) => (rfd, wfd),
            Err(e) => {
                let _ = t.close(rfd);
                return Err(e);
            }
        }
    };
    let mut out = [0u8; 8];
    out[..4].copy_from_slice(&rfd.to_le_bytes());
    out[4..].copy_from_slice(&wfd.to_le_bytes());
    // Copy with the table unlocked: the copy may fault (copy-on-write) and shoot down other CPUs' TLBs.
    if let Err(e) = usercopy::copy_to_user(fds_ptr, &out) {
        let mut t = t.lock();
        let _ = t.close(rfd);
        let _ = t.close(wfd);
        return Err(e);
    }
    Ok(0)
}

const SEEK_SET: u32 = 0;
const SEEK_CUR: u32 = 1;
const SEEK_END: u32 = 2;

pub fn lseek(fd: i32, offset: i64, whence: u32) -> Result<usize, Errno> {
    let f = file(fd)?;
    if !f.ops.seekable() {
        return Err(Errno::ESPIPE);
    }
    let mut pos = f.offset.lock();
    let base = match whence {
        SEEK_SET => 0i64,
        SEEK_CUR => *pos as i64,
        SEEK_END => f.ops.size() as i64,
        _ => return Err(Errno::EINVAL),
    };
    let new = base
        .checked_add(offset)
        .filter(|&n| n >= 0)
        .ok_or(Errno::EINVAL)?;
    *pos = new as u64;
    Ok(new as usize)
}

pub fn fstat(fd: i32, statbuf: u64) -> Result<usize, Errno> {
    let f = file(fd)?;
    if let Some(node) = f.node {
        // The node may have gone (unlinked, unmounted): then the device's own description.
        if let Ok(stat) = crate::fs::vfs::namespace().and_then(|ns| ns.getattr(node)) {
            usercopy::copy_to_user(statbuf, &basalt_memfs::encode_stat(&stat))?;
            return Ok(0);
        }
    }
    let bytes = match f.ops.inode() {
        Some(ino) => crate::fs::root::stat_bytes(ino)?,
        None => f.ops.stat().to_bytes(),
    };
    usercopy::copy_to_user(statbuf, &bytes)?;
    Ok(0)
}

const F_DUPFD: u32 = 0;
const F_GETFD: u32 = 1;
const F_SETFD: u32 = 2;
const F_GETFL: u32 = 3;
const F_SETFL: u32 = 4;
const F_DUPFD_CLOEXEC: u32 = 1030;
const F_GETPIPE_SZ: u32 = 1032;
const FD_CLOEXEC: u64 = 1;

pub fn fcntl(fd: i32, cmd: u32, arg: u64) -> Result<usize, Errno> {
    if super::reclock::is_lock_command(cmd) {
        // Outside the table lock: the call may sleep (F_SETLKW) and copies to and from user memory.
        let t = table()?;
        let (f, owner) = {
            let t = t.lock();
            (t.get(fd)?, t.lock_owner())
        };
        if f.flags() & crate::fs::O_PATH != 0 {
            return Err(Errno::EBADF);
        }
        return super::reclock::fcntl_lock(&f, owner, cmd, arg);
    }
    if super::fdobj::is_seal_command(cmd) {
        return super::fdobj::seal_fcntl(&*file(fd)?, cmd, arg);
    }
    let t = table()?;
    let mut t = t.lock();
    let f = t.get(fd)?;
    match cmd {
        F_DUPFD | F_DUPFD_CLOEXEC => {
            // Linux reads the argument as an unsigned int: a negative one is past RLIMIT_NOFILE, EINVAL.
            let min = arg as u32 as usize;
            Ok(t.install_from(min, f, cmd == F_DUPFD_CLOEXEC)? as usize)
        }
        F_GETFD => Ok(if t.cloexec(fd)? {
            FD_CLOEXEC as usize
        } else {
            0
        }),
        F_SETFD => {
            t.set_cloexec(fd, arg & FD_CLOEXEC != 0)?;
            Ok(0)
        }
        F_GETFL => Ok(f.flags() as usize),
        F_GETPIPE_SZ => f
            .ops
            .pipe_state()
            .map(|(_, capacity)| capacity)
            .ok_or(Errno::EBADF),
        F_SETFL => {
            f.set_status_flags(arg as u32);
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

const FIONREAD: u32 = 0x541b;
const FIONBIO: u32 = 0x5421;
const FIONCLEX: u32 = 0x5450;
const FIOCLEX: u32 = 0x5451;

/// ioctl(fd, cmd, arg): the commands every file has (Linux's `do_vfs_ioctl`), then the file's own.
pub fn ioctl(fd: i32, cmd: u64, arg: u64) -> Result<usize, Errno> {
    let f = file(fd)?;
    // Linux's command number is an unsigned int.
    let cmd32 = cmd as u32;
    match cmd32 {
        FIOCLEX | FIONCLEX => {
            let table = process::current().ok_or(Errno::ESRCH)?.files();
            table.lock().set_cloexec(fd, cmd32 == FIOCLEX)?;
            return Ok(0);
        }
        FIONBIO => {
            let mut b = [0u8; 4];
            usercopy::copy_from_user(&mut b, arg)?;
            let on = i32::from_le_bytes(b) != 0;
            let flags = f.flags() & !crate::fs::O_NONBLOCK;
            f.set_status_flags(flags | if on { crate::fs::O_NONBLOCK } else { 0 });
            return Ok(0);
        }
        _ => {}
    }
    if crate::net::unix::socket_of(&f).is_some() {
        return super::socket::ioctl(&f, cmd, arg);
    }
    if cmd32 == FIONREAD {
        if let Some((waiting, _)) = f.ops.pipe_state() {
            usercopy::copy_to_user(arg, &(waiting as i32).to_le_bytes())?;
            return Ok(0);
        }
    }
    f.ops.ioctl(&f, cmd32, arg)
}

/// The file behind `fd` for a positional read or write, with Linux's checks (EBADF, ESPIPE, EINVAL).
pub(super) fn positional_file(fd: i32, offset: i64, write: bool) -> Result<Arc<OpenFile>, Errno> {
    let f = file(fd)?;
    if (write && !f.writable()) || (!write && !f.readable()) {
        return Err(Errno::EBADF);
    }
    if !f.ops.seekable() {
        return Err(Errno::ESPIPE);
    }
    if offset < 0 {
        return Err(Errno::EINVAL);
    }
    Ok(f)
}

/// pread64: read at `offset` without moving the file position.
pub fn pread64(fd: i32, buf: u64, count: u64, offset: i64) -> Result<usize, Errno> {
    let f = positional_file(fd, offset, false)?;
    pread_user(&f, buf, count, offset)
}

/// Read `count` bytes at `offset` of `f` into user memory at `buf`.
pub(super) fn pread_user(f: &OpenFile, buf: u64, count: u64, offset: i64) -> Result<usize, Errno> {
    let mut chunk = [0u8; CHUNK];
    let mut done = 0usize;
    let count = count.min(0x7fff_f000) as usize;
    while done < count {
        let want = (count - done).min(CHUNK);
        let n = f
            .ops
            .read(&mut chunk[..want], offset as u64 + done as u64, false)?;
        if n == 0 {
            break;
        }
        usercopy::copy_to_user(buf + done as u64, &chunk[..n])?;
        done += n;
        if n < want {
            break;
        }
    }
    Ok(done)
}

/// pwrite64: write at `offset` without moving the file position.
pub fn pwrite64(fd: i32, buf: u64, count: u64, offset: i64) -> Result<usize, Errno> {
    let f = positional_file(fd, offset, true)?;
    pwrite_user(&f, buf, count, offset)
}

/// Write `count` bytes from user memory at `buf` to `f` at `offset`.
pub(super) fn pwrite_user(f: &OpenFile, buf: u64, count: u64, offset: i64) -> Result<usize, Errno> {
    let mut chunk = [0u8; CHUNK];
    let mut done = 0usize;
    let count = f
        .ops
        .write_allowance(offset as u64, count.min(0x7fff_f000) as usize)?;
    while done < count {
        let n = (count - done).min(CHUNK);
        if let Err(e) = usercopy::copy_from_user(&mut chunk[..n], buf + done as u64) {
            return if done > 0 { Ok(done) } else { Err(e) };
        }
        let w = f
            .ops
            .write(&chunk[..n], offset as u64 + done as u64, false)?;
        done += w;
        if w < n {
            break;
        }
    }
    Ok(done)
}
