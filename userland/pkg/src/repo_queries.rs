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
    lines.extend(relation_and_action_lines(meta));
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

/// The lines `pkg info` shows for a package's homepage, relations, optional dependencies,
/// configuration files and install actions (users, directories, triggers), indented.
pub fn relation_and_action_lines(meta: &crate::recipe::Metadata) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(homepage) = &meta.homepage {
        lines.push(format!("  homepage: {homepage}"));
    }
    for (label, list) in [
        ("depends", &meta.depends),
        ("provides", &meta.provides),
        ("conflicts", &meta.conflicts),
        ("replaces", &meta.replaces),
        ("config files", &meta.config),
    ] {
        if !list.is_empty() {
            lines.push(format!("  {label}: {}", list.join(", ")));
        }
    }
    for (name, why) in &meta.optional {
        lines.push(format!("  optional: {name} ({why})"));
    }
    let install = &meta.install;
    for user in &install.users {
        let uid = user
            .uid
            .map_or("a free system id".to_owned(), |uid| uid.to_string());
        lines.push(format!("  creates user: {} (uid {uid})", user.name));
    }
    for dir in &install.directories {
        lines.push(format!(
            "  creates directory: /{} ({:o} {}:{})",
            dir.path, dir.mode, dir.owner, dir.group
        ));
    }
    for trigger in &install.triggers {
        lines.push(format!(
            "  trigger: {} on changes under {}",
            trigger.action,
            trigger.paths.join(", ")
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::IndexEntry;
    use crate::recipe::{Metadata, Privacy};
    use crate::repos_config::Repo;

    fn entry(name: &str, version: &str, summary: &str, provides: &[&str]) -> IndexEntry {
        IndexEntry {
            meta: Metadata {
                name: name.into(),
                version: version.into(),
                summary: summary.into(),
                license: "MIT".into(),
                homepage: None,
                arch: "x86_64".into(),
                privacy: Privacy::Telemetry,
                depends: vec!["libc".into()],
                provides: provides.iter().map(|s| s.to_string()).collect(),
                conflicts: Vec::new(),
                replaces: Vec::new(),
                optional: Default::default(),
                config: Vec::new(),
                install: Default::default(),
            },
            file: format!("{name}-{version}.pkg"),
            size: 10,
            sha256: "0".repeat(64),
            header_sha256: "1".repeat(64),
            signer: "k".into(),
            source: false,
        }
    }

    fn repo(name: &str, priority: i32) -> Repo {
        Repo {
            name: name.into(),
            urls: vec!["/x".into()],
            priority,
            ca: None,
        }
    }

    #[test]
    fn search_matches_names_provides_and_summaries_once_per_name() {
        let entries = [
            entry("busybox", "1.36-1", "tiny tools", &["sh = 1.0"]),
            entry("editor", "2.0-1", "A text EDITOR", &[]),
            entry("editor", "1.0-1", "old", &[]),
            entry("zsh", "5.9-1", "a shell", &[]),
        ];
        let main = repo("main", 0);
        let available: Vec<Available> = entries
            .iter()
            .map(|entry| Available { entry, repo: &main })
            .collect();
        let installed: Installed = [("editor".to_string(), "1.0-1".to_string())].into();
        let found = search(&available, &installed, "sh");
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].starts_with("busybox 1.36-1 (main)"), "{found:?}");
        assert!(found[1].starts_with("zsh"), "{found:?}");
        // An older version's summary matching shows the preferred version once.
        let found = search(&available, &installed, "old");
        assert_eq!(
            found,
            ["editor 2.0-1 (main) [installed 1.0-1] - A text EDITOR"]
        );
        let lines = info(&available, &installed, "editor").unwrap();
        assert!(lines.contains(&"  depends: libc".to_string()), "{lines:?}");
        assert!(
            lines.contains(&"  installed: 1.0-1".to_string()),
            "{lines:?}"
        );
        assert!(
            lines.contains(&"  other versions: 1.0-1 (main)".to_string()),
            "{lines:?}"
        );
        assert!(lines[3].contains("privacy: telemetry"), "{lines:?}");
        assert!(info(&available, &installed, "nano").is_none());
    }
}
