//! Installing from source: turning a chosen source package into a binary package for a root.
//!
//! The source package is verified (signature, trusted signer, every file's hash) and unpacked
//! into a temporary directory; its recipe must describe exactly the signed metadata. It is then
//! built as `pkg build` would (build.rs), and the result is signed with the root's local build
//! key, `ROOT/etc/basalt/pkg/local-build.secret`, made on first use and trusted by the root (a
//! package built here is as trustworthy as the root that built it). Sources are cached in
//! `ROOT/var/cache/basalt/pkg-build/sources`, built packages and their logs kept in
//! `ROOT/var/cache/basalt/pkg-build/packages`.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use ed25519_dalek::SigningKey;

use crate::build::{self, Options};
use crate::index::IndexEntry;
use crate::keys::{self, KeyStore};
use crate::package::PackageReader;
use crate::recipe::{Metadata, Recipe};
use crate::refused::Refused;
use crate::srcpkg;

/// The name of the local build key.
pub const LOCAL_KEY: &str = "local-build";

/// Where source builds for `root` keep their sources, packages and logs.
pub fn build_dir(root: &Path) -> PathBuf {
    root.join("var/cache/basalt/pkg-build")
}

/// The index entry to install `meta` from: the binary one unless `from_source` is asked for or
/// there is none, else the source one.
pub fn pick<'a>(
    entries: &'a [IndexEntry],
    meta: &Metadata,
    from_source: bool,
) -> Option<&'a IndexEntry> {
    entries
        .iter()
        .filter(|entry| entry.meta == *meta)
        .min_by_key(|entry| entry.source != from_source)
}

/// Builds the chosen source package `file` for `root`, saying why on standard error, and
/// returns the binary package to install. This is the entry point the repository code calls.
pub fn build_chosen(
    root: &Path,
    store: &KeyStore,
    file: &Path,
    meta: &Metadata,
    from_source: bool,
) -> Result<PathBuf> {
    let why = if from_source {
        "as asked (--from-source)"
    } else {
        "as the repository has no binary package of it"
    };
    build_saying(root, store, file, meta, why)
}

/// Builds the source package `file` named on the command line, for `root`.
pub fn build_chosen_file(root: &Path, store: &KeyStore, file: &Path) -> Result<PathBuf> {
    let meta = PackageReader::open(file, Some(store))?.header.meta;
    build_saying(root, store, file, &meta, "from the source package named")
}

fn build_saying(
    root: &Path,
    store: &KeyStore,
    file: &Path,
    meta: &Metadata,
    why: &str,
) -> Result<PathBuf> {
    eprintln!("building {} {} from source, {why}", meta.name, meta.version);
    let spinner = indicatif::ProgressBar::new_spinner();
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let built = build_for_root(root, store, file, &mut |message| {
        spinner.set_message(message.to_owned())
    });
    spinner.finish_and_clear();
    let built = built?;
    eprintln!("built {}", built.display());
    Ok(built)
}

/// Verifies the source package `file` against `store`, builds it, and returns the binary
/// package, signed with the root's local build key. `status` hears what the build does.
pub fn build_for_root(
    root: &Path,
    store: &KeyStore,
    file: &Path,
    status: &mut dyn FnMut(&str),
) -> Result<PathBuf> {
    let reader = PackageReader::open(file, Some(store))?;
    let meta = reader.header.meta.clone();
    let signer = keys::key_id(&reader.signer);
    let work = tempfile::Builder::new()
        .prefix("basalt-pkg-recipe-")
        .tempdir()
        .context("cannot create a directory for the recipe")?;
    let recipe_dir = work.path().join("recipe");
    reader.extract(&recipe_dir, |_| {})?;
    let recipe = Recipe::load(&recipe_dir.join(srcpkg::RECIPE)).map_err(|error| {
        Refused::new(
            file,
            format!("signed by key {signer} but its recipe is not usable: {error}"),
        )
    })?;
    if recipe.meta != meta {
        return Err(Refused::new(
            file,
            format!("signed by key {signer} but its recipe does not match its metadata"),
        )
        .into());
    }
    let key = local_build_key(root, store)?;
    let out = build_dir(root).join("packages");
    let options = Options {
        cache: build_dir(root).join("sources"),
        keep: false,
        log: None,
    };
    let built = build::build_with(&recipe_dir, &out, &key, &options, status, &mut |_| {})
        .with_context(|| format!("building {} from {}", meta.name, file.display()))?;
    Ok(built.package)
}

/// The root's local build key: read, or made and trusted on first use.
pub fn local_build_key(root: &Path, store: &KeyStore) -> Result<SigningKey> {
    let dir = root.join("etc/basalt/pkg");
    let secret = dir.join(format!("{LOCAL_KEY}.secret"));
    let public = dir.join(format!("{LOCAL_KEY}.pub"));
    if !secret.exists() {
        // A public half without its secret (a crash between the two writes) is made anew.
        if public.exists() {
            std::fs::remove_file(&public)
                .with_context(|| format!("cannot remove {}", public.display()))?;
        }
        keys::generate(LOCAL_KEY, &dir)?;
    }
    let key = keys::read_secret(&secret)?;
    if store.check(&key.key.verifying_key()).is_err() {
        store.trust(&public)?;
    }
    Ok(key.key)
}
