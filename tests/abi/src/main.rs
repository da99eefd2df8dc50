//! `abi-tests`: a Linux ABI conformance suite. Runs each case in a forked child and prints one line per case whose
//! text depends only on kernel behaviour, so that the output on Linux and on Basalt can be compared line by line.
//!
//! Usage: `abi-tests` (all cases), `abi-tests --list`, `abi-tests <name-or-group>...`.

// First, so that the `sys!` macro is in scope in every module below.
#[macro_use]
mod sys;

mod cases;
mod child;
mod exec_child;
mod registry;
mod runner;
mod scratch;
mod sig;
mod signame;

use std::process::ExitCode;

fn main() -> ExitCode {
    // A copy of this program started by an exec case: do what it asks and nothing else.
    if let Some(code) = exec_child::run_if_requested() {
        return ExitCode::from(code);
    }
    let args: Vec<String> = std::env::args().collect();
    if let Some(argv0) = args.first() {
        exec_child::remember_self(argv0);
    }
    let filters = &args[1.min(args.len())..];
    let cases = registry::all();
    if filters.iter().any(|a| a == "--list") {
        for case in &cases {
            println!("{}", case.name);
        }
        return ExitCode::SUCCESS;
    }
    if let Some(bad) = filters.iter().find(|a| a.starts_with('-')) {
        eprintln!("abi-tests: unknown option {bad} (usage: abi-tests [--list] [NAME|GROUP]...)");
        return ExitCode::from(2);
    }
    let selected: Vec<_> = cases
        .into_iter()
        .filter(|c| filters.is_empty() || filters.iter().any(|f| c.matches(f)))
        .collect();
    runner::run_all(&selected);
    ExitCode::SUCCESS
}
