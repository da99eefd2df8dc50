//! Dependency checks of a transaction over installed packages and package files (no index):
//! provides-aware, with explanations that name what is missing and what is there instead.
#![forbid(unsafe_code)]

use anyhow::{bail, Result};

use crate::package::Header;
use crate::version::{Dependency, Version};

/// Whether some package in `set` is or provides what `dep` asks for.
pub fn satisfied(dep: &Dependency, set: &[&Header]) -> bool {
    set.iter().any(|header| {
        let meta = &header.meta;
        (meta.name == dep.name
            && meta
                .parsed_version()
                .is_ok_and(|version: Version| dep.accepts(&version)))
            || meta.provides.iter().any(|provided| {
                provided.parse::<Dependency>().is_ok_and(|p| {
                    p.name == dep.name
                        && (dep.bounds.is_empty()
                            || p.bounds.is_empty()
                            || p.bounds.iter().all(|(_, v)| dep.accepts(v)))
                })
            })
    })
}

/// What `set` has under `name` (itself or a provider), for explanations.
fn found(name: &str, set: &[&Header]) -> Vec<String> {
    set.iter()
        .filter(|header| {
            header.meta.name == name
                || header
                    .meta
                    .provides
                    .iter()
                    .any(|provided| provided.parse::<Dependency>().is_ok_and(|p| p.name == name))
        })
        .map(|header| format!("{} {}", header.meta.name, header.meta.version))
        .collect()
}

/// Checks that every package of `new` has its dependencies in `after` (the installed set after
/// the transaction, `new` included) and conflicts with none of it.
pub fn check_new(new: &[&Header], after: &[&Header]) -> Result<()> {
    let mut problems = Vec::new();
    for header in new {
        let meta = &header.meta;
        for text in &meta.depends {
            let Ok(dep) = text.parse::<Dependency>() else {
                continue;
            };
            if satisfied(&dep, after) {
                continue;
            }
            let there = found(&dep.name, after);
            let instead = if there.is_empty() {
                String::new()
            } else {
                format!(" (there is only {})", there.join(", "))
            };
            problems.push(format!(
                "{} {} needs `{text}`, which neither the installed packages nor the files given provide{instead}",
                meta.name, meta.version
            ));
        }
    }
    for header in after {
        for text in &header.meta.conflicts {
            let Ok(dep) = text.parse::<Dependency>() else {
                continue;
            };
            let others: Vec<&Header> = after
                .iter()
                .copied()
                .filter(|other| other.meta.name != header.meta.name)
                .collect();
            let involves_new = |name: &str| new.iter().any(|h| h.meta.name == name);
            for other in others {
                if satisfied(&dep, &[other])
                    && (involves_new(&header.meta.name) || involves_new(&other.meta.name))
                {
                    problems.push(format!(
                        "{} {} conflicts with `{text}`, which {} {} is",
                        header.meta.name, header.meta.version, other.meta.name, other.meta.version
                    ));
                }
            }
        }
    }
    if !problems.is_empty() {
        bail!(
            "cannot install: {} (give the package files that provide what is missing too, or install by name from a repository)",
            problems.join("; ")
        );
    }
    Ok(())
}
