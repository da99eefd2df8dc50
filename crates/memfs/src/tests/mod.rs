//! Tests of the public API, by operation, plus randomized tests against simple models.

mod anon;
mod attributes;
mod creation;
mod data;
mod dirents;
mod permissions;
mod populate;
mod removal;
mod rename;
mod resolution;
mod support;
