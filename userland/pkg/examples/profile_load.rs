//! Phase timings of what `bench_solve` measures, each the fastest of several runs (so that a
//! busy machine disturbs it less), for finding where the time goes. Run with `--release`:
//!
//! `profile_load generated [NAMES] [REQUESTS]` or `profile_load debian PACKAGES_TEXT`.
//! With `PROFILE=open` or `PROFILE=resolve` only that phase runs, repeatedly (for `perf record`).

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use basalt_pkg::bench;
use basalt_pkg::envelope;
use basalt_pkg::index::{self, encoding, Index, IndexEntry};
use basalt_pkg::solver::Universe;
use ed25519_dalek::SigningKey;

fn fastest(runs: usize, mut run: impl FnMut() -> Result<()>) -> Result<Duration> {
    let mut best = Duration::MAX;
    for _ in 0..runs {
        let started = Instant::now();
        run()?;
        best = best.min(started.elapsed());
    }
    Ok(best)
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (packages, requests) = if args.first().map(String::as_str) == Some("debian") {
        let path = args
            .get(1)
            .context("usage: profile_load debian PACKAGES_TEXT")?;
        let converted = bench::from_debian(&std::fs::read_to_string(path)?);
        let requests: BTreeSet<String> = converted
            .packages
            .iter()
            .zip(&converted.priorities)
            .filter(|(_, p)| matches!(p.as_str(), "required" | "important" | "standard"))
            .map(|(meta, _)| meta.name.clone())
            .collect();
        (converted.packages, requests.into_iter().collect())
    } else {
        let number =
            |at: usize, default| args.get(at).and_then(|n| n.parse().ok()).unwrap_or(default);
        bench::generated(number(1, 60_000), number(2, 500))
    };
    let key = SigningKey::from_bytes(&[42; 32]);
    let index = Index {
        time: 0,
        packages: packages
            .into_iter()
            .map(|meta| IndexEntry {
                file: format!("{}-{}.pkg", meta.name, meta.version.replace(':', "_")),
                meta,
                size: 0,
                sha256: "0".repeat(64),
                header_sha256: "0".repeat(64),
                signer: "0123456789abcdef".into(),
                source: false,
            })
            .collect(),
    };
    let dir = tempfile::tempdir()?;
    let path = index::write_index(dir.path(), &index, &key)?;
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let open = || index::open_index(&path, None).map(|(view, _)| view);
    let resolve = |view: &index::IndexView| -> Result<()> {
        Universe::new(view.packages())?.resolve(&requests)?;
        Ok(())
    };
    match std::env::var("PROFILE").as_deref() {
        Ok("open") => {
            let time = fastest(20, || open().map(drop))?;
            println!("open_index {:.1} ms", ms(time));
            return Ok(());
        }
        Ok("resolve") => {
            let view = open()?;
            let time = fastest(20, || resolve(&view))?;
            println!("resolve {:.1} ms", ms(time));
            return Ok(());
        }
        _ => {}
    }
    let runs = 5;
    let bytes = std::fs::read(&path)?;
    let magic = (index::MAGIC, index::FORMAT, "index");
    let (packed, _) = envelope::open(&mut &bytes[..], magic.0, magic.1, magic.2)?;
    let body = zstd::decode_all(&packed[..])?;
    let view = encoding::decode(body.clone())?;
    let verify = fastest(runs, || {
        envelope::open(&mut &bytes[..], magic.0, magic.1, magic.2)?;
        Ok(())
    })?;
    let unpack = fastest(runs, || {
        zstd::decode_all(&packed[..]).map(drop).map_err(Into::into)
    })?;
    let decode = fastest(runs, || {
        encoding::decode(body.clone()).map(drop).map_err(Into::into)
    })?;
    let whole = fastest(runs, || open().map(drop))?;
    let universe = fastest(runs, || Universe::new(view.packages()).map(drop))?;
    let solve = fastest(runs, || resolve(&view))?;
    println!(
        "index {} bytes ({} decompressed): verify {:.1} ms, decompress {:.1} ms, decode {:.1} ms \
         (with the copy of its input), open_index (all that, and validation) {:.1} ms; \
         universe {:.1} ms, universe and resolve {:.1} ms",
        bytes.len(),
        body.len(),
        ms(verify),
        ms(unpack),
        ms(decode),
        ms(whole),
        ms(universe),
        ms(solve)
    );
    Ok(())
}
