//! close_range: closing a range, CLOSE_RANGE_CLOEXEC, CLOSE_RANGE_UNSHARE, argument errors.

use crate::registry::Case;
use crate::sys::{nr, outcome, value};

pub const CASES: &[Case] = &[
    Case::new("close_range.closes", closes),
    Case::new("close_range.cloexec", cloexec),
    Case::new("close_range.unshare", unshare),
    Case::new("close_range.errors", errors),
];

const CLOSE_RANGE_UNSHARE: u32 = 2;
const CLOSE_RANGE_CLOEXEC: u32 = 4;

fn dups(at: &[i32]) {
    for &fd in at {
        let _ = sys!(nr::DUP2, 0, fd);
    }
}

fn state(fds: &[i32]) -> String {
    fds.iter()
        .map(|&fd| value(sys!(nr::FCNTL, fd, libc::F_GETFD)))
        .collect::<Vec<_>>()
        .join(",")
}

fn closes() -> String {
    dups(&[20, 21, 22, 23]);
    let r = outcome(sys!(nr::CLOSE_RANGE, 21, 22, 0));
    let to_max = outcome(sys!(nr::CLOSE_RANGE, 23, u32::MAX, 0));
    format!("{r} {to_max} fds={}", state(&[20, 21, 22, 23]))
}

fn cloexec() -> String {
    dups(&[30, 31, 32]);
    let r = outcome(sys!(nr::CLOSE_RANGE, 31, 40, CLOSE_RANGE_CLOEXEC));
    format!("{r} fds={}", state(&[30, 31, 32]))
}

fn unshare() -> String {
    dups(&[40, 41]);
    let r = outcome(sys!(nr::CLOSE_RANGE, 41, 41, CLOSE_RANGE_UNSHARE));
    format!("{r} fds={}", state(&[40, 41]))
}

fn errors() -> String {
    format!(
        "first_above_last={} bad_flags={} empty_range={}",
        outcome(sys!(nr::CLOSE_RANGE, 5, 4, 0)),
        outcome(sys!(nr::CLOSE_RANGE, 50, 60, 1)),
        outcome(sys!(nr::CLOSE_RANGE, 900, 1000, 0)),
    )
}
