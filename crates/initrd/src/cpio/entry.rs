//! One archive member.

/// File-type bits of `mode` (`S_IFMT`).
const TYPE_MASK: u32 = 0o170_000;
const TYPE_DIRECTORY: u32 = 0o040_000;
const TYPE_REGULAR: u32 = 0o100_000;
const TYPE_SYMLINK: u32 = 0o120_000;
const TYPE_CHAR_DEVICE: u32 = 0o020_000;
const TYPE_BLOCK_DEVICE: u32 = 0o060_000;
const TYPE_FIFO: u32 = 0o010_000;
const TYPE_SOCKET: u32 = 0o140_000;
/// Permission and set-id/sticky bits.
const PERMISSION_MASK: u32 = 0o7777;

/// One cpio entry, borrowing its name and data from the archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<'a> {
    /// Path as stored (often relative, e.g. `bin/sh` or `./bin/sh`), without the NUL.
    pub name: &'a str,
    /// Inode number (identifies hard links within one archive).
    pub ino: u32,
    /// File type and permission bits, as in `st_mode`.
    pub mode: u32,
    /// Owner user id.
    pub uid: u32,
    /// Owner group id.
    pub gid: u32,
    /// Link count.
    pub nlink: u32,
    /// Modification time, seconds since the epoch.
    pub mtime: u32,
    /// Major number of the device the file came from.
    pub dev_major: u32,
    /// Minor number of the device the file came from.
    pub dev_minor: u32,
    /// Major number of a device node.
    pub rdev_major: u32,
    /// Minor number of a device node.
    pub rdev_minor: u32,
    /// File contents; for a symlink, the link target.
    pub data: &'a [u8],
}

impl Entry<'_> {
    fn file_type(&self) -> u32 {
        self.mode & TYPE_MASK
    }

    /// True for a directory.
    pub fn is_dir(&self) -> bool {
        self.file_type() == TYPE_DIRECTORY
    }

    /// True for a regular file.
    pub fn is_file(&self) -> bool {
        self.file_type() == TYPE_REGULAR
    }

    /// True for a symbolic link (its target is in `data`).
    pub fn is_symlink(&self) -> bool {
        self.file_type() == TYPE_SYMLINK
    }

    /// True for a character or block device node (see `rdev_major`/`rdev_minor`).
    pub fn is_device(&self) -> bool {
        matches!(self.file_type(), TYPE_CHAR_DEVICE | TYPE_BLOCK_DEVICE)
    }

    /// True for a FIFO or a socket.
    pub fn is_fifo_or_socket(&self) -> bool {
        matches!(self.file_type(), TYPE_FIFO | TYPE_SOCKET)
    }

    /// Permission bits including set-uid, set-gid and sticky (`mode & 0o7777`).
    pub fn permissions(&self) -> u32 {
        self.mode & PERMISSION_MASK
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_mode(mode: u32) -> Entry<'static> {
        Entry {
            name: "x",
            ino: 0,
            mode,
            uid: 0,
            gid: 0,
            nlink: 1,
            mtime: 0,
            dev_major: 0,
            dev_minor: 0,
            rdev_major: 0,
            rdev_minor: 0,
            data: &[],
        }
    }

    #[test]
    fn classifies_file_types() {
        assert!(with_mode(0o040_755).is_dir());
        assert!(with_mode(0o100_644).is_file());
        assert!(with_mode(0o120_777).is_symlink());
        assert!(with_mode(0o020_620).is_device());
        assert!(with_mode(0o060_660).is_device());
        assert!(with_mode(0o010_644).is_fifo_or_socket());
        assert!(with_mode(0o140_755).is_fifo_or_socket());
        let file = with_mode(0o104_755);
        assert!(!file.is_dir() && !file.is_symlink() && !file.is_device());
        assert_eq!(file.permissions(), 0o4755);
    }
}
