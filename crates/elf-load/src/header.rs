//! Reading and checking the ELF header and the program header table.

use alloc::vec::Vec;
use goblin::elf::header::{
    EI_CLASS, EI_DATA, ELFCLASS64, ELFDATA2LSB, ELFMAG, EM_X86_64, ET_DYN, ET_EXEC, SELFMAG,
};
use goblin::elf64::header::Header;
use goblin::elf64::program_header::{ProgramHeader, SIZEOF_PHDR};
use scroll::{Pread, LE};

use crate::error::ElfError;
use crate::plan::{ElfKind, MAX_PROGRAM_HEADERS};

/// Checks identification, machine and type; returns the decoded header.
pub(crate) fn read_header(image: &[u8]) -> Result<(ElfKind, Header), ElfError> {
    if image.get(..SELFMAG) != Some(ELFMAG.as_slice()) {
        return Err(ElfError::NotElf);
    }
    let class = image.get(EI_CLASS).ok_or(ElfError::TruncatedHeader)?;
    if *class != ELFCLASS64 {
        return Err(ElfError::Not64Bit);
    }
    let data = image.get(EI_DATA).ok_or(ElfError::TruncatedHeader)?;
    if *data != ELFDATA2LSB {
        return Err(ElfError::NotLittleEndian);
    }
    let header: Header = image
        .pread_with(0, LE)
        .map_err(|_| ElfError::TruncatedHeader)?;
    if header.e_machine != EM_X86_64 {
        return Err(ElfError::NotX86_64 {
            machine: header.e_machine,
        });
    }
    let kind = match header.e_type {
        ET_EXEC => ElfKind::Executable,
        ET_DYN => ElfKind::SharedObject,
        other => return Err(ElfError::UnsupportedType { elf_type: other }),
    };
    Ok((kind, header))
}

/// Byte range of the program header table inside the image.
pub(crate) fn program_header_span(header: &Header) -> Result<(u64, u64), ElfError> {
    let table_len = u64::from(header.e_phnum)
        .checked_mul(SIZEOF_PHDR as u64)
        .ok_or(ElfError::ProgramHeadersOutsideFile)?;
    let end = header
        .e_phoff
        .checked_add(table_len)
        .ok_or(ElfError::ProgramHeadersOutsideFile)?;
    Ok((header.e_phoff, end))
}

/// Decodes the program header table after checking its entry size, its
/// count (like Linux, which refuses tables larger than a page) and its bounds.
pub(crate) fn read_program_headers(
    image: &[u8],
    header: &Header,
) -> Result<Vec<ProgramHeader>, ElfError> {
    if usize::from(header.e_phentsize) != SIZEOF_PHDR {
        return Err(ElfError::BadProgramHeaderSize {
            size: header.e_phentsize,
        });
    }
    if header.e_phnum > MAX_PROGRAM_HEADERS {
        return Err(ElfError::TooManyProgramHeaders {
            count: header.e_phnum,
            limit: MAX_PROGRAM_HEADERS,
        });
    }
    let (start, end) = program_header_span(header)?;
    let start = usize::try_from(start).map_err(|_| ElfError::ProgramHeadersOutsideFile)?;
    let end = usize::try_from(end).map_err(|_| ElfError::ProgramHeadersOutsideFile)?;
    let table = image
        .get(start..end)
        .ok_or(ElfError::ProgramHeadersOutsideFile)?;
    (0..usize::from(header.e_phnum))
        .map(|index| {
            let offset = index
                .checked_mul(SIZEOF_PHDR)
                .ok_or(ElfError::ProgramHeadersOutsideFile)?;
            table
                .pread_with::<ProgramHeader>(offset, LE)
                .map_err(|_| ElfError::ProgramHeadersOutsideFile)
        })
        .collect()
}
