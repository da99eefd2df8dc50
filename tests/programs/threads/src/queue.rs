//! A bounded blocking queue built from one `Mutex` and two `Condvar`s, driven by producers and consumers.

use crate::spawn::{join_all, spawn, THREADS};
use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

const CAPACITY: usize = 4;
const PRODUCERS: usize = THREADS / 2;
const CONSUMERS: usize = THREADS - PRODUCERS;
const ITEMS_PER_PRODUCER: u64 = 1_000;

struct State {
    items: VecDeque<u64>,
    closed: bool,
    longest: usize,
}

/// A FIFO that holds at most `CAPACITY` items: `push` waits while it is full, `pop` while it is empty.
struct BoundedQueue {
    state: Mutex<State>,
    not_empty: Condvar,
    not_full: Condvar,
}

impl BoundedQueue {
    fn new() -> Self {
        Self {
            state: Mutex::new(State {
                items: VecDeque::with_capacity(CAPACITY),
                closed: false,
                longest: 0,
            }),
            not_empty: Condvar::new(),
            not_full: Condvar::new(),
        }
    }

    fn lock(&self) -> Result<MutexGuard<'_, State>, String> {
        self.state
            .lock()
            .map_err(|_| "queue mutex poisoned".to_owned())
    }

    fn push(&self, item: u64) -> Result<(), String> {
        let mut state = self.lock()?;
        while state.items.len() == CAPACITY {
            state = self
                .not_full
                .wait(state)
                .map_err(|_| "queue mutex poisoned".to_owned())?;
        }
        state.items.push_back(item);
        state.longest = state.longest.max(state.items.len());
        drop(state);
        self.not_empty.notify_one();
        Ok(())
    }

    /// The next item, or `None` once the queue is closed and drained.
    fn pop(&self) -> Result<Option<u64>, String> {
        let mut state = self.lock()?;
        loop {
            if let Some(item) = state.items.pop_front() {
                drop(state);
                self.not_full.notify_one();
                return Ok(Some(item));
            }
            if state.closed {
                return Ok(None);
            }
            state = self
                .not_empty
                .wait(state)
                .map_err(|_| "queue mutex poisoned".to_owned())?;
        }
    }

    fn close(&self) -> Result<(), String> {
        self.lock()?.closed = true;
        self.not_empty.notify_all();
        Ok(())
    }
}

/// Runs the check.
pub fn run() -> Result<String, String> {
    let queue = Arc::new(BoundedQueue::new());
    let mut consumers = Vec::with_capacity(CONSUMERS);
    for index in 0..CONSUMERS {
        let queue = Arc::clone(&queue);
        consumers.push(spawn(format!("consumer-{index}"), move || {
            let (mut count, mut sum) = (0u64, 0u64);
            while let Some(item) = queue.pop()? {
                count += 1;
                sum += item;
            }
            Ok::<_, String>((count, sum))
        })?);
    }
    let mut producers = Vec::with_capacity(PRODUCERS);
    for index in 0..PRODUCERS {
        let queue = Arc::clone(&queue);
        let first = index as u64 * ITEMS_PER_PRODUCER;
        producers.push(spawn(format!("producer-{index}"), move || {
            (first..first + ITEMS_PER_PRODUCER).try_for_each(|item| queue.push(item))
        })?);
    }
    let produced = join_all(producers);
    // Close even if a producer failed, so that the consumers finish and can be joined.
    queue.close()?;
    produced?.into_iter().collect::<Result<Vec<()>, String>>()?;
    let (mut count, mut sum) = (0u64, 0u64);
    for result in join_all(consumers)? {
        let (consumer_count, consumer_sum) = result?;
        count += consumer_count;
        sum += consumer_sum;
    }
    let total = PRODUCERS as u64 * ITEMS_PER_PRODUCER;
    let expected_sum = total * (total - 1) / 2;
    if count != total || sum != expected_sum {
        return Err(format!(
            "consumed {count} items with sum {sum}, expected {total} with sum {expected_sum}"
        ));
    }
    let longest = queue.lock()?.longest;
    if longest > CAPACITY {
        return Err(format!("held {longest} items, capacity is {CAPACITY}"));
    }
    Ok(format!(
        "{PRODUCERS} producers, {CONSUMERS} consumers, capacity {CAPACITY}, moved {count} items, sum {sum}"
    ))
}
