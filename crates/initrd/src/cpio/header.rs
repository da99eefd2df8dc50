//! The fixed 110-byte newc header: a 6-byte magic and 13 eight-digit hex fields.

use crate::CpioError;

/// Length of a newc header.
pub(crate) const HEADER_LEN: usize = 110;
/// newc without checksums.
const MAGIC_NEWC: &[u8; 6] = b"070701";
/// newc whose `check` field is the byte sum of the file data.
const MAGIC_NEWC_CRC: &[u8; 6] = b"070702";
const MAGIC_LEN: usize = 6;
const FIELD_LEN: usize = 8;
const FIELD_COUNT: usize = 13;

/// The decoded header fields, in on-disk order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) ino: u32,
    pub(crate) mode: u32,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    pub(crate) nlink: u32,
    pub(crate) mtime: u32,
    pub(crate) file_size: u32,
    pub(crate) dev_major: u32,
    pub(crate) dev_minor: u32,
    pub(crate) rdev_major: u32,
    pub(crate) rdev_minor: u32,
    pub(crate) name_size: u32,
    /// The data checksum, present only for `070702` entries.
    pub(crate) checksum: Option<u32>,
}

/// Decodes the header at `offset` of `archive`.
pub(crate) fn parse(archive: &[u8], offset: usize) -> Result<Header, CpioError> {
    // Check whatever part of the magic is present first, so garbage shorter than a
    // header is reported as such rather than as truncation.
    let rest = archive.get(offset..).unwrap_or_default();
    let magic_part = rest.get(..MAGIC_LEN).unwrap_or(rest);
    if !MAGIC_NEWC.starts_with(magic_part) && !MAGIC_NEWC_CRC.starts_with(magic_part) {
        return Err(CpioError::BadMagic { offset });
    }
    let bytes = archive
        .get(offset..)
        .and_then(|rest| rest.first_chunk::<HEADER_LEN>())
        .ok_or(CpioError::Truncated { offset })?;
    let (magic, fields) = bytes.split_at(MAGIC_LEN);
    let has_checksum = match magic {
        m if m == MAGIC_NEWC => false,
        m if m == MAGIC_NEWC_CRC => true,
        _ => return Err(CpioError::BadMagic { offset }),
    };

    let mut values = [0u32; FIELD_COUNT];
    for (value, field) in values.iter_mut().zip(fields.chunks_exact(FIELD_LEN)) {
        *value = parse_hex(field).ok_or(CpioError::BadHex { offset })?;
    }
    let [ino, mode, uid, gid, nlink, mtime, file_size, dev_major, dev_minor, rdev_major, rdev_minor, name_size, check] =
        values;
    Ok(Header {
        ino,
        mode,
        uid,
        gid,
        nlink,
        mtime,
        file_size,
        dev_major,
        dev_minor,
        rdev_major,
        rdev_minor,
        name_size,
        checksum: has_checksum.then_some(check),
    })
}

/// Parses exactly eight hex digits (either case); anything else is rejected.
fn parse_hex(field: &[u8]) -> Option<u32> {
    field.iter().try_fold(0u32, |acc, &byte| {
        let digit = char::from(byte).to_digit(16)?;
        Some((acc << 4) | digit)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn header_bytes(magic: &[u8; 6], fields: [u32; FIELD_COUNT]) -> Vec<u8> {
        let mut bytes = Vec::from(*magic);
        for field in fields {
            bytes.extend_from_slice(std::format!("{field:08X}").as_bytes());
        }
        bytes
    }

    #[test]
    fn decodes_all_fields_in_order() {
        let fields = [1, 0o100644, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
        let parsed = parse(&header_bytes(MAGIC_NEWC, fields), 0).unwrap();
        assert_eq!(
            parsed,
            Header {
                ino: 1,
                mode: 0o100644,
                uid: 2,
                gid: 3,
                nlink: 4,
                mtime: 5,
                file_size: 6,
                dev_major: 7,
                dev_minor: 8,
                rdev_major: 9,
                rdev_minor: 10,
                name_size: 11,
                checksum: None,
            }
        );
        let crc = parse(&header_bytes(MAGIC_NEWC_CRC, fields), 0).unwrap();
        assert_eq!(crc.checksum, Some(12));
    }

    #[test]
    fn accepts_lowercase_hex_and_max_values() {
        let mut bytes = header_bytes(MAGIC_NEWC, [u32::MAX; FIELD_COUNT]);
        bytes[6..14].copy_from_slice(b"deadbeef");
        assert_eq!(parse(&bytes, 0).unwrap().ino, 0xDEAD_BEEF);
        assert_eq!(parse(&bytes, 0).unwrap().mode, u32::MAX);
    }

    #[test]
    fn rejects_bad_magic_hex_and_truncation() {
        let good = header_bytes(MAGIC_NEWC, [0; FIELD_COUNT]);
        let mut odc = good.clone();
        odc[..6].copy_from_slice(b"070707");
        assert_eq!(parse(&odc, 0), Err(CpioError::BadMagic { offset: 0 }));
        for (position, bad) in [(6, b'g'), (50, b' '), (109, b'+'), (80, b'x')] {
            let mut corrupt = good.clone();
            corrupt[position] = bad;
            assert_eq!(parse(&corrupt, 0), Err(CpioError::BadHex { offset: 0 }));
        }
        for cut in 0..HEADER_LEN {
            assert_eq!(
                parse(&good[..cut], 0),
                Err(CpioError::Truncated { offset: 0 })
            );
        }
        assert_eq!(
            parse(&good, HEADER_LEN),
            Err(CpioError::Truncated { offset: HEADER_LEN })
        );
        assert_eq!(parse(&good, 1), Err(CpioError::BadMagic { offset: 1 }));
        assert_eq!(
            parse(&good, usize::MAX),
            Err(CpioError::Truncated { offset: usize::MAX })
        );
    }
}
