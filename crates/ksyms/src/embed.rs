//! Writing the table into the `.ksyms` section of a linked kernel ELF.

use object::elf::SHT_PROGBITS;
use object::read::elf::SectionHeader;

use crate::build_error::BuildError;
use crate::elf_symbols::{collect_symbols, ElfView};
use crate::encode::encode_table;

/// Name of the section the table is written into.
pub const KSYMS_SECTION: &str = ".ksyms";

/// What [`embed`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmbedReport {
    /// Symbols in the table.
    pub symbols: usize,
    /// Bytes of the section the table uses.
    pub bytes_used: usize,
    /// Size of the section.
    pub capacity: usize,
}

/// Builds the table for `elf` (see [`crate::build_table`]) and writes it
/// into the file bytes of its `.ksyms` section, zero-filling the rest so
/// running it twice gives the same file. `.ksyms` must be SHT_PROGBITS (a
/// NOBITS section has no bytes in the file). On error `elf` is unchanged.
pub fn embed(elf: &mut [u8]) -> Result<EmbedReport, BuildError> {
    let (table, range) = {
        let data: &[u8] = elf;
        let view = ElfView::parse(data)?;
        let (_, section) = view
            .sections
            .section_by_name(view.endian, KSYMS_SECTION.as_bytes())
            .ok_or(BuildError::MissingSection)?;
        let section_type = section.sh_type(view.endian);
        if section_type != SHT_PROGBITS {
            return Err(BuildError::SectionNotInFile {
                section_type: section_type.0,
            });
        }
        let start = usize::try_from(section.sh_offset(view.endian))
            .map_err(|_| BuildError::SectionOutsideFile)?;
        let capacity = usize::try_from(section.sh_size(view.endian))
            .map_err(|_| BuildError::SectionOutsideFile)?;
        let end = start
            .checked_add(capacity)
            .filter(|&end| end <= data.len())
            .ok_or(BuildError::SectionOutsideFile)?;
        let table = encode_table(collect_symbols(&view, data)?)?;
        (table, start..end)
    };
    let capacity = range.len();
    if table.bytes.len() > capacity {
        return Err(BuildError::TableTooLarge {
            needed: table.bytes.len(),
            capacity,
        });
    }
    let section = elf.get_mut(range).ok_or(BuildError::SectionOutsideFile)?;
    let (used, rest) = section
        .split_at_mut_checked(table.bytes.len())
        .ok_or(BuildError::SectionOutsideFile)?;
    used.copy_from_slice(&table.bytes);
    rest.fill(0);
    Ok(EmbedReport {
        symbols: table.symbols,
        bytes_used: table.bytes.len(),
        capacity,
    })
}
