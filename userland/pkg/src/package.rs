//! Package files: a signed header (metadata + manifest + payload digest) followed by the
//! zstd-compressed payload, the contents of every regular file in manifest order.
//! See docs/pkg-format.md.
#![forbid(unsafe_code)]

use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::os::unix::fs::{symlink, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::envelope;
use crate::keys::{key_id, KeyStore};
use crate::manifest::{check_manifest, Entry, EntryKind};
use crate::recipe::Metadata;
use crate::refused::Refused;
use crate::staging::{staged_path, staged_paths, Trees};

pub const MAGIC: &[u8; 8] = b"BSLTPKG\0";
/// 1 had SHA-256 file digests; 2 has BLAKE3 ones.
pub const FORMAT: u32 = 2;
/// Fixed so that the same inputs give the same bytes with the same zstd library.
pub const ZSTD_LEVEL: i32 = 9;

/// The compressed payload's length and SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payload {
    pub size: u64,
    pub sha256: String,
}

/// The signed header of a package file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub meta: Metadata,
    pub entries: Vec<Entry>,
    pub payload: Payload,
}

/// A writer that hashes and counts what passes through it.
struct Hashing<W> {
    inner: W,
    hash: Sha256,
    count: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(bytes)?;
        self.hash.update(&bytes[..written]);
        self.count += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A reader that hashes what passes through it (when `active`).
struct HashingReader<R> {
    inner: R,
    hash: Sha256,
    active: bool,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        if self.active {
            self.hash.update(&buf[..read]);
        }
        Ok(read)
    }
}

/// Writes a package file at `out` from `entries` (already checked and sorted) whose regular files
/// are read from `files_root`. The file appears only when complete (written beside it, then renamed).
/// `progress` is called with the bytes of each file packed.
pub fn write_package(
    out: &Path,
    meta: &Metadata,
    entries: Vec<Entry>,
    files_root: &Path,
    key: &SigningKey,
    mut progress: impl FnMut(u64),
) -> Result<()> {
    check_manifest(&entries)
        .map_err(|problem| anyhow::anyhow!("{}: {problem}", files_root.display()))?;
    let payload_path = temp_beside(out, "payload");
    let payload = (|| -> Result<Payload> {
        let file = File::create(&payload_path)
            .with_context(|| format!("cannot create {}", payload_path.display()))?;
        let mut hashing = Hashing {
            inner: BufWriter::new(file),
            hash: Sha256::new(),
            count: 0,
        };
        let mut encoder = zstd::Encoder::new(&mut hashing, ZSTD_LEVEL)?;
        encoder.include_checksum(false)?;
        for entry in &entries {
            if let EntryKind::File { size, .. } = entry.kind {
                let source = files_root.join(&entry.path);
                let mut file = File::open(&source)
                    .with_context(|| format!("cannot read {}", source.display()))?;
                let copied = io::copy(&mut (&mut file).take(size), &mut encoder)?;
                if copied != size {
                    anyhow::bail!("{} changed while being packed", source.display());
                }
                progress(size);
            }
        }
        encoder.finish()?;
        hashing.flush()?;
        Ok(Payload {
            size: hashing.count,
            sha256: hex::encode(hashing.hash.finalize()),
        })
    })();
    let payload = match payload {
        Ok(payload) => payload,
        Err(error) => {
            let _ = fs::remove_file(&payload_path);
            return Err(error);
        }
    };
    let header = Header {
        meta: meta.clone(),
        entries,
        payload,
    };
    let sealed = envelope::seal(MAGIC, FORMAT, &serde_json::to_vec(&header)?, key);
    let partial = temp_beside(out, "partial");
    let result = (|| -> Result<()> {
        let mut writer = BufWriter::new(
            File::create(&partial)
                .with_context(|| format!("cannot create {}", partial.display()))?,
        );
        writer.write_all(&sealed)?;
        io::copy(&mut File::open(&payload_path)?, &mut writer)?;
        writer
            .into_inner()
            .map_err(|error| error.into_error())?
            .sync_all()?;
        fs::rename(&partial, out).with_context(|| format!("cannot create {}", out.display()))?;
        Ok(())
    })();
    let _ = fs::remove_file(&payload_path);
    if result.is_err() {
        let _ = fs::remove_file(&partial);
    }
    result
}

fn temp_beside(path: &Path, what: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{what}.{}", std::process::id()))
}

/// What a signed repository index says a package file is: its size, and the SHA-256 of its
/// signed header, which binds everything else (the header holds every file's SHA-256).
#[derive(Debug, Clone)]
pub struct Listed {
    pub size: u64,
    pub header_sha256: String,
    /// The index, for messages.
    pub index: PathBuf,
}

/// A package file to install, with what an index says of it when it comes from one.
#[derive(Debug, Clone)]
pub struct PackageFile {
    pub path: PathBuf,
    pub listed: Option<Listed>,
}

impl From<PathBuf> for PackageFile {
    fn from(path: PathBuf) -> Self {
        Self { path, listed: None }
    }
}

/// An opened package whose header is verified; the payload is read next.
pub struct PackageReader {
    pub path: PathBuf,
    pub header: Header,
    pub signer: VerifyingKey,
    /// The signed envelope (header) as read from the file.
    pub sealed: Vec<u8>,
    payload: BufReader<File>,
    listed: Option<Listed>,
}

impl PackageReader {
    /// Opens `path`, checks the header's signature, that the signer is trusted by `store` (when
    /// given), and that the manifest is safe.
    pub fn open(path: &Path, store: Option<&KeyStore>) -> Result<Self> {
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let mut reader = BufReader::new(file);
        let (sealed, signer) = envelope::open_sealed(&mut reader, MAGIC, FORMAT, "package file")
            .map_err(|error| Refused::new(path, error.to_string()))?;
        let body = envelope::body(&sealed);
        if let Some(store) = store {
            store
                .check(&signer)
                .map_err(|reason| Refused::new(path, reason))?;
        }
        let header: Header = serde_json::from_slice(body).map_err(|error| {
            Refused::new(
                path,
                format!(
                    "signed by key {} but the header is not valid: {error}",
                    key_id(&signer)
                ),
            )
        })?;
        check_manifest(&header.entries)
            .map_err(|problem| Refused::new(path, format!("unsafe manifest: {problem}")))?;
        header.meta.validate().map_err(|(field, problem)| {
            Refused::new(path, format!("metadata field `{field}`: {problem}"))
        })?;
        Ok(Self {
            path: path.to_owned(),
            header,
            signer,
            sealed,
            payload: reader,
            listed: None,
        })
    }

    /// Opens `path` again for a package verified before, whose envelope was `sealed` (with
    /// `header` and `signer` in it): the file must begin with the same bytes, which then need no
    /// second verification.
    pub fn reopen(
        path: &Path,
        sealed: &[u8],
        header: &Header,
        signer: VerifyingKey,
    ) -> Result<Self> {
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let mut reader = BufReader::new(file);
        let mut found = vec![0u8; sealed.len()];
        if reader.read_exact(&mut found).is_err() || found != sealed {
            anyhow::bail!("{}: changed while being installed", path.display());
        }
        Ok(Self {
            path: path.to_owned(),
            header: header.clone(),
            signer,
            sealed: found,
            payload: reader,
            listed: None,
        })
    }

    /// Checks, while streaming, that the file is what `listed` says: its header by digest and
    /// its size. The payload's own digest is then not computed: the index binds the header,
    /// and the header every file's contents, which are checked as they are staged. (Compressed
    /// bytes that decode to exactly the files the header lists cannot change what is
    /// installed.)
    pub fn listed(mut self, listed: Option<Listed>) -> Self {
        self.listed = listed;
        self
    }

    /// Reads the whole payload, checking every file and the payload digest, writing nothing.
    pub fn verify(self, progress: impl FnMut(u64)) -> Result<()> {
        self.stream(Layout::Verify, progress)
    }

    /// Extracts into `dest`, which must not exist yet. Nothing unverified is left behind: on any
    /// error `dest` is removed.
    pub fn extract(self, dest: &Path, progress: impl FnMut(u64)) -> Result<()> {
        fs::create_dir(dest)
            .with_context(|| format!("cannot create {} (it must not exist yet)", dest.display()))?;
        let result = self.stream(Layout::Tree(dest), progress);
        if result.is_err() {
            let _ = fs::remove_dir_all(dest);
        }
        result
    }

    /// Stages for a transaction into the root `root`: every regular file and symbolic link at
    /// [`staged_path`] (inside its new directory tree, or beside its target under a
    /// hidden name with `prefix`), with its mode, and no directories (the transaction makes
    /// them first). On any error what was staged of this package is removed.
    pub fn stage(
        self,
        root: &Path,
        prefix: &str,
        trees: &Trees,
        progress: impl FnMut(u64),
    ) -> Result<()> {
        let staged: Vec<PathBuf> =
            staged_paths(root, trees, &self.header.entries, prefix).collect();
        let result = self.stream(Layout::Staged(root, prefix, trees), progress);
        if result.is_err() {
            for path in staged {
                let _ = fs::remove_file(path);
            }
        }
        result
    }

    fn stream(self, layout: Layout, mut progress: impl FnMut(u64)) -> Result<()> {
        let path = self.path;
        let refuse = |reason: String| Refused::new(&path, reason);
        let expected = self.header.payload;
        if let Some(listed) = &self.listed {
            let size = self.sealed.len() as u64 + expected.size;
            let digest = hex::encode(Sha256::digest(&self.sealed));
            if size != listed.size || !digest.eq_ignore_ascii_case(&listed.header_sha256) {
                return Err(refuse(format!(
                    "does not match its SHA-256 in {}",
                    listed.index.display()
                ))
                .into());
            }
        }
        let mut hashing = HashingReader {
            inner: self.payload.take(expected.size),
            hash: Sha256::new(),
            active: self.listed.is_none(),
        };
        {
            let mut decoder = zstd::Decoder::new(&mut hashing)
                .map_err(|error| refuse(format!("payload is not zstd: {error}")))?;
            let mut buffer = vec![0u8; 1 << 17];
            for (index, entry) in self.header.entries.iter().enumerate() {
                let target = layout.target(index, entry);
                match &entry.kind {
                    EntryKind::Dir => {
                        if let (Layout::Tree(_), Some(target)) = (&layout, &target) {
                            fs::create_dir_all(target)
                                .with_context(|| format!("cannot create {}", target.display()))?;
                        }
                    }
                    EntryKind::Symlink { target: link } => {
                        if let Some(target) = &target {
                            if let Layout::Tree(_) = layout {
                                make_parent(target)?;
                            }
                            symlink(link, target)
                                .with_context(|| format!("cannot create {}", target.display()))?;
                        }
                    }
                    EntryKind::File { size, blake3 } => {
                        let mut out = match &target {
                            Some(target) => {
                                if let Layout::Tree(_) = layout {
                                    make_parent(target)?;
                                }
                                Some(
                                    fs::OpenOptions::new()
                                        .write(true)
                                        .create_new(true)
                                        .mode(0o600)
                                        .open(target)
                                        .with_context(|| {
                                            format!("cannot create {}", target.display())
                                        })?,
                                )
                            }
                            None => None,
                        };
                        let mut hash = blake3::Hasher::new();
                        let mut left = *size;
                        while left > 0 {
                            let want = buffer
                                .len()
                                .min(usize::try_from(left).unwrap_or(usize::MAX));
                            let read = decoder.read(&mut buffer[..want]).map_err(|error| {
                                refuse(format!("payload is corrupt at `{}`: {error}", entry.path))
                            })?;
                            if read == 0 {
                                return Err(refuse(format!(
                                    "payload ends inside `{}`",
                                    entry.path
                                ))
                                .into());
                            }
                            hash.update(&buffer[..read]);
                            if let Some(out) = &mut out {
                                out.write_all(&buffer[..read])?;
                            }
                            left -= read as u64;
                        }
                        if !hash.finalize().to_hex().eq_ignore_ascii_case(blake3) {
                            return Err(refuse(format!(
                                "`{}` does not match its digest in the signed manifest",
                                entry.path
                            ))
                            .into());
                        }
                        // Staged files get their mode once verified (set-id bits included);
                        // in a tree, modes are set at the end.
                        if let (Layout::Staged(..), Some(out)) = (&layout, &out) {
                            out.set_permissions(fs::Permissions::from_mode(entry.mode))
                                .with_context(|| {
                                    format!("cannot set the mode of `{}`", entry.path)
                                })?;
                        }
                        progress(*size);
                    }
                }
            }
            let mut extra = [0u8; 1];
            match decoder.read(&mut extra) {
                Ok(0) => {}
                Ok(_) => return Err(refuse("payload has data after the last file".into()).into()),
                Err(error) => {
                    return Err(refuse(format!("payload is corrupt at its end: {error}")).into())
                }
            }
        }
        io::copy(&mut hashing, &mut io::sink())?;
        let digest = hex::encode(hashing.hash.finalize());
        let mut inner = hashing.inner.into_inner();
        if inner.read(&mut [0u8; 1])? != 0 {
            return Err(refuse("data after the payload".into()).into());
        }
        if hashing.active && digest != expected.sha256 {
            return Err(
                refuse("payload does not match its SHA-256 in the signed header".into()).into(),
            );
        }
        if let Layout::Tree(dest) = layout {
            // Modes last, deepest first, so that read-only directories do not block their contents.
            for entry in self.header.entries.iter().rev() {
                if !matches!(entry.kind, EntryKind::Symlink { .. }) {
                    let target = dest.join(&entry.path);
                    fs::set_permissions(&target, fs::Permissions::from_mode(entry.mode))
                        .with_context(|| format!("cannot set the mode of {}", target.display()))?;
                }
            }
        }
        Ok(())
    }
}

/// Where a payload goes.
enum Layout<'a> {
    /// Nowhere: only checked.
    Verify,
    /// Into this directory, as the root would have it.
    Tree(&'a Path),
    /// Into this root, each entry where the transaction stages it (see [`PackageReader::stage`]),
    /// with this name prefix for those beside their targets.
    Staged(&'a Path, &'a str, &'a Trees),
}

impl Layout<'_> {
    fn target(&self, index: usize, entry: &Entry) -> Option<PathBuf> {
        match self {
            Layout::Verify => None,
            Layout::Tree(dest) => Some(dest.join(&entry.path)),
            Layout::Staged(root, prefix, trees) => {
                Some(staged_path(root, trees, &entry.path, prefix, index))
            }
        }
    }
}

fn make_parent(target: &Path) -> Result<()> {
    if let Some(parent) = target.parent() {
        fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    Ok(())
}

/// Reads the manifest of a staging directory: every entry below `root`, sorted, owned by root,
/// with permission bits as found. Other file types (devices, sockets, fifos) are refused.
pub fn scan_staging(root: &Path) -> Result<Vec<Entry>> {
    let mut entries = Vec::new();
    let mut pending = vec![root.to_owned()];
    while let Some(dir) = pending.pop() {
        for item in fs::read_dir(&dir).with_context(|| format!("cannot read {}", dir.display()))? {
            let item = item?;
            let full = item.path();
            let relative = full
                .strip_prefix(root)
                .context("walk left the staging directory")?;
            let path = relative
                .to_str()
                .ok_or_else(|| anyhow::anyhow!("{}: file names must be UTF-8", full.display()))?
                .to_owned();
            let meta = fs::symlink_metadata(&full)?;
            let kind = if meta.file_type().is_symlink() {
                let target = fs::read_link(&full)?;
                let target = target
                    .to_str()
                    .ok_or_else(|| {
                        anyhow::anyhow!("{}: link targets must be UTF-8", full.display())
                    })?
                    .to_owned();
                EntryKind::Symlink { target }
            } else if meta.is_dir() {
                pending.push(full.clone());
                EntryKind::Dir
            } else if meta.is_file() {
                let mut hash = blake3::Hasher::new();
                let size = io::copy(&mut File::open(&full)?, &mut hash)?;
                EntryKind::File {
                    size,
                    blake3: hash.finalize().to_hex().to_string(),
                }
            } else {
                anyhow::bail!(
                    "{}: only files, directories and symbolic links can be packed",
                    full.display()
                );
            };
            let mode = if matches!(kind, EntryKind::Symlink { .. }) {
                0o777
            } else {
                meta.permissions().mode() & 0o7777
            };
            entries.push(Entry {
                path,
                kind,
                mode,
                owner: "root".into(),
                group: "root".into(),
            });
        }
    }
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(entries)
}
