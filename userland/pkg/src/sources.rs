//! A recipe's sources: where each one is, fetching it (hash-checked) into the source cache, and
//! the name it has in the build directory.
//!
//! The cache holds `CACHE/SHA256/NAME`: a file is named by the hash it was checked against, so a
//! cached file is found again whatever URL or mirror it came from, and two sources of the same
//! name never collide. A cached file is hashed again before each use; one that no longer matches
//! is fetched anew. Sources that are paths in the recipe's directory are read where they are.
#![forbid(unsafe_code)]

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use crate::download;
use crate::recipe::Source;
use crate::refused::Refused;

/// Whether `source` is a file of the recipe's own directory (a path, not a URL).
pub fn is_local(source: &Source) -> bool {
    !source.url.contains("://")
}

/// The file name a source has in the build directory: the last component of its URL or path,
/// without any query or fragment.
pub fn file_name(url: &str) -> String {
    let without_query = url.split(['?', '#']).next().unwrap_or(url);
    let last = without_query.rsplit('/').next().unwrap_or("");
    if last.is_empty() || last == "." || last == ".." {
        "source".to_owned()
    } else {
        last.to_owned()
    }
}

/// The SHA-256 of the file at `path`, in lowercase hex.
pub fn sha256_of(path: &Path) -> Result<String> {
    let mut hash = Sha256::new();
    io::copy(
        &mut File::open(path).with_context(|| format!("cannot open {}", path.display()))?,
        &mut hash,
    )
    .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(hex::encode(hash.finalize()))
}

/// A source ready to be put into the build directory.
pub struct Fetched {
    /// The hash-checked file.
    pub path: PathBuf,
    /// Its name in the build directory (which also says whether it is an archive).
    pub name: String,
}

/// Makes every source of a recipe in `recipe_dir` available: local ones are checked where they
/// are, the others are taken from `cache` or fetched into it. `status` hears what happens.
pub fn fetch_all(
    recipe_dir: &Path,
    sources: &[Source],
    cache: &Path,
    status: &mut dyn FnMut(&str),
) -> Result<Vec<Fetched>> {
    let mut fetched = Vec::with_capacity(sources.len());
    for (index, source) in sources.iter().enumerate() {
        let what = || format!("source {} ({})", index + 1, source.url);
        let name = file_name(&source.url);
        let expected = source.sha256.to_ascii_lowercase();
        if is_local(source) {
            let path = recipe_dir.join(&source.url);
            let actual = sha256_of(&path).with_context(what)?;
            if actual != expected {
                return Err(Refused::new(
                    &path,
                    format!("SHA-256 is {actual}, expected {expected}"),
                ))
                .with_context(what);
            }
            fetched.push(Fetched { path, name });
            continue;
        }
        let path = cache.join(&expected).join(&name);
        if path.exists() && sha256_of(&path).ok().as_deref() == Some(expected.as_str()) {
            status(&format!("{}: cached", source.url));
        } else {
            status(&format!("fetching {}", source.url));
            let mut got = 0u64;
            download::fetch(&source.url, &path, Some(&expected), |bytes| {
                got += bytes;
            })
            .with_context(what)?;
            status(&format!("fetched {} ({got} bytes)", source.url));
        }
        fetched.push(Fetched { path, name });
    }
    Ok(fetched)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_last_component() {
        assert_eq!(
            file_name("https://h/hello/hello-2.12.tar.gz"),
            "hello-2.12.tar.gz"
        );
        assert_eq!(file_name("https://h/x.tar.gz?raw=1#top"), "x.tar.gz");
        assert_eq!(file_name("patches/fix.patch"), "fix.patch");
        assert_eq!(file_name("https://h/"), "source");
    }

    #[test]
    fn fetched_sources_are_cached_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let original = dir.path().join("a.txt");
        std::fs::write(&original, b"one").unwrap();
        let source = Source {
            url: format!("file://{}", original.display()),
            sha256: hex::encode(Sha256::digest(b"one")),
        };
        let cache = dir.path().join("cache");
        let fetched = fetch_all(
            dir.path(),
            std::slice::from_ref(&source),
            &cache,
            &mut |_| {},
        )
        .unwrap();
        assert!(fetched[0].path.starts_with(&cache));
        // The cached copy serves the next build even when the original is gone.
        std::fs::remove_file(&original).unwrap();
        let mut said = Vec::new();
        fetch_all(
            dir.path(),
            std::slice::from_ref(&source),
            &cache,
            &mut |s| said.push(s.to_owned()),
        )
        .unwrap();
        assert!(said.iter().any(|s| s.ends_with("cached")), "{said:?}");
        // A damaged cached copy is not used.
        std::fs::write(&fetched[0].path, b"two").unwrap();
        assert!(fetch_all(dir.path(), &[source], &cache, &mut |_| {}).is_err());
    }
}
