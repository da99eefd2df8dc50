//! Per-order intrusive doubly-linked free lists threaded through the metadata array.
//!
//! Indices here come only from the allocator itself (never from callers), and every
//! index stored in a list is a valid array index by construction.

use crate::meta::{FrameMeta, NIL};
use crate::ORDER_COUNT;

/// Heads and lengths of the free lists, one per order.
pub(crate) struct FreeLists {
    heads: [u32; ORDER_COUNT],
    lengths: [u64; ORDER_COUNT],
}

impl FreeLists {
    /// All lists empty.
    pub(crate) const fn new() -> Self {
        FreeLists {
            heads: [NIL; ORDER_COUNT],
            lengths: [0; ORDER_COUNT],
        }
    }

    /// First block head of the list, if any.
    pub(crate) fn first(&self, order: usize) -> Option<u32> {
        let head = self.heads[order];
        (head != NIL).then_some(head)
    }

    /// Number of blocks in the list.
    pub(crate) fn len(&self, order: usize) -> u64 {
        self.lengths[order]
    }

    /// Link `index` at the front of the list of `order`.
    pub(crate) fn push(&mut self, meta: &mut [FrameMeta], order: usize, index: u32) {
        let old_head = self.heads[order];
        meta[index as usize].prev = NIL;
        meta[index as usize].next = old_head;
        if old_head != NIL {
            meta[old_head as usize].prev = index;
        }
        self.heads[order] = index;
        self.lengths[order] += 1;
    }

    /// Unlink `index`, which must currently be in the list of `order`.
    pub(crate) fn remove(&mut self, meta: &mut [FrameMeta], order: usize, index: u32) {
        let FrameMeta { prev, next, .. } = meta[index as usize];
        if prev == NIL {
            self.heads[order] = next;
        } else {
            meta[prev as usize].next = next;
        }
        if next != NIL {
            meta[next as usize].prev = prev;
        }
        meta[index as usize].prev = NIL;
        meta[index as usize].next = NIL;
        self.lengths[order] -= 1;
    }
}
