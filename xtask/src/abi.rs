//! The conformance comparison: the `case ...` lines that `abi-tests` prints inside Basalt must equal those of a
//! native run on the host's Linux kernel, case by case.

use crate::results::Counts;
use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;

/// The outcome of comparing one Basalt run with Linux.
pub struct Comparison {
    /// One test per case: passed when Basalt printed exactly what Linux printed.
    pub counts: Counts,
    /// Human-readable differences.
    pub differences: Vec<String>,
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
pub fn compare_with_host(basalt_log: &str) -> Result<Comparison> {
    let linux = case_lines(&host_run()?);
    if linux.is_empty() {
        bail!("the native run printed no cases");
    }
    Ok(compare(&linux, &case_lines(basalt_log)))
}

/// Case-by-case comparison; a case missing from Basalt's output counts as a failure.
pub fn compare(linux: &BTreeMap<String, String>, basalt: &BTreeMap<String, String>) -> Comparison {
    let mut counts = Counts::default();
    let mut differences = Vec::new();
    for (name, expected) in linux {
        match basalt.get(name) {
            Some(got) if got == expected => counts.record(true),
            Some(got) => {
                counts.record(false);
                differences.push(format!("{name}: Linux `{expected}`, Basalt `{got}`"));
            }
            None => {
                counts.record(false);
                differences.push(format!(
                    "{name}: Linux `{expected}`, Basalt printed nothing"
                ));
            }
        }
    }
    Comparison {
        counts,
        differences,
    }
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
        let c = compare(&linux, &basalt);
        assert_eq!((c.counts.passed, c.counts.failed), (1, 2));
        assert_eq!(c.differences.len(), 2);
    }
}
