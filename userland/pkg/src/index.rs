//! Repository indexes: one signed file listing every package's metadata, file name, size and
//! SHA-256. The body is zstd-compressed JSON. The index is what the solver reads.
#![forbid(unsafe_code)]

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::envelope;
use crate::keys::{key_id, KeyStore};
use crate::package::PackageReader;
use crate::recipe::Metadata;
use crate::refused::Refused;

pub const MAGIC: &[u8; 8] = b"BSLTIDX\0";
pub const FORMAT: u32 = 1;
pub const FILE_NAME: &str = "index.bpi";

/// One package in an index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexEntry {
    pub meta: Metadata,
    /// The package file, relative to the index.
    pub file: String,
    pub size: u64,
    pub sha256: String,
    /// The key id that signed the package.
    pub signer: String,
    /// A source package (the recipe, to build from) rather than a binary one.
    #[serde(default)]
    pub source: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Index {
    pub packages: Vec<IndexEntry>,
}

/// Indexes every `*.pkg` in `dir` (each one's signature checked, and its signer trusted by
/// `store` when given) and writes `dir/index.bpi` signed with `key`. Returns the index written.
pub fn index_dir(
    dir: &Path,
    key: &SigningKey,
    store: Option<&KeyStore>,
    mut progress: impl FnMut(&Path),
) -> Result<(PathBuf, Index)> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "pkg"))
        .collect();
    files.sort();
    let mut packages = Vec::with_capacity(files.len());
    for path in &files {
        let reader = PackageReader::open(path, store)?;
        let meta = reader.header.meta.clone();
        let signer = key_id(&reader.signer);
        let mut hash = Sha256::new();
        let size = io::copy(&mut File::open(path)?, &mut hash)?;
        let file = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        // `NAME-VERSION.src.pkg` files are source packages (srcpkg.rs).
        let source = crate::srcpkg::is_source_file(&file);
        packages.push(IndexEntry {
            meta,
            file,
            size,
            sha256: hex::encode(hash.finalize()),
            signer,
            source,
        });
        progress(path);
    }
    packages.sort_by(|a, b| {
        a.meta
            .name
            .cmp(&b.meta.name)
            .then_with(|| a.file.cmp(&b.file))
    });
    let index = Index { packages };
    let out = write_index(dir, &index, key)?;
    Ok((out, index))
}

/// Writes `index` as `dir/index.bpi` signed with `key` (atomically: a partial file renamed).
pub fn write_index(dir: &Path, index: &Index, key: &SigningKey) -> Result<PathBuf> {
    let body = zstd::encode_all(&serde_json::to_vec(index)?[..], crate::package::ZSTD_LEVEL)?;
    let sealed = envelope::seal(MAGIC, FORMAT, &body, key);
    let out = dir.join(FILE_NAME);
    let partial = dir.join(format!(".{FILE_NAME}.{}", std::process::id()));
    let mut file =
        File::create(&partial).with_context(|| format!("cannot create {}", partial.display()))?;
    file.write_all(&sealed)?;
    file.sync_all()?;
    fs::rename(&partial, &out).with_context(|| format!("cannot create {}", out.display()))?;
    Ok(out)
}

/// Reads and verifies an index; its signer must be trusted by `store` when given.
pub fn load_index(path: &Path, store: Option<&KeyStore>) -> Result<(Index, VerifyingKey)> {
    let mut file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let (body, signer) = envelope::open(&mut file, MAGIC, FORMAT, "package index")
        .map_err(|error| Refused::new(path, error.to_string()))?;
    if file.read(&mut [0u8; 1])? != 0 {
        return Err(Refused::new(path, "data after the signature").into());
    }
    if let Some(store) = store {
        store
            .check(&signer)
            .map_err(|reason| Refused::new(path, reason))?;
    }
    let json = zstd::decode_all(&body[..]).map_err(|error| {
        Refused::new(
            path,
            format!("signed by key {} but not zstd: {error}", key_id(&signer)),
        )
    })?;
    let index: Index = serde_json::from_slice(&json).map_err(|error| {
        Refused::new(
            path,
            format!(
                "signed by key {} but not an index: {error}",
                key_id(&signer)
            ),
        )
    })?;
    for entry in &index.packages {
        entry.meta.validate().map_err(|(field, problem)| {
            Refused::new(
                path,
                format!("package `{}`: field `{field}`: {problem}", entry.meta.name),
            )
        })?;
        if entry.file.contains('/') || entry.file.starts_with('.') {
            return Err(Refused::new(
                path,
                format!("package file name `{}` is not a plain name", entry.file),
            )
            .into());
        }
    }
    Ok((index, signer))
}
