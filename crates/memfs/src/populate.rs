//! Unpacking an initramfs (newc cpio entries) into the filesystem, with the semantics of Linux's
//! `init/initramfs.c`, plus creation of missing parent directories.

use crate::credentials::Actor;
use crate::names::{skip_slashes, split_component};
use crate::{
    Credentials, DeviceNumber, FileType, InodeId, MemFs, NodeKind, PathAt, SetAttr, TimeUpdate,
    Timestamp, Walker,
};
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use basalt_initrd::{CpioError, Entry};
use basalt_linux_abi::Errno;
use core::fmt;

/// Permission bits of parent directories that the archive does not list.
const IMPLIED_DIR_PERM: u32 = 0o755;

/// An archive entry that could not be applied; unpacking went on without it, as Linux's does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedEntry {
    /// The entry's name in the archive.
    pub name: String,
    /// Why it failed.
    pub errno: Errno,
}

/// What [`populate_from_cpio`] did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PopulateReport {
    /// Entries applied.
    pub applied: usize,
    /// Entries that failed (for the kernel to log).
    pub skipped: Vec<SkippedEntry>,
}

/// Why unpacking stopped. What was unpacked before stays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PopulateError {
    /// The archive is malformed.
    Archive(CpioError),
    /// The filesystem ran out of space (`ENOSPC`: a budget) or memory (`ENOMEM`) at this entry.
    OutOfSpace {
        /// The entry being unpacked.
        name: String,
        /// `ENOSPC` or `ENOMEM`.
        errno: Errno,
    },
}

impl fmt::Display for PopulateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Archive(error) => write!(f, "initramfs archive is malformed: {error}"),
            Self::OutOfSpace { name, errno } => {
                write!(f, "initramfs does not fit at {name:?}: {errno}")
            }
        }
    }
}

/// Unpacks cpio entries (from `basalt_initrd::CpioReader`) into `fs`, relative to its root, as Linux does:
/// directories, regular files, symlinks, device nodes, FIFOs and sockets with their owner, mode and mtime (ctime is
/// `now`; directory mtimes are set at the end, after their entries were added); hard links between entries with
/// the same `(device, ino, type)` and `nlink >= 2` (newc carries the data with the last of them); an existing
/// path of another type is replaced first; a later regular file overwrites an earlier one. Unlike Linux, missing
/// parent directories are created (`0755`, root-owned).
///
/// Entries that fail are listed in the report and skipped; a malformed archive or running out of space stops
/// the unpacking with an error.
pub fn populate_from_cpio<'a, I>(
    fs: &mut MemFs,
    entries: I,
    now: Timestamp,
) -> Result<PopulateReport, PopulateError>
where
    I: IntoIterator<Item = Result<Entry<'a>, CpioError>>,
{
    let mut populator = Populator {
        walker: Walker {
            root: fs.root(),
            cred: Credentials::ROOT,
        },
        fs,
        now,
        hard_links: BTreeMap::new(),
        directory_times: Vec::new(),
        report: PopulateReport::default(),
    };
    for entry in entries {
        let entry = entry.map_err(PopulateError::Archive)?;
        match populator.add(&entry) {
            Ok(()) => populator.report.applied += 1,
            Err(errno @ (Errno::ENOSPC | Errno::ENOMEM)) => {
                return Err(PopulateError::OutOfSpace {
                    name: String::from(entry.name),
                    errno,
                })
            }
            Err(errno) => populator.report.skipped.push(SkippedEntry {
                name: String::from(entry.name),
                errno,
            }),
        }
    }
    for (ino, mtime) in core::mem::take(&mut populator.directory_times) {
        // A directory replaced by a later entry is gone; nothing to date then.
        let _ = populator.fs.setattr(ino, &times(mtime), now);
    }
    Ok(populator.report)
}

/// Hard-link groups are identified as in Linux's initramfs: device, inode number and file type.
type LinkKey = (u32, u32, u32, u32);

struct Populator<'f> {
    fs: &'f mut MemFs,
    walker: Walker<'static>,
    now: Timestamp,
    hard_links: BTreeMap<LinkKey, InodeId>,
    directory_times: Vec<(InodeId, Timestamp)>,
    report: PopulateReport,
}

impl Populator<'_> {
    fn add(&mut self, entry: &Entry<'_>) -> Result<(), Errno> {
        let path = entry.name.as_bytes();
        let file_type = FileType::from_mode(entry.mode).ok_or(Errno::EINVAL)?;
        self.create_parents(path)?;
        self.clean_path(path, Some(file_type));
        let mtime = Timestamp::new(i64::from(entry.mtime), 0);
        let attributes = SetAttr {
            perm: Some(entry.permissions()),
            uid: Some(entry.uid),
            gid: Some(entry.gid),
            atime: Some(TimeUpdate::At(mtime)),
            mtime: Some(TimeUpdate::At(mtime)),
        };
        match file_type {
            FileType::Regular => {
                let linked = self.link_to_earlier(entry, path)?;
                let at = PathAt::new(self.walker.root, path);
                let (ino, _) =
                    self.fs
                        .open_create(&self.walker, at, entry.permissions(), false, self.now)?;
                // O_TRUNC, unless this name was just linked to an earlier member of its hard-link group.
                if !linked {
                    self.fs.truncate(ino, 0, self.now)?;
                }
                if !entry.data.is_empty() {
                    self.fs.truncate(ino, entry.data.len() as u64, self.now)?;
                }
                if self.fs.write_at(ino, 0, entry.data, self.now)? < entry.data.len() {
                    return Err(Errno::ENOSPC);
                }
                self.fs.setattr(ino, &attributes, self.now)?;
                self.remember_link(entry, ino);
            }
            FileType::Directory => {
                let at = PathAt::new(self.walker.root, path);
                match self
                    .fs
                    .mkdir_at(&self.walker, at, entry.permissions(), self.now)
                {
                    Ok(_) | Err(Errno::EEXIST) => {}
                    Err(errno) => return Err(errno),
                }
                let ino = self.fs.lookup_at(&self.walker, at, true)?;
                if !self.fs.is_dir(ino) {
                    return Err(Errno::EEXIST);
                }
                self.fs.setattr(
                    ino,
                    &SetAttr {
                        atime: None,
                        mtime: None,
                        ..attributes
                    },
                    self.now,
                )?;
                self.directory_times.push((ino, mtime));
            }
            FileType::Symlink => {
                // The target is a C string in Linux: it ends at the first NUL.
                let target = entry
                    .data
                    .split(|&byte| byte == 0)
                    .next()
                    .unwrap_or_default();
                let at = PathAt::new(self.walker.root, path);
                let ino = self.fs.symlink_at(&self.walker, target, at, self.now)?;
                let ownership = SetAttr {
                    perm: None,
                    ..attributes
                };
                self.fs.setattr(ino, &ownership, self.now)?;
            }
            FileType::CharDevice | FileType::BlockDevice | FileType::Fifo | FileType::Socket => {
                if self.link_to_earlier(entry, path)? {
                    return Ok(());
                }
                let device = DeviceNumber::new(entry.rdev_major, entry.rdev_minor);
                let kind = match file_type {
                    FileType::CharDevice => NodeKind::CharDevice(device),
                    FileType::BlockDevice => NodeKind::BlockDevice(device),
                    FileType::Fifo => NodeKind::Fifo,
                    _ => NodeKind::Socket,
                };
                let at = PathAt::new(self.walker.root, path);
                let ino =
                    self.fs
                        .mknod_at(&self.walker, at, kind, entry.permissions(), self.now)?;
                self.fs.setattr(ino, &attributes, self.now)?;
                self.remember_link(entry, ino);
            }
        }
        Ok(())
    }

    /// Creates the directories leading to `path` that do not exist yet.
    fn create_parents(&mut self, path: &[u8]) -> Result<(), Errno> {
        let mut consumed = path.len() - skip_slashes(path).len();
        loop {
            let rest = &path[consumed..];
            let (component, after) = split_component(rest);
            if skip_slashes(after).is_empty() {
                return Ok(());
            }
            consumed += component.len();
            let prefix = PathAt::new(self.walker.root, &path[..consumed]);
            match self.fs.lookup_at(&self.walker, prefix, true) {
                Ok(_) => {}
                Err(Errno::ENOENT) => {
                    self.fs
                        .mkdir_at(&self.walker, prefix, IMPLIED_DIR_PERM, self.now)?;
                }
                Err(errno) => return Err(errno),
            }
            consumed += after.len() - skip_slashes(after).len();
        }
    }

    /// Linux's `clean_path`: if `path` (followed) exists with another type than `wanted` (any type, for `None`),
    /// remove it; failures are ignored, the creation that follows reports them.
    fn clean_path(&mut self, path: &[u8], wanted: Option<FileType>) {
        let at = PathAt::new(self.walker.root, path);
        let Ok(existing) = self.fs.lookup_at(&self.walker, at, true) else {
            return;
        };
        if self.fs.file_type(existing).ok() == wanted {
            return;
        }
        let _ = if self.fs.is_dir(existing) {
            self.fs.rmdir_at(&self.walker, at, self.now)
        } else {
            self.fs.unlink_at(&self.walker, at, self.now)
        };
    }

    /// If `entry` belongs to a hard-link group seen before, makes `path` another link to it (Linux's
    /// `maybe_link`) and says so.
    fn link_to_earlier(&mut self, entry: &Entry<'_>, path: &[u8]) -> Result<bool, Errno> {
        let Some(&target) = self
            .hard_links
            .get(&link_key(entry))
            .filter(|_| entry.nlink >= 2)
        else {
            return Ok(false);
        };
        self.clean_path(path, None);
        let parent = self
            .fs
            .lookup_parent_at(&self.walker, PathAt::new(self.walker.root, path))?;
        let actor = Actor::trusted(Credentials::ROOT);
        self.fs.link_entry(
            &actor,
            parent.dir,
            parent.last,
            parent.trailing_slash,
            target,
            self.now,
        )?;
        Ok(true)
    }

    /// Records the first member of a hard-link group.
    fn remember_link(&mut self, entry: &Entry<'_>, ino: InodeId) {
        if entry.nlink >= 2 {
            self.hard_links.entry(link_key(entry)).or_insert(ino);
        }
    }
}

fn link_key(entry: &Entry<'_>) -> LinkKey {
    (
        entry.dev_major,
        entry.dev_minor,
        entry.ino,
        entry.mode & 0o170_000,
    )
}

fn times(mtime: Timestamp) -> SetAttr {
    SetAttr {
        atime: Some(TimeUpdate::At(mtime)),
        mtime: Some(TimeUpdate::At(mtime)),
        ..SetAttr::default()
    }
}
