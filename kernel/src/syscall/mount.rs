//! mount(2), umount2(2), statfs(2) and fstatfs(2): the mount table's system calls, in Linux's order of checks
//! (strings copied, the target looked up, then privilege, then the kind of mount).
#![forbid(unsafe_code)]

use super::path::{lookup_as, AT_FDCWD};
use super::user;
use crate::arch::usercopy;
use crate::fs::vfs::{self, FileSystem, MountInfo, StatFs};
use crate::fs::{devices, devpts, procfs, sysfs, tmpfs};
use crate::task::cred;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use basalt_linux_abi::Errno;
use basalt_memfs::{Config, FileType};
use basalt_vfs::encode::{ST_NODEV, ST_NOEXEC, ST_NOSUID, TMPFS_MAGIC};
use basalt_vfs::options::{
    self, MS_BIND, MS_MOVE, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_NOUSER, MS_RDONLY, MS_REC,
    MS_REMOUNT,
};
use basalt_vfs::UmountFlags;
use core::sync::atomic::{AtomicU32, Ordering};

/// The filesystem types mount(2) knows (`/proc/filesystems`): (name, needs no device).
pub const FILESYSTEMS: [(&str, bool); 5] = [
    ("sysfs", true),
    ("tmpfs", true),
    ("proc", true),
    ("devtmpfs", true),
    ("devpts", true),
];

/// `MS_PRIVATE`: every mount here is private already (there is no propagation).
const MS_PRIVATE: u64 = 1 << 18;
/// `MS_SILENT`: only quiets the kernel log.
const MS_SILENT: u64 = 1 << 15;
/// Per-mount flags kept and shown.
const MOUNT_FLAGS: u64 = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
/// `ST_RDONLY`.
const ST_RDONLY: u64 = 1;
/// `PIPEFS_MAGIC`.
const PIPEFS_MAGIC: u64 = 0x5049_5045;

static NEXT_INSTANCE: AtomicU32 = AtomicU32::new(0);

/// A mount's options as `/proc/mounts` shows them: `rw`/`ro`, the flags, `relatime`, the filesystem's own.
pub fn options_text(flags: u64, fs: &dyn FileSystem) -> String {
    let mut out = String::from(if flags & MS_RDONLY != 0 { "ro" } else { "rw" });
    for (flag, name) in [
        (MS_NOSUID, ",nosuid"),
        (MS_NODEV, ",nodev"),
        (MS_NOEXEC, ",noexec"),
    ] {
        if flags & flag != 0 {
            out.push_str(name);
        }
    }
    out.push_str(",relatime");
    out.push_str(&fs.options());
    out
}

/// A string argument that may be NULL.
fn optional_string(ptr: u64, max: usize) -> Result<Option<Vec<u8>>, Errno> {
    if ptr == 0 {
        return Ok(None);
    }
    user::read_cstring(ptr, max, Errno::ENAMETOOLONG).map(Some)
}

fn is_privileged() -> bool {
    cred::current().euid == 0
}

/// A new filesystem of type `fstype` with mount data `data`: `ENODEV` for an unknown type, `EINVAL` for bad
/// options.
fn new_filesystem(fstype: &[u8], data: &[u8]) -> Result<Arc<dyn FileSystem>, Errno> {
    let instance = NEXT_INSTANCE.fetch_add(1, Ordering::Relaxed);
    Ok(match fstype {
        b"tmpfs" => {
            let total = crate::mm::frames::total_frames() * 4096;
            let o = options::parse_tmpfs(data, total)?;
            let config = Config {
                max_data_bytes: o.size.unwrap_or_else(crate::fs::root::default_tmpfs_size),
                max_inodes: o.inodes.unwrap_or(Config::default().max_inodes),
                root_perm: o.mode.unwrap_or(0o1777),
                root_uid: o.uid.unwrap_or(0),
                root_gid: o.gid.unwrap_or(0),
                ..Config::default()
            };
            tmpfs::create("tmpfs", config)?
        }
        b"devtmpfs" => devices::devtmpfs()?,
        b"devpts" => devpts::create()?,
        b"proc" => procfs::create(instance),
        b"sysfs" => sysfs::create(instance),
        _ => return Err(Errno::ENODEV),
    })
}

/// mount(source, target, fstype, flags, data).
pub fn mount(
    source_ptr: u64,
    target_ptr: u64,
    type_ptr: u64,
    flags: u64,
    data_ptr: u64,
) -> Result<usize, Errno> {
    let fstype = optional_string(type_ptr, 4095)?;
    let source = optional_string(source_ptr, 4095)?;
    let data = optional_string(data_ptr, 4095)?.unwrap_or_default();
    let target = user::read_cstring(target_ptr, user::PATH_MAX - 1, Errno::ENAMETOOLONG)?;
    let creds = cred::current();
    let ns = vfs::namespace()?;
    let at = lookup_as(&ns, &creds, AT_FDCWD, &target, true)?;
    let flags = options::strip_magic(flags) & !MS_SILENT;
    if flags & MS_NOUSER != 0 {
        return Err(Errno::EINVAL);
    }
    if !is_privileged() {
        return Err(Errno::EPERM);
    }
    if flags & MS_REMOUNT != 0 {
        if !ns.mounts.is_mount_root(at) {
            return Err(Errno::EINVAL);
        }
        return vfs::change(|ns| {
            let mut info = ns.info(at.mnt).cloned().unwrap_or(MountInfo {
                source: b"none".to_vec(),
                flags: 0,
            });
            info.flags = flags & MOUNT_FLAGS;
            ns.set_info(at.mnt, info);
            Ok(0)
        });
    }
    if flags & MS_BIND != 0 {
        let source = source.ok_or(Errno::EINVAL)?;
        if source.is_empty() {
            return Err(Errno::EINVAL);
        }
        let from = lookup_as(&ns, &creds, AT_FDCWD, &source, true)?;
        let from_dir = ns.file_type(from)? == FileType::Directory;
        if from_dir != (ns.file_type(at)? == FileType::Directory) {
            return Err(Errno::ENOTDIR);
        }
        let shown = ns
            .info(from.mnt)
            .map_or(b"none".to_vec(), |i| i.source.clone());
        return vfs::change(|ns| {
            let snapshot = ns.clone();
            let is_below =
                |fs: basalt_vfs::FsId, ino: u64, ancestor: u64| below(&snapshot, fs, ino, ancestor);
            let id = ns.mounts.bind(at, from, flags & MS_REC != 0, &is_below)?;
            ns.set_info(
                id,
                MountInfo {
                    source: shown,
                    flags: flags & MOUNT_FLAGS,
                },
            );
            Ok(0)
        });
    }
    if flags & MS_MOVE != 0 {
        let source = source.ok_or(Errno::EINVAL)?;
        if source.is_empty() {
            return Err(Errno::EINVAL);
        }
        let from = lookup_as(&ns, &creds, AT_FDCWD, &source, true)?;
        if !ns.mounts.is_mount_root(from) {
            return Err(Errno::EINVAL);
        }
        let from_dir = ns.file_type(from)? == FileType::Directory;
        if from_dir != (ns.file_type(at)? == FileType::Directory) {
            return Err(Errno::ENOTDIR);
        }
        return vfs::change(|ns| ns.mounts.move_mount(from.mnt, at).map(|()| 0));
    }
    if flags & !(MOUNT_FLAGS | MS_REC) == MS_PRIVATE {
        // Propagation types: mounts here never propagate, so every mount is private already.
        if !ns.mounts.is_mount_root(at) {
            return Err(Errno::EINVAL);
        }
        return Ok(0);
    }
    let fstype = fstype.ok_or(Errno::EINVAL)?;
    let fs = new_filesystem(&fstype, &data)?;
    if ns.file_type(at)? != FileType::Directory {
        return Err(Errno::ENOTDIR);
    }
    let root = fs.root();
    vfs::change(|ns| {
        let id = ns.add_fs(fs)?;
        let mnt = ns.mounts.mount(at, id, root)?;
        ns.set_info(
            mnt,
            MountInfo {
                source: source.unwrap_or_else(|| b"none".to_vec()),
                flags: flags & MOUNT_FLAGS,
            },
        );
        Ok(0)
    })
}

/// Whether directory-tree inode `ino` of filesystem `fs` is `ancestor` or below it (for recursive binds).
fn below(ns: &vfs::Namespace, fs: basalt_vfs::FsId, ino: u64, ancestor: u64) -> bool {
    let Some(filesystem) = ns
        .mounts
        .attached()
        .into_iter()
        .find(|&m| ns.mounts.get(m).is_some_and(|mount| mount.fs == fs))
        .and_then(|m| ns.fs(m).ok())
    else {
        return false;
    };
    let mut cur = ino;
    for _ in 0..4096 {
        if cur == ancestor {
            return true;
        }
        match filesystem.parent(cur) {
            Ok(parent) if parent != cur => cur = parent,
            _ => return false,
        }
    }
    false
}

/// umount2(target, flags).
pub fn umount2(target_ptr: u64, flags: u32) -> Result<usize, Errno> {
    let flags = UmountFlags::from_linux(flags)?;
    let target = user::read_cstring(target_ptr, user::PATH_MAX - 1, Errno::ENAMETOOLONG)?;
    let creds = cred::current();
    let ns = vfs::namespace()?;
    let at = lookup_as(&ns, &creds, AT_FDCWD, &target, !flags.nofollow)?;
    if !is_privileged() {
        return Err(Errno::EPERM);
    }
    if !ns.mounts.is_mount_root(at) {
        return Err(Errno::EINVAL);
    }
    vfs::change(|ns| {
        let gone = ns.mounts.umount(at.mnt, flags, &vfs::mount_in_use)?;
        for mnt in gone {
            if !vfs::mount_in_use(mnt) {
                ns.forget(mnt);
            }
        }
        Ok(0)
    })
}

/// What statfs reports for the filesystem of mount `mnt`, with the mount's flags.
fn statfs_of(ns: &vfs::Namespace, mnt: vfs::MountId) -> Result<StatFs, Errno> {
    let fs = ns.fs(mnt)?;
    let mut st = fs.statfs();
    let flags = ns.info(mnt).map_or(0, |i| i.flags);
    for (flag, st_flag) in [
        (MS_RDONLY, ST_RDONLY),
        (MS_NOSUID, ST_NOSUID),
        (MS_NODEV, ST_NODEV),
        (MS_NOEXEC, ST_NOEXEC),
    ] {
        if flags & flag != 0 {
            st.flags |= st_flag;
        }
    }
    let dev = fs.getattr(fs.root()).map_or(0, |s| s.dev);
    st.fsid = [dev as u32, (dev >> 32) as u32];
    Ok(st)
}

/// statfs(path, buf).
pub fn statfs(path_ptr: u64, buf: u64) -> Result<usize, Errno> {
    let path = user::read_cstring(path_ptr, user::PATH_MAX - 1, Errno::ENAMETOOLONG)?;
    let ns = vfs::namespace()?;
    let at = lookup_as(&ns, &cred::current(), AT_FDCWD, &path, true)?;
    let st = statfs_of(&ns, at.mnt)?;
    usercopy::copy_to_user(buf, &st.encode())?;
    Ok(0)
}

/// fstatfs(fd, buf): the filesystem of an open file; pipes are on pipefs and devices without a place on
/// devtmpfs, as Linux reports them.
pub fn fstatfs(fd: i32, buf: u64) -> Result<usize, Errno> {
    let file = crate::task::process::current()
        .ok_or(Errno::ESRCH)?
        .files()
        .lock()
        .get(fd)?;
    let ns = vfs::namespace()?;
    let st = match file.ops.location() {
        Some(loc) => statfs_of(&ns, loc.mnt)?,
        None => {
            let mode = file.ops.stat().mode & 0o170_000;
            let magic = if mode == crate::fs::S_IFIFO {
                PIPEFS_MAGIC
            } else {
                TMPFS_MAGIC
            };
            let mut st = devices::devtmpfs()?.statfs();
            st.magic = magic;
            st
        }
    };
    usercopy::copy_to_user(buf, &st.encode())?;
    Ok(0)
}
