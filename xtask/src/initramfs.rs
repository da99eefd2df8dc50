//! An in-memory initramfs: add directories, files, symlinks and device nodes
//! by path, then serialize as a reproducible gzip-compressed newc cpio.
//!
//! Missing parent directories are created (mode 0755) automatically, entries
//! keep insertion order (parents first), inode numbers count up from 1 in that
//! order, and every timestamp is 0, so the same inputs give the same bytes.

use crate::cpio::{self, file_type, CpioError, EntryHeader, NewcWriter};
use flate2::{Compression, GzBuilder};
use std::fmt;
use std::io::Write;

/// Permission bits for directories created implicitly.
const IMPLICIT_DIRECTORY_PERMISSIONS: u32 = 0o755;

/// Why an entry cannot be added or the image cannot be written.
#[derive(Debug, PartialEq, Eq)]
pub enum InitramfsError {
    /// Empty path, or one with `.`/`..`/empty components.
    InvalidPath(String),
    /// Something already exists at this path.
    AlreadyExists(String),
    /// A parent of the path is not a directory.
    ParentNotDirectory { path: String, parent: String },
    /// Permission bits outside 0o7777.
    InvalidPermissions { path: String, permissions: u32 },
    /// More entries than 32-bit inode numbers can count.
    TooManyEntries,
    /// The cpio writer refused an entry.
    Cpio(CpioError),
    /// Compression failed.
    Compression(String),
}

impl fmt::Display for InitramfsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidPath(path) => write!(f, "invalid initramfs path {path:?}"),
            Self::AlreadyExists(path) => write!(f, "initramfs already has an entry at {path:?}"),
            Self::ParentNotDirectory { path, parent } => {
                write!(f, "cannot add {path:?}: {parent:?} is not a directory")
            }
            Self::InvalidPermissions { path, permissions } => {
                write!(
                    f,
                    "permissions {permissions:#o} of {path:?} are not within 0o7777"
                )
            }
            Self::TooManyEntries => {
                write!(f, "too many initramfs entries for 32-bit inode numbers")
            }
            Self::Cpio(error) => error.fmt(f),
            Self::Compression(message) => write!(f, "gzip compression failed: {message}"),
        }
    }
}

impl std::error::Error for InitramfsError {}

impl From<CpioError> for InitramfsError {
    fn from(error: CpioError) -> Self {
        Self::Cpio(error)
    }
}

// Symlinks and device nodes are part of the builder's API for later images.
#[allow(dead_code)]
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Directory,
    File(Vec<u8>),
    Symlink(String),
    CharDevice { major: u32, minor: u32 },
}

impl Kind {
    fn type_bits(&self) -> u32 {
        match self {
            Self::Directory => file_type::DIRECTORY,
            Self::File(_) => file_type::REGULAR,
            Self::Symlink(_) => file_type::SYMLINK,
            Self::CharDevice { .. } => file_type::CHAR_DEVICE,
        }
    }
}

#[derive(Debug)]
struct Node {
    path: String,
    permissions: u32,
    kind: Kind,
}

/// The contents of an initramfs, in insertion order.
#[derive(Debug, Default)]
pub struct Initramfs {
    nodes: Vec<Node>,
}

impl Initramfs {
    /// An empty image.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of entries (without the cpio trailer).
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Adds a directory; adding an existing directory just sets its permissions.
    pub fn add_dir(&mut self, path: &str, permissions: u32) -> Result<&mut Self, InitramfsError> {
        let path = normalize(path)?;
        check_permissions(&path, permissions)?;
        if let Some(existing) = self.nodes.iter_mut().find(|node| node.path == path) {
            if existing.kind != Kind::Directory {
                return Err(InitramfsError::AlreadyExists(path));
            }
            existing.permissions = permissions;
            return Ok(self);
        }
        self.insert(path, permissions, Kind::Directory)
    }

    /// Adds a regular file.
    pub fn add_file(
        &mut self,
        path: &str,
        permissions: u32,
        contents: impl Into<Vec<u8>>,
    ) -> Result<&mut Self, InitramfsError> {
        let path = normalize(path)?;
        check_permissions(&path, permissions)?;
        self.insert(path, permissions, Kind::File(contents.into()))
    }

    /// Adds a symbolic link pointing at `target` (stored verbatim).
    #[allow(dead_code)] // API for later images; exercised by the tests.
    pub fn add_symlink(&mut self, path: &str, target: &str) -> Result<&mut Self, InitramfsError> {
        let path = normalize(path)?;
        if target.is_empty() {
            return Err(InitramfsError::InvalidPath(target.to_owned()));
        }
        self.insert(path, 0o777, Kind::Symlink(target.to_owned()))
    }

    /// Adds a character device node such as `dev/console` (5, 1).
    #[allow(dead_code)] // API for later images; exercised by the tests.
    pub fn add_char_device(
        &mut self,
        path: &str,
        permissions: u32,
        major: u32,
        minor: u32,
    ) -> Result<&mut Self, InitramfsError> {
        let path = normalize(path)?;
        check_permissions(&path, permissions)?;
        self.insert(path, permissions, Kind::CharDevice { major, minor })
    }

    /// Serializes as an uncompressed newc archive.
    pub fn to_cpio(&self) -> Result<Vec<u8>, InitramfsError> {
        let mut writer = NewcWriter::new();
        for (index, node) in self.nodes.iter().enumerate() {
            let inode = u32::try_from(index + 1).map_err(|_| InitramfsError::TooManyEntries)?;
            let header = EntryHeader {
                name: &node.path,
                inode,
                mode: node.kind.type_bits() | node.permissions,
                // A directory is linked from its parent and from its own ".";
                // subdirectories' ".." links are not worth tracking here.
                nlink: if node.kind == Kind::Directory { 2 } else { 1 },
                rdev_major: match node.kind {
                    Kind::CharDevice { major, .. } => major,
                    _ => 0,
                },
                rdev_minor: match node.kind {
                    Kind::CharDevice { minor, .. } => minor,
                    _ => 0,
                },
            };
            let data: &[u8] = match &node.kind {
                Kind::File(contents) => contents,
                Kind::Symlink(target) => target.as_bytes(),
                Kind::Directory | Kind::CharDevice { .. } => &[],
            };
            writer.push(&header, data)?;
        }
        Ok(writer.finish())
    }

    /// Serializes as a gzip-compressed newc archive (gzip mtime 0, no file name).
    pub fn to_cpio_gz(&self) -> Result<Vec<u8>, InitramfsError> {
        let archive = self.to_cpio()?;
        let mut encoder = GzBuilder::new()
            .mtime(0)
            .write(Vec::new(), Compression::best());
        let compression_error =
            |error: std::io::Error| InitramfsError::Compression(error.to_string());
        encoder.write_all(&archive).map_err(compression_error)?;
        encoder.finish().map_err(compression_error)
    }

    /// Adds `path` after creating its missing parents.
    fn insert(
        &mut self,
        path: String,
        permissions: u32,
        kind: Kind,
    ) -> Result<&mut Self, InitramfsError> {
        if self.nodes.iter().any(|node| node.path == path) {
            return Err(InitramfsError::AlreadyExists(path));
        }
        let parents: Vec<&str> = path
            .match_indices('/')
            .map(|(slash, _)| &path[..slash])
            .collect();
        for parent in &parents {
            match self.nodes.iter().find(|node| node.path == *parent) {
                Some(node) if node.kind == Kind::Directory => {}
                Some(_) => {
                    return Err(InitramfsError::ParentNotDirectory {
                        path: path.clone(),
                        parent: (*parent).to_owned(),
                    })
                }
                None => self.nodes.push(Node {
                    path: (*parent).to_owned(),
                    permissions: IMPLICIT_DIRECTORY_PERMISSIONS,
                    kind: Kind::Directory,
                }),
            }
        }
        self.nodes.push(Node {
            path,
            permissions,
            kind,
        });
        Ok(self)
    }
}

/// `/dev/` → `dev`: strips leading and trailing slashes, rejects `.`, `..`,
/// empty components and the trailer's name.
fn normalize(path: &str) -> Result<String, InitramfsError> {
    let trimmed = path.trim_start_matches('/').trim_end_matches('/');
    let invalid = trimmed.is_empty()
        || trimmed == cpio::TRAILER_NAME
        || trimmed.contains('\0')
        || trimmed
            .split('/')
            .any(|component| matches!(component, "" | "." | ".."));
    if invalid {
        return Err(InitramfsError::InvalidPath(path.to_owned()));
    }
    Ok(trimmed.to_owned())
}

fn check_permissions(path: &str, permissions: u32) -> Result<(), InitramfsError> {
    if permissions & !0o7777 != 0 {
        return Err(InitramfsError::InvalidPermissions {
            path: path.to_owned(),
            permissions,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpio::test_reader::parse;
    use flate2::read::GzDecoder;
    use std::io::Read;
    use std::process::{Command, Stdio};

    fn sample() -> Initramfs {
        let mut image = Initramfs::new();
        image.add_dir("dev/", 0o755).expect("dev");
        image
            .add_file("init", 0o755, b"\x7fELF...".to_vec())
            .expect("init");
        image.add_file("/etc/motd", 0o644, "hi\n").expect("motd");
        image.add_symlink("bin/sh", "/init").expect("sh");
        image
            .add_char_device("dev/console", 0o600, 5, 1)
            .expect("console");
        image
    }

    #[test]
    fn entries_keep_order_with_implicit_parents_and_sequential_inodes() {
        let entries = parse(&sample().to_cpio().expect("cpio"));
        let names: Vec<&str> = entries.iter().map(|entry| entry.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "dev",
                "init",
                "etc",
                "etc/motd",
                "bin",
                "bin/sh",
                "dev/console",
                "TRAILER!!!"
            ]
        );
        let inodes: Vec<u32> = entries.iter().map(|entry| entry.inode).collect();
        assert_eq!(inodes, [1, 2, 3, 4, 5, 6, 7, 0]);
        assert_eq!(entries[0].mode, 0o040_755);
        assert_eq!(entries[0].nlink, 2);
        assert_eq!(entries[1].mode, 0o100_755);
        assert_eq!(entries[1].data, b"\x7fELF...");
        assert_eq!(entries[2].mode, 0o040_755);
        assert_eq!(entries[5].mode, 0o120_777);
        assert_eq!(entries[5].data, b"/init");
        assert_eq!(entries[6].rdev, (5, 1));
        assert!(entries.iter().all(|entry| entry.mtime == 0));
    }

    #[test]
    fn gzip_is_reproducible_and_decompresses_to_the_archive() {
        let first = sample().to_cpio_gz().expect("gz");
        let second = sample().to_cpio_gz().expect("gz");
        assert_eq!(first, second);
        // gzip header: magic, deflate, no flags (no name), mtime 0.
        assert_eq!(&first[..8], &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0]);
        let mut plain = Vec::new();
        GzDecoder::new(first.as_slice())
            .read_to_end(&mut plain)
            .expect("gunzip");
        assert_eq!(plain, sample().to_cpio().expect("cpio"));
    }

    #[test]
    fn re_adding_a_directory_updates_permissions() {
        let mut image = Initramfs::new();
        image.add_file("a/b", 0o644, "x").expect("file");
        image.add_dir("a", 0o700).expect("dir");
        let entries = parse(&image.to_cpio().expect("cpio"));
        assert_eq!(entries[0].mode, 0o040_700);
        assert_eq!(image.len(), 2);
    }

    #[test]
    fn rejects_bad_paths() {
        let mut image = Initramfs::new();
        for path in ["", "/", "a//b", "./a", "a/../b", "..", "TRAILER!!!", "a\0b"] {
            let error = image.add_file(path, 0o644, "x").expect_err(path);
            assert_eq!(error, InitramfsError::InvalidPath(path.to_owned()));
        }
        assert_eq!(
            image.add_symlink("link", "").expect_err("empty target"),
            InitramfsError::InvalidPath(String::new())
        );
        assert_eq!(image.len(), 0);
    }

    #[test]
    fn rejects_duplicates_and_files_as_parents() {
        let mut image = Initramfs::new();
        image.add_file("init", 0o755, "x").expect("init");
        let duplicate = image.add_file("/init", 0o755, "y").map(|_| ());
        assert_eq!(duplicate, Err(InitramfsError::AlreadyExists("init".into())));
        assert!(matches!(
            image.add_dir("init", 0o755),
            Err(InitramfsError::AlreadyExists(_))
        ));
        let error = image
            .add_file("init/x", 0o644, "z")
            .expect_err("parent is a file");
        assert_eq!(
            error,
            InitramfsError::ParentNotDirectory {
                path: "init/x".into(),
                parent: "init".into()
            }
        );
        assert!(error.to_string().contains("not a directory"));
    }

    #[test]
    fn rejects_type_bits_in_permissions() {
        let mut image = Initramfs::new();
        let error = image
            .add_file("init", 0o100_755, "x")
            .expect_err("type bits");
        assert!(matches!(
            error,
            InitramfsError::InvalidPermissions {
                permissions: 0o100_755,
                ..
            }
        ));
        assert!(error.to_string().contains("0o100755"));
    }

    /// Cross-checks the format with GNU cpio when the host has it.
    #[test]
    fn host_cpio_lists_the_archive() {
        let Ok(mut child) = Command::new("cpio")
            .args(["-t", "--quiet"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
        else {
            eprintln!("note: host cpio not found; skipping cross-check");
            return;
        };
        let archive = sample().to_cpio().expect("cpio");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(&archive)
            .expect("feed cpio");
        let output = child.wait_with_output().expect("cpio runs");
        assert!(
            output.status.success(),
            "cpio -t failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let listing = String::from_utf8(output.stdout).expect("utf-8");
        let names: Vec<&str> = listing.lines().collect();
        assert_eq!(
            names,
            [
                "dev",
                "init",
                "etc",
                "etc/motd",
                "bin",
                "bin/sh",
                "dev/console"
            ]
        );
    }
}
