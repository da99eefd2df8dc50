//! Constants of the table format (see the crate documentation) and the
//! error for tables that do not follow it.

use core::fmt;

/// First four bytes of every table.
pub const MAGIC: [u8; 4] = *b"KSYM";
/// Version written by this crate and the only one [`crate::lookup`] reads.
pub const FORMAT_VERSION: u32 = 1;
/// Bytes before the first entry: magic, version, count, names_len.
pub(crate) const HEADER_LEN: usize = 16;
/// Bytes of one entry: start (u64), size (u32), name offset (u32).
pub(crate) const ENTRY_LEN: usize = 16;

/// Why bytes are not a usable symbol table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableError {
    /// Fewer bytes than the 16-byte header.
    TooShort,
    /// The bytes do not start with `KSYM` (a zero-filled section, i.e. no
    /// table was embedded, ends up here).
    BadMagic,
    /// A version this crate does not read.
    UnsupportedVersion { version: u32 },
    /// The header claims more entries or name bytes than there are.
    Truncated,
}

impl fmt::Display for TableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooShort => write!(f, "symbol table is shorter than its header"),
            Self::BadMagic => write!(f, "no symbol table (magic is not KSYM)"),
            Self::UnsupportedVersion { version } => {
                write!(f, "symbol table version {version} is not supported")
            }
            Self::Truncated => write!(f, "symbol table is truncated"),
        }
    }
}
