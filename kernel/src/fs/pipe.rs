//! Pipes: a bounded byte queue between a read end and a write end, with blocking and EOF/EPIPE semantics.
#![forbid(unsafe_code)]

use super::{FileOps, Stat, O_RDONLY, O_RDWR, O_WRONLY, S_IFIFO};
use crate::task::wait::WaitQueue;
use alloc::collections::VecDeque;
use alloc::sync::Arc;
use basalt_linux_abi::Errno;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use spin::Mutex;

/// Linux's default pipe capacity.
pub const PIPE_CAPACITY: usize = 64 * 1024;
/// Writes up to this size are atomic (not interleaved with other writers).
const PIPE_BUF: usize = 4096;

static NEXT_INO: AtomicU64 = AtomicU64::new(1);

/// The shared state of both ends.
pub struct Pipe {
    data: Mutex<VecDeque<u8>>,
    readers: AtomicUsize,
    writers: AtomicUsize,
    /// How many times a reader / a writer ever opened it (named pipes: an opener blocked waiting for the other
    /// side wakes when this moves, even if that side has already gone again, as Linux's r_counter/w_counter).
    reader_opens: AtomicUsize,
    writer_opens: AtomicUsize,
    /// Readers (and pollers of the read end) wait here for data or the last writer.
    readable: WaitQueue,
    /// Writers (and pollers of the write end) wait here for room or the last reader.
    writable: WaitQueue,
    ino: u64,
}

/// One end of a pipe (a named pipe opened O_RDWR is both).
pub struct PipeEnd {
    pipe: Arc<Pipe>,
    read_end: bool,
    write_end: bool,
}

impl Pipe {
    /// A pipe nobody has open yet (named pipes attach their openers with [`Pipe::open_end`]).
    pub fn unopened() -> Arc<Pipe> {
        Arc::new(Pipe {
            data: Mutex::new(VecDeque::new()),
            readers: AtomicUsize::new(0),
            writers: AtomicUsize::new(0),
            reader_opens: AtomicUsize::new(0),
            writer_opens: AtomicUsize::new(0),
            readable: WaitQueue::new(),
            writable: WaitQueue::new(),
            ino: NEXT_INO.fetch_add(1, Ordering::Relaxed),
        })
    }

    /// A new end that reads and/or writes; the other side's waiters learn of it.
    pub fn open_end(self: &Arc<Pipe>, read: bool, write: bool) -> Arc<PipeEnd> {
        if read {
            self.readers.fetch_add(1, Ordering::AcqRel);
            self.reader_opens.fetch_add(1, Ordering::AcqRel);
        }
        if write {
            self.writers.fetch_add(1, Ordering::AcqRel);
            self.writer_opens.fetch_add(1, Ordering::AcqRel);
        }
        self.readable.wake_all();
        self.writable.wake_all();
        Arc::new(PipeEnd {
            pipe: self.clone(),
            read_end: read,
            write_end: write,
        })
    }

    pub fn readers(&self) -> usize {
        self.readers.load(Ordering::Acquire)
    }

    pub fn writers(&self) -> usize {
        self.writers.load(Ordering::Acquire)
    }

    /// How many readers (`readers`) or writers ever opened it.
    pub fn opens(&self, readers: bool) -> usize {
        if readers {
            self.reader_opens.load(Ordering::Acquire)
        } else {
            self.writer_opens.load(Ordering::Acquire)
        }
    }

    /// Where an opener waits for the other side (every open wakes it).
    pub fn open_queue(&self) -> &WaitQueue {
        &self.readable
    }
}

/// A new pipe: (read end, write end).
pub fn new_pipe() -> (Arc<PipeEnd>, Arc<PipeEnd>) {
    let pipe = Pipe::unopened();
    let read = pipe.open_end(true, false);
    let write = pipe.open_end(false, true);
    (read, write)
}

impl FileOps for PipeEnd {
    fn read(&self, buf: &mut [u8], _offset: u64, nonblock: bool) -> Result<usize, Errno> {
        if buf.is_empty() {
            return Ok(0);
        }
        let p = &self.pipe;
        let n = p
            .readable
            .wait_until(|| {
                let mut data = p.data.lock();
                if !data.is_empty() {
                    let n = buf.len().min(data.len());
                    for (dst, src) in buf.iter_mut().zip(data.drain(..n)) {
                        *dst = src;
                    }
                    return Some(Ok(n));
                }
                if p.writers.load(Ordering::Acquire) == 0 {
                    return Some(Ok(0));
                }
                nonblock.then_some(Err(Errno::EAGAIN))
            })
            .map_err(|_| crate::task::process::ERESTARTSYS)??;
        p.writable.wake_all();
        Ok(n)
    }

    fn write(&self, buf: &[u8], _offset: u64, nonblock: bool) -> Result<usize, Errno> {
        let p = &self.pipe;
        let mut written = 0;
        while written < buf.len() {
            let rest = &buf[written..];
            let step = p.writable.wait_until(|| {
                if p.readers.load(Ordering::Acquire) == 0 {
                    return Some(Err(Errno::EPIPE));
                }
                let mut data = p.data.lock();
                let room = PIPE_CAPACITY - data.len();
                // Small writes go in whole or not at all.
                let need = if rest.len() <= PIPE_BUF {
                    rest.len()
                } else {
                    1
                };
                if room >= need {
                    let n = room.min(rest.len());
                    data.extend(&rest[..n]);
                    return Some(Ok(n));
                }
                nonblock.then_some(Err(Errno::EAGAIN))
            });
            match step {
                Ok(Ok(n)) => {
                    written += n;
                    p.readable.wake_all();
                }
                // A partial write counts; the error shows on the next call.
                Ok(Err(e)) => return if written > 0 { Ok(written) } else { Err(e) },
                Err(_) => {
                    return if written > 0 {
                        Ok(written)
                    } else {
                        Err(Errno::EINTR)
                    }
                }
            }
        }
        Ok(written)
    }

    fn pipe_state(&self) -> Option<(usize, usize)> {
        Some((self.pipe.data.lock().len(), PIPE_CAPACITY))
    }

    /// Like Linux's pipe_poll: the read end reports data and a missing writer, the write end room and a missing
    /// reader.
    fn poll_events(&self) -> u16 {
        let p = &self.pipe;
        let len = p.data.lock().len();
        let mut ev = 0;
        if self.read_end {
            if len > 0 {
                ev |= super::POLLIN;
            }
            if p.writers.load(Ordering::Acquire) == 0 {
                ev |= super::POLLHUP;
            }
        }
        if self.write_end {
            if PIPE_CAPACITY - len >= PIPE_BUF {
                ev |= super::POLLOUT;
            }
            if p.readers.load(Ordering::Acquire) == 0 {
                ev |= super::POLLERR;
            }
        }
        ev
    }

    fn stat(&self) -> Stat {
        Stat {
            dev: 0xc,
            ino: self.pipe.ino,
            mode: S_IFIFO | 0o600,
            nlink: 1,
            blksize: 4096,
            ..Stat::default()
        }
    }

    fn release(&self, access: u32) {
        let p = &self.pipe;
        if matches!(access, O_RDONLY | O_RDWR) {
            p.readers.fetch_sub(1, Ordering::AcqRel);
        }
        if matches!(access, O_WRONLY | O_RDWR) {
            p.writers.fetch_sub(1, Ordering::AcqRel);
        }
        p.readable.wake_all();
        p.writable.wake_all();
    }

    fn poll_queue(&self) -> Option<&WaitQueue> {
        Some(if self.read_end {
            &self.pipe.readable
        } else {
            &self.pipe.writable
        })
    }
}
