//! File owners: manifest entries name their owner and group; these are resolved against the
//! root's own `etc/passwd` and `etc/group` (plus the accounts the transaction creates) and set
//! when pkg runs as root. Without root they cannot be set: pkg says so once and goes on, as tar
//! does.
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::os::unix::fs::{lchown, MetadataExt, PermissionsExt};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};

use crate::accounts::{Account, Accounts};
use crate::manifest::{Entry, EntryKind};

/// Whether the effective user is root (who alone can give files to other users).
pub fn running_as_root() -> bool {
    rustix::process::geteuid().is_root()
}

static SAID_NOT_ROOT: AtomicBool = AtomicBool::new(false);

/// Says once per process that owners cannot be set.
fn say_not_root(what: &str) {
    if !SAID_NOT_ROOT.swap(true, Ordering::Relaxed) {
        eprintln!("pkg: warning: not running as root: {what}");
    }
}

/// User and group names of a root, with their ids. `root` is always 0, even in a root without
/// `etc/passwd` (such as a fresh one being filled).
#[derive(Debug, Clone, Default)]
pub struct Ids {
    users: BTreeMap<String, u32>,
    groups: BTreeMap<String, u32>,
    /// Where the names come from, for messages.
    source: String,
}

impl Ids {
    /// The names of `accounts` (read from `root`) and of `new`, the accounts being created.
    pub fn new(root: &Path, accounts: &Accounts, new: &[Account]) -> Self {
        let mut ids = Self {
            source: root.join("etc").display().to_string(),
            ..Self::default()
        };
        ids.users.insert("root".into(), 0);
        ids.groups.insert("root".into(), 0);
        for (name, uid) in accounts.users() {
            ids.users.entry(name.to_owned()).or_insert(uid);
        }
        for (name, gid) in accounts.groups() {
            ids.groups.entry(name.to_owned()).or_insert(gid);
        }
        for account in new {
            ids.users.entry(account.name.clone()).or_insert(account.uid);
            if account.new_group {
                ids.groups
                    .entry(account.name.clone())
                    .or_insert(account.gid);
            }
        }
        ids
    }

    /// Reads `root`'s accounts.
    pub fn load(root: &Path) -> Result<Self> {
        Ok(Self::new(root, &Accounts::load(root)?, &[]))
    }

    /// The uid and gid of `owner` and `group`, or what is unknown.
    pub fn resolve(&self, owner: &str, group: &str) -> Result<(u32, u32), String> {
        let uid = self.users.get(owner).copied().ok_or_else(|| {
            format!(
                "owner `{owner}` is not a user of this root ({}/passwd)",
                self.source
            )
        })?;
        let gid = self.groups.get(group).copied().ok_or_else(|| {
            format!(
                "group `{group}` is not a group of this root ({}/group)",
                self.source
            )
        })?;
        Ok((uid, gid))
    }

    /// Checks that every entry's owner and group are known; the error names the package and path.
    pub fn check_entries(&self, package: &str, entries: &[Entry]) -> Result<()> {
        for entry in entries {
            self.resolve(&entry.owner, &entry.group)
                .map_err(|problem| {
                    anyhow::anyhow!("package {package}: /{}: {problem}", entry.path)
                })?;
        }
        Ok(())
    }

    /// Gives `path` the owner and group named, when they are not what it has. Set-id bits, which
    /// `chown` clears, are put back from `mode`.
    pub fn set(&self, path: &Path, owner: &str, group: &str, mode: u32) -> Result<()> {
        let (uid, gid) = self
            .resolve(owner, group)
            .map_err(|problem| anyhow::anyhow!("{}: {problem}", path.display()))?;
        set_ids(path, uid, gid, mode)
    }

    /// Gives every file and link of a package extracted into `dir` its owner and group.
    /// Directories are skipped: the transaction makes them in the root from the manifest rather
    /// than moving them from staging. Entries owned by the ids pkg runs with already have them
    /// (pkg created them), which saves a `stat` per file in the common case.
    pub fn set_staged(
        &self,
        entries: &[Entry],
        staged_path: impl Fn(usize) -> std::path::PathBuf,
    ) -> Result<()> {
        let own = (
            rustix::process::geteuid().as_raw(),
            rustix::process::getegid().as_raw(),
        );
        for (index, entry) in entries.iter().enumerate() {
            if matches!(entry.kind, EntryKind::Dir) {
                continue;
            }
            let ids = self
                .resolve(&entry.owner, &entry.group)
                .map_err(|problem| anyhow::anyhow!("/{}: {problem}", entry.path))?;
            if ids != own {
                set_ids(&staged_path(index), ids.0, ids.1, entry.mode)?;
            }
        }
        Ok(())
    }

    /// How an installed entry's owner differs from its manifest, if it does. Without root,
    /// owners could not have been set, so they are not checked (said once).
    pub fn check_installed(&self, root: &Path, entry: &Entry) -> Option<String> {
        if !running_as_root() {
            say_not_root("owners are not checked (pkg could not have set them)");
            return None;
        }
        let meta = std::fs::symlink_metadata(root.join(&entry.path)).ok()?;
        let (uid, gid) = match self.resolve(&entry.owner, &entry.group) {
            Ok(ids) => ids,
            Err(problem) => return Some(format!("{}: {problem}", entry.path)),
        };
        if meta.uid() != uid || meta.gid() != gid {
            let kind = match entry.kind {
                EntryKind::Symlink { .. } => "link ",
                _ => "",
            };
            return Some(format!(
                "{}: {kind}owner {}:{} instead of {}:{} ({uid}:{gid})",
                entry.path,
                meta.uid(),
                meta.gid(),
                entry.owner,
                entry.group
            ));
        }
        None
    }
}

/// Gives `path` (not following a last symbolic link) the ids `uid`:`gid` when it does not have
/// them. Set-id bits, which `chown` clears, are put back from `mode`.
pub fn set_ids(path: &Path, uid: u32, gid: u32, mode: u32) -> Result<()> {
    let meta = std::fs::symlink_metadata(path)
        .with_context(|| format!("cannot inspect {}", path.display()))?;
    if meta.uid() == uid && meta.gid() == gid {
        return Ok(());
    }
    if !running_as_root() {
        say_not_root(
            "files keep the owner of the user running pkg (their packages' owners cannot be set)",
        );
        return Ok(());
    }
    lchown(path, Some(uid), Some(gid))
        .with_context(|| format!("cannot set the owner of {}", path.display()))?;
    if !meta.file_type().is_symlink() && mode & 0o6000 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .with_context(|| format!("cannot set the mode of {}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_always_known_and_unknown_names_are_named() {
        let ids = Ids::new(Path::new("/nonexistent"), &Accounts::default(), &[]);
        assert_eq!(ids.resolve("root", "root"), Ok((0, 0)));
        let error = ids.resolve("web", "root").unwrap_err();
        assert!(error.contains("owner `web`"), "{error}");
        let error = ids.resolve("root", "web").unwrap_err();
        assert!(error.contains("group `web`"), "{error}");
    }

    #[test]
    fn new_accounts_are_known() {
        let account = Account {
            name: "web".into(),
            uid: 120,
            gid: 121,
            new_group: true,
            home: "/".into(),
            shell: "/sbin/nologin".into(),
            package: "p".into(),
        };
        let ids = Ids::new(Path::new("/x"), &Accounts::default(), &[account]);
        assert_eq!(ids.resolve("web", "web"), Ok((120, 121)));
    }
}
