//! Solver scale check: a generated index of Debian's size (60,000 packages, each with a few
//! versioned dependencies on lower-numbered packages, some provides and conflicts), resolving
//! the install of 500 of them. Prints the time taken; run with `--release`.

use std::time::Instant;

use basalt_pkg::recipe::{Metadata, Privacy};
use basalt_pkg::solver::Universe;

fn main() {
    let count: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(60_000);
    // A small deterministic generator (xorshift) so runs are comparable.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |limit: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % limit as u64) as usize
    };
    let mut packages = Vec::with_capacity(count * 2);
    for index in 0..count {
        for version in 1..=2 {
            let mut depends = Vec::new();
            if index > 10 {
                for _ in 0..next(5) {
                    let target = next(index);
                    depends.push(format!("p{target} >= 1"));
                }
            }
            if index > 10 && next(20) == 0 {
                depends.push(format!("virtual{}", next(50)));
            }
            let provides = if index % 97 == 0 {
                vec![format!("virtual{}", index % 50)]
            } else {
                Vec::new()
            };
            let conflicts = if index > 10 && next(200) == 0 {
                vec![format!("p{} < 1.1", next(index))]
            } else {
                Vec::new()
            };
            packages.push(Metadata {
                name: format!("p{index}"),
                version: format!("1.{version}-1"),
                summary: "generated".into(),
                license: "MIT".into(),
                homepage: None,
                arch: "x86_64".into(),
                privacy: Privacy::None,
                depends,
                provides,
                conflicts,
                replaces: Vec::new(),
                optional: Default::default(),
                config: Vec::new(),
                install: Default::default(),
            });
        }
    }
    let requests: Vec<String> = (0..500)
        .map(|_| format!("p{}", count / 2 + next(count / 2)))
        .collect();
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
