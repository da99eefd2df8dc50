//! The repository commands of the `pkg` binary: `pkg update`'s report, and installing or
//! upgrading from the configured repositories (resolve, then download into the cache). Both
//! run under the root's writer lock.
#![forbid(unsafe_code)]

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::Result;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::config::Config;
use crate::db::Database;
use crate::keys::KeyStore;
use crate::refused::Refused;
use crate::source_build;
use crate::{fetch_many, install, repo, repo_queries, repos_config, sync};

/// Installed package name → version.
pub fn installed_versions(root: &Path) -> Result<repo_queries::Installed> {
    Ok(Database::for_root(root)
        .all()?
        .into_iter()
        .map(|header| (header.meta.name, header.meta.version))
        .collect())
}

/// Says on standard error which configured repositories have no synced index.
pub fn warn_unsynced(missing: &[String]) {
    for name in missing {
        eprintln!("pkg: repository {name} has not been synced yet; run `pkg update`");
    }
}

/// `pkg update`: every configured repository's index, one report line each; fails when any
/// repository failed (the others are still updated).
pub fn update(root: &Path, store: &KeyStore, _lock: &install::Lock) -> Result<()> {
    let repos = repos_config::load(root)?;
    if repos.is_empty() {
        anyhow::bail!(
            "no repositories are configured in {}",
            repos_config::path(root).display()
        );
    }
    let config = Config::load(root)?;
    let mut failures = Vec::new();
    let mut refused = 0;
    for repo in &repos {
        let progress = ProgressBar::with_draw_target(
            None,
            if std::io::stderr().is_terminal() {
                ProgressDrawTarget::stderr()
            } else {
                ProgressDrawTarget::hidden()
            },
        );
        if let Ok(style) =
            ProgressStyle::with_template("{prefix} {spinner} {bytes} {bytes_per_sec}")
        {
            progress.set_style(style);
        }
        progress.set_prefix(repo.name.clone());
        let result = sync::fetcher(repo, &config).and_then(|fetcher| {
            sync::update(
                root,
                store,
                repo,
                &fetcher,
                |bytes| progress.set_position(bytes),
                |url, error| {
                    progress.suspend(|| eprintln!("pkg: {}: {url} failed: {error:#}", repo.name))
                },
            )
        });
        progress.finish_and_clear();
        match result {
            Ok(updated) => println!(
                "{}: {} packages, signed by key {}, from {}{}",
                repo.name,
                updated.packages,
                updated.signer,
                updated.url,
                if updated.changed { "" } else { " (unchanged)" }
            ),
            Err(error) => {
                println!("{}: FAILED", repo.name);
                refused += usize::from(error.downcast_ref::<Refused>().is_some());
                failures.push(format!("{error:#}"));
            }
        }
    }
    for name in sync::remove_stale(root, &repos)? {
        println!("{name}: no longer configured; its index was removed");
    }
    if failures.is_empty() {
        return Ok(());
    }
    let message = format!(
        "{} of {} repositories failed to update:\n{}",
        failures.len(),
        repos.len(),
        failures.join("\n")
    );
    if refused == failures.len() {
        return Err(Refused::new(repos_config::path(root), message).into());
    }
    anyhow::bail!(message)
}

/// Resolves `request` over the synced repositories and brings the chosen package files into
/// the download cache; `None` for a dry run, which says what would be downloaded instead.
pub fn from_repositories(
    root: &Path,
    store: &KeyStore,
    request: repo::Request,
    dry_run: bool,
    from_source: bool,
    _lock: &install::Lock,
) -> Result<Option<Vec<PathBuf>>> {
    let (synced, missing) = sync::load(root, store)?;
    warn_unsynced(&missing);
    if synced.is_empty() {
        anyhow::bail!("no configured repository has been synced; run `pkg update`");
    }
    let available = sync::available_preferring(&synced, from_source);
    let chosen: Vec<sync::Available> = repo::resolve(root, &sync::candidates(&available), request)?
        .into_iter()
        .map(|found| available[found])
        .collect();
    if dry_run {
        for one in &chosen {
            let cached = fetch_many::matches(
                &fetch_many::cache_dir(root)
                    .join(&one.repo.name)
                    .join(&one.entry.file),
                one.entry.size,
                &one.entry.sha256,
            );
            println!(
                "would install {} {} from {} ({} bytes{})",
                one.entry.meta.name,
                one.entry.meta.version,
                one.repo.name,
                one.entry.size,
                if cached { ", cached" } else { "" }
            );
        }
        if chosen.is_empty() {
            println!("nothing to do");
        }
        println!("dry run: nothing was downloaded or changed");
        return Ok(None);
    }
    let config = Config::load(root)?;
    let files = sync::download(root, &config, &chosen, std::io::stderr().is_terminal())?;
    // Source packages are built now, each into a package signed with the root's build key.
    chosen
        .iter()
        .zip(files)
        .map(|(one, file)| match one.entry.source {
            true => source_build::build_chosen(root, store, &file, &one.entry.meta, from_source),
            false => Ok(file),
        })
        .collect::<Result<Vec<_>>>()
        .map(Some)
}
