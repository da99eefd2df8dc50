//! `thread_local!` storage: each thread must see its own copy (the kernel keeps a separate FS base per thread).

use crate::spawn::{join_all, spawn, THREADS};
use std::cell::Cell;

const INCREMENTS_PER_THREAD: u64 = 1_000;

thread_local! {
    static PRIVATE_COUNT: Cell<u64> = const { Cell::new(0) };
}

/// Runs the check.
pub fn run() -> Result<String, String> {
    PRIVATE_COUNT.with(|count| count.set(0));
    let mut handles = Vec::with_capacity(THREADS);
    for index in 0..THREADS {
        handles.push(spawn(format!("tls-{index}"), || {
            for _ in 0..INCREMENTS_PER_THREAD {
                PRIVATE_COUNT.with(|count| count.set(count.get() + 1));
                std::thread::yield_now();
            }
            PRIVATE_COUNT.with(Cell::get)
        })?);
    }
    let counts = join_all(handles)?;
    if let Some((index, count)) = counts
        .iter()
        .enumerate()
        .find(|(_, count)| **count != INCREMENTS_PER_THREAD)
    {
        return Err(format!(
            "thread tls-{index} counted {count}, expected {INCREMENTS_PER_THREAD}"
        ));
    }
    let main_count = PRIVATE_COUNT.with(Cell::get);
    if main_count != 0 {
        return Err(format!(
            "the main thread's copy changed to {main_count} while only other threads counted"
        ));
    }
    Ok(format!(
        "{THREADS} threads each counted {INCREMENTS_PER_THREAD} privately, main thread still 0"
    ))
}
