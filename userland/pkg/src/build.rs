//! `pkg build`: making a signed package file from a recipe, either by packing its prebuilt
//! `build.staging` directory or by building it from source with `build.steps`.
//!
//! A source build makes a fresh build directory, fetches every source (hash-checked, through
//! the source cache) and unpacks or copies it there, runs the steps (steps.rs) with `DESTDIR`
//! an empty staging root, and packs that root. The same recipe and sources give the same
//! package bytes: package files hold no times or owners, and the steps run with a fixed
//! environment, umask and `SOURCE_DATE_EPOCH`. The build directory is removed afterwards
//! (unless kept).
#![forbid(unsafe_code)]

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use ed25519_dalek::SigningKey;

use crate::package::{scan_staging, write_package};
use crate::recipe::Recipe;
use crate::{sources, steps, unpack};

/// The file name of a package: `NAME-VERSION.ARCH.pkg`, with an epoch's `:` written as `_`.
pub fn package_file_name(name: &str, version: &str, arch: &str) -> String {
    format!("{name}-{}.{arch}.pkg", version.replace(':', "_"))
}

/// How a source build runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// The source cache.
    pub cache: PathBuf,
    /// Keep the build directory afterwards.
    pub keep: bool,
    /// The build log; by default `OUT/NAME-VERSION.ARCH.log`, beside the package.
    pub log: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            cache: default_cache(),
            keep: false,
            log: None,
        }
    }
}

/// `$XDG_CACHE_HOME/basalt-pkg/sources`, else `$HOME/.cache/basalt-pkg/sources`, else
/// `/var/cache/basalt-pkg/sources`.
pub fn default_cache() -> PathBuf {
    let absolute = |name: &str| {
        std::env::var_os(name)
            .map(PathBuf::from)
            .filter(|path| path.is_absolute())
    };
    if let Some(cache) = absolute("XDG_CACHE_HOME") {
        cache.join("basalt-pkg/sources")
    } else if let Some(home) = absolute("HOME") {
        home.join(".cache/basalt-pkg/sources")
    } else {
        PathBuf::from("/var/cache/basalt-pkg/sources")
    }
}

/// What a build made.
#[derive(Debug)]
pub struct Built {
    pub package: PathBuf,
    /// The build log of a source build.
    pub log: Option<PathBuf>,
    /// The build directory, when it was kept.
    pub kept: Option<PathBuf>,
}

/// Builds the package described by `DIR/package.toml` into `out_dir` (from source with the
/// default options when it has steps); returns the file written.
pub fn build(
    recipe_dir: &Path,
    out_dir: &Path,
    key: &SigningKey,
    mut progress: impl FnMut(u64),
) -> Result<PathBuf> {
    Ok(build_with(
        recipe_dir,
        out_dir,
        key,
        &Options::default(),
        &mut |_| {},
        &mut progress,
    )?
    .package)
}

/// Builds the package described by `DIR/package.toml` into `out_dir`. `status` hears what a
/// source build does; `progress` gets the bytes packed.
pub fn build_with(
    recipe_dir: &Path,
    out_dir: &Path,
    key: &SigningKey,
    options: &Options,
    status: &mut dyn FnMut(&str),
    progress: &mut dyn FnMut(u64),
) -> Result<Built> {
    let recipe_file = recipe_dir.join("package.toml");
    let recipe = Recipe::load(&recipe_file)?;
    let name = package_file_name(&recipe.meta.name, &recipe.meta.version, &recipe.meta.arch);
    fs::create_dir_all(out_dir).with_context(|| format!("cannot create {}", out_dir.display()))?;
    let out = out_dir.join(&name);
    match (&recipe.build.staging, recipe.build.steps.is_empty()) {
        (Some(_), false) => bail!(
            "{}: set either `build.steps` (build from source) or `build.staging` (prebuilt files), not both",
            recipe_file.display()
        ),
        (None, true) => bail!(
            "{}: neither `build.steps` nor `build.staging` is set: nothing to build",
            recipe_file.display()
        ),
        (Some(staging), true) => {
            let staging = recipe_dir.join(staging);
            let entries = owned_entries(&recipe, &recipe_file, &staging)?;
            write_package(&out, &recipe.meta, entries, &staging, key, progress)?;
            Ok(Built {
                package: out,
                log: None,
                kept: None,
            })
        }
        (None, false) => {
            let log = options
                .log
                .clone()
                .unwrap_or_else(|| out.with_extension("log"));
            if let Some(parent) = log.parent().filter(|p| !p.as_os_str().is_empty()) {
                fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            fs::write(
                &log,
                format!("==> building {} {}\n", recipe.meta.name, recipe.meta.version),
            )
            .with_context(|| format!("cannot create the build log {}", log.display()))?;
            let work = tempfile::Builder::new()
                .prefix("basalt-pkg-build-")
                .tempdir()
                .context("cannot create a build directory")?;
            let result = from_source(&recipe, recipe_dir, work.path(), &log, options, status)
                .and_then(|staging| {
                    status("packing");
                    let entries = owned_entries(&recipe, &recipe_file, &staging)?;
                    if entries.is_empty() {
                        bail!(
                            "{}: the build steps installed nothing into $DESTDIR",
                            recipe_file.display()
                        );
                    }
                    write_package(&out, &recipe.meta, entries, &staging, key, progress)
                });
            let kept = options.keep.then(|| work.keep());
            let result = match (&kept, result) {
                (Some(dir), Err(error)) => {
                    Err(error.context(format!("the build directory is kept: {}", dir.display())))
                }
                (_, result) => result,
            };
            result?;
            Ok(Built {
                package: out,
                log: Some(log),
                kept,
            })
        }
    }
}

/// The staging root's entries with the recipe's declared owners and directories applied.
fn owned_entries(
    recipe: &Recipe,
    recipe_file: &Path,
    staging: &Path,
) -> Result<Vec<crate::manifest::Entry>> {
    let mut entries = scan_staging(staging)?;
    crate::owner_rules::apply(&recipe.owners, &mut entries)
        .with_context(|| format!("{}", recipe_file.display()))?;
    crate::owner_rules::apply_directories(&recipe.meta.install.directories, &mut entries);
    Ok(entries)
}

/// Fetches and places the sources in a build directory below `work`, runs the steps, and returns
/// the staging root they filled.
fn from_source(
    recipe: &Recipe,
    recipe_dir: &Path,
    work: &Path,
    log: &Path,
    options: &Options,
    status: &mut dyn FnMut(&str),
) -> Result<PathBuf> {
    let layout = steps::make_layout(work)?;
    for source in sources::fetch_all(recipe_dir, &recipe.sources, &options.cache, status)? {
        status(&format!("unpacking {}", source.name));
        unpack::place(&source.path, &source.name, &layout.srcdir)?;
    }
    steps::run(&recipe.build.steps, &layout, log, status)?;
    Ok(layout.destdir)
}

/// The bytes the staging directory's regular files hold (for a progress bar's length; 0 for a
/// source build, whose files do not exist yet).
pub fn staged_bytes(recipe_dir: &Path) -> Result<u64> {
    let recipe = Recipe::load(&recipe_dir.join("package.toml"))?;
    let Some(staging) = &recipe.build.staging else {
        return Ok(0);
    };
    Ok(scan_staging(&recipe_dir.join(staging))?
        .iter()
        .map(|entry| match entry.kind {
            crate::manifest::EntryKind::File { size, .. } => size,
            _ => 0,
        })
        .sum())
}
