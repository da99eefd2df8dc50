//! Sharing counts of user page frames, for copy-on-write after fork: how many mappings share a frame beyond the
//! first. A frame is freed when its last mapping goes.
#![forbid(unsafe_code)]

use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};
use spin::Once;

/// Frames per chunk: the table is split so no single allocation exceeds the heap's largest block.
const CHUNK: usize = 64 * 1024;

static EXTRA_SHARERS: Once<Vec<Vec<AtomicU32>>> = Once::new();

/// Size the table for every frame up to `max_pfn` (once, after the heap works).
pub fn init(max_pfn: u64) -> Result<(), ()> {
    let chunks = (max_pfn as usize).div_ceil(CHUNK);
    let mut table = Vec::new();
    table.try_reserve_exact(chunks).map_err(|_| ())?;
    for _ in 0..chunks {
        let mut chunk = Vec::new();
        chunk.try_reserve_exact(CHUNK).map_err(|_| ())?;
        chunk.resize_with(CHUNK, || AtomicU32::new(0));
        table.push(chunk);
    }
    EXTRA_SHARERS.call_once(|| table);
    Ok(())
}

fn slot(phys: u64) -> Option<&'static AtomicU32> {
    let pfn = (phys / 4096) as usize;
    EXTRA_SHARERS.get()?.get(pfn / CHUNK)?.get(pfn % CHUNK)
}

/// One more mapping shares `phys`.
pub fn share(phys: u64) {
    if let Some(s) = slot(phys) {
        s.fetch_add(1, Ordering::AcqRel);
    }
}

/// Whether other mappings share `phys`.
pub fn is_shared(phys: u64) -> bool {
    slot(phys).is_some_and(|s| s.load(Ordering::Acquire) > 0)
}

/// A mapping of `phys` goes away; returns true when it was the last one (the caller frees the frame).
pub fn unshare(phys: u64) -> bool {
    match slot(phys) {
        Some(s) => s
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
            .is_err(),
        None => true,
    }
}
