//! Changing a root as one all-or-nothing transaction over any number of packages: installs,
//! removals, and replacements (upgrades, downgrades, rollbacks: the old version removed and the
//! new one installed in the same transaction).
//!
//! 1. take the root's lock (`var/lib/basalt/pkg/lock`) so that a second writer is kept out;
//! 2. finish any transaction a crash interrupted (below);
//! 3. plan: verify every package file, and find every conflict before anything changes: a file
//!    in two new packages, a file that exists in the root and is not owned by a package this
//!    transaction removes, a parent directory in the root that is a symbolic link;
//! 4. stage every new package, verified while streaming, flat into `var/lib/basalt/pkg/staging/`
//!    (mode 0700, same file system as the root; packages on a few threads), give the staged files
//!    their owners, and keep its file in the cache (`var/cache/basalt/pkg`, a hard link where safe);
//! 5. create the new directories; sync the file systems once (`syncfs`: staged files, cache,
//!    directories); write the journal (every package, the config-file decisions and the
//!    generation to record), synced;
//! 6. create the transaction's users and declared directories (`actions`), delete the removed
//!    packages' files, rename every staged file and link into place, update the records, record
//!    the generation, sync once more; run the triggers; delete the journal and the staging
//!    directory.
//!
//! Step 3 also plans the install actions (ids of new users, owners of every file, directories,
//! triggers).
//!
//! A crash before the journal is written leaves only staging, which recovery removes: the root
//! is as before (apart from empty directories). A crash after it is rolled forward by recovery,
//! which repeats step 6 (every part of it can be repeated): the root is as after.
#![forbid(unsafe_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::actions::{self, Actions, Planned};
use crate::db::{state_dir, Database};
use crate::generation::{self, Generation, Member};
use crate::keys::KeyStore;
use crate::manifest::{Entry, EntryKind};
use crate::package::{staged_name, Header, PackageReader};
use crate::parallel;
use crate::version::{Dependency, Version};
use crate::{deps, triggers};

/// A new package, staged.
#[derive(Serialize, Deserialize)]
struct Staged {
    /// The prefix of this package's file names in the staging directory.
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
        fs::remove_file(&journal)?;
    }
    let staging = state_dir(root).join("staging");
    if staging.exists() {
        fs::remove_dir_all(&staging)
            .with_context(|| format!("cannot remove {}", staging.display()))?;
    }
    Ok(())
}

fn is_dir(entry: &Entry) -> bool {
    matches!(entry.kind, EntryKind::Dir)
}

/// Step 6; every part can be repeated after a crash.
fn commit(root: &Path, journal: &Journal) -> Result<()> {
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
    for staged in &journal.installs {
        let staging = state_dir(root).join("staging");
        for (index, entry) in staged.header.entries.iter().enumerate() {
            if is_dir(entry) {
                continue;
            }
            let mut target = root.join(&entry.path);
            if staged.pkgnew.contains(&entry.path) {
                target = root.join(format!("{}.pkgnew", entry.path));
            }
            let from = staging.join(staged_name(&staged.staging, index));
            if move_into_place(&from, &target)? {
                crash_point("moved-one");
            }
        }
    }
    let db = Database::for_root(root);
    for removal in &journal.removes {
        db.delete(&removal.header.meta.name)?;
    }
    for staged in &journal.installs {
        db.put(&staged.header)?;
    }
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

/// Renames the staged `from` to `target`; `false` when it was moved already (a commit repeated
/// by recovery). The parent is made only when missing, so that the usual case is one call.
fn move_into_place(from: &Path, target: &Path) -> Result<bool> {
    let moved = || format!("cannot move {} into place", target.display());
    match fs::rename(from, target) {
        Ok(()) => return Ok(true),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(error).with_context(moved),
    }
    if fs::symlink_metadata(from).is_err() {
        return Ok(false);
    }
    if let Some(parent) = target.parent() {
        fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    fs::rename(from, target).with_context(moved)?;
    Ok(true)
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

fn file_sha256(path: &Path) -> Option<String> {
    let mut hash = Sha256::new();
    let mut file = File::open(path).ok()?;
    std::io::copy(&mut file, &mut hash).ok()?;
    Some(hex::encode(hash.finalize()))
}

fn entry_sha256(entry: &Entry) -> Option<&str> {
    match &entry.kind {
        EntryKind::File { sha256, .. } => Some(sha256),
        _ => None,
    }
}

/// Whether the config file `path` in the root differs from what `old` installed.
fn changed_locally(root: &Path, old: &Header, path: &str) -> bool {
    let Some(entry) = old.entries.iter().find(|e| e.path == path) else {
        return false;
    };
    match (entry_sha256(entry), file_sha256(&root.join(path))) {
        (Some(recorded), Some(found)) => recorded != found,
        _ => false,
    }
}

/// Whether the config file `path` in the root is to be kept with the new one beside it: it
/// exists, differs from the new one, and is not what the old version installed unchanged.
fn keeps_local_config(root: &Path, old: Option<&Header>, new: &Header, path: &str) -> bool {
    let Some(current) = file_sha256(&root.join(path)) else {
        return false;
    };
    let shipped = |header: &Header| {
        header
            .entries
            .iter()
            .find(|e| e.path == path)
            .and_then(entry_sha256)
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

/// A checked transaction, not yet begun.
pub struct Plan<'lock> {
    root: PathBuf,
    lock: &'lock Lock,
    files: Vec<(PathBuf, Header)>,
    removes: Vec<Header>,
    pub changes: Vec<Change>,
    actions: Planned,
}

/// Plans installing the package files `files` (replacing installed versions of the same names)
/// and removing the installed packages `remove`, and checks it (step 3). Nothing changes.
pub fn plan<'lock>(
    root: &Path,
    lock: &'lock Lock,
    files: &[PathBuf],
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
    for file in files {
        let header = PackageReader::open(file, Some(&store))?.header;
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
        store: &KeyStore,
        staging_root: &Path,
        file: &Path,
        header: &Header,
        progress: &(impl Fn(u64) + Sync),
    ) -> Result<Staged> {
        let root = &self.root;
        let staging = format!("{}-{}.", header.meta.name, std::process::id());
        let reader = PackageReader::open(file, Some(store))?;
        if reader.header != *header {
            bail!("{}: changed while being installed", file.display());
        }
        reader.stage(staging_root, &staging, progress)?;
        self.actions.ids.set_staged(&header.entries, |index| {
            staging_root.join(crate::package::staged_name(&staging, index))
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
    pub fn execute(self, mut progress: impl FnMut(u64) + Send) -> Result<()> {
        let root = &self.root;
        let store = KeyStore::for_root(root);
        let staging_root = state_dir(root).join("staging");
        fs::create_dir_all(&staging_root)?;
        // Staged files get their modes before they are moved: only pkg may reach them.
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&staging_root, fs::Permissions::from_mode(0o700))?;
        }
        crash_point("checked");
        let progress = std::sync::Mutex::new(&mut progress);
        let report = |bytes| {
            let mut progress = progress
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            (*progress)(bytes)
        };
        // Packages are independent until the journal: staged on a few threads.
        let workers = parallel::workers(self.files.len());
        let installs = parallel::map(&self.files, workers, |(file, header)| {
            self.stage_one(&store, &staging_root, file, header, &report)
        })?;
        crash_point("staged");
        for staged in &installs {
            for entry in staged.header.entries.iter().filter(|e| is_dir(e)) {
                let target = root.join(&entry.path);
                if !target.is_dir() {
                    fs::create_dir_all(&target)
                        .with_context(|| format!("cannot create {}", target.display()))?;
                    use std::os::unix::fs::PermissionsExt;
                    fs::set_permissions(&target, fs::Permissions::from_mode(entry.mode))?;
                    self.actions
                        .ids
                        .set(&target, &entry.owner, &entry.group, entry.mode)?;
                }
            }
        }
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
        };
        // The staged files, the cache and the new directories reach the disk before the
        // journal that makes recovery roll them forward.
        sync_file_systems(&[&staging_root, &generation::cache_dir(root), root])?;
        let journal_file = journal_path(root);
        let partial = journal_file.with_extension("partial");
        let mut out = File::create(&partial)?;
        out.write_all(&serde_json::to_vec(&journal)?)?;
        out.sync_all()?;
        fs::rename(&partial, &journal_file)?;
        File::open(state_dir(root))?.sync_all()?;
        crash_point("journaled");
        commit(root, &journal)?;
        crash_point("committed");
        let failures = actions::run_triggers(root, &journal.actions);
        crash_point("triggered");
        fs::remove_file(&journal_file)?;
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
    let plan = plan(root, &lock, &[file.to_owned()], &[])?;
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
