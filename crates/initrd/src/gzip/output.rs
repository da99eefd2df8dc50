//! The growing output buffer, with every allocation fallible and bounded.

use crate::InitrdError;
use alloc::vec::Vec;

/// Smallest growth step, so tiny images do not reallocate byte by byte.
const MIN_GROWTH: usize = 64 * 1024;

/// Decompressed bytes so far plus zeroed spare room for the decompressor to write into.
pub(crate) struct Output {
    /// `buffer[..filled]` is output; the rest is zeroed spare room.
    buffer: Vec<u8>,
    filled: usize,
    limit: usize,
}

impl Output {
    /// An empty output that will never exceed `limit` bytes.
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            buffer: Vec::new(),
            filled: 0,
            limit,
        }
    }

    /// Tries to reserve `expected` bytes (capped at the limit) up front; a failure is
    /// ignored because the hint may be wrong and [`Self::grow`] will retry smaller steps.
    pub(crate) fn reserve_hint(&mut self, expected: u32) {
        let wanted = usize::try_from(expected)
            .unwrap_or(usize::MAX)
            .min(self.limit);
        let _ = self.buffer.try_reserve_exact(wanted);
    }

    /// Bytes of output produced so far.
    pub(crate) fn len(&self) -> usize {
        self.filled
    }

    /// True if there is no spare room left to decompress into.
    pub(crate) fn is_full(&self) -> bool {
        self.filled >= self.buffer.len()
    }

    /// Adds spare room by doubling (at least [`MIN_GROWTH`]), staying within capacity
    /// already reserved when there is some, and never past the limit. Growing in steps
    /// keeps zero-filling proportional to the real output even if the hint was too big.
    pub(crate) fn grow(&mut self) -> Result<(), InitrdError> {
        let current = self.buffer.len();
        let doubled = current
            .saturating_mul(2)
            .max(current.saturating_add(MIN_GROWTH));
        let reserved = self.buffer.capacity();
        let target = if reserved > current {
            doubled.min(reserved)
        } else {
            doubled
        }
        .min(self.limit);
        if target <= current {
            return Err(InitrdError::TooLarge { limit: self.limit });
        }
        self.buffer
            .try_reserve_exact(target - current)
            .map_err(|_| InitrdError::OutOfMemory)?;
        self.buffer.resize(target, 0);
        Ok(())
    }

    /// Everything from `start` to the end of the spare room, and the write position
    /// within that slice (the decompressor needs earlier output for back-references).
    pub(crate) fn window(&mut self, start: usize) -> (&mut [u8], usize) {
        let position = self.filled.saturating_sub(start);
        (self.buffer.get_mut(start..).unwrap_or_default(), position)
    }

    /// Records that the decompressor wrote `count` more bytes.
    pub(crate) fn advance(&mut self, count: usize) {
        self.filled = self.filled.saturating_add(count).min(self.buffer.len());
    }

    /// The output produced since `start`.
    pub(crate) fn bytes_from(&self, start: usize) -> &[u8] {
        self.buffer.get(start..self.filled).unwrap_or_default()
    }

    /// The finished output, without spare room.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.buffer.truncate(self.filled);
        self.buffer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_within_limit_then_reports_too_large() {
        let mut output = Output::new(100_000);
        assert!(output.is_full());
        output.grow().unwrap();
        assert_eq!(output.window(0).0.len(), MIN_GROWTH);
        output.advance(MIN_GROWTH);
        output.grow().unwrap();
        assert_eq!(output.window(0).0.len(), 100_000);
        output.advance(1_000_000);
        assert_eq!(output.len(), 100_000);
        assert_eq!(output.grow(), Err(InitrdError::TooLarge { limit: 100_000 }));
        assert_eq!(output.finish().len(), 100_000);
    }

    #[test]
    fn hint_is_capped_and_used_first() {
        let mut output = Output::new(10);
        output.reserve_hint(u32::MAX);
        output.grow().unwrap();
        assert_eq!(output.window(0).0.len(), 10);
        let mut exact = Output::new(usize::MAX);
        exact.reserve_hint(5);
        exact.grow().unwrap();
        assert_eq!(exact.window(0).0.len(), 5);
    }
}
