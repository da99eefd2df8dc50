//! Changing a root as one all-or-nothing transaction over any number of packages: installs,
//! removals, and replacements (upgrades, downgrades, rollbacks: the old version removed and the
//! new one installed in the same transaction).
//!
//! 1. take the root's lock (`var/lib/basalt/pkg/lock`) so that a second writer is kept out;
//! 2. finish any transaction a crash interrupted (below);
//! 3. plan: verify every package file's header, and find every conflict before anything
//!    changes: a file in two new packages, a file that exists in the root and is not owned by a
//!    package this transaction removes, a parent directory in the root that is a symbolic link,
//!    an entry below another new package's symbolic link;
//! 4. list every tree and file about to be staged (`staging.json`, synced); create the new
//!    directories inside their staged trees; stage every new package under hidden names
//!    (`staging`: each new directory tree whole, other files beside their targets),
//!    verified while streaming (and against the repository index's digest when it came from
//!    one), packages on a few threads while a thread syncs in the background; give the staged
//!    files their owners, and keep each package file in the cache (`var/cache/basalt/pkg`, a hard
//!    link where safe);
//! 5. sync the file systems (`syncfs`: staged files, cache, directories); write the journal
//!    (every package, the config-file decisions and the generation to record), synced;
//! 6. rename the new trees into place; create the transaction's users and declared directories
//!    (`actions`), delete the removed packages' files, rename every file and link staged beside
//!    its target into place (within its directory; packages on a few threads), update the records, record the generation, sync once more;
//!    run the triggers; delete the list of staged files and the journal.
//!
//! Step 3 also plans the install actions (ids of new users, owners of every file, directories,
//! triggers).
//!
//! A crash before the journal is written leaves only staged trees and files, which recovery
//! removes by the list (as does a failed staging at once): the root is as before. A crash after it is rolled forward by recovery, which repeats step 6 (every
//! part of it can be repeated): the root is as after.
#![forbid(unsafe_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::actions::{self, Actions, Planned};
use crate::db::{state_dir, Database};
use crate::generation::{self, Generation, Member};
use crate::keys::KeyStore;
use crate::manifest::{Entry, EntryKind};
use crate::package::{Header, PackageFile, PackageReader};
use crate::parallel;
use crate::staging::{package_prefix, staged_path, Trees};
use crate::version::{Dependency, Version};
use crate::{deps, triggers};

/// A new package, staged.
#[derive(Serialize, Deserialize)]
struct Staged {
    /// The name prefix of this package's files staged beside their targets (see
    /// [`staged_path`]).
    staging: String,
    header: Header,
    /// Config files changed locally: the new one is put beside as `PATH.pkgnew`.
    pkgnew: Vec<String>,
}

/// An installed package to take out.
#[derive(Serialize, Deserialize)]
struct Removal {
    header: Header,
    /// Config files changed locally, which stay.
    keep: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct Journal {
    installs: Vec<Staged>,
    removes: Vec<Removal>,
    generation: Generation,
    /// Users, directories and triggers (see `actions`).
    #[serde(default)]
    actions: Actions,
    /// The new directory trees, each staged whole under a hidden name.
    #[serde(default)]
    trees: Trees,
}

/// Holds the root's writer lock while alive.
pub struct Lock {
    _file: File,
}

/// Takes the root's lock, failing at once if another writer holds it.
pub fn lock(root: &Path) -> Result<Lock> {
    let dir = state_dir(root);
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join("lock");
    let file = File::create(&path).with_context(|| format!("cannot open {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(Lock { _file: file }),
        Err(fs::TryLockError::WouldBlock) => bail!(
            "{}: another pkg process is changing this root",
            path.display()
        ),
        Err(fs::TryLockError::Error(error)) => {
            Err(error).with_context(|| format!("cannot lock {}", path.display()))
        }
    }
}

fn journal_path(root: &Path) -> PathBuf {
    state_dir(root).join("journal.json")
}

/// Lists every file a transaction is about to stage in the root (relative paths), written
/// before the first one is: what recovery removes when the journal was not written.
fn staging_list_path(root: &Path) -> PathBuf {
    state_dir(root).join("staging.json")
}

/// Writes `content` to `path` durably: beside, synced, renamed, and the directory synced.
fn write_durably(path: &Path, content: &[u8]) -> Result<()> {
    let partial = path.with_extension("partial");
    let mut out =
        File::create(&partial).with_context(|| format!("cannot create {}", partial.display()))?;
    out.write_all(content)?;
    out.sync_all()?;
    fs::rename(&partial, path).with_context(|| format!("cannot create {}", path.display()))?;
    if let Some(dir) = path.parent() {
        File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// Removes what an interrupted transaction staged and did not journal.
fn remove_staged(root: &Path) -> Result<()> {
    let list = staging_list_path(root);
    if let Ok(text) = fs::read(&list) {
        let staged: Vec<String> = serde_json::from_slice(&text)
            .with_context(|| format!("{}: list of staged files is damaged", list.display()))?;
        for path in staged {
            // Only what the list names, and only staged names: never a file of the root's. A
            // staged directory tree goes whole.
            let target = root.join(&path);
            let removed = match fs::symlink_metadata(&target) {
                Ok(meta) if meta.is_dir() => fs::remove_dir_all(&target),
                _ => fs::remove_file(&target),
            };
            match removed {
                Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                    return Err(error)
                        .with_context(|| format!("cannot remove {}", target.display()))
                }
                _ => {}
            }
        }
        fs::remove_file(&list).with_context(|| format!("cannot remove {}", list.display()))?;
    }
    // Where pkg before staging-beside-targets staged: one directory.
    let staging = state_dir(root).join("staging");
    if staging.exists() {
        fs::remove_dir_all(&staging)
            .with_context(|| format!("cannot remove {}", staging.display()))?;
    }
    Ok(())
}

/// Finishes or undoes an interrupted transaction. Needs the lock.
pub fn recover(root: &Path, _lock: &Lock) -> Result<()> {
    let journal = journal_path(root);
    if let Ok(text) = fs::read(&journal) {
        let journal_data: Journal = serde_json::from_slice(&text)
            .with_context(|| format!("{}: journal is damaged", journal.display()))?;
        commit(root, &journal_data)?;
        for failure in actions::run_triggers(root, &journal_data.actions) {
            eprintln!("pkg: warning: finishing an interrupted transaction: {failure}");
        }
        finish(root)?;
    }
    remove_staged(root)
}

/// Ends a committed transaction: every staged file has been moved, so the list of them goes
/// (before the journal: a crash between the two repeats the commit, which is harmless).
fn finish(root: &Path) -> Result<()> {
    for path in [staging_list_path(root), journal_path(root)] {
        match fs::remove_file(&path) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                return Err(error).with_context(|| format!("cannot remove {}", path.display()))
            }
            _ => {}
        }
    }
    Ok(())
}

fn is_dir(entry: &Entry) -> bool {
    matches!(entry.kind, EntryKind::Dir)
}

/// Step 6; every part can be repeated after a crash.
fn commit(root: &Path, journal: &Journal) -> Result<()> {
    // The new trees first: the actions may write into them (a new `etc`, say).
    for (staged, target) in journal.trees.staged_and_targets() {
        if move_into_place(&root.join(staged), &root.join(target))? {
            crash_point("moved-one");
        }
    }
    actions::apply(root, &journal.actions, crash_point)?;
    let new_paths: BTreeSet<&str> = journal
        .installs
        .iter()
        .flat_map(|staged| staged.header.entries.iter().map(|e| e.path.as_str()))
        .collect();
    for removal in &journal.removes {
        for entry in removal.header.entries.iter().filter(|e| !is_dir(e)) {
            if new_paths.contains(entry.path.as_str()) || removal.keep.contains(&entry.path) {
                continue;
            }
            match fs::remove_file(root.join(&entry.path)) {
                Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                    return Err(error).with_context(|| {
                        format!("cannot remove {}", root.join(&entry.path).display())
                    })
                }
                _ => crash_point("removed-one"),
            }
        }
    }
    // Packages' files are in different directories mostly: renamed on a few threads.
    let workers = parallel::workers(journal.installs.len());
    parallel::map(&journal.installs, workers, |staged| {
        for (index, entry) in staged.header.entries.iter().enumerate() {
            // Entries in a new tree came with it.
            if is_dir(entry) || journal.trees.location(&entry.path).is_some() {
                continue;
            }
            let mut target = root.join(&entry.path);
            if staged.pkgnew.contains(&entry.path) {
                target = root.join(format!("{}.pkgnew", entry.path));
            }
            let from = staged_path(root, &journal.trees, &entry.path, &staged.staging, index);
            if move_into_place(&from, &target)? {
                crash_point("moved-one");
            }
        }
        Ok(())
    })?;
    crash_point("renamed");
    let db = Database::for_root(root);
    for removal in &journal.removes {
        db.delete(&removal.header.meta.name)?;
    }
    // One small file each (written beside and renamed): on a few threads as well.
    parallel::map(&journal.installs, workers, |staged| db.put(&staged.header))?;
    // Declared directories and the packages' own ones may hold each other: empty both ways.
    actions::remove_unused_directories(root, &journal.actions);
    if !journal.removes.is_empty() {
        remove_empty_dirs(root, journal, &db)?;
    }
    actions::remove_unused_directories(root, &journal.actions);
    generation::record(root, &journal.generation)?;
    // Durable before the journal goes: everything above, in one sync per file system.
    sync_file_systems(&[root, &state_dir(root)])
}

/// Renames the staged `from` (a file, a link or a directory tree) to `target` (in the same
/// directory); `false` when it was moved already (a commit repeated by recovery).
fn move_into_place(from: &Path, target: &Path) -> Result<bool> {
    match fs::rename(from, target) {
        Ok(()) => Ok(true),
        Err(error)
            if error.kind() == std::io::ErrorKind::NotFound
                && fs::symlink_metadata(from).is_err() =>
        {
            Ok(false)
        }
        Err(error) => {
            Err(error).with_context(|| format!("cannot move {} into place", target.display()))
        }
    }
}

/// Makes everything written so far on the file systems holding `paths` durable: one `syncfs`
/// per file system instead of an fsync per file (crash consistency against a killed process
/// comes from the journal and renames; this is for power loss).
fn sync_file_systems(paths: &[&Path]) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let mut done = Vec::new();
    for path in paths {
        let dir = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let device = dir.metadata()?.dev();
        if !done.contains(&device) {
            rustix::fs::syncfs(&dir)
                .with_context(|| format!("cannot sync the file system of {}", path.display()))?;
            done.push(device);
        }
    }
    Ok(())
}

/// Removes the directories of removed packages that no installed package has and that are empty.
fn remove_empty_dirs(root: &Path, journal: &Journal, db: &Database) -> Result<()> {
    let kept: BTreeSet<String> = db
        .all()?
        .into_iter()
        .flat_map(|header| header.entries.into_iter().map(|e| e.path))
        .collect();
    let mut dirs: Vec<&str> = journal
        .removes
        .iter()
        .flat_map(|removal| removal.header.entries.iter().filter(|e| is_dir(e)))
        .map(|entry| entry.path.as_str())
        .filter(|path| !kept.contains(*path))
        .collect();
    dirs.sort_by_key(|path| std::cmp::Reverse(path.len()));
    for dir in dirs {
        // Not empty (a kept config file, a user's file) is fine: it stays.
        let _ = fs::remove_dir(root.join(dir));
    }
    Ok(())
}

/// Checks that `entry` can be written in `root`: no component on the way is a symbolic link, and
/// the entry does not exist (directories may), unless `replaceable` (owned by a package this
/// transaction removes).
fn check_target(
    root: &Path,
    entry: &Entry,
    db: &Database,
    replaceable: &BTreeSet<&str>,
    config: bool,
    seen: &mut HashMap<String, bool>,
) -> Result<()> {
    let mut at = root.to_owned();
    let components: Vec<&str> = entry.path.split('/').collect();
    let mut prefix_len = 0;
    for (index, component) in components.iter().enumerate() {
        at.push(component);
        prefix_len += component.len() + usize::from(index > 0);
        let prefix = &entry.path[..prefix_len];
        let last = index + 1 == components.len();
        // Paths shared by many entries are looked at once: a real directory, or absent.
        match seen.get(prefix) {
            Some(false) => return Ok(()),
            Some(true) if !last || is_dir(entry) => continue,
            _ => {}
        }
        match fs::symlink_metadata(&at) {
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                seen.insert(prefix.to_owned(), false);
                return Ok(());
            }
            Err(error) => {
                return Err(error).with_context(|| format!("cannot inspect {}", at.display()))
            }
            Ok(meta) if meta.file_type().is_symlink() && (!last || is_dir(entry)) => {
                bail!("{}: a parent directory is a symbolic link in the root; refusing to write through it", at.display())
            }
            Ok(meta) if last => {
                if is_dir(entry) && meta.is_dir() {
                    seen.insert(prefix.to_owned(), true);
                    return Ok(());
                }
                if !is_dir(entry) && !meta.is_dir() && replaceable.contains(entry.path.as_str()) {
                    return Ok(());
                }
                let owner = db.owner(&entry.path)?;
                // A config file left by a removed package (or written by hand) is kept; the
                // new one goes beside it.
                if config && meta.is_file() && owner.is_none() {
                    return Ok(());
                }
                let owner = owner
                    .map(|name| format!("package {name}"))
                    .unwrap_or("no package".into());
                bail!("{} exists already (owned by {owner})", at.display());
            }
            Ok(meta) if !meta.is_dir() => bail!("{}: not a directory", at.display()),
            Ok(_) => {
                seen.insert(prefix.to_owned(), true);
            }
        }
    }
    Ok(())
}

fn file_digest(path: &Path) -> Option<String> {
    crate::manifest::digest_of(&mut File::open(path).ok()?).ok()
}

fn entry_digest(entry: &Entry) -> Option<&str> {
    match &entry.kind {
        EntryKind::File { blake3, .. } => Some(blake3),
        _ => None,
    }
}

/// Whether the config file `path` in the root differs from what `old` installed.
fn changed_locally(root: &Path, old: &Header, path: &str) -> bool {
    let Some(entry) = old.entries.iter().find(|e| e.path == path) else {
        return false;
    };
    match (entry_digest(entry), file_digest(&root.join(path))) {
        (Some(recorded), Some(found)) => recorded != found,
        _ => false,
    }
}

/// Whether the config file `path` in the root is to be kept with the new one beside it: it
/// exists, differs from the new one, and is not what the old version installed unchanged.
fn keeps_local_config(root: &Path, old: Option<&Header>, new: &Header, path: &str) -> bool {
    let Some(current) = file_digest(&root.join(path)) else {
        return false;
    };
    let shipped = |header: &Header| {
        header
            .entries
            .iter()
            .find(|e| e.path == path)
            .and_then(entry_digest)
            .map(str::to_owned)
    };
    if shipped(new).as_deref() == Some(current.as_str()) {
        return false;
    }
    old.is_none_or(|old| shipped(old).as_deref() != Some(current.as_str()))
}

/// One change of a plan (package name and versions).
pub enum Change {
    Install(String, String),
    Remove(String, String),
    Replace {
        name: String,
        old: String,
        new: String,
    },
}

impl Change {
    fn install(header: &Header) -> Self {
        Change::Install(header.meta.name.clone(), header.meta.version.clone())
    }

    fn remove(header: &Header) -> Self {
        Change::Remove(header.meta.name.clone(), header.meta.version.clone())
    }
}

impl std::fmt::Display for Change {
    fn fmt(&self, out: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::Install(name, version) => write!(out, "install {name} {version}"),
            Change::Remove(name, version) => write!(out, "remove {name} {version}"),
            Change::Replace { name, old, new } => {
                let newer = old.parse::<Version>().ok() < new.parse::<Version>().ok();
                let verb = if newer { "upgrade" } else { "downgrade" };
                write!(out, "{verb} {name} {old} -> {new}")
            }
        }
    }
}

/// How a package file to install was verified while planning: staging reads it again and
/// needs only to find the same header.
struct Verified {
    sealed: Vec<u8>,
    signer: ed25519_dalek::VerifyingKey,
    listed: Option<crate::package::Listed>,
}

/// A checked transaction, not yet begun.
pub struct Plan<'lock> {
    root: PathBuf,
    lock: &'lock Lock,
    files: Vec<(PathBuf, Header)>,
    /// For each of `files`.
    verified: Vec<Verified>,
    removes: Vec<Header>,
    pub changes: Vec<Change>,
    actions: Planned,
}

/// Plans installing the package files `files` (replacing installed versions of the same names)
/// and removing the installed packages `remove`, and checks it (step 3). Nothing changes.
pub fn plan<'lock>(
    root: &Path,
    lock: &'lock Lock,
    files: &[PackageFile],
    remove: &[String],
) -> Result<Plan<'lock>> {
    recover(root, lock)?;
    let store = KeyStore::for_root(root);
    let db = Database::for_root(root);
    let installed: BTreeMap<String, Header> = db
        .all()?
        .into_iter()
        .map(|header| (header.meta.name.clone(), header))
        .collect();
    let mut plan = Plan {
        root: root.to_owned(),
        lock,
        files: Vec::new(),
        verified: Vec::new(),
        removes: Vec::new(),
        changes: Vec::new(),
        actions: Planned::default(),
    };
    for name in remove {
        let header = installed
            .get(name)
            .with_context(|| format!("{name} is not installed"))?;
        plan.removes.push(header.clone());
        plan.changes.push(Change::remove(header));
    }
    // Verifying the headers (signatures, manifests) is independent work: on a few threads.
    // Each file is closed again at once (a transaction may hold more packages than open files).
    let opened = parallel::map(files, parallel::workers(files.len()), |file| {
        let reader = PackageReader::open(&file.path, Some(&store))?;
        Ok((reader.header, reader.sealed, reader.signer))
    })?;
    for (PackageFile { path: file, listed }, (header, sealed, signer)) in files.iter().zip(opened) {
        let name = &header.meta.name;
        if plan.files.iter().any(|(_, h)| h.meta.name == *name) {
            bail!("{name} is named twice in one transaction");
        }
        match installed.get(name) {
            Some(old) if old.meta.version == header.meta.version => {
                bail!("{name} {} is installed already", old.meta.version)
            }
            Some(old) => {
                plan.removes.push(old.clone());
                plan.changes.push(Change::Replace {
                    name: name.clone(),
                    old: old.meta.version.clone(),
                    new: header.meta.version.clone(),
                });
            }
            None => plan.changes.push(Change::install(&header)),
        }
        plan.files.push((file.clone(), header));
        plan.verified.push(Verified {
            sealed,
            signer,
            listed: listed.clone(),
        });
    }
    plan.remove_replaced(&installed);
    plan.check(&installed, &db)?;
    plan.plan_actions(&installed)?;
    Ok(plan)
}

impl Plan<'_> {
    /// Adds to the removals every installed package that a new one `replaces` (and that is not
    /// itself being installed or removed already): the new package takes its place and files.
    fn remove_replaced(&mut self, installed: &BTreeMap<String, Header>) {
        let mut replaced = Vec::new();
        for (_, header) in &self.files {
            for dep in header
                .meta
                .replaces
                .iter()
                .filter_map(|text| text.parse::<Dependency>().ok())
            {
                let Some(old) = installed.get(&dep.name) else {
                    continue;
                };
                let accepted = old
                    .meta
                    .parsed_version()
                    .is_ok_and(|version| dep.accepts(&version));
                let busy = self.removes.iter().any(|h| h.meta.name == dep.name)
                    || self.files.iter().any(|(_, h)| h.meta.name == dep.name)
                    || replaced.iter().any(|h: &Header| h.meta.name == dep.name);
                if accepted && !busy {
                    replaced.push(old.clone());
                }
            }
        }
        for header in replaced {
            self.changes.push(Change::remove(&header));
            self.removes.push(header);
        }
    }

    /// The package files to install with their verified headers.
    pub fn installs(&self) -> impl Iterator<Item = (&Path, &Header)> {
        self.files
            .iter()
            .map(|(file, header)| (file.as_path(), header))
    }

    /// What the install actions will do (users, directories, triggers), and notes.
    pub fn action_lines(&self) -> Vec<String> {
        self.actions.describe()
    }

    /// Plans users, directories, owners and triggers (see `actions`).
    fn plan_actions(&mut self, installed: &BTreeMap<String, Header>) -> Result<()> {
        let removed: BTreeSet<&str> = self.removes.iter().map(|h| h.meta.name.as_str()).collect();
        let remaining: Vec<&Header> = installed
            .values()
            .filter(|h| !removed.contains(h.meta.name.as_str()))
            .collect();
        let new: Vec<&Header> = self.files.iter().map(|(_, h)| h).collect();
        let removes: Vec<&Header> = self.removes.iter().collect();
        self.actions = actions::plan(&self.root, &new, &removes, &remaining)?;
        Ok(())
    }

    /// Finds every conflict and broken dependency before anything changes.
    fn check(&self, installed: &BTreeMap<String, Header>, db: &Database) -> Result<()> {
        let mut claimed: BTreeMap<&str, (&str, bool)> = BTreeMap::new();
        for (_, header) in &self.files {
            for entry in &header.entries {
                let name = header.meta.name.as_str();
                if let Some((other, was_dir)) = claimed.insert(&entry.path, (name, is_dir(entry))) {
                    if !(was_dir && is_dir(entry)) {
                        bail!("/{} is in both {other} and {name}", entry.path);
                    }
                }
            }
        }
        // A package's entry below another new package's symbolic link would be written through
        // it (check_manifest refuses this within one package).
        let links: HashMap<&str, &str> = self
            .files
            .iter()
            .flat_map(|(_, header)| {
                header
                    .entries
                    .iter()
                    .filter(|e| matches!(e.kind, EntryKind::Symlink { .. }))
                    .map(|e| (e.path.as_str(), header.meta.name.as_str()))
            })
            .collect();
        if !links.is_empty() {
            for (_, header) in &self.files {
                for entry in &header.entries {
                    let mut prefix = entry.path.as_str();
                    while let Some((parent, _)) = prefix.rsplit_once('/') {
                        if let Some(other) = links.get(parent) {
                            bail!(
                                "/{} of {} is below /{parent}, a symbolic link of {other}",
                                entry.path,
                                header.meta.name
                            );
                        }
                        prefix = parent;
                    }
                }
            }
        }
        let replaceable: BTreeSet<&str> = self
            .removes
            .iter()
            .flat_map(|header| header.entries.iter().map(|e| e.path.as_str()))
            .collect();
        let mut seen = HashMap::new();
        for (_, header) in &self.files {
            for entry in &header.entries {
                let config = header.meta.config.contains(&entry.path);
                check_target(&self.root, entry, db, &replaceable, config, &mut seen)?;
            }
        }
        // Dependencies that hold now must still hold afterwards.
        let before: Vec<&Header> = installed.values().collect();
        let removed: BTreeSet<&str> = self.removes.iter().map(|h| h.meta.name.as_str()).collect();
        let after: Vec<&Header> = installed
            .values()
            .filter(|h| !removed.contains(h.meta.name.as_str()))
            .chain(self.files.iter().map(|(_, h)| h))
            .collect();
        let mut broken = Vec::new();
        for header in &after {
            for text in &header.meta.depends {
                let Ok(dep) = text.parse::<Dependency>() else {
                    continue;
                };
                if deps::satisfied(&dep, &before) && !deps::satisfied(&dep, &after) {
                    broken.push(format!("{} depends on `{text}`", header.meta.name));
                }
            }
        }
        if !broken.is_empty() {
            bail!(
                "this would break dependencies: {} (remove those packages too, or install what they need)",
                broken.join("; ")
            );
        }
        let new: Vec<&Header> = self.files.iter().map(|(_, h)| h).collect();
        deps::check_new(&new, &after)
    }

    /// The bytes of regular files the transaction installs (what `execute` reports progress in).
    pub fn payload_bytes(&self) -> u64 {
        self.files
            .iter()
            .flat_map(|(_, header)| &header.entries)
            .map(|entry| match entry.kind {
                EntryKind::File { size, .. } => size,
                _ => 0,
            })
            .sum()
    }

    /// Step 4 for one package: staged (verified while streaming), kept in the cache, and its
    /// config-file decisions made.
    fn stage_one(
        &self,
        staging: String,
        trees: &Trees,
        (file, header): &(PathBuf, Header),
        verified: &Verified,
        progress: &(impl Fn(u64) + Sync),
    ) -> Result<Staged> {
        let root = &self.root;
        PackageReader::reopen(file, &verified.sealed, header, verified.signer)?
            .listed(verified.listed.clone())
            .stage(root, &staging, trees, progress)?;
        self.actions.ids.set_staged(&header.entries, |index| {
            staged_path(root, trees, &header.entries[index].path, &staging, index)
        })?;
        cache(root, file, header)?;
        let old = self
            .removes
            .iter()
            .find(|h| h.meta.name == header.meta.name);
        let pkgnew = header
            .meta
            .config
            .iter()
            .filter(|path| keeps_local_config(root, old, header, path))
            .cloned()
            .collect();
        crash_point("staged-one");
        Ok(Staged {
            staging,
            header: header.clone(),
            pkgnew,
        })
    }

    /// Runs the transaction (steps 4–6). `progress` gets the bytes extracted.
    pub fn execute(self, progress: impl FnMut(u64) + Send) -> Result<()> {
        let root = &self.root;
        let journal = match self.stage_all(progress) {
            Ok(journal) => journal,
            Err(error) => {
                // Nothing is journaled: what was staged goes now rather than at the next run.
                if let Err(cleanup) = remove_staged(root) {
                    eprintln!("pkg: warning: {cleanup:#}");
                }
                return Err(error);
            }
        };
        let journal_file = journal_path(root);
        write_durably(&journal_file, &serde_json::to_vec(&journal)?)?;
        crash_point("journaled");
        commit(root, &journal)?;
        crash_point("committed");
        let failures = actions::run_triggers(root, &journal.actions);
        crash_point("triggered");
        finish(root)?;
        recover(root, self.lock)?;
        if !failures.is_empty() {
            return Err(triggers::TriggersFailed {
                generation: journal.generation.number,
                failures,
            }
            .into());
        }
        Ok(())
    }

    /// Steps 4 and 5 up to the journal: everything staged and synced; the journal to write.
    fn stage_all(&self, mut progress: impl FnMut(u64) + Send) -> Result<Journal> {
        let root = &self.root;
        // Staged names carry a token of this transaction, so that they cannot be a file of the
        // root's; all of them are listed before the first is made, for recovery: each new tree,
        // and each file staged beside its target.
        let token = staging_token()?;
        let needed = self.needed_directories();
        let trees = Trees::find(&token, needed.iter().copied(), |dir| {
            fs::symlink_metadata(root.join(dir)).is_ok()
        });
        let prefixes: Vec<String> = (0..self.files.len())
            .map(|position| package_prefix(&token, position))
            .collect();
        let beside = self
            .files
            .iter()
            .zip(&prefixes)
            .flat_map(|((_, header), prefix)| {
                header
                    .entries
                    .iter()
                    .enumerate()
                    .filter(|(_, entry)| !is_dir(entry) && trees.location(&entry.path).is_none())
                    .map(|(index, entry)| {
                        staged_path(Path::new(""), &trees, &entry.path, prefix, index)
                            .to_string_lossy()
                            .into_owned()
                    })
            });
        let listed: Vec<String> = trees
            .staged_and_targets()
            .map(|(staged, _)| staged.to_owned())
            .chain(beside)
            .collect();
        write_durably(&staging_list_path(root), &serde_json::to_vec(&listed)?)?;
        crash_point("checked");
        self.create_directories(&trees, &needed)?;
        crash_point("made-directories");
        let progress = std::sync::Mutex::new(&mut progress);
        let report = |bytes| {
            let mut progress = progress
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            (*progress)(bytes)
        };
        // Packages are independent until the journal: staged on a few threads.
        let workers = parallel::workers(self.files.len());
        let jobs: Vec<(&(PathBuf, Header), &Verified, &String)> = self
            .files
            .iter()
            .zip(&self.verified)
            .zip(&prefixes)
            .map(|((file, verified), prefix)| (file, verified, prefix))
            .collect();
        let installs = parallel::while_syncing(root, || {
            parallel::map(&jobs, workers, |(file, verified, prefix)| {
                self.stage_one((*prefix).clone(), &trees, file, verified, &report)
            })
        })?;
        crash_point("staged");
        let removes = self
            .removes
            .iter()
            .map(|header| Removal {
                keep: header
                    .meta
                    .config
                    .iter()
                    .filter(|path| changed_locally(root, header, path))
                    .cloned()
                    .collect(),
                header: header.clone(),
            })
            .collect();
        let journal = Journal {
            installs,
            removes,
            generation: self.next_generation()?,
            actions: self.actions.actions.clone(),
            trees,
        };
        // The staged files, the cache and the new directories reach the disk before the
        // journal that makes recovery roll them forward.
        sync_file_systems(&[&generation::cache_dir(root), root])?;
        Ok(journal)
    }

    /// Every directory the new packages have or need for their files, with all its ancestors
    /// (relative to the root).
    fn needed_directories(&self) -> BTreeSet<&str> {
        let mut needed = BTreeSet::new();
        for (_, header) in &self.files {
            for entry in &header.entries {
                let mut dir = if is_dir(entry) {
                    Some(entry.path.as_str())
                } else {
                    entry.path.rsplit_once('/').map(|(parent, _)| parent)
                };
                while let Some(path) = dir {
                    if !needed.insert(path) {
                        break;
                    }
                    dir = path.rsplit_once('/').map(|(parent, _)| parent);
                }
            }
        }
        needed
    }

    /// Creates the directories of `needed` that the root lacks, inside their staged trees:
    /// each with the mode and owner of the first new package that declares it, the others
    /// (parents no package declares) as `mkdir -p` would. Directories the root has are left as
    /// they are. A level of depth at a time, each level on a few threads.
    fn create_directories(&self, trees: &Trees, needed: &BTreeSet<&str>) -> Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let root = &self.root;
        let mut declared: HashMap<&str, &Entry> = HashMap::new();
        for (_, header) in &self.files {
            for entry in header.entries.iter().filter(|e| is_dir(e)) {
                declared.entry(entry.path.as_str()).or_insert(entry);
            }
        }
        let mut levels: BTreeMap<usize, Vec<(PathBuf, Option<&Entry>)>> = BTreeMap::new();
        for dir in needed {
            if let Some(location) = trees.location(dir) {
                levels
                    .entry(dir.matches('/').count())
                    .or_default()
                    .push((root.join(location), declared.get(dir).copied()));
            }
        }
        for level in levels.values() {
            parallel::map(level, parallel::workers(level.len()), |(target, entry)| {
                fs::create_dir(target)
                    .with_context(|| format!("cannot create {}", target.display()))?;
                if let Some(entry) = entry {
                    fs::set_permissions(target, fs::Permissions::from_mode(entry.mode))
                        .with_context(|| format!("cannot set the mode of {}", target.display()))?;
                    self.actions
                        .ids
                        .set(target, &entry.owner, &entry.group, entry.mode)?;
                }
                Ok(())
            })?;
        }
        Ok(())
    }

    /// The generation this transaction makes: the installed set afterwards.
    fn next_generation(&self) -> Result<Generation> {
        let removed: BTreeSet<&str> = self.removes.iter().map(|h| h.meta.name.as_str()).collect();
        let mut installed: Vec<Member> = Database::for_root(&self.root)
            .all()?
            .into_iter()
            .filter(|h| !removed.contains(h.meta.name.as_str()))
            .chain(self.files.iter().map(|(_, h)| h.clone()))
            .map(|h| Member {
                name: h.meta.name,
                version: h.meta.version,
            })
            .collect();
        installed.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Generation {
            number: generation::current(&self.root)? + 1,
            time: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |elapsed| elapsed.as_secs()),
            changes: self.changes.iter().map(ToString::to_string).collect(),
            installed,
        })
    }
}

/// A random token naming one transaction's staged files.
fn staging_token() -> Result<String> {
    let mut bytes = [0u8; 6];
    getrandom::getrandom(&mut bytes)
        .map_err(|error| anyhow::anyhow!("no random numbers: {error}"))?;
    Ok(hex::encode(bytes))
}

/// Keeps the package file for rollbacks: a hard link when the file is on the cache's file
/// system and owned like the cache and writable by its owner alone (so nobody else can change
/// it; a cached file is verified again whenever it is used), else a copy. Either is made beside
/// and renamed into place; the transaction syncs it before its journal.
fn cache(root: &Path, file: &Path, header: &Header) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let target = generation::cached_file(root, &header.meta.name, &header.meta.version);
    if target.exists() {
        return Ok(());
    }
    let dir = generation::cache_dir(root);
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let partial = dir.join(format!(".{}.partial", header.meta.name));
    let _ = fs::remove_file(&partial);
    let owner = fs::metadata(&dir)?.uid();
    let linkable = fs::metadata(file)
        .is_ok_and(|meta| meta.is_file() && meta.uid() == owner && meta.mode() & 0o022 == 0);
    if !(linkable && fs::hard_link(file, &partial).is_ok()) {
        fs::copy(file, &partial)
            .with_context(|| format!("cannot copy {} into the cache", file.display()))?;
    }
    fs::rename(&partial, &target).with_context(|| format!("cannot create {}", target.display()))?;
    Ok(())
}

/// Installs the package file `file` into `root` as one transaction; its signer must be trusted.
pub fn install_file(root: &Path, file: &Path, progress: impl FnMut(u64) + Send) -> Result<Header> {
    let lock = lock(root)?;
    let plan = plan(root, &lock, &[PackageFile::from(file.to_owned())], &[])?;
    let header = plan.files[0].1.clone();
    plan.execute(progress)?;
    Ok(header)
}

/// A test hook: `PKG_CRASH_AT=NAME` kills the process at the named point of a transaction.
pub(crate) fn crash_point(name: &str) {
    static AT: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    if AT
        .get_or_init(|| std::env::var("PKG_CRASH_AT").ok())
        .as_deref()
        == Some(name)
    {
        std::process::abort();
    }
}
