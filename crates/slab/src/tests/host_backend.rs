//! A `Backend` over a `Vec<u8>` arena, with pages managed by basalt-buddy.

use crate::Backend;
use basalt_buddy::{BuddyAllocator, FrameMeta};
use std::boxed::Box;
use std::collections::BTreeMap;
use std::vec;
use std::vec::Vec;

/// Address of the first arena byte; a fake "virtual address" aligned to 4 MiB so the
/// buddy's blocks are aligned in this address space.
const ARENA_BASE: usize = 0x4000_0000;
const PAGE: usize = 4096;
const WORD: usize = core::mem::size_of::<usize>();

/// In-memory backend that also audits every access made by the allocator.
pub(crate) struct HostBackend {
    buddy: BuddyAllocator<'static>,
    memory: Vec<u8>,
    /// Outstanding blocks: address -> order.
    outstanding: BTreeMap<usize, usize>,
    /// When set, `alloc_pages` fails (simulated out-of-memory).
    pub(crate) refuse_allocs: bool,
}

impl HostBackend {
    /// An arena of `pages` pages, all free.
    pub(crate) fn new(pages: usize) -> Self {
        // Leaked: each test builds a few small arenas; the process ends right after.
        let meta = Box::leak(vec![FrameMeta::RESERVED; pages].into_boxed_slice());
        let first_pfn = (ARENA_BASE / PAGE) as u64;
        let mut buddy = BuddyAllocator::new(meta, first_pfn);
        buddy.add_free_range(first_pfn, first_pfn + pages as u64);
        HostBackend {
            buddy,
            memory: vec![0; pages * PAGE],
            outstanding: BTreeMap::new(),
            refuse_allocs: false,
        }
    }

    /// Pages currently handed out to the allocator.
    pub(crate) fn pages_outstanding(&self) -> usize {
        self.outstanding.values().map(|order| 1usize << order).sum()
    }

    /// Whether `[addr, addr + len)` lies inside one outstanding block.
    pub(crate) fn owns(&self, addr: usize, len: usize) -> bool {
        match self.outstanding.range(..=addr).next_back() {
            Some((&start, &order)) => addr + len <= start + (PAGE << order),
            None => false,
        }
    }

    fn offset(&self, addr: usize, len: usize) -> usize {
        assert!(
            self.owns(addr, len),
            "access to {addr:#x}+{len} outside owned blocks"
        );
        addr - ARENA_BASE
    }

    /// Bytes of an allocation, for filling patterns.
    pub(crate) fn bytes_mut(&mut self, addr: usize, len: usize) -> &mut [u8] {
        let start = self.offset(addr, len);
        &mut self.memory[start..start + len]
    }

    /// Bytes of an allocation, for verifying patterns.
    pub(crate) fn bytes(&self, addr: usize, len: usize) -> &[u8] {
        let start = self.offset(addr, len);
        &self.memory[start..start + len]
    }
}

impl Backend for HostBackend {
    fn alloc_pages(&mut self, order: usize) -> Option<usize> {
        if self.refuse_allocs {
            return None;
        }
        let pfn = self.buddy.alloc(order).ok()?;
        let addr = pfn as usize * PAGE;
        self.outstanding.insert(addr, order);
        Some(addr)
    }

    fn free_pages(&mut self, addr: usize, order: usize) {
        assert_eq!(
            self.outstanding.remove(&addr),
            Some(order),
            "bad free_pages"
        );
        self.buddy.free((addr / PAGE) as u64, order).unwrap();
    }

    fn read_word(&self, addr: usize) -> usize {
        assert_eq!(addr % WORD, 0, "unaligned word read");
        let start = self.offset(addr, WORD);
        let mut word = [0u8; WORD];
        word.copy_from_slice(&self.memory[start..start + WORD]);
        usize::from_ne_bytes(word)
    }

    fn write_word(&mut self, addr: usize, value: usize) {
        assert_eq!(addr % WORD, 0, "unaligned word write");
        let start = self.offset(addr, WORD);
        self.memory[start..start + WORD].copy_from_slice(&value.to_ne_bytes());
    }
}
