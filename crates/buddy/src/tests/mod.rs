//! Host tests for the buddy allocator.

mod invariants;
mod stress;
mod unit;
