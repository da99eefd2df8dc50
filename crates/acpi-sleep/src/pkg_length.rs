//! AML `PkgLength` decoding (ACPI spec, "Package Length Encoding").

use crate::AmlError;

/// A decoded `PkgLength`: the package length (which counts the PkgLength bytes themselves)
/// and how many bytes the encoding took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PkgLength {
    /// Bytes from the first PkgLength byte to the end of the package.
    pub(crate) length: u32,
    /// Size of the PkgLength encoding itself (1..=4).
    pub(crate) encoded_len: usize,
}

/// Decodes the PkgLength at the start of `bytes`.
///
/// The lead byte's top two bits give the number of follow bytes (0..=3). With none, its low
/// six bits are the length; otherwise its low four bits are the least significant nibble
/// and each follow byte adds eight more significant bits.
pub(crate) fn decode(bytes: &[u8]) -> Result<PkgLength, AmlError> {
    let (&lead, rest) = bytes.split_first().ok_or(AmlError::Truncated)?;
    let follow_count = usize::from(lead >> 6);
    if follow_count == 0 {
        return Ok(PkgLength {
            length: u32::from(lead & 0x3F),
            encoded_len: 1,
        });
    }
    let follow = rest.get(..follow_count).ok_or(AmlError::Truncated)?;
    let mut length = u32::from(lead & 0x0F);
    for (index, &byte) in follow.iter().enumerate() {
        // Follow bytes sit above the lead nibble: bits 4..12, 12..20, 20..28.
        length |= u32::from(byte) << (4 + 8 * index);
    }
    let encoded_len = 1 + follow_count;
    // The length includes the encoding, so anything smaller is impossible.
    if (length as usize) < encoded_len {
        return Err(AmlError::BadPkgLength);
    }
    Ok(PkgLength {
        length,
        encoded_len,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_byte_form_uses_six_bits() {
        assert_eq!(
            decode(&[0x06]),
            Ok(PkgLength {
                length: 6,
                encoded_len: 1
            })
        );
        assert_eq!(
            decode(&[0x3F, 0xAA]),
            Ok(PkgLength {
                length: 63,
                encoded_len: 1
            })
        );
        assert_eq!(
            decode(&[0x00]),
            Ok(PkgLength {
                length: 0,
                encoded_len: 1
            })
        );
    }

    #[test]
    fn multi_byte_forms_stack_nibble_and_bytes() {
        // 0x4A 0x12: one follow byte, length = 0xA | 0x12 << 4 = 0x12A.
        assert_eq!(
            decode(&[0x4A, 0x12]),
            Ok(PkgLength {
                length: 0x12A,
                encoded_len: 2
            })
        );
        assert_eq!(
            decode(&[0x85, 0x34, 0x12]),
            Ok(PkgLength {
                length: 0x12345,
                encoded_len: 3
            })
        );
        assert_eq!(
            decode(&[0xC1, 0x32, 0x54, 0x76]),
            Ok(PkgLength {
                length: 0x765_4321,
                encoded_len: 4
            })
        );
    }

    #[test]
    fn truncated_and_impossible_lengths_are_errors() {
        assert_eq!(decode(&[]), Err(AmlError::Truncated));
        assert_eq!(decode(&[0x40]), Err(AmlError::Truncated));
        assert_eq!(decode(&[0xC0, 0x00, 0x00]), Err(AmlError::Truncated));
        assert_eq!(decode(&[0x41, 0x00]), Err(AmlError::BadPkgLength));
    }
}
