//! Positional vectored I/O (preadv, pwritev and their *2 forms), sendfile and fallocate.
#![forbid(unsafe_code)]

use super::fs::{iovecs, positional_file, pread_user, pwrite_user};
use crate::arch::usercopy;
use crate::fs::{OpenFile, O_APPEND};
use crate::task::process;
use alloc::sync::Arc;
use basalt_linux_abi::Errno;

fn file(fd: i32) -> Result<Arc<OpenFile>, Errno> {
    process::current()
        .ok_or(Errno::ESRCH)?
        .files()
        .lock()
        .get(fd)
}

/// preadv(fd, iov, iovcnt, offset): on x86_64 the whole offset is in the low word.
pub fn preadv(fd: i32, iov: u64, iovcnt: u64, offset: i64) -> Result<usize, Errno> {
    // Linux checks the offset before the descriptor here.
    if offset < 0 {
        return Err(Errno::EINVAL);
    }
    let f = positional_file(fd, offset, false)?;
    let mut total = 0u64;
    for (base, len) in iovecs(iov, iovcnt)? {
        let n = match pread_user(&f, base, len, offset + total as i64) {
            Ok(n) => n as u64,
            Err(e) if total == 0 => return Err(e),
            Err(_) => break,
        };
        total += n;
        if n < len {
            break;
        }
    }
    Ok(total as usize)
}

pub fn pwritev(fd: i32, iov: u64, iovcnt: u64, offset: i64) -> Result<usize, Errno> {
    if offset < 0 {
        return Err(Errno::EINVAL);
    }
    let f = positional_file(fd, offset, true)?;
    let vecs = iovecs(iov, iovcnt)?;
    let wanted = vecs.iter().map(|&(_, l)| l).sum::<u64>().min(0x7fff_f000) as usize;
    let mut allowed = f.ops.write_allowance(offset as u64, wanted)? as u64;
    let mut total = 0u64;
    for (base, len) in vecs {
        let len = len.min(allowed);
        if len == 0 {
            break;
        }
        let n = match pwrite_user(&f, base, len, offset + total as i64) {
            Ok(n) => n as u64,
            Err(e) if total == 0 => return Err(e),
            Err(_) => break,
        };
        total += n;
        allowed -= n;
        if n < len {
            break;
        }
    }
    Ok(total as usize)
}

/// The RWF_* flags Linux knows (HIPRI, DSYNC, SYNC, NOWAIT, APPEND, NOAPPEND, ATOMIC, DONTCACHE).
const RWF_SUPPORTED: u32 = 0xff;
const RWF_APPEND: u32 = 0x10;

pub fn preadv2(fd: i32, iov: u64, iovcnt: u64, offset: i64, flags: u32) -> Result<usize, Errno> {
    if flags & !RWF_SUPPORTED != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    if offset == -1 {
        return super::fs::readv(fd, iov, iovcnt);
    }
    preadv(fd, iov, iovcnt, offset)
}

pub fn pwritev2(fd: i32, iov: u64, iovcnt: u64, offset: i64, flags: u32) -> Result<usize, Errno> {
    if flags & !RWF_SUPPORTED != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    // -1 means the file position; RWF_APPEND the end, as O_APPEND would.
    if offset == -1 || flags & RWF_APPEND != 0 {
        if flags & RWF_APPEND != 0 {
            let f = file(fd)?;
            if f.writable() && f.ops.seekable() {
                let end = f.ops.size() as i64;
                return pwritev(fd, iov, iovcnt, end);
            }
        }
        return super::fs::writev(fd, iov, iovcnt);
    }
    pwritev(fd, iov, iovcnt, offset)
}

/// Bytes per step of sendfile.
const STEP: usize = 64 * 1024;

fn is_regular(f: &OpenFile) -> bool {
    f.ops.inode().is_some() && f.ops.stat().mode & 0o170000 == 0o100000
}

/// sendfile(out_fd, in_fd, offset, count): from a regular file to any writable file (a pipe, another file).
/// With `offset`, reading starts there and the value is updated, leaving the file position alone.
pub fn sendfile(out_fd: i32, in_fd: i32, offset_ptr: u64, count: u64) -> Result<usize, Errno> {
    let given = if offset_ptr != 0 {
        let mut b = [0u8; 8];
        usercopy::copy_from_user(&mut b, offset_ptr)?;
        Some(i64::from_le_bytes(b))
    } else {
        None
    };
    let result = sendfile_at(out_fd, in_fd, given, count);
    // Linux writes the offset back whatever happened.
    if let Some(start) = given {
        let now = start + result.as_ref().map_or(0, |&n| n as i64);
        usercopy::copy_to_user(offset_ptr, &now.to_le_bytes())?;
    }
    result
}

fn sendfile_at(out_fd: i32, in_fd: i32, offset: Option<i64>, count: u64) -> Result<usize, Errno> {
    let input = file(in_fd)?;
    if !input.readable() {
        return Err(Errno::EBADF);
    }
    if offset.is_some() && !input.ops.seekable() {
        return Err(Errno::ESPIPE);
    }
    let mut pos = offset.unwrap_or_else(|| *input.offset.lock() as i64);
    if pos < 0 {
        return Err(Errno::EINVAL);
    }
    let output = file(out_fd)?;
    if !output.writable() {
        return Err(Errno::EBADF);
    }
    if !is_regular(&input) || output.flags() & O_APPEND != 0 {
        return Err(Errno::EINVAL);
    }
    let count = count.min(0x7fff_f000) as usize;
    let count = if output.ops.seekable() {
        output.ops.write_allowance(*output.offset.lock(), count)?
    } else {
        count
    };
    let mut buf = alloc::vec![0u8; STEP.min(count.max(1))];
    let mut done = 0usize;
    while done < count {
        let want = (count - done).min(buf.len());
        let n = match input.ops.read(&mut buf[..want], pos as u64, false) {
            Ok(n) => n,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        if n == 0 {
            break;
        }
        let out_pos = *output.offset.lock();
        let w = match output.ops.write(&buf[..n], out_pos, output.nonblocking()) {
            Ok(w) => w,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        if output.ops.seekable() {
            *output.offset.lock() = out_pos + w as u64;
        }
        pos += w as i64;
        done += w;
        if w < n {
            break;
        }
    }
    if offset.is_none() {
        *input.offset.lock() = pos as u64;
    }
    Ok(done)
}

const FALLOC_FL_KEEP_SIZE: u32 = 1;
const FALLOC_FL_PUNCH_HOLE: u32 = 2;
/// Every mode bit Linux defines (COLLAPSE_RANGE, ZERO_RANGE, INSERT_RANGE, UNSHARE_RANGE, WRITE_ZEROES too).
const FALLOC_FL_KNOWN: u32 = 0x7f | 0x80;

/// fallocate(fd, mode, offset, len) on the in-memory filesystem: mode 0 extends the file (memory is allocated
/// when written, so there is nothing else to reserve), KEEP_SIZE leaves it, PUNCH_HOLE|KEEP_SIZE zeroes a range.
pub fn fallocate(fd: i32, mode: u32, offset: i64, len: i64) -> Result<usize, Errno> {
    if offset < 0 || len <= 0 {
        return Err(Errno::EINVAL);
    }
    if mode & !FALLOC_FL_KNOWN != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    if mode & FALLOC_FL_PUNCH_HOLE != 0 && mode & FALLOC_FL_KEEP_SIZE == 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    let f = file(fd)?;
    if !f.writable() {
        return Err(Errno::EBADF);
    }
    let end = offset.checked_add(len).ok_or(Errno::EFBIG)?;
    let ino = match f.ops.inode() {
        Some(ino) => ino,
        None if f.ops.pipe_state().is_some() => return Err(Errno::ESPIPE),
        None => return Err(Errno::ENODEV),
    };
    let st = f.ops.stat();
    match st.mode & 0o170000 {
        0o100000 => {}
        0o040000 => return Err(Errno::EISDIR),
        _ => return Err(Errno::ENODEV),
    }
    if mode & !(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE) != 0 {
        // tmpfs supports only these.
        return Err(Errno::EOPNOTSUPP);
    }
    let size = st.size.max(0) as u64;
    if mode & FALLOC_FL_PUNCH_HOLE != 0 {
        let from = offset as u64;
        let to = (end as u64).min(size);
        let zeros = [0u8; 4096];
        let mut at = from;
        while at < to {
            let n = ((to - at) as usize).min(zeros.len());
            f.ops.write(&zeros[..n], at, false)?;
            at += n as u64;
        }
        return Ok(0);
    }
    if mode & FALLOC_FL_KEEP_SIZE == 0 && end as u64 > size {
        // RLIMIT_FSIZE is checked there (EFBIG and SIGXFSZ).
        crate::fs::root::truncate(ino, end as u64)?;
    }
    Ok(0)
}
