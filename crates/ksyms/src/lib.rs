//! Symbolized kernel backtraces.
//!
//! The kernel image has a zero-filled, loaded section `.ksyms`. After linking,
//! the build tool calls [`embed`] (feature `build`, std) which reads the ELF
//! symbol table and writes a compact table into that section's file bytes; at
//! run time the kernel calls [`lookup`] (no_std, no alloc) on the section.
//!
//! # Table format (version 1, all integers little-endian)
//! ```text
//! offset 0   magic  b"KSYM"
//! offset 4   u32    version (1)
//! offset 8   u32    count: number of entries
//! offset 12  u32    names_len: size of the names blob in bytes
//! offset 16  count entries of 16 bytes, sorted by start, starts unique:
//!              u64 start address
//!              u32 size in bytes (0 = unknown, e.g. an asm label)
//!              u32 name offset into the names blob
//! then       names blob: UTF-8 names, each NUL-terminated (may be shared)
//! ```
//! Bytes after the blob are ignored (the rest of the section stays zero).
//!
//! # Lookup rule
//! An address belongs to the nearest symbol starting at or below it. If that
//! symbol has a known size and the address is past its end, the address is in
//! a gap (padding, data) and the lookup finds nothing. A symbol of unknown
//! size covers everything up to the next symbol.
#![no_std]
#![forbid(unsafe_code)]

#[cfg(feature = "build")]
extern crate alloc;
#[cfg(any(feature = "build", test))]
extern crate std;

mod format;
mod table;

pub use format::{TableError, FORMAT_VERSION, MAGIC};
pub use table::{lookup, KsymTable, Symbol};

#[cfg(feature = "build")]
mod build_error;
#[cfg(feature = "build")]
mod elf_symbols;
#[cfg(feature = "build")]
mod embed;
#[cfg(feature = "build")]
mod encode;

#[cfg(feature = "build")]
pub use build_error::BuildError;
#[cfg(feature = "build")]
pub use elf_symbols::build_table;
#[cfg(feature = "build")]
pub use embed::{embed, EmbedReport, KSYMS_SECTION};

#[cfg(test)]
mod test_encoder;
#[cfg(all(test, feature = "build"))]
mod tests_build;
#[cfg(test)]
mod tests_lookup;
