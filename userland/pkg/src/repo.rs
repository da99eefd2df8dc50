//! Choosing packages for install and upgrade requests: among candidates from any number of
//! repositories (see `sync`), or from one local repository directory (holding a signed
//! `index.bpi`) given with `--repo`.
#![forbid(unsafe_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};

use crate::db::Database;
use crate::index::{self, IndexEntry};
use crate::keys::KeyStore;
use crate::package::{Listed, PackageFile};
use crate::refused::Refused;
use crate::solver::Universe;
use crate::source_build;

/// What to ask the solver for.
pub enum Request<'a> {
    /// Install these (dependency strings), keeping every installed package at its version where
    /// the repository has it (least change).
    Install(&'a [String]),
    /// The newest versions the solver allows of these installed packages (all when empty); the
    /// others stay as they are where they can.
    Upgrade(&'a [String]),
}

/// A package the solver may choose: an index entry and the priority of its repository.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub entry: IndexEntry,
    /// Higher is preferred over newer versions of lower priority (see [`Universe::with_rank`]).
    pub priority: i32,
}

/// Resolves `request` among `candidates` (at most one per name and version) against what is
/// installed in `root`; returns the indices of the candidates that the transaction needs (new
/// packages and newer versions).
pub fn resolve(root: &Path, candidates: &[Candidate], request: Request) -> Result<Vec<usize>> {
    let universe = Universe::new(candidates.iter().map(|c| &c.entry.meta))
        .context("bad package metadata in the repository index")?
        .with_rank(candidates.iter().map(|c| c.priority).collect());
    let installed: BTreeMap<String, String> = Database::for_root(root)
        .all()?
        .into_iter()
        .map(|h| (h.meta.name, h.meta.version))
        .collect();
    let in_index = |name: &str, version: &str| {
        candidates
            .iter()
            .any(|c| c.entry.meta.name == name && c.entry.meta.version == version)
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
            .filter(|name| candidates.iter().any(|c| c.entry.meta.name == **name))
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
    // An installed package that a wanted one replaces is left free, so that the replacing one
    // can be chosen (the transaction then removes it).
    let wanted_names: BTreeSet<String> = requests
        .iter()
        .filter_map(|text| text.parse::<crate::version::Dependency>().ok())
        .map(|dep| dep.name)
        .chain(upgrading.iter().cloned())
        .collect();
    let replaced: BTreeSet<String> = candidates
        .iter()
        .filter(|c| wanted_names.contains(&c.entry.meta.name))
        .flat_map(|c| c.entry.meta.replaces.iter())
        .filter_map(|text| text.parse::<crate::version::Dependency>().ok())
        .map(|dep| dep.name)
        .collect();
    for (name, version) in &installed {
        if replaced.contains(name) && !wanted_names.contains(name) {
            continue;
        }
        if upgrading.contains(name) {
            if !matches!(request, Request::Install(_)) {
                requests.push(name.clone());
            }
        } else if in_index(name, version) {
            requests.push(format!("{name} = {version}"));
        }
    }
    let mut chosen = Vec::new();
    for meta in universe.resolve(&requests)? {
        if let Some(version) = installed.get(&meta.name) {
            let newer =
                meta.parsed_version().ok() > version.parse::<crate::version::Version>().ok();
            if *version == meta.version || !newer {
                continue;
            }
        }
        let found = candidates
            .iter()
            .position(|c| c.entry.meta.name == meta.name && c.entry.meta.version == meta.version)
            .ok_or_else(|| anyhow!("{} {} vanished from the index", meta.name, meta.version))?;
        chosen.push(found);
    }
    Ok(chosen)
}

/// Resolves `request` in the local repository directory `repo` and returns the package files
/// that the transaction needs (new packages and newer versions), each checked against the
/// index's SHA-256. A package is built from its source package when `from_source` asks for it
/// or the repository has no binary one.
pub fn choose(
    root: &Path,
    store: &KeyStore,
    repo: &Path,
    request: Request,
    from_source: bool,
) -> Result<Vec<PackageFile>> {
    let index_path = repo.join(index::FILE_NAME);
    let (loaded, _) = index::load_index(&index_path, Some(store))?;
    // A binary and a source package of one version are one candidate for the solver.
    let mut seen = std::collections::BTreeSet::new();
    let candidates: Vec<Candidate> = loaded
        .packages
        .iter()
        .filter(|entry| seen.insert((entry.meta.name.as_str(), entry.meta.version.as_str())))
        .map(|entry| Candidate {
            entry: entry.clone(),
            priority: 0,
        })
        .collect();
    let mut entries = Vec::new();
    for found in resolve(root, &candidates, request)? {
        let meta = &candidates[found].entry.meta;
        let entry = source_build::pick(&loaded.packages, meta, from_source).ok_or_else(|| {
            anyhow!(
                "{}: {} vanished from the index",
                index_path.display(),
                meta.name
            )
        })?;
        entries.push(entry);
    }
    entries
        .iter()
        .map(|entry| match entry.source {
            true => {
                let file = checked_file(repo, &index_path, entry)?;
                source_build::build_chosen(root, store, &file, &entry.meta, from_source)
                    .map(PackageFile::from)
            }
            // Its header checked by digest while staging: no pass over the whole file.
            false => listed_file(repo, &index_path, entry),
        })
        .collect()
}

/// A binary package of the repository, its size checked now and its header's SHA-256 (which
/// binds the rest) while staging.
fn listed_file(repo: &Path, index_path: &Path, entry: &IndexEntry) -> Result<PackageFile> {
    let path = repo.join(&entry.file);
    let size = std::fs::metadata(&path)
        .with_context(|| format!("cannot open {}", path.display()))?
        .len();
    if size != entry.size {
        return Err(Refused::new(
            &path,
            format!(
                "is {size} bytes, but {} says {}",
                index_path.display(),
                entry.size
            ),
        )
        .into());
    }
    Ok(PackageFile {
        path,
        listed: Some(Listed {
            size: entry.size,
            header_sha256: entry.header_sha256.clone(),
            index: index_path.to_owned(),
        }),
    })
}

/// A source package of the repository, checked against the index before it is built.
fn checked_file(repo: &Path, index_path: &Path, entry: &IndexEntry) -> Result<PathBuf> {
    let file = repo.join(&entry.file);
    if !crate::fetch_many::matches(&file, entry.size, &entry.sha256) {
        return Err(Refused::new(
            &file,
            format!("does not match its SHA-256 in {}", index_path.display()),
        )
        .into());
    }
    Ok(file)
}
