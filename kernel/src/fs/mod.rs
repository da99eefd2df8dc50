//! Open files as processes see them: file descriptors, open-file state, and the kinds of file that exist so far
//! (pipes; terminals are in `crate::tty`). Regular files and directories come with the in-memory root filesystem.
#![forbid(unsafe_code)]

pub mod anon;
pub mod dcache;
pub mod devices;
pub mod devpts;
pub mod epoll;
pub mod eventfd;
pub mod fdtable;
pub mod fifo;
pub mod flock;
pub mod memfd;
pub mod pipe;
pub mod procfs;
pub mod ready;
pub mod reclock;
pub mod root;
pub mod signalfd;
pub mod sysfs;
pub mod timerfd;
pub mod tmpfs;
pub mod tree_change;
pub mod vfs;

use crate::task::wait::WaitQueue;
use alloc::sync::Arc;
use basalt_linux_abi::Errno;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use spin::Mutex;

pub const O_ACCMODE: u32 = 0o3;
pub const O_RDONLY: u32 = 0;
pub const O_WRONLY: u32 = 1;
pub const O_RDWR: u32 = 2;
pub const O_APPEND: u32 = 0o2000;
pub const O_NONBLOCK: u32 = 0o4000;
pub const O_CLOEXEC: u32 = 0o2000000;
pub const O_CREAT: u32 = 0o100;
pub const O_EXCL: u32 = 0o200;
pub const O_TRUNC: u32 = 0o1000;
pub const O_DIRECTORY: u32 = 0o200000;
pub const O_NOFOLLOW: u32 = 0o400000;
pub const O_PATH: u32 = 0o10000000;

/// Readiness bits, as poll(2) and epoll(7) report them (the EPOLL* values are the same numbers).
pub const POLLIN: u16 = 0x001;
pub const POLLPRI: u16 = 0x002;
pub const POLLOUT: u16 = 0x004;
pub const POLLERR: u16 = 0x008;
pub const POLLHUP: u16 = 0x010;
pub const POLLNVAL: u16 = 0x020;
pub const POLLRDNORM: u16 = 0x040;
pub const POLLRDBAND: u16 = 0x080;
pub const POLLWRNORM: u16 = 0x100;
pub const POLLWRBAND: u16 = 0x200;
/// The peer shut down its writing side (stream sockets and ttys report it; pipes do not).
#[allow(dead_code)]
pub const POLLRDHUP: u16 = 0x2000;

/// File type bits of `st_mode`.
pub const S_IFIFO: u32 = 0o010000;
pub const S_IFCHR: u32 = 0o020000;

/// What `fstat` reports about a file (the fields a kind of file knows; the rest are zero).
#[derive(Clone, Copy, Debug, Default)]
pub struct Stat {
    pub dev: u64,
    pub ino: u64,
    pub mode: u32,
    pub nlink: u64,
    pub uid: u32,
    pub gid: u32,
    pub rdev: u64,
    pub size: i64,
    pub blksize: i64,
    pub blocks: i64,
}

impl Stat {
    /// Linux x86_64 `struct stat` (144 bytes).
    pub fn to_bytes(self) -> [u8; 144] {
        let mut b = [0u8; 144];
        b[0..8].copy_from_slice(&self.dev.to_le_bytes());
        b[8..16].copy_from_slice(&self.ino.to_le_bytes());
        b[16..24].copy_from_slice(&self.nlink.to_le_bytes());
        b[24..28].copy_from_slice(&self.mode.to_le_bytes());
        b[28..32].copy_from_slice(&self.uid.to_le_bytes());
        b[32..36].copy_from_slice(&self.gid.to_le_bytes());
        b[40..48].copy_from_slice(&self.rdev.to_le_bytes());
        b[48..56].copy_from_slice(&self.size.to_le_bytes());
        b[56..64].copy_from_slice(&self.blksize.to_le_bytes());
        b[64..72].copy_from_slice(&self.blocks.to_le_bytes());
        b
    }
}

/// Operations of one kind of file. Buffers are kernel memory; the syscall layer copies to and from user space.
pub trait FileOps: Send + Sync {
    /// Read at `offset` (ignored by streams). `nonblock`: EAGAIN instead of sleeping.
    fn read(&self, buf: &mut [u8], offset: u64, nonblock: bool) -> Result<usize, Errno>;
    /// Write at `offset` (ignored by streams).
    fn write(&self, buf: &[u8], offset: u64, nonblock: bool) -> Result<usize, Errno>;
    /// An O_APPEND write: `buf` at the end of the file, found and written as one step so that concurrent
    /// appenders never overwrite each other; returns (bytes written, the offset after them). Files without an end
    /// (pipes, devices) just write.
    fn append(&self, buf: &[u8], nonblock: bool) -> Result<(usize, u64), Errno> {
        let written = self.write(buf, self.size(), nonblock)?;
        Ok((written, self.size()))
    }
    /// How many of `count` bytes one write call starting at `offset` may store (regular files: RLIMIT_FSIZE).
    fn write_allowance(&self, _offset: u64, count: usize) -> Result<usize, Errno> {
        Ok(count)
    }
    /// Metadata.
    fn stat(&self) -> Stat;
    /// Whether the file has a position (lseek works).
    fn seekable(&self) -> bool {
        false
    }
    /// Size in bytes, for SEEK_END.
    fn size(&self) -> u64 {
        0
    }
    /// The last descriptor of an open file went away.
    fn release(&self, _access: u32) {}
    /// Readiness API (poll, select, epoll; see docs/ARCHITECTURE.md "Readiness"). The readiness now: POLLIN,
    /// POLLOUT, POLLHUP, POLLERR, POLLRDHUP, ... bits (POLLRDNORM/POLLWRNORM are added by the caller from
    /// POLLIN/POLLOUT when missing). Files that never block are always ready.
    fn poll_events(&self) -> u16 {
        POLLIN | POLLOUT
    }
    /// The queue this file wakes (`WaitQueue::wake_all`) whenever `poll_events` may have changed. None: readiness
    /// never changes by itself (regular files, /dev/null).
    fn poll_queue(&self) -> Option<&WaitQueue> {
        None
    }
    /// A monotonic time (ns) at which readiness changes without any wake-up (a timer expiring); pollers wait no
    /// longer than this.
    fn poll_deadline(&self) -> Option<u64> {
        None
    }
    /// For pipes: (bytes waiting to be read, capacity) — FIONREAD and F_GETPIPE_SZ.
    fn pipe_state(&self) -> Option<(usize, usize)> {
        None
    }
    /// Whether mmap gives anonymous memory instead of the file's pages (/dev/zero).
    fn maps_as_anonymous(&self) -> bool {
        false
    }
    /// The object itself, for calls that work on one kind of file (epoll_ctl, timerfd_settime, signalfd, sockets).
    fn as_any(&self) -> Option<&dyn core::any::Any> {
        None
    }
    /// The tmpfs inode behind this file, if any (directories, regular files).
    fn inode(&self) -> Option<basalt_memfs::InodeId> {
        None
    }
    /// Where in the namespace this file was opened (files and directories of every filesystem): `*at` calls
    /// start there, getdents64 lists it, /proc/<pid>/fd shows its path.
    fn location(&self) -> Option<vfs::Loc> {
        None
    }
    /// A device-specific ioctl on the open file `file` (terminals); ENOTTY for files that have none.
    fn ioctl(&self, _file: &OpenFile, _cmd: u32, _arg: u64) -> Result<usize, Errno> {
        Err(Errno::ENOTTY)
    }
}

/// An open file description (shared by dup'ed descriptors and across fork): the file, its flags and position.
pub struct OpenFile {
    pub ops: Arc<dyn FileOps>,
    flags: AtomicU32,
    pub offset: Mutex<u64>,
    /// Whether flock or an OFD record lock was ever taken through this description (its locks go when it
    /// closes).
    locked: AtomicBool,
    /// The device node a device file was opened through: fstat reports that node, as Linux does (programs such
    /// as ttyname compare it with a stat of the path).
    pub node: Option<vfs::Loc>,
}

impl OpenFile {
    pub fn new(ops: Arc<dyn FileOps>, flags: u32) -> Arc<OpenFile> {
        Self::with_node(ops, flags, None)
    }

    /// A file opened through the node at `node` (device files).
    pub fn with_node(ops: Arc<dyn FileOps>, flags: u32, node: Option<vfs::Loc>) -> Arc<OpenFile> {
        Arc::new(OpenFile {
            ops,
            flags: AtomicU32::new(flags & !O_CLOEXEC),
            offset: Mutex::new(0),
            locked: AtomicBool::new(false),
            node,
        })
    }

    pub fn flags(&self) -> u32 {
        self.flags.load(Ordering::Relaxed)
    }

    /// F_SETFL: only O_APPEND and O_NONBLOCK may change (as on Linux, ignoring the others).
    pub fn set_status_flags(&self, flags: u32) {
        let keep = self.flags() & !(O_APPEND | O_NONBLOCK);
        self.flags
            .store(keep | (flags & (O_APPEND | O_NONBLOCK)), Ordering::Relaxed);
    }

    pub fn readable(&self) -> bool {
        matches!(self.flags() & O_ACCMODE, O_RDONLY | O_RDWR)
    }

    pub fn writable(&self) -> bool {
        matches!(self.flags() & O_ACCMODE, O_WRONLY | O_RDWR)
    }

    pub fn nonblocking(&self) -> bool {
        self.flags() & O_NONBLOCK != 0
    }

    pub fn mark_locked(&self) {
        self.locked.store(true, Ordering::Relaxed);
    }
}

/// The identity of a file for locks: its root-filesystem inode (every open of a file shares its locks), or for
/// files without one (pipes, eventfds) the file object, whose address (kernel half) never equals an inode number.
pub fn lock_key(f: &OpenFile) -> u64 {
    match f.ops.inode() {
        Some(ino) => ino.number(),
        None => Arc::as_ptr(&f.ops) as *const u8 as u64,
    }
}

impl Drop for OpenFile {
    fn drop(&mut self) {
        if self.locked.load(Ordering::Relaxed) {
            flock::unlock(self);
            reclock::description_closed(self);
        }
        self.ops.release(self.flags() & O_ACCMODE);
    }
}
