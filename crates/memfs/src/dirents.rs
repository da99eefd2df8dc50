//! `getdents64(2)`: directory listings encoded as `struct linux_dirent64` records.

use crate::directory::FIRST_ENTRY_POSITION;
use crate::{FileType, InodeId, MemFs};
use alloc::vec::Vec;
use basalt_linux_abi::Errno;

/// `d_ino` (8) + `d_off` (8) + `d_reclen` (2) + `d_type` (1), before the name.
const DIRENT_HEADER_LEN: usize = 19;
/// Records are padded to this alignment.
const DIRENT_ALIGN: usize = 8;

/// Position of `.`; `..` is at 1 and entries from [`FIRST_ENTRY_POSITION`] on.
const DOT_POSITION: u64 = 0;
const DOT_DOT_POSITION: u64 = 1;

impl MemFs {
    /// Lists directory `dir` from `cookie` (0 at the start; afterwards the returned `next_cookie`, which is the
    /// `d_off` of the last record) as `linux_dirent64` records filling at most `buf_len` bytes: `d_ino`, `d_off`
    /// (cookie of the next record), `d_reclen` (multiple of 8), `d_type`, the name and a NUL, zero padding.
    /// `.` and `..` come first, then entries in creation order; entries added or removed during a listing never
    /// make another entry appear twice or be skipped. An empty buffer back means the end.
    ///
    /// Errors: `ENOTDIR`, `EINVAL` if the next record does not fit in `buf_len`, `ENOENT` for a removed directory,
    /// `ENOMEM` if the output cannot be allocated. Does not touch the access time (see [`MemFs::mark_accessed`]).
    pub fn read_dir(
        &self,
        dir: InodeId,
        cookie: u64,
        buf_len: usize,
    ) -> Result<(Vec<u8>, u64), Errno> {
        let inode = self.inode(dir)?;
        let entries = inode.directory().ok_or(Errno::ENOTDIR)?;
        if inode.nlink == 0 {
            return Err(Errno::ENOENT);
        }
        let dots = [
            (DOT_POSITION, &b"."[..], dir),
            (DOT_DOT_POSITION, &b".."[..], entries.parent),
        ];
        let records = dots
            .into_iter()
            .filter(|&(position, _, _)| position >= cookie)
            .chain(entries.entries_from(cookie.max(FIRST_ENTRY_POSITION)));

        let mut out = Vec::new();
        let mut next_cookie = cookie;
        for (position, name, ino) in records {
            let record_len = (DIRENT_HEADER_LEN + name.len() + 1).next_multiple_of(DIRENT_ALIGN);
            if out.len() + record_len > buf_len {
                if out.is_empty() {
                    return Err(Errno::EINVAL);
                }
                break;
            }
            out.try_reserve(record_len).map_err(|_| Errno::ENOMEM)?;
            let file_type = self.file_type(ino).unwrap_or(FileType::Regular);
            next_cookie = position.saturating_add(1);
            out.extend_from_slice(&ino.number().to_le_bytes());
            out.extend_from_slice(&next_cookie.to_le_bytes());
            // A record is at most 19 + 255 + 1 bytes rounded up, so its length fits d_reclen's u16.
            out.extend_from_slice(&(record_len as u16).to_le_bytes());
            out.push(file_type.dirent_type());
            out.extend_from_slice(name);
            let padding = record_len - DIRENT_HEADER_LEN - name.len();
            out.extend(core::iter::repeat_n(0, padding));
        }
        Ok((out, next_cookie))
    }
}
