//! What `pkg search`, `pkg info NAME` and `pkg list` say about the synced repositories' packages.
#![forbid(unsafe_code)]

use std::collections::BTreeMap;

use crate::sync::Available;

/// Installed package name → version.
pub type Installed = BTreeMap<String, String>;

fn installed_mark(installed: &Installed, name: &str) -> String {
    match installed.get(name) {
        Some(version) => format!(" [installed {version}]"),
        None => String::new(),
    }
}

/// The preferred entry of each name (the first of each run in [`crate::sync::available`]'s order).
fn best<'a>(available: &[Available<'a>]) -> Vec<Available<'a>> {
    let mut list: Vec<Available> = Vec::new();
    for one in available {
        if list
            .last()
            .is_none_or(|last| last.entry.meta.name != one.entry.meta.name)
        {
            list.push(*one);
        }
    }
    list
}

fn line(one: &Available, installed: &Installed) -> String {
    format!(
        "{} {} ({}){} - {}",
        one.entry.meta.name,
        one.entry.meta.version,
        one.repo.name,
        installed_mark(installed, &one.entry.meta.name),
        one.entry.meta.summary
    )
}

/// One line per package name whose name, provides or summary contains `term` (ignoring case).
pub fn search(available: &[Available], installed: &Installed, term: &str) -> Vec<String> {
    let term = term.to_lowercase();
    let hit = |one: &Available| {
        let meta = &one.entry.meta;
        meta.name.to_lowercase().contains(&term)
            || meta.summary.to_lowercase().contains(&term)
            || meta
                .provides
                .iter()
                .any(|provide| provide.to_lowercase().contains(&term))
    };
    // A name matches when any of its versions does; the line shows the preferred one.
    let mut names: Vec<&str> = available
        .iter()
        .filter(|one| hit(one))
        .map(|one| one.entry.meta.name.as_str())
        .collect();
    names.dedup();
    best(available)
        .iter()
        .filter(|one| names.contains(&one.entry.meta.name.as_str()))
        .map(|one| line(one, installed))
        .collect()
}

/// Every package name available (its preferred version), then installed packages that no
/// repository has.
pub fn list(available: &[Available], installed: &Installed) -> Vec<String> {
    let best = best(available);
    let mut lines: Vec<String> = best.iter().map(|one| line(one, installed)).collect();
    for (name, version) in installed {
        if !best.iter().any(|one| one.entry.meta.name == *name) {
            lines.push(format!("{name} {version} [installed, in no repository]"));
        }
    }
    lines
}

/// What is known of package `name`: its preferred version in full, then the other versions.
/// `None` when no repository has it.
pub fn info(available: &[Available], installed: &Installed, name: &str) -> Option<Vec<String>> {
    let versions: Vec<&Available> = available
        .iter()
        .filter(|one| one.entry.meta.name == name)
        .collect();
    let (first, rest) = versions.split_first()?;
    let meta = &first.entry.meta;
    let mut lines = vec![
        format!("{} {} ({})", meta.name, meta.version, meta.arch),
        format!("  {}", meta.summary),
        format!(
            "  repository: {} (priority {})  file: {} ({} bytes)",
            first.repo.name, first.repo.priority, first.entry.file, first.entry.size
        ),
        format!("  license: {}  privacy: {}", meta.license, meta.privacy),
    ];
    if let Some(homepage) = &meta.homepage {
        lines.push(format!("  homepage: {homepage}"));
    }
    for (label, list) in [
        ("depends", &meta.depends),
        ("provides", &meta.provides),
        ("conflicts", &meta.conflicts),
        ("replaces", &meta.replaces),
    ] {
        if !list.is_empty() {
            lines.push(format!("  {label}: {}", list.join(", ")));
        }
    }
    lines.push(match installed.get(name) {
        Some(version) => format!("  installed: {version}"),
        None => "  installed: no".to_owned(),
    });
    if !rest.is_empty() {
        let others: Vec<String> = rest
            .iter()
            .map(|one| format!("{} ({})", one.entry.meta.version, one.repo.name))
            .collect();
        lines.push(format!("  other versions: {}", others.join(", ")));
    }
    Some(lines)
}
