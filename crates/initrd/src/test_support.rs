//! Test helpers: a tiny newc writer, a gzip member builder and a deterministic PRNG.

use std::format;
use std::vec::Vec;

/// Builds newc archives the way `cpio -o -H newc` lays them out.
pub(crate) struct NewcWriter {
    bytes: Vec<u8>,
    with_checksum: bool,
    next_ino: u32,
}

impl NewcWriter {
    /// A writer emitting `070701` headers, or `070702` with data checksums.
    pub(crate) fn new(with_checksum: bool) -> Self {
        Self {
            bytes: Vec::new(),
            with_checksum,
            next_ino: 1,
        }
    }

    /// Appends an entry with the given name, mode and data.
    pub(crate) fn entry(&mut self, name: &str, mode: u32, data: &[u8]) -> &mut Self {
        let checksum = if self.with_checksum {
            data.iter()
                .fold(0u32, |acc, &b| acc.wrapping_add(u32::from(b)))
        } else {
            0
        };
        let magic = if self.with_checksum {
            "070702"
        } else {
            "070701"
        };
        let name_size = u32::try_from(name.len() + 1).unwrap();
        let file_size = u32::try_from(data.len()).unwrap();
        let fields = [
            self.next_ino,
            mode,
            1000,
            100,
            1,
            1_700_000_000,
            file_size,
            8,
            1,
            if mode & 0o170_000 == 0o020_000 { 4 } else { 0 },
            if mode & 0o170_000 == 0o020_000 { 64 } else { 0 },
            name_size,
            checksum,
        ];
        self.next_ino += 1;
        self.bytes.extend_from_slice(magic.as_bytes());
        for field in fields {
            self.bytes
                .extend_from_slice(format!("{field:08x}").as_bytes());
        }
        self.bytes.extend_from_slice(name.as_bytes());
        self.bytes.push(0);
        self.pad();
        self.bytes.extend_from_slice(data);
        self.pad();
        self
    }

    /// Appends the `TRAILER!!!` entry.
    pub(crate) fn trailer(&mut self) -> &mut Self {
        self.entry("TRAILER!!!", 0, &[])
    }

    /// Appends `count` NUL bytes (padding between archives).
    pub(crate) fn zeros(&mut self, count: usize) -> &mut Self {
        self.bytes.resize(self.bytes.len() + count, 0);
        self
    }

    /// Switches header format for the following entries.
    pub(crate) fn checksums(&mut self, with_checksum: bool) -> &mut Self {
        self.with_checksum = with_checksum;
        self
    }

    /// The archive bytes so far.
    pub(crate) fn finish(&self) -> Vec<u8> {
        self.bytes.clone()
    }

    fn pad(&mut self) {
        while !self.bytes.len().is_multiple_of(4) {
            self.bytes.push(0);
        }
    }
}

/// Optional gzip header fields for [`gzip_member`].
#[derive(Default, Clone, Copy)]
pub(crate) struct GzipOptions<'a> {
    pub(crate) extra: Option<&'a [u8]>,
    pub(crate) name: Option<&'a str>,
    pub(crate) comment: Option<&'a str>,
    pub(crate) header_crc: bool,
}

/// One complete gzip member holding `data`, compressed with miniz_oxide.
pub(crate) fn gzip_member(data: &[u8], options: GzipOptions<'_>) -> Vec<u8> {
    let mut flags = 0u8;
    if options.header_crc {
        flags |= 1 << 1;
    }
    if options.extra.is_some() {
        flags |= 1 << 2;
    }
    if options.name.is_some() {
        flags |= 1 << 3;
    }
    if options.comment.is_some() {
        flags |= 1 << 4;
    }
    let mut member = Vec::from([0x1F, 0x8B, 8, flags, 0, 0, 0, 0, 0, 3]);
    if let Some(extra) = options.extra {
        member.extend_from_slice(&u16::try_from(extra.len()).unwrap().to_le_bytes());
        member.extend_from_slice(extra);
    }
    for text in [options.name, options.comment].into_iter().flatten() {
        member.extend_from_slice(text.as_bytes());
        member.push(0);
    }
    if options.header_crc {
        let crc = (crc32fast::hash(&member) & 0xFFFF) as u16;
        member.extend_from_slice(&crc.to_le_bytes());
    }
    member.extend(miniz_oxide::deflate::compress_to_vec(data, 6));
    member.extend_from_slice(&crc32fast::hash(data).to_le_bytes());
    member.extend_from_slice(&(data.len() as u32).to_le_bytes());
    member
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

    pub(crate) fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }

    pub(crate) fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}
