//! Generations: every transaction is numbered, and `ROOT/var/lib/basalt/pkg/generations/N.json`
//! records what it changed and the installed set after it. Generation 0 is the empty root.
//! Package files are kept in `ROOT/var/cache/basalt/pkg/` so that `pkg rollback` can reinstall
//! an older set.
#![forbid(unsafe_code)]

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::db::state_dir;

/// One package of a generation's installed set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Generation {
    pub number: u64,
    /// Seconds since the Unix epoch.
    pub time: u64,
    /// What the transaction did, one line per package ("install a 1.0-1", …).
    pub changes: Vec<String>,
    pub installed: Vec<Member>,
}

fn dir(root: &Path) -> PathBuf {
    state_dir(root).join("generations")
}

/// The cache directory holding the package files of every generation.
pub fn cache_dir(root: &Path) -> PathBuf {
    root.join("var/cache/basalt/pkg")
}

/// Where the package file of `name` `version` is kept.
pub fn cached_file(root: &Path, name: &str, version: &str) -> PathBuf {
    cache_dir(root).join(format!("{name}_{version}.pkg"))
}

/// Every recorded generation, oldest first.
pub fn all(root: &Path) -> Result<Vec<Generation>> {
    let dir = dir(root);
    let mut list = Vec::new();
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(list),
        Err(error) => return Err(error).with_context(|| format!("cannot read {}", dir.display())),
    };
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "json") {
            let text =
                fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
            list.push(
                serde_json::from_slice::<Generation>(&text)
                    .with_context(|| format!("{}: not a generation record", path.display()))?,
            );
        }
    }
    list.sort_by_key(|generation| generation.number);
    Ok(list)
}

/// The number of the newest generation (0 when none was recorded).
pub fn current(root: &Path) -> Result<u64> {
    Ok(all(root)?.last().map_or(0, |generation| generation.number))
}

/// Generation `number`; 0 is the empty root.
pub fn get(root: &Path, number: u64) -> Result<Generation> {
    if number == 0 {
        return Ok(Generation {
            number: 0,
            time: 0,
            changes: Vec::new(),
            installed: Vec::new(),
        });
    }
    all(root)?
        .into_iter()
        .find(|generation| generation.number == number)
        .with_context(|| format!("there is no generation {number} (see `pkg history`)"))
}

/// Records `generation` unless it is recorded already (recovery may repeat this).
pub fn record(root: &Path, generation: &Generation) -> Result<()> {
    let dir = dir(root);
    let path = dir.join(format!("{}.json", generation.number));
    if path.exists() {
        return Ok(());
    }
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let partial = dir.join(format!(".{}.json.partial", generation.number));
    let mut file =
        File::create(&partial).with_context(|| format!("cannot create {}", partial.display()))?;
    file.write_all(&serde_json::to_vec_pretty(generation)?)?;
    file.sync_all()?;
    fs::rename(&partial, &path).with_context(|| format!("cannot create {}", path.display()))?;
    Ok(())
}
