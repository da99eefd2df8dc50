//! The conformance comparison: the `case ...` lines that `abi-tests` prints inside Basalt must equal those of a
//! native run on the host's Linux kernel, case by case.

use crate::results::Counts;
use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;

/// The outcome of comparing one Basalt run with Linux.
pub struct Comparison {
    /// One test per case: passed when Basalt printed exactly what Linux printed; a listed known difference is
    /// neither passed nor failed.
    pub counts: Counts,
    /// Cases that differ and are listed in `tests/abi/known-differences.txt`.
    pub known: usize,
    /// Human-readable differences that are not known (failures).
    pub differences: Vec<String>,
    /// Listed cases that match now (their lines should go).
    pub now_matching: Vec<String>,
}

/// Case names listed in tests/abi/known-differences.txt (comments after `#`, blank lines ignored).
pub fn known_differences(text: &str) -> std::collections::BTreeSet<String> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `case <name>: <text>` lines by name.
pub fn case_lines(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim_end_matches('\r');
            let start = line.find("case ")?;
            let rest = &line[start + 5..];
            let (name, result) = rest.split_once(": ")?;
            Some((name.to_owned(), result.to_owned()))
        })
        .collect()
}

/// Run the suite natively (in a fresh temporary directory, as it creates files in its working directory).
fn host_run() -> Result<String> {
    let binary = crate::programs::build_abi_tests()?;
    let dir = std::env::temp_dir().join(format!("basalt-abi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let output = std::process::Command::new(&binary)
        .current_dir(&dir)
        .output()
        .with_context(|| format!("running {}", binary.display()));
    let _ = std::fs::remove_dir_all(&dir);
    let output = output?;
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Compare Basalt's serial log with a native run.
pub fn compare_with_host(paths: &crate::paths::Paths, basalt_log: &str) -> Result<Comparison> {
    let linux = case_lines(&host_run()?);
    if linux.is_empty() {
        bail!("the native run printed no cases");
    }
    let list_path = paths.root().join("tests/abi/known-differences.txt");
    let list = std::fs::read_to_string(&list_path).unwrap_or_default();
    Ok(compare(
        &linux,
        &case_lines(basalt_log),
        &known_differences(&list),
    ))
}

/// Case-by-case comparison; a case missing from Basalt's output counts as a failure unless it is a known difference.
pub fn compare(
    linux: &BTreeMap<String, String>,
    basalt: &BTreeMap<String, String>,
    known: &std::collections::BTreeSet<String>,
) -> Comparison {
    let mut c = Comparison {
        counts: Counts::default(),
        known: 0,
        differences: Vec::new(),
        now_matching: Vec::new(),
    };
    for (name, expected) in linux {
        let got = basalt.get(name);
        if got == Some(expected) {
            c.counts.record(true);
            if known.contains(name) {
                c.now_matching.push(name.clone());
            }
            continue;
        }
        if known.contains(name) {
            c.known += 1;
            continue;
        }
        c.counts.record(false);
        c.differences.push(match got {
            Some(got) => format!("{name}: Linux `{expected}`, Basalt `{got}`"),
            None => format!("{name}: Linux `{expected}`, Basalt printed nothing"),
        });
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_case_lines_with_serial_noise() {
        let log = "[ 0.1] boot\r\ncase fork.basic: ok\r\ncase pipe.eof: read 0\nabi: 2 cases\n";
        let cases = case_lines(log);
        assert_eq!(cases.len(), 2);
        assert_eq!(cases["fork.basic"], "ok");
        assert_eq!(cases["pipe.eof"], "read 0");
    }

    #[test]
    fn differences_and_missing_cases_fail() {
        let linux = case_lines("case a: 1\ncase b: 2\ncase c: 3\n");
        let basalt = case_lines("case a: 1\ncase b: 5\n");
        let c = compare(&linux, &basalt, &Default::default());
        assert_eq!((c.counts.passed, c.counts.failed), (1, 2));
        assert_eq!(c.differences.len(), 2);
    }

    #[test]
    fn known_differences_are_neither_passed_nor_failed() {
        let linux = case_lines("case a: 1\ncase b: 2\ncase c: 3\n");
        let basalt = case_lines("case a: 1\ncase b: 5\ncase c: 3\n");
        let known = known_differences("# comment\nb\n\nc # fixed since\n");
        let c = compare(&linux, &basalt, &known);
        assert_eq!((c.counts.passed, c.counts.failed, c.known), (2, 0, 1));
        assert_eq!(c.now_matching, vec!["c".to_string()]);
    }
}
