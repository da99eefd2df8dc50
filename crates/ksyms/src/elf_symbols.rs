//! Collecting function symbols from an ELF64 `.symtab`.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use object::elf::{FileHeader64, SHF_EXECINSTR, SHT_SYMTAB, STT_FUNC, STT_GNU_IFUNC, STT_NOTYPE};
use object::read::elf::{FileHeader, SectionHeader, SectionTable, Sym};
use object::Endianness;

use crate::build_error::BuildError;
use crate::encode::{encode_table, RawSymbol};

/// The parsed pieces of an ELF64 file the builder needs.
pub(crate) struct ElfView<'data> {
    pub endian: Endianness,
    pub sections: SectionTable<'data, FileHeader64<Endianness>>,
}

impl<'data> ElfView<'data> {
    pub fn parse(elf: &'data [u8]) -> Result<Self, BuildError> {
        let header = FileHeader64::<Endianness>::parse(elf)?;
        let endian = header.endian()?;
        let sections = header.sections(endian, elf)?;
        Ok(Self { endian, sections })
    }
}

/// Builds the table bytes for the function symbols of `elf`: STT_FUNC and
/// STT_GNU_IFUNC with a non-zero size, plus named STT_NOTYPE labels (asm
/// entry points; size 0 = unknown) in executable (SHF_EXECINSTR, i.e.
/// `.text*`) sections. Rust names are demangled without their hash, e.g.
/// `basalt_kernel::arch::x86_64::idt::page_fault`.
pub fn build_table(elf: &[u8]) -> Result<Vec<u8>, BuildError> {
    let view = ElfView::parse(elf)?;
    Ok(encode_table(collect_symbols(&view, elf)?)?.bytes)
}

pub(crate) fn collect_symbols(view: &ElfView, elf: &[u8]) -> Result<Vec<RawSymbol>, BuildError> {
    let endian = view.endian;
    let symbols = view.sections.symbols(endian, elf, SHT_SYMTAB)?;
    if symbols.is_empty() {
        return Err(BuildError::NoSymbolTable);
    }
    let mut collected = Vec::new();
    for (index, symbol) in symbols.enumerate() {
        let Some(section_index) = symbols.symbol_section(endian, symbol, index)? else {
            continue; // undefined, absolute or common: not code
        };
        let size = symbol.st_size(endian);
        let wanted = match symbol.st_type() {
            STT_FUNC | STT_GNU_IFUNC => size != 0,
            STT_NOTYPE => {
                let section = view.sections.section(section_index)?;
                section.sh_flags(endian).0 & SHF_EXECINSTR.0 != 0
            }
            _ => false,
        };
        if !wanted {
            continue;
        }
        let name = symbols.symbol_name(endian, symbol)?;
        if name.is_empty() || name.starts_with(b".L") {
            continue; // assembler-local labels say nothing useful
        }
        collected.push(RawSymbol {
            start: symbol.st_value(endian),
            size,
            name: demangle(name),
        });
    }
    Ok(collected)
}

/// Rust (legacy and v0) names lose their hash; anything else is kept as is.
fn demangle(name: &[u8]) -> String {
    let name = String::from_utf8_lossy(name);
    format!("{:#}", rustc_demangle::demangle(&name))
}
