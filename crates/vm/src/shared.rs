//! Queries about shared objects: which objects an address space maps shared, where an address lies in one (for
//! shared futexes), and `msync(2)`.

use crate::space::Vmas;
use crate::vma::{Backing, Sharing, Vma};
use crate::{is_page_aligned, page_align_down, page_align_wrapping, PartialOutcome};
use alloc::collections::BTreeSet;
use alloc::vec::Vec;
use basalt_linux_abi::mman::{MS_ASYNC, MS_INVALIDATE, MS_SYNC};
use basalt_linux_abi::Errno;

impl Vma {
    /// The shared object this area maps (a `MAP_SHARED` file or shared anonymous memory).
    pub fn shared_object(&self) -> Option<u64> {
        match (self.sharing, self.backing) {
            (Sharing::Shared, Backing::File { file_id, .. }) => Some(file_id),
            _ => None,
        }
    }
}

impl Vmas {
    /// Every shared object some area maps.
    pub fn shared_objects(&self) -> BTreeSet<u64> {
        self.iter().filter_map(Vma::shared_object).collect()
    }

    /// Where `addr` lies in a shared object: the object and the byte offset (page offset plus the address's
    /// offset within the page). `None` for private memory or an unmapped address: a futex there is keyed by the
    /// address space and the address instead.
    pub fn shared_location(&self, addr: u64) -> Option<(u64, u64)> {
        let vma = self.find(addr)?;
        let object = vma.shared_object()?;
        let page = vma.file_offset_of(page_align_down(addr))?;
        Some((object, page + (addr - page_align_down(addr))))
    }

    /// `msync(2)`, following Linux: `EINVAL` for unknown flags, an unaligned address, or `MS_ASYNC` with
    /// `MS_SYNC`; `ENOMEM` when the range wraps or touches unmapped memory (the mapped parts are still synced,
    /// except that a plain `MS_ASYNC` stops at the first hole). `done` holds the shared objects to write back
    /// (only for `MS_SYNC`, as Linux only writes then), whether or not the call fails.
    pub fn msync(&self, addr: u64, len: u64, flags: u64) -> PartialOutcome<Vec<u64>> {
        let mut to_sync = Vec::new();
        let error = self.msync_walk(addr, len, flags, &mut to_sync).err();
        PartialOutcome {
            done: to_sync,
            error,
        }
    }

    fn msync_walk(
        &self,
        addr: u64,
        len: u64,
        flags: u64,
        to_sync: &mut Vec<u64>,
    ) -> Result<(), Errno> {
        if flags & !(MS_ASYNC | MS_INVALIDATE | MS_SYNC) != 0
            || !is_page_aligned(addr)
            || (flags & MS_ASYNC != 0 && flags & MS_SYNC != 0)
        {
            return Err(Errno::EINVAL);
        }
        let end = addr.wrapping_add(page_align_wrapping(len));
        if end < addr {
            return Err(Errno::ENOMEM);
        }
        if end == addr {
            return Ok(());
        }
        let mut start = addr;
        let mut hole = false;
        loop {
            let Some(vma) = self.first_ending_after(start) else {
                return Err(Errno::ENOMEM);
            };
            if start < vma.start {
                if flags == MS_ASYNC {
                    return Err(Errno::ENOMEM);
                }
                start = vma.start;
                if start >= end {
                    return Err(Errno::ENOMEM);
                }
                hole = true;
            }
            if flags & MS_SYNC != 0 {
                if let Some(object) = vma.shared_object() {
                    if !to_sync.contains(&object) {
                        to_sync.push(object);
                    }
                }
            }
            start = vma.end;
            if start >= end {
                return if hole { Err(Errno::ENOMEM) } else { Ok(()) };
            }
        }
    }
}
