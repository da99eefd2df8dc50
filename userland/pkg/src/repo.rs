//! Choosing package files from a local repository (a directory with a signed `index.bpi`) for
//! install and upgrade requests.
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};
use sha2::Digest;

use crate::db::Database;
use crate::index::{self, Index};
use crate::keys::KeyStore;
use crate::refused::Refused;
use crate::solver::Universe;

/// What to ask the solver for.
pub enum Request<'a> {
    /// Install these (dependency strings), keeping every installed package at its version where
    /// the repository has it (least change).
    Install(&'a [String]),
    /// The newest versions the solver allows of these installed packages (all when empty); the
    /// others stay as they are where they can.
    Upgrade(&'a [String]),
}

/// Resolves `request` in `repo` and returns the package files that the transaction needs (new
/// packages and newer versions), each checked against the index's SHA-256.
pub fn choose(
    root: &Path,
    store: &KeyStore,
    repo: &Path,
    request: Request,
) -> Result<Vec<PathBuf>> {
    let index_path = repo.join(index::FILE_NAME);
    let (loaded, _) = index::load_index(&index_path, Some(store))?;
    let universe = Universe::new(loaded.packages.iter().map(|entry| &entry.meta))
        .with_context(|| format!("{}: bad package metadata", index_path.display()))?;
    let installed: BTreeMap<String, String> = Database::for_root(root)
        .all()?
        .into_iter()
        .map(|h| (h.meta.name, h.meta.version))
        .collect();
    let in_index = |name: &str, version: &str| {
        loaded
            .packages
            .iter()
            .any(|e| e.meta.name == name && e.meta.version == version)
    };
    let mut requests: Vec<String> = Vec::new();
    let upgrading: Vec<String> = match request {
        // A package named in the request may change version to meet it; the others are pinned.
        Request::Install(wanted) => {
            requests.extend(wanted.iter().cloned());
            wanted
                .iter()
                .filter_map(|text| text.parse::<crate::version::Dependency>().ok())
                .map(|dep| dep.name)
                .filter(|name| installed.contains_key(name))
                .collect()
        }
        // Packages installed from files that the repository does not have stay as they are.
        Request::Upgrade([]) => installed
            .keys()
            .filter(|name| loaded.packages.iter().any(|e| e.meta.name == **name))
            .cloned()
            .collect(),
        Request::Upgrade(names) => {
            for name in names {
                if !installed.contains_key(name) {
                    anyhow::bail!("{name} is not installed");
                }
            }
            names.to_vec()
        }
    };
    for (name, version) in &installed {
        if upgrading.contains(name) {
            if !matches!(request, Request::Install(_)) {
                requests.push(name.clone());
            }
        } else if in_index(name, version) {
            requests.push(format!("{name} = {version}"));
        }
    }
    let mut files = Vec::new();
    for meta in universe.resolve(&requests)? {
        if let Some(version) = installed.get(&meta.name) {
            let newer =
                meta.parsed_version().ok() > version.parse::<crate::version::Version>().ok();
            if *version == meta.version || !newer {
                continue;
            }
        }
        files.push(checked_file(repo, &index_path, &loaded, meta)?);
    }
    Ok(files)
}

fn checked_file(
    repo: &Path,
    index_path: &Path,
    loaded: &Index,
    meta: &crate::recipe::Metadata,
) -> Result<PathBuf> {
    let entry = loaded
        .packages
        .iter()
        .find(|entry| entry.meta == *meta)
        .ok_or_else(|| {
            anyhow!(
                "{}: {} vanished from the index",
                index_path.display(),
                meta.name
            )
        })?;
    let file = repo.join(&entry.file);
    let mut hash = sha2::Sha256::new();
    std::io::copy(
        &mut std::fs::File::open(&file)
            .with_context(|| format!("cannot open {}", file.display()))?,
        &mut hash,
    )?;
    if hex::encode(hash.finalize()) != entry.sha256 {
        return Err(Refused::new(
            &file,
            format!("does not match its SHA-256 in {}", index_path.display()),
        )
        .into());
    }
    Ok(file)
}
