//! Writer for the "newc" cpio format (magic `070701`), the format Linux
//! initramfs images use.
//!
//! Each entry is a 110-byte ASCII header of thirteen 8-digit hex fields, the
//! NUL-terminated name, padding to 4 bytes, the data, and padding to 4 bytes.
//! The archive ends with an entry named `TRAILER!!!`.

use std::fmt;

/// File type bits of `mode` (as in `st_mode`).
pub mod file_type {
    /// Directory.
    pub const DIRECTORY: u32 = 0o040_000;
    /// Regular file.
    pub const REGULAR: u32 = 0o100_000;
    /// Symbolic link (data = target).
    pub const SYMLINK: u32 = 0o120_000;
    /// Character device.
    pub const CHAR_DEVICE: u32 = 0o020_000;
}

/// Name of the entry that ends an archive.
pub const TRAILER_NAME: &str = "TRAILER!!!";

/// Size of an entry header.
pub const HEADER_LEN: usize = 110;

/// Metadata of one archive entry; unused fields (uid, gid, mtime, check) are
/// always zero so archives are reproducible.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryHeader<'a> {
    /// Path inside the archive, without a leading `/`.
    pub name: &'a str,
    /// Inode number; entries with the same number are hard links.
    pub inode: u32,
    /// File type and permission bits.
    pub mode: u32,
    /// Link count.
    pub nlink: u32,
    /// Device number for device nodes.
    pub rdev_major: u32,
    /// Device number for device nodes.
    pub rdev_minor: u32,
}

/// Why an entry cannot be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CpioError {
    /// The name contains a NUL byte, which would end it early.
    NulInName(String),
    /// The data is longer than the 32-bit size field allows.
    DataTooLarge { name: String, len: usize },
    /// The name is longer than the 32-bit size field allows.
    NameTooLong { len: usize },
}

impl fmt::Display for CpioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NulInName(name) => write!(f, "cpio entry name {name:?} contains a NUL byte"),
            Self::DataTooLarge { name, len } => {
                write!(
                    f,
                    "cpio entry {name:?} has {len} bytes; newc allows at most 4 GiB - 1"
                )
            }
            Self::NameTooLong { len } => write!(f, "cpio entry name of {len} bytes is too long"),
        }
    }
}

impl std::error::Error for CpioError {}

/// Builds a newc archive in memory.
#[derive(Debug, Default)]
pub struct NewcWriter {
    bytes: Vec<u8>,
}

impl NewcWriter {
    /// An empty archive.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends one entry.
    pub fn push(&mut self, header: &EntryHeader<'_>, data: &[u8]) -> Result<(), CpioError> {
        if header.name.contains('\0') {
            return Err(CpioError::NulInName(header.name.to_owned()));
        }
        let file_size = u32::try_from(data.len()).map_err(|_| CpioError::DataTooLarge {
            name: header.name.to_owned(),
            len: data.len(),
        })?;
        // The size counts the terminating NUL.
        let name_size = header
            .name
            .len()
            .checked_add(1)
            .and_then(|size| u32::try_from(size).ok())
            .ok_or(CpioError::NameTooLong {
                len: header.name.len(),
            })?;
        let fields = [
            header.inode,
            header.mode,
            0, // uid
            0, // gid
            header.nlink,
            0, // mtime: fixed for reproducible images
            file_size,
            0, // devmajor of the containing filesystem
            0, // devminor
            header.rdev_major,
            header.rdev_minor,
            name_size,
            0, // check: only used by the "crc" variant
        ];
        self.bytes
            .reserve(HEADER_LEN + header.name.len() + data.len() + 8);
        self.bytes.extend_from_slice(b"070701");
        for field in fields {
            self.bytes
                .extend_from_slice(format!("{field:08x}").as_bytes());
        }
        self.bytes.extend_from_slice(header.name.as_bytes());
        self.bytes.push(0);
        self.pad_to_four();
        self.bytes.extend_from_slice(data);
        self.pad_to_four();
        Ok(())
    }

    /// Appends the trailer and returns the archive.
    pub fn finish(mut self) -> Vec<u8> {
        let trailer = EntryHeader {
            name: TRAILER_NAME,
            inode: 0,
            mode: 0,
            nlink: 1,
            rdev_major: 0,
            rdev_minor: 0,
        };
        // The trailer's name is a short constant without NUL, so this cannot fail.
        if let Err(error) = self.push(&trailer, &[]) {
            unreachable!("trailer entry rejected: {error}");
        }
        self.bytes
    }

    fn pad_to_four(&mut self) {
        while !self.bytes.len().is_multiple_of(4) {
            self.bytes.push(0);
        }
    }
}

/// Minimal newc reader for tests: (name, mode, inode, nlink, rdev, data) of each entry.
#[cfg(test)]
pub mod test_reader {
    /// One parsed entry.
    #[derive(Debug, PartialEq, Eq)]
    pub struct Entry {
        pub name: String,
        pub inode: u32,
        pub mode: u32,
        pub nlink: u32,
        pub mtime: u32,
        pub rdev: (u32, u32),
        pub data: Vec<u8>,
    }

    fn align4(value: usize) -> usize {
        value.div_ceil(4) * 4
    }

    /// Parses a whole archive including the trailer; panics on malformed input.
    pub fn parse(bytes: &[u8]) -> Vec<Entry> {
        let mut entries = Vec::new();
        let mut offset = 0;
        while offset < bytes.len() {
            let header = &bytes[offset..offset + super::HEADER_LEN];
            assert_eq!(&header[..6], b"070701", "bad magic at {offset}");
            let field = |index: usize| {
                let text =
                    std::str::from_utf8(&header[6 + index * 8..14 + index * 8]).expect("ascii");
                u32::from_str_radix(text, 16).expect("hex")
            };
            let (file_size, name_size) = (field(6) as usize, field(11) as usize);
            let name_start = offset + super::HEADER_LEN;
            let name = &bytes[name_start..name_start + name_size];
            assert_eq!(name.last(), Some(&0), "name not NUL-terminated");
            let data_start = align4(name_start + name_size);
            entries.push(Entry {
                name: String::from_utf8(name[..name_size - 1].to_vec()).expect("utf-8 name"),
                inode: field(0),
                mode: field(1),
                nlink: field(4),
                mtime: field(5),
                rdev: (field(9), field(10)),
                data: bytes[data_start..data_start + file_size].to_vec(),
            });
            offset = align4(data_start + file_size);
        }
        assert_eq!(offset, bytes.len());
        entries
    }
}

#[cfg(test)]
mod tests {
    use super::test_reader::parse;
    use super::*;

    fn file<'a>(name: &'a str, inode: u32) -> EntryHeader<'a> {
        EntryHeader {
            name,
            inode,
            mode: file_type::REGULAR | 0o644,
            nlink: 1,
            rdev_major: 0,
            rdev_minor: 0,
        }
    }

    #[test]
    fn empty_archive_is_just_the_trailer() {
        let bytes = NewcWriter::new().finish();
        let entries = parse(&bytes);
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].name, TRAILER_NAME);
        assert_eq!(entries[0].nlink, 1);
        assert_eq!(bytes.len() % 4, 0);
        // 110 header + 11 name bytes, padded to 124.
        assert_eq!(bytes.len(), 124);
    }

    #[test]
    fn header_layout_is_exact() {
        let mut writer = NewcWriter::new();
        writer.push(&file("a", 1), b"xyz").expect("push");
        let bytes = writer.finish();
        let expected_header = concat!(
            "070701", "00000001", "000081a4", "00000000", "00000000", "00000001", "00000000",
            "00000003", "00000000", "00000000", "00000000", "00000000", "00000002", "00000000",
        );
        assert_eq!(&bytes[..HEADER_LEN], expected_header.as_bytes());
        // name "a\0" ends at 112, already aligned; data, then one pad byte.
        assert_eq!(&bytes[HEADER_LEN..HEADER_LEN + 2], b"a\0");
        assert_eq!(&bytes[112..116], b"xyz\0");
    }

    #[test]
    fn round_trips_every_padding_combination() {
        let mut writer = NewcWriter::new();
        let mut expected = Vec::new();
        for name_len in 1..=5 {
            for data_len in 0..=5 {
                let name = format!("{}{}", "n".repeat(name_len), data_len);
                let data: Vec<u8> = (0..data_len as u8).map(|byte| byte ^ 0x5a).collect();
                let inode = u32::try_from(expected.len() + 1).expect("small");
                writer.push(&file(&name, inode), &data).expect("push");
                expected.push((name, inode, data));
            }
        }
        let entries = parse(&writer.finish());
        assert_eq!(entries.len(), expected.len() + 1);
        for (entry, (name, inode, data)) in entries.iter().zip(&expected) {
            assert_eq!(
                (&entry.name, entry.inode, &entry.data),
                (name, *inode, data)
            );
            assert_eq!(entry.mtime, 0);
        }
    }

    #[test]
    fn device_numbers_are_written() {
        let mut writer = NewcWriter::new();
        let header = EntryHeader {
            name: "dev/console",
            inode: 7,
            mode: file_type::CHAR_DEVICE | 0o600,
            nlink: 1,
            rdev_major: 5,
            rdev_minor: 1,
        };
        writer.push(&header, &[]).expect("push");
        let entries = parse(&writer.finish());
        assert_eq!(entries[0].rdev, (5, 1));
        assert_eq!(entries[0].mode, 0o020_600);
    }

    #[test]
    fn rejects_nul_in_name() {
        let mut writer = NewcWriter::new();
        let error = writer.push(&file("a\0b", 1), b"").expect_err("must fail");
        assert_eq!(error, CpioError::NulInName("a\0b".into()));
        assert!(error.to_string().contains("NUL"));
    }
}
