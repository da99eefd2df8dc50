//! Inode timestamps.

/// A point in time as inodes store it: seconds and nanoseconds since the Unix epoch (`struct timespec`).
///
/// The filesystem never reads a clock; every operation that changes times takes the current time from the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp {
    /// Whole seconds since 1970-01-01 00:00:00 UTC (negative before).
    pub secs: i64,
    /// Nanoseconds within the second, `0..1_000_000_000`.
    pub nanos: u32,
}

impl Timestamp {
    /// A timestamp of `secs` seconds and `nanos` nanoseconds.
    pub const fn new(secs: i64, nanos: u32) -> Self {
        Self { secs, nanos }
    }

    /// Whole seconds from `earlier` to `self` (negative if `self` is earlier); saturates instead of overflowing.
    pub(crate) fn seconds_since(self, earlier: Timestamp) -> i64 {
        self.secs.saturating_sub(earlier.secs)
    }
}
