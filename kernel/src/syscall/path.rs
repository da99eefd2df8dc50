//! Path-based file system calls: open, stat, directories, links, renames, permissions, the working and root
//! directories. Paths are walked through the VFS (across mounts, from the caller's root); changes to the tree
//! go to the filesystem holding the last component (`FileSystem::mkdir` and the others, which check
//! permissions in Linux's order); attribute and size changes reach tmpfs inodes by number.
#![forbid(unsafe_code)]

use super::user;
use crate::arch::usercopy;
use crate::fs::root;
use crate::fs::vfs::{self, Change, Component, EntryAt, Held, Loc, Namespace, Parent};
use crate::fs::{
    OpenFile, O_ACCMODE, O_CLOEXEC, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_PATH, O_RDONLY,
    O_TRUNC,
};
use crate::task::{cred, process};
use alloc::sync::Arc;
use alloc::vec::Vec;
use basalt_cred::Cred;
use basalt_linux_abi::Errno;
use basalt_memfs::{Access, FileType, InodeId};

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

/// The calling process's root directory (chroot), or the namespace root.
pub fn caller_root(ns: &Namespace) -> Loc {
    process::current()
        .and_then(|p| p.root_dir())
        .unwrap_or_else(|| ns.mounts.root())
}

/// The calling process's working directory.
pub(super) fn caller_cwd(ns: &Namespace) -> Loc {
    process::current()
        .and_then(|p| p.cwd())
        .unwrap_or_else(|| caller_root(ns))
}

/// Where the file open as `fd` is in the namespace.
fn fd_location(fd: i32) -> Result<Loc, Errno> {
    let file = process::current()
        .ok_or(Errno::ESRCH)?
        .files()
        .lock()
        .get(fd)?;
    file.ops.location().ok_or(Errno::ENOTDIR)
}

/// The directory a relative path starts from.
fn base_dir(ns: &Namespace, dirfd: i32) -> Result<Loc, Errno> {
    if dirfd == AT_FDCWD {
        return Ok(caller_cwd(ns));
    }
    let loc = fd_location(dirfd)?;
    if ns.file_type(loc)? != FileType::Directory {
        return Err(Errno::ENOTDIR);
    }
    Ok(loc)
}

/// Where walking `path` starts: the root for an absolute path (`dirfd` is not looked at, as on Linux).
fn start_of(ns: &Namespace, dirfd: i32, path: &[u8]) -> Result<Loc, Errno> {
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    if path.first() == Some(&b'/') {
        Ok(caller_root(ns))
    } else {
        base_dir(ns, dirfd)
    }
}

/// The caller's root directory (chroot, else the namespace root) and working directory (else its root).
fn caller_root_and_cwd(ns: &Namespace) -> (Loc, Loc) {
    let (root, cwd) = process::current().map_or((None, None), |p| p.root_and_cwd());
    let root = root.unwrap_or_else(|| ns.mounts.root());
    (root, cwd.unwrap_or(root))
}

/// Resolve `path` with the permissions of `creds` (search permission on every directory on the way).
pub fn lookup_as(
    ns: &Namespace,
    creds: &Cred,
    dirfd: i32,
    path: &[u8],
    follow: bool,
) -> Result<Loc, Errno> {
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    // The root and working directory are read once (as start_of and caller_root would, each on its own).
    let (root, cwd) = caller_root_and_cwd(ns);
    let start = if path.first() == Some(&b'/') {
        root
    } else if dirfd == AT_FDCWD {
        cwd
    } else {
        base_dir(ns, dirfd)?
    };
    vfs::walk(ns, root::credentials(creds), root, start, path, follow)
}

pub(super) fn lookup(ns: &Namespace, dirfd: i32, path: &[u8], follow: bool) -> Result<Loc, Errno> {
    lookup_as(ns, &cred::current(), dirfd, path, follow)
}

/// Walk `path` up to its last component.
fn lookup_parent(ns: &Namespace, creds: &Cred, dirfd: i32, path: &[u8]) -> Result<Parent, Errno> {
    let start = start_of(ns, dirfd, path)?;
    vfs::walk_parent(ns, root::credentials(creds), caller_root(ns), start, path)
}

/// The tmpfs inode at `loc`; `EACCES` for files of other filesystems (exec, mmap need tmpfs pages).
pub fn tmpfs_inode(ns: &Namespace, loc: Loc) -> Result<InodeId, Errno> {
    if ns.fs(loc.mnt)?.memfs().is_none() {
        return Err(Errno::EACCES);
    }
    Ok(InodeId::from_number(loc.ino))
}

/// The entry `name` of directory `dir` as the filesystem's tree operations take it; `EROFS` in a read-only mount.
fn entry<'a>(
    ns: &Namespace,
    dir: Loc,
    name: &'a [u8],
    creds: &'a Cred,
) -> Result<EntryAt<'a>, Errno> {
    require_writable(ns, dir)?;
    Ok(EntryAt {
        dir: dir.ino,
        name,
        cred: root::credentials(creds),
    })
}

/// The flags mount(2) gave the mount `loc` is in (`MS_RDONLY`, `MS_NOSUID`, `MS_NODEV`, `MS_NOEXEC`).
fn mount_flags(ns: &Namespace, loc: Loc) -> u64 {
    ns.info(loc.mnt).map_or(0, |i| i.flags)
}

/// `EROFS` if `loc` is in a read-only mount.
fn require_writable(ns: &Namespace, loc: Loc) -> Result<(), Errno> {
    if mount_flags(ns, loc) & basalt_vfs::options::MS_RDONLY != 0 {
        return Err(Errno::EROFS);
    }
    Ok(())
}

/// The last component as a path relative to its directory, with its trailing slash.
fn last_path(parent: &Parent) -> Vec<u8> {
    let mut path = parent.last.as_bytes().to_vec();
    if parent.trailing_slash && parent.last != Component::Root {
        path.push(b'/');
    }
    path
}

/// `EBUSY` if the last component names a mount point (it cannot be removed or renamed, as on Linux).
fn refuse_mount_point(ns: &Namespace, parent: &Parent) -> Result<(), Errno> {
    if let Component::Name(name) = &parent.last {
        if let Ok(ino) = ns.fs(parent.dir.mnt)?.lookup(parent.dir.ino, name) {
            let here = Loc {
                mnt: parent.dir.mnt,
                ino,
            };
            if ns.mounts.covering(here).is_some() {
                return Err(Errno::EBUSY);
            }
        }
    }
    Ok(())
}

/// Resolve `path` for exec (following symlinks) and check that it is an executable regular file.
pub fn lookup_executable(path: &[u8]) -> Result<InodeId, Errno> {
    lookup_executable_at(AT_FDCWD, path, true)
}

/// Resolve `path` relative to `dirfd` for execveat (an empty path means the file `dirfd` itself) and check that
/// it is an executable regular file; ELOOP for a symbolic link when not following.
pub fn lookup_executable_at(dirfd: i32, path: &[u8], follow: bool) -> Result<InodeId, Errno> {
    let ns = vfs::namespace()?;
    let loc = if path.is_empty() {
        let file = process::current()
            .ok_or(Errno::ESRCH)?
            .files()
            .lock()
            .get(dirfd)?;
        file.ops.location().ok_or(Errno::EACCES)?
    } else {
        lookup(&ns, dirfd, path, follow)?
    };
    let stat = ns.getattr(loc)?;
    let kind = stat.file_type().ok_or(Errno::EACCES)?;
    if kind == FileType::Symlink {
        return Err(Errno::ELOOP);
    }
    if kind != FileType::Regular {
        return Err(Errno::EACCES);
    }
    let creds = cred::current();
    let noexec = mount_flags(&ns, loc) & basalt_vfs::options::MS_NOEXEC != 0;
    if noexec || !basalt_memfs::may_access(&stat, &root::credentials(&creds), Access::EXEC) {
        return Err(Errno::EACCES);
    }
    tmpfs_inode(&ns, loc)
}

/// The absolute path (from the caller's root) of what `path` names, following symlinks (for
/// /proc/<pid>/exe). A file has no `..`, so its directory's path is found and its own name added; a final
/// symlink is expanded relative to the directory it is in.
pub fn canonical_path(dirfd: i32, path: &[u8]) -> Result<Vec<u8>, Errno> {
    let ns = vfs::namespace()?;
    let creds = cred::current();
    let root = caller_root(&ns);
    let mut start = start_of(&ns, dirfd, path)?;
    let mut path = path.to_vec();
    for _ in 0..basalt_vfs::MAX_SYMLINKS {
        let parent = vfs::walk_parent(&ns, root::credentials(&creds), root, start, &path)?;
        let Component::Name(name) = &parent.last else {
            let dir = vfs::walk(&ns, root::credentials(&creds), root, start, &path, true)?;
            return vfs::path_of(&ns, dir, root);
        };
        let child = vfs::lookup_child(&ns, parent.dir, name)?;
        match ns.file_type(child)? {
            FileType::Symlink => {
                path = ns.fs(child.mnt)?.readlink(child.ino)?;
                start = parent.dir;
            }
            FileType::Directory => return vfs::path_of(&ns, child, root),
            _ => {
                let mut out = vfs::path_of(&ns, parent.dir, root)?;
                if out != b"/" {
                    out.push(b'/');
                }
                out.extend_from_slice(name);
                return Ok(out);
            }
        }
    }
    Err(Errno::ELOOP)
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

/// `O_LARGEFILE`: the kernel sets it on every open of a 64-bit process (`force_o_largefile`).
const O_LARGEFILE: u32 = 0o100000;

/// The flags an open file keeps (F_GETFL, /proc/<pid>/fdinfo): without the ones that only act during open
/// (`do_dentry_open` drops O_CREAT, O_EXCL, O_NOCTTY and O_TRUNC), with O_LARGEFILE.
fn kept_open_flags(flags: u32) -> u32 {
    const O_NOCTTY: u32 = 0o400;
    (flags & !(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC)) | O_LARGEFILE
}

pub fn openat(dirfd: i32, path_ptr: u64, flags: u32, mode: u32) -> Result<usize, Errno> {
    let path = read_path(path_ptr)?;
    let creds = cred::current();
    let ns = vfs::namespace()?;
    let (loc, created) = if flags & O_CREAT != 0 {
        open_create(&ns, &creds, dirfd, &path, flags, mode)?
    } else {
        (
            lookup_as(&ns, &creds, dirfd, &path, flags & O_NOFOLLOW == 0)?,
            false,
        )
    };
    let stat = ns.getattr(loc)?;
    let ftype = stat.file_type().ok_or(Errno::EIO)?;
    let access = flags & O_ACCMODE;
    if flags & O_DIRECTORY != 0 && ftype != FileType::Directory {
        return Err(Errno::ENOTDIR);
    }
    // Linux's may_open: a file this call created is not checked, nor is an O_PATH descriptor.
    if !created && flags & O_PATH == 0 && ftype != FileType::Symlink {
        if ftype == FileType::Directory && access != O_RDONLY {
            return Err(Errno::EISDIR);
        }
        // Linux's sb_permission: writing a file of a read-only mount is EROFS before any EACCES.
        let writes = open_access(flags).contains(Access::WRITE);
        if writes && matches!(ftype, FileType::Regular | FileType::Directory) {
            require_writable(&ns, loc)?;
        }
        if !basalt_memfs::may_access(&stat, &root::credentials(&creds), open_access(flags)) {
            return Err(Errno::EACCES);
        }
    }
    let fs = ns.fs(loc.mnt)?;
    let ops: Arc<dyn crate::fs::FileOps> = match ftype {
        FileType::Directory => {
            if access != O_RDONLY && flags & O_PATH == 0 {
                return Err(Errno::EISDIR);
            }
            fs.open(loc)?
        }
        FileType::Regular => {
            if flags & O_TRUNC != 0 && access != O_RDONLY && fs.memfs().is_some() {
                root::truncate(InodeId::from_number(loc.ino), 0)?;
            }
            fs.open(loc)?
        }
        FileType::Symlink => return Err(Errno::ELOOP),
        FileType::CharDevice => {
            if mount_flags(&ns, loc) & basalt_vfs::options::MS_NODEV != 0 {
                return Err(Errno::EACCES);
            }
            let dev = basalt_memfs::DeviceNumber::decode(stat.rdev);
            root::device_ops(dev.major, dev.minor, flags)?
        }
        FileType::Fifo => crate::fs::fifo::open(loc, access, flags & crate::fs::O_NONBLOCK != 0)?,
        _ => return Err(Errno::ENXIO),
    };
    let node = (ftype == FileType::CharDevice).then_some(loc);
    let file = OpenFile::with_node(ops, kept_open_flags(flags), node);
    let table = process::current().ok_or(Errno::ESRCH)?.files();
    let fd = table.lock().install(file, flags & O_CLOEXEC != 0)?;
    Ok(fd as usize)
}

/// The lookup-or-create of open(O_CREAT): the existing file (a final symlink followed unless O_EXCL or
/// O_NOFOLLOW), or a new regular file made by the filesystem of the parent directory.
fn open_create(
    ns: &Namespace,
    creds: &Cred,
    dirfd: i32,
    path: &[u8],
    flags: u32,
    mode: u32,
) -> Result<(Loc, bool), Errno> {
    let exclusive = flags & O_EXCL != 0;
    let parent = lookup_parent(ns, creds, dirfd, path)?;
    let Component::Name(name) = &parent.last else {
        // `.`, `..` or `/`: an existing directory, so "exists" wins over "is a directory" for O_EXCL.
        return Err(if exclusive {
            Errno::EEXIST
        } else {
            Errno::EISDIR
        });
    };
    if parent.trailing_slash {
        return Err(Errno::EISDIR);
    }
    match vfs::lookup_child(ns, parent.dir, name) {
        Ok(_) if exclusive => return Err(Errno::EEXIST),
        Ok(found) => match ns.file_type(found)? {
            FileType::Symlink if flags & O_NOFOLLOW != 0 => return Err(Errno::ELOOP),
            FileType::Symlink => match lookup_as(ns, creds, dirfd, path, true) {
                Ok(target) => return Ok((target, false)),
                // A dangling symlink: the filesystem creates its target, as Linux does.
                Err(Errno::ENOENT) => {}
                Err(errno) => return Err(errno),
            },
            FileType::Directory => return Err(Errno::EISDIR),
            _ => return Ok((found, false)),
        },
        Err(Errno::ENOENT) => {}
        Err(errno) => return Err(errno),
    }
    let perm = mode & 0o7777 & !umask();
    let dir = parent.dir;
    let (ino, created) = ns.create(dir.mnt, entry(ns, dir, name, creds)?, perm, exclusive)?;
    Ok((Loc { mnt: dir.mnt, ino }, created))
}

pub fn newfstatat(dirfd: i32, path_ptr: u64, statbuf: u64, flags: u32) -> Result<usize, Errno> {
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | 0x800) != 0 {
        return Err(Errno::EINVAL);
    }
    let path = read_path(path_ptr)?;
    if path.is_empty() && flags & AT_EMPTY_PATH != 0 {
        return super::fs::fstat(dirfd, statbuf);
    }
    let ns = vfs::namespace()?;
    let loc = lookup(&ns, dirfd, &path, flags & AT_SYMLINK_NOFOLLOW == 0)?;
    let stat = ns.getattr(loc)?;
    usercopy::copy_to_user(statbuf, &basalt_memfs::encode_stat(&stat))?;
    Ok(0)
}

pub fn getdents64(fd: i32, buf: u64, count: u64) -> Result<usize, Errno> {
    let file = process::current()
        .ok_or(Errno::ESRCH)?
        .files()
        .lock()
        .get(fd)?;
    let loc = file.ops.location().ok_or(Errno::ENOTDIR)?;
    let ns = vfs::namespace()?;
    // No lock is held while copying to user memory: the copy may fault and shoot down other CPUs' TLBs.
    let start = *file.offset.lock();
    let (bytes, next) = ns
        .fs(loc.mnt)?
        .read_dir(loc.ino, start, count.min(1 << 20) as usize)?;
    usercopy::copy_to_user(buf, &bytes)?;
    *file.offset.lock() = next;
    Ok(bytes.len())
}

pub fn getcwd(buf: u64, size: u64) -> Result<usize, Errno> {
    let ns = vfs::namespace()?;
    let cwd = caller_cwd(&ns);
    let (mut path, reachable) = vfs::path_from(&ns, cwd, caller_root(&ns))?;
    if !reachable {
        // A working directory outside a chroot: Linux (since 2.6.36) marks the path so.
        path.splice(0..0, b"(unreachable)".iter().copied());
    }
    path.push(0);
    if path.len() as u64 > size {
        return Err(Errno::ERANGE);
    }
    usercopy::copy_to_user(buf, &path)?;
    Ok(path.len())
}

pub fn chdir(path_ptr: u64) -> Result<usize, Errno> {
    let path = read_path(path_ptr)?;
    let ns = vfs::namespace()?;
    let loc = lookup(&ns, AT_FDCWD, &path, true)?;
    let dir = searchable_dir(&ns, loc)?;
    process::current().ok_or(Errno::ESRCH)?.set_cwd(dir);
    Ok(0)
}

pub fn fchdir(fd: i32) -> Result<usize, Errno> {
    let ns = vfs::namespace()?;
    let loc = base_dir(&ns, fd)?;
    let dir = searchable_dir(&ns, loc)?;
    process::current().ok_or(Errno::ESRCH)?.set_cwd(dir);
    Ok(0)
}

/// A hold on directory `loc` if the caller may search it (chdir, chroot): `ENOTDIR`, `EACCES`.
fn searchable_dir(ns: &Namespace, loc: Loc) -> Result<Held, Errno> {
    let stat = ns.getattr(loc)?;
    if stat.file_type() != Some(FileType::Directory) {
        return Err(Errno::ENOTDIR);
    }
    let creds = cred::current();
    if !basalt_memfs::may_access(&stat, &root::credentials(&creds), Access::EXEC) {
        return Err(Errno::EACCES);
    }
    Held::new(loc)
}

/// chroot(2): `ENOTDIR`, `EACCES` (search permission), then `EPERM` without privilege, as Linux orders them.
/// The working directory stays where it is (possibly outside the new root).
pub fn chroot(path_ptr: u64) -> Result<usize, Errno> {
    let path = read_path(path_ptr)?;
    let ns = vfs::namespace()?;
    let loc = lookup(&ns, AT_FDCWD, &path, true)?;
    let dir = searchable_dir(&ns, loc)?;
    if cred::current().euid != 0 {
        return Err(Errno::EPERM);
    }
    process::current().ok_or(Errno::ESRCH)?.set_root_dir(dir);
    Ok(0)
}

pub fn mkdirat(dirfd: i32, path_ptr: u64, mode: u32) -> Result<usize, Errno> {
    let path = read_path(path_ptr)?;
    let creds = cred::current();
    let ns = vfs::namespace()?;
    let parent = lookup_parent(&ns, &creds, dirfd, &path)?;
    let last = last_path(&parent);
    let perm = mode & 0o7777 & !umask();
    ns.mkdir(parent.dir.mnt, entry(&ns, parent.dir, &last, &creds)?, perm)?;
    Ok(0)
}

/// mknodat(2) through the VFS: `kind` and `perm` (before the umask) as basalt-memfs takes them; returns the
/// new node's place.
pub fn mknod_node(
    dirfd: i32,
    path: &[u8],
    kind: basalt_memfs::NodeKind,
    perm: u32,
) -> Result<Loc, Errno> {
    let creds = cred::current();
    let ns = vfs::namespace()?;
    let parent = lookup_parent(&ns, &creds, dirfd, path)?;
    let last = last_path(&parent);
    let perm = perm & 0o7777 & !umask();
    let ino = ns.mknod(
        parent.dir.mnt,
        entry(&ns, parent.dir, &last, &creds)?,
        kind,
        perm,
    )?;
    Ok(Loc {
        mnt: parent.dir.mnt,
        ino,
    })
}

/// mknodat(dirfd, path, mode, dev): regular files, fifos, sockets and (privileged) device nodes.
pub fn mknodat(dirfd: i32, path_ptr: u64, mode: u32, dev: u64) -> Result<usize, Errno> {
    let path = read_path(path_ptr)?;
    let kind = basalt_memfs::NodeKind::from_mknod(mode, dev)?;
    mknod_node(dirfd, &path, kind, mode)?;
    Ok(0)
}

pub fn unlinkat(dirfd: i32, path_ptr: u64, flags: u32) -> Result<usize, Errno> {
    if flags & !AT_REMOVEDIR != 0 {
        return Err(Errno::EINVAL);
    }
    let path = read_path(path_ptr)?;
    remove_node(dirfd, &path, flags & AT_REMOVEDIR != 0)?;
    Ok(0)
}

/// unlink (or, with `directory`, rmdir) `path` through the VFS with the caller's permissions.
pub fn remove_node(dirfd: i32, path: &[u8], directory: bool) -> Result<(), Errno> {
    let creds = cred::current();
    let ns = vfs::namespace()?;
    let parent = lookup_parent(&ns, &creds, dirfd, path)?;
    refuse_mount_point(&ns, &parent)?;
    let last = last_path(&parent);
    let at = entry(&ns, parent.dir, &last, &creds)?;
    ns.remove(parent.dir.mnt, at, directory)
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
    let flags = basalt_memfs::RenameFlags::from_linux(flags)?;
    let ns = vfs::namespace()?;
    let from = lookup_parent(&ns, &creds, olddir, &old)?;
    let to = lookup_parent(&ns, &creds, newdir, &new)?;
    // Linux's do_renameat2: one mount for both, then mount points may not move.
    if from.dir.mnt != to.dir.mnt {
        return Err(Errno::EXDEV);
    }
    refuse_mount_point(&ns, &from)?;
    refuse_mount_point(&ns, &to)?;
    let (a, b) = (last_path(&from), last_path(&to));
    ns.rename(
        from.dir.mnt,
        entry(&ns, from.dir, &a, &creds)?,
        entry(&ns, to.dir, &b, &creds)?,
        flags,
    )?;
    Ok(0)
}

pub fn readlinkat(dirfd: i32, path_ptr: u64, buf: u64, size: u64) -> Result<usize, Errno> {
    if (size as i64) <= 0 {
        return Err(Errno::EINVAL);
    }
    let path = read_path(path_ptr)?;
    let ns = vfs::namespace()?;
    let loc = lookup(&ns, dirfd, &path, false)?;
    if ns.file_type(loc)? != FileType::Symlink {
        return Err(Errno::EINVAL);
    }
    let target = ns.fs(loc.mnt)?.readlink(loc.ino)?;
    let n = target.len().min(size as usize);
    usercopy::copy_to_user(buf, &target[..n])?;
    Ok(n)
}

pub fn symlinkat(target_ptr: u64, dirfd: i32, path_ptr: u64) -> Result<usize, Errno> {
    let target = read_path(target_ptr)?;
    let path = read_path(path_ptr)?;
    let creds = cred::current();
    let ns = vfs::namespace()?;
    // An empty or overlong target is refused before the path is looked at.
    if target.is_empty() {
        return Err(Errno::ENOENT);
    }
    let parent = lookup_parent(&ns, &creds, dirfd, &path)?;
    let last = last_path(&parent);
    ns.symlink(
        parent.dir.mnt,
        entry(&ns, parent.dir, &last, &creds)?,
        &target,
    )?;
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
    let ns = vfs::namespace()?;
    let source = lookup_as(&ns, &creds, olddir, &old, flags & AT_SYMLINK_FOLLOW != 0)?;
    let parent = lookup_parent(&ns, &creds, newdir, &new)?;
    if source.mnt != parent.dir.mnt {
        return Err(Errno::EXDEV);
    }
    let last = last_path(&parent);
    ns.link(
        parent.dir.mnt,
        entry(&ns, parent.dir, &last, &creds)?,
        source.ino,
    )?;
    Ok(0)
}

pub fn faccessat(dirfd: i32, path_ptr: u64, mode: u32, flags: u32) -> Result<usize, Errno> {
    if mode & !0o7 != 0 || flags & !(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let path = read_path(path_ptr)?;
    // access() asks about the real ids (AT_EACCESS: the effective ones), for the lookup too.
    let creds = cred::current().for_access_check(flags & AT_EACCESS != 0);
    let ns = vfs::namespace()?;
    let loc = lookup_as(&ns, &creds, dirfd, &path, flags & AT_SYMLINK_NOFOLLOW == 0)?;
    let want = Access::from_bits_truncate(mode as u8);
    if !basalt_memfs::may_access(&ns.getattr(loc)?, &root::credentials(&creds), want) {
        return Err(Errno::EACCES);
    }
    Ok(0)
}

/// The tmpfs inode whose attributes a path names: other filesystems refuse attribute changes.
pub(super) fn attr_inode(ns: &Namespace, loc: Loc) -> Result<InodeId, Errno> {
    require_writable(ns, loc)?;
    let fs = ns.fs(loc.mnt)?;
    if fs.memfs().is_none() {
        return Err(fs.refuse(Change::Attr));
    }
    Ok(InodeId::from_number(loc.ino))
}

pub fn set_umask(mask: u32) -> Result<usize, Errno> {
    let p = process::current().ok_or(Errno::ESRCH)?;
    Ok(p.set_umask(mask & 0o777) as usize)
}

pub fn fchmodat(dirfd: i32, path_ptr: u64, mode: u32) -> Result<usize, Errno> {
    let path = read_path(path_ptr)?;
    let ns = vfs::namespace()?;
    let loc = lookup(&ns, dirfd, &path, true)?;
    let ino = attr_inode(&ns, loc)?;
    let result = chmod_inode(ino, mode);
    attrs_changed(Some(loc));
    result
}

pub fn fchmod(fd: i32, mode: u32) -> Result<usize, Errno> {
    let file = process::current()
        .ok_or(Errno::ESRCH)?
        .files()
        .lock()
        .get(fd)?;
    let ino = file.ops.inode().ok_or(Errno::EPERM)?;
    let result = chmod_inode(ino, mode);
    attrs_changed(file.ops.location());
    result
}

/// The permissions or owner of the inode at `loc` (when the file knows its place) may have changed: the dentry
/// cache forgets what it knew of them.
fn attrs_changed(loc: Option<Loc>) {
    if let (Some(loc), Ok(ns)) = (loc, vfs::namespace()) {
        ns.attrs_changed(loc);
    }
}

/// chmod: only the owner (or a privileged caller) may; the set-group-id bit goes unless the caller is in the
/// file's group or privileged, as Linux's setattr_prepare decides.
fn chmod_inode(ino: InodeId, mode: u32) -> Result<usize, Errno> {
    let creds = cred::current();
    let fs_creds = root::credentials(&creds);
    let fs = root::fs_of(ino)?;
    let mut fs = fs.lock();
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
    let ns = vfs::namespace()?;
    let (ino, loc) = if path.is_empty() && flags & AT_EMPTY_PATH != 0 {
        if dirfd == AT_FDCWD {
            let loc = base_dir(&ns, dirfd)?;
            (attr_inode(&ns, loc)?, Some(loc))
        } else {
            fd_inode(dirfd)?
        }
    } else {
        let loc = lookup(&ns, dirfd, &path, flags & AT_SYMLINK_NOFOLLOW == 0)?;
        (attr_inode(&ns, loc)?, Some(loc))
    };
    let result = chown_inode(ino, uid, gid);
    attrs_changed(loc);
    result
}

pub fn fchown(fd: i32, uid: u32, gid: u32) -> Result<usize, Errno> {
    let (ino, loc) = fd_inode(fd)?;
    let result = chown_inode(ino, uid, gid);
    attrs_changed(loc);
    result
}

/// The filesystem inode behind descriptor `fd` (EPERM for pipes and devices, which have none here), and its
/// place if the file knows it.
fn fd_inode(fd: i32) -> Result<(InodeId, Option<Loc>), Errno> {
    let file = process::current()
        .ok_or(Errno::ESRCH)?
        .files()
        .lock()
        .get(fd)?;
    let ino = file.ops.inode().ok_or(Errno::EPERM)?;
    Ok((ino, file.ops.location()))
}

/// chown: who may is Linux's chown_ok/chgrp_ok (`basalt-cred`); a non-directory loses its set-user-id bit (and a
/// group-executable one its set-group-id bit), even for chown(f, -1, -1).
fn chown_inode(ino: InodeId, uid: u32, gid: u32) -> Result<usize, Errno> {
    let new_uid = (uid != basalt_cred::UNCHANGED).then_some(uid);
    let new_gid = (gid != basalt_cred::UNCHANGED).then_some(gid);
    let creds = cred::current();
    let fs = root::fs_of(ino)?;
    let mut fs = fs.lock();
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
    let ns = vfs::namespace()?;
    let loc = lookup_as(&ns, &creds, AT_FDCWD, &path, true)?;
    let stat = ns.getattr(loc)?;
    if stat.file_type() == Some(FileType::Directory) {
        return Err(Errno::EISDIR);
    }
    if !basalt_memfs::may_access(&stat, &root::credentials(&creds), Access::WRITE) {
        return Err(Errno::EACCES);
    }
    let ino = attr_inode(&ns, loc)?;
    root::truncate(ino, length as u64)?;
    Ok(0)
}
