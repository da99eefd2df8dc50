//! brk: query, grow, shrink, and refusals (which brk reports by returning the old break, not an errno).
//!
//! musl's malloc may move the break too, so between growing and shrinking these cases allocate nothing.

use crate::registry::Case;
use crate::sig;
use crate::sys::{self, eq, nr, yes, PAGE};

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case::new("brk.query", query),
    Case::new("brk.grow_write_shrink", grow_write_shrink),
    Case::new("brk.regrown_memory_zeroed", regrown_memory_zeroed),
    Case::new("brk.shrunk_memory_unmapped", shrunk_memory_unmapped),
    Case::new("brk.below_start_refused", below_start_refused),
    Case::new("brk.huge_refused", huge_refused),
];

fn brk(addr: usize) -> usize {
    sys!(nr::BRK, addr).unwrap_or(0)
}

fn page_up(addr: usize) -> usize {
    (addr + PAGE - 1) & !(PAGE - 1)
}

fn query() -> String {
    let a = brk(0);
    let b = brk(0);
    format!("nonzero={} stable={}", yes(a != 0), eq(a, b))
}

fn grow_write_shrink() -> String {
    let start = brk(0);
    let grown = brk(start + 64 * 1024);
    let grew = grown == start + 64 * 1024;
    if grew {
        for addr in (start..grown).step_by(PAGE) {
            // SAFETY: inside the break we just set.
            unsafe { sys::poke(addr, 0xaa) };
        }
    }
    let shrunk = brk(start);
    format!(
        "grow returns new break={} written shrink returns start={}",
        yes(grew),
        eq(shrunk, start)
    )
}

fn regrown_memory_zeroed() -> String {
    let start = brk(0);
    let probe = page_up(start) + PAGE;
    let first = brk(start + 64 * 1024);
    // SAFETY: inside the break.
    unsafe { sys::poke(probe, 0xaa) };
    brk(start);
    let second = brk(start + 64 * 1024);
    // SAFETY: inside the (new) break.
    let v = unsafe { sys::peek(probe) };
    brk(start);
    format!(
        "grown twice={} byte after regrow={v}",
        yes(first == second && first == start + 64 * 1024)
    )
}

fn shrunk_memory_unmapped() -> String {
    let start = brk(0);
    let probe = page_up(start) + PAGE;
    brk(start + 64 * 1024);
    // SAFETY: inside the break.
    unsafe { sys::poke(probe, 1) };
    brk(start);
    // SAFETY: the page was released; the fault handler maps a page there so the read completes.
    sig::expect_fault(probe, || unsafe {
        sys::peek(probe);
    })
}

fn below_start_refused() -> String {
    let start = brk(0);
    let r = brk(PAGE);
    format!("returns old break={}", eq(r, start))
}

fn huge_refused() -> String {
    let start = brk(0);
    let r = brk(start + (1usize << 46));
    format!("returns old break={}", eq(r, start))
}
