//! Installing a package file into a root as one transaction.
//!
//! 1. take the root's lock (`var/lib/basalt/pkg/lock`) so that a second writer waits out;
//! 2. finish any transaction a crash interrupted (below);
//! 3. verify the package and check that none of its files exist in the root already and that no
//!    parent directory in the root is a symbolic link (one could lead out of the root);
//! 4. extract it, verified, into `var/lib/basalt/pkg/staging/` (same file system as the root);
//! 5. create its directories; write the journal (the header and the staging directory), synced;
//! 6. rename every staged file and link into place; write the package's record; delete the
//!    journal and the staging directory.
//!
//! A crash before the journal is written leaves only a staging directory, which recovery removes:
//! the root is as before (apart from empty directories). A crash after it is rolled forward by
//! recovery, which repeats step 6 for what is still staged: the root is as after.
#![forbid(unsafe_code)]

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::db::{state_dir, Database};
use crate::keys::KeyStore;
use crate::manifest::EntryKind;
use crate::package::{Header, PackageReader};

#[derive(Serialize, Deserialize)]
struct Journal {
    staging: String,
    header: Header,
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
        fs::remove_file(&journal)?;
    }
    let staging = state_dir(root).join("staging");
    if staging.exists() {
        fs::remove_dir_all(&staging)
            .with_context(|| format!("cannot remove {}", staging.display()))?;
    }
    Ok(())
}

/// Step 6: rename what is still staged into place and record the package.
fn commit(root: &Path, journal: &Journal) -> Result<()> {
    let staging = state_dir(root).join("staging").join(&journal.staging);
    for entry in &journal.header.entries {
        if matches!(entry.kind, EntryKind::Dir) {
            continue;
        }
        let staged = staging.join(&entry.path);
        if fs::symlink_metadata(&staged).is_ok() {
            let target = root.join(&entry.path);
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            fs::rename(&staged, &target)
                .with_context(|| format!("cannot move {} into place", target.display()))?;
            crash_point("moved-one");
        }
    }
    Database::for_root(root).put(&journal.header)
}

/// Checks that `path` can be written in `root` without touching anything: no component on the
/// way is a symbolic link, and the entry itself does not exist (directories may).
fn check_target(root: &Path, entry: &crate::manifest::Entry, db: &Database) -> Result<()> {
    let mut at = root.to_owned();
    let components: Vec<&str> = entry.path.split('/').collect();
    for (index, component) in components.iter().enumerate() {
        at.push(component);
        let last = index + 1 == components.len();
        match fs::symlink_metadata(&at) {
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(error) => {
                return Err(error).with_context(|| format!("cannot inspect {}", at.display()))
            }
            Ok(meta)
                if meta.file_type().is_symlink()
                    && (!last || matches!(entry.kind, EntryKind::Dir)) =>
            {
                bail!("{}: a parent directory is a symbolic link in the root; refusing to write through it", at.display())
            }
            Ok(meta) if last => {
                if matches!(entry.kind, EntryKind::Dir) && meta.is_dir() {
                    return Ok(());
                }
                let owner = db
                    .owner(&entry.path)?
                    .map(|name| format!("package {name}"))
                    .unwrap_or("no package".into());
                bail!("{} exists already (owned by {owner})", at.display());
            }
            Ok(meta) if !meta.is_dir() => bail!("{}: not a directory", at.display()),
            Ok(_) => {}
        }
    }
    Ok(())
}

/// Installs the package file `file` into `root`; its signer must be trusted by the root.
pub fn install_file(root: &Path, file: &Path, progress: impl FnMut(u64)) -> Result<Header> {
    let lock = lock(root)?;
    recover(root, &lock)?;
    let store = KeyStore::for_root(root);
    let reader = PackageReader::open(file, Some(&store))?;
    let header = reader.header.clone();
    let db = Database::for_root(root);
    if let Some(installed) = db.get(&header.meta.name)? {
        bail!(
            "{} {} is installed already (upgrades are not supported yet)",
            installed.meta.name,
            installed.meta.version
        );
    }
    for entry in &header.entries {
        check_target(root, entry, &db)?;
    }
    let staging_root = state_dir(root).join("staging");
    fs::create_dir_all(&staging_root)?;
    crash_point("checked");
    let staging_name = format!("{}-{}", header.meta.name, std::process::id());
    reader.extract(&staging_root.join(&staging_name), progress)?;
    crash_point("staged");
    for entry in &header.entries {
        if matches!(entry.kind, EntryKind::Dir) {
            let target = root.join(&entry.path);
            if !target.is_dir() {
                fs::create_dir_all(&target)
                    .with_context(|| format!("cannot create {}", target.display()))?;
                use std::os::unix::fs::PermissionsExt;
                fs::set_permissions(&target, fs::Permissions::from_mode(entry.mode))?;
            }
        }
    }
    let journal = Journal {
        staging: staging_name,
        header,
    };
    let journal_file = journal_path(root);
    let partial = journal_file.with_extension("partial");
    let mut out = File::create(&partial)?;
    out.write_all(&serde_json::to_vec(&journal)?)?;
    out.sync_all()?;
    fs::rename(&partial, &journal_file)?;
    crash_point("journaled");
    commit(root, &journal)?;
    crash_point("committed");
    fs::remove_file(&journal_file)?;
    recover(root, &lock)?;
    Ok(journal.header)
}

/// A test hook: `PKG_CRASH_AT=NAME` kills the process at the named point of a transaction.
fn crash_point(name: &str) {
    if std::env::var("PKG_CRASH_AT").is_ok_and(|at| at == name) {
        std::process::abort();
    }
}
