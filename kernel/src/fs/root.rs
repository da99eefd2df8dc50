//! The root filesystem: an in-memory filesystem (basalt-memfs) filled from the initramfs at boot, with the device
//! nodes of /dev; and the open-file kinds for its regular files, directories and character devices.
#![forbid(unsafe_code)]

use super::{FileOps, Stat};
use crate::mm::shared_pages;
use alloc::sync::Arc;
use alloc::vec::Vec;
use basalt_linux_abi::Errno;
use basalt_memfs::{
    Config, Credentials, DeviceNumber, InodeId, MemFs, NodeKind, Timestamp, Walker,
};
use spin::{Mutex, Once};

static ROOT: Once<Mutex<MemFs>> = Once::new();

/// The filesystem, once initialised.
pub fn fs() -> Result<&'static Mutex<MemFs>, Errno> {
    ROOT.get().ok_or(Errno::ENOENT)
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

/// The walker for path lookups on behalf of a process with credentials `cred`.
pub fn walker(cred: &basalt_cred::Cred) -> Result<Walker<'_>, Errno> {
    Ok(Walker {
        root: fs()?.lock().root(),
        cred: credentials(cred),
    })
}

/// The device nodes every system has, created when the initramfs lacks them: (name, major, minor, mode).
const DEVICES: [(&[u8], u32, u32, u32); 9] = [
    (b"null", 1, 3, 0o666),
    (b"zero", 1, 5, 0o666),
    (b"full", 1, 7, 0o666),
    (b"random", 1, 8, 0o666),
    (b"urandom", 1, 9, 0o666),
    (b"tty", 5, 0, 0o666),
    (b"console", 5, 1, 0o600),
    // Terminals (crate::tty): the serial port and the pty multiplexer; pty slaves appear under /dev/pts.
    (b"ttyS0", 4, 64, 0o620),
    (b"ptmx", 5, 2, 0o666),
];

/// Build the root from the unpacked initramfs image (newc cpio).
pub fn init(image: &[u8]) -> Result<(), Errno> {
    let budget = crate::mm::frames::free_frames() * 4096 / 2;
    let config = Config {
        max_data_bytes: budget,
        ..Config::default()
    };
    let mut fs = MemFs::new(&config, now());
    match basalt_memfs::populate_from_cpio(&mut fs, basalt_initrd::CpioReader::new(image), now()) {
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
    let root = fs.root();
    let dev = match fs.lookup(root, b"dev") {
        Ok(d) => d,
        Err(_) => fs.mkdir(root, b"dev", 0o755, &ROOT_CREDENTIALS, now())?,
    };
    if fs.lookup(dev, b"pts").is_err() {
        fs.mkdir(dev, b"pts", 0o755, &ROOT_CREDENTIALS, now())?;
    }
    for (name, major, minor, mode) in DEVICES {
        if fs.lookup(dev, name).is_err() {
            let kind = NodeKind::CharDevice(DeviceNumber::new(major, minor));
            fs.create(dev, name, kind, mode, &ROOT_CREDENTIALS, now())?;
        }
    }
    ROOT.call_once(|| Mutex::new(fs));
    Ok(())
}

fn to_stat(s: &basalt_memfs::Stat) -> Stat {
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

/// The full `struct stat` bytes of an inode.
pub fn stat_bytes(ino: InodeId) -> Result<[u8; 144], Errno> {
    let s = fs()?.lock().stat(ino)?;
    Ok(basalt_memfs::encode_stat(&s))
}

/// A regular file or directory of the root filesystem, open.
pub struct Node {
    pub ino: InodeId,
}

impl Node {
    /// Open `ino`: keeps it alive (even if unlinked) until the last descriptor closes.
    pub fn open(ino: InodeId) -> Result<Arc<Node>, Errno> {
        fs()?.lock().hold(ino)?;
        Ok(Arc::new(Node { ino }))
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Ok(fs) = fs() {
            let _ = fs.lock().release(self.ino);
        }
    }
}

impl FileOps for Node {
    fn read(&self, buf: &mut [u8], offset: u64, _nonblock: bool) -> Result<usize, Errno> {
        shared_pages::read_file(self.ino, offset, buf)
    }

    fn write(&self, buf: &[u8], offset: u64, _nonblock: bool) -> Result<usize, Errno> {
        let written = fs()?.lock().write_at(self.ino, offset, buf, now())?;
        shared_pages::file_written(self.ino, offset, &buf[..written]);
        Ok(written)
    }

    fn write_allowance(&self, offset: u64, count: usize) -> Result<usize, Errno> {
        basalt_rlimit::write_allowance(offset, count, file_size_limit()).map_err(|_| file_too_big())
    }

    fn stat(&self) -> Stat {
        fs().and_then(|f| f.lock().stat(self.ino))
            .map(|s| to_stat(&s))
            .unwrap_or_default()
    }

    fn seekable(&self) -> bool {
        true
    }

    fn size(&self) -> u64 {
        self.stat().size as u64
    }

    fn inode(&self) -> Option<InodeId> {
        Some(self.ino)
    }
}

/// Character devices by number: the file operations behind a device node opened with `flags`.
pub fn device_ops(major: u32, minor: u32, flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
    if let Some(tty) = crate::tty::open_device(major, minor, flags) {
        return tty;
    }
    match (major, minor) {
        (1, 3) => Ok(Arc::new(MemDevice::Null)),
        (1, 5) => Ok(Arc::new(MemDevice::Zero)),
        (1, 7) => Ok(Arc::new(MemDevice::Full)),
        (1, 8) | (1, 9) => Ok(Arc::new(MemDevice::Random)),
        _ => Err(Errno::ENXIO),
    }
}

/// /dev/null, /dev/zero, /dev/full, /dev/random and /dev/urandom.
pub enum MemDevice {
    Null,
    Zero,
    Full,
    Random,
}

impl FileOps for MemDevice {
    fn read(&self, buf: &mut [u8], _offset: u64, _nonblock: bool) -> Result<usize, Errno> {
        match self {
            MemDevice::Null => Ok(0),
            MemDevice::Zero | MemDevice::Full => {
                buf.fill(0);
                Ok(buf.len())
            }
            MemDevice::Random => {
                for chunk in buf.chunks_mut(16) {
                    let r = crate::arch::cpu::random_bytes();
                    chunk.copy_from_slice(&r[..chunk.len()]);
                }
                Ok(buf.len())
            }
        }
    }

    fn write(&self, buf: &[u8], _offset: u64, _nonblock: bool) -> Result<usize, Errno> {
        match self {
            MemDevice::Full => Err(Errno::ENOSPC),
            _ => Ok(buf.len()),
        }
    }

    fn maps_as_anonymous(&self) -> bool {
        matches!(self, MemDevice::Zero)
    }

    fn stat(&self) -> Stat {
        let (minor, mode) = match self {
            MemDevice::Null => (3, 0o666),
            MemDevice::Zero => (5, 0o666),
            MemDevice::Full => (7, 0o666),
            MemDevice::Random => (9, 0o666),
        };
        Stat {
            dev: 6,
            mode: super::S_IFCHR | mode,
            nlink: 1,
            rdev: (1 << 8) | minor,
            blksize: 4096,
            ..Stat::default()
        }
    }

    fn seekable(&self) -> bool {
        true
    }
}

/// Resolve an absolute path from the root, following symbolic links (for the ELF interpreter).
pub fn resolve_absolute(path: &[u8]) -> Result<InodeId, Errno> {
    let fs = fs()?;
    let fs = fs.lock();
    let root = fs.root();
    fs.resolve(root, root, path, true)
}

/// Read a whole regular file. Bounded by free memory; allocation failure is ENOMEM.
pub fn read_whole(ino: InodeId) -> Result<Vec<u8>, Errno> {
    read_head(ino, usize::MAX).map(|(data, _)| data)
}

/// Read the first `max` bytes of a regular file (for exec); also returns the file's length.
pub fn read_head(ino: InodeId, max: usize) -> Result<(Vec<u8>, u64), Errno> {
    let fs = fs()?;
    let size = fs.lock().stat(ino)?.size;
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
fn file_size_limit() -> u64 {
    crate::task::process::current()
        .map(|p| p.rlimits.lock().soft(basalt_rlimit::Resource::FSIZE))
        .unwrap_or(basalt_rlimit::RLIM_INFINITY)
}

/// A file would pass RLIMIT_FSIZE: SIGXFSZ to the caller (as Linux's `send_sig`), and EFBIG.
fn file_too_big() -> Errno {
    if let Some(me) = crate::task::process::current() {
        let info = basalt_signal::SigInfo::kill(basalt_signal::SIGXFSZ, me.pid as i32, 0);
        let _ = crate::task::signal::send_to_process(&me, info);
    }
    Errno::EFBIG
}

/// Set the size of regular file `ino` (truncate, ftruncate, O_TRUNC): growing past RLIMIT_FSIZE is EFBIG (with
/// SIGXFSZ); mapped pages follow the new size.
pub fn truncate(ino: InodeId, size: u64) -> Result<(), Errno> {
    let fs = fs()?;
    let old = fs.lock().stat(ino)?.size;
    basalt_rlimit::check_new_size(old, size, file_size_limit()).map_err(|_| file_too_big())?;
    fs.lock().truncate(ino, size, now())?;
    shared_pages::file_resized(ino, old, size);
    Ok(())
}
