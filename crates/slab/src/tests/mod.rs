//! Host tests for the slab allocator over an in-memory backend.

mod host_backend;
mod invariants;
mod stress;
mod unit;
