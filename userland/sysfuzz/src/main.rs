//! `sysfuzz [--seconds N] [--procs P] [--seed S]`: forks P worker processes that issue random system calls with
//! edge-case arguments for N seconds, replacing workers that die, then kills and reaps them all and prints
//!
//! ```text
//! sysfuzz: done, <calls> calls, <deaths> worker deaths
//! ```
//!
//! Before starting and after reaping it prints the `MemFree:` line of /proc/meminfo (or `meminfo: n/a`), so a
//! scenario can check that the kernel survived and gave the memory back.
//!
//! It runs as root on Basalt and must be harmless on a Linux host too: see `policy` for the deny-list and
//! argument pinning, `names` for how file names are confined to a private directory, and `worker` for the limits,
//! heartbeat and descriptor hygiene of each worker. The same seed reproduces the same call sequences.

mod confine;
mod layout;
mod meminfo;
mod names;
mod options;
mod plan;
mod policy;
mod rng;
mod shared;
mod supervisor;
mod sys;
mod values;
mod workdir;
mod worker;

use std::process::ExitCode;
use std::time::Duration;
use supervisor::RunPlan;
use workdir::WorkDir;

fn main() -> ExitCode {
    let options = match options::parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(error) => {
            eprintln!("sysfuzz: {error}\n{}", options::USAGE);
            return ExitCode::from(2);
        }
    };
    if options.help {
        println!("{}", options::USAGE);
        return ExitCode::SUCCESS;
    }
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("sysfuzz: error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(options: &options::Options) -> Result<(), Box<dyn std::error::Error>> {
    let work_dir = WorkDir::create(std::process::id())
        .map_err(|error| format!("cannot create a private directory: {error}"))?;
    println!(
        "sysfuzz: seed {:#x}, {} workers, {} seconds, directory {}",
        options.seed,
        options.procs,
        options.seconds,
        work_dir.path().display()
    );
    println!("sysfuzz: before: {}", meminfo::mem_free_report());
    let plan = RunPlan {
        duration: Duration::from_secs(options.seconds),
        procs: options.procs,
        seed: options.seed,
    };
    let outcome = supervisor::supervise(&plan, work_dir.c_path());
    let shown = work_dir.path().display().to_string();
    if let Err(error) = work_dir.remove() {
        eprintln!("sysfuzz: warning: cannot remove {shown}: {error}");
    }
    let totals = outcome?;
    println!("sysfuzz: after: {}", meminfo::mem_free_report());
    println!(
        "sysfuzz: done, {} calls, {} worker deaths",
        totals.calls, totals.deaths
    );
    Ok(())
}
