//! `fuzz`: the long syscall-fuzzer run. The same machine and checks as the `fuzz-short` scenario of
//! `cargo xtask test`, for as long as asked, once or several times with fresh seeds.

use crate::scenarios::{self, ScenarioBoot};
use crate::{build, cargo, host_tools, test};
use anyhow::{anyhow, Result};

/// Options of `cargo xtask fuzz`.
#[derive(Debug)]
pub struct FuzzOptions {
    /// How long each run fuzzes.
    pub seconds: u64,
    /// Worker processes in the guest.
    pub procs: u32,
    /// Guest CPUs.
    pub smp: u32,
    /// How many runs (each boots a fresh machine).
    pub runs: u32,
    /// The first run's seed (later runs add 1 each); None: one from the clock.
    pub seed: Option<u64>,
}

/// Seconds a run may take beyond its fuzzing time (boot, killing and reaping the workers, TCG slowness).
const MARGIN_SECS: u64 = 180;

/// Runs the fuzzer; returns whether every run passed.
pub fn run(paths: &crate::paths::Paths, options: &FuzzOptions) -> Result<bool> {
    let short = scenarios::SCENARIOS
        .iter()
        .find(|scenario| scenario.name == "fuzz-short")
        .ok_or_else(|| anyhow!("the fuzz-short scenario is missing"))?;
    host_tools::ensure(&[host_tools::Tool::Qemu, host_tools::Tool::Musl])?;
    build::build_all(paths, cargo::Profile::Release)?;
    build::build_busybox_initramfs(paths)?;
    let first_seed = options.seed.unwrap_or_else(clock_seed);
    let mut failed = 0;
    for index in 0..options.runs {
        let seed = first_seed.wrapping_add(u64::from(index));
        println!(
            "fuzz: run {} of {}: seed {seed:#x}, {} s, {} workers, {} CPUs",
            index + 1,
            options.runs,
            options.seconds,
            options.procs,
            options.smp
        );
        // The scenario table holds 'static strings; a handful of runs leak a line each.
        let append: &'static str = Box::leak(
            format!(
                "console=ttyS0 quiet rdinit=/bin/sh FUZZ_SECONDS={} FUZZ_PROCS={} FUZZ_SEED={seed:#x} -- /fuzz.sh",
                options.seconds, options.procs
            )
            .into_boxed_str(),
        );
        let scenario = scenarios::Scenario {
            name: "fuzz",
            boot: ScenarioBoot::Busybox { append },
            smp: Some(options.smp),
            timeout_secs: options.seconds + MARGIN_SECS,
            ..*short
        };
        if !test::run_scenario(paths, &scenario)?.passed {
            failed += 1;
            println!(
                "fuzz: run {} FAILED (seed {seed:#x}; log out/logs/fuzz.log)",
                index + 1
            );
        }
    }
    println!("{} passed, {failed} failed", options.runs - failed);
    Ok(failed == 0)
}

/// A seed that differs from run to run.
fn clock_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos() as u64)
        .unwrap_or(0x5eed)
}
