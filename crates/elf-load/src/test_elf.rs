//! A minimal ELF64 writer for tests: header, program headers, raw bytes.

use std::vec;
use std::vec::Vec;

pub const PT_LOAD: u32 = 1;
pub const PT_INTERP: u32 = 3;
pub const PT_PHDR: u32 = 6;
pub const PT_GNU_STACK: u32 = 0x6474_e551;
pub const PF_X: u32 = 1;
pub const PF_W: u32 = 2;
pub const PF_R: u32 = 4;
pub const ET_EXEC: u16 = 2;
pub const ET_DYN: u16 = 3;
pub const USER_END: u64 = 0x0000_7fff_ffff_f000;

/// One program header as written to the file.
#[derive(Clone, Copy, Debug)]
pub struct Phdr {
    pub p_type: u32,
    pub flags: u32,
    pub offset: u64,
    pub vaddr: u64,
    pub filesz: u64,
    pub memsz: u64,
    pub align: u64,
}

impl Phdr {
    pub fn load(flags: u32, offset: u64, vaddr: u64, filesz: u64, memsz: u64) -> Self {
        Self {
            p_type: PT_LOAD,
            flags,
            offset,
            vaddr,
            filesz,
            memsz,
            align: 0x1000,
        }
    }

    pub fn other(p_type: u32, flags: u32, offset: u64, vaddr: u64, filesz: u64) -> Self {
        Self {
            p_type,
            flags,
            offset,
            vaddr,
            filesz,
            memsz: filesz,
            align: 8,
        }
    }
}

/// Describes an image; `build` serializes it.
#[derive(Clone, Debug)]
pub struct ElfBuilder {
    pub class: u8,
    pub data: u8,
    pub e_type: u16,
    pub machine: u16,
    pub entry: u64,
    pub phoff: u64,
    pub phentsize: u16,
    /// Overrides e_phnum (otherwise phdrs.len()).
    pub phnum: Option<u16>,
    pub phdrs: Vec<Phdr>,
    /// Extra bytes written at a file offset (e.g. the interpreter path).
    pub blobs: Vec<(usize, Vec<u8>)>,
    /// The file is at least this long (zero-filled).
    pub file_len: usize,
}

impl ElfBuilder {
    /// A static ET_EXEC at 0x400000: text (RX, 0x1000 bytes from offset 0),
    /// data (RW, 0x100 file bytes + bss up to 0x2000) and PT_GNU_STACK (RW).
    pub fn exec() -> Self {
        Self {
            class: 2,
            data: 1,
            e_type: ET_EXEC,
            machine: 62,
            entry: 0x40_0100,
            phoff: 64,
            phentsize: 56,
            phnum: None,
            phdrs: vec![
                Phdr::load(PF_R | PF_X, 0, 0x40_0000, 0x1000, 0x1000),
                Phdr::load(PF_R | PF_W, 0x1000, 0x40_1000, 0x100, 0x2000),
                Phdr::other(PT_GNU_STACK, PF_R | PF_W, 0, 0, 0),
            ],
            blobs: Vec::new(),
            file_len: 0x1100,
        }
    }

    /// A PIE linked at 0 with PT_PHDR and PT_INTERP, like a glibc binary.
    pub fn pie() -> Self {
        let interp = b"/lib/ld.so\0".to_vec();
        Self {
            e_type: ET_DYN,
            entry: 0x1010,
            phdrs: vec![
                Phdr::other(PT_PHDR, PF_R, 64, 64, 56 * 4),
                Phdr::other(PT_INTERP, PF_R, 0x200, 0x200, interp.len() as u64),
                Phdr::load(PF_R, 0, 0, 0x300, 0x300),
                Phdr::load(PF_R | PF_X, 0x1000, 0x1000, 0x80, 0x80),
            ],
            blobs: vec![(0x200, interp)],
            file_len: 0x1080,
            ..Self::exec()
        }
    }

    pub fn build(&self) -> Vec<u8> {
        let mut out = vec![0u8; 64];
        out[..4].copy_from_slice(b"\x7fELF");
        out[4] = self.class;
        out[5] = self.data;
        out[6] = 1;
        put(&mut out, 16, &self.e_type.to_le_bytes());
        put(&mut out, 18, &self.machine.to_le_bytes());
        put(&mut out, 20, &1u32.to_le_bytes());
        put(&mut out, 24, &self.entry.to_le_bytes());
        put(&mut out, 32, &self.phoff.to_le_bytes());
        put(&mut out, 52, &64u16.to_le_bytes());
        put(&mut out, 54, &self.phentsize.to_le_bytes());
        let phnum = self.phnum.unwrap_or(self.phdrs.len() as u16);
        put(&mut out, 56, &phnum.to_le_bytes());
        put(&mut out, 58, &64u16.to_le_bytes());
        let mut table = Vec::new();
        for phdr in &self.phdrs {
            table.extend_from_slice(&phdr.p_type.to_le_bytes());
            table.extend_from_slice(&phdr.flags.to_le_bytes());
            table.extend_from_slice(&phdr.offset.to_le_bytes());
            table.extend_from_slice(&phdr.vaddr.to_le_bytes());
            table.extend_from_slice(&phdr.vaddr.to_le_bytes());
            table.extend_from_slice(&phdr.filesz.to_le_bytes());
            table.extend_from_slice(&phdr.memsz.to_le_bytes());
            table.extend_from_slice(&phdr.align.to_le_bytes());
        }
        // A phoff far outside any sane file is written as-is but no table is
        // placed there, which is what the "outside the file" tests want.
        if let Ok(phoff) = usize::try_from(self.phoff) {
            if phoff < 1 << 20 {
                put(&mut out, phoff, &table);
            }
        }
        for (offset, bytes) in &self.blobs {
            put(&mut out, *offset, bytes);
        }
        if out.len() < self.file_len {
            out.resize(self.file_len, 0);
        }
        out
    }
}

fn put(out: &mut Vec<u8>, offset: usize, bytes: &[u8]) {
    let end = offset + bytes.len();
    if out.len() < end {
        out.resize(end, 0);
    }
    out[offset..end].copy_from_slice(bytes);
}
