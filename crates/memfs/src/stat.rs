//! `stat(2)` results and their x86_64 `struct stat` encoding.

use crate::{FileType, Timestamp};

/// Size of x86_64 Linux's `struct stat`.
pub const STAT_SIZE: usize = 144;

/// An inode's attributes, as `stat(2)` reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    /// Device of the filesystem ([`crate::Config::device`]).
    pub dev: u64,
    /// Inode number.
    pub ino: u64,
    /// Number of hard links (for directories: 2 plus the number of subdirectories; 0 once removed).
    pub nlink: u64,
    /// File type and permission bits.
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Device number of a device node ([`crate::DeviceNumber::encode`]), else 0.
    pub rdev: u64,
    /// Size in bytes: file length, symlink target length, or tmpfs' 20 bytes per directory entry (plus 40).
    pub size: u64,
    /// Preferred I/O size: the page size.
    pub blksize: u64,
    /// 512-byte blocks of file data allocated (holes take none).
    pub blocks: u64,
    /// Last access.
    pub atime: Timestamp,
    /// Last data modification.
    pub mtime: Timestamp,
    /// Last status change.
    pub ctime: Timestamp,
}

impl Stat {
    /// The file type encoded in `mode`.
    pub fn file_type(&self) -> Option<FileType> {
        FileType::from_mode(self.mode)
    }
}

/// Byte offsets of the fields of x86_64 `struct stat` (checked against the host's libc in tests).
pub(crate) mod offsets {
    pub(crate) const DEV: usize = 0;
    pub(crate) const INO: usize = 8;
    pub(crate) const NLINK: usize = 16;
    pub(crate) const MODE: usize = 24;
    pub(crate) const UID: usize = 28;
    pub(crate) const GID: usize = 32;
    pub(crate) const RDEV: usize = 40;
    pub(crate) const SIZE: usize = 48;
    pub(crate) const BLKSIZE: usize = 56;
    pub(crate) const BLOCKS: usize = 64;
    pub(crate) const ATIME: usize = 72;
    pub(crate) const MTIME: usize = 88;
    pub(crate) const CTIME: usize = 104;
}

/// Encodes `stat` as x86_64 Linux's `struct stat` (little-endian; padding and reserved words zero). Sizes beyond
/// `i64::MAX` cannot occur (files are capped there).
pub fn encode_stat(stat: &Stat) -> [u8; STAT_SIZE] {
    let mut out = [0u8; STAT_SIZE];
    let mut put =
        |offset: usize, bytes: &[u8]| out[offset..offset + bytes.len()].copy_from_slice(bytes);
    put(offsets::DEV, &stat.dev.to_le_bytes());
    put(offsets::INO, &stat.ino.to_le_bytes());
    put(offsets::NLINK, &stat.nlink.to_le_bytes());
    put(offsets::MODE, &stat.mode.to_le_bytes());
    put(offsets::UID, &stat.uid.to_le_bytes());
    put(offsets::GID, &stat.gid.to_le_bytes());
    put(offsets::RDEV, &stat.rdev.to_le_bytes());
    put(offsets::SIZE, &stat.size.to_le_bytes());
    put(offsets::BLKSIZE, &stat.blksize.to_le_bytes());
    put(offsets::BLOCKS, &stat.blocks.to_le_bytes());
    for (offset, time) in [
        (offsets::ATIME, stat.atime),
        (offsets::MTIME, stat.mtime),
        (offsets::CTIME, stat.ctime),
    ] {
        put(offset, &time.secs.to_le_bytes());
        put(offset + 8, &u64::from(time.nanos).to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{offset_of, size_of};

    #[test]
    fn layout_matches_the_host_struct_stat() {
        assert_eq!(size_of::<libc::stat>(), STAT_SIZE);
        assert_eq!(offset_of!(libc::stat, st_dev), offsets::DEV);
        assert_eq!(offset_of!(libc::stat, st_ino), offsets::INO);
        assert_eq!(offset_of!(libc::stat, st_nlink), offsets::NLINK);
        assert_eq!(offset_of!(libc::stat, st_mode), offsets::MODE);
        assert_eq!(offset_of!(libc::stat, st_uid), offsets::UID);
        assert_eq!(offset_of!(libc::stat, st_gid), offsets::GID);
        assert_eq!(offset_of!(libc::stat, st_rdev), offsets::RDEV);
        assert_eq!(offset_of!(libc::stat, st_size), offsets::SIZE);
        assert_eq!(offset_of!(libc::stat, st_blksize), offsets::BLKSIZE);
        assert_eq!(offset_of!(libc::stat, st_blocks), offsets::BLOCKS);
        assert_eq!(offset_of!(libc::stat, st_atime), offsets::ATIME);
        assert_eq!(offset_of!(libc::stat, st_atime_nsec), offsets::ATIME + 8);
        assert_eq!(offset_of!(libc::stat, st_mtime), offsets::MTIME);
        assert_eq!(offset_of!(libc::stat, st_mtime_nsec), offsets::MTIME + 8);
        assert_eq!(offset_of!(libc::stat, st_ctime), offsets::CTIME);
        assert_eq!(offset_of!(libc::stat, st_ctime_nsec), offsets::CTIME + 8);
        // Field widths: the next field starts where this one ends.
        assert_eq!(size_of::<libc::dev_t>(), 8);
        assert_eq!(size_of::<libc::nlink_t>(), 8);
        assert_eq!(size_of::<libc::mode_t>(), 4);
        assert_eq!(size_of::<libc::off_t>(), 8);
        assert_eq!(size_of::<libc::blksize_t>(), 8);
        assert_eq!(size_of::<libc::blkcnt_t>(), 8);
    }

    #[test]
    fn encodes_every_field_little_endian() {
        let stat = Stat {
            dev: 0x0102_0304_0506_0708,
            ino: 42,
            nlink: 3,
            mode: 0o100_644,
            uid: 1000,
            gid: 100,
            rdev: 0x0403,
            size: 5000,
            blksize: 4096,
            blocks: 16,
            atime: Timestamp::new(1, 2),
            mtime: Timestamp::new(-3, 4),
            ctime: Timestamp::new(5, 999_999_999),
        };
        let bytes = encode_stat(&stat);
        let u64_at =
            |offset: usize| u64::from_le_bytes(bytes[offset..offset + 8].try_into().unwrap());
        let u32_at =
            |offset: usize| u32::from_le_bytes(bytes[offset..offset + 4].try_into().unwrap());
        assert_eq!(u64_at(0), 0x0102_0304_0506_0708);
        assert_eq!(u64_at(8), 42);
        assert_eq!(u64_at(16), 3);
        assert_eq!(u32_at(24), 0o100_644);
        assert_eq!(u32_at(28), 1000);
        assert_eq!(u32_at(32), 100);
        assert_eq!(u32_at(36), 0, "padding");
        assert_eq!(u64_at(40), 0x0403);
        assert_eq!(u64_at(48), 5000);
        assert_eq!(u64_at(56), 4096);
        assert_eq!(u64_at(64), 16);
        assert_eq!(u64_at(72), 1);
        assert_eq!(u64_at(80), 2);
        assert_eq!(u64_at(88) as i64, -3);
        assert_eq!(u64_at(96), 4);
        assert_eq!(u64_at(104), 5);
        assert_eq!(u64_at(112), 999_999_999);
        assert!(bytes[120..].iter().all(|&b| b == 0), "reserved words");
    }
}
