//! Where a worker's fuzzing memory lives: the scratch buffer that random pointers aim at, and the names page that
//! holds the file names, socket addresses and timeouts of the next call.

/// The page size of x86_64.
pub const PAGE_SIZE: u64 = 4096;
/// Pages of scratch memory. An unmapped guard page follows, so sizes that run past the end fault.
pub const SCRATCH_PAGES: u64 = 16;

/// A range of addresses in the worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    /// First address.
    pub start: u64,
    /// Length in bytes.
    pub len: u64,
}

impl Region {
    /// One past the last address.
    pub fn end(&self) -> u64 {
        self.start.saturating_add(self.len)
    }

    /// Whether `address` lies inside.
    #[cfg(test)]
    pub fn contains(&self, address: u64) -> bool {
        (self.start..self.end()).contains(&address)
    }
}

/// The worker's fuzzing memory and identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Scratch memory filled with random bytes; followed by a guard page.
    pub scratch: Region,
    /// One page rewritten before every call; followed by a guard page.
    pub names: Region,
    /// The worker's process id.
    pub pid: u64,
    /// The worker's thread id (the same as `pid`: workers are single-threaded).
    pub tid: u64,
}
