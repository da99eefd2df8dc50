//! Turning an initrd image into a cpio archive: gzip is inflated, anything else is
//! passed through.

mod header;
mod inflate;
mod output;

use crate::InitrdError;
use alloc::borrow::Cow;
use header::{header_len, is_gzip};
use inflate::Inflater;
use output::Output;

/// Size of a member trailer: CRC32 then ISIZE, both little-endian.
const TRAILER_LEN: usize = 8;

/// Returns the cpio bytes of an initrd image.
///
/// If `data` starts with the gzip magic (`1f 8b`) every gzip member is inflated and the
/// outputs are concatenated; each member's CRC32 and ISIZE are verified, and NUL padding
/// after the last member is ignored. Any other data (a plain `070701` cpio archive, for
/// instance) is returned borrowed, unchanged.
///
/// Memory is only ever obtained with `try_reserve`, so exhaustion is reported as
/// [`InitrdError::OutOfMemory`] instead of aborting, and the output never grows beyond
/// `max_output` bytes ([`InitrdError::TooLarge`]). The decompressor state (about 10 KiB)
/// is heap-allocated too, though it may transit the stack when built.
pub fn unpack_image(data: &[u8], max_output: usize) -> Result<Cow<'_, [u8]>, InitrdError> {
    if !is_gzip(data) {
        return Ok(Cow::Borrowed(data));
    }
    let mut output = Output::new(max_output);
    // The final four bytes are the last member's ISIZE: for the usual single-member image
    // that is the exact output size, so one reservation suffices. It is only a hint.
    if let Some(&last_isize) = data.last_chunk::<4>() {
        output.reserve_hint(u32::from_le_bytes(last_isize));
    }
    let mut inflater = Inflater::new()?;

    let mut offset = 0;
    loop {
        let member = data.get(offset..).unwrap_or_default();
        offset += inflate_member(member, &mut inflater, &mut output)?;
        let rest = data.get(offset..).unwrap_or_default();
        if rest.iter().all(|&byte| byte == 0) {
            return Ok(Cow::Owned(output.finish()));
        }
        if !is_gzip(rest) {
            let garbage = rest.iter().position(|&byte| byte != 0).unwrap_or_default();
            return Err(InitrdError::TrailingGarbage {
                offset: offset + garbage,
            });
        }
    }
}

/// Inflates the gzip member at the start of `member`, appending to `output`; returns the
/// member's length in bytes.
fn inflate_member(
    member: &[u8],
    inflater: &mut Inflater,
    output: &mut Output,
) -> Result<usize, InitrdError> {
    let deflate_start = header_len(member)?;
    let deflate = member.get(deflate_start..).unwrap_or_default();
    let output_start = output.len();
    let deflate_len = inflater.inflate(deflate, output)?;

    let trailer_start = deflate_start + deflate_len;
    let trailer = member
        .get(trailer_start..)
        .and_then(|rest| rest.first_chunk::<TRAILER_LEN>())
        .ok_or(InitrdError::Truncated)?;
    let [c0, c1, c2, c3, s0, s1, s2, s3] = *trailer;
    let stored_crc = u32::from_le_bytes([c0, c1, c2, c3]);
    let stored_size = u32::from_le_bytes([s0, s1, s2, s3]);

    let produced = output.bytes_from(output_start);
    let actual_crc = crc32fast::hash(produced);
    if actual_crc != stored_crc {
        return Err(InitrdError::CrcMismatch {
            expected: stored_crc,
            actual: actual_crc,
        });
    }
    // ISIZE is the length modulo 2^32, so truncation is the specified comparison.
    let actual_size = produced.len() as u32;
    if actual_size != stored_size {
        return Err(InitrdError::SizeMismatch {
            expected: stored_size,
            actual: actual_size,
        });
    }
    Ok(trailer_start + TRAILER_LEN)
}
