//! Running independent jobs (staging the packages of a transaction) on a few threads.
#![forbid(unsafe_code)]

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use anyhow::Result;

/// How many threads to use for `jobs` jobs: the CPUs this process may use, at most 4 (the work
/// is partly the file system's, which more threads do not speed up), at most one per job.
pub fn workers(jobs: usize) -> usize {
    std::thread::available_parallelism()
        .map_or(1, |count| count.get())
        .clamp(1, 4)
        .min(jobs.max(1))
}

/// Runs `work` while a thread keeps writing the file system of `path` to disk (`syncfs`, one
/// round after another, at most ten a second). The disk then works while `work` computes,
/// and the sync that must follow `work` finds little left to write. Errors of the background
/// syncs are ignored: the sync after `work` reports them.
pub fn while_syncing<R>(path: &Path, work: impl FnOnce() -> R) -> R {
    let Ok(dir) = std::fs::File::open(path) else {
        return work();
    };
    let done = (Mutex::new(false), Condvar::new());
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let (lock, wake) = &done;
            let mut finished = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            while !*finished {
                drop(finished);
                let _ = rustix::fs::syncfs(&dir);
                finished = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                if !*finished {
                    finished = wake
                        .wait_timeout(finished, Duration::from_millis(100))
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .0;
                }
            }
        });
        let result = work();
        let (lock, wake) = &done;
        *lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = true;
        wake.notify_all();
        result
    })
}

/// Runs `job` on every item with `workers` threads (on this one when 1) and returns the results
/// in the order of `items`. After the first error no new job starts, and that error is returned.
pub fn map<T: Sync, R: Send>(
    items: &[T],
    workers: usize,
    job: impl Fn(&T) -> Result<R> + Sync,
) -> Result<Vec<R>> {
    if workers <= 1 {
        return items.iter().map(job).collect();
    }
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let results: Mutex<Vec<(usize, Result<R>)>> = Mutex::new(Vec::with_capacity(items.len()));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                while !failed.load(Ordering::Relaxed) {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(index) else {
                        break;
                    };
                    let result = job(item);
                    if result.is_err() {
                        failed.store(true, Ordering::Relaxed);
                    }
                    results
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .push((index, result));
                }
            });
        }
    });
    let mut results = results
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    results.sort_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, result)| result).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_order_of_the_items() {
        let items: Vec<u32> = (0..100).collect();
        for workers in [1, 2, 3] {
            let doubled = map(&items, workers, |item| Ok(item * 2)).unwrap();
            assert_eq!(
                doubled,
                items.iter().map(|item| item * 2).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn an_error_is_returned() {
        let items: Vec<u32> = (0..1000).collect();
        for workers in [1, 2] {
            let started = AtomicUsize::new(0);
            let error = map(&items, workers, |item| {
                started.fetch_add(1, Ordering::Relaxed);
                if *item == 3 {
                    anyhow::bail!("job 3 failed");
                }
                Ok(*item)
            })
            .unwrap_err();
            assert_eq!(error.to_string(), "job 3 failed");
            // On this thread, nothing starts after the error (with threads, when one sees it
            // depends on scheduling).
            if workers == 1 {
                assert_eq!(started.load(Ordering::Relaxed), 4);
            }
        }
    }
}
