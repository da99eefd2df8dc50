//! statx and the time-setting calls (utimensat, futimesat, utimes), with Linux's argument checks and the
//! permission rules for callers that do not own the file. Path resolution is `path.rs`'s.
#![forbid(unsafe_code)]

use super::path::{attr_inode, caller_cwd, lookup, AT_FDCWD};
use super::user;
use crate::arch::usercopy;
use crate::fs::{root, vfs};
use crate::task::{cred, process};
use basalt_linux_abi::Errno;
use basalt_memfs::{Access, InodeId, SetAttr, TimeUpdate, Timestamp};

const AT_SYMLINK_NOFOLLOW: u32 = 0x100;
const AT_NO_AUTOMOUNT: u32 = 0x800;
const AT_EMPTY_PATH: u32 = 0x1000;
const AT_STATX_SYNC_TYPE: u32 = 0x6000;
const STATX_RESERVED: u32 = 0x8000_0000;
/// STATX_TYPE ... STATX_BLOCKS: what every file here reports.
const STATX_BASIC_STATS: u32 = 0x7ff;

const UTIME_NOW: i64 = (1 << 30) - 1;
const UTIME_OMIT: i64 = (1 << 30) - 2;

/// The tmpfs inode `dirfd` names, to change its attributes (AT_EMPTY_PATH with an empty path): the working
/// directory for AT_FDCWD.
fn inode_of_fd(dirfd: i32) -> Result<InodeId, Errno> {
    let ns = vfs::namespace()?;
    if dirfd == AT_FDCWD {
        return attr_inode(&ns, caller_cwd(&ns));
    }
    let f = process::current()
        .ok_or(Errno::ESRCH)?
        .files()
        .lock()
        .get(dirfd)?;
    match f.ops.location() {
        Some(loc) => attr_inode(&ns, loc),
        // Files outside the filesystem tree (pipes, eventfds) have no attributes to change here.
        None => Err(Errno::EOPNOTSUPP),
    }
}

/// statx(dirfd, path, flags, mask, buf).
pub fn statx(dirfd: i32, path_ptr: u64, flags: u32, mask: u32, buf: u64) -> Result<usize, Errno> {
    if mask & STATX_RESERVED != 0 || flags & AT_STATX_SYNC_TYPE == AT_STATX_SYNC_TYPE {
        return Err(Errno::EINVAL);
    }
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE) != 0 {
        return Err(Errno::EINVAL);
    }
    // Linux 6.11+: a NULL path with AT_EMPTY_PATH means the descriptor itself.
    let path = if path_ptr == 0 && flags & AT_EMPTY_PATH != 0 {
        alloc::vec::Vec::new()
    } else {
        user::read_cstring(path_ptr, user::PATH_MAX - 1, Errno::ENAMETOOLONG)?
    };
    let ns = vfs::namespace()?;
    let bytes = if path.is_empty() && flags & AT_EMPTY_PATH != 0 {
        if dirfd != AT_FDCWD {
            let f = process::current()
                .ok_or(Errno::ESRCH)?
                .files()
                .lock()
                .get(dirfd)?;
            match f.ops.location() {
                Some(loc) => encode(&ns.getattr(loc)?),
                None => encode_other(&f.ops.stat()),
            }
        } else {
            encode(&ns.getattr(caller_cwd(&ns))?)
        }
    } else {
        let loc = lookup(&ns, dirfd, &path, flags & AT_SYMLINK_NOFOLLOW == 0)?;
        encode(&ns.getattr(loc)?)
    };
    usercopy::copy_to_user(buf, &bytes)?;
    Ok(0)
}

/// Linux's new_decode_dev: (major, minor) of a dev_t.
fn split_dev(dev: u64) -> (u32, u32) {
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    (major as u32, minor as u32)
}

struct Fields {
    blksize: u32,
    nlink: u32,
    uid: u32,
    gid: u32,
    mode: u16,
    ino: u64,
    size: u64,
    blocks: u64,
    times: [(i64, u32); 3],
    rdev: u64,
    dev: u64,
}

fn layout(f: &Fields) -> [u8; 256] {
    let mut b = [0u8; 256];
    b[0..4].copy_from_slice(&STATX_BASIC_STATS.to_le_bytes());
    b[4..8].copy_from_slice(&f.blksize.to_le_bytes());
    b[16..20].copy_from_slice(&f.nlink.to_le_bytes());
    b[20..24].copy_from_slice(&f.uid.to_le_bytes());
    b[24..28].copy_from_slice(&f.gid.to_le_bytes());
    b[28..30].copy_from_slice(&f.mode.to_le_bytes());
    b[32..40].copy_from_slice(&f.ino.to_le_bytes());
    b[40..48].copy_from_slice(&f.size.to_le_bytes());
    b[48..56].copy_from_slice(&f.blocks.to_le_bytes());
    // atime at 64, ctime at 96, mtime at 112 (btime at 80 is not reported).
    for (&(secs, nanos), at) in f.times.iter().zip([64usize, 96, 112]) {
        b[at..at + 8].copy_from_slice(&secs.to_le_bytes());
        b[at + 8..at + 12].copy_from_slice(&nanos.to_le_bytes());
    }
    let (rmaj, rmin) = split_dev(f.rdev);
    let (dmaj, dmin) = split_dev(f.dev);
    b[128..132].copy_from_slice(&rmaj.to_le_bytes());
    b[132..136].copy_from_slice(&rmin.to_le_bytes());
    b[136..140].copy_from_slice(&dmaj.to_le_bytes());
    b[140..144].copy_from_slice(&dmin.to_le_bytes());
    b
}

fn encode(s: &basalt_memfs::Stat) -> [u8; 256] {
    let t = |ts: Timestamp| (ts.secs, ts.nanos);
    layout(&Fields {
        blksize: s.blksize as u32,
        nlink: s.nlink as u32,
        uid: s.uid,
        gid: s.gid,
        mode: s.mode as u16,
        ino: s.ino,
        size: s.size,
        blocks: s.blocks,
        times: [t(s.atime), t(s.ctime), t(s.mtime)],
        rdev: s.rdev,
        dev: s.dev,
    })
}

fn encode_other(s: &crate::fs::Stat) -> [u8; 256] {
    layout(&Fields {
        blksize: s.blksize as u32,
        nlink: s.nlink as u32,
        uid: s.uid,
        gid: s.gid,
        mode: s.mode as u16,
        ino: s.ino,
        size: s.size as u64,
        blocks: s.blocks as u64,
        times: [(0, 0); 3],
        rdev: s.rdev,
        dev: s.dev,
    })
}

/// One requested time: None for UTIME_OMIT.
fn time_update(sec: i64, nsec: i64) -> Result<Option<TimeUpdate>, Errno> {
    match nsec {
        UTIME_OMIT => Ok(None),
        UTIME_NOW => Ok(Some(TimeUpdate::Now)),
        0..=999_999_999 => Ok(Some(TimeUpdate::At(Timestamp {
            secs: sec,
            nanos: nsec as u32,
        }))),
        _ => Err(Errno::EINVAL),
    }
}

/// Set atime and mtime of `ino` (None: both to now), with Linux's rules: explicit times need the owner (or
/// privilege), EPERM otherwise; "now" also lets anyone with write permission, EACCES otherwise.
fn set_times(ino: InodeId, times: Option<[Option<TimeUpdate>; 2]>) -> Result<usize, Errno> {
    let [atime, mtime] = times.unwrap_or([Some(TimeUpdate::Now), Some(TimeUpdate::Now)]);
    let explicit = [atime, mtime]
        .iter()
        .any(|t| matches!(t, Some(TimeUpdate::At(_))));
    let creds = cred::current();
    let fs = root::fs_of(ino)?;
    let mut fs = fs.lock();
    let owner = fs.stat(ino)?.uid == creds.fsuid || creds.fsuid == 0;
    if !owner {
        if explicit {
            return Err(Errno::EPERM);
        }
        if !fs.may_access(ino, &root::credentials(&creds), Access::WRITE) {
            return Err(Errno::EACCES);
        }
    }
    fs.setattr(
        ino,
        &SetAttr {
            atime,
            mtime,
            ..SetAttr::default()
        },
        root::now(),
    )?;
    Ok(0)
}

fn read_pair(addr: u64) -> Result<[(i64, i64); 2], Errno> {
    let mut b = [0u8; 32];
    usercopy::copy_from_user(&mut b, addr)?;
    let w = |at: usize| {
        let mut x = [0u8; 8];
        x.copy_from_slice(&b[at..at + 8]);
        i64::from_le_bytes(x)
    };
    Ok([(w(0), w(8)), (w(16), w(24))])
}

/// The common path of the time calls: `times` already checked; `path` None: `dirfd` itself.
fn utimes_at(
    dirfd: i32,
    path_ptr: u64,
    times: Option<[Option<TimeUpdate>; 2]>,
    flags: u32,
) -> Result<usize, Errno> {
    if path_ptr == 0 && dirfd != AT_FDCWD {
        return set_times(inode_of_fd(dirfd)?, times);
    }
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let path = user::read_cstring(path_ptr, user::PATH_MAX - 1, Errno::ENAMETOOLONG)?;
    let ino = if path.is_empty() && flags & AT_EMPTY_PATH != 0 {
        inode_of_fd(dirfd)?
    } else {
        let ns = vfs::namespace()?;
        attr_inode(
            &ns,
            lookup(&ns, dirfd, &path, flags & AT_SYMLINK_NOFOLLOW == 0)?,
        )?
    };
    set_times(ino, times)
}

/// utimensat(dirfd, path, times[2], flags).
pub fn utimensat(dirfd: i32, path_ptr: u64, times_ptr: u64, flags: u32) -> Result<usize, Errno> {
    let times = if times_ptr != 0 {
        let [(asec, ansec), (msec, mnsec)] = read_pair(times_ptr)?;
        // Nothing to do: Linux does not even look at the path.
        if ansec == UTIME_OMIT && mnsec == UTIME_OMIT {
            return Ok(0);
        }
        Some([time_update(asec, ansec)?, time_update(msec, mnsec)?])
    } else {
        None
    };
    utimes_at(dirfd, path_ptr, times, flags)
}

/// futimesat(dirfd, path, timeval[2]) and utimes(path, timeval[2]).
pub fn futimesat(dirfd: i32, path_ptr: u64, times_ptr: u64) -> Result<usize, Errno> {
    let times = if times_ptr != 0 {
        let [(asec, ausec), (msec, musec)] = read_pair(times_ptr)?;
        if !(0..1_000_000).contains(&ausec) || !(0..1_000_000).contains(&musec) {
            return Err(Errno::EINVAL);
        }
        Some([
            time_update(asec, ausec * 1000)?,
            time_update(msec, musec * 1000)?,
        ])
    } else {
        None
    };
    utimes_at(dirfd, path_ptr, times, 0)
}

/// utime(path, struct utimbuf { actime, modtime }) in whole seconds.
pub fn utime(path_ptr: u64, buf: u64) -> Result<usize, Errno> {
    let times = if buf != 0 {
        let mut b = [0u8; 16];
        usercopy::copy_from_user(&mut b, buf)?;
        let w = |at: usize| {
            let mut x = [0u8; 8];
            x.copy_from_slice(&b[at..at + 8]);
            i64::from_le_bytes(x)
        };
        Some([time_update(w(0), 0)?, time_update(w(8), 0)?])
    } else {
        None
    };
    utimes_at(AT_FDCWD, path_ptr, times, 0)
}
