//! Repository indexes: one signed file listing every package's metadata, file name, size and
//! SHA-256. The body is a zstd-compressed compact binary encoding (`encoding`: a string table and
//! fixed-size records) that loads without a parser. The index is what the solver reads.
#![forbid(unsafe_code)]

pub mod encoding;
mod validate;

pub use encoding::{IndexView, PackageRef};

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
/// 1 was zstd-compressed JSON; 2 is zstd-compressed `encoding`; 3 added each package's header
/// digest; 4 the time the index was made.
pub const FORMAT: u32 = 4;
pub const FILE_NAME: &str = "index.bpi";

/// One package in an index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexEntry {
    pub meta: Metadata,
    /// The package file, relative to the index.
    pub file: String,
    pub size: u64,
    /// Of the whole file: what a download is checked against.
    pub sha256: String,
    /// Of the file's signed header (its envelope, see `envelope`), which holds every file's
    /// SHA-256: what an install from the repository's directory checks (a few kilobytes),
    /// with every file's contents then checked against the header while staging.
    pub header_sha256: String,
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
    /// When the index was made, in Unix seconds (`SOURCE_DATE_EPOCH` when set, for
    /// reproducible repositories): `pkg update` refuses an index older than the one it has, so
    /// that a mirror cannot bring back an old one (with its old, perhaps vulnerable, packages).
    pub time: u64,
}

/// The time to record in a new index: `SOURCE_DATE_EPOCH` when it is set, else now.
pub fn index_time() -> Result<u64> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(text) => text
            .trim()
            .parse()
            .with_context(|| format!("SOURCE_DATE_EPOCH `{text}` is not a number of seconds")),
        Err(_) => Ok(std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs())),
    }
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
            header_sha256: hex::encode(Sha256::digest(&reader.sealed)),
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
    let index = Index {
        packages,
        time: index_time()?,
    };
    let out = write_index(dir, &index, key)?;
    Ok((out, index))
}

/// Writes `index` as `dir/index.bpi` signed with `key` (atomically: a partial file renamed).
pub fn write_index(dir: &Path, index: &Index, key: &SigningKey) -> Result<PathBuf> {
    // Compressed, the body is a fifth of its size: less to read and to hash when verifying,
    // which more than pays for decompressing it.
    // One frame that states its decompressed size, so that a reader allocates once.
    let body = zstd::bulk::compress(&encoding::encode(index)?, crate::package::ZSTD_LEVEL)?;
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

/// The largest decompressed index body accepted (Debian's whole archive is about 16 MiB).
const MAX_DECOMPRESSED: u64 = 1 << 30;

/// A zstd frame that states its size, decompressed into one allocation of that size.
fn decompress(frame: &[u8]) -> Result<Vec<u8>, String> {
    let size = match zstd::zstd_safe::get_frame_content_size(frame) {
        Ok(Some(size)) if size <= MAX_DECOMPRESSED => size,
        Ok(Some(size)) => return Err(format!("{size} bytes decompressed is too large")),
        Ok(None) => return Err("the frame does not state its size".into()),
        Err(_) => return Err("no zstd frame header".into()),
    };
    let body = zstd::bulk::decompress(frame, size as usize).map_err(|error| error.to_string())?;
    if body.len() as u64 != size {
        return Err(format!(
            "{} bytes decompressed, the frame said {size}",
            body.len()
        ));
    }
    Ok(body)
}

/// Reads and verifies an index; its signer must be trusted by `store` when given. Every entry
/// is materialized; `open_index` is the fast way to read a large one.
pub fn load_index(path: &Path, store: Option<&KeyStore>) -> Result<(Index, VerifyingKey)> {
    let (view, signer) = open_index(path, store)?;
    Ok((view.to_index(), signer))
}

/// Reads, verifies, decodes and validates an index, as `load_index` does, but keeps it as one
/// compact view whose packages borrow their strings from it.
pub fn open_index(path: &Path, store: Option<&KeyStore>) -> Result<(IndexView, VerifyingKey)> {
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
    let body = decompress(&body).map_err(|error| {
        Refused::new(
            path,
            format!("signed by key {} but not zstd: {error}", key_id(&signer)),
        )
    })?;
    let view = encoding::decode(body).map_err(|error| {
        Refused::new(
            path,
            format!(
                "signed by key {} but not an index: {error}",
                key_id(&signer)
            ),
        )
    })?;
    validate::check(&view).map_err(|invalid| {
        Refused::new(
            path,
            format!(
                "package `{}`: field `{}`: {}",
                invalid.package, invalid.field, invalid.problem
            ),
        )
    })?;
    if let Some(file) = view
        .packages()
        .map(|package| package.file())
        .find(|file| file.contains('/') || file.starts_with('.'))
    {
        return Err(Refused::new(
            path,
            format!("package file name `{file}` is not a plain name"),
        )
        .into());
    }
    Ok((view, signer))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A signed index file with `body` (compressed as `write_index` does).
    fn signed(dir: &Path, name: &str, body: &[u8], key: &SigningKey) -> PathBuf {
        let packed = zstd::bulk::compress(body, 3).unwrap();
        let path = dir.join(name);
        fs::write(&path, envelope::seal(MAGIC, FORMAT, &packed, key)).unwrap();
        path
    }

    #[test]
    fn malformed_signed_bodies_are_refused_naming_file_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let key = SigningKey::from_bytes(&[5; 32]);
        let id = key_id(&key.verifying_key());
        let (packages, _) = crate::bench::generated(3, 1);
        let index = Index {
            time: 0,
            packages: packages
                .into_iter()
                .map(|meta| IndexEntry {
                    file: format!("{}.pkg", meta.name),
                    meta,
                    size: 0,
                    sha256: String::new(),
                    header_sha256: String::new(),
                    signer: id.clone(),
                    source: false,
                })
                .collect(),
        };
        let body = encoding::encode(&index).unwrap();
        let good = signed(dir.path(), "good.bpi", &body, &key);
        assert_eq!(load_index(&good, None).unwrap().0, index);
        let mut bad_count = body.clone();
        let last = bad_count.len() - 4;
        bad_count[last..].copy_from_slice(&u32::MAX.to_le_bytes());
        let not_zstd = dir.path().join("raw.bpi");
        fs::write(&not_zstd, envelope::seal(MAGIC, FORMAT, &body, &key)).unwrap();
        for (path, expected) in [
            (
                signed(dir.path(), "cut.bpi", &body[..body.len() - 3], &key),
                "do not add up",
            ),
            (
                signed(dir.path(), "count.bpi", &bad_count, &key),
                "do not add up",
            ),
            (not_zstd, "not zstd"),
        ] {
            let error = load_index(&path, None).unwrap_err();
            let refused = error.downcast_ref::<Refused>().expect("a refusal");
            let message = refused.to_string();
            assert!(
                message.contains(&path.display().to_string())
                    && message.contains(&id)
                    && message.contains(expected),
                "{message}"
            );
        }
        // Well-formed but invalid metadata names the package and the field.
        let mut invalid = index.clone();
        invalid.packages[1].meta.version = "x1".into();
        let path = signed(
            dir.path(),
            "odd.bpi",
            &encoding::encode(&invalid).unwrap(),
            &key,
        );
        let message = load_index(&path, None).unwrap_err().to_string();
        assert!(
            message.contains("odd.bpi")
                && message.contains("package `p0`: field `package.version`"),
            "{message}"
        );
    }
}
