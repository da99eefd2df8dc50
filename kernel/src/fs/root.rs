//! The root filesystem: a tmpfs filled from the initramfs at boot (with the basic device nodes in /dev), and the
//! helpers that reach tmpfs files by inode number (exec, shared mappings, truncation).
#![forbid(unsafe_code)]

use super::tmpfs::{self, Tmpfs};
use super::{vfs, FileOps, Stat};
use crate::mm::shared_pages;
use alloc::sync::Arc;
use alloc::vec::Vec;
use basalt_linux_abi::Errno;
use basalt_memfs::{Config, Credentials, InodeId, NodeKind, Timestamp};

/// The tmpfs instance inode `ino` belongs to (the root filesystem or a mounted tmpfs).
pub fn fs_of(ino: InodeId) -> Result<Arc<Tmpfs>, Errno> {
    tmpfs::of(ino)
}

/// The current wall-clock time, as the filesystem stamps it.
pub fn now() -> Timestamp {
    let ns = crate::time::realtime_ns();
    Timestamp {
        secs: (ns / 1_000_000_000) as i64,
        nanos: (ns % 1_000_000_000) as u32,
    }
}

/// The kernel's own identity (building /dev, loading interpreters).
pub const ROOT_CREDENTIALS: Credentials<'static> = Credentials {
    uid: 0,
    gid: 0,
    groups: &[],
};

/// A process's filesystem identity as the filesystem checks it: fsuid, fsgid and supplementary groups.
pub fn credentials(cred: &basalt_cred::Cred) -> Credentials<'_> {
    Credentials {
        uid: cred.fsuid,
        gid: cred.fsgid,
        groups: &cred.groups,
    }
}

/// Half of free memory: the default size of a tmpfs, as Linux's.
pub fn default_tmpfs_size() -> u64 {
    crate::mm::frames::free_frames() * 4096 / 2
}

/// Build the root from the unpacked initramfs image (newc cpio): the root tmpfs (instance 0), the device
/// registry and devtmpfs, and the namespace with the root mounted.
pub fn init(image: &[u8]) -> Result<(), Errno> {
    let config = Config {
        max_data_bytes: default_tmpfs_size(),
        ..Config::default()
    };
    let root_fs = tmpfs::create("rootfs", config)?;
    super::devices::init()?;
    {
        let mut fs = root_fs.lock();
        match basalt_memfs::populate_from_cpio(
            &mut fs,
            basalt_initrd::CpioReader::new(image),
            now(),
        ) {
            Ok(report) => {
                if !report.skipped.is_empty() {
                    log::warn!(
                        "initramfs: {} entries could not be unpacked",
                        report.skipped.len()
                    );
                }
            }
            Err(e) => log::error!("initramfs: unpacking stopped: {e}"),
        }
        // The initramfs's /dev gets the basic nodes it lacks (as Linux's built-in initramfs has /dev/console);
        // init may mount devtmpfs over it.
        let root = fs.root();
        let dev = match fs.lookup(root, b"dev") {
            Ok(d) => d,
            Err(_) => fs.mkdir(root, b"dev", 0o755, &ROOT_CREDENTIALS, now())?,
        };
        for (name, number, mode) in super::devices::built_in_nodes() {
            if fs.lookup(dev, name.as_bytes()).is_err() {
                let kind = NodeKind::CharDevice(number);
                fs.create(dev, name.as_bytes(), kind, mode, &ROOT_CREDENTIALS, now())?;
            }
        }
    }
    vfs::init(root_fs);
    Ok(())
}

/// The kernel's stat of a memfs-shaped stat (tmpfs, procfs, sysfs all describe their inodes that way).
pub(crate) fn to_stat(s: &basalt_memfs::Stat) -> Stat {
    Stat {
        dev: s.dev,
        ino: s.ino,
        mode: s.mode,
        nlink: s.nlink,
        uid: s.uid,
        gid: s.gid,
        rdev: s.rdev,
        size: s.size as i64,
        blksize: s.blksize as i64,
        blocks: s.blocks as i64,
    }
}

/// The full `struct stat` bytes of a tmpfs inode.
pub fn stat_bytes(ino: InodeId) -> Result<[u8; 144], Errno> {
    let s = fs_of(ino)?.lock().stat(ino)?;
    Ok(basalt_memfs::encode_stat(&s))
}

/// Character devices by number: the file operations behind a device node. Terminals come first (their open
/// depends on the open flags: O_NOCTTY, the controlling terminal), then the registry.
pub fn device_ops(major: u32, minor: u32, flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
    if let Some(tty) = crate::tty::open_device(major, minor, flags) {
        return tty;
    }
    super::devices::open_char_device(major, minor)
}

/// Resolve an absolute path from the namespace root with the kernel's identity, following symbolic links (for
/// init and the ELF interpreter): a file of a tmpfs.
pub fn resolve_absolute(path: &[u8]) -> Result<InodeId, Errno> {
    let ns = vfs::namespace()?;
    let root = ns.mounts.root();
    let loc = vfs::walk(&ns, ROOT_CREDENTIALS, root, root, path, true)?;
    let ino = InodeId::from_number(loc.ino);
    // Only tmpfs files can be executed (procfs and sysfs inode numbers are not tmpfs inodes).
    if ns.fs(loc.mnt)?.memfs().is_none() {
        return Err(Errno::EACCES);
    }
    Ok(ino)
}

/// Read a whole regular file. Bounded by free memory; allocation failure is ENOMEM.
pub fn read_whole(ino: InodeId) -> Result<Vec<u8>, Errno> {
    read_head(ino, usize::MAX).map(|(data, _)| data)
}

/// Read the first `max` bytes of a regular file (for exec); also returns the file's length.
pub fn read_head(ino: InodeId, max: usize) -> Result<(Vec<u8>, u64), Errno> {
    let size = fs_of(ino)?.lock().stat(ino)?.size;
    let wanted = usize::try_from(size).unwrap_or(usize::MAX).min(max);
    let mut data = Vec::new();
    data.try_reserve_exact(wanted).map_err(|_| Errno::ENOMEM)?;
    data.resize(wanted, 0);
    // Through the mapped pages: a program mapped MAP_SHARED and written there is executed as it now reads.
    let n = shared_pages::read_file(ino, 0, &mut data)?;
    data.truncate(n);
    Ok((data, size))
}

/// The caller's RLIMIT_FSIZE (the kernel itself has none).
pub(super) fn file_size_limit() -> u64 {
    crate::task::process::current()
        .map(|p| p.rlimits.lock().soft(basalt_rlimit::Resource::FSIZE))
        .unwrap_or(basalt_rlimit::RLIM_INFINITY)
}

/// A file would pass RLIMIT_FSIZE: SIGXFSZ to the caller (as Linux's `send_sig`), and EFBIG.
pub(super) fn file_too_big() -> Errno {
    if let Some(me) = crate::task::process::current() {
        let info = basalt_signal::SigInfo::kill(basalt_signal::SIGXFSZ, me.pid as i32, 0);
        let _ = crate::task::signal::send_to_process(&me, info);
    }
    Errno::EFBIG
}

/// Set the size of regular file `ino` (truncate, ftruncate, O_TRUNC): growing past RLIMIT_FSIZE is EFBIG (with
/// SIGXFSZ); mapped pages follow the new size.
pub fn truncate(ino: InodeId, size: u64) -> Result<(), Errno> {
    let fs = fs_of(ino)?;
    let old = fs.lock().stat(ino)?.size;
    super::memfd::check_resize(ino, old, size)?;
    basalt_rlimit::check_new_size(old, size, file_size_limit()).map_err(|_| file_too_big())?;
    fs.lock().truncate(ino, size, now())?;
    shared_pages::file_resized(ino, old, size);
    Ok(())
}
