//! Source packages: a recipe directory packed as a signed package, `NAME-VERSION.src.pkg`.
//!
//! The format is a package file's (docs/pkg-format.md) with the same metadata as the binary
//! package the recipe builds; its manifest lists `package.toml` and the recipe's local sources
//! (the `[[source]]` entries that are paths in its directory), each checked against its SHA-256
//! before it is packed. Sources with URLs are not packed: a build fetches and checks them.
#![forbid(unsafe_code)]

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use ed25519_dalek::SigningKey;

use crate::manifest::{Entry, EntryKind};
use crate::package::write_package;
use crate::recipe::Recipe;
use crate::refused::Refused;
use crate::sources::{is_local, sha256_of};

/// The recipe file every source package holds.
pub const RECIPE: &str = "package.toml";

/// The file name of a source package: `NAME-VERSION.src.pkg`, an epoch's `:` written as `_`.
pub fn file_name(name: &str, version: &str) -> String {
    format!("{name}-{}.src.pkg", version.replace(':', "_"))
}

/// Whether a package file name is a source package's.
pub fn is_source_file(name: &str) -> bool {
    name.ends_with(".src.pkg")
}

/// Packs the recipe in `recipe_dir` into `out_dir/NAME-VERSION.src.pkg` signed with `key`.
pub fn write_source_package(
    recipe_dir: &Path,
    out_dir: &Path,
    key: &SigningKey,
) -> Result<PathBuf> {
    let recipe_file = recipe_dir.join(RECIPE);
    let recipe = Recipe::load(&recipe_file)?;
    if recipe.build.steps.is_empty() {
        bail!(
            "{}: a source package needs `build.steps` (a recipe of prebuilt files has no source to pack)",
            recipe_file.display()
        );
    }
    let mut files = BTreeSet::new();
    files.insert(RECIPE.to_owned());
    for source in recipe.sources.iter().filter(|source| is_local(source)) {
        let path = recipe_dir.join(&source.url);
        let meta = fs::symlink_metadata(&path).with_context(|| {
            format!("{}: cannot read {}", recipe_file.display(), path.display())
        })?;
        if !meta.is_file() {
            bail!(
                "{}: source {} is not a regular file",
                recipe_file.display(),
                path.display()
            );
        }
        let actual = sha256_of(&path)?;
        if !actual.eq_ignore_ascii_case(&source.sha256) {
            return Err(Refused::new(
                &path,
                format!(
                    "SHA-256 is {actual}, expected {} (in {})",
                    source.sha256,
                    recipe_file.display()
                ),
            )
            .into());
        }
        files.insert(source.url.clone());
    }
    let mut entries = Vec::new();
    let mut directories = BTreeSet::new();
    for file in &files {
        let mut parent = file.as_str();
        while let Some((dir, _)) = parent.rsplit_once('/') {
            directories.insert(dir.to_owned());
            parent = dir;
        }
        let path = recipe_dir.join(file);
        let executable = fs::metadata(&path)?.permissions().mode() & 0o100 != 0;
        entries.push(Entry {
            path: file.clone(),
            kind: EntryKind::File {
                size: fs::metadata(&path)?.len(),
                blake3: crate::manifest::digest_of(
                    &mut fs::File::open(&path)
                        .with_context(|| format!("cannot read {}", path.display()))?,
                )?,
            },
            // Modes are normalized so that the package does not depend on the packer's umask.
            mode: if executable { 0o755 } else { 0o644 },
            owner: "root".into(),
            group: "root".into(),
        });
    }
    entries.extend(directories.into_iter().map(|path| Entry {
        path,
        kind: EntryKind::Dir,
        mode: 0o755,
        owner: "root".into(),
        group: "root".into(),
    }));
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    fs::create_dir_all(out_dir).with_context(|| format!("cannot create {}", out_dir.display()))?;
    let out = out_dir.join(file_name(&recipe.meta.name, &recipe.meta.version));
    write_package(&out, &recipe.meta, entries, recipe_dir, key, |_| {})?;
    Ok(out)
}
