//! Spawning named threads and joining them, with failures turned into messages instead of panics.

use std::thread::{self, JoinHandle};

/// How many threads each check runs at once, independent of the number of CPUs.
pub const THREADS: usize = 8;

/// Spawns a thread called `name`; a kernel that refuses `clone` gives an error message, not a panic.
pub fn spawn<T, F>(name: String, body: F) -> Result<JoinHandle<T>, String>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    thread::Builder::new()
        .name(name.clone())
        .spawn(body)
        .map_err(|error| format!("cannot spawn thread {name}: {error}"))
}

/// Joins every handle in order and collects the results; a thread that panicked is an error.
pub fn join_all<T>(handles: Vec<JoinHandle<T>>) -> Result<Vec<T>, String> {
    let mut results = Vec::with_capacity(handles.len());
    for handle in handles {
        let name = handle.thread().name().unwrap_or("<unnamed>").to_owned();
        let result = handle
            .join()
            .map_err(|_| format!("thread {name} panicked"))?;
        results.push(result);
    }
    Ok(results)
}
