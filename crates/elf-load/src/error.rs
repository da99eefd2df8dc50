//! Error types for [`crate::plan`] and [`crate::build_stack`]. Every variant maps to
//! `ENOEXEC` (plan) or `E2BIG`/`EFAULT`-like failures (stack) in the kernel.

use core::fmt;

/// Why an image cannot be loaded. Indices refer to program header entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ElfError {
    /// The image does not start with the ELF magic `\x7fELF`.
    NotElf,
    /// `EI_CLASS` is not ELFCLASS64.
    Not64Bit,
    /// `EI_DATA` is not ELFDATA2LSB.
    NotLittleEndian,
    /// The image is shorter than the 64-byte ELF header.
    TruncatedHeader,
    /// `e_machine` is not EM_X86_64.
    NotX86_64 { machine: u16 },
    /// `e_type` is neither ET_EXEC nor ET_DYN.
    UnsupportedType { elf_type: u16 },
    /// `e_phentsize` is not the size of an ELF64 program header (56).
    BadProgramHeaderSize { size: u16 },
    /// More program headers than [`crate::MAX_PROGRAM_HEADERS`].
    TooManyProgramHeaders { count: u16, limit: u16 },
    /// The program header table does not lie inside the image.
    ProgramHeadersOutsideFile,
    /// No PT_LOAD segment with a non-zero memory size.
    NoLoadSegment,
    /// A segment's file bytes do not lie inside the image.
    SegmentOutsideFile { index: usize },
    /// A PT_LOAD segment has more file bytes than memory bytes.
    FileSizeExceedsMemSize { index: usize },
    /// Adding the bias or a size to an address wrapped around.
    AddressOverflow,
    /// A segment reaches page 0 or the end of user space.
    OutsideUserRange { start: u64, end: u64 },
    /// Two PT_LOAD segments share bytes of the address space.
    OverlappingSegments { first_vaddr: u64, second_vaddr: u64 },
    /// A PT_LOAD's `p_vaddr` and `p_offset` differ modulo the page size, so it
    /// cannot be mapped page by page.
    MisalignedSegment { index: usize },
    /// The requested ET_DYN bias is not a multiple of the page size.
    MisalignedBias { bias: u64 },
    /// The PT_INTERP bytes do not lie inside the image.
    InterpreterOutsideFile,
    /// The PT_INTERP string does not end with a NUL byte.
    InterpreterNotTerminated,
    /// The PT_INTERP path is empty or not UTF-8.
    InterpreterInvalid,
    /// The PT_INTERP path is longer than [`crate::MAX_INTERPRETER_LEN`].
    InterpreterTooLong { len: u64 },
    /// More than one PT_INTERP header.
    MultipleInterpreters,
    /// The entry point is not inside an executable PT_LOAD segment.
    EntryNotExecutable { entry: u64 },
}

impl ElfError {
    /// Whether [`crate::plan_from_head`] failed only because the headers or the interpreter path lie beyond the
    /// bytes it was given (more of the file may fix it).
    pub fn needs_more_of_file(&self) -> bool {
        matches!(
            self,
            Self::TruncatedHeader | Self::ProgramHeadersOutsideFile | Self::InterpreterOutsideFile
        )
    }
}

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotElf => write!(f, "not an ELF image (bad magic)"),
            Self::Not64Bit => write!(f, "not a 64-bit ELF image"),
            Self::NotLittleEndian => write!(f, "ELF image is not little-endian"),
            Self::TruncatedHeader => write!(f, "ELF header is truncated"),
            Self::NotX86_64 { machine } => write!(f, "ELF machine {machine} is not x86_64"),
            Self::UnsupportedType { elf_type } => {
                write!(f, "ELF type {elf_type} is neither ET_EXEC nor ET_DYN")
            }
            Self::BadProgramHeaderSize { size } => {
                write!(f, "program header entry size {size} is not 56")
            }
            Self::TooManyProgramHeaders { count, limit } => {
                write!(f, "{count} program headers exceed the limit of {limit}")
            }
            Self::ProgramHeadersOutsideFile => {
                write!(f, "program header table lies outside the file")
            }
            Self::NoLoadSegment => write!(f, "no loadable (PT_LOAD) segment"),
            Self::SegmentOutsideFile { index } => {
                write!(f, "program header {index}: segment lies outside the file")
            }
            Self::FileSizeExceedsMemSize { index } => {
                write!(f, "program header {index}: file size exceeds memory size")
            }
            Self::AddressOverflow => write!(f, "address arithmetic overflowed"),
            Self::OutsideUserRange { start, end } => {
                write!(f, "segment {start:#x}..{end:#x} is outside user space")
            }
            Self::OverlappingSegments {
                first_vaddr,
                second_vaddr,
            } => write!(
                f,
                "PT_LOAD segments at {first_vaddr:#x} and {second_vaddr:#x} overlap"
            ),
            Self::MisalignedSegment { index } => write!(
                f,
                "program header {index}: vaddr and offset differ modulo the page size"
            ),
            Self::MisalignedBias { bias } => {
                write!(f, "load bias {bias:#x} is not page-aligned")
            }
            Self::InterpreterOutsideFile => write!(f, "PT_INTERP lies outside the file"),
            Self::InterpreterNotTerminated => {
                write!(f, "PT_INTERP path is not NUL-terminated")
            }
            Self::InterpreterInvalid => write!(f, "PT_INTERP path is empty or not UTF-8"),
            Self::InterpreterTooLong { len } => {
                write!(f, "PT_INTERP path of {len} bytes is too long")
            }
            Self::MultipleInterpreters => write!(f, "more than one PT_INTERP header"),
            Self::EntryNotExecutable { entry } => {
                write!(f, "entry point {entry:#x} is not in an executable segment")
            }
        }
    }
}

/// Why an initial stack cannot be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StackError {
    /// The stack would need `needed` bytes (`usize::MAX` if that overflows)
    /// but only `limit` are allowed (E2BIG).
    TooBig { needed: usize, limit: usize },
    /// The stack would extend below address 0 from the given top.
    StackTopTooLow,
    /// An argv/envp/execfn/platform string contains a NUL byte, which would
    /// silently split it for user space.
    InteriorNul,
    /// The caller passed an auxv type this function writes itself (AT_NULL,
    /// AT_RANDOM, AT_EXECFN or AT_PLATFORM).
    ReservedAuxType { key: u64 },
}

impl fmt::Display for StackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooBig { needed, limit } => write!(
                f,
                "initial stack needs {needed} bytes, more than the limit of {limit}"
            ),
            Self::StackTopTooLow => write!(f, "stack top is too low for the initial stack"),
            Self::InteriorNul => write!(f, "argument or environment string contains NUL"),
            Self::ReservedAuxType { key } => {
                write!(f, "auxv type {key} is supplied by build_stack itself")
            }
        }
    }
}
