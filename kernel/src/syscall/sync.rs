//! flock, and the calls that flush files: fsync, fdatasync, sync, syncfs, plus readahead. The root filesystem
//! lives in memory, so flushing means writing shared mappings' pages back to it (as msync does).
#![forbid(unsafe_code)]

use crate::fs::{OpenFile, O_PATH};
use crate::task::process;
use alloc::sync::Arc;
use basalt_linux_abi::Errno;

/// The open file behind `fd`; an O_PATH descriptor counts as not open (EBADF), as Linux's fdget does here.
fn file(fd: i32) -> Result<Arc<OpenFile>, Errno> {
    let f = process::current()
        .ok_or(Errno::ESRCH)?
        .files()
        .lock()
        .get(fd)?;
    if f.flags() & O_PATH != 0 {
        return Err(Errno::EBADF);
    }
    Ok(f)
}

const LOCK_SH: u32 = 1;
const LOCK_EX: u32 = 2;
const LOCK_NB: u32 = 4;
const LOCK_UN: u32 = 8;

pub fn flock(fd: i32, op: u32) -> Result<usize, Errno> {
    let f = file(fd)?;
    match op & !LOCK_NB {
        LOCK_SH => crate::fs::flock::lock(&f, false, op & LOCK_NB != 0)?,
        LOCK_EX => crate::fs::flock::lock(&f, true, op & LOCK_NB != 0)?,
        LOCK_UN => crate::fs::flock::unlock(&f),
        _ => return Err(Errno::EINVAL),
    }
    Ok(0)
}

/// fsync/fdatasync: files of the root filesystem write their shared pages back; others (pipes, devices,
/// eventfds) have nothing to sync and, as on Linux, say EINVAL.
pub fn fsync(fd: i32) -> Result<usize, Errno> {
    let f = file(fd)?;
    let ino = f.ops.inode().ok_or(Errno::EINVAL)?;
    crate::mm::shared_pages::sync(ino.number());
    Ok(0)
}

/// sync: every shared file mapping's pages written back.
pub fn sync() -> Result<usize, Errno> {
    crate::mm::shared_pages::sync_all();
    Ok(0)
}

/// syncfs(fd): the filesystem of `fd` (all of the root filesystem; nothing to do for pipes and the like).
pub fn syncfs(fd: i32) -> Result<usize, Errno> {
    let f = file(fd)?;
    if f.ops.inode().is_some() {
        crate::mm::shared_pages::sync_all();
    }
    Ok(0)
}

/// readahead(fd, offset, count): regular files only; their pages are in memory already.
pub fn readahead(fd: i32) -> Result<usize, Errno> {
    let f = file(fd)?;
    if !f.readable() {
        return Err(Errno::EBADF);
    }
    if f.ops.inode().is_none() || f.ops.stat().mode & 0o170000 != 0o100000 {
        return Err(Errno::EINVAL);
    }
    Ok(0)
}
