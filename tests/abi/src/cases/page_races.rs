//! Page faults of several threads at the same moment: each thread's write must survive whatever the others'
//! faults do to the page tables at the same time (first touches that need the same new page table, first touches
//! of the same page, copy-on-write faults on the same page after fork). A lost write reads back as zero or as an
//! older value. The races need several CPUs; with one they just pass.

use crate::registry::Case;
use crate::sys::{self, PAGE};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Barrier;

pub const CASES: &[Case] = &[
    Case::new("pagefault.concurrent_first_touch", concurrent_first_touch),
    Case::new("pagefault.concurrent_cow", concurrent_cow),
];

/// Threads that race, and rounds: each round is a fresh 2 MiB region (its own new page table).
const THREADS: usize = 3;
const ROUNDS: usize = 48;
const REGION: usize = 2 << 20;

/// Waits until all `THREADS` reached round `round` (spinning, so that they start their writes together).
fn rendezvous(arrived: &AtomicUsize, round: usize) {
    arrived.fetch_add(1, Ordering::AcqRel);
    while arrived.load(Ordering::Acquire) < (round + 1) * THREADS {
        std::hint::spin_loop();
    }
}

/// Every thread writes into the same fresh region at once: one word in a page of its own, and one word in a page
/// they all touch first together. Then every word must hold what was written.
fn concurrent_first_touch() -> String {
    let Ok(mapped) = sys::map_anon(ROUNDS * REGION + REGION) else {
        return "mmap failed".into();
    };
    // 2 MiB-aligned, so each round's region needs a page table of its own.
    let base = (mapped + REGION - 1) & !(REGION - 1);
    let arrived = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            let arrived = &arrived;
            scope.spawn(move || {
                for round in 0..ROUNDS {
                    let region = base + round * REGION;
                    rendezvous(arrived, round);
                    let own = (region + (1 + t) * 16 * PAGE) as *mut usize;
                    let common = (region + 100 * PAGE + t * 8) as *mut usize;
                    // SAFETY: both addresses are inside the private mapping made above, distinct per thread.
                    unsafe {
                        own.write_volatile(round + 1);
                        common.write_volatile(round + 1);
                    }
                }
            });
        }
    });
    let mut lost = 0;
    for round in 0..ROUNDS {
        let region = base + round * REGION;
        for t in 0..THREADS {
            let own = (region + (1 + t) * 16 * PAGE) as *const usize;
            let common = (region + 100 * PAGE + t * 8) as *const usize;
            // SAFETY: as above; every thread has finished.
            let (a, b) = unsafe { (own.read_volatile(), common.read_volatile()) };
            lost += usize::from(a != round + 1) + usize::from(b != round + 1);
        }
    }
    sys::unmap(mapped, ROUNDS * REGION + REGION);
    format!("writes={} lost={lost}", 2 * ROUNDS * THREADS)
}

/// After a fork, the threads of the parent write into the same copy-on-write pages at once (the child keeps the
/// old contents alive); every write must land in the parent's copy, and the child must still see the old values.
fn concurrent_cow() -> String {
    let pages = ROUNDS;
    let Ok(base) = sys::map_anon(pages * PAGE) else {
        return "mmap failed".into();
    };
    for page in 0..pages {
        // SAFETY: inside the mapping; makes every page present before the fork.
        unsafe { ((base + page * PAGE) as *mut usize).write_volatile(7) };
    }
    // The child waits for a byte, checks that its pages still hold 7, and exits 0 if so.
    let (r, w) = crate::child::pipe();
    let child = crate::child::spawn(|| {
        let _ = crate::child::read_byte(r);
        let intact = (0..pages).all(|page| {
            // SAFETY: the child's copy of the same mapping.
            unsafe { ((base + page * PAGE) as *const usize).read_volatile() == 7 }
        });
        i32::from(!intact)
    });
    let Ok(child) = child else {
        return "fork failed".into();
    };
    let barrier = Barrier::new(THREADS);
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            let barrier = &barrier;
            scope.spawn(move || {
                for page in 0..pages {
                    if page % 8 == 0 {
                        barrier.wait();
                    }
                    let word = (base + page * PAGE + (t + 1) * 8) as *mut usize;
                    // SAFETY: inside the mapping, a word per thread.
                    unsafe { word.write_volatile(page + 1) };
                }
            });
        }
    });
    let mut lost = 0;
    for page in 0..pages {
        for t in 0..THREADS {
            let word = (base + page * PAGE + (t + 1) * 8) as *const usize;
            // SAFETY: as above; the threads have finished.
            lost += usize::from(unsafe { word.read_volatile() } != page + 1);
        }
    }
    crate::child::write_byte(w, b'x');
    let status = crate::child::wait_text(child);
    sys::unmap(base, pages * PAGE);
    format!("lost={lost} child={status}")
}
