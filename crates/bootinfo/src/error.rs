//! Error type for boot-information parsing.

use core::fmt;

/// Why the boot information could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BootInfoError {
    /// The PVH start_info magic is wrong.
    BadMagic {
        /// The value found instead of the magic.
        found: u32,
    },
    /// The structure version is not supported (PVH version 0 has no memory map).
    UnsupportedVersion(u32),
    /// [`PhysRead`](crate::PhysRead) refused to read a range.
    Unreadable {
        /// First physical address of the range.
        phys: u64,
        /// Length of the range in bytes.
        len: usize,
    },
    /// A structure is internally inconsistent (the text says which).
    Malformed(&'static str),
    /// The raw memory map is longer than [`MAX_RAW_REGIONS`](crate::MAX_RAW_REGIONS) or
    /// the sanitized one needs more than [`MAX_REGIONS`](crate::MAX_REGIONS) entries.
    TooManyRegions,
    /// The command line is longer than [`MAX_CMDLINE_LEN`](crate::MAX_CMDLINE_LEN) bytes.
    CmdlineTooLong,
    /// The command line is not valid UTF-8.
    CmdlineNotUtf8,
    /// An address plus a size exceeds the 64-bit address space.
    AddressOverflow,
    /// No memory map was provided.
    MissingMemoryMap,
}

impl fmt::Display for BootInfoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadMagic { found } => write!(f, "boot info magic mismatch (found {found:#010x})"),
            Self::UnsupportedVersion(version) => {
                write!(f, "boot info version {version} is not supported")
            }
            Self::Unreadable { phys, len } => {
                write!(f, "cannot read {len} bytes of boot info at {phys:#x}")
            }
            Self::Malformed(what) => write!(f, "malformed boot info: {what}"),
            Self::TooManyRegions => f.write_str("memory map has too many regions"),
            Self::CmdlineTooLong => f.write_str("kernel command line is too long"),
            Self::CmdlineNotUtf8 => f.write_str("kernel command line is not valid UTF-8"),
            Self::AddressOverflow => f.write_str("boot info address range overflows"),
            Self::MissingMemoryMap => f.write_str("boot info has no memory map"),
        }
    }
}
