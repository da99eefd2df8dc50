//! Raw deflate decompression of one gzip member with `miniz_oxide`'s low-level inflater.

use super::output::Output;
use crate::InitrdError;
use alloc::vec::Vec;
use miniz_oxide::inflate::core::inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
use miniz_oxide::inflate::core::{decompress, DecompressorOxide};
use miniz_oxide::inflate::TINFLStatus;

/// Heap-held decompressor state, reused across gzip members.
pub(crate) struct Inflater {
    /// Exactly one element; a `Vec` because it can be allocated fallibly (unlike `Box`).
    state: Vec<DecompressorOxide>,
}

impl Inflater {
    /// Allocates the decompressor state, reporting allocation failure.
    pub(crate) fn new() -> Result<Self, InitrdError> {
        let mut state = Vec::new();
        state
            .try_reserve_exact(1)
            .map_err(|_| InitrdError::OutOfMemory)?;
        state.push(DecompressorOxide::new());
        Ok(Self { state })
    }

    /// Inflates the raw deflate stream at the start of `deflate`, appending to `output`;
    /// returns how many input bytes the stream occupied.
    pub(crate) fn inflate(
        &mut self,
        deflate: &[u8],
        output: &mut Output,
    ) -> Result<usize, InitrdError> {
        let state = self.state.first_mut().ok_or(InitrdError::OutOfMemory)?;
        state.init();
        let member_start = output.len();
        let mut consumed = 0;
        loop {
            if output.is_full() {
                output.grow()?;
            }
            let input = deflate.get(consumed..).unwrap_or_default();
            let (window, position) = output.window(member_start);
            // The whole input is present (no HAS_MORE_INPUT), and the window holds all of
            // this member's output so far, which back-references may reach into.
            let (status, read, written) = decompress(
                state,
                input,
                window,
                position,
                TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF,
            );
            consumed += read;
            output.advance(written);
            match status {
                TINFLStatus::Done => return Ok(consumed),
                TINFLStatus::HasMoreOutput => output.grow()?,
                TINFLStatus::FailedCannotMakeProgress | TINFLStatus::NeedsMoreInput => {
                    return Err(InitrdError::Truncated)
                }
                _ => return Err(InitrdError::CorruptData),
            }
        }
    }
}
