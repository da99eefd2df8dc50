//! The slab allocator: size-class caches over backend page blocks.

use crate::backend::Backend;
use crate::error::DeallocError;
use crate::header::{capacity, tag, Field, Slab};
use crate::placement::{block_bytes, slab_bytes, slab_order, Placement, CLASS_COUNT, CLASS_SIZES};
use crate::stats::Stats;

/// Kernel heap state: per-class partial-slab lists plus usage counters.
///
/// Holds no memory itself; every call takes the backend that owns the pages.
pub struct SlabAllocator {
    /// Head of each class's list of slabs with at least one free object (0 = empty list).
    partial_heads: [usize; CLASS_COUNT],
    slabs_held: [usize; CLASS_COUNT],
    objects_in_use: [usize; CLASS_COUNT],
    requested_bytes_in_use: usize,
    large_blocks_in_use: usize,
    large_pages_held: usize,
}

impl Default for SlabAllocator {
    fn default() -> Self {
        SlabAllocator::new()
    }
}

impl SlabAllocator {
    /// An allocator holding nothing; `const` so the kernel can keep it in a static.
    pub const fn new() -> Self {
        SlabAllocator {
            partial_heads: [0; CLASS_COUNT],
            slabs_held: [0; CLASS_COUNT],
            objects_in_use: [0; CLASS_COUNT],
            requested_bytes_in_use: 0,
            large_blocks_in_use: 0,
            large_pages_held: 0,
        }
    }

    /// Allocate `size` bytes aligned to `align` (size 0 counts as 1; align 0 as 1).
    ///
    /// `None` when the backend is out of memory or the layout is impossible (alignment
    /// not a power of two, size beyond the address space); the caller turns it into a
    /// null pointer. State stays consistent either way.
    pub fn alloc<B: Backend>(
        &mut self,
        backend: &mut B,
        size: usize,
        align: usize,
    ) -> Option<usize> {
        let addr = match Placement::of(size, align)? {
            Placement::Slab(class) => self.alloc_object(backend, class)?,
            Placement::Block(order) => self.alloc_block(backend, order)?,
        };
        self.requested_bytes_in_use = self.requested_bytes_in_use.saturating_add(size);
        Some(addr)
    }

    /// Free an allocation made with the same `size` and `align`.
    ///
    /// Suspicious requests are refused with an error and change nothing.
    pub fn dealloc<B: Backend>(
        &mut self,
        backend: &mut B,
        addr: usize,
        size: usize,
        align: usize,
    ) -> Result<(), DeallocError> {
        match Placement::of(size, align).ok_or(DeallocError::InvalidLayout)? {
            Placement::Slab(class) => self.dealloc_object(backend, addr, class)?,
            Placement::Block(order) => self.dealloc_block(backend, addr, order)?,
        }
        self.requested_bytes_in_use = self.requested_bytes_in_use.saturating_sub(size);
        Ok(())
    }

    /// Current usage counters.
    pub fn stats(&self) -> Stats {
        let slab_pages: usize = (0..CLASS_COUNT)
            .map(|class| self.slabs_held[class] << slab_order(class))
            .sum();
        Stats {
            requested_bytes_in_use: self.requested_bytes_in_use,
            objects_in_use: self.objects_in_use,
            slabs_held: self.slabs_held,
            large_blocks_in_use: self.large_blocks_in_use,
            pages_held: slab_pages + self.large_pages_held,
        }
    }

    /// Take a whole block for a large request.
    fn alloc_block<B: Backend>(&mut self, backend: &mut B, order: usize) -> Option<usize> {
        let bytes = block_bytes(order)?;
        let addr = obtain_block(backend, order, bytes)?;
        self.large_blocks_in_use += 1;
        self.large_pages_held += 1 << order;
        Some(addr)
    }

    fn dealloc_block<B: Backend>(
        &mut self,
        backend: &mut B,
        addr: usize,
        order: usize,
    ) -> Result<(), DeallocError> {
        let bytes = block_bytes(order).ok_or(DeallocError::InvalidLayout)?;
        if addr == 0 || !addr.is_multiple_of(bytes) {
            return Err(DeallocError::Misaligned);
        }
        if self.large_blocks_in_use == 0 || self.large_pages_held < 1 << order {
            return Err(DeallocError::NotAllocated);
        }
        backend.free_pages(addr, order);
        self.large_blocks_in_use -= 1;
        self.large_pages_held -= 1 << order;
        Ok(())
    }

    /// Hand out one object of `class`, growing the cache by a slab if needed.
    fn alloc_object<B: Backend>(&mut self, backend: &mut B, class: usize) -> Option<usize> {
        let slab = match self.partial_heads[class] {
            0 => self.grow(backend, class)?,
            base => Slab { base, class },
        };
        let free_head = slab.get(backend, Field::FreeHead);
        let object = if free_head != 0 {
            let next_free = backend.read_word(free_head);
            slab.set(backend, Field::FreeHead, next_free);
            free_head
        } else {
            // Partial slab with an empty free list: the untouched tail has room.
            let bump = slab.get(backend, Field::Bump);
            slab.set(backend, Field::Bump, bump + CLASS_SIZES[class]);
            slab.base + bump
        };
        let in_use = slab.get(backend, Field::InUse) + 1;
        slab.set(backend, Field::InUse, in_use);
        if in_use == capacity(class) {
            self.unlink(backend, slab);
        }
        self.objects_in_use[class] += 1;
        Some(object)
    }

    fn dealloc_object<B: Backend>(
        &mut self,
        backend: &mut B,
        addr: usize,
        class: usize,
    ) -> Result<(), DeallocError> {
        let size = CLASS_SIZES[class];
        if !addr.is_multiple_of(size) {
            return Err(DeallocError::Misaligned);
        }
        let slab = Slab::containing(addr, class);
        if slab.base == 0 || slab.get(backend, Field::Tag) != tag(class) {
            return Err(DeallocError::NotASlabObject);
        }
        let in_use = slab.get(backend, Field::InUse);
        if addr - slab.base >= slab.get(backend, Field::Bump) || in_use == 0 {
            return Err(DeallocError::NotAllocated);
        }
        let free_head = slab.get(backend, Field::FreeHead);
        if free_head == addr {
            return Err(DeallocError::DoubleFree);
        }

        backend.write_word(addr, free_head);
        slab.set(backend, Field::FreeHead, addr);
        slab.set(backend, Field::InUse, in_use - 1);
        self.objects_in_use[class] -= 1;
        if in_use == capacity(class) {
            // It was full, hence on no list; it has room again.
            self.push_front(backend, slab);
        }
        if in_use == 1 {
            self.release_or_keep_empty(backend, slab);
        }
        Ok(())
    }

    /// An empty slab goes back to the backend unless it is the class's only partial slab,
    /// which is kept (as fresh) so a single alloc/free pair cannot thrash the backend.
    fn release_or_keep_empty<B: Backend>(&mut self, backend: &mut B, slab: Slab) {
        let only_partial =
            self.partial_heads[slab.class] == slab.base && slab.get(backend, Field::Next) == 0;
        if only_partial {
            slab.set(backend, Field::FreeHead, 0);
            slab.set(backend, Field::Bump, 0);
            return;
        }
        self.unlink(backend, slab);
        // Clear the tag so a stale dealloc into this memory is recognised as foreign.
        slab.set(backend, Field::Tag, 0);
        backend.free_pages(slab.base, slab_order(slab.class));
        self.slabs_held[slab.class] -= 1;
    }

    /// Get a fresh slab from the backend and put it on the class's partial list.
    fn grow<B: Backend>(&mut self, backend: &mut B, class: usize) -> Option<Slab> {
        let base = obtain_block(backend, slab_order(class), slab_bytes(class))?;
        let slab = Slab { base, class };
        slab.init(backend);
        self.push_front(backend, slab);
        self.slabs_held[class] += 1;
        Some(slab)
    }

    fn push_front<B: Backend>(&mut self, backend: &mut B, slab: Slab) {
        let old_head = self.partial_heads[slab.class];
        slab.set(backend, Field::Prev, 0);
        slab.set(backend, Field::Next, old_head);
        if old_head != 0 {
            Slab {
                base: old_head,
                class: slab.class,
            }
            .set(backend, Field::Prev, slab.base);
        }
        self.partial_heads[slab.class] = slab.base;
    }

    fn unlink<B: Backend>(&mut self, backend: &mut B, slab: Slab) {
        let prev = slab.get(backend, Field::Prev);
        let next = slab.get(backend, Field::Next);
        if prev == 0 {
            self.partial_heads[slab.class] = next;
        } else {
            Slab {
                base: prev,
                class: slab.class,
            }
            .set(backend, Field::Next, next);
        }
        if next != 0 {
            Slab {
                base: next,
                class: slab.class,
            }
            .set(backend, Field::Prev, prev);
        }
        slab.set(backend, Field::Prev, 0);
        slab.set(backend, Field::Next, 0);
    }

    /// Head of the partial list of `class`, for the invariant checker in tests.
    #[cfg(test)]
    pub(crate) fn partial_head(&self, class: usize) -> usize {
        self.partial_heads[class]
    }
}

/// Ask the backend for a block and reject results that would break our addressing
/// (address 0 or not aligned to the block size), giving them straight back.
fn obtain_block<B: Backend>(backend: &mut B, order: usize, bytes: usize) -> Option<usize> {
    let addr = backend.alloc_pages(order)?;
    if addr == 0 || !addr.is_multiple_of(bytes) {
        backend.free_pages(addr, order);
        return None;
    }
    Some(addr)
}
