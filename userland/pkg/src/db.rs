//! The installed-package database of a root: `ROOT/var/lib/basalt/pkg/installed/NAME.json`, one
//! record per package (its verified header), written beside and renamed into place.
#![forbid(unsafe_code)]

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};

use crate::manifest::EntryKind;
use crate::package::Header;
use crate::version::valid_name;

/// The state directory of a root.
pub fn state_dir(root: &Path) -> PathBuf {
    root.join("var/lib/basalt/pkg")
}

pub struct Database {
    dir: PathBuf,
}

impl Database {
    pub fn for_root(root: &Path) -> Self {
        Self {
            dir: state_dir(root).join("installed"),
        }
    }

    fn record(&self, name: &str) -> Result<PathBuf> {
        if !valid_name(name) {
            return Err(anyhow!("`{name}` is not a package name"));
        }
        Ok(self.dir.join(format!("{name}.json")))
    }

    /// Every installed package, sorted by name.
    pub fn all(&self) -> Result<Vec<Header>> {
        let mut headers = Vec::new();
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(headers),
            Err(error) => {
                return Err(error).with_context(|| format!("cannot read {}", self.dir.display()))
            }
        };
        for entry in entries {
            let path = entry?.path();
            if path.extension().is_some_and(|ext| ext == "json") {
                let text =
                    fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
                headers.push(
                    serde_json::from_slice(&text)
                        .with_context(|| format!("{}: not a package record", path.display()))?,
                );
            }
        }
        headers.sort_by(|a: &Header, b: &Header| a.meta.name.cmp(&b.meta.name));
        Ok(headers)
    }

    pub fn get(&self, name: &str) -> Result<Option<Header>> {
        let path = self.record(name)?;
        match fs::read(&path) {
            Ok(text) => Ok(Some(serde_json::from_slice(&text).with_context(|| {
                format!("{}: not a package record", path.display())
            })?)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    /// Writes `header` as the record of its package, atomically (written beside, renamed). Not
    /// synced: a transaction makes all its records durable at once.
    pub fn put(&self, header: &Header) -> Result<()> {
        fs::create_dir_all(&self.dir)
            .with_context(|| format!("cannot create {}", self.dir.display()))?;
        let path = self.record(&header.meta.name)?;
        let partial = self.dir.join(format!(".{}.json.partial", header.meta.name));
        let mut file = File::create(&partial)
            .with_context(|| format!("cannot create {}", partial.display()))?;
        file.write_all(&serde_json::to_vec(header)?)?;
        drop(file);
        fs::rename(&partial, &path).with_context(|| format!("cannot create {}", path.display()))?;
        Ok(())
    }

    /// Deletes the record of `name`, if there is one.
    pub fn delete(&self, name: &str) -> Result<()> {
        let path = self.record(name)?;
        match fs::remove_file(&path) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                Err(error).with_context(|| format!("cannot remove {}", path.display()))
            }
            _ => Ok(()),
        }
    }

    /// The installed package that owns `path` (relative to the root, or absolute in it).
    pub fn owner(&self, path: &str) -> Result<Option<String>> {
        let path = path.trim_start_matches('/').trim_end_matches('/');
        Ok(self
            .all()?
            .into_iter()
            .find(|header| header.entries.iter().any(|e| e.path == path))
            .map(|h| h.meta.name))
    }
}

/// How an installed entry differs from its manifest, if it does.
pub fn check_entry(root: &Path, entry: &crate::manifest::Entry) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let full = root.join(&entry.path);
    let meta = match fs::symlink_metadata(&full) {
        Ok(meta) => meta,
        Err(error) => return Some(format!("{}: {error}", entry.path)),
    };
    let mode = meta.permissions().mode() & 0o7777;
    match &entry.kind {
        EntryKind::Dir if !meta.is_dir() => Some(format!("{}: not a directory", entry.path)),
        EntryKind::Symlink { target } => match fs::read_link(&full) {
            Ok(found) if found.as_os_str() == target.as_str() => None,
            Ok(found) => Some(format!(
                "{}: link points to {} instead of {target}",
                entry.path,
                found.display()
            )),
            Err(_) => Some(format!("{}: not a symbolic link", entry.path)),
        },
        EntryKind::File { blake3, .. } => {
            if !meta.is_file() {
                return Some(format!("{}: not a regular file", entry.path));
            }
            match File::open(&full).and_then(|mut file| crate::manifest::digest_of(&mut file)) {
                Ok(found) if !found.eq_ignore_ascii_case(blake3) => {
                    Some(format!("{}: contents changed", entry.path))
                }
                Ok(_) if mode != entry.mode => Some(format!(
                    "{}: mode {mode:o} instead of {:o}",
                    entry.path, entry.mode
                )),
                Ok(_) => None,
                Err(error) => Some(format!("{}: {error}", entry.path)),
            }
        }
        EntryKind::Dir if mode != entry.mode => Some(format!(
            "{}: mode {mode:o} instead of {:o}",
            entry.path, entry.mode
        )),
        EntryKind::Dir => None,
    }
}
