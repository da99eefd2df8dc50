//! gzip member header parsing (RFC 1952, section 2.3).

use crate::InitrdError;

/// The two identification bytes that start every gzip member.
pub(crate) const GZIP_MAGIC: [u8; 2] = [0x1F, 0x8B];
/// The only compression method gzip defines.
const METHOD_DEFLATE: u8 = 8;
/// Fixed part: ID1 ID2 CM FLG MTIME(4) XFL OS.
const FIXED_LEN: usize = 10;

const FLAG_HCRC: u8 = 1 << 1;
const FLAG_EXTRA: u8 = 1 << 2;
const FLAG_NAME: u8 = 1 << 3;
const FLAG_COMMENT: u8 = 1 << 4;
const FLAGS_RESERVED: u8 = 0xE0;

/// True if `data` starts with a gzip member.
pub(crate) fn is_gzip(data: &[u8]) -> bool {
    data.starts_with(&GZIP_MAGIC)
}

/// Validates the member header at the start of `member` and returns its length, i.e. the
/// offset where the deflate stream begins. The caller has checked the magic.
pub(crate) fn header_len(member: &[u8]) -> Result<usize, InitrdError> {
    let fixed = member.get(..FIXED_LEN).ok_or(InitrdError::Truncated)?;
    let (method, flags) = match fixed {
        [_, _, method, flags, ..] => (*method, *flags),
        _ => return Err(InitrdError::Truncated),
    };
    if method != METHOD_DEFLATE {
        return Err(InitrdError::UnsupportedMethod(method));
    }
    if flags & FLAGS_RESERVED != 0 {
        return Err(InitrdError::ReservedFlags(flags));
    }

    let mut cursor = FIXED_LEN;
    if flags & FLAG_EXTRA != 0 {
        let extra_len = read_u16(member, cursor)?;
        cursor = advance(cursor, 2 + usize::from(extra_len), member)?;
    }
    if flags & FLAG_NAME != 0 {
        cursor = skip_zero_terminated(member, cursor)?;
    }
    if flags & FLAG_COMMENT != 0 {
        cursor = skip_zero_terminated(member, cursor)?;
    }
    if flags & FLAG_HCRC != 0 {
        let stored = read_u16(member, cursor)?;
        let covered = member.get(..cursor).ok_or(InitrdError::Truncated)?;
        // FHCRC is the low 16 bits of the CRC32 of all header bytes before it.
        if (crc32fast::hash(covered) & 0xFFFF) as u16 != stored {
            return Err(InitrdError::HeaderCrcMismatch);
        }
        cursor = advance(cursor, 2, member)?;
    }
    Ok(cursor)
}

fn read_u16(bytes: &[u8], at: usize) -> Result<u16, InitrdError> {
    match bytes.get(at..).and_then(|rest| rest.get(..2)) {
        Some(&[low, high]) => Ok(u16::from_le_bytes([low, high])),
        _ => Err(InitrdError::Truncated),
    }
}

/// Moves `cursor` forward by `by` bytes, failing if that leaves `bytes`.
fn advance(cursor: usize, by: usize, bytes: &[u8]) -> Result<usize, InitrdError> {
    cursor
        .checked_add(by)
        .filter(|&end| end <= bytes.len())
        .ok_or(InitrdError::Truncated)
}

/// Returns the offset just past the NUL that ends the string starting at `cursor`.
fn skip_zero_terminated(bytes: &[u8], cursor: usize) -> Result<usize, InitrdError> {
    let rest = bytes.get(cursor..).ok_or(InitrdError::Truncated)?;
    let nul = rest
        .iter()
        .position(|&byte| byte == 0)
        .ok_or(InitrdError::Truncated)?;
    advance(cursor, nul + 1, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn fixed(flags: u8) -> Vec<u8> {
        Vec::from([0x1F, 0x8B, 8, flags, 1, 2, 3, 4, 0, 3])
    }

    #[test]
    fn plain_header_is_ten_bytes() {
        assert_eq!(header_len(&fixed(0)), Ok(10));
        // FTEXT (bit 0) is informational only.
        assert_eq!(header_len(&fixed(1)), Ok(10));
    }

    #[test]
    fn optional_fields_are_skipped() {
        let mut header = fixed(FLAG_EXTRA | FLAG_NAME | FLAG_COMMENT | FLAG_HCRC);
        header.extend_from_slice(&[3, 0, b'x', b'y', b'z']);
        header.extend_from_slice(b"initrd.cpio\0");
        header.extend_from_slice(b"a comment\0");
        let crc = (crc32fast::hash(&header) & 0xFFFF) as u16;
        header.extend_from_slice(&crc.to_le_bytes());
        assert_eq!(header_len(&header), Ok(header.len()));

        let last = header.len() - 1;
        header[last] ^= 1;
        assert_eq!(header_len(&header), Err(InitrdError::HeaderCrcMismatch));
    }

    #[test]
    fn rejects_bad_method_reserved_flags_and_truncation() {
        let mut header = fixed(0);
        header[2] = 7;
        assert_eq!(header_len(&header), Err(InitrdError::UnsupportedMethod(7)));
        assert_eq!(
            header_len(&fixed(0x20)),
            Err(InitrdError::ReservedFlags(0x20))
        );
        for cut in 0..10 {
            assert_eq!(header_len(&fixed(0)[..cut]), Err(InitrdError::Truncated));
        }
        let mut extra = fixed(FLAG_EXTRA);
        extra.extend_from_slice(&[5, 0, 1, 2]);
        assert_eq!(header_len(&extra), Err(InitrdError::Truncated));
        let mut name = fixed(FLAG_NAME);
        name.extend_from_slice(b"no terminator");
        assert_eq!(header_len(&name), Err(InitrdError::Truncated));
        let mut crc = fixed(FLAG_HCRC);
        crc.push(0);
        assert_eq!(header_len(&crc), Err(InitrdError::Truncated));
    }
}
