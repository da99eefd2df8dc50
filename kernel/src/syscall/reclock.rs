//! fcntl's record-lock commands: struct flock in and out, Linux's argument checks, then `fs::reclock`.
#![forbid(unsafe_code)]

use crate::arch::usercopy;
use crate::fs::reclock::{self, Owner};
use crate::fs::OpenFile;
use crate::task::process;
use basalt_linux_abi::Errno;
use basalt_locks::{Kind, RangeError, OFFSET_MAX};

pub const F_GETLK: u32 = 5;
pub const F_SETLK: u32 = 6;
pub const F_SETLKW: u32 = 7;
pub const F_OFD_GETLK: u32 = 36;
pub const F_OFD_SETLK: u32 = 37;
pub const F_OFD_SETLKW: u32 = 38;

const F_RDLCK: i16 = 0;
const F_WRLCK: i16 = 1;
const F_UNLCK: i16 = 2;

pub fn is_lock_command(cmd: u32) -> bool {
    matches!(
        cmd,
        F_GETLK | F_SETLK | F_SETLKW | F_OFD_GETLK | F_OFD_SETLK | F_OFD_SETLKW
    )
}

/// struct flock (x86_64: l_type, l_whence, l_start, l_len, l_pid; 32 bytes).
struct Flock {
    ltype: i16,
    whence: i16,
    start: i64,
    len: i64,
    pid: i32,
}

fn read_flock(addr: u64) -> Result<Flock, Errno> {
    let mut b = [0u8; 32];
    usercopy::copy_from_user(&mut b, addr)?;
    let i64_at = |at: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[at..at + 8]);
        i64::from_le_bytes(w)
    };
    Ok(Flock {
        ltype: i16::from_le_bytes([b[0], b[1]]),
        whence: i16::from_le_bytes([b[2], b[3]]),
        start: i64_at(8),
        len: i64_at(16),
        pid: i32::from_le_bytes([b[24], b[25], b[26], b[27]]),
    })
}

fn write_flock(addr: u64, l: &Flock) -> Result<(), Errno> {
    let mut b = [0u8; 32];
    b[0..2].copy_from_slice(&l.ltype.to_le_bytes());
    b[2..4].copy_from_slice(&l.whence.to_le_bytes());
    b[8..16].copy_from_slice(&l.start.to_le_bytes());
    b[16..24].copy_from_slice(&l.len.to_le_bytes());
    b[24..28].copy_from_slice(&l.pid.to_le_bytes());
    usercopy::copy_to_user(addr, &b)
}

/// The absolute inclusive range of `l` for `f` (Linux's flock_to_posix_lock).
fn range_of(f: &OpenFile, l: &Flock) -> Result<(i64, i64), Errno> {
    let base = match l.whence {
        0 => 0,
        1 => *f.offset.lock() as i64,
        2 => f.ops.size() as i64,
        _ => return Err(Errno::EINVAL),
    };
    basalt_locks::range(base.wrapping_add(l.start), l.len).map_err(|e| match e {
        RangeError::Invalid => Errno::EINVAL,
        RangeError::Overflow => Errno::EOVERFLOW,
    })
}

fn kind_of(ltype: i16) -> Result<Option<Kind>, Errno> {
    match ltype {
        F_RDLCK => Ok(Some(Kind::Read)),
        F_WRLCK => Ok(Some(Kind::Write)),
        F_UNLCK => Ok(None),
        _ => Err(Errno::EINVAL),
    }
}

/// fcntl(fd, cmd, &flock) for the lock commands.
pub fn fcntl_lock(f: &OpenFile, table_owner: u64, cmd: u32, arg: u64) -> Result<usize, Errno> {
    let mut l = read_flock(arg)?;
    let (start, end) = range_of(f, &l)?;
    let kind = kind_of(l.ltype)?;
    let ofd = matches!(cmd, F_OFD_GETLK | F_OFD_SETLK | F_OFD_SETLKW);
    if ofd && l.pid != 0 {
        return Err(Errno::EINVAL);
    }
    let pid = process::current().ok_or(Errno::ESRCH)?.pid as i32;
    let owner = if ofd {
        Owner {
            id: reclock::description_owner(f),
            pid: -1,
            posix: false,
        }
    } else {
        Owner {
            id: table_owner,
            pid,
            posix: true,
        }
    };
    match cmd {
        F_GETLK | F_OFD_GETLK => {
            let kind = kind.ok_or(Errno::EINVAL)?;
            match reclock::test(f, owner, start, end, kind) {
                Some(lock) => {
                    l.ltype = if lock.kind == Kind::Write {
                        F_WRLCK
                    } else {
                        F_RDLCK
                    };
                    l.whence = 0;
                    l.start = lock.start;
                    l.len = if lock.end == OFFSET_MAX {
                        0
                    } else {
                        lock.end - lock.start + 1
                    };
                    l.pid = lock.pid;
                }
                None => l.ltype = F_UNLCK,
            }
            write_flock(arg, &l)?;
            Ok(0)
        }
        _ => {
            match kind {
                Some(Kind::Read) if !f.readable() => return Err(Errno::EBADF),
                Some(Kind::Write) if !f.writable() => return Err(Errno::EBADF),
                _ => {}
            }
            let wait = matches!(cmd, F_SETLKW | F_OFD_SETLKW);
            reclock::set(f, owner, start, end, kind, wait)?;
            Ok(0)
        }
    }
}
