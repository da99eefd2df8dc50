//! [`plan`]: validate an ELF64 x86-64 image and describe how to map it.

use alloc::string::String;
use alloc::vec::Vec;
use goblin::elf::program_header::{PF_R, PF_W, PF_X, PT_GNU_STACK, PT_INTERP, PT_LOAD, PT_PHDR};
use goblin::elf64::program_header::{ProgramHeader, SIZEOF_PHDR};

use crate::error::ElfError;
use crate::header::{program_header_span, read_header, read_program_headers};

/// Page size the plan is checked against (x86-64 base pages).
pub const PAGE_SIZE: u64 = 4096;

/// Most program headers accepted. Linux refuses tables larger than one page
/// (4096 / 56 = 73 entries); real binaries have about a dozen.
pub const MAX_PROGRAM_HEADERS: u16 = 64;

/// Longest PT_INTERP accepted, NUL included (Linux's PATH_MAX).
pub const MAX_INTERPRETER_LEN: u64 = 4096;

/// One PT_LOAD segment, with the load bias already added to `vaddr`.
///
/// Map `[vaddr, vaddr + mem_size)`: the first `file_size` bytes come from the
/// image at `file_offset`, the rest are zero (`.bss`). Segments never share a
/// byte, but two may share a page at their boundary (older linkers do this);
/// such a page needs the bytes and the permissions of both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Biased start address (not necessarily page-aligned).
    pub vaddr: u64,
    /// Bytes of address space, at least `file_size`, never 0.
    pub mem_size: u64,
    /// Where the file-backed bytes start in the image.
    pub file_offset: u64,
    /// How many bytes come from the image.
    pub file_size: u64,
    /// PF_R.
    pub readable: bool,
    /// PF_W.
    pub writable: bool,
    /// PF_X.
    pub executable: bool,
    /// `p_align` as written in the file (informational; congruence is
    /// checked against [`PAGE_SIZE`]).
    pub align: u64,
}

impl Segment {
    /// Exclusive end address (`vaddr + mem_size`; cannot overflow in a plan).
    pub fn end(&self) -> u64 {
        self.vaddr.saturating_add(self.mem_size)
    }

    fn contains(&self, addr: u64) -> bool {
        self.vaddr <= addr && addr < self.end()
    }
}

/// The ELF file type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElfKind {
    /// ET_EXEC: fixed addresses, the bias is ignored.
    Executable,
    /// ET_DYN: a PIE or an interpreter such as ld.so, loaded at the bias.
    SharedObject,
}

/// Everything exec needs to map an image and fill the auxiliary vector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadPlan {
    /// ET_EXEC or ET_DYN.
    pub kind: ElfKind,
    /// Added to every address: the requested bias for ET_DYN, 0 for ET_EXEC.
    pub load_bias: u64,
    /// Biased entry point (inside an executable segment).
    pub entry: u64,
    /// Non-empty PT_LOAD segments, biased, sorted by address, disjoint.
    pub segments: Vec<Segment>,
    /// Biased address of the program headers in memory (AT_PHDR): from
    /// PT_PHDR, else from the PT_LOAD whose file bytes hold the table.
    pub phdr_vaddr: Option<u64>,
    /// Size of one program header (AT_PHENT).
    pub phent: u16,
    /// Number of program headers (AT_PHNUM).
    pub phnum: u16,
    /// PT_INTERP path (without its NUL), e.g. `/lib64/ld-linux-x86-64.so.2`.
    pub interpreter: Option<String>,
    /// PF_X of PT_GNU_STACK. Without PT_GNU_STACK this is `false`: on x86-64
    /// Linux a missing header leaves the stack non-executable for 64-bit
    /// processes (only 32-bit ones get READ_IMPLIES_EXEC).
    pub executable_stack: bool,
    /// End of the highest segment rounded up to a page: where brk starts.
    pub highest_address: u64,
}

/// Validates `image` and returns its load plan.
///
/// `bias` is added to every address of an ET_DYN image (ignored for ET_EXEC)
/// and must be page-aligned. `user_end` is the exclusive upper bound of user
/// space (0x0000_7fff_ffff_f000 on x86_64); every segment, rounded out to
/// whole pages, must lie in `[PAGE_SIZE, user_end)`.
pub fn plan(image: &[u8], bias: u64, user_end: u64) -> Result<LoadPlan, ElfError> {
    plan_from_head(image, image_len(image), bias, user_end)
}

/// Like [`plan`], from only the first bytes of a file of `file_len` bytes: enough for a kernel that maps segments
/// from the file on demand instead of reading it whole. The headers and the interpreter path must lie in `head`;
/// when they do not but the file is longer, the error says so ([`ElfError::needs_more_of_file`]) and the caller
/// can try again with more of the file.
pub fn plan_from_head(
    head: &[u8],
    file_len: u64,
    bias: u64,
    user_end: u64,
) -> Result<LoadPlan, ElfError> {
    let image = head;
    let (kind, header) = read_header(image)?;
    let load_bias = match kind {
        ElfKind::Executable => 0,
        ElfKind::SharedObject if !bias.is_multiple_of(PAGE_SIZE) => {
            return Err(ElfError::MisalignedBias { bias });
        }
        ElfKind::SharedObject => bias,
    };
    let program_headers = read_program_headers(image, &header)?;

    let mut segments = Vec::new();
    let mut interpreter = None;
    let mut declared_phdr = None;
    let mut executable_stack = false;
    for (index, header) in program_headers.iter().enumerate() {
        match header.p_type {
            PT_LOAD => {
                if let Some(segment) = load_segment(file_len, index, header, load_bias, user_end)? {
                    segments.push(segment);
                }
            }
            PT_INTERP => {
                if interpreter.is_some() {
                    return Err(ElfError::MultipleInterpreters);
                }
                interpreter = Some(read_interpreter(image, header)?);
            }
            PT_PHDR => declared_phdr = Some(biased(header.p_vaddr, load_bias)?),
            PT_GNU_STACK => executable_stack = header.p_flags & PF_X != 0,
            _ => {}
        }
    }
    if segments.is_empty() {
        return Err(ElfError::NoLoadSegment);
    }
    segments.sort_unstable_by_key(|segment| segment.vaddr);
    check_disjoint(&segments)?;

    let entry = biased(header.e_entry, load_bias)?;
    if !segments
        .iter()
        .any(|segment| segment.executable && segment.contains(entry))
    {
        return Err(ElfError::EntryNotExecutable { entry });
    }

    let phdr_vaddr = match declared_phdr {
        Some(vaddr) => Some(vaddr),
        None => derive_phdr_vaddr(&segments, program_header_span(&header)?),
    };
    let mut highest_address = 0;
    for segment in &segments {
        highest_address = highest_address.max(page_align_up(segment.end())?);
    }

    Ok(LoadPlan {
        kind,
        load_bias,
        entry,
        segments,
        phdr_vaddr,
        phent: SIZEOF_PHDR as u16,
        phnum: header.e_phnum,
        interpreter,
        executable_stack,
        highest_address,
    })
}

fn biased(addr: u64, bias: u64) -> Result<u64, ElfError> {
    addr.checked_add(bias).ok_or(ElfError::AddressOverflow)
}

fn page_align_up(addr: u64) -> Result<u64, ElfError> {
    addr.checked_next_multiple_of(PAGE_SIZE)
        .ok_or(ElfError::AddressOverflow)
}

/// Checks one PT_LOAD; `None` for an empty one, which Linux maps as nothing.
fn load_segment(
    file_len: u64,
    index: usize,
    header: &ProgramHeader,
    bias: u64,
    user_end: u64,
) -> Result<Option<Segment>, ElfError> {
    let file_end = header
        .p_offset
        .checked_add(header.p_filesz)
        .ok_or(ElfError::SegmentOutsideFile { index })?;
    if file_end > file_len {
        return Err(ElfError::SegmentOutsideFile { index });
    }
    if header.p_filesz > header.p_memsz {
        return Err(ElfError::FileSizeExceedsMemSize { index });
    }
    if header.p_vaddr % PAGE_SIZE != header.p_offset % PAGE_SIZE {
        return Err(ElfError::MisalignedSegment { index });
    }
    if header.p_memsz == 0 {
        return Ok(None);
    }
    let vaddr = biased(header.p_vaddr, bias)?;
    let end = vaddr
        .checked_add(header.p_memsz)
        .ok_or(ElfError::AddressOverflow)?;
    // The kernel maps whole pages, so the rounded-out range must fit.
    if vaddr < PAGE_SIZE || page_align_up(end)? > user_end {
        return Err(ElfError::OutsideUserRange { start: vaddr, end });
    }
    Ok(Some(Segment {
        vaddr,
        mem_size: header.p_memsz,
        file_offset: header.p_offset,
        file_size: header.p_filesz,
        readable: header.p_flags & PF_R != 0,
        writable: header.p_flags & PF_W != 0,
        executable: header.p_flags & PF_X != 0,
        align: header.p_align,
    }))
}

fn image_len(image: &[u8]) -> u64 {
    u64::try_from(image.len()).unwrap_or(u64::MAX)
}

/// `segments` must be sorted by address.
fn check_disjoint(segments: &[Segment]) -> Result<(), ElfError> {
    for pair in segments.windows(2) {
        if let [first, second] = pair {
            if first.end() > second.vaddr {
                return Err(ElfError::OverlappingSegments {
                    first_vaddr: first.vaddr,
                    second_vaddr: second.vaddr,
                });
            }
        }
    }
    Ok(())
}

/// Finds the memory address of the program header table through the PT_LOAD
/// whose file bytes contain it (what Linux does when PT_PHDR is absent).
fn derive_phdr_vaddr(segments: &[Segment], (table_start, table_end): (u64, u64)) -> Option<u64> {
    segments.iter().find_map(|segment| {
        let file_end = segment.file_offset.checked_add(segment.file_size)?;
        if segment.file_offset <= table_start && table_end <= file_end {
            segment
                .vaddr
                .checked_add(table_start.checked_sub(segment.file_offset)?)
        } else {
            None
        }
    })
}

/// Returns the PT_INTERP path: the C string up to its first NUL, as Linux
/// reads it, after checking the bytes end with a NUL inside the file.
fn read_interpreter(image: &[u8], header: &ProgramHeader) -> Result<String, ElfError> {
    if header.p_filesz > MAX_INTERPRETER_LEN {
        return Err(ElfError::InterpreterTooLong {
            len: header.p_filesz,
        });
    }
    let start = usize::try_from(header.p_offset).map_err(|_| ElfError::InterpreterOutsideFile)?;
    let len = usize::try_from(header.p_filesz).map_err(|_| ElfError::InterpreterOutsideFile)?;
    let end = start
        .checked_add(len)
        .ok_or(ElfError::InterpreterOutsideFile)?;
    let bytes = image
        .get(start..end)
        .ok_or(ElfError::InterpreterOutsideFile)?;
    match bytes.split_last() {
        Some((0, _)) => {}
        _ => return Err(ElfError::InterpreterNotTerminated),
    }
    let path_len = bytes.iter().position(|&byte| byte == 0).unwrap_or(0);
    let path = bytes.get(..path_len).unwrap_or_default();
    if path.is_empty() {
        return Err(ElfError::InterpreterInvalid);
    }
    core::str::from_utf8(path)
        .map(String::from)
        .map_err(|_| ElfError::InterpreterInvalid)
}
