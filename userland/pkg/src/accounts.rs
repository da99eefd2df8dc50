//! System users and groups of a root: `etc/passwd`, `etc/group`, `etc/shadow` (and `etc/gshadow`
//! where it exists), read and extended the way `useradd --system` does.
//!
//! Planning (`plan_users`) decides every new account's ids before anything changes; applying
//! (`apply`) only appends the lines of accounts whose names are still missing, each file written
//! beside and renamed into place, so it can be repeated after a crash.
#![forbid(unsafe_code)]

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::recipe::User;

/// The ids given to system users and groups chosen by pkg (as Debian's and Alpine's `adduser
/// --system` choose below 1000).
pub const SYSTEM_IDS: std::ops::RangeInclusive<u32> = 100..=999;

/// The home and shell of a system user whose recipe gives none.
pub const DEFAULT_HOME: &str = "/";
pub const DEFAULT_SHELL: &str = "/sbin/nologin";

/// An account to create: the user and, when `new_group`, its group of the same name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub new_group: bool,
    pub home: String,
    pub shell: String,
    /// The package that asked for it (for messages).
    pub package: String,
}

/// One `name:…:id:…` line of passwd or group.
#[derive(Debug, Clone)]
struct Line {
    name: String,
    id: Option<u32>,
}

fn parse(text: &str) -> Vec<Line> {
    text.lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            Line {
                name: fields[0].to_owned(),
                id: fields.get(2).and_then(|id| id.parse().ok()),
            }
        })
        .collect()
}

fn etc(root: &Path, name: &str) -> PathBuf {
    root.join("etc").join(name)
}

fn read(path: &Path) -> Result<Option<String>> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// The users and groups a root has.
#[derive(Debug, Clone, Default)]
pub struct Accounts {
    users: Vec<Line>,
    groups: Vec<Line>,
}

impl Accounts {
    /// Reads `root`'s passwd and group (missing files are empty).
    pub fn load(root: &Path) -> Result<Self> {
        Ok(Self {
            users: parse(&read(&etc(root, "passwd"))?.unwrap_or_default()),
            groups: parse(&read(&etc(root, "group"))?.unwrap_or_default()),
        })
    }

    pub fn uid(&self, name: &str) -> Option<u32> {
        self.users
            .iter()
            .find(|u| u.name == name)
            .and_then(|u| u.id)
    }

    pub fn gid(&self, name: &str) -> Option<u32> {
        self.groups
            .iter()
            .find(|g| g.name == name)
            .and_then(|g| g.id)
    }

    /// Every (user name, uid) pair.
    pub fn users(&self) -> impl Iterator<Item = (&str, u32)> {
        self.users
            .iter()
            .filter_map(|u| Some((u.name.as_str(), u.id?)))
    }

    /// Every (group name, gid) pair.
    pub fn groups(&self) -> impl Iterator<Item = (&str, u32)> {
        self.groups
            .iter()
            .filter_map(|g| Some((g.name.as_str(), g.id?)))
    }

    fn user_with_uid(&self, uid: u32) -> Option<&str> {
        self.users
            .iter()
            .find(|u| u.id == Some(uid))
            .map(|u| u.name.as_str())
    }

    fn group_with_gid(&self, gid: u32) -> Option<&str> {
        self.groups
            .iter()
            .find(|g| g.id == Some(gid))
            .map(|g| g.name.as_str())
    }

    fn add(&mut self, account: &Account) {
        self.users.push(Line {
            name: account.name.clone(),
            id: Some(account.uid),
        });
        if account.new_group {
            self.groups.push(Line {
                name: account.name.clone(),
                id: Some(account.gid),
            });
        }
    }
}

/// What planning found: the accounts to create, and notes about users left as they are.
#[derive(Debug, Default)]
pub struct UserPlan {
    pub create: Vec<Account>,
    pub notes: Vec<String>,
}

/// Decides the accounts to create for `wanted` (package name, user) in `root` whose accounts are
/// `accounts`. A user that exists (by name) is left alone; a fixed uid that another user has is
/// refused; a user without a uid gets the lowest id of [`SYSTEM_IDS`] free as both uid and gid.
pub fn plan_users(root: &Path, accounts: &Accounts, wanted: &[(&str, &User)]) -> Result<UserPlan> {
    let mut known = accounts.clone();
    let mut plan = UserPlan::default();
    let passwd = etc(root, "passwd");
    for (package, user) in wanted {
        if let Some(uid) = known.uid(&user.name) {
            if user.uid.is_some_and(|wanted| wanted != uid) {
                plan.notes.push(format!(
                    "user {} exists with uid {uid} ({package} asks for {}); it is left as it is",
                    user.name,
                    user.uid.unwrap_or_default()
                ));
            }
            continue;
        }
        let existing_gid = known.gid(&user.name);
        let uid = match user.uid {
            Some(uid) => {
                if let Some(other) = known.user_with_uid(uid) {
                    bail!(
                        "package {package} needs user {} with uid {uid}, but uid {uid} is user {other}'s in {}; nothing was changed",
                        user.name,
                        passwd.display()
                    );
                }
                uid
            }
            None => {
                let free = |id: &u32| {
                    known.user_with_uid(*id).is_none()
                        && (existing_gid.is_some() || known.group_with_gid(*id).is_none())
                };
                // The group's id when it is free as a uid, else the first id free as both.
                existing_gid
                    .filter(|gid| SYSTEM_IDS.contains(gid) && free(gid))
                    .or_else(|| SYSTEM_IDS.clone().find(free))
                    .with_context(|| {
                        format!(
                            "package {package} needs user {}, but no id in {}–{} is free in {}",
                            user.name,
                            SYSTEM_IDS.start(),
                            SYSTEM_IDS.end(),
                            passwd.display()
                        )
                    })?
            }
        };
        let (gid, new_group) = match existing_gid {
            Some(gid) => (gid, false),
            None if known.group_with_gid(uid).is_none() => (uid, true),
            None => {
                let gid = SYSTEM_IDS
                    .clone()
                    .find(|id| known.group_with_gid(*id).is_none())
                    .with_context(|| {
                        format!(
                            "package {package} needs group {}, but no gid in {}–{} is free",
                            user.name,
                            SYSTEM_IDS.start(),
                            SYSTEM_IDS.end()
                        )
                    })?;
                (gid, true)
            }
        };
        let account = Account {
            name: user.name.clone(),
            uid,
            gid,
            new_group,
            home: user.home.clone().unwrap_or_else(|| DEFAULT_HOME.into()),
            shell: user.shell.clone().unwrap_or_else(|| DEFAULT_SHELL.into()),
            package: (*package).to_owned(),
        };
        known.add(&account);
        plan.create.push(account);
    }
    Ok(plan)
}

/// Appends `lines` whose first field (the name) is not in the file yet; the file keeps its mode
/// and owner (`mode` for a new one). Returns whether it changed.
fn append_missing(path: &Path, lines: &[(String, String)], mode: u32) -> Result<bool> {
    let old = read(path)?;
    let text = old.clone().unwrap_or_default();
    let present: BTreeSet<&str> = text
        .lines()
        .filter_map(|line| line.split(':').next())
        .collect();
    let mut new = text.clone();
    for (name, line) in lines {
        if present.contains(name.as_str()) {
            continue;
        }
        if !new.is_empty() && !new.ends_with('\n') {
            new.push('\n');
        }
        new.push_str(line);
        new.push('\n');
    }
    if new == text {
        return Ok(false);
    }
    write_atomically(path, new.as_bytes(), mode)?;
    Ok(true)
}

/// Writes `path` beside and renames it into place, synced; keeps an existing file's mode and
/// owner.
fn write_atomically(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let dir = path.parent().context("no parent directory")?;
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let existing = fs::metadata(path).ok();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let partial = dir.join(format!(".{name}.pkg-partial"));
    let result = (|| -> Result<()> {
        let mut file = File::create(&partial)
            .with_context(|| format!("cannot create {}", partial.display()))?;
        file.write_all(bytes)?;
        let mode = existing
            .as_ref()
            .map_or(mode, |meta| meta.permissions().mode() & 0o7777);
        file.set_permissions(fs::Permissions::from_mode(mode))?;
        if let Some(meta) = &existing {
            if crate::owners::running_as_root() {
                std::os::unix::fs::chown(&partial, Some(meta.uid()), Some(meta.gid()))?;
            }
        }
        file.sync_all()?;
        fs::rename(&partial, path).with_context(|| format!("cannot replace {}", path.display()))?;
        // The rename's durability; best effort, as some file systems refuse to sync a directory.
        if let Ok(dir) = File::open(dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&partial);
    }
    result
}

fn days_since_epoch() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() / 86_400)
}

/// Creates `accounts` in `root` where their names are missing: groups first, then the locked
/// shadow entries, then the users, so that a user line never names a group that is not there.
/// Can be repeated. `after_group` runs once the group files are written (a crash-test hook).
pub fn apply(root: &Path, accounts: &[Account], after_group: impl FnOnce()) -> Result<()> {
    if accounts.is_empty() {
        return Ok(());
    }
    let groups: Vec<(String, String)> = accounts
        .iter()
        .filter(|a| a.new_group)
        .map(|a| (a.name.clone(), format!("{}:x:{}:", a.name, a.gid)))
        .collect();
    append_missing(&etc(root, "group"), &groups, 0o644)?;
    let gshadow = etc(root, "gshadow");
    if gshadow.exists() {
        let lines: Vec<(String, String)> = groups
            .iter()
            .map(|(name, _)| (name.clone(), format!("{name}:!::")))
            .collect();
        append_missing(&gshadow, &lines, 0o600)?;
    }
    after_group();
    let days = days_since_epoch();
    let shadow: Vec<(String, String)> = accounts
        .iter()
        .map(|a| (a.name.clone(), format!("{}:!:{days}::::::", a.name)))
        .collect();
    append_missing(&etc(root, "shadow"), &shadow, 0o600)?;
    let users: Vec<(String, String)> = accounts
        .iter()
        .map(|a| {
            (
                a.name.clone(),
                format!("{}:x:{}:{}::{}:{}", a.name, a.uid, a.gid, a.home, a.shell),
            )
        })
        .collect();
    append_missing(&etc(root, "passwd"), &users, 0o644)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str, uid: Option<u32>) -> User {
        User {
            name: name.into(),
            uid,
            home: None,
            shell: None,
        }
    }

    fn root_with(passwd: &str, group: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("etc")).unwrap();
        fs::write(dir.path().join("etc/passwd"), passwd).unwrap();
        fs::write(dir.path().join("etc/group"), group).unwrap();
        dir
    }

    #[test]
    fn free_ids_skip_used_uids_and_gids() {
        let root = root_with(
            "root:x:0:0::/root:/bin/sh\nd:x:100:100::/:/sbin/nologin\n",
            "root:x:0:\nd:x:100:\nother:x:101:\n",
        );
        let accounts = Accounts::load(root.path()).unwrap();
        let (a, b) = (user("a", None), user("b", None));
        let plan = plan_users(root.path(), &accounts, &[("p", &a), ("q", &b)]).unwrap();
        let ids: Vec<(u32, u32)> = plan.create.iter().map(|a| (a.uid, a.gid)).collect();
        assert_eq!(ids, [(102, 102), (103, 103)]);
    }

    #[test]
    fn fixed_uid_conflicts_are_refused_and_existing_users_kept() {
        let root = root_with("d:x:150:150::/:/bin/sh\n", "d:x:150:\n");
        let accounts = Accounts::load(root.path()).unwrap();
        let clash = user("web", Some(150));
        let error = plan_users(root.path(), &accounts, &[("p", &clash)]).unwrap_err();
        assert!(error.to_string().contains("uid 150 is user d's"), "{error}");
        let same = user("d", Some(151));
        let plan = plan_users(root.path(), &accounts, &[("p", &same)]).unwrap();
        assert!(plan.create.is_empty());
        assert!(plan.notes[0].contains("left as it is"), "{:?}", plan.notes);
    }

    #[test]
    fn apply_appends_once_and_keeps_other_lines() {
        let root = root_with("root:x:0:0::/root:/bin/sh", "root:x:0:\n");
        fs::write(root.path().join("etc/shadow"), "root:*:1::::::\n").unwrap();
        let accounts = Accounts::load(root.path()).unwrap();
        let web = user("web", Some(120));
        let plan = plan_users(root.path(), &accounts, &[("p", &web)]).unwrap();
        for _ in 0..2 {
            apply(root.path(), &plan.create, || {}).unwrap();
        }
        let passwd = fs::read_to_string(root.path().join("etc/passwd")).unwrap();
        assert_eq!(
            passwd,
            "root:x:0:0::/root:/bin/sh\nweb:x:120:120::/:/sbin/nologin\n"
        );
        let group = fs::read_to_string(root.path().join("etc/group")).unwrap();
        assert_eq!(group, "root:x:0:\nweb:x:120:\n");
        let shadow = fs::read_to_string(root.path().join("etc/shadow")).unwrap();
        assert!(shadow.starts_with("root:*:1::::::\nweb:!:"), "{shadow}");
        assert_eq!(shadow.lines().count(), 2);
    }
}
