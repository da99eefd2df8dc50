//! Fixed-capacity UTF-8 text copied out of boot structures, and reading C strings.

use crate::phys::{offset_address, PhysRead};
use crate::BootInfoError;

/// Up to `N` bytes of text that are known to be valid UTF-8.
#[derive(Debug, Clone)]
pub(crate) struct TextBuffer<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

/// How a C string ended when read into a [`TextBuffer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StringEnd {
    /// A NUL terminator was found (or the available bytes ran out).
    Complete,
    /// The buffer filled up before the string ended; the tail was not copied.
    Truncated,
}

impl<const N: usize> TextBuffer<N> {
    /// An empty buffer.
    pub(crate) const fn new() -> Self {
        Self {
            bytes: [0; N],
            len: 0,
        }
    }

    /// Empties the buffer.
    pub(crate) fn clear(&mut self) {
        self.len = 0;
    }

    /// The text.
    pub(crate) fn as_str(&self) -> &str {
        // Only validated text is ever stored, so the fallback is unreachable.
        core::str::from_utf8(self.bytes.get(..self.len).unwrap_or_default()).unwrap_or_default()
    }

    /// Reads the NUL-terminated string at `phys`, looking at no more than `available`
    /// bytes (a string filling them all is accepted without a terminator). Stops early
    /// if the string exceeds the capacity. The bytes are not yet UTF-8 checked; call
    /// [`Self::validate`] or [`Self::keep_valid_prefix`].
    pub(crate) fn read_c_string(
        &mut self,
        mem: &impl PhysRead,
        phys: u64,
        available: u64,
    ) -> Result<StringEnd, BootInfoError> {
        self.len = 0;
        let mut offset = 0u64;
        while offset < available {
            let address = offset_address(phys, offset)?;
            let mut byte = [0u8; 1];
            if !mem.read(address, &mut byte) {
                return Err(BootInfoError::Unreadable {
                    phys: address,
                    len: 1,
                });
            }
            if byte[0] == 0 {
                return Ok(StringEnd::Complete);
            }
            let Some(slot) = self.bytes.get_mut(self.len) else {
                return Ok(StringEnd::Truncated);
            };
            *slot = byte[0];
            self.len += 1;
            offset += 1;
        }
        Ok(StringEnd::Complete)
    }

    /// Checks the stored bytes are UTF-8; on failure the buffer is emptied.
    pub(crate) fn validate(&mut self) -> bool {
        let valid = core::str::from_utf8(self.bytes.get(..self.len).unwrap_or_default()).is_ok();
        if !valid {
            self.len = 0;
        }
        valid
    }

    /// Drops whatever follows the longest valid UTF-8 prefix (for cosmetic text that
    /// may have been cut mid-character).
    pub(crate) fn keep_valid_prefix(&mut self) {
        if let Err(error) = core::str::from_utf8(self.bytes.get(..self.len).unwrap_or_default()) {
            self.len = error.valid_up_to();
        }
    }
}
