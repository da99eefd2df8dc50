//! Declarative install actions (a recipe's `[install]`) as part of a transaction: system users
//! and their groups, directories, and triggers; and the owners of the packages' files.
//!
//! Everything is decided while planning, before anything changes (free ids chosen, conflicting
//! uids and unknown owner names refused, directories checked), and carried in the journal as
//! plain facts (`Actions`), so that recovery after a crash repeats exactly the same steps:
//! accounts are appended only where their names are missing, directories get their mode and
//! owner again, triggers run again. Removing a package leaves its users (as distributions do: a
//! user's files may outlive the package) and its directories when they are not empty.
#![forbid(unsafe_code)]

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::accounts::{self, Account, Accounts};
use crate::owners::{self, Ids};
use crate::package::Header;
use crate::triggers::{self, Run};

/// A declared directory missing when the transaction was planned: created with this mode and
/// these ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewDirectory {
    pub path: String,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

/// What a transaction's install actions do, as the journal records it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actions {
    #[serde(default)]
    pub accounts: Vec<Account>,
    #[serde(default)]
    pub directories: Vec<NewDirectory>,
    /// Directories declared only by removed packages: removed when empty.
    #[serde(default)]
    pub unused_directories: Vec<String>,
    #[serde(default)]
    pub triggers: Vec<Run>,
}

/// A transaction's actions with the names its files' owners resolve in.
#[derive(Debug, Clone, Default)]
pub struct Planned {
    pub actions: Actions,
    pub ids: Ids,
    /// Things worth saying that change nothing (a user that exists with another uid).
    pub notes: Vec<String>,
}

impl Planned {
    /// What the actions will do, one line each, for the plan shown before a transaction.
    pub fn describe(&self) -> Vec<String> {
        let actions = &self.actions;
        let mut lines: Vec<String> = actions
            .accounts
            .iter()
            .map(|a| {
                let group = if a.new_group {
                    format!("and group {} (gid {})", a.name, a.gid)
                } else {
                    format!("in group {} (gid {})", a.name, a.gid)
                };
                format!(
                    "create system user {} (uid {}) {group} for {}",
                    a.name, a.uid, a.package
                )
            })
            .collect();
        lines.extend(actions.directories.iter().map(|d| {
            format!(
                "create directory /{} (mode {:o}, owner {}:{})",
                d.path, d.mode, d.uid, d.gid
            )
        }));
        lines.extend(actions.triggers.iter().map(|t| {
            format!(
                "run trigger {} for {} changed path(s)",
                t.action,
                t.paths.len()
            )
        }));
        lines.extend(self.notes.iter().map(|note| format!("note: {note}")));
        lines
    }
}

/// Checks that `path` can be a directory in `root`: nothing on the way is a symbolic link or a
/// non-directory. Returns whether it exists already.
fn check_directory(root: &Path, path: &str, package: &str) -> Result<bool> {
    let mut at = root.to_owned();
    for component in path.split('/') {
        at.push(component);
        match fs::symlink_metadata(&at) {
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(error) => {
                return Err(error).with_context(|| format!("cannot inspect {}", at.display()))
            }
            Ok(meta) if meta.file_type().is_symlink() => bail!(
                "package {package} declares the directory /{path}, but {} is a symbolic link; refusing to write through it",
                at.display()
            ),
            Ok(meta) if !meta.is_dir() => bail!(
                "package {package} declares the directory /{path}, but {} is not a directory",
                at.display()
            ),
            Ok(_) => {}
        }
    }
    Ok(true)
}

/// Plans the actions of a transaction that installs `new`, removes `removed` and keeps
/// `remaining` installed. Fails, changing nothing, on a conflicting uid, an unknown owner or
/// group name (of a file or a directory), or a declared directory that cannot be made.
pub fn plan(
    root: &Path,
    new: &[&Header],
    removed: &[&Header],
    remaining: &[&Header],
) -> Result<Planned> {
    let accounts = Accounts::load(root)?;
    let wanted: Vec<(&str, &crate::recipe::User)> = new
        .iter()
        .flat_map(|h| {
            h.meta
                .install
                .users
                .iter()
                .map(|u| (h.meta.name.as_str(), u))
        })
        .collect();
    let users = accounts::plan_users(root, &accounts, &wanted)?;
    let ids = Ids::new(root, &accounts, &users.create);
    for header in new {
        ids.check_entries(&header.meta.name, &header.entries)?;
    }
    let mut directories: Vec<NewDirectory> = Vec::new();
    for header in new {
        let package = &header.meta.name;
        for dir in &header.meta.install.directories {
            let (uid, gid) = ids.resolve(&dir.owner, &dir.group).map_err(|problem| {
                anyhow::anyhow!("package {package}: directory /{}: {problem}", dir.path)
            })?;
            if check_directory(root, &dir.path, package)?
                || directories.iter().any(|d| d.path == dir.path)
            {
                continue;
            }
            directories.push(NewDirectory {
                path: dir.path.clone(),
                mode: dir.mode,
                uid,
                gid,
            });
        }
    }
    let after: Vec<&Header> = remaining.iter().chain(new).copied().collect();
    let still_used: BTreeSet<&str> = after
        .iter()
        .flat_map(|h| {
            h.meta
                .install
                .directories
                .iter()
                .map(|d| d.path.as_str())
                .chain(h.entries.iter().map(|e| e.path.as_str()))
        })
        .collect();
    let mut unused_directories: Vec<String> = removed
        .iter()
        .flat_map(|h| h.meta.install.directories.iter().map(|d| d.path.clone()))
        .filter(|path| !still_used.contains(path.as_str()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    unused_directories.sort_by_key(|path| std::cmp::Reverse(path.len()));
    let involved: Vec<&Header> = after.iter().chain(removed).copied().collect();
    let changed: Vec<&Header> = new.iter().chain(removed).copied().collect();
    Ok(Planned {
        actions: Actions {
            accounts: users.create,
            directories,
            unused_directories,
            triggers: triggers::plan(&involved, &changed),
        },
        ids,
        notes: users.notes,
    })
}

/// The part of a transaction's commit that comes before any file moves: accounts, then
/// directories. Can be repeated. `crash_point` is the test hook of the transaction.
pub fn apply(root: &Path, actions: &Actions, crash_point: impl Fn(&str)) -> Result<()> {
    accounts::apply(root, &actions.accounts, || crash_point("accounts-group"))?;
    crash_point("accounts");
    for dir in &actions.directories {
        let target = root.join(&dir.path);
        fs::create_dir_all(&target)
            .with_context(|| format!("cannot create {}", target.display()))?;
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&target, fs::Permissions::from_mode(dir.mode))
            .with_context(|| format!("cannot set the mode of {}", target.display()))?;
        owners::set_ids(&target, dir.uid, dir.gid, dir.mode)?;
    }
    crash_point("directories");
    Ok(())
}

/// Removes the directories only removed packages declared, where they are empty.
pub fn remove_unused_directories(root: &Path, actions: &Actions) {
    for dir in &actions.unused_directories {
        // Not empty (a user's data) is fine: it stays.
        let _ = fs::remove_dir(root.join(dir));
    }
}

/// Runs the triggers; returns a line per failure.
pub fn run_triggers(root: &Path, actions: &Actions) -> Vec<String> {
    triggers::run_all(root, &actions.triggers)
}
