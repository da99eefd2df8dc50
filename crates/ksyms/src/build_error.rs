//! Errors of the host-side builder ([`crate::build_table`], [`crate::embed`]).

use core::fmt;

/// Why a table could not be built or embedded.
#[derive(Debug)]
pub enum BuildError {
    /// The input is not a readable ELF64 file.
    Elf(object::read::Error),
    /// The ELF has no `.symtab` (it was stripped).
    NoSymbolTable,
    /// More symbols than a u32 count can hold.
    TooManySymbols { count: usize },
    /// The names blob would exceed what u32 offsets can address.
    NamesTooLarge { bytes: usize },
    /// The ELF has no `.ksyms` section.
    MissingSection,
    /// `.ksyms` is not SHT_PROGBITS (e.g. NOBITS), so it has no file bytes.
    SectionNotInFile { section_type: u32 },
    /// `.ksyms`'s file range lies outside the file.
    SectionOutsideFile,
    /// The table does not fit in `.ksyms`.
    TableTooLarge { needed: usize, capacity: usize },
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Elf(error) => write!(f, "cannot read ELF: {error}"),
            Self::NoSymbolTable => write!(f, "ELF has no .symtab (stripped?)"),
            Self::TooManySymbols { count } => {
                write!(f, "{count} symbols do not fit a u32 count")
            }
            Self::NamesTooLarge { bytes } => {
                write!(f, "{bytes} bytes of symbol names exceed u32 offsets")
            }
            Self::MissingSection => write!(f, "ELF has no .ksyms section"),
            Self::SectionNotInFile { section_type } => write!(
                f,
                ".ksyms has section type {section_type}, not SHT_PROGBITS, so it has no file bytes"
            ),
            Self::SectionOutsideFile => write!(f, ".ksyms lies outside the file"),
            Self::TableTooLarge { needed, capacity } => write!(
                f,
                "symbol table needs {needed} bytes but .ksyms holds only {capacity}; enlarge .ksyms in the linker script"
            ),
        }
    }
}

impl std::error::Error for BuildError {}

impl From<object::read::Error> for BuildError {
    fn from(error: object::read::Error) -> Self {
        Self::Elf(error)
    }
}
