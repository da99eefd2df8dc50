//! The interface through which the slab allocator obtains and touches memory.

/// Page-block provider supplied by the kernel (or by a host test harness).
pub trait Backend {
    /// A block of `4096 << order` bytes, aligned to its size; `None` when out of memory.
    /// Must never return address 0 (0 is the allocator's "no link" value and a null pointer).
    fn alloc_pages(&mut self, order: usize) -> Option<usize>;
    /// Give back a block obtained from `alloc_pages` with the same order.
    fn free_pages(&mut self, addr: usize, order: usize);
    /// Word access inside blocks obtained from `alloc_pages` (used for free-list links /
    /// slab headers). Addresses are always word-aligned.
    fn read_word(&self, addr: usize) -> usize;
    /// See [`Backend::read_word`].
    fn write_word(&mut self, addr: usize, value: usize);
}
