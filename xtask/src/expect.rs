//! Checking a serial log against what a scenario expects.

use regex::Regex;
use std::fmt;

/// Something to look for in a serial log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pattern {
    /// A plain substring.
    Text(&'static str),
    /// A regular expression (regex crate syntax) searched in the whole log;
    /// use `(?m)` for `^`/`$` per line and `(?s)` to let `.` cross lines
    /// (e.g. to require one line before another).
    Regex(&'static str),
}

impl Pattern {
    /// Whether the log contains the pattern.
    pub fn is_found_in(&self, log: &str) -> Result<bool, regex::Error> {
        match self {
            Self::Text(text) => Ok(log.contains(text)),
            Self::Regex(source) => Ok(Regex::new(source)?.is_match(log)),
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text(text) => write!(f, "{text:?}"),
            Self::Regex(source) => write!(f, "regex /{source}/"),
        }
    }
}

/// Every reason a log does not satisfy `expected` and `forbidden`; empty = ok.
pub fn check_log(log: &str, expected: &[Pattern], forbidden: &[Pattern]) -> Vec<String> {
    let mut problems = Vec::new();
    for pattern in expected {
        match pattern.is_found_in(log) {
            Ok(true) => {}
            Ok(false) => problems.push(format!("missing {pattern}")),
            Err(error) => problems.push(format!("bad pattern {pattern}: {error}")),
        }
    }
    for pattern in forbidden {
        match pattern.is_found_in(log) {
            Ok(false) => {}
            Ok(true) => problems.push(format!("forbidden {pattern} appeared")),
            Err(error) => problems.push(format!("bad pattern {pattern}: {error}")),
        }
    }
    problems
}

/// Serial output as text: lossy UTF-8 with `\r` removed (the console sends CRLF).
pub fn normalize_serial(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).replace('\r', "")
}

/// The last `count` lines of `log`, for failure reports.
pub fn last_lines(log: &str, count: usize) -> Vec<&str> {
    let lines: Vec<&str> = log.lines().collect();
    let start = lines.len().saturating_sub(count);
    lines.get(start..).map(<[&str]>::to_vec).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "boot\n[0.5] /init started as pid 1 after 812.25 ms\nHello from Basalt /init!\nargv[1]=first\n";

    #[test]
    fn text_and_regex_patterns() {
        assert_eq!(Pattern::Text("argv[1]=first").is_found_in(LOG), Ok(true));
        assert_eq!(Pattern::Text("argv[2]=second").is_found_in(LOG), Ok(false));
        assert_eq!(
            Pattern::Regex(r"/init started .* after [0-9.]+ ms").is_found_in(LOG),
            Ok(true)
        );
        assert_eq!(
            Pattern::Regex(r"after [0-9]+ s\b").is_found_in(LOG),
            Ok(false)
        );
        // Brackets in a Text pattern are literal.
        assert_eq!(Pattern::Text("argv[").is_found_in(LOG), Ok(true));
    }

    #[test]
    fn regex_can_require_order_across_lines() {
        let ordered = Pattern::Regex(r"(?s)boot.*Hello from Basalt");
        let reversed = Pattern::Regex(r"(?s)Hello from Basalt.*boot");
        assert_eq!(ordered.is_found_in(LOG), Ok(true));
        assert_eq!(reversed.is_found_in(LOG), Ok(false));
        assert_eq!(
            Pattern::Regex(r"(?m)^argv\[1\]=first$").is_found_in(LOG),
            Ok(true)
        );
    }

    #[test]
    fn check_log_reports_each_problem() {
        let problems = check_log(
            LOG,
            &[
                Pattern::Text("Hello"),
                Pattern::Text("absent"),
                Pattern::Regex("(unclosed"),
            ],
            &[Pattern::Text("panic"), Pattern::Text("boot")],
        );
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert_eq!(problems[0], "missing \"absent\"");
        assert!(problems[1].starts_with("bad pattern regex /(unclosed/"));
        assert_eq!(problems[2], "forbidden \"boot\" appeared");
        assert!(check_log(LOG, &[Pattern::Text("Hello")], &[Pattern::Text("panic")]).is_empty());
    }

    #[test]
    fn serial_normalization_and_tail() {
        let log = normalize_serial(b"a\r\nb\xff\r\nc\n");
        assert_eq!(log, "a\nb\u{fffd}\nc\n");
        assert_eq!(last_lines(&log, 2), ["b\u{fffd}", "c"]);
        assert_eq!(last_lines(&log, 40).len(), 3);
        assert!(last_lines("", 40).is_empty());
    }
}
