//! Stripping and checking the standard ACPI table header of a DSDT/SSDT.

use crate::AmlError;

/// Size of the common ACPI System Description Table header.
const SDT_HEADER_LEN: usize = 36;

/// Returns the AML body of a whole DSDT or SSDT (the bytes after its 36-byte header, up to
/// the header's length field), after checking the signature and checksum.
///
/// Bytes beyond the length field are ignored, so the caller may pass a larger mapping.
pub fn sdt_body(table: &[u8]) -> Result<&[u8], AmlError> {
    let header = table.get(..SDT_HEADER_LEN).ok_or(AmlError::TableTooShort)?;
    let mut signature = [0u8; 4];
    signature.copy_from_slice(header.get(..4).ok_or(AmlError::TableTooShort)?);
    if &signature != b"DSDT" && &signature != b"SSDT" {
        return Err(AmlError::BadSignature(signature));
    }
    let mut length_bytes = [0u8; 4];
    length_bytes.copy_from_slice(header.get(4..8).ok_or(AmlError::TableTooShort)?);
    let length =
        usize::try_from(u32::from_le_bytes(length_bytes)).map_err(|_| AmlError::TableTooShort)?;
    if length < SDT_HEADER_LEN {
        return Err(AmlError::TableTooShort);
    }
    let whole = table.get(..length).ok_or(AmlError::TableTooShort)?;
    let sum = whole.iter().fold(0u8, |acc, &byte| acc.wrapping_add(byte));
    if sum != 0 {
        return Err(AmlError::BadChecksum);
    }
    Ok(whole.get(SDT_HEADER_LEN..).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn table(signature: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(signature);
        let length = u32::try_from(SDT_HEADER_LEN + body.len()).unwrap();
        bytes.extend_from_slice(&length.to_le_bytes());
        bytes.resize(SDT_HEADER_LEN, 0);
        bytes.extend_from_slice(body);
        let sum = bytes.iter().fold(0u8, |acc, &b| acc.wrapping_add(b));
        bytes[9] = 0u8.wrapping_sub(sum);
        bytes
    }

    #[test]
    fn returns_body_of_valid_tables_and_ignores_trailing_bytes() {
        let dsdt = table(b"DSDT", &[1, 2, 3]);
        assert_eq!(sdt_body(&dsdt), Ok(&[1u8, 2, 3][..]));
        let mut padded = table(b"SSDT", &[9]);
        padded.extend_from_slice(&[0xEE; 5]);
        assert_eq!(sdt_body(&padded), Ok(&[9u8][..]));
    }

    #[test]
    fn rejects_bad_tables() {
        assert_eq!(sdt_body(&[0; 10]), Err(AmlError::TableTooShort));
        assert_eq!(
            sdt_body(&table(b"FACP", &[])),
            Err(AmlError::BadSignature(*b"FACP"))
        );
        let mut corrupt = table(b"DSDT", &[1, 2]);
        corrupt[37] ^= 0x40;
        assert_eq!(sdt_body(&corrupt), Err(AmlError::BadChecksum));
        let mut too_long = table(b"DSDT", &[1]);
        too_long[4] = 200;
        assert_eq!(sdt_body(&too_long), Err(AmlError::TableTooShort));
        let mut too_small = table(b"DSDT", &[]);
        too_small[4] = 10;
        assert_eq!(sdt_body(&too_small), Err(AmlError::TableTooShort));
    }
}
