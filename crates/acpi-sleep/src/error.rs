//! Error type for AML scanning.

use core::fmt;

/// Why a sleep-state package could not be extracted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmlError {
    /// The requested state is not one of `0..=5`.
    InvalidState(u8),
    /// No `Name (_Sx_, ...)` object appears in the AML.
    NotFound,
    /// The `_Sx_` name is followed by something other than a `Package`.
    NotAPackage,
    /// The AML ends inside the package (or its length encoding).
    Truncated,
    /// The PkgLength encoding is malformed (e.g. shorter than its own encoding).
    BadPkgLength,
    /// The package holds no elements.
    EmptyPackage,
    /// A package element is not an integer constant (opcode given).
    UnsupportedElement(u8),
    /// A sleep-type value does not fit in 16 bits.
    ValueTooLarge(u64),
    /// The table is shorter than the 36-byte SDT header or than its own length field.
    TableTooShort,
    /// The table signature is not `DSDT` or `SSDT`.
    BadSignature([u8; 4]),
    /// The table bytes do not sum to zero.
    BadChecksum,
}

impl fmt::Display for AmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidState(state) => write!(f, "sleep state S{state} does not exist (0..=5)"),
            Self::NotFound => f.write_str("sleep-state object not found in AML"),
            Self::NotAPackage => f.write_str("sleep-state object is not a package"),
            Self::Truncated => f.write_str("AML ends inside the sleep-state package"),
            Self::BadPkgLength => f.write_str("malformed AML PkgLength"),
            Self::EmptyPackage => f.write_str("sleep-state package has no elements"),
            Self::UnsupportedElement(op) => {
                write!(
                    f,
                    "sleep-state package element opcode {op:#04x} is not an integer"
                )
            }
            Self::ValueTooLarge(value) => write!(f, "sleep-type value {value:#x} exceeds 16 bits"),
            Self::TableTooShort => f.write_str("ACPI table shorter than its header or length"),
            Self::BadSignature(sig) => write!(f, "ACPI table signature {sig:?} is not DSDT/SSDT"),
            Self::BadChecksum => f.write_str("ACPI table checksum mismatch"),
        }
    }
}
