//! The byte budget for file data, so user space cannot exhaust kernel memory through files.

/// Bytes charged for file pages and symlink targets, against a fixed limit.
#[derive(Debug, Clone)]
pub(crate) struct Budget {
    used: u64,
    limit: u64,
}

impl Budget {
    pub(crate) fn new(limit: u64) -> Self {
        Self { used: 0, limit }
    }

    pub(crate) fn used(&self) -> u64 {
        self.used
    }

    pub(crate) fn limit(&self) -> u64 {
        self.limit
    }

    /// Charges `bytes` if they fit under the limit; false (nothing charged) if not.
    pub(crate) fn try_charge(&mut self, bytes: u64) -> bool {
        match self.used.checked_add(bytes) {
            Some(total) if total <= self.limit => {
                self.used = total;
                true
            }
            _ => false,
        }
    }

    /// Returns `bytes` charged earlier.
    pub(crate) fn refund(&mut self, bytes: u64) {
        // Saturating: a refund never exceeds what was charged, but an accounting slip must not wrap around.
        debug_assert!(bytes <= self.used);
        self.used = self.used.saturating_sub(bytes);
    }
}
