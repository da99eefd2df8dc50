//! Fetching one URL (`file://`, `http://`, `https://`, or a plain local path) into a file.
//!
//! The file appears under its final name only when it is complete (and, when a SHA-256 is
//! expected, only when it matches), so a crash or a cut connection never leaves a partial file
//! that a later run could take for a good one.
#![forbid(unsafe_code)]

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

use crate::refused::Refused;

/// Where a URL points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Local(PathBuf),
    Http(String),
}

/// Classifies `url`; anything other than `file://`, `http://`, `https://` or a path is refused
/// with a clear error.
pub fn locate(url: &str) -> Result<Location> {
    if let Some(path) = url.strip_prefix("file://") {
        if !path.starts_with('/') {
            bail!("`{url}`: a file:// URL needs an absolute path (file:///dir/…)");
        }
        return Ok(Location::Local(PathBuf::from(path)));
    }
    if url.starts_with("http://") || url.starts_with("https://") {
        return Ok(Location::Http(url.to_owned()));
    }
    if let Some((scheme, _)) = url.split_once("://") {
        bail!("`{url}`: unsupported URL scheme `{scheme}` (file, http and https are)");
    }
    Ok(Location::Local(PathBuf::from(url)))
}

/// Opens `url` for reading; returns the reader and its length when known.
pub fn open(url: &str) -> Result<(Box<dyn Read + Send>, Option<u64>)> {
    match locate(url)? {
        Location::Local(path) => {
            let file =
                File::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
            let length = file.metadata().ok().map(|meta| meta.len());
            Ok((Box::new(file), length))
        }
        Location::Http(url) => {
            let response = ureq::get(&url)
                .call()
                .with_context(|| format!("cannot download {url}"))?;
            let length = response
                .headers()
                .get("content-length")
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.parse().ok());
            let reader = response
                .into_body()
                .into_with_config()
                .limit(u64::MAX)
                .reader();
            Ok((Box::new(reader), length))
        }
    }
}

/// Downloads `url` to `dest` (replacing it atomically); when `sha256` is given the bytes must
/// match it, or nothing is written and the download is refused. `progress` gets byte counts as
/// they arrive. Returns the number of bytes written.
pub fn fetch(
    url: &str,
    dest: &Path,
    sha256: Option<&str>,
    mut progress: impl FnMut(u64),
) -> Result<u64> {
    let (mut reader, _) = open(url)?;
    let parent = dest
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    let name = dest
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let partial = parent.join(format!(".{name}.part.{}", std::process::id()));
    let result = (|| -> Result<u64> {
        let mut file = File::create(&partial)
            .with_context(|| format!("cannot create {}", partial.display()))?;
        let mut hash = Sha256::new();
        let mut buffer = vec![0u8; 256 * 1024];
        let mut total = 0u64;
        loop {
            let count = match reader.read(&mut buffer) {
                Ok(0) => break,
                Ok(count) => count,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error).with_context(|| format!("reading {url}")),
            };
            hash.update(&buffer[..count]);
            file.write_all(&buffer[..count])
                .with_context(|| format!("writing {}", partial.display()))?;
            total += count as u64;
            progress(count as u64);
        }
        if let Some(expected) = sha256 {
            let actual = hex::encode(hash.finalize());
            if !actual.eq_ignore_ascii_case(expected) {
                return Err(Refused::new(
                    Path::new(url),
                    format!("SHA-256 is {actual}, expected {expected}"),
                )
                .into());
            }
        }
        file.sync_all()?;
        fs::rename(&partial, dest).with_context(|| format!("cannot create {}", dest.display()))?;
        Ok(total)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&partial);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_are_classified_and_unknown_ones_refused() {
        assert_eq!(
            locate("file:///srv/repo").unwrap(),
            Location::Local("/srv/repo".into())
        );
        assert_eq!(locate("repo/x").unwrap(), Location::Local("repo/x".into()));
        assert!(matches!(locate("https://h/x").unwrap(), Location::Http(_)));
        assert!(locate("ftp://h/x").unwrap_err().to_string().contains("ftp"));
        assert!(locate("file://relative").is_err());
    }

    #[test]
    fn a_wrong_hash_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("source");
        fs::write(&source, b"hello").unwrap();
        let dest = dir.path().join("out/dest");
        let url = format!("file://{}", source.display());
        let error = fetch(&url, &dest, Some(&"0".repeat(64)), |_| {}).unwrap_err();
        assert!(error.downcast_ref::<Refused>().is_some());
        assert!(!dest.exists());
        assert_eq!(fs::read_dir(dir.path().join("out")).unwrap().count(), 0);
        let good = hex::encode(Sha256::digest(b"hello"));
        assert_eq!(fetch(&url, &dest, Some(&good), |_| {}).unwrap(), 5);
        assert_eq!(fs::read(&dest).unwrap(), b"hello");
    }
}
