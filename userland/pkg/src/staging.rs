//! Where a transaction stages its new files and links before the commit renames them into
//! place, all under hidden names that carry the transaction's random token:
//!
//! - A directory the root lacks is made whole under a hidden name: its topmost new directory
//!   `DIR` (whose parent exists) is staged as `PARENT/.pkg.TOKEN.tK`, and everything below it
//!   at its own name inside. The commit is then one rename per such tree, however many files
//!   it holds (an install into an empty root is a few renames).
//! - A file or link whose directory exists is staged beside its target, as
//!   `DIR/.pkg.TOKEN.P.I` (`P` the package's position in the transaction, `I` the entry's in
//!   its manifest), and renamed on its own.
//!
//! Either way the rename stays within one directory, and nothing is visible at a target's
//! name before the journal is written.
#![forbid(unsafe_code)]

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::manifest::{Entry, EntryKind};

/// The new directory trees of a transaction: each topmost new directory (relative to the root)
/// and the hidden name it is staged under (beside it, in the same parent).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Trees {
    tops: BTreeMap<String, String>,
}

impl Trees {
    /// The trees for the directories `needed` (relative paths, each with all its ancestors
    /// included), of which `exists` tells which the root has. A directory below a new one is
    /// new without asking.
    pub fn find<'a>(
        token: &str,
        needed: impl IntoIterator<Item = &'a str>,
        mut exists: impl FnMut(&str) -> bool,
    ) -> Trees {
        let mut needed: Vec<&str> = needed.into_iter().collect();
        needed.sort_by_key(|dir| (depth(dir), *dir));
        needed.dedup();
        let mut new: HashMap<&str, bool> = HashMap::new();
        let mut tops = BTreeMap::new();
        for dir in needed {
            let parent_is_new = parent(dir).is_some_and(|p| new.get(p).copied().unwrap_or(false));
            let is_new = parent_is_new || !exists(dir);
            if is_new && !parent_is_new {
                let name = format!(".pkg.{token}.t{}", tops.len());
                let staged = match parent(dir) {
                    Some(parent) => format!("{parent}/{name}"),
                    None => name,
                };
                tops.insert(dir.to_owned(), staged);
            }
            new.insert(dir, is_new);
        }
        Trees { tops }
    }

    /// Where `path` (a root-relative entry path) is staged when it lies in a new tree: the
    /// staged tree's name with the rest of the path; `None` when its directory exists.
    pub fn location(&self, path: &str) -> Option<String> {
        let mut end = path.len();
        // The path itself (a new top directory) and then each ancestor, nearest first.
        loop {
            let candidate = &path[..end];
            if let Some(staged) = self.tops.get(candidate) {
                return Some(format!("{staged}{}", &path[end..]));
            }
            end = candidate.rfind('/')?;
        }
    }

    /// Each tree: its staged name and its target, relative to the root.
    pub fn staged_and_targets(&self) -> impl Iterator<Item = (&str, &str)> {
        self.tops
            .iter()
            .map(|(target, staged)| (staged.as_str(), target.as_str()))
    }

    pub fn is_empty(&self) -> bool {
        self.tops.is_empty()
    }
}

/// The name prefix of the files package `position` of the transaction `token` stages beside
/// their targets.
pub fn package_prefix(token: &str, position: usize) -> String {
    format!(".pkg.{token}.{position}.")
}

/// Where the entry at `index` of a manifest, with path `path`, is staged in `root` by the
/// package with the name prefix `prefix` (see [`package_prefix`]): inside its new tree, or
/// beside its target as `PREFIX INDEX`.
pub fn staged_path(root: &Path, trees: &Trees, path: &str, prefix: &str, index: usize) -> PathBuf {
    if let Some(location) = trees.location(path) {
        return root.join(location);
    }
    let name = format!("{prefix}{index}");
    match path.rsplit_once('/') {
        Some((parent, _)) => root.join(parent).join(name),
        None => root.join(name),
    }
}

/// The staged path of every file and link of `entries` (see [`staged_path`]).
pub fn staged_paths<'a>(
    root: &'a Path,
    trees: &'a Trees,
    entries: &'a [Entry],
    prefix: &'a str,
) -> impl Iterator<Item = PathBuf> + 'a {
    entries
        .iter()
        .enumerate()
        .filter(|(_, entry)| !matches!(entry.kind, EntryKind::Dir))
        .map(move |(index, entry)| staged_path(root, trees, &entry.path, prefix, index))
}

fn parent(dir: &str) -> Option<&str> {
    dir.rsplit_once('/').map(|(parent, _)| parent)
}

fn depth(dir: &str) -> usize {
    dir.matches('/').count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_topmost_new_directories_become_trees() {
        let have = ["usr", "usr/bin"];
        let trees = Trees::find(
            "abc",
            [
                "usr",
                "usr/bin",
                "usr/share",
                "usr/share/doc",
                "etc",
                "usr/bin",
            ],
            |dir| have.contains(&dir),
        );
        let tops: Vec<(&str, &str)> = trees.staged_and_targets().collect();
        assert_eq!(
            tops,
            [(".pkg.abc.t0", "etc"), ("usr/.pkg.abc.t1", "usr/share")]
        );
        assert_eq!(
            trees.location("usr/share/doc/a").as_deref(),
            Some("usr/.pkg.abc.t1/doc/a")
        );
        assert_eq!(
            trees.location("usr/share").as_deref(),
            Some("usr/.pkg.abc.t1")
        );
        assert_eq!(trees.location("etc/x").as_deref(), Some(".pkg.abc.t0/x"));
        assert_eq!(trees.location("usr/bin/ls"), None);
        assert_eq!(trees.location("usr/sharex/y"), None);
        assert_eq!(trees.location("top-level-file"), None);
    }

    #[test]
    fn files_in_existing_directories_are_staged_beside() {
        let trees = Trees::find("abc", ["etc"], |_| false);
        let root = Path::new("/r");
        let prefix = package_prefix("abc", 3);
        assert_eq!(
            staged_path(root, &trees, "etc/passwd", &prefix, 7),
            Path::new("/r/.pkg.abc.t0/passwd")
        );
        assert_eq!(
            staged_path(root, &Trees::default(), "etc/passwd", &prefix, 7),
            Path::new("/r/etc/.pkg.abc.3.7")
        );
        assert_eq!(
            staged_path(root, &Trees::default(), "motd", &prefix, 0),
            Path::new("/r/.pkg.abc.3.0")
        );
    }
}
