//! The package-manager part of `cargo xtask bench`: how long `pkg` takes to load a signed
//! index and resolve a large install request (the `bench_solve` example of basalt-pkg), on a
//! generated Debian-sized index and, when this machine has Debian's apt lists, on Debian's own
//! index side by side with `apt-get install -s` for the same request into an empty root.
#![forbid(unsafe_code)]

use crate::cargo;
use crate::paths::Paths;
use anyhow::{bail, Context, Result};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// Where apt keeps its lists; the `Packages` files of deb.debian.org are used.
const APT_LISTS: &str = "/var/lib/apt/lists";

/// One measured resolution.
struct Row {
    what: String,
    versions: String,
    requests: String,
    chosen: String,
    load_ms: String,
    solve_ms: String,
    total_ms: String,
}

/// Measures and returns the Markdown section (also printed).
pub fn run(paths: &Paths, quick: bool) -> Result<String> {
    let work = paths.out().join("pkgbench");
    fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
    let names = if quick { "6000" } else { "60000" };
    let requests = if quick { "50" } else { "500" };
    let mut rows = Vec::new();
    let line = bench_solve(paths.root(), &["generated", names, requests])?;
    rows.push(row_of("pkg, generated index", &line)?);
    let mut notes = String::new();
    match debian_packages(&work)? {
        Some(text) => {
            let request = work.join("request.txt");
            let line = bench_solve(
                paths.root(),
                &[
                    "debian",
                    &text.to_string_lossy(),
                    &request.to_string_lossy(),
                ],
            )?;
            rows.push(row_of(
                "pkg, Debian's index (this machine's apt lists)",
                &line,
            )?);
            rows.push(apt_row(&work, &request)?);
            notes.push_str(
                "The Debian request is every package of priority required, important or standard. \
                 Debian's relations are converted (`basalt_pkg::bench::from_debian`: first \
                 available alternative, Breaks as conflicts, Replaces left out; what Basalt \
                 cannot say is left out and counted by `bench_solve`). apt \
                 resolves the same names into an empty root (`-o Dir::State::status=` an empty \
                 file, `--no-install-recommends`); its time includes reading its binary cache.\n",
            );
        }
        None => {
            notes.push_str("No Debian apt lists on this machine: the apt comparison was skipped.\n")
        }
    }
    let section = section(&rows, &notes);
    println!();
    print!("{section}");
    Ok(section)
}

/// How many times each row is measured; the row shows the run of median total time (the host is
/// shared, so single runs are noisy).
const RUNS: usize = 3;

/// `cargo run --release -p basalt-pkg --example bench_solve -- ARGS`, `RUNS` times; the
/// `pkg-bench:` line of the run with the median total.
fn bench_solve(root: &Path, args: &[&str]) -> Result<String> {
    let mut lines = Vec::new();
    for _ in 0..RUNS {
        lines.push(bench_solve_once(root, args)?);
    }
    let total = |line: &String| {
        ["load_ms", "solve_ms"]
            .iter()
            .filter_map(|key| value(line, key)?.parse::<f64>().ok())
            .sum::<f64>()
    };
    lines.sort_by(|a, b| total(a).total_cmp(&total(b)));
    Ok(lines.swap_remove(RUNS / 2))
}

fn bench_solve_once(root: &Path, args: &[&str]) -> Result<String> {
    let mut command = cargo::command(root);
    command
        .args([
            "run",
            "--quiet",
            "--release",
            "-p",
            "basalt-pkg",
            "--example",
            "bench_solve",
            "--",
        ])
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit());
    let output = command.output().context("cannot start cargo")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!("bench_solve {args:?} failed ({}): {stdout}", output.status);
    }
    let line = stdout
        .lines()
        .find(|line| line.starts_with("pkg-bench:"))
        .with_context(|| format!("bench_solve printed no result: {stdout}"))?;
    if line.contains("solved=no") {
        println!("pkgbench: {stdout}");
    }
    println!("pkgbench: {line}");
    Ok(line.to_owned())
}

/// The value of `key=` in a `pkg-bench:` line.
fn value<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.split_whitespace()
        .find_map(|word| word.strip_prefix(key)?.strip_prefix('='))
}

fn row_of(what: &str, line: &str) -> Result<Row> {
    let get = |key: &str| {
        value(line, key)
            .map(str::to_owned)
            .with_context(|| format!("no `{key}` in `{line}`"))
    };
    let load: f64 = get("load_ms")?.parse().context("load_ms")?;
    let solve: f64 = get("solve_ms")?.parse().context("solve_ms")?;
    let solved = get("solved")? == "yes";
    Ok(Row {
        what: what.to_owned(),
        versions: get("versions")?,
        requests: get("requests")?,
        chosen: if solved {
            get("chosen")?
        } else {
            "unsatisfiable".into()
        },
        load_ms: format!("{load:.0}"),
        solve_ms: format!("{solve:.0}"),
        total_ms: format!("{:.0}", load + solve),
    })
}

/// Debian's `Packages` lists from apt's cache, decompressed into one file; `None` without any.
fn debian_packages(work: &Path) -> Result<Option<PathBuf>> {
    let Ok(entries) = fs::read_dir(APT_LISTS) else {
        return Ok(None);
    };
    let mut lists: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            name.starts_with("deb.debian.org_") && name.contains("_binary-amd64_Packages")
        })
        .collect();
    lists.sort();
    if lists.is_empty() {
        return Ok(None);
    }
    let mut text = Vec::new();
    for list in &lists {
        text.extend(decompress(list)?);
        text.extend_from_slice(b"\n\n");
    }
    let out = work.join("Packages");
    fs::write(&out, text).with_context(|| format!("writing {}", out.display()))?;
    Ok(Some(out))
}

/// A list as apt stores it (plain, .lz4, .gz, .xz or .zst), through the usual tool.
fn decompress(list: &Path) -> Result<Vec<u8>> {
    let tool = match list.extension().and_then(|ext| ext.to_str()) {
        Some("lz4") => "lz4",
        Some("gz") => "gzip",
        Some("xz") => "xz",
        Some("zst") => "zstd",
        _ => return fs::read(list).with_context(|| format!("reading {}", list.display())),
    };
    let output = Command::new(tool)
        .args(["-dc"])
        .arg(list)
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("cannot run {tool} (needed to read {})", list.display()))?;
    if !output.status.success() {
        bail!("{tool} -dc {} failed ({})", list.display(), output.status);
    }
    Ok(output.stdout)
}

/// `apt-get install -s` of the request into an empty root, timed (median of three: the first
/// may build apt's cache).
fn apt_row(work: &Path, request: &Path) -> Result<Row> {
    let names: Vec<String> = fs::read_to_string(request)
        .with_context(|| format!("reading {}", request.display()))?
        .lines()
        .map(str::to_owned)
        .collect();
    let status = work.join("empty-dpkg-status");
    fs::write(&status, "").with_context(|| format!("writing {}", status.display()))?;
    let mut times = Vec::new();
    let mut chosen = 0;
    for _ in 0..3 {
        let started = Instant::now();
        let output = Command::new("apt-get")
            .args([
                "install",
                "-s",
                "--no-install-recommends",
                "-o",
                "Debug::NoLocking=1",
                "-o",
            ])
            .arg(format!("Dir::State::status={}", status.display()))
            .args(&names)
            .stdin(Stdio::null())
            .output()
            .context("cannot run apt-get")?;
        times.push(started.elapsed().as_secs_f64() * 1e3);
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            bail!(
                "apt-get install -s failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
        }
        chosen = stdout
            .lines()
            .filter(|line| line.starts_with("Inst "))
            .count();
    }
    times.sort_by(f64::total_cmp);
    Ok(Row {
        what: "apt-get install -s, same request".into(),
        versions: "(apt's lists)".into(),
        requests: names.len().to_string(),
        chosen: chosen.to_string(),
        load_ms: "—".into(),
        solve_ms: "—".into(),
        total_ms: format!("{:.0}", times[1]),
    })
}

fn section(rows: &[Row], notes: &str) -> String {
    let mut text = String::from(
        "## Package manager: load the index and resolve a large install\n\n\
         | | package versions | requested | chosen | load ms | resolve ms | total ms |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
    );
    for row in rows {
        text.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            row.what,
            row.versions,
            row.requests,
            row.chosen,
            row.load_ms,
            row.solve_ms,
            row.total_ms
        ));
    }
    text.push_str(
        "\n`load` reads the index, verifies its signature, decompresses and decodes it and \
         validates every entry; `resolve` builds the solver's view and resolves; both in a fresh \
         process, as `pkg install` does. Each row is the median (by total) of three runs, on the \
         host.\n",
    );
    text.push_str(notes);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_lines_become_rows() {
        let line = "pkg-bench: versions=120000 skipped=0 requests=500 load_ms=341.5 solve_ms=180.2 chosen=10069 solved=yes";
        assert_eq!(value(line, "chosen"), Some("10069"));
        let row = row_of("x", line).unwrap();
        assert_eq!(row.total_ms, "522");
        assert_eq!(row.chosen, "10069");
        let failed = line.replace("solved=yes", "solved=no");
        assert_eq!(row_of("x", &failed).unwrap().chosen, "unsatisfiable");
        assert!(row_of("x", "pkg-bench: versions=1").is_err());
        let table = section(&[row], "note\n");
        assert!(
            table.contains("| x | 120000 | 500 | 10069 | 342 | 180 | 522 |"),
            "{table}"
        );
    }
}
