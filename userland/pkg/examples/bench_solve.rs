//! The solver figure of `cargo xtask bench --only pkg`: writes a signed index, then times what
//! `pkg install` does before touching files: loading (verifying, decoding, validating) the
//! index and resolving a large request. Run with `--release`.
//!
//! `bench_solve generated [NAMES] [REQUESTS]`: a generated Debian-sized index.
//! `bench_solve debian PACKAGES_TEXT REQUEST_OUT`: Debian `Packages` text converted (see
//! `basalt_pkg::bench::from_debian`); the request is every package of priority required,
//! important or standard, whose names are also written to REQUEST_OUT (one a line) for
//! `apt-get install -s`.
//!
//! The timed part runs in a fresh process (`bench_solve solve INDEX REQUESTS_FILE`), as `pkg
//! install` would, not in the one whose heap just held the whole converted archive.
//!
//! Prints one line: `pkg-bench: versions=… skipped=… requests=… chosen=… load_ms=… solve_ms=…`
//! (or `solved=no` with the reason on the following lines).

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use basalt_pkg::bench;
use basalt_pkg::index::{open_index, write_index, Index, IndexEntry};
use basalt_pkg::keys::key_id;
use basalt_pkg::recipe::Metadata;
use basalt_pkg::solver::Universe;
use ed25519_dalek::SigningKey;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |index: usize, default: usize| -> Result<usize> {
        args.get(index)
            .map(|text| text.parse().context("expected a number"))
            .unwrap_or(Ok(default))
    };
    if args.first().map(String::as_str) == Some("solve") {
        let (Some(index), Some(requests)) = (args.get(1), args.get(2)) else {
            bail!("usage: bench_solve solve INDEX REQUESTS_FILE");
        };
        return solve(index.as_ref(), requests.as_ref());
    }
    let (packages, skipped, requests) = match args.first().map(String::as_str) {
        Some("generated") => {
            let (packages, requests) = bench::generated(number(1, 60_000)?, number(2, 500)?);
            (packages, 0, requests)
        }
        Some("debian") => {
            let (Some(text), Some(request_out)) = (args.get(1), args.get(2)) else {
                bail!("usage: bench_solve debian PACKAGES_TEXT REQUEST_OUT");
            };
            let text = std::fs::read_to_string(text).with_context(|| format!("reading {text}"))?;
            let converted = bench::from_debian(&text);
            eprintln!(
                "bench_solve: {} relations left out (not expressible)",
                converted.dropped_relations
            );
            for example in &converted.examples {
                eprintln!("bench_solve: left out {example}");
            }
            let requests: BTreeSet<String> = converted
                .packages
                .iter()
                .zip(&converted.priorities)
                .filter(|(_, priority)| {
                    matches!(priority.as_str(), "required" | "important" | "standard")
                })
                .map(|(meta, _)| meta.name.clone())
                .collect();
            let names: Vec<String> = requests.into_iter().collect();
            std::fs::write(request_out, names.join("\n") + "\n")
                .with_context(|| format!("writing {request_out}"))?;
            (converted.packages, converted.skipped, names)
        }
        _ => bail!(
            "usage: bench_solve generated [NAMES] [REQUESTS] | debian PACKAGES_TEXT REQUEST_OUT"
        ),
    };
    let versions = packages.len();
    let dir = tempfile::tempdir()?;
    let path = write_signed_index(dir.path(), packages)?;

    let request_file = dir.path().join("requests");
    std::fs::write(&request_file, requests.join("\n"))?;
    let output = std::process::Command::new(std::env::current_exe()?)
        .arg("solve")
        .args([&path, &request_file])
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("cannot run bench_solve solve")?;
    if !output.status.success() {
        bail!("bench_solve solve failed ({})", output.status);
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    print!(
        "{}",
        stdout.replacen(
            "pkg-bench:",
            &format!("pkg-bench: versions={versions} skipped={skipped}"),
            1
        )
    );
    Ok(())
}

/// The timed part: load `index` and resolve the requests (one a line) in `requests`.
fn solve(index: &Path, requests: &Path) -> Result<()> {
    let requests: Vec<String> = std::fs::read_to_string(requests)?
        .lines()
        .map(str::to_owned)
        .collect();
    let started = Instant::now();
    let (index, _signer) = open_index(index, None)?;
    let loaded = started.elapsed();
    let outcome = Universe::new(index.packages())?
        .resolve(&requests)
        .map(|chosen| chosen.len());
    let solved = started.elapsed() - loaded;
    let common = format!(
        "pkg-bench: requests={} load_ms={:.1} solve_ms={:.1}",
        requests.len(),
        loaded.as_secs_f64() * 1e3,
        solved.as_secs_f64() * 1e3,
    );
    match outcome {
        Ok(chosen) => println!("{common} chosen={chosen} solved=yes"),
        Err(error) => println!("{common} chosen=0 solved=no\n{error}"),
    }
    Ok(())
}

/// The index as `pkg index` would write it (package files are not needed to solve).
fn write_signed_index(
    dir: &std::path::Path,
    packages: Vec<Metadata>,
) -> Result<std::path::PathBuf> {
    let key = SigningKey::from_bytes(&[42; 32]);
    let signer = key_id(&key.verifying_key());
    let packages = packages
        .into_iter()
        .map(|meta| IndexEntry {
            file: format!("{}-{}.pkg", meta.name, meta.version.replace(':', "_")),
            meta,
            size: 0,
            sha256: "0".repeat(64),
            header_sha256: "0".repeat(64),
            signer: signer.clone(),
            source: false,
        })
        .collect();
    write_index(dir, &Index { packages, time: 0 }, &key)
}
