//! `pkg`, Basalt's package manager: recipes, signed package files, keys, repository indexes and
//! the dependency solver. The `pkg` binary is a thin command line over this library.
#![forbid(unsafe_code)]

pub mod accounts;
pub mod actions;
pub mod bench;
pub mod bench_packages;
pub mod build;
pub mod config;
pub mod db;
pub mod deps;
pub mod download;
pub mod envelope;
pub mod fetch_many;
pub mod generation;
pub mod index;
pub mod install;
pub mod keys;
pub mod manifest;
pub mod owner_rules;
pub mod owners;
pub mod package;
pub mod parallel;
pub mod privacy;
pub mod recipe;
pub mod refused;
pub mod repo;
pub mod repo_commands;
pub mod repo_queries;
pub mod repos_config;
pub mod solver;
pub mod source_build;
pub mod sources;
pub mod srcpkg;
pub mod staging;
pub mod steps;
pub mod sync;
pub mod triggers;
pub mod unpack;
pub mod version;
pub mod vpn;
