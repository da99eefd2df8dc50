//! The configured repositories' indexes: `pkg update` fetches each one's signed `index.bpi`
//! into `<root>/var/lib/basalt/pkg/repos/NAME.bpi`, and everything that installs, searches or
//! lists reads them from there.
//!
//! A downloaded index goes to a temporary file and is verified (signature, trusted and not
//! revoked key, well-formed entries) before it is renamed over the old one, so a bad or
//! tampered download never replaces a good index; a mirror that serves one is passed over for
//! the next.
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::config::Config;
use crate::db::state_dir;
use crate::download::{join, Expect, Fetcher};
use crate::fetch_many::{self, Job, Outcome};
use crate::index::{self, Index, IndexEntry};
use crate::keys::{key_id, KeyStore};
use crate::refused::Refused;
use crate::repo::Candidate;
use crate::repos_config::{self, Repo};

/// The largest index accepted from a mirror.
pub const MAX_INDEX_BYTES: u64 = 1 << 30;

/// Where the synced indexes are kept.
pub fn dir(root: &Path) -> PathBuf {
    state_dir(root).join("repos")
}

/// The synced index of repository `name`.
pub fn index_path(root: &Path, name: &str) -> PathBuf {
    dir(root).join(format!("{name}.bpi"))
}

/// The fetcher for `repo`'s mirrors under `config`'s policy.
pub fn fetcher(repo: &Repo, config: &Config) -> Result<Fetcher> {
    Fetcher::new(repo.ca.as_deref(), config.require_vpn.clone())
        .with_context(|| format!("repository {}", repo.name))
}

/// A successful update of one repository.
#[derive(Debug)]
pub struct Updated {
    /// The URL the index came from.
    pub url: String,
    pub packages: usize,
    /// The signing key's id.
    pub signer: String,
    /// Whether it differs from the index synced before.
    pub changed: bool,
}

/// Fetches `repo`'s index from the first mirror that serves one signed by a key `store`
/// trusts, and puts it in place. `progress` gets the bytes received so far of the current
/// attempt; `failed` hears of each mirror passed over. Needs the root's writer lock. When every mirror
/// fails, the old index stays and the error lists every mirror.
pub fn update(
    root: &Path,
    store: &KeyStore,
    repo: &Repo,
    fetcher: &Fetcher,
    mut progress: impl FnMut(u64),
    mut failed: impl FnMut(&str, &anyhow::Error),
) -> Result<Updated> {
    let target = index_path(root, &repo.name);
    // The index synced before, when it is still good: a new one must not be older.
    let synced_time = index::open_index(&target, Some(store))
        .ok()
        .map(|(view, _)| view.time);
    fetch_many::remove_partials(&dir(root));
    let partial = dir(root).join(format!(".{}.bpi.new.{}", repo.name, std::process::id()));
    let mut reasons = Vec::new();
    let mut all_refused = true;
    for mirror in &repo.urls {
        let url = join(mirror, index::FILE_NAME);
        let attempt = fetcher
            .fetch(
                &url,
                &partial,
                Expect {
                    limit: Some(MAX_INDEX_BYTES),
                    ..Expect::default()
                },
                &mut progress,
            )
            .and_then(|_| {
                index::load_index(&partial, Some(store)).map_err(|error| {
                    match error.downcast_ref::<Refused>() {
                        // Name the URL, not the temporary file.
                        Some(refused) => Refused::new(&url, refused.reason.clone()).into(),
                        None => error,
                    }
                })
            })
            .and_then(|(loaded, signer)| match synced_time {
                Some(synced) if loaded.time < synced => Err(Refused::new(
                    &url,
                    format!(
                        "the index was made at {} (Unix time), before the one synced already \
                         ({synced}): an old index served again is refused",
                        loaded.time
                    ),
                )
                .into()),
                _ => Ok((loaded, signer)),
            });
        match attempt {
            Ok((loaded, signer)) => {
                let changed = fs::read(&target).ok() != fs::read(&partial).ok();
                fs::rename(&partial, &target)
                    .with_context(|| format!("cannot replace {}", target.display()))?;
                return Ok(Updated {
                    url,
                    packages: loaded.packages.len(),
                    signer: key_id(&signer),
                    changed,
                });
            }
            Err(error) => {
                let _ = fs::remove_file(&partial);
                failed(&url, &error);
                all_refused &= error.downcast_ref::<Refused>().is_some();
                reasons.push(format!("  {url}: {error:#}"));
            }
        }
    }
    let kept = if target.exists() {
        "the index synced before is kept"
    } else {
        "it has no index yet"
    };
    let message = format!(
        "repository {}: no mirror served a good index ({kept}):\n{}",
        repo.name,
        reasons.join("\n")
    );
    if all_refused {
        return Err(Refused::new(target, message).into());
    }
    bail!(message)
}

/// Removes the synced indexes of repositories that are no longer configured; returns their names.
pub fn remove_stale(root: &Path, repos: &[Repo]) -> Result<Vec<String>> {
    let mut removed = Vec::new();
    let Ok(entries) = fs::read_dir(dir(root)) else {
        return Ok(removed);
    };
    for entry in entries {
        let path = entry?.path();
        let Some(name) = path
            .file_name()
            .and_then(|name| name.to_str())
            .and_then(|name| name.strip_suffix(".bpi"))
        else {
            continue;
        };
        if name.starts_with('.') || repos.iter().any(|repo| repo.name == name) {
            continue;
        }
        fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
        removed.push(name.to_owned());
    }
    removed.sort();
    Ok(removed)
}

/// A configured repository with its synced index.
pub struct Synced {
    pub repo: Repo,
    pub index: Index,
}

/// Every configured repository of `root` that has been synced, each index verified again (a
/// key revoked since the update makes it refused). Repositories never synced are named in the
/// second list. An error when no repository is configured.
pub fn load(root: &Path, store: &KeyStore) -> Result<(Vec<Synced>, Vec<String>)> {
    let repos = repos_config::load(root)?;
    if repos.is_empty() {
        bail!(
            "no repositories are configured in {} (or give --repo DIR)",
            repos_config::path(root).display()
        );
    }
    let mut synced = Vec::new();
    let mut missing = Vec::new();
    for repo in repos {
        let path = index_path(root, &repo.name);
        if !path.exists() {
            missing.push(repo.name);
            continue;
        }
        let (index, _) = index::load_index(&path, Some(store))?;
        synced.push(Synced { repo, index });
    }
    Ok((synced, missing))
}

/// A package in a synced repository.
#[derive(Clone, Copy)]
pub struct Available<'a> {
    pub entry: &'a IndexEntry,
    pub repo: &'a Repo,
}

/// Every package of the synced repositories, one per name and version: where two repositories
/// have the same one, the higher priority (then the one listed first) wins. Sorted by name,
/// then priority (highest first), then version (newest first): each name's first entry is
/// the one a plain install would choose.
pub fn available(synced: &[Synced]) -> Vec<Available<'_>> {
    available_preferring(synced, false)
}

/// As [`available`], with source packages among the candidates: one counts where no binary
/// package of that version exists (it is built on install), or before a binary one of the same
/// priority when `prefer_source` (`--from-source`).
pub fn available_preferring(synced: &[Synced], prefer_source: bool) -> Vec<Available<'_>> {
    let mut by_version: BTreeMap<(&str, &str), Available> = BTreeMap::new();
    for one in synced {
        for entry in &one.index.packages {
            let key = (entry.meta.name.as_str(), entry.meta.version.as_str());
            let rank = |priority: i32, source: bool| (priority, source == prefer_source);
            let better = by_version.get(&key).is_none_or(|have| {
                rank(one.repo.priority, entry.source) > rank(have.repo.priority, have.entry.source)
            });
            if better {
                by_version.insert(
                    key,
                    Available {
                        entry,
                        repo: &one.repo,
                    },
                );
            }
        }
    }
    let mut list: Vec<Available> = by_version.into_values().collect();
    list.sort_by(|a, b| {
        a.entry
            .meta
            .name
            .cmp(&b.entry.meta.name)
            .then_with(|| b.repo.priority.cmp(&a.repo.priority))
            .then_with(|| {
                b.entry
                    .meta
                    .parsed_version()
                    .ok()
                    .cmp(&a.entry.meta.parsed_version().ok())
            })
    });
    list
}

/// The solver's candidates for `available` (in the same order).
pub fn candidates(available: &[Available]) -> Vec<Candidate> {
    available
        .iter()
        .map(|one| Candidate {
            entry: one.entry.clone(),
            priority: one.repo.priority,
        })
        .collect()
}

/// Brings the chosen packages into the download cache (in parallel, reusing cached files that
/// match) and returns their cached files in order. Prints one line per package. Needs the
/// root's writer lock (partial files left by an interrupted run are removed).
pub fn download(
    root: &Path,
    config: &Config,
    chosen: &[Available],
    show_progress: bool,
) -> Result<Vec<PathBuf>> {
    let mut fetchers: BTreeMap<&str, Fetcher> = BTreeMap::new();
    for one in chosen {
        if !fetchers.contains_key(one.repo.name.as_str()) {
            fetchers.insert(&one.repo.name, fetcher(one.repo, config)?);
        }
    }
    let cache = fetch_many::cache_dir(root);
    for one in chosen {
        fetch_many::remove_partials(&cache.join(&one.repo.name));
    }
    let jobs: Vec<Job> = chosen
        .iter()
        .map(|one| Job {
            label: format!("{} {}", one.entry.meta.name, one.entry.meta.version),
            fetcher: &fetchers[one.repo.name.as_str()],
            mirrors: &one.repo.urls,
            file: one.entry.file.clone(),
            dest: cache.join(&one.repo.name).join(&one.entry.file),
            size: one.entry.size,
            sha256: one.entry.sha256.clone(),
        })
        .collect();
    let outcomes = fetch_many::fetch_all(&jobs, show_progress)?;
    let mut downloaded = 0u64;
    for ((job, outcome), one) in jobs.iter().zip(&outcomes).zip(chosen) {
        match outcome {
            Outcome::Cached => println!("{} ({}): in the download cache", job.label, one.repo.name),
            Outcome::Downloaded(url) => {
                downloaded += job.size;
                println!(
                    "{} ({}): downloaded {} bytes from {url}",
                    job.label, one.repo.name, job.size
                );
            }
        }
    }
    let fetched = outcomes
        .iter()
        .filter(|outcome| matches!(outcome, Outcome::Downloaded(_)))
        .count();
    println!(
        "{fetched} of {} packages downloaded ({}), {} from the cache",
        outcomes.len(),
        indicatif::HumanBytes(downloaded),
        outcomes.len() - fetched
    );
    Ok(jobs.into_iter().map(|job| job.dest).collect())
}
