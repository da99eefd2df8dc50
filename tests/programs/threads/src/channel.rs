//! `std::sync::mpsc`: many senders, one receiver; the receiver ends when every sender is gone.

use crate::spawn::{join_all, spawn, THREADS};
use std::sync::mpsc;

const MESSAGES_PER_SENDER: u64 = 100;

/// Runs the check.
pub fn run() -> Result<String, String> {
    let (sender, receiver) = mpsc::channel::<(usize, u64)>();
    let mut handles = Vec::with_capacity(THREADS);
    for index in 0..THREADS {
        let sender = sender.clone();
        handles.push(spawn(format!("sender-{index}"), move || {
            (0..MESSAGES_PER_SENDER).try_for_each(|sequence| sender.send((index, sequence)))
        })?);
    }
    // Only the threads' clones remain, so the receiver sees the end once they all finish.
    drop(sender);
    let mut next_expected = [0u64; THREADS];
    let mut received = 0u64;
    let mut sum = 0u64;
    for (index, sequence) in receiver.iter() {
        // Each sender's messages must arrive in the order it sent them.
        if next_expected[index] != sequence {
            return Err(format!(
                "sender-{index} message {sequence} arrived when {} was due",
                next_expected[index]
            ));
        }
        next_expected[index] += 1;
        received += 1;
        sum += sequence;
    }
    for result in join_all(handles)? {
        result.map_err(|error| format!("send failed: {error}"))?;
    }
    let expected = THREADS as u64 * MESSAGES_PER_SENDER;
    let expected_sum = THREADS as u64 * MESSAGES_PER_SENDER * (MESSAGES_PER_SENDER - 1) / 2;
    if received != expected || sum != expected_sum {
        return Err(format!(
            "received {received} messages with sum {sum}, expected {expected} with sum {expected_sum}"
        ));
    }
    Ok(format!(
        "{THREADS} senders x {MESSAGES_PER_SENDER} messages, received {received} in order, sum {sum}"
    ))
}
