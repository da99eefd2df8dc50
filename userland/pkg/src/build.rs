//! `pkg build`: packing a recipe's prebuilt staging directory into a signed package file.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use ed25519_dalek::SigningKey;

use crate::package::{scan_staging, write_package};
use crate::recipe::Recipe;

/// The file name of a package: `NAME-VERSION.ARCH.pkg`, with an epoch's `:` written as `_`.
pub fn package_file_name(name: &str, version: &str, arch: &str) -> String {
    format!("{name}-{}.{arch}.pkg", version.replace(':', "_"))
}

/// Builds the package described by `DIR/package.toml` into `out_dir`; returns the file written.
pub fn build(
    recipe_dir: &Path,
    out_dir: &Path,
    key: &SigningKey,
    progress: impl FnMut(u64),
) -> Result<PathBuf> {
    let recipe = Recipe::load(&recipe_dir.join("package.toml"))?;
    let Some(staging) = &recipe.build.staging else {
        bail!(
            "{}: field `build.staging` is not set; building from source is not supported yet",
            recipe_dir.join("package.toml").display()
        );
    };
    let staging = recipe_dir.join(staging);
    let mut entries = scan_staging(&staging)?;
    crate::owner_rules::apply(&recipe.owners, &mut entries)
        .with_context(|| format!("{}", recipe_dir.join("package.toml").display()))?;
    crate::owner_rules::apply_directories(&recipe.meta.install.directories, &mut entries);
    let name = package_file_name(&recipe.meta.name, &recipe.meta.version, &recipe.meta.arch);
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("cannot create {}", out_dir.display()))?;
    let out = out_dir.join(name);
    write_package(&out, &recipe.meta, entries, &staging, key, progress)?;
    Ok(out)
}

/// The bytes the staging directory's regular files hold (for a progress bar's length).
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
