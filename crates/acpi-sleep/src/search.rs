//! Locating `Name (_Sx_, Package () {...})` in an AML byte stream.

use crate::{integer, pkg_length, AmlError, SleepType};

const NAME_OP: u8 = 0x08;
const ROOT_PREFIX: u8 = b'\\';
const PACKAGE_OP: u8 = 0x12;

/// Finds `\_S5_` (soft off) in a DSDT/SSDT body (the bytes after the 36-byte SDT header).
pub fn find_s5(aml: &[u8]) -> Result<SleepType, AmlError> {
    find_sleep_state(aml, 5)
}

/// Finds `\_Sx_` for `state` in `0..=5` in a DSDT/SSDT body.
///
/// Candidates that look like `NameOp [\] _Sx_` but do not decode are skipped so that a
/// stray byte pattern cannot hide the real object; if no candidate decodes, the error of
/// the first candidate is returned (or [`AmlError::NotFound`] when there is none).
///
/// A package with a single element is the legacy packed form: `SLP_TYPa` in bits 0..8 and
/// `SLP_TYPb` in bits 8..16 of that integer (as ACPICA reads it).
pub fn find_sleep_state(aml: &[u8], state: u8) -> Result<SleepType, AmlError> {
    if state > 5 {
        return Err(AmlError::InvalidState(state));
    }
    let name = [b'_', b'S', b'0' + state, b'_'];
    let mut first_error = None;
    for (name_start, window) in aml.windows(name.len()).enumerate() {
        if window != name || !preceded_by_name_op(aml, name_start) {
            continue;
        }
        let after_name = aml.get(name_start + name.len()..).unwrap_or_default();
        match parse_sleep_package(after_name) {
            Ok(sleep) => return Ok(sleep),
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    Err(first_error.unwrap_or(AmlError::NotFound))
}

/// True if the NameString at `name_start` is the operand of a `NameOp`, with or without
/// a root prefix in between.
fn preceded_by_name_op(aml: &[u8], name_start: usize) -> bool {
    let byte_before = |distance: usize| {
        name_start
            .checked_sub(distance)
            .and_then(|index| aml.get(index).copied())
    };
    match byte_before(1) {
        Some(NAME_OP) => true,
        Some(ROOT_PREFIX) => byte_before(2) == Some(NAME_OP),
        _ => false,
    }
}

/// Decodes `PackageOp PkgLength NumElements Integer...` at the start of `bytes`.
fn parse_sleep_package(bytes: &[u8]) -> Result<SleepType, AmlError> {
    let (&opcode, after_opcode) = bytes.split_first().ok_or(AmlError::Truncated)?;
    if opcode != PACKAGE_OP {
        return Err(AmlError::NotAPackage);
    }
    let length = pkg_length::decode(after_opcode)?;
    // PkgLength counts from its own first byte to the end of the package.
    let package = after_opcode
        .get(..length.length as usize)
        .ok_or(AmlError::Truncated)?;
    let contents = package.get(length.encoded_len..).unwrap_or_default();
    let (&element_count, mut elements) = contents.split_first().ok_or(AmlError::Truncated)?;

    let mut values = [0u64; 2];
    let wanted = usize::from(element_count).min(values.len());
    if wanted == 0 {
        return Err(AmlError::EmptyPackage);
    }
    for value in values.iter_mut().take(wanted) {
        let (decoded, used) = integer::decode(elements)?;
        *value = decoded;
        elements = elements.get(used..).unwrap_or_default();
    }

    let [first, second] = values;
    if wanted == 1 {
        // Legacy single-integer form: two bytes packed into one value.
        return Ok(SleepType {
            slp_typ_a: (first & 0xFF) as u16,
            slp_typ_b: ((first >> 8) & 0xFF) as u16,
        });
    }
    Ok(SleepType {
        slp_typ_a: narrow(first)?,
        slp_typ_b: narrow(second)?,
    })
}

fn narrow(value: u64) -> Result<u16, AmlError> {
    u16::try_from(value).map_err(|_| AmlError::ValueTooLarge(value))
}
