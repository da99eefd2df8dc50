//! Error types for image unpacking and cpio reading.

use core::fmt;

/// Why an initrd image could not be unpacked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitrdError {
    /// A gzip member's compression method is not deflate (8).
    UnsupportedMethod(u8),
    /// A gzip member sets reserved header flag bits.
    ReservedFlags(u8),
    /// The gzip header CRC16 (FHCRC) does not match the header bytes.
    HeaderCrcMismatch,
    /// The image ends inside a gzip header, deflate stream or trailer.
    Truncated,
    /// The deflate stream is invalid.
    CorruptData,
    /// A member's CRC32 does not match its decompressed bytes.
    CrcMismatch {
        /// CRC32 stored in the member trailer.
        expected: u32,
        /// CRC32 of the bytes actually decompressed.
        actual: u32,
    },
    /// A member's ISIZE does not match its decompressed length (mod 2^32).
    SizeMismatch {
        /// ISIZE stored in the member trailer.
        expected: u32,
        /// Decompressed length mod 2^32.
        actual: u32,
    },
    /// Non-zero bytes that are not a gzip member follow the last member.
    TrailingGarbage {
        /// Offset in the image of the first unexpected byte.
        offset: usize,
    },
    /// An allocation for the output (or the decompressor state) failed.
    OutOfMemory,
    /// The decompressed image would exceed the caller's `max_output` bytes.
    TooLarge {
        /// The limit that was hit.
        limit: usize,
    },
}

impl fmt::Display for InitrdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnsupportedMethod(method) => {
                write!(f, "gzip compression method {method} is not deflate")
            }
            Self::ReservedFlags(flags) => write!(f, "gzip header sets reserved flags {flags:#04x}"),
            Self::HeaderCrcMismatch => f.write_str("gzip header CRC mismatch"),
            Self::Truncated => f.write_str("initrd image is truncated"),
            Self::CorruptData => f.write_str("initrd deflate stream is corrupt"),
            Self::CrcMismatch { expected, actual } => {
                write!(
                    f,
                    "gzip CRC32 mismatch: stored {expected:#010x}, computed {actual:#010x}"
                )
            }
            Self::SizeMismatch { expected, actual } => {
                write!(
                    f,
                    "gzip ISIZE mismatch: stored {expected}, decompressed {actual}"
                )
            }
            Self::TrailingGarbage { offset } => {
                write!(f, "unexpected data after gzip stream at offset {offset}")
            }
            Self::OutOfMemory => f.write_str("out of memory while decompressing initrd"),
            Self::TooLarge { limit } => {
                write!(f, "decompressed initrd exceeds the limit of {limit} bytes")
            }
        }
    }
}

/// Why a cpio archive could not be read. Offsets are relative to the archive start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CpioError {
    /// The header magic is neither `070701` nor `070702`.
    BadMagic {
        /// Offset of the header.
        offset: usize,
    },
    /// A header field is not eight hexadecimal digits.
    BadHex {
        /// Offset of the header.
        offset: usize,
    },
    /// The archive ends inside a header, name or file data.
    Truncated {
        /// Offset of the header of the incomplete entry.
        offset: usize,
    },
    /// The name is empty, not NUL-terminated, or contains a NUL before its end.
    BadName {
        /// Offset of the header.
        offset: usize,
    },
    /// The name is not valid UTF-8.
    NameNotUtf8 {
        /// Offset of the header.
        offset: usize,
    },
    /// Name or file size push the entry past the addressable range.
    SizeOverflow {
        /// Offset of the header.
        offset: usize,
    },
    /// A `070702` entry's data does not sum to its header checksum.
    ChecksumMismatch {
        /// Offset of the header.
        offset: usize,
    },
    /// After NUL padding, the next archive does not start on a 4-byte boundary.
    Misaligned {
        /// Offset of the first non-NUL byte.
        offset: usize,
    },
}

impl fmt::Display for CpioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadMagic { offset } => write!(f, "cpio: bad header magic at offset {offset}"),
            Self::BadHex { offset } => {
                write!(f, "cpio: bad hex field in header at offset {offset}")
            }
            Self::Truncated { offset } => write!(f, "cpio: entry at offset {offset} is truncated"),
            Self::BadName { offset } => {
                write!(f, "cpio: malformed name in entry at offset {offset}")
            }
            Self::NameNotUtf8 { offset } => {
                write!(f, "cpio: name of entry at offset {offset} is not UTF-8")
            }
            Self::SizeOverflow { offset } => {
                write!(f, "cpio: sizes of entry at offset {offset} overflow")
            }
            Self::ChecksumMismatch { offset } => {
                write!(f, "cpio: checksum mismatch in entry at offset {offset}")
            }
            Self::Misaligned { offset } => {
                write!(f, "cpio: archive at offset {offset} is not 4-byte aligned")
            }
        }
    }
}
