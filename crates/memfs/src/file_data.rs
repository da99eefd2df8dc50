//! Regular file contents: sparse 4 KiB pages, where missing pages are holes that read as zeros.

use crate::budget::Budget;
use alloc::boxed::Box;
use alloc::collections::{btree_map, BTreeMap};
use alloc::vec::Vec;
use basalt_linux_abi::Errno;

/// Size of one data page.
pub(crate) const PAGE_SIZE: usize = 4096;
const PAGE_SIZE_U64: u64 = PAGE_SIZE as u64;
/// Largest file size and end of write (Linux's `MAX_LFS_FILESIZE`, so sizes fit `off_t`).
pub(crate) const MAX_FILE_SIZE: u64 = i64::MAX as u64;

/// The data of one regular file.
#[derive(Debug, Default)]
pub(crate) struct FileData {
    size: u64,
    /// Page index → page. Bytes of a page past `size` are always zero, so growing the file exposes zeros.
    pages: BTreeMap<u64, Box<[u8]>>,
}

impl FileData {
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// Bytes of memory holding data (what the budget was charged).
    pub(crate) fn allocated_bytes(&self) -> u64 {
        self.pages.len() as u64 * PAGE_SIZE_U64
    }

    /// Copies bytes from `offset` into `buf`, stopping at the end of the file; holes read as zeros.
    pub(crate) fn read_at(&self, offset: u64, buf: &mut [u8]) -> usize {
        let Some(available) = self.size.checked_sub(offset) else {
            return 0;
        };
        let count =
            usize::try_from(available).map_or(buf.len(), |available| available.min(buf.len()));
        let mut done = 0;
        while done < count {
            let position = offset + done as u64;
            let (index, within) = split(position);
            let chunk = (PAGE_SIZE - within).min(count - done);
            let target = &mut buf[done..done + chunk];
            match self.pages.get(&index) {
                Some(page) => target.copy_from_slice(&page[within..within + chunk]),
                None => target.fill(0),
            }
            done += chunk;
        }
        count
    }

    /// Writes `data` at `offset`, growing the file. New pages are charged to `budget`; when it (or memory) runs
    /// out part way, the bytes written so far count (a short write, as Linux does), and only a write that could
    /// store nothing fails: `ENOSPC` (budget) or `ENOMEM`. `EFBIG` if `offset` is at or past the size limit;
    /// a write crossing it is shortened.
    pub(crate) fn write_at(
        &mut self,
        offset: u64,
        data: &[u8],
        budget: &mut Budget,
    ) -> Result<usize, Errno> {
        if data.is_empty() {
            return Ok(0);
        }
        if offset >= MAX_FILE_SIZE {
            return Err(Errno::EFBIG);
        }
        let room = MAX_FILE_SIZE - offset;
        let count = usize::try_from(room).map_or(data.len(), |room| room.min(data.len()));
        let mut done = 0;
        while done < count {
            let position = offset + done as u64;
            let (index, within) = split(position);
            let chunk = (PAGE_SIZE - within).min(count - done);
            let page = match self.page_mut(index, budget) {
                Ok(page) => page,
                Err(errno) if done == 0 => return Err(errno),
                Err(_) => break,
            };
            page[within..within + chunk].copy_from_slice(&data[done..done + chunk]);
            done += chunk;
        }
        self.size = self.size.max(offset + done as u64);
        Ok(done)
    }

    /// Sets the size: shrinking frees whole pages past the end and zeroes the tail of the last one; growing
    /// leaves a hole. `EFBIG` past the size limit.
    pub(crate) fn truncate(&mut self, new_size: u64, budget: &mut Budget) -> Result<(), Errno> {
        if new_size > MAX_FILE_SIZE {
            return Err(Errno::EFBIG);
        }
        if new_size < self.size {
            let (index, within) = split(new_size);
            let first_freed = if within == 0 { index } else { index + 1 };
            let freed = self.pages.split_off(&first_freed);
            budget.refund(freed.len() as u64 * PAGE_SIZE_U64);
            if within != 0 {
                if let Some(page) = self.pages.get_mut(&index) {
                    page[within..].fill(0);
                }
            }
        }
        self.size = new_size;
        Ok(())
    }

    /// Frees every page (the inode is going away).
    pub(crate) fn release(&mut self, budget: &mut Budget) {
        budget.refund(self.allocated_bytes());
        self.pages.clear();
    }

    /// The page at `index`, allocating a zeroed one (fallibly, and charged to `budget`) if it is a hole.
    fn page_mut(&mut self, index: u64, budget: &mut Budget) -> Result<&mut [u8], Errno> {
        match self.pages.entry(index) {
            btree_map::Entry::Occupied(entry) => Ok(entry.into_mut()),
            btree_map::Entry::Vacant(entry) => {
                if !budget.try_charge(PAGE_SIZE_U64) {
                    return Err(Errno::ENOSPC);
                }
                let mut bytes = Vec::new();
                if bytes.try_reserve_exact(PAGE_SIZE).is_err() {
                    budget.refund(PAGE_SIZE_U64);
                    return Err(Errno::ENOMEM);
                }
                bytes.resize(PAGE_SIZE, 0);
                Ok(entry.insert(bytes.into_boxed_slice()))
            }
        }
    }
}

/// Page index and offset within the page of a file position.
fn split(position: u64) -> (u64, usize) {
    (
        position / PAGE_SIZE_U64,
        (position % PAGE_SIZE_U64) as usize,
    )
}
