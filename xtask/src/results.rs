//! Counting test results: `cargo test` summaries and the kernel's `ktest:` lines.

use regex::Regex;
use std::sync::LazyLock;

/// Passed and failed test counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Tests that passed.
    pub passed: u64,
    /// Tests that failed.
    pub failed: u64,
}

impl Counts {
    /// Adds another tally to this one.
    pub fn add(&mut self, other: Counts) {
        self.passed = self.passed.saturating_add(other.passed);
        self.failed = self.failed.saturating_add(other.failed);
    }

    /// Records one outcome.
    pub fn record(&mut self, passed: bool) {
        if passed {
            self.passed = self.passed.saturating_add(1);
        } else {
            self.failed = self.failed.saturating_add(1);
        }
    }
}

static CARGO_RESULT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"test result: (?:ok|FAILED)\. (\d+) passed; (\d+) failed;").expect("valid regex")
});
static KTEST_CASE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"ktest: (\S.*?) \.\.\. (ok|FAILED)\s*$").expect("valid regex"));
static KTEST_DONE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"ktest: done, (\d+) passed, (\d+) failed").expect("valid regex"));

/// Sums every `test result: ok. N passed; M failed; ...` line of `cargo test`
/// output. A count too large for u64 counts as one failure rather than vanishing.
pub fn parse_cargo_test_output(output: &str) -> Counts {
    let mut total = Counts::default();
    for captures in CARGO_RESULT.captures_iter(output) {
        match (captures[1].parse::<u64>(), captures[2].parse::<u64>()) {
            (Ok(passed), Ok(failed)) => total.add(Counts { passed, failed }),
            _ => total.record(false),
        }
    }
    total
}

/// What the kernel's in-kernel test run printed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct KtestReport {
    /// Each `ktest: <name> ... ok|FAILED` line: (name, passed).
    pub cases: Vec<(String, bool)>,
    /// The counts of the final `ktest: done, N passed, M failed` line, if seen.
    pub done: Option<Counts>,
}

impl KtestReport {
    /// Tally of the individual case lines.
    pub fn case_counts(&self) -> Counts {
        let mut counts = Counts::default();
        for (_, passed) in &self.cases {
            counts.record(*passed);
        }
        counts
    }

    /// Problems with the run as a whole (missing or inconsistent summary).
    pub fn problems(&self) -> Vec<String> {
        let counted = self.case_counts();
        match self.done {
            None => vec!["missing the final `ktest: done, N passed, M failed` line".to_owned()],
            Some(done) if done != counted => vec![format!(
                "kernel reported {} passed, {} failed, but the log shows {} ok and {} FAILED lines",
                done.passed, done.failed, counted.passed, counted.failed
            )],
            Some(_) => Vec::new(),
        }
    }
}

/// Parses the `ktest:` lines of a serial log.
pub fn parse_ktest_log(log: &str) -> KtestReport {
    let mut report = KtestReport::default();
    for line in log.lines() {
        if let Some(captures) = KTEST_DONE.captures(line) {
            report.done = match (captures[1].parse::<u64>(), captures[2].parse::<u64>()) {
                (Ok(passed), Ok(failed)) => Some(Counts { passed, failed }),
                _ => None,
            };
        } else if let Some(captures) = KTEST_CASE.captures(line) {
            report
                .cases
                .push((captures[1].to_owned(), &captures[2] == "ok"));
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_cargo_result_lines() {
        let output = "\
running 3 tests
test a ... ok
test result: ok. 3 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s

test result: FAILED. 5 passed; 2 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.10s
   Doc-tests basalt_x
test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s
";
        assert_eq!(
            parse_cargo_test_output(output),
            Counts {
                passed: 8,
                failed: 2
            }
        );
    }

    #[test]
    fn compile_errors_have_no_result_lines() {
        let output =
            "error[E0425]: cannot find value `x` in this scope\nerror: could not compile `y`";
        assert_eq!(parse_cargo_test_output(output), Counts::default());
    }

    #[test]
    fn overflowing_counts_become_a_failure() {
        let output = "test result: ok. 99999999999999999999999 passed; 0 failed;";
        assert_eq!(
            parse_cargo_test_output(output),
            Counts {
                passed: 0,
                failed: 1
            }
        );
    }

    #[test]
    fn parses_ktest_cases_and_summary() {
        let log = "\
[    0.01] booting
ktest: buddy::split ... ok
ktest: slab::free_twice ... FAILED
  assertion failed at kernel/src/slab.rs:10
ktest: tricky ... name ... ok
ktest: done, 2 passed, 1 failed
";
        let report = parse_ktest_log(log);
        assert_eq!(
            report.cases,
            [
                ("buddy::split".to_owned(), true),
                ("slab::free_twice".to_owned(), false),
                ("tricky ... name".to_owned(), true)
            ]
        );
        assert_eq!(
            report.done,
            Some(Counts {
                passed: 2,
                failed: 1
            })
        );
        assert_eq!(
            report.case_counts(),
            Counts {
                passed: 2,
                failed: 1
            }
        );
        assert!(report.problems().is_empty());
    }

    #[test]
    fn ktest_problems() {
        let missing_done = parse_ktest_log("ktest: a ... ok\n");
        assert_eq!(missing_done.problems().len(), 1);
        assert!(missing_done.problems()[0].contains("missing"));

        let inconsistent = parse_ktest_log("ktest: a ... ok\nktest: done, 3 passed, 0 failed\n");
        assert!(inconsistent.problems()[0].contains("3 passed"));

        let empty = parse_ktest_log("");
        assert_eq!(empty, KtestReport::default());
    }

    #[test]
    fn ignores_lines_that_only_look_similar() {
        let report = parse_ktest_log(
            "ktest:  ... ok\nktest: x ... okay\nnot ktest: y\nktest: z ... FAILED  \n",
        );
        assert_eq!(report.cases, [("z".to_owned(), false)]);
    }

    #[test]
    fn counts_accumulate() {
        let mut counts = Counts::default();
        counts.record(true);
        counts.record(false);
        counts.add(Counts {
            passed: 3,
            failed: 4,
        });
        assert_eq!(
            counts,
            Counts {
                passed: 4,
                failed: 5
            }
        );
    }
}
