//! `thread-test`: exercises what std Rust programs need from threads: spawning 8 threads (whatever the CPU count),
//! an atomic counter behind an `Arc`, a bounded queue built from `Mutex` + `Condvar`, `mpsc` channels, thread-local
//! storage, and a panic inside a thread that `join()` reports as `Err` while `main` carries on.
//!
//! Every line printed is deterministic, so the output on Linux and on Basalt can be compared. The last line is
//! `thread-test: ok` (exit status 0) or `thread-test: FAILED <why>` (exit status 1).

mod channel;
mod checks;
mod counter;
mod panic_join;
mod queue;
mod spawn;
mod thread_locals;

use std::process::ExitCode;

fn main() -> ExitCode {
    for check in checks::ALL {
        match (check.run)() {
            Ok(summary) => println!("thread-test: {}: {summary}", check.name),
            Err(why) => {
                println!("thread-test: FAILED {}: {why}", check.name);
                return ExitCode::FAILURE;
            }
        }
    }
    println!("thread-test: ok");
    ExitCode::SUCCESS
}
