//! Solver scale check: a generated index of Debian's size (60,000 packages with two versions
//! each, a few versioned dependencies on lower-numbered packages, some provides and
//! conflicts; `basalt_pkg::bench::generated`), resolving the install of 500 of them. Prints the
//! time taken; run with `--release`. `bench_solve` also times loading the signed index.

use std::time::Instant;

use basalt_pkg::bench;
use basalt_pkg::solver::Universe;

fn main() {
    let count: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(60_000);
    let (packages, requests) = bench::generated(count, 500);
    let started = Instant::now();
    let universe = Universe::new(packages).expect("generated metadata is valid");
    let built = started.elapsed();
    match universe.resolve(&requests) {
        Ok(chosen) => println!(
            "{} package versions: universe {:.1} ms, resolved {} requests to {} packages in {:.1} ms total",
            count * 2,
            built.as_secs_f64() * 1e3,
            requests.len(),
            chosen.len(),
            started.elapsed().as_secs_f64() * 1e3
        ),
        Err(error) => println!("unsatisfiable after {:.1} ms: {error}", started.elapsed().as_secs_f64() * 1e3),
    }
}
