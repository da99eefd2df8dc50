//! File types: their `st_mode` bits and `d_type` values, and what `mknod(2)` may create.

use crate::DeviceNumber;
use basalt_linux_abi::Errno;

/// The `S_IFMT` mask of `st_mode`.
pub(crate) const S_IFMT: u32 = 0o170_000;
/// Set-user-id bit.
pub(crate) const S_ISUID: u32 = 0o4000;
/// Set-group-id bit.
pub(crate) const S_ISGID: u32 = 0o2000;
/// Sticky (restricted deletion) bit.
pub(crate) const S_ISVTX: u32 = 0o1000;
/// Group execute bit.
pub(crate) const S_IXGRP: u32 = 0o010;
/// Any execute bit.
pub(crate) const S_IXUGO: u32 = 0o111;
/// Permission bits plus set-id and sticky bits: everything in `st_mode` but the type.
pub(crate) const PERMISSION_BITS: u32 = 0o7777;

/// The type of an inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileType {
    /// Named pipe.
    Fifo,
    /// Character device node.
    CharDevice,
    /// Directory.
    Directory,
    /// Block device node.
    BlockDevice,
    /// Regular file.
    Regular,
    /// Symbolic link.
    Symlink,
    /// Unix domain socket node.
    Socket,
}

impl FileType {
    /// The `S_IFxxx` bits of `st_mode`.
    pub const fn mode_bits(self) -> u32 {
        match self {
            Self::Fifo => 0o010_000,
            Self::CharDevice => 0o020_000,
            Self::Directory => 0o040_000,
            Self::BlockDevice => 0o060_000,
            Self::Regular => 0o100_000,
            Self::Symlink => 0o120_000,
            Self::Socket => 0o140_000,
        }
    }

    /// The type named by the `S_IFMT` bits of `mode`, if any.
    pub const fn from_mode(mode: u32) -> Option<Self> {
        Some(match mode & S_IFMT {
            0o010_000 => Self::Fifo,
            0o020_000 => Self::CharDevice,
            0o040_000 => Self::Directory,
            0o060_000 => Self::BlockDevice,
            0o100_000 => Self::Regular,
            0o120_000 => Self::Symlink,
            0o140_000 => Self::Socket,
            _ => return None,
        })
    }

    /// The `d_type` of a `linux_dirent64` record (`DT_FIFO` … `DT_SOCK`): the mode's type bits shifted down.
    pub const fn dirent_type(self) -> u8 {
        (self.mode_bits() >> 12) as u8
    }
}

/// What [`crate::MemFs::create`] and [`crate::MemFs::mknod_at`] make: every type but directories and symlinks,
/// which have their own operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeKind {
    /// An empty regular file.
    Regular,
    /// A character device node; its data is the kernel's business.
    CharDevice(DeviceNumber),
    /// A block device node.
    BlockDevice(DeviceNumber),
    /// A named pipe.
    Fifo,
    /// A socket node.
    Socket,
}

impl NodeKind {
    /// Interprets `mknod(2)`'s `mode` type bits and `dev`: no type means a regular file, a directory is `EPERM`,
    /// an unknown type `EINVAL` (as `may_mknod` in Linux).
    pub fn from_mknod(mode: u32, dev: u64) -> Result<Self, Errno> {
        match mode & S_IFMT {
            0 => Ok(Self::Regular),
            _ => match FileType::from_mode(mode) {
                Some(FileType::Regular) => Ok(Self::Regular),
                Some(FileType::CharDevice) => Ok(Self::CharDevice(DeviceNumber::decode(dev))),
                Some(FileType::BlockDevice) => Ok(Self::BlockDevice(DeviceNumber::decode(dev))),
                Some(FileType::Fifo) => Ok(Self::Fifo),
                Some(FileType::Socket) => Ok(Self::Socket),
                Some(FileType::Directory) => Err(Errno::EPERM),
                Some(FileType::Symlink) | None => Err(Errno::EINVAL),
            },
        }
    }

    /// The file type of the node this makes.
    pub const fn file_type(self) -> FileType {
        match self {
            Self::Regular => FileType::Regular,
            Self::CharDevice(_) => FileType::CharDevice,
            Self::BlockDevice(_) => FileType::BlockDevice,
            Self::Fifo => FileType::Fifo,
            Self::Socket => FileType::Socket,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_round_trip_through_mode_and_match_libc() {
        let all = [
            (FileType::Fifo, libc::S_IFIFO, libc::DT_FIFO),
            (FileType::CharDevice, libc::S_IFCHR, libc::DT_CHR),
            (FileType::Directory, libc::S_IFDIR, libc::DT_DIR),
            (FileType::BlockDevice, libc::S_IFBLK, libc::DT_BLK),
            (FileType::Regular, libc::S_IFREG, libc::DT_REG),
            (FileType::Symlink, libc::S_IFLNK, libc::DT_LNK),
            (FileType::Socket, libc::S_IFSOCK, libc::DT_SOCK),
        ];
        for (file_type, mode, dtype) in all {
            assert_eq!(file_type.mode_bits(), mode);
            assert_eq!(file_type.dirent_type(), dtype);
            assert_eq!(FileType::from_mode(mode | 0o755), Some(file_type));
        }
        assert_eq!(FileType::from_mode(0o644), None);
        assert_eq!(FileType::from_mode(0o170_644), None);
    }

    #[test]
    fn mknod_modes_follow_linux() {
        assert_eq!(NodeKind::from_mknod(0o644, 0), Ok(NodeKind::Regular));
        assert_eq!(NodeKind::from_mknod(0o100_644, 0), Ok(NodeKind::Regular));
        assert_eq!(
            NodeKind::from_mknod(0o020_600, libc::makedev(4, 64)),
            Ok(NodeKind::CharDevice(DeviceNumber::new(4, 64)))
        );
        assert_eq!(
            NodeKind::from_mknod(0o060_600, libc::makedev(8, 1)),
            Ok(NodeKind::BlockDevice(DeviceNumber::new(8, 1)))
        );
        assert_eq!(NodeKind::from_mknod(0o010_600, 0), Ok(NodeKind::Fifo));
        assert_eq!(NodeKind::from_mknod(0o140_600, 0), Ok(NodeKind::Socket));
        assert_eq!(NodeKind::from_mknod(0o040_755, 0), Err(Errno::EPERM));
        assert_eq!(NodeKind::from_mknod(0o120_777, 0), Err(Errno::EINVAL));
        assert_eq!(NodeKind::from_mknod(0o170_777, 0), Err(Errno::EINVAL));
    }
}
