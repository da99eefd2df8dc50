//! A process's file descriptor table.
#![forbid(unsafe_code)]

use super::OpenFile;
use alloc::sync::Arc;
use alloc::vec::Vec;
use basalt_linux_abi::Errno;
use core::sync::atomic::{AtomicU64, Ordering};

/// The calling process's RLIMIT_NOFILE: descriptors are numbered below it. Linux checks the limit of the caller,
/// not of the table's first owner (a table shared with CLONE_FILES has no single owner); the kernel itself
/// (no current process) uses the default.
pub fn nofile_limit() -> usize {
    let limits = crate::task::process::current()
        .map(|p| *p.rlimits.lock())
        .unwrap_or_default();
    usize::try_from(limits.soft(basalt_rlimit::Resource::NOFILE)).unwrap_or(usize::MAX)
}

#[derive(Clone)]
struct Slot {
    file: Arc<OpenFile>,
    cloexec: bool,
}

static NEXT_TABLE_ID: AtomicU64 = AtomicU64::new(1);

/// Descriptor numbers to open files. `id` names the table as the owner of POSIX record locks; a clone (exec's
/// private copy) keeps it, `fork_copy` (fork, unshare) takes a new one.
#[derive(Clone)]
pub struct FdTable {
    slots: Vec<Option<Slot>>,
    id: u64,
}

impl Default for FdTable {
    fn default() -> Self {
        FdTable {
            slots: Vec::new(),
            id: NEXT_TABLE_ID.fetch_add(1, Ordering::Relaxed),
        }
    }
}

impl FdTable {
    /// A copy for a new owner of record locks (fork, CLONE_FILES unsharing): the same files, a new id.
    pub fn fork_copy(&self) -> FdTable {
        FdTable {
            slots: self.slots.clone(),
            id: NEXT_TABLE_ID.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// The owner id of this table's POSIX record locks.
    pub fn lock_owner(&self) -> u64 {
        self.id
    }

    /// A descriptor of `file` left this table: its POSIX record locks on the file go (Linux's
    /// locks_remove_posix at every close).
    fn closed(&self, file: &OpenFile) {
        super::reclock::closed_by(self.id, file);
    }

    /// One past the highest descriptor slot the table has room for now.
    pub fn slot_count(&self) -> usize {
        self.slots.len()
    }

    /// The open descriptors, in order (for /proc/<pid>/fd).
    pub fn open_fds(&self) -> Vec<i32> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, slot)| slot.is_some())
            .filter_map(|(fd, _)| i32::try_from(fd).ok())
            .collect()
    }

    /// How many descriptors the table has room for now (`FDSize:` in /proc/<pid>/status).
    pub fn capacity(&self) -> usize {
        self.slots.len().next_power_of_two().max(64)
    }

    /// The open file behind `fd`.
    pub fn get(&self, fd: i32) -> Result<Arc<OpenFile>, Errno> {
        usize::try_from(fd)
            .ok()
            .and_then(|i| self.slots.get(i))
            .and_then(|s| s.as_ref())
            .map(|s| s.file.clone())
            .ok_or(Errno::EBADF)
    }

    /// Install at the lowest free number >= `min` (F_DUPFD): `EINVAL` when `min` is at or above RLIMIT_NOFILE,
    /// `EMFILE` when every number from `min` up to it is taken.
    pub fn install_from(
        &mut self,
        min: usize,
        file: Arc<OpenFile>,
        cloexec: bool,
    ) -> Result<i32, Errno> {
        let limit = nofile_limit();
        if min >= limit {
            return Err(Errno::EINVAL);
        }
        self.install_below(min, limit, file, cloexec)
    }

    fn install_below(
        &mut self,
        min: usize,
        limit: usize,
        file: Arc<OpenFile>,
        cloexec: bool,
    ) -> Result<i32, Errno> {
        // Past the table's end every number is free: no need to scan up to a huge limit.
        let scan_end = limit.min(self.slots.len());
        let free = (min..scan_end)
            .find(|&i| self.slots[i].is_none())
            .or_else(|| Some(self.slots.len().max(min)).filter(|&next| next < limit))
            .filter(|&i| i32::try_from(i).is_ok())
            .ok_or(Errno::EMFILE)?;
        if free >= self.slots.len() {
            self.slots
                .try_reserve(free + 1 - self.slots.len())
                .map_err(|_| Errno::ENOMEM)?;
            self.slots.resize(free + 1, None);
        }
        self.slots[free] = Some(Slot { file, cloexec });
        Ok(free as i32)
    }

    /// Install at the lowest free number (`EMFILE` when none is below RLIMIT_NOFILE).
    pub fn install(&mut self, file: Arc<OpenFile>, cloexec: bool) -> Result<i32, Errno> {
        self.install_below(0, nofile_limit(), file, cloexec)
    }

    /// Put `file` at exactly `fd`, closing what was there (dup2/dup3); `EBADF` for a number that is negative or at
    /// or above RLIMIT_NOFILE. Returns the old file so the caller can drop it outside any lock.
    pub fn install_at(
        &mut self,
        fd: i32,
        file: Arc<OpenFile>,
        cloexec: bool,
    ) -> Result<Option<Arc<OpenFile>>, Errno> {
        let i = usize::try_from(fd)
            .ok()
            .filter(|&i| i < nofile_limit())
            .ok_or(Errno::EBADF)?;
        if i >= self.slots.len() {
            self.slots
                .try_reserve(i + 1 - self.slots.len())
                .map_err(|_| Errno::ENOMEM)?;
            self.slots.resize(i + 1, None);
        }
        let old = self.slots[i].replace(Slot { file, cloexec });
        if let Some(old) = &old {
            self.closed(&old.file);
        }
        Ok(old.map(|s| s.file))
    }

    /// Close `fd`; returns the file (dropped by the caller).
    pub fn close(&mut self, fd: i32) -> Result<Arc<OpenFile>, Errno> {
        let slot = usize::try_from(fd)
            .ok()
            .and_then(|i| self.slots.get_mut(i))
            .ok_or(Errno::EBADF)?;
        let file = slot.take().map(|s| s.file).ok_or(Errno::EBADF)?;
        self.closed(&file);
        Ok(file)
    }

    pub fn cloexec(&self, fd: i32) -> Result<bool, Errno> {
        usize::try_from(fd)
            .ok()
            .and_then(|i| self.slots.get(i))
            .and_then(|s| s.as_ref())
            .map(|s| s.cloexec)
            .ok_or(Errno::EBADF)
    }

    pub fn set_cloexec(&mut self, fd: i32, on: bool) -> Result<(), Errno> {
        let slot = usize::try_from(fd)
            .ok()
            .and_then(|i| self.slots.get_mut(i))
            .and_then(|s| s.as_mut())
            .ok_or(Errno::EBADF)?;
        slot.cloexec = on;
        Ok(())
    }

    /// close_range: close every open descriptor from `first` to `last` (inclusive); returns the files.
    pub fn close_range(&mut self, first: usize, last: usize) -> Vec<Arc<OpenFile>> {
        let end = last.saturating_add(1).min(self.slots.len());
        let closed: Vec<Arc<OpenFile>> = (first.min(end)..end)
            .filter_map(|i| self.slots[i].take().map(|s| s.file))
            .collect();
        for f in &closed {
            self.closed(f);
        }
        closed
    }

    /// close_range with CLOSE_RANGE_CLOEXEC: mark them close-on-exec instead.
    pub fn set_cloexec_range(&mut self, first: usize, last: usize) {
        let end = last.saturating_add(1).min(self.slots.len());
        for slot in self.slots[first.min(end)..end].iter_mut().flatten() {
            slot.cloexec = true;
        }
    }

    /// exec: close every close-on-exec descriptor.
    pub fn close_on_exec(&mut self) -> Vec<Arc<OpenFile>> {
        let mut closed = Vec::new();
        for slot in self.slots.iter_mut() {
            if slot.as_ref().is_some_and(|s| s.cloexec) {
                if let Some(s) = slot.take() {
                    closed.push(s.file);
                }
            }
        }
        for f in &closed {
            self.closed(f);
        }
        closed
    }

    /// Close everything (process exit).
    pub fn close_all(&mut self) -> Vec<Arc<OpenFile>> {
        let closed: Vec<Arc<OpenFile>> = self.slots.drain(..).flatten().map(|s| s.file).collect();
        for f in &closed {
            self.closed(f);
        }
        closed
    }
}
