//! Test helpers: fake physical memory, PVH and Multiboot2 structure builders, a PRNG.

use crate::PhysRead;
use std::vec;
use std::vec::Vec;

/// Physical memory backed by a byte vector starting at `base`; everything else is
/// unreadable.
pub(crate) struct FakeMemory {
    pub(crate) base: u64,
    pub(crate) bytes: Vec<u8>,
}

impl FakeMemory {
    pub(crate) fn new(base: u64, size: usize) -> Self {
        Self {
            base,
            bytes: vec![0; size],
        }
    }

    pub(crate) fn write(&mut self, phys: u64, data: &[u8]) {
        let at = usize::try_from(phys - self.base).unwrap();
        self.bytes[at..at + data.len()].copy_from_slice(data);
    }

    pub(crate) fn write_u32(&mut self, phys: u64, value: u32) {
        self.write(phys, &value.to_le_bytes());
    }

    pub(crate) fn write_u64(&mut self, phys: u64, value: u64) {
        self.write(phys, &value.to_le_bytes());
    }
}

impl PhysRead for FakeMemory {
    fn read(&self, phys: u64, buf: &mut [u8]) -> bool {
        let Some(offset) = phys.checked_sub(self.base) else {
            return false;
        };
        let Ok(offset) = usize::try_from(offset) else {
            return false;
        };
        match offset
            .checked_add(buf.len())
            .and_then(|end| self.bytes.get(offset..end))
        {
            Some(source) => {
                buf.copy_from_slice(source);
                true
            }
            None => false,
        }
    }
}

/// Where [`PvhImage::build`] places things.
pub(crate) const PVH_BASE: u64 = 0x10_0000;
pub(crate) const PVH_START_INFO: u64 = PVH_BASE;
pub(crate) const PVH_MODLIST: u64 = PVH_BASE + 0x80;
pub(crate) const PVH_CMDLINE: u64 = PVH_BASE + 0x100;
pub(crate) const PVH_MEMMAP: u64 = PVH_BASE + 0x4000;
const PVH_SIZE: usize = 0x8000;

/// The contents of a PVH start_info and the structures it points to.
#[derive(Clone)]
pub(crate) struct PvhImage {
    pub(crate) magic: u32,
    pub(crate) version: u32,
    pub(crate) memmap: Vec<(u64, u64, u32)>,
    /// Overrides `memmap_entries` (to claim more entries than written).
    pub(crate) memmap_entries: Option<u32>,
    /// Bytes written at the cmdline address (add the NUL yourself); `None` = paddr 0.
    pub(crate) cmdline: Option<Vec<u8>>,
    pub(crate) modules: Vec<(u64, u64)>,
    pub(crate) rsdp: u64,
}

impl PvhImage {
    pub(crate) fn qemu_like() -> Self {
        Self {
            magic: crate::PVH_START_INFO_MAGIC,
            version: 1,
            memmap: vec![
                (0, 0x9_FC00, 1),
                (0x9_FC00, 0x400, 2),
                (0xF_0000, 0x1_0000, 2),
                (0x10_0000, 0x7EE_0000, 1),
                (0x7FE_0000, 0x2_0000, 2),
                (0xFFFC_0000, 0x4_0000, 2),
            ],
            memmap_entries: None,
            cmdline: Some(b"console=ttyS0 quiet\0".to_vec()),
            modules: vec![(0x200_0000, 0x12_3456), (0x300_0000, 0x1000)],
            rsdp: 0xF_5A40,
        }
    }

    pub(crate) fn build(&self) -> FakeMemory {
        let mut mem = FakeMemory::new(PVH_BASE, PVH_SIZE);
        mem.write_u32(PVH_START_INFO, self.magic);
        mem.write_u32(PVH_START_INFO + 4, self.version);
        mem.write_u32(PVH_START_INFO + 12, self.modules.len() as u32);
        let modlist = if self.modules.is_empty() {
            0
        } else {
            PVH_MODLIST
        };
        mem.write_u64(PVH_START_INFO + 16, modlist);
        let cmdline = if self.cmdline.is_some() {
            PVH_CMDLINE
        } else {
            0
        };
        mem.write_u64(PVH_START_INFO + 24, cmdline);
        mem.write_u64(PVH_START_INFO + 32, self.rsdp);
        mem.write_u64(PVH_START_INFO + 40, PVH_MEMMAP);
        let entries = self.memmap_entries.unwrap_or(self.memmap.len() as u32);
        mem.write_u32(PVH_START_INFO + 48, entries);
        for (index, &(paddr, size)) in self.modules.iter().enumerate() {
            let entry = PVH_MODLIST + 32 * index as u64;
            mem.write_u64(entry, paddr);
            mem.write_u64(entry + 8, size);
        }
        if let Some(text) = &self.cmdline {
            mem.write(PVH_CMDLINE, text);
        }
        for (index, &(addr, size, kind)) in self.memmap.iter().enumerate() {
            let entry = PVH_MEMMAP + 24 * index as u64;
            mem.write_u64(entry, addr);
            mem.write_u64(entry + 8, size);
            mem.write_u32(entry + 16, kind);
        }
        mem
    }
}

/// Where [`Mb2Builder::build`] places the information structure.
pub(crate) const MB2_BASE: u64 = 0x20_0000;

/// Assembles a Multiboot2 information structure tag by tag.
pub(crate) struct Mb2Builder {
    bytes: Vec<u8>,
}

impl Mb2Builder {
    pub(crate) fn new() -> Self {
        Self { bytes: vec![0; 8] }
    }

    /// Offset the next tag will be placed at.
    pub(crate) fn next_offset(&self) -> u64 {
        self.bytes.len() as u64
    }

    /// Appends a tag with an explicit `size` field (normally `8 + body.len()`).
    pub(crate) fn raw_tag(&mut self, tag_type: u32, size: u32, body: &[u8]) -> &mut Self {
        self.bytes.extend_from_slice(&tag_type.to_le_bytes());
        self.bytes.extend_from_slice(&size.to_le_bytes());
        self.bytes.extend_from_slice(body);
        while !self.bytes.len().is_multiple_of(8) {
            self.bytes.push(0);
        }
        self
    }

    pub(crate) fn tag(&mut self, tag_type: u32, body: &[u8]) -> &mut Self {
        let size = u32::try_from(8 + body.len()).unwrap();
        self.raw_tag(tag_type, size, body)
    }

    pub(crate) fn string_tag(&mut self, tag_type: u32, text: &[u8]) -> &mut Self {
        let mut body = text.to_vec();
        body.push(0);
        self.tag(tag_type, &body)
    }

    pub(crate) fn module(&mut self, start: u32, end: u32, name: &str) -> &mut Self {
        let mut body = Vec::new();
        body.extend_from_slice(&start.to_le_bytes());
        body.extend_from_slice(&end.to_le_bytes());
        body.extend_from_slice(name.as_bytes());
        body.push(0);
        self.tag(3, &body)
    }

    pub(crate) fn memory_map(&mut self, entry_size: u32, entries: &[(u64, u64, u32)]) -> &mut Self {
        let mut body = Vec::new();
        body.extend_from_slice(&entry_size.to_le_bytes());
        body.extend_from_slice(&0u32.to_le_bytes());
        for &(base, len, kind) in entries {
            let start = body.len();
            body.extend_from_slice(&base.to_le_bytes());
            body.extend_from_slice(&len.to_le_bytes());
            body.extend_from_slice(&kind.to_le_bytes());
            body.resize(start + entry_size as usize, 0);
        }
        self.tag(6, &body)
    }

    /// The structure with an end tag appended and `total_size` filled in.
    pub(crate) fn finish(&self) -> Vec<u8> {
        let mut bytes = self.bytes.clone();
        bytes.extend_from_slice(&[0, 0, 0, 0, 8, 0, 0, 0]);
        let total = u32::try_from(bytes.len()).unwrap();
        bytes[..4].copy_from_slice(&total.to_le_bytes());
        bytes
    }

    /// The structure without an end tag (for error tests).
    pub(crate) fn finish_without_end(&self) -> Vec<u8> {
        let mut bytes = self.bytes.clone();
        let total = u32::try_from(bytes.len()).unwrap();
        bytes[..4].copy_from_slice(&total.to_le_bytes());
        bytes
    }
}

/// Fake memory holding exactly `bytes` at [`MB2_BASE`].
pub(crate) fn mb2_memory(bytes: &[u8]) -> FakeMemory {
    FakeMemory {
        base: MB2_BASE,
        bytes: bytes.to_vec(),
    }
}

/// xorshift64*: a small deterministic PRNG for randomized tests.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub(crate) fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}
