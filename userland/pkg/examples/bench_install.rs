//! The packages of the install figure of `cargo xtask bench --only pkg`: generates COUNT
//! packages (`basalt_pkg::bench_packages`), signed, in a local repository with a signed index,
//! and an uncompressed tar of exactly the same files for `tar -xf` beside `pkg install`.
//! Run with `--release`.
//!
//! `bench_install generate DIR [COUNT]` writes `DIR/repo/` (package files and `index.bpi`),
//! `DIR/bench.pub` (the key to trust), `DIR/files.tar`, `DIR/names.txt` (the package names, one
//! a line), and last `DIR/ready` (what was made);
//! when `DIR/ready` describes the same set already, nothing is done. Prints one line:
//! `pkg-install-bench: packages=… files=… dirs=… symlinks=… bytes=… package_bytes=… tar_bytes=…`.

use std::fs;
use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};
use basalt_pkg::bench::metadata;
use basalt_pkg::bench_packages::{self, fill, Item};
use basalt_pkg::build::package_file_name;
use basalt_pkg::index::index_dir;
use basalt_pkg::keys;
use basalt_pkg::manifest::{Entry, EntryKind};
use basalt_pkg::package::write_package;

/// Changes whenever the generated set would change, so that an old cache is not reused.
const SHAPE: &str = "bench_packages v1";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some("generate"), Some(dir)) = (args.first().map(String::as_str), args.get(1)) else {
        bail!("usage: bench_install generate DIR [COUNT]");
    };
    let count: usize = match args.get(2) {
        Some(text) => text.parse().context("COUNT must be a number")?,
        None => 1000,
    };
    let dir = Path::new(dir);
    let ready = dir.join("ready");
    // Files made by another package or index format are made again.
    let wanted = format!(
        "{SHAPE} count={count} package-format={} index-format={}\n",
        basalt_pkg::package::FORMAT,
        basalt_pkg::index::FORMAT
    );
    if let Ok(text) = fs::read_to_string(&ready) {
        if text.starts_with(&wanted) {
            print!("{}", &text[wanted.len()..]);
            return Ok(());
        }
    }
    if dir.exists() {
        fs::remove_dir_all(dir).with_context(|| format!("cannot remove {}", dir.display()))?;
    }
    let summary = generate(dir, count)?;
    fs::write(&ready, format!("{wanted}{summary}"))?;
    print!("{summary}");
    Ok(())
}

/// Writes everything but `ready`; returns the result line.
fn generate(dir: &Path, count: usize) -> Result<String> {
    let repo = dir.join("repo");
    let tree = dir.join("tree");
    fs::create_dir_all(&repo)?;
    fs::create_dir_all(&tree)?;
    let (secret, public, _) = keys::generate("bench", dir)?;
    fs::rename(&public, dir.join("bench.pub"))?;
    let key = keys::read_secret(&secret)?.key;
    let names: Vec<String> = (0..count).map(bench_packages::name).collect();
    fs::write(dir.join("names.txt"), names.join("\n") + "\n")?;
    let (mut files, mut dirs, mut links, mut bytes) = (0u64, 0u64, 0u64, 0u64);
    let mut buffer = Vec::new();
    for index in 0..count {
        let name = bench_packages::name(index);
        let mut entries = Vec::new();
        for item in bench_packages::layout(index) {
            let target = tree.join(item.path());
            let (kind, mode) = match &item {
                Item::Dir(_) => {
                    fs::create_dir_all(&target)?;
                    dirs += 1;
                    (EntryKind::Dir, 0o755)
                }
                Item::Symlink { target: link, .. } => {
                    std::os::unix::fs::symlink(link, &target)?;
                    links += 1;
                    (
                        EntryKind::Symlink {
                            target: link.clone(),
                        },
                        0o777,
                    )
                }
                Item::File {
                    size,
                    content,
                    mode,
                    seed,
                    ..
                } => {
                    buffer.clear();
                    fill(&mut buffer, *content, *size, *seed);
                    fs::write(&target, &buffer)?;
                    files += 1;
                    bytes += size;
                    (
                        EntryKind::File {
                            size: *size,
                            blake3: basalt_pkg::manifest::digest_of(&mut &buffer[..])?,
                        },
                        *mode,
                    )
                }
            };
            use std::os::unix::fs::PermissionsExt;
            if !matches!(kind, EntryKind::Symlink { .. }) {
                fs::set_permissions(&target, fs::Permissions::from_mode(mode))?;
            }
            entries.push(Entry {
                path: item.path().to_owned(),
                kind,
                mode,
                owner: "root".into(),
                group: "root".into(),
            });
        }
        let mut meta = metadata(name.clone(), "1.0-1".into(), "generated".into(), "x86_64");
        meta.depends = bench_packages::depends(index);
        let out = repo.join(package_file_name(&name, &meta.version, &meta.arch));
        write_package(&out, &meta, entries, &tree, &key, |_| {})?;
    }
    index_dir(&repo, &key, None, |_| {})?;
    let tar = dir.join("files.tar");
    let status = Command::new("tar")
        .args(["--sort=name", "--owner=0", "--group=0", "-cf"])
        .arg(&tar)
        .arg("-C")
        .arg(&tree)
        .arg(".")
        .status()
        .context("cannot run tar")?;
    if !status.success() {
        bail!("tar -cf {} failed ({status})", tar.display());
    }
    fs::remove_dir_all(&tree)?;
    let package_bytes: u64 = fs::read_dir(&repo)?
        .filter_map(|entry| entry.ok()?.metadata().ok())
        .map(|meta| meta.len())
        .sum();
    Ok(format!(
        "pkg-install-bench: packages={count} files={files} dirs={dirs} symlinks={links} \
         bytes={bytes} package_bytes={package_bytes} tar_bytes={}\n",
        fs::metadata(&tar)?.len()
    ))
}
