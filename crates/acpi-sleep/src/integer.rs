//! AML integer constants as they appear in package elements.

use crate::AmlError;

const ZERO_OP: u8 = 0x00;
const ONE_OP: u8 = 0x01;
const BYTE_PREFIX: u8 = 0x0A;
const WORD_PREFIX: u8 = 0x0B;
const DWORD_PREFIX: u8 = 0x0C;
const QWORD_PREFIX: u8 = 0x0E;
const ONES_OP: u8 = 0xFF;

/// Decodes one integer constant at the start of `bytes`; returns the value and the number
/// of bytes it occupied.
pub(crate) fn decode(bytes: &[u8]) -> Result<(u64, usize), AmlError> {
    let (&opcode, rest) = bytes.split_first().ok_or(AmlError::Truncated)?;
    let payload_len = match opcode {
        ZERO_OP => return Ok((0, 1)),
        ONE_OP => return Ok((1, 1)),
        ONES_OP => return Ok((u64::MAX, 1)),
        BYTE_PREFIX => 1,
        WORD_PREFIX => 2,
        DWORD_PREFIX => 4,
        QWORD_PREFIX => 8,
        other => return Err(AmlError::UnsupportedElement(other)),
    };
    let payload = rest.get(..payload_len).ok_or(AmlError::Truncated)?;
    // AML integers are little-endian.
    let value = payload
        .iter()
        .rev()
        .fold(0u64, |acc, &byte| (acc << 8) | u64::from(byte));
    Ok((value, 1 + payload_len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_every_constant_form() {
        assert_eq!(decode(&[0x00]), Ok((0, 1)));
        assert_eq!(decode(&[0x01]), Ok((1, 1)));
        assert_eq!(decode(&[0xFF]), Ok((u64::MAX, 1)));
        assert_eq!(decode(&[0x0A, 0x05]), Ok((5, 2)));
        assert_eq!(decode(&[0x0B, 0x34, 0x12]), Ok((0x1234, 3)));
        assert_eq!(
            decode(&[0x0C, 0x78, 0x56, 0x34, 0x12]),
            Ok((0x1234_5678, 5))
        );
        assert_eq!(
            decode(&[0x0E, 1, 2, 3, 4, 5, 6, 7, 8]),
            Ok((0x0807_0605_0403_0201, 9))
        );
    }

    #[test]
    fn rejects_truncated_and_non_integer_elements() {
        assert_eq!(decode(&[]), Err(AmlError::Truncated));
        assert_eq!(decode(&[0x0A]), Err(AmlError::Truncated));
        assert_eq!(decode(&[0x0C, 1, 2, 3]), Err(AmlError::Truncated));
        assert_eq!(
            decode(&[0x0D, b'a', 0]),
            Err(AmlError::UnsupportedElement(0x0D))
        );
    }
}
