//! Downloading many package files at once into the download cache
//! (`<root>/var/cache/basalt/pkg/downloads/REPO/FILE`).
//!
//! A few threads take files from a shared queue; each file comes from the first of its
//! repository's mirrors that serves the size and SHA-256 the index gives. A cached file that
//! already matches is used without downloading. On a terminal each download has a progress bar.
#![forbid(unsafe_code)]

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{bail, Context, Result};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use sha2::{Digest, Sha256};

use crate::download::{Expect, Fetcher};

/// How many downloads run at once.
pub const PARALLEL: usize = 4;

/// The download cache of `root` (not the generation cache that rollback uses, its parent).
pub fn cache_dir(root: &Path) -> PathBuf {
    crate::generation::cache_dir(root).join("downloads")
}

/// The directory the jobs download into, for messages.
fn cache_dir_of(jobs: &[Job]) -> PathBuf {
    jobs.first()
        .and_then(|job| job.dest.parent())
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// One file to have in the cache.
pub struct Job<'a> {
    /// What to call it in messages (`NAME VERSION`).
    pub label: String,
    pub fetcher: &'a Fetcher,
    pub mirrors: &'a [String],
    /// The file's name in the repository.
    pub file: String,
    pub dest: PathBuf,
    pub size: u64,
    pub sha256: String,
}

/// What happened to one job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Already in the cache, matching.
    Cached,
    /// Downloaded from this URL.
    Downloaded(String),
}

/// Whether `path` holds `size` bytes with this SHA-256.
pub fn matches(path: &Path, size: u64, sha256: &str) -> bool {
    let Ok(mut file) = File::open(path) else {
        return false;
    };
    if file.metadata().map(|meta| meta.len()).ok() != Some(size) {
        return false;
    }
    let mut hash = Sha256::new();
    std::io::copy(&mut file, &mut hash).is_ok()
        && hex::encode(hash.finalize()).eq_ignore_ascii_case(sha256)
}

/// Brings every job's file into the cache, [`PARALLEL`] at a time, with progress bars when
/// `show` (a terminal). Messages about failing mirrors go to standard error as they happen.
/// Returns each job's outcome in order, or an error naming every file that could not be had
/// (the others stay cached).
pub fn fetch_all(jobs: &[Job], show: bool) -> Result<Vec<Outcome>> {
    let multi = MultiProgress::with_draw_target(if show {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    });
    let say = |line: String| {
        if multi.is_hidden() {
            eprintln!("{line}");
        } else {
            multi.suspend(|| eprintln!("{line}"));
        }
    };
    let next = Mutex::new(0usize);
    let results: Mutex<Vec<Option<Result<Outcome>>>> =
        Mutex::new((0..jobs.len()).map(|_| None).collect());
    let style = ProgressStyle::with_template(
        "{prefix:30!} {bar:30} {bytes:>10}/{total_bytes:10} {bytes_per_sec:>12}",
    )
    .ok();
    let work = || loop {
        let index = {
            let Ok(mut next) = next.lock() else { return };
            let index = *next;
            *next += 1;
            index
        };
        let Some(job) = jobs.get(index) else { return };
        let result = if matches(&job.dest, job.size, &job.sha256) {
            Ok(Outcome::Cached)
        } else {
            let bar = multi.add(ProgressBar::new(job.size));
            if let Some(style) = &style {
                bar.set_style(style.clone());
            }
            bar.set_prefix(job.label.clone());
            let result = job.fetcher.fetch_mirrors(
                job.mirrors,
                &job.file,
                &job.dest,
                Expect {
                    sha256: Some(&job.sha256),
                    size: Some(job.size),
                    limit: None,
                },
                |done| bar.set_position(done),
                |url, error| say(format!("pkg: {}: {url} failed: {error:#}", job.label)),
            );
            bar.finish_and_clear();
            multi.remove(&bar);
            result.map(Outcome::Downloaded)
        };
        if let Ok(mut results) = results.lock() {
            results[index] = Some(result);
        }
    };
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL.min(jobs.len()) {
            scope.spawn(work);
        }
    });
    let results = results
        .into_inner()
        .map_err(|_| anyhow::anyhow!("a download thread failed"))?;
    let mut outcomes = Vec::with_capacity(jobs.len());
    let mut failures = Vec::new();
    let mut refused = 0;
    for (job, result) in jobs.iter().zip(results) {
        match result {
            Some(Ok(outcome)) => outcomes.push(outcome),
            Some(Err(error)) => {
                failures.push(format!("{}: {error:#}", job.label));
                if error.downcast_ref::<crate::refused::Refused>().is_some() {
                    refused += 1;
                }
            }
            None => failures.push(format!("{}: not downloaded", job.label)),
        }
    }
    if failures.is_empty() {
        return Ok(outcomes);
    }
    let message = format!(
        "{} of {} downloads failed:\n{}",
        failures.len(),
        jobs.len(),
        failures.join("\n")
    );
    // Only refusals (every mirror served bad bytes) keep the "refused" exit code.
    if refused == failures.len() {
        return Err(crate::refused::Refused::new(cache_dir_of(jobs), message).into());
    }
    bail!(message)
}

/// Removes the partial files (`.NAME.part.…`, `.NAME.new.…`) that an interrupted pkg left in
/// `dir`. Only for directories that the root's writer lock (held by the caller) guards.
pub fn remove_partials(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') && (name.contains(".part.") || name.contains(".new.")) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Empties the download cache of `root`; returns how many files and bytes it held.
pub fn clean(root: &Path) -> Result<(u64, u64)> {
    fn walk(dir: &Path, files: &mut u64, bytes: &mut u64) -> Result<()> {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(error) => {
                return Err(error).with_context(|| format!("cannot read {}", dir.display()))
            }
        };
        for entry in entries {
            let entry = entry?;
            let meta = entry.metadata()?;
            if meta.is_dir() {
                walk(&entry.path(), files, bytes)?;
            } else {
                *files += 1;
                *bytes += meta.len();
            }
        }
        Ok(())
    }
    let dir = cache_dir(root);
    let (mut files, mut bytes) = (0, 0);
    walk(&dir, &mut files, &mut bytes)?;
    match std::fs::remove_dir_all(&dir) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            return Err(error).with_context(|| format!("cannot empty {}", dir.display()))
        }
        _ => {}
    }
    Ok((files, bytes))
}
