//! Checking every package of a loaded index as `Metadata::validate` would, without building
//! the metadata: the expensive checks (parsing versions and relations) run once per distinct
//! string, since thousands of packages share the same `libc6 >= 2.34` or version.
//!
//! This mirrors `Metadata::validate` for the fields almost every package has (the test
//! `mirrors_metadata_validate` compares the two on bad values); a package with optional
//! dependencies, config files or install actions is checked by `Metadata::validate` itself.
#![forbid(unsafe_code)]

use crate::index::encoding::{IndexView, List};
use crate::version::{valid_name, Dependency, Op, Version};

/// A package that does not validate: its name, the field and what is wrong.
pub struct Invalid {
    pub package: String,
    pub field: String,
    pub problem: String,
}

/// What is known about one string, as flags.
const CHECKED_VERSION: u8 = 1;
const GOOD_VERSION: u8 = 2;
const CHECKED_RELATION: u8 = 4;
const GOOD_RELATION: u8 = 8;
const CHECKED_PROVIDE: u8 = 16;
const GOOD_PROVIDE: u8 = 32;

/// Checks every package of `view`; the first bad one is returned.
pub fn check(view: &IndexView) -> Result<(), Invalid> {
    let mut known = vec![0u8; view.ends.len()];
    // Runs `test` on string `id` the first time a check of this kind is asked for.
    let mut memo = |id: u32, checked: u8, good: u8, test: &dyn Fn(&str) -> bool| {
        let flags = &mut known[id as usize];
        if *flags & checked == 0 {
            *flags |= checked | if test(view.string(id)) { good } else { 0 };
        }
        *flags & good != 0
    };
    for (at, record) in view.records.iter().enumerate() {
        let name = view.string(record.name);
        let fail = |field: String, problem: String| Invalid {
            package: name.to_owned(),
            field,
            problem,
        };
        let rare = record.install.is_some()
            || !view.list_ids(at, List::Config).is_empty()
            || !view.list_ids(at, List::Optional).is_empty();
        if rare {
            if let Some(package) = view.package(at) {
                package
                    .meta()
                    .validate()
                    .map_err(|(field, problem)| fail(field, problem))?;
            }
            continue;
        }
        if !valid_name(name) {
            return Err(fail(
                "package.name".into(),
                format!("`{name}` is not a valid package name"),
            ));
        }
        if !memo(record.version, CHECKED_VERSION, GOOD_VERSION, &|text| {
            Version::check(text).is_ok()
        }) {
            let text = view.string(record.version);
            let error = text.parse::<Version>().err().map(|e| e.to_string());
            return Err(fail(
                "package.version".into(),
                format!("`{text}`: {}", error.unwrap_or_default()),
            ));
        }
        let summary = view.string(record.summary);
        if summary.trim().is_empty() || summary.contains('\n') {
            return Err(fail(
                "package.summary".into(),
                "must be one non-empty line".into(),
            ));
        }
        if view.string(record.license).trim().is_empty() {
            return Err(fail("package.license".into(), "must not be empty".into()));
        }
        if let Some(homepage) = record.homepage.map(|id| view.string(id)) {
            if !(homepage.starts_with("https://") || homepage.starts_with("http://")) {
                return Err(fail(
                    "package.homepage".into(),
                    format!("`{homepage}` is not an http(s) URL"),
                ));
            }
        }
        let arch = view.string(record.arch);
        if !matches!(arch, "x86_64" | "any") {
            return Err(fail(
                "package.arch".into(),
                format!("`{arch}`: expected `x86_64` or `any`"),
            ));
        }
        for (field, list) in [
            ("package.depends", List::Depends),
            ("package.provides", List::Provides),
            ("package.conflicts", List::Conflicts),
            ("package.replaces", List::Replaces),
        ] {
            for (index, &id) in view.list_ids(at, list).iter().enumerate() {
                if !memo(id, CHECKED_RELATION, GOOD_RELATION, &|text| {
                    Dependency::check(text).is_ok()
                }) {
                    let error = view.string(id).parse::<Dependency>().err();
                    return Err(fail(
                        format!("{field}[{index}]"),
                        error.map(|e| e.to_string()).unwrap_or_default(),
                    ));
                }
            }
        }
        for (index, &id) in view.list_ids(at, List::Provides).iter().enumerate() {
            if !memo(id, CHECKED_PROVIDE, GOOD_PROVIDE, &|text| {
                let mut bounds = 0;
                let mut all_equal = true;
                let parsed = Dependency::check_with(text, |op| {
                    bounds += 1;
                    all_equal &= op == Op::Equal;
                });
                parsed.is_ok() && bounds <= 1 && all_equal
            }) {
                return Err(fail(
                    format!("package.provides[{index}]"),
                    "a provide is `name` or `name = version`".into(),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench;
    use crate::index::{encoding, Index, IndexEntry};
    use crate::recipe::Metadata;

    fn view_of(meta: Metadata) -> IndexView {
        let index = Index {
            time: 0,
            packages: vec![IndexEntry {
                meta,
                file: "x.pkg".into(),
                size: 0,
                sha256: String::new(),
                header_sha256: String::new(),
                signer: String::new(),
                source: false,
            }],
        };
        encoding::decode(encoding::encode(&index).unwrap()).unwrap()
    }

    #[test]
    fn mirrors_metadata_validate() {
        let (packages, _) = bench::generated(20, 1);
        let good = packages[30].clone();
        assert!(good.validate().is_ok() && check(&view_of(good.clone())).is_ok());
        type Change = Box<dyn Fn(&mut Metadata)>;
        let changes: Vec<Change> = vec![
            Box::new(|m| m.name = "Bad".into()),
            Box::new(|m| m.version = "x1".into()),
            Box::new(|m| m.version = "1.0:2".into()),
            Box::new(|m| m.summary = " ".into()),
            Box::new(|m| m.summary = "two\nlines".into()),
            Box::new(|m| m.license = "".into()),
            Box::new(|m| m.homepage = Some("ftp://x".into())),
            Box::new(|m| m.arch = "arm64".into()),
            Box::new(|m| m.depends.push("lib >= !".into())),
            Box::new(|m| m.conflicts.push("Lib".into())),
            Box::new(|m| m.replaces.push("lib ~ 1".into())),
            Box::new(|m| m.provides.push("sh >= 1".into())),
            Box::new(|m| m.provides.push("sh = 1, = 2".into())),
            Box::new(|m| m.provides.push("sh = !".into())),
            Box::new(|m| m.config.push("/etc/abs".into())),
            Box::new(|m| {
                m.optional.insert("Doc".into(), "why".into());
            }),
        ];
        for change in changes {
            let mut bad = good.clone();
            change(&mut bad);
            let expected = bad
                .validate()
                .expect_err("changed metadata must be invalid");
            let found = check(&view_of(bad.clone()))
                .err()
                .map(|i| (i.field, i.problem));
            assert_eq!(found, Some(expected), "{bad:?}");
        }
    }
}
