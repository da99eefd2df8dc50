//! An `Arc<AtomicU64>` incremented by every thread: no increment may be lost.

use crate::spawn::{join_all, spawn, THREADS};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;

const INCREMENTS_PER_THREAD: u64 = 100_000;

/// Runs the check.
pub fn run() -> Result<String, String> {
    let counter = Arc::new(AtomicU64::new(0));
    let mut handles = Vec::with_capacity(THREADS);
    for index in 0..THREADS {
        let counter = Arc::clone(&counter);
        let name = format!("counter-{index}");
        let expected_name = name.clone();
        handles.push(spawn(name, move || {
            for _ in 0..INCREMENTS_PER_THREAD {
                counter.fetch_add(1, Ordering::Relaxed);
            }
            // The name travels to the kernel's thread too (via prctl); here we check std kept it.
            thread::current().name() == Some(expected_name.as_str())
        })?);
    }
    let named_correctly = join_all(handles)?;
    if let Some(index) = named_correctly.iter().position(|ok| !ok) {
        return Err(format!("thread counter-{index} does not know its own name"));
    }
    let expected = THREADS as u64 * INCREMENTS_PER_THREAD;
    let total = counter.load(Ordering::SeqCst);
    if total != expected {
        return Err(format!("counted {total}, expected {expected}"));
    }
    Ok(format!(
        "{THREADS} threads x {INCREMENTS_PER_THREAD} increments = {total}"
    ))
}
