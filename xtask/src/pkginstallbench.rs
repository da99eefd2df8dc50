//! The install figure of `cargo xtask bench --only pkg`: `pkg install` of 1,000 generated
//! packages (about 500 MB of files) into an empty root as one transaction from a local
//! repository, beside `tar -xf` of an uncompressed tar holding exactly the same files (the
//! practical limit), and `tar -xf` followed by `sync` (the durability `pkg` gives). The
//! packages are made once by basalt-pkg's `bench_install` example into `out/cache/`.
#![forbid(unsafe_code)]

use crate::cargo;
use crate::fresh_fs::{self, output_of, FreshFs};
use crate::paths::Paths;
use anyhow::{bail, Context, Result};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// How many packages are generated.
const PACKAGES: usize = 1000;

/// What the generator reports about the set.
struct Set {
    packages: u64,
    files: u64,
    bytes: u64,
    package_bytes: u64,
}

/// Measures and returns the Markdown section (also printed).
pub fn run(paths: &Paths, quick: bool) -> Result<String> {
    let cache = paths.out().join("cache/pkg-install-bench");
    let set = generate(paths.root(), &cache)?;
    let pkg = build_pkg(paths.root())?;
    let work = paths.out().join("pkginstallbench");
    if work.exists() {
        fresh_fs::release_under(&work)?;
        fs::remove_dir_all(&work).with_context(|| format!("removing {}", work.display()))?;
    }
    fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
    let names: Vec<String> = fs::read_to_string(cache.join("names.txt"))
        .context("reading the generated package names")?
        .lines()
        .map(str::to_owned)
        .collect();
    let place = Place::choose(&work);
    let rounds = if quick { 1 } else { 5 };
    let (mut pkg_times, mut tar_times, mut tar_sync_times) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        // Which goes first alternates, so that neither always meets the file system just after
        // the other (or just after the start).
        let run_pkg = || -> Result<f64> {
            let (run, _fresh) = place.make(&work, &format!("pkg-{round}"))?;
            let repo = run.input_dir(&cache.join("repo"))?;
            time_pkg(&pkg, &cache, &repo, &run.dir.join("root"), &names)
        };
        let run_tar = || -> Result<(f64, f64)> {
            let (run, _fresh) = place.make(&work, &format!("tar-{round}"))?;
            let archive = run.input_file(&cache.join("files.tar"))?;
            time_tar(&archive, &run.dir.join("root"))
        };
        let (pkg_time, (tar, sync)) = if round % 2 == 0 {
            let pkg_time = run_pkg()?;
            (pkg_time, run_tar()?)
        } else {
            let tar_sync = run_tar()?;
            (run_pkg()?, tar_sync)
        };
        pkg_times.push(pkg_time);
        tar_times.push(tar);
        tar_sync_times.push(tar + sync);
        println!(
            "pkginstallbench: round {round}: pkg {:.2} s, tar {tar:.2} s, tar + sync {:.2} s",
            pkg_times[round],
            tar + sync
        );
    }
    // Removed only now: ext4 is slow to allocate inodes near many just deleted ones, which
    // would slow each later round.
    let _ = fs::remove_dir_all(&work);
    // Each round's pkg and tar ran back to back in the same state of the file system: their
    // ratio is steadier than the ratio of the two medians when the host's load drifts.
    let paired: Vec<f64> = pkg_times
        .iter()
        .zip(&tar_times)
        .map(|(pkg, tar)| tar / pkg)
        .collect();
    let (pkg, tar, tar_sync) = (median(pkg_times), median(tar_times), median(tar_sync_times));
    let mut section = section(&set, rounds, pkg, tar, tar_sync, place.describe());
    section.push_str(&paired_line(&paired));
    println!();
    print!("{section}");
    Ok(section)
}

/// The size of each fresh file system: room for the inputs, the files and pkg's database.
const FRESH_FS_BYTES: u64 = 4 << 30;

/// Where the timed runs write.
enum Place {
    /// Each run into a fresh file system of its own, with its input copied in first.
    Fresh,
    /// Each run into a new directory of the host's file system; why not fresh.
    Host(String),
}

/// One run's directory, and whether its inputs must be copied in (onto its file system, as the
/// host's runs have theirs on the host's).
struct RunDir {
    dir: PathBuf,
    copy_inputs: bool,
}

impl Place {
    /// Fresh file systems when one can be made here, else the host's.
    fn choose(work: &Path) -> Place {
        match FreshFs::make(&work.join("probe.img"), &work.join("probe"), FRESH_FS_BYTES) {
            Ok(_) => Place::Fresh,
            Err(error) => {
                let why = format!("{error:#}");
                println!(
                    "pkginstallbench: no fresh file system ({why}); the runs write to the host's"
                );
                Place::Host(why)
            }
        }
    }

    /// The directory for the run `name`, and the file system made for it (kept until the run
    /// is over).
    fn make(&self, work: &Path, name: &str) -> Result<(RunDir, Option<FreshFs>)> {
        match self {
            Place::Fresh => {
                let image = work.join(format!("{name}.img"));
                let fresh = FreshFs::make(&image, &work.join(name), FRESH_FS_BYTES)?;
                let run = RunDir {
                    dir: fresh.path().to_owned(),
                    copy_inputs: true,
                };
                Ok((run, Some(fresh)))
            }
            Place::Host(_) => {
                let dir = work.join(name);
                fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
                Ok((
                    RunDir {
                        dir,
                        copy_inputs: false,
                    },
                    None,
                ))
            }
        }
    }

    /// Where the runs wrote, for the report.
    fn describe(&self) -> String {
        match self {
            Place::Fresh => "each into a fresh ext4 file system of its own (4 GiB, default \
                             `mkfs.ext4` options with its journal, on a loop device with direct \
                             I/O to a file of the host's disk), its input copied there first"
                .to_owned(),
            Place::Host(why) => format!(
                "each into a new directory of the host's file system (no fresh file system: \
                 {why}); the directories are removed after the last run"
            ),
        }
    }
}

impl RunDir {
    /// The directory `source` (of regular files), as this run reads it.
    fn input_dir(&self, source: &Path) -> Result<PathBuf> {
        if !self.copy_inputs {
            return Ok(source.to_owned());
        }
        let copy = self.dir.join("input");
        fs::create_dir_all(&copy).with_context(|| format!("creating {}", copy.display()))?;
        for entry in
            fs::read_dir(source).with_context(|| format!("reading {}", source.display()))?
        {
            let entry = entry?;
            fs::copy(entry.path(), copy.join(entry.file_name()))
                .with_context(|| format!("copying {}", entry.path().display()))?;
        }
        Ok(copy)
    }

    /// The file `source`, as this run reads it.
    fn input_file(&self, source: &Path) -> Result<PathBuf> {
        if !self.copy_inputs {
            return Ok(source.to_owned());
        }
        let name = source.file_name().context("an input without a name")?;
        let copy = self.dir.join(name);
        fs::copy(source, &copy).with_context(|| format!("copying {}", source.display()))?;
        Ok(copy)
    }
}

/// Runs the generator (which reuses the cache when it holds the same set).
fn generate(root: &Path, cache: &Path) -> Result<Set> {
    println!(
        "pkginstallbench: packages in {} (generated once, ~1 minute)",
        cache.display()
    );
    let output = cargo::command(root)
        .args([
            "run",
            "--quiet",
            "--release",
            "-p",
            "basalt-pkg",
            "--example",
            "bench_install",
            "--",
            "generate",
        ])
        .arg(cache)
        .arg(PACKAGES.to_string())
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .context("cannot start cargo")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!("bench_install failed ({}): {stdout}", output.status);
    }
    let line = stdout
        .lines()
        .find(|line| line.starts_with("pkg-install-bench:"))
        .with_context(|| format!("bench_install printed no result: {stdout}"))?;
    println!("pkginstallbench: {line}");
    set_of(line)
}

fn set_of(line: &str) -> Result<Set> {
    let get = |key: &str| -> Result<u64> {
        line.split_whitespace()
            .find_map(|word| word.strip_prefix(key)?.strip_prefix('='))
            .with_context(|| format!("no `{key}` in `{line}`"))?
            .parse()
            .with_context(|| format!("`{key}` in `{line}`"))
    };
    Ok(Set {
        packages: get("packages")?,
        files: get("files")?,
        bytes: get("bytes")?,
        package_bytes: get("package_bytes")?,
    })
}

/// The release `pkg` binary.
fn build_pkg(root: &Path) -> Result<PathBuf> {
    let mut command = cargo::command(root);
    command.args([
        "build",
        "--release",
        "-p",
        "basalt-pkg",
        "--bin",
        "pkg",
        "--message-format=json-render-diagnostics",
    ]);
    cargo::run_for_executable(command, "basalt-pkg", "pkg")
}

/// Writes back what earlier runs left dirty, so that each timed run starts alike.
fn settle() -> Result<()> {
    let status = Command::new("sync").status().context("cannot run sync")?;
    if !status.success() {
        bail!("sync failed ({status})");
    }
    Ok(())
}

fn run_checked(command: &mut Command, what: &str) -> Result<()> {
    output_of(command, what).map(drop)
}

/// Seconds of `pkg --root ROOT --yes install --repo REPO NAME…` into a new root that trusts
/// only the bench key (trusting it is not timed).
fn time_pkg(pkg: &Path, cache: &Path, repo: &Path, root: &Path, names: &[String]) -> Result<f64> {
    fs::create_dir_all(root).with_context(|| format!("creating {}", root.display()))?;
    run_checked(
        Command::new(pkg)
            .arg("--root")
            .arg(root)
            .args(["key", "trust"])
            .arg(cache.join("bench.pub")),
        "pkg key trust",
    )?;
    settle()?;
    let started = Instant::now();
    run_checked(
        Command::new(pkg)
            .arg("--root")
            .arg(root)
            .args(["--yes", "install", "--repo"])
            .arg(repo)
            .args(names),
        "pkg install",
    )?;
    Ok(started.elapsed().as_secs_f64())
}

/// Seconds of `tar -xf ARCHIVE` into a new directory, and of the `sync` after it.
fn time_tar(archive: &Path, dest: &Path) -> Result<(f64, f64)> {
    fs::create_dir_all(dest).with_context(|| format!("creating {}", dest.display()))?;
    settle()?;
    let started = Instant::now();
    run_checked(
        Command::new("tar")
            .arg("-xf")
            .arg(archive)
            .arg("-C")
            .arg(dest),
        "tar -xf",
    )?;
    let tar = started.elapsed().as_secs_f64();
    settle()?;
    let sync = started.elapsed().as_secs_f64() - tar;
    Ok((tar, sync))
}

/// The per-round speed ratios pkg ÷ tar and their median.
fn paired_line(ratios: &[f64]) -> String {
    let each: Vec<String> = ratios.iter().map(|ratio| format!("{ratio:.2}")).collect();
    format!(
        "\nRound by round (pkg and tar back to back, pkg first in even rounds), pkg ÷ tar: {}; median {:.2}.\n",
        each.join(", "),
        median(ratios.to_vec())
    )
}

fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times.get(times.len() / 2).copied().unwrap_or(f64::NAN)
}

fn section(set: &Set, rounds: usize, pkg: f64, tar: f64, tar_sync: f64, place: String) -> String {
    let megabytes = set.bytes as f64 / 1e6;
    let row = |what: &str, seconds: f64| {
        format!(
            "| {what} | {seconds:.2} | {:.0} | {:.0} | {:.2} | {:.2} |\n",
            megabytes / seconds,
            set.packages as f64 / seconds,
            tar / seconds,
            tar_sync / seconds,
        )
    };
    let mut text = format!(
        "## Package manager: install {} packages into an empty root\n\n\
         {} packages, {} files, {megabytes:.0} MB of file data ({:.0} MB of package files). \
         Speeds: MB of file data per second; \"÷ tar\" is pkg's speed divided by tar's.\n\n\
         | | seconds | MB/s | packages/s | speed ÷ tar | speed ÷ tar + sync |\n\
         |---|---:|---:|---:|---:|---:|\n",
        set.packages,
        set.packages,
        set.files,
        set.package_bytes as f64 / 1e6
    );
    text.push_str(&row("`pkg install --repo`, one transaction", pkg));
    text.push_str(&row("`tar -xf` of the same files, uncompressed", tar));
    text.push_str(&row("`tar -xf`, then `sync`", tar_sync));
    text.push_str(&format!(
        "\nMedians of {rounds} alternating runs on the host (shared with other work: expect noise), \
         {place}, each after a `sync`. `pkg` does everything a user's install does: loads and \
         verifies the signed index, resolves, checks every package file's size and signed-header \
         digest against the index, verifies every header signature and every file's BLAKE3 \
         digest while streaming, stages, journals, renames into place, keeps the package files for rollback, records \
         the generation, and makes it all durable before it returns; `tar` verifies nothing and \
         leaves its files in the page cache (the `sync` row adds writing them to disk).\n"
    ));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generator_lines_become_tables() {
        let line = "pkg-install-bench: packages=1000 files=30000 dirs=9 symlinks=3 bytes=500000000 package_bytes=300000000 tar_bytes=1";
        let set = set_of(line).unwrap();
        assert_eq!((set.packages, set.files), (1000, 30000));
        assert!(set_of("pkg-install-bench: packages=1").is_err());
        let table = section(&set, 3, 4.0, 2.0, 3.0, "each somewhere".into());
        assert!(
            table.contains(
                "| `pkg install --repo`, one transaction | 4.00 | 125 | 250 | 0.50 | 0.75 |"
            ),
            "{table}"
        );
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(
            paired_line(&[0.5, 1.25, 0.75]),
            "\nRound by round (pkg and tar back to back, pkg first in even rounds), pkg ÷ tar: 0.50, 1.25, 0.75; median 0.75.\n"
        );
    }
}
