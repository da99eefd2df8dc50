//! AF_UNIX sockets in the kernel: one `basalt-unix-socket` [`World`] holds every socket, behind one lock;
//! descriptors refer to a socket through a [`SocketFile`]. Sleepers wait on one queue that every change wakes
//! (they recheck their condition), which is simple and cannot lose a wake-up.
#![forbid(unsafe_code)]

pub mod io;
pub mod names;

use crate::fs::{FileOps, OpenFile, Stat};
use crate::task::wait::WaitQueue;
use alloc::sync::Arc;
use alloc::vec::Vec;
use basalt_linux_abi::Errno;
use basalt_unix_socket::{SocketId, World};
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use spin::Mutex;

/// What travels with SCM_RIGHTS: open files.
pub type Rights = Arc<OpenFile>;

static WORLD: Mutex<World<Rights>> = Mutex::new(World::new());
/// Every waiter for any socket (readers, writers, accept, connect with a full backlog).
static CHANGED: WaitQueue = WaitQueue::new();
static NEXT_INO: AtomicU64 = AtomicU64::new(1);
/// Files that left the socket world, waiting to be closed (see [`dispose`]).
static DEFERRED: Mutex<Vec<Rights>> = Mutex::new(Vec::new());
/// Someone is closing the deferred files.
static DRAINING: AtomicBool = AtomicBool::new(false);

/// `S_IFSOCK`.
pub const S_IFSOCK: u32 = 0o140000;

/// Run `f` on the socket world. Descriptors it hands back must be dropped after this returns (closing a socket
/// takes the lock again).
pub fn with_world<T>(f: impl FnOnce(&mut World<Rights>) -> T) -> T {
    f(&mut WORLD.lock())
}

/// Wake everyone waiting on a socket.
pub fn changed() {
    CHANGED.wake_all();
}

/// The wait queue of all socket sleepers.
pub fn wait_queue() -> &'static WaitQueue {
    &CHANGED
}

/// Close files that left the socket world (a closed socket's queue, descriptors that did not fit a receiver's
/// buffer, cycles the garbage collector found). Closing a socket can free the sockets in its queue, and so on:
/// done by recursion, a long chain of sockets in flight would overflow the kernel stack, so the files are queued
/// and one caller at a time closes them in a loop (the others return at once), running the collector of
/// unreachable cycles whenever the queue runs dry.
pub fn dispose(files: Vec<Rights>) {
    if !files.is_empty() {
        DEFERRED.lock().extend(files);
    }
    loop {
        if DRAINING.swap(true, Ordering::Acquire) {
            return;
        }
        loop {
            let next = DEFERRED.lock().pop();
            match next {
                Some(file) => drop(file),
                None => {
                    let garbage = with_world(|w| w.collect_cycles(identify));
                    if garbage.is_empty() {
                        break;
                    }
                    DEFERRED.lock().extend(garbage);
                }
            }
        }
        DRAINING.store(false, Ordering::Release);
        // Files queued while we were finishing would otherwise wait for the next caller.
        if DEFERRED.lock().is_empty() {
            return;
        }
    }
}

/// For the collector: which socket a file in flight is, and how many references to it exist.
fn identify(file: &Rights) -> Option<(SocketId, usize)> {
    socket_of(file).map(|s| (s.id, Arc::strong_count(file)))
}

/// An open AF_UNIX socket.
pub struct SocketFile {
    pub id: SocketId,
    ino: u64,
}

impl SocketFile {
    /// A file for socket `id` (already created in the world).
    pub fn new(id: SocketId) -> Arc<SocketFile> {
        Arc::new(SocketFile {
            id,
            ino: NEXT_INO.fetch_add(1, Ordering::Relaxed),
        })
    }
}

/// The socket behind an open file, if it is one.
pub fn socket_of(file: &OpenFile) -> Option<&SocketFile> {
    file.ops.as_any()?.downcast_ref::<SocketFile>()
}

impl FileOps for SocketFile {
    fn read(&self, buf: &mut [u8], _offset: u64, nonblock: bool) -> Result<usize, Errno> {
        let got = io::recv(
            self,
            buf.len(),
            io::RecvMode {
                nonblock,
                ..io::RecvMode::default()
            },
        )?;
        buf[..got.data.len()].copy_from_slice(&got.data);
        Ok(got.data.len())
    }

    fn write(&self, buf: &[u8], _offset: u64, nonblock: bool) -> Result<usize, Errno> {
        let mut none = Vec::new();
        io::send(
            self,
            buf,
            &mut none,
            io::SendMode {
                nonblock,
                ..io::SendMode::default()
            },
        )
    }

    fn stat(&self) -> Stat {
        Stat {
            dev: 0x8,
            ino: self.ino,
            mode: S_IFSOCK | 0o777,
            nlink: 1,
            blksize: 4096,
            ..Stat::default()
        }
    }

    fn poll_events(&self) -> u16 {
        with_world(|w| w.poll(self.id))
    }

    /// Every change in the socket world wakes this one queue (see `CHANGED`).
    fn poll_queue(&self) -> Option<&WaitQueue> {
        Some(wait_queue())
    }

    fn release(&self, _access: u32) {
        let garbage = with_world(|w| w.release(self.id));
        dispose(garbage);
        changed();
    }

    fn as_any(&self) -> Option<&dyn core::any::Any> {
        Some(self)
    }
}
