//! Open files of computed filesystems (procfs, sysfs): a text made at open and read at offsets, and a
//! directory whose listing the filesystem computes.
#![forbid(unsafe_code)]

use crate::fs::vfs::{Held, Loc};
use crate::fs::{FileOps, Stat};
use alloc::sync::Arc;
use alloc::vec::Vec;
use basalt_linux_abi::Errno;

use crate::fs::root::to_stat;

/// A file whose whole text was made when it was opened (what one `read` sequence of a seq_file sees).
pub struct ProcFile {
    text: Vec<u8>,
    stat: Stat,
}

impl ProcFile {
    pub fn new(text: Vec<u8>, stat: basalt_memfs::Stat) -> ProcFile {
        ProcFile {
            text,
            stat: to_stat(&stat),
        }
    }
}

impl FileOps for ProcFile {
    fn read(&self, buf: &mut [u8], offset: u64, _nonblock: bool) -> Result<usize, Errno> {
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        let n = buf.len().min(self.text.len() - start);
        buf[..n].copy_from_slice(&self.text[start..start + n]);
        Ok(n)
    }

    fn write(&self, _buf: &[u8], _offset: u64, _nonblock: bool) -> Result<usize, Errno> {
        // No write handler: Linux's proc_reg_write answers EIO.
        Err(Errno::EIO)
    }

    fn stat(&self) -> Stat {
        self.stat
    }

    fn seekable(&self) -> bool {
        true
    }
}

/// An open directory of a computed filesystem: getdents64 asks the filesystem at its location.
pub struct ProcDir {
    held: Held,
    stat: Stat,
}

impl ProcDir {
    pub fn open(at: Loc, stat: basalt_memfs::Stat) -> Result<Arc<dyn FileOps>, Errno> {
        Ok(Arc::new(ProcDir {
            held: Held::new(at)?,
            stat: to_stat(&stat),
        }))
    }
}

impl FileOps for ProcDir {
    fn read(&self, _buf: &mut [u8], _offset: u64, _nonblock: bool) -> Result<usize, Errno> {
        Err(Errno::EISDIR)
    }

    fn write(&self, _buf: &[u8], _offset: u64, _nonblock: bool) -> Result<usize, Errno> {
        Err(Errno::EBADF)
    }

    fn stat(&self) -> Stat {
        self.stat
    }

    fn seekable(&self) -> bool {
        true
    }

    fn location(&self) -> Option<Loc> {
        Some(self.held.loc())
    }
}
