//! Path-based file system calls on the root filesystem: open, stat, directories, links, renames, permissions,
//! the working directory.
#![forbid(unsafe_code)]

use super::user;
use crate::arch::usercopy;
use crate::fs::root::{self, Node};
use crate::fs::{
    OpenFile, O_ACCMODE, O_CLOEXEC, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_PATH, O_RDONLY,
    O_TRUNC,
};
use crate::task::{cred, process};
use alloc::sync::Arc;
use alloc::vec::Vec;
use basalt_cred::Cred;
use basalt_linux_abi::Errno;
use basalt_memfs::{Access, FileType, InodeId, PathAt};

/// `dirfd` meaning "the working directory".
pub const AT_FDCWD: i32 = -100;
const AT_SYMLINK_NOFOLLOW: u32 = 0x100;
const AT_REMOVEDIR: u32 = 0x200;
const AT_SYMLINK_FOLLOW: u32 = 0x400;
const AT_EMPTY_PATH: u32 = 0x1000;
const AT_EACCESS: u32 = 0x200;

fn read_path(ptr: u64) -> Result<Vec<u8>, Errno> {
    user::read_cstring(ptr, user::PATH_MAX - 1, Errno::ENAMETOOLONG)
}

/// The directory a relative path starts from.
fn base_dir(dirfd: i32) -> Result<InodeId, Errno> {
    let p = process::current().ok_or(Errno::ESRCH)?;
    if dirfd == AT_FDCWD {
        return match p.cwd() {
            Some(ino) => Ok(ino),
            None => Ok(root::fs()?.lock().root()),
        };
    }
    let file = p.files().lock().get(dirfd)?;
    let ino = file.ops.inode().ok_or(Errno::ENOTDIR)?;
    if root::fs()?.lock().file_type(ino)? != FileType::Directory {
        return Err(Errno::ENOTDIR);
    }
    Ok(ino)
}

fn lookup(dirfd: i32, path: &[u8], follow: bool) -> Result<InodeId, Errno> {
    lookup_as(&cred::current(), dirfd, path, follow)
}

/// Resolve `path` with the permissions of `creds` (search permission on every directory on the way).
fn lookup_as(creds: &Cred, dirfd: i32, path: &[u8], follow: bool) -> Result<InodeId, Errno> {
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    let dir = if path.first() == Some(&b'/') {
        root::fs()?.lock().root()
    } else {
        base_dir(dirfd)?
    };
    let walker = root::walker(creds)?;
    root::fs()?
        .lock()
        .lookup_at(&walker, PathAt::new(dir, path), follow)
}

/// Resolve `path` for exec (following symlinks) and check that it is an executable regular file.
pub fn lookup_executable(path: &[u8]) -> Result<InodeId, Errno> {
    lookup_executable_at(AT_FDCWD, path, true)
}

/// Resolve `path` relative to `dirfd` for execveat (an empty path means the file `dirfd` itself) and check that
/// it is an executable regular file; ELOOP for a symbolic link when not following.
pub fn lookup_executable_at(dirfd: i32, path: &[u8], follow: bool) -> Result<InodeId, Errno> {
    let ino = if path.is_empty() {
        let file = process::current()
            .ok_or(Errno::ESRCH)?
            .files()
            .lock()
            .get(dirfd)?;
        file.ops.inode().ok_or(Errno::EACCES)?
    } else {
        lookup(dirfd, path, follow)?
    };
    let fs = root::fs()?;
    let fs = fs.lock();
    let kind = fs.file_type(ino)?;
    if kind == FileType::Symlink {
        return Err(Errno::ELOOP);
    }
    if kind != FileType::Regular {
        return Err(Errno::EACCES);
    }
    let creds = cred::current();
    if !fs.may_access(ino, &root::credentials(&creds), Access::EXEC) {
        return Err(Errno::EACCES);
    }
    Ok(ino)
}

fn at(dirfd: i32, path: &[u8]) -> Result<PathAt<'_>, Errno> {
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    let dir = if path.first() == Some(&b'/') {
        root::fs()?.lock().root()
    } else {
        base_dir(dirfd)?
    };
    Ok(PathAt::new(dir, path))
}

/// The access an open asks for: by its access mode, plus write for O_TRUNC.
fn open_access(flags: u32) -> Access {
    let mut want = match flags & O_ACCMODE {
        O_RDONLY => Access::READ,
        1 => Access::WRITE,
        _ => Access::READ | Access::WRITE,
    };
    if flags & O_TRUNC != 0 {
        want |= Access::WRITE;
    }
    want
}

fn umask() -> u32 {
    process::current().map(|p| p.umask()).unwrap_or(0o022)
}

pub fn openat(dirfd: i32, path_ptr: u64, flags: u32, mode: u32) -> Result<usize, Errno> {
    let path = read_path(path_ptr)?;
    let creds = cred::current();
    let walker = root::walker(&creds)?;
    let fs = root::fs()?;
    let (ino, created) = if flags & O_CREAT != 0 {
        let pa = at(dirfd, &path)?;
        let perm = mode & 0o7777 & !umask();
        fs.lock()
            .open_create(&walker, pa, perm, flags & O_EXCL != 0, root::now())?
    } else {
        (
            lookup_as(&creds, dirfd, &path, flags & O_NOFOLLOW == 0)?,
            false,
        )
    };
    let (ftype, rdev) = {
        let fs = fs.lock();
        (fs.file_type(ino)?, fs.stat(ino)?.rdev)
    };
    let access = flags & O_ACCMODE;
    if flags & O_DIRECTORY != 0 && ftype != FileType::Directory {
        return Err(Errno::ENOTDIR);
    }
    // Linux's may_open: a file this call created is not checked, nor is an O_PATH descriptor.
    if !created && flags & O_PATH == 0 && ftype != FileType::Symlink {
        if ftype == FileType::Directory && access != O_RDONLY {
            return Err(Errno::EISDIR);
        }
        if !fs
            .lock()
            .may_access(ino, &root::credentials(&creds), open_access(flags))
        {
            return Err(Errno::EACCES);
        }
    }
    let ops: Arc<dyn crate::fs::FileOps> = match ftype {
        FileType::Directory => {
            if access != O_RDONLY && flags & O_PATH == 0 {
                return Err(Errno::EISDIR);
            }
            Node::open(ino)?
        }
        FileType::Regular => {
            if flags & O_TRUNC != 0 && access != O_RDONLY {
                root::truncate(ino, 0)?;
            }
            Node::open(ino)?
        }
        FileType::Symlink => return Err(Errno::ELOOP),
        FileType::CharDevice => {
            let dev = basalt_memfs::DeviceNumber::decode(rdev);
            root::device_ops(dev.major, dev.minor, flags)?
        }
        _ => return Err(Errno::ENXIO),
    };
    let file = OpenFile::new(ops, flags);
    let table = process::current().ok_or(Errno::ESRCH)?.files();
    let fd = table.lock().install(file, flags & O_CLOEXEC != 0)?;
    Ok(fd as usize)
}

pub fn newfstatat(dirfd: i32, path_ptr: u64, statbuf: u64, flags: u32) -> Result<usize, Errno> {
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | 0x800) != 0 {
        return Err(Errno::EINVAL);
    }
    let path = read_path(path_ptr)?;
    if path.is_empty() && flags & AT_EMPTY_PATH != 0 {
        return super::fs::fstat(dirfd, statbuf);
    }
    let ino = lookup(dirfd, &path, flags & AT_SYMLINK_NOFOLLOW == 0)?;
    usercopy::copy_to_user(statbuf, &root::stat_bytes(ino)?)?;
    Ok(0)
}

pub fn getdents64(fd: i32, buf: u64, count: u64) -> Result<usize, Errno> {
    let file = process::current()
        .ok_or(Errno::ESRCH)?
        .files()
        .lock()
        .get(fd)?;
    let ino = file.ops.inode().ok_or(Errno::ENOTDIR)?;
    // No lock is held while copying to user memory: the copy may fault and shoot down other CPUs' TLBs.
    let start = *file.offset.lock();
    let (bytes, next) = root::fs()?
        .lock()
        .read_dir(ino, start, count.min(1 << 20) as usize)?;
    usercopy::copy_to_user(buf, &bytes)?;
    *file.offset.lock() = next;
    Ok(bytes.len())
}

/// The path of a directory, found by walking ".." up to the root and looking each name up in its parent.
fn path_of(dir: InodeId) -> Result<Vec<u8>, Errno> {
    let fs = root::fs()?;
    let fs = fs.lock();
    let root = fs.root();
    let mut parts: Vec<Vec<u8>> = Vec::new();
    let mut cur = dir;
    for _ in 0..256 {
        if cur == root {
            break;
        }
        let parent = fs.lookup(cur, b"..")?;
        let name = name_in(&fs, parent, fs.stat(cur)?.ino)?;
        parts.push(name);
        cur = parent;
    }
    let mut out = Vec::new();
    for p in parts.iter().rev() {
        out.push(b'/');
        out.extend_from_slice(p);
    }
    if out.is_empty() {
        out.push(b'/');
    }
    Ok(out)
}

/// The name under which inode number `ino` appears in directory `dir` (reading its entries).
fn name_in(fs: &basalt_memfs::MemFs, dir: InodeId, ino: u64) -> Result<Vec<u8>, Errno> {
    let mut cookie = 0;
    loop {
        let (bytes, next) = fs.read_dir(dir, cookie, 4096)?;
        if bytes.is_empty() {
            return Err(Errno::ENOENT);
        }
        let mut at = 0;
        while at + 19 <= bytes.len() {
            let d_ino = u64::from_le_bytes(bytes[at..at + 8].try_into().map_err(|_| Errno::EIO)?);
            let reclen =
                u16::from_le_bytes(bytes[at + 16..at + 18].try_into().map_err(|_| Errno::EIO)?)
                    as usize;
            if reclen == 0 || at + reclen > bytes.len() {
                return Err(Errno::EIO);
            }
            let name = &bytes[at + 19..at + reclen];
            let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
            if d_ino == ino && name != b"." && name != b".." {
                return Ok(name.to_vec());
            }
            at += reclen;
        }
        cookie = next;
    }
}

pub fn getcwd(buf: u64, size: u64) -> Result<usize, Errno> {
    let p = process::current().ok_or(Errno::ESRCH)?;
    let dir = match p.cwd() {
        Some(d) => d,
        None => root::fs()?.lock().root(),
    };
    let mut path = path_of(dir)?;
    path.push(0);
    if path.len() as u64 > size {
        return Err(Errno::ERANGE);
    }
    usercopy::copy_to_user(buf, &path)?;
    Ok(path.len())
}

pub fn chdir(path_ptr: u64) -> Result<usize, Errno> {
    let path = read_path(path_ptr)?;
    let ino = lookup(AT_FDCWD, &path, true)?;
    set_cwd(ino)
}

pub fn fchdir(fd: i32) -> Result<usize, Errno> {
    let ino = base_dir(fd)?;
    set_cwd(ino)
}

fn set_cwd(ino: InodeId) -> Result<usize, Errno> {
    let fs = root::fs()?;
    let creds = cred::current();
    {
        let mut fs = fs.lock();
        if fs.file_type(ino)? != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        if !fs.may_access(ino, &root::credentials(&creds), Access::EXEC) {
            return Err(Errno::EACCES);
        }
        fs.hold(ino)?;
    }
    process::current().ok_or(Errno::ESRCH)?.set_cwd(ino);
    Ok(0)
}

pub fn mkdirat(dirfd: i32, path_ptr: u64, mode: u32) -> Result<usize, Errno> {
    let path = read_path(path_ptr)?;
    let creds = cred::current();
    let walker = root::walker(&creds)?;
    let pa = at(dirfd, &path)?;
    root::fs()?
        .lock()
        .mkdir_at(&walker, pa, mode & 0o7777 & !umask(), root::now())?;
    Ok(0)
}

pub fn unlinkat(dirfd: i32, path_ptr: u64, flags: u32) -> Result<usize, Errno> {
    if flags & !AT_REMOVEDIR != 0 {
        return Err(Errno::EINVAL);
    }
    let path = read_path(path_ptr)?;
    let creds = cred::current();
    let walker = root::walker(&creds)?;
    let pa = at(dirfd, &path)?;
    let mut fs = root::fs()?.lock();
    if flags & AT_REMOVEDIR != 0 {
        fs.rmdir_at(&walker, pa, root::now())?;
    } else {
        fs.unlink_at(&walker, pa, root::now())?;
    }
    Ok(0)
}

pub fn renameat2(
    olddir: i32,
    old_ptr: u64,
    newdir: i32,
    new_ptr: u64,
    flags: u32,
) -> Result<usize, Errno> {
    let old = read_path(old_ptr)?;
    let new = read_path(new_ptr)?;
    let creds = cred::current();
    let walker = root::walker(&creds)?;
    let flags = basalt_memfs::RenameFlags::from_linux(flags)?;
    let (a, b) = (at(olddir, &old)?, at(newdir, &new)?);
    root::fs()?
        .lock()
        .rename_at(&walker, a, b, flags, root::now())?;
    Ok(0)
}

pub fn readlinkat(dirfd: i32, path_ptr: u64, buf: u64, size: u64) -> Result<usize, Errno> {
    if (size as i64) <= 0 {
        return Err(Errno::EINVAL);
    }
    let path = read_path(path_ptr)?;
    let ino = lookup(dirfd, &path, false)?;
    let target: Vec<u8> = root::fs()?.lock().readlink(ino)?.to_vec();
    let n = target.len().min(size as usize);
    usercopy::copy_to_user(buf, &target[..n])?;
    Ok(n)
}

pub fn symlinkat(target_ptr: u64, dirfd: i32, path_ptr: u64) -> Result<usize, Errno> {
    let target = read_path(target_ptr)?;
    let path = read_path(path_ptr)?;
    let creds = cred::current();
    let walker = root::walker(&creds)?;
    let pa = at(dirfd, &path)?;
    root::fs()?
        .lock()
        .symlink_at(&walker, &target, pa, root::now())?;
    Ok(0)
}

pub fn linkat(
    olddir: i32,
    old_ptr: u64,
    newdir: i32,
    new_ptr: u64,
    flags: u32,
) -> Result<usize, Errno> {
    if flags & !(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let old = read_path(old_ptr)?;
    let new = read_path(new_ptr)?;
    let creds = cred::current();
    let walker = root::walker(&creds)?;
    let (a, b) = (at(olddir, &old)?, at(newdir, &new)?);
    root::fs()?
        .lock()
        .link_at(&walker, a, flags & AT_SYMLINK_FOLLOW != 0, b, root::now())?;
    Ok(0)
}

pub fn faccessat(dirfd: i32, path_ptr: u64, mode: u32, flags: u32) -> Result<usize, Errno> {
    if mode & !0o7 != 0 || flags & !(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let path = read_path(path_ptr)?;
    // access() asks about the real ids (AT_EACCESS: the effective ones), for the lookup too.
    let creds = cred::current().for_access_check(flags & AT_EACCESS != 0);
    let ino = lookup_as(&creds, dirfd, &path, flags & AT_SYMLINK_NOFOLLOW == 0)?;
    let want = Access::from_bits_truncate(mode as u8);
    if !root::fs()?
        .lock()
        .may_access(ino, &root::credentials(&creds), want)
    {
        return Err(Errno::EACCES);
    }
    Ok(0)
}

pub fn set_umask(mask: u32) -> Result<usize, Errno> {
    let p = process::current().ok_or(Errno::ESRCH)?;
    Ok(p.set_umask(mask & 0o777) as usize)
}

pub fn fchmodat(dirfd: i32, path_ptr: u64, mode: u32) -> Result<usize, Errno> {
    let path = read_path(path_ptr)?;
    let ino = lookup(dirfd, &path, true)?;
    chmod_inode(ino, mode)
}

pub fn fchmod(fd: i32, mode: u32) -> Result<usize, Errno> {
    let file = process::current()
        .ok_or(Errno::ESRCH)?
        .files()
        .lock()
        .get(fd)?;
    let ino = file.ops.inode().ok_or(Errno::EPERM)?;
    chmod_inode(ino, mode)
}

/// chmod: only the owner (or a privileged caller) may; the set-group-id bit goes unless the caller is in the
/// file's group or privileged, as Linux's setattr_prepare decides.
fn chmod_inode(ino: InodeId, mode: u32) -> Result<usize, Errno> {
    let creds = cred::current();
    let fs_creds = root::credentials(&creds);
    let mut fs = root::fs()?.lock();
    let stat = fs.stat(ino)?;
    if !fs_creds.is_root() && fs_creds.uid != stat.uid {
        return Err(Errno::EPERM);
    }
    let mut perm = mode & 0o7777;
    if !fs_creds.is_root() && !fs_creds.in_group(stat.gid) {
        perm &= !0o2000;
    }
    let attr = basalt_memfs::SetAttr {
        perm: Some(perm),
        ..Default::default()
    };
    fs.setattr(ino, &attr, root::now())?;
    Ok(0)
}

/// fchownat(dirfd, path, uid, gid, flags) (also chown and lchown): -1 leaves the owner or group alone.
pub fn fchownat(dirfd: i32, path_ptr: u64, uid: u32, gid: u32, flags: u32) -> Result<usize, Errno> {
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let path = read_path(path_ptr)?;
    let ino = if path.is_empty() && flags & AT_EMPTY_PATH != 0 {
        if dirfd == AT_FDCWD {
            base_dir(dirfd)?
        } else {
            fd_inode(dirfd)?
        }
    } else {
        lookup(dirfd, &path, flags & AT_SYMLINK_NOFOLLOW == 0)?
    };
    chown_inode(ino, uid, gid)
}

pub fn fchown(fd: i32, uid: u32, gid: u32) -> Result<usize, Errno> {
    chown_inode(fd_inode(fd)?, uid, gid)
}

/// The filesystem inode behind descriptor `fd` (EPERM for pipes and devices, which have none here).
fn fd_inode(fd: i32) -> Result<InodeId, Errno> {
    let file = process::current()
        .ok_or(Errno::ESRCH)?
        .files()
        .lock()
        .get(fd)?;
    file.ops.inode().ok_or(Errno::EPERM)
}

/// chown: who may is Linux's chown_ok/chgrp_ok (`basalt-cred`); a non-directory loses its set-user-id bit (and a
/// group-executable one its set-group-id bit), even for chown(f, -1, -1).
fn chown_inode(ino: InodeId, uid: u32, gid: u32) -> Result<usize, Errno> {
    let new_uid = (uid != basalt_cred::UNCHANGED).then_some(uid);
    let new_gid = (gid != basalt_cred::UNCHANGED).then_some(gid);
    let creds = cred::current();
    let mut fs = root::fs()?.lock();
    let stat = fs.stat(ino)?;
    let is_dir = fs.file_type(ino)? == FileType::Directory;
    let clears_setid = !is_dir && (stat.mode & 0o4000 != 0 || stat.mode & 0o2010 == 0o2010);
    if !creds.may_chown(stat.uid, stat.gid, clears_setid, new_uid, new_gid) {
        return Err(Errno::EPERM);
    }
    // The filesystem clears the set-id bits on any change of owner: name the current one when none is given.
    let attr = basalt_memfs::SetAttr {
        uid: Some(new_uid.unwrap_or(stat.uid)),
        gid: new_gid,
        ..Default::default()
    };
    fs.setattr(ino, &attr, root::now())?;
    Ok(0)
}

pub fn ftruncate(fd: i32, length: i64) -> Result<usize, Errno> {
    if length < 0 {
        return Err(Errno::EINVAL);
    }
    let file = process::current()
        .ok_or(Errno::ESRCH)?
        .files()
        .lock()
        .get(fd)?;
    if !file.writable() {
        return Err(Errno::EINVAL);
    }
    let ino = file.ops.inode().ok_or(Errno::EINVAL)?;
    root::truncate(ino, length as u64)?;
    Ok(0)
}

pub fn truncate(path_ptr: u64, length: i64) -> Result<usize, Errno> {
    if length < 0 {
        return Err(Errno::EINVAL);
    }
    let path = read_path(path_ptr)?;
    let creds = cred::current();
    let ino = lookup_as(&creds, AT_FDCWD, &path, true)?;
    {
        let fs = root::fs()?.lock();
        if fs.file_type(ino)? == FileType::Directory {
            return Err(Errno::EISDIR);
        }
        if !fs.may_access(ino, &root::credentials(&creds), Access::WRITE) {
            return Err(Errno::EACCES);
        }
    }
    root::truncate(ino, length as u64)?;
    Ok(0)
}
