//! Phase timings of loading an index and resolving (minimum of several runs, so that a busy
//! machine disturbs it less): `profile_load generated [NAMES] [REQUESTS] | debian PACKAGES_TEXT`.
use std::time::{Duration, Instant};

use basalt_pkg::bench;
use basalt_pkg::envelope;
use basalt_pkg::index::{self, encoding, Index, IndexEntry};
use basalt_pkg::solver::Universe;
use ed25519_dalek::SigningKey;

fn min_of(runs: usize, mut f: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let started = Instant::now();
            f();
            started.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (packages, requests) = if args.first().map(String::as_str) == Some("debian") {
        let converted = bench::from_debian(&std::fs::read_to_string(&args[1])?);
        let requests: Vec<String> = converted
            .packages
            .iter()
            .zip(&converted.priorities)
            .filter(|(_, p)| matches!(p.as_str(), "required" | "important" | "standard"))
            .map(|(m, _)| m.name.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        (converted.packages, requests)
    } else {
        let names = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(60_000);
        let requests = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(500);
        bench::generated(names, requests)
    };
    let key = SigningKey::from_bytes(&[42; 32]);
    let index = Index {
        packages: packages
            .into_iter()
            .map(|meta| IndexEntry {
                file: format!("{}-{}.pkg", meta.name, meta.version),
                meta,
                size: 0,
                sha256: "0".repeat(64),
                signer: "x".into(),
                source: false,
            })
            .collect(),
    };
    let dir = tempfile::tempdir()?;
    let path = index::write_index(dir.path(), &index, &key)?;
    let bytes = std::fs::read(&path)?;
    println!("index: {} bytes", bytes.len());
    let runs = 5;
    if std::env::var_os("PROFILE_OPEN").is_some() {
        let open = min_of(10, || drop(index::open_index(&path, None).unwrap()));
        println!("open_index {:.1} ms", open.as_secs_f64() * 1e3);
        return Ok(());
    }
    if std::env::var_os("PROFILE_RESOLVE").is_some() {
        // Only the resolution, many times: for `perf record`.
        let decoded = index::open_index(&path, None)?.0;
        let resolve = min_of(10, || {
            Universe::new(decoded.packages())
                .unwrap()
                .resolve(&requests)
                .unwrap();
        });
        println!("resolve {:.1} ms", resolve.as_secs_f64() * 1e3);
        return Ok(());
    }
    let (packed, _) = envelope::open(&mut &bytes[..], index::MAGIC, index::FORMAT, "x")?;
    let body = zstd::decode_all(&packed[..])?;
    let read = min_of(runs, || drop(std::fs::read(&path)));
    let verify = min_of(runs, || {
        envelope::open(&mut &bytes[..], index::MAGIC, index::FORMAT, "x").unwrap();
    });
    let packed = zstd::encode_all(&body[..], 3)?;
    let unzstd = min_of(runs, || drop(zstd::decode_all(&packed[..]).unwrap()));
    println!(
        "zstd -3: {} bytes, decompressed in {:.1} ms",
        packed.len(),
        unzstd.as_secs_f64() * 1e3
    );
    let decode = min_of(runs, || drop(encoding::decode(body.clone()).unwrap()));
    let decoded = encoding::decode(body.clone())?;
    let entries = min_of(runs, || drop(decoded.to_index()));
    let validate = min_of(runs, || {
        for entry in &index.packages {
            entry.meta.validate().unwrap();
        }
    });
    let load = min_of(runs, || drop(index::open_index(&path, None).unwrap()));
    let universe = min_of(runs, || drop(Universe::new(decoded.packages()).unwrap()));
    let resolve = min_of(runs, || {
        let universe = Universe::new(decoded.packages()).unwrap();
        universe.resolve(&requests).unwrap();
    });
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "read {:.1} verify {:.1} decode {:.1} to_index(+drop) {:.1} validate(Metadata) {:.1} | open_index {:.1} | universe {:.1} resolve(+universe) {:.1}",
        ms(read), ms(verify), ms(decode), ms(entries), ms(validate), ms(load), ms(universe), ms(resolve)
    );
    Ok(())
}
