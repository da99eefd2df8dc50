//! memfd_create files: an unnamed regular file of the root filesystem (so read, write, mmap and ftruncate work
//! as for any file) with file seals (F_ADD_SEALS/F_GET_SEALS). Seals live in a table by inode so that resizing
//! through any path (ftruncate) can check them.
#![forbid(unsafe_code)]

use super::{FileOps, Stat};
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use basalt_linux_abi::Errno;
use basalt_memfs::InodeId;
use spin::Mutex;

pub const F_SEAL_SEAL: u32 = 0x1;
pub const F_SEAL_SHRINK: u32 = 0x2;
pub const F_SEAL_GROW: u32 = 0x4;
pub const F_SEAL_WRITE: u32 = 0x8;
pub const F_SEAL_FUTURE_WRITE: u32 = 0x10;
pub const F_SEAL_EXEC: u32 = 0x20;
const ALL_SEALS: u32 = 0x3f;

/// Seals of every live memfd, by inode number.
static SEALS: Mutex<BTreeMap<u64, u32>> = Mutex::new(BTreeMap::new());

pub struct MemFd {
    /// The open tmpfs file.
    node: Arc<dyn FileOps>,
    ino: InodeId,
}

impl MemFd {
    pub fn new(node: Arc<dyn FileOps>, ino: InodeId, seals: u32) -> MemFd {
        SEALS.lock().insert(ino.number(), seals);
        MemFd { node, ino }
    }

    pub fn seals(&self) -> u32 {
        SEALS.lock().get(&self.ino.number()).copied().unwrap_or(0)
    }

    /// F_ADD_SEALS: EPERM once F_SEAL_SEAL is set, EINVAL for unknown bits.
    pub fn add_seals(&self, seals: u32) -> Result<(), Errno> {
        if seals & !ALL_SEALS != 0 {
            return Err(Errno::EINVAL);
        }
        let mut table = SEALS.lock();
        let current = table.entry(self.ino.number()).or_insert(0);
        if *current & F_SEAL_SEAL != 0 {
            return Err(Errno::EPERM);
        }
        *current |= seals;
        Ok(())
    }
}

/// A resize of `ino` from `old` to `new` bytes (truncate, a write past the end): EPERM if a seal forbids it.
pub fn check_resize(ino: InodeId, old: u64, new: u64) -> Result<(), Errno> {
    let seals = SEALS.lock().get(&ino.number()).copied().unwrap_or(0);
    if (new < old && seals & F_SEAL_SHRINK != 0) || (new > old && seals & F_SEAL_GROW != 0) {
        return Err(Errno::EPERM);
    }
    Ok(())
}

impl Drop for MemFd {
    fn drop(&mut self) {
        SEALS.lock().remove(&self.ino.number());
    }
}

impl FileOps for MemFd {
    fn read(&self, buf: &mut [u8], offset: u64, nonblock: bool) -> Result<usize, Errno> {
        self.node.read(buf, offset, nonblock)
    }

    fn write(&self, buf: &[u8], offset: u64, nonblock: bool) -> Result<usize, Errno> {
        let seals = self.seals();
        if seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE) != 0 {
            return Err(Errno::EPERM);
        }
        if seals & F_SEAL_GROW == 0 {
            return self.node.write(buf, offset, nonblock);
        }
        // Like shmem's write_begin, page by page: the first page-sized piece that would pass the end fails.
        let size = self.node.size();
        let mut done = 0usize;
        while done < buf.len() {
            let at = offset + done as u64;
            let piece = (buf.len() - done).min(4096 - (at % 4096) as usize);
            if at + piece as u64 > size {
                return if done > 0 {
                    Ok(done)
                } else {
                    Err(Errno::EPERM)
                };
            }
            done += self.node.write(&buf[done..done + piece], at, nonblock)?;
        }
        Ok(done)
    }

    fn write_allowance(&self, offset: u64, count: usize) -> Result<usize, Errno> {
        self.node.write_allowance(offset, count)
    }

    fn stat(&self) -> Stat {
        self.node.stat()
    }

    fn seekable(&self) -> bool {
        true
    }

    fn size(&self) -> u64 {
        self.node.size()
    }

    fn inode(&self) -> Option<InodeId> {
        Some(self.ino)
    }

    fn location(&self) -> Option<super::vfs::Loc> {
        self.node.location()
    }

    fn as_any(&self) -> Option<&dyn core::any::Any> {
        Some(self)
    }
}
