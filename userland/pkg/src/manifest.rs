//! The manifest: every entry of a package with what it must be once installed.
#![forbid(unsafe_code)]

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// What an entry is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "kind")]
pub enum EntryKind {
    /// A regular file: its bytes are the next `size` bytes of the payload, with this BLAKE3
    /// digest (hex).
    File {
        size: u64,
        blake3: String,
    },
    Dir,
    Symlink {
        target: String,
    },
}

/// One manifest entry. Paths are relative to the root, `/`-separated, without `.` or `..`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub path: String,
    #[serde(flatten)]
    pub kind: EntryKind,
    /// Permission bits (including set-id and sticky bits).
    pub mode: u32,
    pub owner: String,
    pub group: String,
}

/// The BLAKE3 digest (hex) of everything `reader` gives, as a manifest records a file's.
pub fn digest_of(reader: &mut impl std::io::Read) -> std::io::Result<String> {
    let mut hash = blake3::Hasher::new();
    std::io::copy(reader, &mut hash)?;
    Ok(hash.finalize().to_hex().to_string())
}

/// Checks that `path` stays inside the root: relative, no empty, `.` or `..` components, no NUL.
pub fn check_relative_path(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("empty path".into());
    }
    if path.starts_with('/') {
        return Err(format!("`{path}` is absolute"));
    }
    if path.contains('\0') {
        return Err("path contains a NUL byte".into());
    }
    for component in path.split('/') {
        match component {
            "" => return Err(format!("`{path}` has an empty component")),
            "." | ".." => return Err(format!("`{path}` has a `{component}` component")),
            _ => {}
        }
    }
    Ok(())
}

/// Checks a whole manifest: every path safe, sorted and unique, modes sane, and no entry below a
/// symbolic link of the same package (writing through a link could land outside the root).
pub fn check_manifest(entries: &[Entry]) -> Result<(), String> {
    let mut links = BTreeSet::new();
    for (index, entry) in entries.iter().enumerate() {
        check_relative_path(&entry.path)?;
        if index > 0 && entries[index - 1].path >= entry.path {
            return Err(format!(
                "entries not sorted or repeated at `{}`",
                entry.path
            ));
        }
        if entry.mode > 0o7777 {
            return Err(format!(
                "`{}`: mode {:o} is not a permission mode",
                entry.path, entry.mode
            ));
        }
        let mut prefix = entry.path.as_str();
        while let Some((parent, _)) = prefix.rsplit_once('/') {
            if links.contains(parent) {
                return Err(format!(
                    "`{}` is below the symbolic link `{parent}`",
                    entry.path
                ));
            }
            prefix = parent;
        }
        match &entry.kind {
            EntryKind::Symlink { target } => {
                if target.is_empty() || target.contains('\0') {
                    return Err(format!("`{}`: bad symbolic link target", entry.path));
                }
                links.insert(entry.path.as_str());
            }
            EntryKind::File { blake3, .. } => {
                if blake3.len() != 64 || !blake3.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(format!("`{}`: bad BLAKE3 digest", entry.path));
                }
            }
            EntryKind::Dir => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, kind: EntryKind) -> Entry {
        Entry {
            path: path.into(),
            kind,
            mode: 0o644,
            owner: "root".into(),
            group: "root".into(),
        }
    }

    #[test]
    fn refuses_paths_that_escape() {
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a//b",
            "a/./b",
            "a/",
            "a\0b",
        ] {
            assert!(check_relative_path(bad).is_err(), "{bad:?}");
        }
        assert!(check_relative_path("usr/bin/..hidden").is_ok());
    }

    #[test]
    fn refuses_entries_below_a_link() {
        let link = entry("usr/lib", EntryKind::Symlink { target: "/".into() });
        let below = entry("usr/lib/x", EntryKind::Dir);
        assert!(check_manifest(&[link.clone(), below])
            .unwrap_err()
            .contains("below the symbolic link"));
        let deeper = entry("usr/lib/a/b", EntryKind::Dir);
        assert!(check_manifest(&[link, deeper]).is_err());
    }

    #[test]
    fn refuses_unsorted_or_repeated() {
        let a = entry("a", EntryKind::Dir);
        let b = entry("b", EntryKind::Dir);
        assert!(check_manifest(&[a.clone(), b.clone()]).is_ok());
        assert!(check_manifest(&[b, a.clone()]).is_err());
        assert!(check_manifest(&[a.clone(), a]).is_err());
    }
}
