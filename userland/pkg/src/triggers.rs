//! Triggers: named system actions (`ldconfig`, `fc-cache`, …) that run once per transaction when
//! files under the paths a package declares changed.
//!
//! Packages only name an action (`[[install.trigger]] action = "ldconfig"`, `paths = ["usr/lib"]`);
//! what it does is the system's: `ROOT/etc/basalt/pkg/triggers/NAME.toml` holds
//! `command = ["argv0", "arg", …]`. The command runs in the root directory with `PKG_ROOT` (the
//! root) and `PKG_TRIGGER` (the name) in its environment and the changed paths on standard input,
//! one `/path` a line. An action the system does not define is a warning, not a failure.
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::manifest::EntryKind;
use crate::package::Header;

/// Where the system's trigger actions are defined.
pub fn dir(root: &Path) -> PathBuf {
    root.join("etc/basalt/pkg/triggers")
}

/// One trigger action's definition.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    pub command: Vec<String>,
}

/// An action to run once, with the changed paths that set it off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Run {
    pub action: String,
    /// The packages that declared it (for messages).
    pub declared_by: Vec<String>,
    /// Changed paths below its declared paths, sorted, relative to the root.
    pub paths: Vec<String>,
}

fn below(path: &str, prefix: &str) -> bool {
    path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// The actions a transaction sets off: every trigger declared by a package it involves or that
/// stays installed (`packages`), for the files and links that `changed` packages install or
/// remove.
pub fn plan(packages: &[&Header], changed: &[&Header]) -> Vec<Run> {
    let changed_paths: Vec<&str> = changed
        .iter()
        .flat_map(|header| header.entries.iter())
        .filter(|entry| !matches!(entry.kind, EntryKind::Dir))
        .map(|entry| entry.path.as_str())
        .collect();
    let mut runs: BTreeMap<&str, Run> = BTreeMap::new();
    for header in packages {
        for trigger in &header.meta.install.triggers {
            let hits: Vec<&str> = changed_paths
                .iter()
                .copied()
                .filter(|path| trigger.paths.iter().any(|prefix| below(path, prefix)))
                .collect();
            if hits.is_empty() {
                continue;
            }
            let run = runs.entry(&trigger.action).or_insert_with(|| Run {
                action: trigger.action.clone(),
                declared_by: Vec::new(),
                paths: Vec::new(),
            });
            if !run.declared_by.contains(&header.meta.name) {
                run.declared_by.push(header.meta.name.clone());
            }
            run.paths.extend(hits.into_iter().map(str::to_owned));
        }
    }
    runs.into_values()
        .map(|mut run| {
            run.paths.sort();
            run.paths.dedup();
            run
        })
        .collect()
}

/// Reads the definition of `action` in `root`; `None` when the system does not define it.
pub fn definition(root: &Path, action: &str) -> Result<Option<Definition>> {
    let file = dir(root).join(format!("{action}.toml"));
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error).with_context(|| format!("cannot read {}", file.display())),
    };
    let definition: Definition =
        toml::from_str(&text).with_context(|| format!("{}", file.display()))?;
    if definition.command.is_empty() || definition.command[0].is_empty() {
        bail!("{}: `command` must name a program", file.display());
    }
    Ok(Some(definition))
}

/// Runs one action; an undefined action is reported as a warning and counts as done.
fn run_one(root: &Path, run: &Run) -> Result<()> {
    let Some(definition) = definition(root, &run.action)? else {
        eprintln!(
            "pkg: warning: trigger `{}` (declared by {}) is not defined on this system ({}); skipped",
            run.action,
            run.declared_by.join(", "),
            dir(root).join(format!("{}.toml", run.action)).display()
        );
        return Ok(());
    };
    let program = &definition.command[0];
    // The command runs in the root, so a relative `--root` would mean something else there.
    let absolute_root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_owned());
    let mut child = Command::new(program)
        .args(&definition.command[1..])
        .current_dir(root)
        .env("PKG_ROOT", &absolute_root)
        .env("PKG_TRIGGER", &run.action)
        .stdin(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start `{program}`"))?;
    let mut input = String::new();
    for path in &run.paths {
        input.push('/');
        input.push_str(path);
        input.push('\n');
    }
    // Written from a thread so that a command that does not read its input cannot block pkg;
    // a command that exits without reading it all is not an error.
    let writer = child.stdin.take().map(|mut stdin| {
        std::thread::spawn(move || {
            let _ = stdin.write_all(input.as_bytes());
        })
    });
    let status = child.wait()?;
    if let Some(writer) = writer {
        let _ = writer.join();
    }
    if !status.success() {
        bail!("`{}` {status}", definition.command.join(" "));
    }
    Ok(())
}

/// Runs every action once; returns a line per action that failed.
pub fn run_all(root: &Path, runs: &[Run]) -> Vec<String> {
    let mut failures = Vec::new();
    for run in runs {
        if let Err(error) = run_one(root, run) {
            failures.push(format!(
                "trigger `{}` (declared by {}) failed: {error:#}",
                run.action,
                run.declared_by.join(", ")
            ));
        }
    }
    failures
}

/// A transaction that committed, but whose triggers did not all succeed.
#[derive(Debug, thiserror::Error)]
#[error("the transaction is committed (generation {generation}), but {}", failures.join("; "))]
pub struct TriggersFailed {
    pub generation: u64,
    pub failures: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_means_the_path_or_inside_it() {
        assert!(below("usr/lib", "usr/lib"));
        assert!(below("usr/lib/libc.so", "usr/lib"));
        assert!(!below("usr/lib64/libc.so", "usr/lib"));
        assert!(!below("usr", "usr/lib"));
    }
}
