//! Indexes for measuring the solver: a generated one of Debian's size, and Debian's own
//! `Packages` lists converted to Basalt metadata, so that the same request can be resolved by
//! `pkg` and simulated by `apt-get install -s` side by side.
#![forbid(unsafe_code)]

use std::collections::HashSet;

use crate::recipe::{Metadata, Privacy};
use crate::version::Dependency;

/// Metadata with the fields the solver reads; the rest filled with valid placeholders.
pub fn metadata(name: String, version: String, summary: String, arch: &str) -> Metadata {
    Metadata {
        name,
        version,
        summary,
        license: "unknown".into(),
        homepage: None,
        arch: arch.into(),
        privacy: Privacy::None,
        depends: Vec::new(),
        provides: Vec::new(),
        conflicts: Vec::new(),
        replaces: Vec::new(),
        optional: Default::default(),
        config: Vec::new(),
        install: Default::default(),
    }
}

/// A deterministic Debian-shaped index: `count` names with two versions each, a few versioned
/// dependencies on lower-numbered packages, some virtual provides and conflicts; and a request
/// of `requests` names from its upper half. The same arguments always give the same index.
pub fn generated(count: usize, requests: usize) -> (Vec<Metadata>, Vec<String>) {
    // xorshift: small, deterministic, good enough to spread dependencies.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |limit: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % limit.max(1) as u64) as usize
    };
    let mut packages = Vec::with_capacity(count * 2);
    for index in 0..count {
        for version in 1..=2 {
            let mut meta = metadata(
                format!("p{index}"),
                format!("1.{version}-1"),
                "generated".into(),
                "x86_64",
            );
            if index > 10 {
                for _ in 0..next(5) {
                    meta.depends.push(format!("p{} >= 1", next(index)));
                }
                if next(20) == 0 {
                    meta.depends.push(format!("virtual{}", next(50)));
                }
                if next(200) == 0 {
                    meta.conflicts.push(format!("p{} < 1.1", next(index)));
                }
            }
            if index % 97 == 0 {
                meta.provides.push(format!("virtual{}", index % 50));
            }
            packages.push(meta);
        }
    }
    let request = (0..requests)
        .map(|_| format!("p{}", count / 2 + next(count / 2)))
        .collect();
    (packages, request)
}

/// Debian packages converted from `Packages` text, with what the conversion had to drop.
pub struct Converted {
    pub packages: Vec<Metadata>,
    /// Each package's `Priority` field, in the order of `packages`.
    pub priorities: Vec<String>,
    /// Paragraphs left out because some field has no Basalt equivalent.
    pub skipped: usize,
    /// Why the first few were left out (package: field: problem).
    pub examples: Vec<String>,
    /// Relations left out because Basalt's grammar cannot say them.
    pub dropped_relations: usize,
}

/// Converts Debian `Packages` paragraphs to metadata. Basalt dependencies have no
/// alternatives, so `a | b` keeps `a` (what apt tries first); `Breaks` count as conflicts;
/// `Replaces` are left out (in Debian they only allow overwriting files, they do not exclude);
/// `>>`/`<<` become `>`/`<`; architecture qualifiers (`:any`) are dropped. A paragraph any of
/// whose fields still does not validate is skipped and counted.
pub fn from_debian(text: &str) -> Converted {
    let mut converted = Converted {
        packages: Vec::new(),
        priorities: Vec::new(),
        skipped: 0,
        examples: Vec::new(),
        dropped_relations: 0,
    };
    // Names that exist (packages and what they provide), to choose among alternatives.
    let mut known: HashSet<&str> = HashSet::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("Package:") {
            known.insert(name.trim());
        } else if let Some(list) = line.strip_prefix("Provides:") {
            known.extend(
                list.split(',')
                    .filter_map(|item| item.split('(').next())
                    .map(str::trim),
            );
        }
    }
    for paragraph in text.split("\n\n") {
        let field = |name: &str| {
            paragraph.lines().find_map(|line| {
                line.strip_prefix(name)
                    .and_then(|rest| rest.strip_prefix(':'))
                    .map(str::trim)
            })
        };
        let (Some(name), Some(version)) = (field("Package"), field("Version")) else {
            continue;
        };
        let arch = match field("Architecture") {
            Some("all") => "any",
            Some("amd64") => "x86_64",
            _ => {
                converted.skipped += 1;
                continue;
            }
        };
        let summary = field("Description").unwrap_or("").to_owned();
        let mut meta = metadata(
            name.to_owned(),
            version.to_owned(),
            if summary.is_empty() {
                "(none)".into()
            } else {
                summary
            },
            arch,
        );
        let mut dropped = 0;
        let mut relations_of = |list: &str| {
            let all = field(list)
                .map(|text| relations(text, &known))
                .unwrap_or_default();
            let count = all.len();
            let kept: Vec<String> = all
                .into_iter()
                .filter(|text| text.parse::<Dependency>().is_ok())
                .collect();
            dropped += count - kept.len();
            kept
        };
        for list in ["Pre-Depends", "Depends"] {
            meta.depends.extend(relations_of(list));
        }
        meta.provides = relations_of("Provides");
        for list in ["Conflicts", "Breaks"] {
            meta.conflicts.extend(relations_of(list));
        }
        converted.dropped_relations += dropped;
        if let Err((field, problem)) = meta.validate() {
            if converted.examples.len() < 5 {
                converted
                    .examples
                    .push(format!("{name}: {field}: {problem}"));
            }
            converted.skipped += 1;
            continue;
        }
        converted
            .priorities
            .push(field("Priority").unwrap_or("optional").to_owned());
        converted.packages.push(meta);
    }
    converted
}

/// A Debian relation list (`a (>= 1) | b, c:any`) as Basalt dependency strings; of
/// alternatives, the first whose name is `known` (else the first).
fn relations(list: &str, known: &HashSet<&str>) -> Vec<String> {
    let name_of = |alternative: &str| {
        let name = alternative.split('(').next().unwrap_or("");
        name.split(':').next().unwrap_or("").trim().to_owned()
    };
    list.split(',')
        .filter_map(|item| {
            let first = item
                .split('|')
                .find(|alternative| known.contains(name_of(alternative).as_str()))
                .or_else(|| item.split('|').next())?
                .trim();
            let (name, rest) = match first.find('(') {
                Some(open) => (
                    first[..open].trim(),
                    first[open + 1..].trim_end_matches(')'),
                ),
                None => (first, ""),
            };
            let name = name.split(':').next()?.trim();
            if name.is_empty() {
                return None;
            }
            let mut bound = rest.trim().replacen(">>", ">", 1).replacen("<<", "<", 1);
            // In Debian a bound without a revision compares as revision "" (below `-1`); in
            // Basalt it would match every release, so `>> 2.36` would refuse 2.36-9.
            if !bound.is_empty() && !bound.contains('-') {
                bound.push_str("-0");
            }
            Some(if bound.is_empty() {
                name.to_owned()
            } else {
                format!("{name} {bound}")
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debian_relations_become_basalt_dependencies() {
        assert_eq!(
            relations(
                "libc6 (>= 2.34), perl:any, a (<< 2) | b, x | c (>> 1:2.0-3)",
                &HashSet::from(["c"])
            ),
            ["libc6 >= 2.34-0", "perl", "a < 2-0", "c > 1:2.0-3"]
        );
    }

    #[test]
    fn debian_paragraphs_convert_and_bad_ones_are_counted() {
        let text = "Package: hello\nVersion: 2.10-3\nArchitecture: amd64\nPriority: optional\n\
                    Depends: libc6 (>= 2.34), odd (>= 1-2-3), Bad_Dep\nBreaks: hello-old (<< 2)\nReplaces: hello-old\n\
                    Description: example package\n more text\n\n\
                    Package: Bad_Name\nVersion: 1.0\nArchitecture: all\n\n\
                    Package: other-arch\nVersion: 1.0\nArchitecture: arm64\n";
        let converted = from_debian(text);
        assert_eq!(converted.skipped, 2);
        assert_eq!(converted.dropped_relations, 1);
        let [hello] = converted.packages.as_slice() else {
            panic!("one package expected");
        };
        assert_eq!(hello.version, "2.10-3");
        assert_eq!(hello.arch, "x86_64");
        assert_eq!(hello.depends, ["libc6 >= 2.34-0", "odd >= 1-2-3"]);
        assert_eq!(hello.conflicts, ["hello-old < 2-0"]);
        assert!(hello.replaces.is_empty());
        assert_eq!(converted.priorities, ["optional"]);
    }

    #[test]
    fn generated_indexes_are_deterministic() {
        let (a, ra) = generated(200, 10);
        let (b, rb) = generated(200, 10);
        assert_eq!(a, b);
        assert_eq!(ra, rb);
        assert_eq!(a.len(), 400);
    }
}
