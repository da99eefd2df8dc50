//! Encodings shared by filesystems whose directories and numbers are computed rather than stored: directory
//! listings as `linux_dirent64` records, and x86_64 `struct statfs`.

use alloc::vec::Vec;
use basalt_linux_abi::Errno;

/// `d_ino` (8) + `d_off` (8) + `d_reclen` (2) + `d_type` (1), before the name.
const DIRENT_HEADER_LEN: usize = 19;

/// `DT_DIR`, `DT_REG`, `DT_LNK`, `DT_CHR`.
pub const DT_DIR: u8 = 4;
/// Regular file.
pub const DT_REG: u8 = 8;
/// Symbolic link.
pub const DT_LNK: u8 = 10;
/// Character device.
pub const DT_CHR: u8 = 2;

/// One directory entry: its position (cookies count positions), name, inode number and `d_type`.
pub struct DirEntry<'a> {
    pub name: &'a [u8],
    pub ino: u64,
    pub dtype: u8,
}

/// Encodes the entries from position `cookie` on into at most `buf_len` bytes, as `getdents64` returns them
/// (each record's `d_off` is the next position). `EINVAL` if not even one record fits; an empty result is the
/// end of the directory. Returns the bytes and the cookie to continue from.
pub fn encode_dirents<'a>(
    entries: impl Iterator<Item = DirEntry<'a>>,
    cookie: u64,
    buf_len: usize,
) -> Result<(Vec<u8>, u64), Errno> {
    let mut out = Vec::new();
    let mut next = cookie;
    for (position, entry) in entries
        .enumerate()
        .skip(usize::try_from(cookie).unwrap_or(usize::MAX))
    {
        let record_len = (DIRENT_HEADER_LEN + entry.name.len() + 1).next_multiple_of(8);
        if out.len() + record_len > buf_len {
            if out.is_empty() {
                return Err(Errno::EINVAL);
            }
            break;
        }
        out.try_reserve(record_len).map_err(|_| Errno::ENOMEM)?;
        next = position as u64 + 1;
        out.extend_from_slice(&entry.ino.to_le_bytes());
        out.extend_from_slice(&next.to_le_bytes());
        out.extend_from_slice(&(record_len as u16).to_le_bytes());
        out.push(entry.dtype);
        out.extend_from_slice(entry.name);
        out.resize(
            out.len() + record_len - DIRENT_HEADER_LEN - entry.name.len(),
            0,
        );
    }
    Ok((out, next))
}

/// What `statfs(2)` reports about a filesystem.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatFs {
    /// `f_type`: the filesystem's magic number (`TMPFS_MAGIC`, `PROC_SUPER_MAGIC`, ...).
    pub magic: u64,
    pub block_size: u64,
    pub blocks: u64,
    pub blocks_free: u64,
    pub blocks_available: u64,
    pub files: u64,
    pub files_free: u64,
    /// `f_fsid`, two 32-bit words.
    pub fsid: [u32; 2],
    pub name_max: u64,
    /// `f_flags`: `ST_*` mount flags and `ST_VALID`.
    pub flags: u64,
}

/// `TMPFS_MAGIC` (also devtmpfs).
pub const TMPFS_MAGIC: u64 = 0x0102_1994;
/// `PROC_SUPER_MAGIC`.
pub const PROC_SUPER_MAGIC: u64 = 0x9fa0;
/// `SYSFS_MAGIC`.
pub const SYSFS_MAGIC: u64 = 0x6265_6572;
/// `ST_VALID`: `f_flags` is filled in.
pub const ST_VALID: u64 = 0x20;
/// `ST_RELATIME`.
pub const ST_RELATIME: u64 = 0x1000;
/// `ST_NOSUID`, `ST_NODEV`, `ST_NOEXEC`.
pub const ST_NOSUID: u64 = 2;
/// `ST_NODEV`.
pub const ST_NODEV: u64 = 4;
/// `ST_NOEXEC`.
pub const ST_NOEXEC: u64 = 8;

/// Size of x86_64 `struct statfs`.
pub const STATFS_SIZE: usize = 120;

impl StatFs {
    /// x86_64 `struct statfs`: eleven 8-byte fields (`f_fsid` is two `int`s), `f_frsize` = `f_bsize`, four
    /// spare words zero.
    pub fn encode(&self) -> [u8; STATFS_SIZE] {
        let mut b = [0u8; STATFS_SIZE];
        let words = [
            self.magic,
            self.block_size,
            self.blocks,
            self.blocks_free,
            self.blocks_available,
            self.files,
            self.files_free,
            u64::from(self.fsid[0]) | (u64::from(self.fsid[1]) << 32),
            self.name_max,
            self.block_size,
            self.flags,
        ];
        for (i, word) in words.iter().enumerate() {
            b[i * 8..i * 8 + 8].copy_from_slice(&word.to_le_bytes());
        }
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dirents_resume_at_the_cookie() {
        let names: [&[u8]; 3] = [b".", b"..", b"self"];
        let entries = || {
            names.iter().enumerate().map(|(i, n)| DirEntry {
                name: n,
                ino: i as u64 + 1,
                dtype: DT_DIR,
            })
        };
        let (all, next) = encode_dirents(entries(), 0, 4096).unwrap();
        assert_eq!(next, 3);
        assert_eq!(all.len(), 24 + 24 + 24);
        assert_eq!(&all[16..18], &24u16.to_le_bytes());
        let (tail, next) = encode_dirents(entries(), 2, 4096).unwrap();
        assert_eq!(next, 3);
        assert_eq!(&tail[19..23], b"self");
        assert_eq!(encode_dirents(entries(), 3, 4096).unwrap().0.len(), 0);
        assert_eq!(encode_dirents(entries(), 0, 10), Err(Errno::EINVAL));
        assert_eq!(encode_dirents(entries(), 0, 30).unwrap().1, 1);
    }

    #[test]
    fn statfs_layout_matches_libc() {
        let s = StatFs {
            magic: TMPFS_MAGIC,
            block_size: 4096,
            blocks: 10,
            fsid: [1, 2],
            name_max: 255,
            flags: ST_VALID,
            ..Default::default()
        };
        let b = s.encode();
        assert_eq!(core::mem::size_of::<libc::statfs>(), STATFS_SIZE);
        assert_eq!(core::mem::offset_of!(libc::statfs, f_namelen), 64);
        assert_eq!(core::mem::offset_of!(libc::statfs, f_frsize), 72);
        assert_eq!(&b[0..8], &TMPFS_MAGIC.to_le_bytes());
        assert_eq!(&b[56..60], &1u32.to_le_bytes());
        assert_eq!(&b[72..80], &4096u64.to_le_bytes());
    }
}

/// The records of a `getdents64` buffer: (inode number, `d_type`, name). Stops at a malformed record.
pub fn decode_dirents(bytes: &[u8]) -> Vec<(u64, u8, &[u8])> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + DIRENT_HEADER_LEN <= bytes.len() {
        let word = |from: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[from..from + 8]);
            u64::from_le_bytes(b)
        };
        let ino = word(at);
        let reclen = usize::from(u16::from_le_bytes([bytes[at + 16], bytes[at + 17]]));
        if reclen <= DIRENT_HEADER_LEN || at + reclen > bytes.len() {
            break;
        }
        let name = &bytes[at + DIRENT_HEADER_LEN..at + reclen];
        let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
        out.push((ino, bytes[at + 18], name));
        at += reclen;
    }
    out
}

#[cfg(test)]
mod decode_tests {
    use super::*;

    #[test]
    fn decoding_reverses_encoding() {
        let names: [&[u8]; 2] = [b"a", b"longer-name"];
        let (bytes, _) = encode_dirents(
            names.iter().enumerate().map(|(i, n)| DirEntry {
                name: n,
                ino: 10 + i as u64,
                dtype: DT_REG,
            }),
            0,
            4096,
        )
        .unwrap();
        let back = decode_dirents(&bytes);
        assert_eq!(
            back,
            alloc::vec![(10, DT_REG, &b"a"[..]), (11, DT_REG, &b"longer-name"[..])]
        );
        assert!(decode_dirents(&bytes[..bytes.len() - 1]).len() == 1);
    }
}
