//! `pkg`, Basalt's package manager: recipes, signed package files, keys, repository indexes and
//! the dependency solver. The `pkg` binary is a thin command line over this library.
#![forbid(unsafe_code)]

pub mod bench;
pub mod bench_packages;
pub mod build;
pub mod config;
pub mod db;
pub mod download;
pub mod envelope;
pub mod generation;
pub mod index;
pub mod install;
pub mod keys;
pub mod manifest;
pub mod package;
pub mod parallel;
pub mod recipe;
pub mod refused;
pub mod repo;
pub mod solver;
pub mod version;
