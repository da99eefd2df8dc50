//! A recipe's `[owners]`: which staged paths belong to which user and group.
//!
//! ```toml
//! [owners]
//! "var/lib/hello" = "hello:hello"
//! "var/lib/hello/**" = "hello"          # a user alone means its group of the same name
//! "usr/libexec/hello/*-helper" = "root:hello"
//! ```
//!
//! Patterns are globs over root-relative paths: `*` and `?` stay inside one path component,
//! `**` matches any number of them, `[…]` a set of characters. Every other path is `root:root`.
//! When several patterns match a path, the longest pattern wins. A pattern that matches no
//! staged path is an error, so a typo cannot pass unnoticed.
#![forbid(unsafe_code)]

use std::collections::BTreeMap;

use anyhow::{bail, Result};
use glob::{MatchOptions, Pattern};

use crate::manifest::{Entry, EntryKind};
use crate::recipe::Directory;
use crate::version::valid_name;

/// One `pattern = "user[:group]"` line.
#[derive(Debug, Clone)]
pub struct OwnerRule {
    pub pattern: Pattern,
    pub owner: String,
    pub group: String,
}

impl PartialEq for OwnerRule {
    fn eq(&self, other: &Self) -> bool {
        self.pattern.as_str() == other.pattern.as_str()
            && self.owner == other.owner
            && self.group == other.group
    }
}

impl Eq for OwnerRule {}

const OPTIONS: MatchOptions = MatchOptions {
    case_sensitive: true,
    require_literal_separator: true,
    require_literal_leading_dot: false,
};

/// Parses one rule; the error says what is wrong with it.
pub fn parse_rule(pattern: &str, spec: &str) -> Result<OwnerRule, String> {
    if pattern.is_empty() || pattern.starts_with('/') || pattern.split('/').any(|c| c == "..") {
        return Err(format!(
            "`{pattern}`: a pattern is a path relative to the root, without `..`"
        ));
    }
    let compiled = Pattern::new(pattern).map_err(|error| format!("`{pattern}`: {error}"))?;
    let (owner, group) = spec.split_once(':').unwrap_or((spec, spec));
    for name in [owner, group] {
        if !valid_name(name) || name.len() > 32 {
            return Err(format!(
                "`{spec}`: expected `user:group` or `user`, with valid names"
            ));
        }
    }
    Ok(OwnerRule {
        pattern: compiled,
        owner: owner.to_owned(),
        group: group.to_owned(),
    })
}

/// Parses a recipe's `[owners]` table; errors name the pattern.
pub fn parse(table: &BTreeMap<String, String>) -> Result<Vec<OwnerRule>, (String, String)> {
    table
        .iter()
        .map(|(pattern, spec)| {
            parse_rule(pattern, spec).map_err(|problem| (format!("owners.\"{pattern}\""), problem))
        })
        .collect()
}

/// Gives every entry the owner and group of the longest rule that matches its path.
pub fn apply(rules: &[OwnerRule], entries: &mut [Entry]) -> Result<()> {
    let mut used = vec![false; rules.len()];
    for entry in entries.iter_mut() {
        let best = rules
            .iter()
            .enumerate()
            .filter(|(_, rule)| rule.pattern.matches_with(&entry.path, OPTIONS))
            .max_by_key(|(_, rule)| rule.pattern.as_str().len());
        if let Some((index, rule)) = best {
            used[index] = true;
            entry.owner.clone_from(&rule.owner);
            entry.group.clone_from(&rule.group);
        }
    }
    for (rule, used) in rules.iter().zip(used) {
        if !used {
            bail!(
                "owners: the pattern `{}` matches no staged path",
                rule.pattern.as_str()
            );
        }
    }
    Ok(())
}

/// Gives staged directories that the recipe also declares (`[[install.directory]]`) the
/// declared mode, owner and group, so that the manifest agrees with what installing makes.
pub fn apply_directories(directories: &[Directory], entries: &mut [Entry]) {
    for entry in entries
        .iter_mut()
        .filter(|e| matches!(e.kind, EntryKind::Dir))
    {
        if let Some(dir) = directories.iter().find(|d| d.path == entry.path) {
            entry.mode = dir.mode;
            entry.owner.clone_from(&dir.owner);
            entry.group.clone_from(&dir.group);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str) -> Entry {
        Entry {
            path: path.into(),
            kind: EntryKind::Dir,
            mode: 0o755,
            owner: "root".into(),
            group: "root".into(),
        }
    }

    #[test]
    fn longest_pattern_wins_and_star_stays_in_a_component() {
        let rules = vec![
            parse_rule("var/lib/web/**", "web").unwrap(),
            parse_rule("var/lib/web/public/*", "root:web").unwrap(),
            parse_rule("var/lib/web", "web:web").unwrap(),
        ];
        let mut entries = vec![
            entry("var/lib/web"),
            entry("var/lib/web/db"),
            entry("var/lib/web/public/index"),
            entry("var/lib/web/public/a/b"),
            entry("var/lib/other"),
        ];
        apply(&rules, &mut entries).unwrap();
        let owners: Vec<String> = entries
            .iter()
            .map(|e| format!("{}:{}", e.owner, e.group))
            .collect();
        assert_eq!(
            owners,
            ["web:web", "web:web", "root:web", "web:web", "root:root"]
        );
    }

    #[test]
    fn bad_rules_and_unused_patterns_are_errors() {
        assert!(parse_rule("/etc", "a").is_err());
        assert!(parse_rule("a/../b", "a").is_err());
        assert!(parse_rule("a", "a:b:c").is_err());
        assert!(parse_rule("a", "").is_err());
        let rules = vec![parse_rule("usr/typo", "web").unwrap()];
        let error = apply(&rules, &mut [entry("usr")]).unwrap_err();
        assert!(error.to_string().contains("usr/typo"), "{error}");
    }
}
