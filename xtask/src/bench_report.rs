//! Reading benchmark results out of serial logs and laying them out as a table.

use regex::Regex;
use std::fmt::Write as _;
use std::sync::LazyLock;

/// Which kernel a log came from (they announce the start of init differently).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    /// Debian's Linux.
    Linux,
    /// Basalt.
    Basalt,
}

/// Known benchmarks in table order, with the row label.
const KNOWN_BENCHMARKS: &[(&str, &str)] = &[
    ("null_syscall", "null_syscall (getppid)"),
    ("pipe_pingpong", "pipe_pingpong (round trip)"),
    ("unix_pingpong", "unix_pingpong (AF_UNIX stream round trip)"),
    ("pipe_throughput", "pipe_throughput (per 64 KiB)"),
    ("fork_exit_wait", "fork_exit_wait"),
    ("fork_exec_wait", "fork_exec_wait"),
    (
        "file_create_write_read_unlink",
        "file_create_write_read_unlink (1 KiB)",
    ),
    (
        "path_walk_stat",
        "path_walk_stat (9-deep stat + missing name)",
    ),
    ("file_read_1mib", "file_read_1mib (per MiB)"),
    ("file_write_1mib", "file_write_1mib (per MiB)"),
];

/// Label of the boot-time row.
pub const BOOT_ROW: &str = "boot: kernel entry → /init";

/// Longest failure reason kept in a table cell.
const MAX_REASON_CHARS: usize = 120;

/// One `bench <name> <iterations> <ns_per_op>` line.
#[derive(Clone, Debug, PartialEq)]
pub struct BenchResult {
    /// Benchmark name.
    pub name: String,
    /// Timed operations.
    pub iterations: u64,
    /// Mean nanoseconds per operation.
    pub ns_per_op: f64,
}

/// What the benchmark program printed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BenchLog {
    /// Results, first line per name, in order.
    pub results: Vec<BenchResult>,
    /// `bench: <name> failed: <reason>` lines, first per name, in order.
    pub failures: Vec<(String, String)>,
    /// `bench: error: <reason>` (the program could not run at all).
    pub error: Option<String>,
    /// `bench: done` was printed.
    pub done: bool,
}

impl BenchLog {
    /// The result for `name`.
    pub fn result(&self, name: &str) -> Option<&BenchResult> {
        self.results.iter().find(|result| result.name == name)
    }

    /// The failure reason for `name`.
    pub fn failure(&self, name: &str) -> Option<&str> {
        self.failures
            .iter()
            .find(|(failed, _)| failed == name)
            .map(|(_, reason)| reason.as_str())
    }
}

static RESULT_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^bench (\S+) ([0-9]+) ([0-9]+(?:\.[0-9]+)?)$").expect("valid regex")
});
static FAILURE_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^bench: (\S+) failed: (.+)$").expect("valid regex"));
static LINUX_INIT_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)^\[\s*([0-9]+\.[0-9]+)\] Run /init as init process$").expect("valid regex")
});
static BASALT_INIT_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)/init started on CPU 0 after ([0-9]+(?:\.[0-9]+)?) ms").expect("valid regex")
});
/// Terminal control sequences (SeaBIOS resets the screen before the kernel starts).
static ESCAPE_SEQUENCE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\x1b(?:\[[0-9;?]*[A-Za-z]|[A-Za-z])").expect("valid regex"));
static PRINTK_TIMESTAMP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\[\s*[0-9]+\.[0-9]+\]\s*").expect("valid regex"));

/// Firmware text that ends without a newline, so the kernel's first line is glued to it.
const FIRMWARE_PREFIX: &str = "Booting from ROM..";

/// A log line without terminal escapes or the firmware text glued to its start.
fn clean_line(line: &str) -> String {
    let line = ESCAPE_SEQUENCE.replace_all(line, "");
    line.trim()
        .trim_start_matches(FIRMWARE_PREFIX)
        .trim_start_matches('.')
        .to_owned()
}

/// The benchmark lines of a serial log (text with `\r` removed).
pub fn parse_bench_log(log: &str) -> BenchLog {
    let mut parsed = BenchLog::default();
    for line in log.lines().map(clean_line) {
        let line = line.as_str();
        if line == "bench: done" {
            parsed.done = true;
        } else if let Some(reason) = line.strip_prefix("bench: error: ") {
            parsed.error.get_or_insert_with(|| reason.to_owned());
        } else if let Some(captures) = RESULT_LINE.captures(line) {
            let (Ok(iterations), Ok(ns_per_op)) = (captures[2].parse(), captures[3].parse()) else {
                continue; // a number too large for its type: not a line the program prints
            };
            if parsed.result(&captures[1]).is_none() {
                parsed.results.push(BenchResult {
                    name: captures[1].to_owned(),
                    iterations,
                    ns_per_op,
                });
            }
        } else if let Some(captures) = FAILURE_LINE.captures(line) {
            if parsed.failure(&captures[1]).is_none() {
                parsed
                    .failures
                    .push((captures[1].to_owned(), captures[2].to_owned()));
            }
        }
    }
    parsed
}

/// Milliseconds from kernel entry to init, as the kernel's log tells it.
///
/// Linux: the printk timestamp of `Run /init as init process`. Basalt: its own
/// `/init started on CPU 0 after X ms` line.
pub fn parse_boot_ms(kernel: Kernel, log: &str) -> Option<f64> {
    let (pattern, scale) = match kernel {
        Kernel::Linux => (&*LINUX_INIT_LINE, 1000.0),
        Kernel::Basalt => (&*BASALT_INIT_LINE, 1.0),
    };
    let value: f64 = pattern.captures(log)?[1].parse().ok()?;
    Some(value * scale)
}

/// How a QEMU run ended, for explanations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunEnd {
    /// QEMU exited by itself (None: killed by a signal).
    Exited(Option<i32>),
    /// Killed after this many seconds.
    TimedOut(u64),
    /// Stopped by us once the log had what we wanted (or a panic).
    Stopped,
}

/// Why a run produced no number: the most telling line of its log.
pub fn explain_missing(log: &str, end: RunEnd) -> String {
    let lines: Vec<String> = log
        .lines()
        .map(|line| PRINTK_TIMESTAMP.replace(&clean_line(line), "").into_owned())
        .filter(|line| !line.is_empty())
        .collect();
    let is_cause = |line: &String| {
        line.starts_with("error: ")
            || line.starts_with("bench: error: ")
            || line.contains("Failed to execute")
            // A program's last words, e.g. Rust's "memory allocation of 64 bytes failed"
            // (but not the benchmark's own per-row failures).
            || (!line.starts_with("bench") && line.contains(" failed"))
    };
    let telling = match lines.iter().position(|line| line.contains("Kernel panic")) {
        // The panic says what stopped the kernel; an error logged before it usually says why.
        Some(panic) => Some(
            match lines[..panic].iter().rev().find(|line| is_cause(line)) {
                Some(cause) => {
                    let message = lines[panic].replace("Kernel panic - not syncing: ", "");
                    format!("{cause} → panic: {message}")
                }
                None => lines[panic].clone(),
            },
        ),
        None => lines
            .iter()
            .find(|line| is_cause(line))
            .or_else(|| {
                lines
                    .iter()
                    .find(|line| line.contains("not implemented: ENOSYS"))
            })
            .cloned(),
    };
    let reason = match (telling, end) {
        (Some(line), _) => line,
        (None, RunEnd::TimedOut(seconds)) => match lines.last() {
            Some(last) => format!("timed out after {seconds} s; last line: {last}"),
            None => format!("timed out after {seconds} s with no output"),
        },
        (None, end) => {
            let how = match end {
                RunEnd::Exited(Some(code)) => format!("QEMU exited with status {code}"),
                RunEnd::Exited(None) => "QEMU was killed by a signal".to_owned(),
                _ => "QEMU was stopped".to_owned(),
            };
            match lines
                .iter()
                .rev()
                .find(|line| !line.starts_with("--- qemu stderr"))
            {
                Some(last) => format!("{how}; last line: {last}"),
                None => format!("{how} with no output"),
            }
        }
    };
    shorten(&reason)
}

/// One line, at most [`MAX_REASON_CHARS`] characters.
fn shorten(text: &str) -> String {
    let single_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if single_line.chars().count() <= MAX_REASON_CHARS {
        return single_line;
    }
    let cut: String = single_line.chars().take(MAX_REASON_CHARS - 1).collect();
    format!("{cut}…")
}

/// A table cell: a time, or why there is none.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// Nanoseconds.
    Nanoseconds(f64),
    /// No number; the reason.
    Unavailable(String),
}

/// Everything known about one kernel's runs.
#[derive(Clone, Debug)]
pub struct KernelResults {
    /// Parsed benchmark lines of the benchmark run.
    pub bench: BenchLog,
    /// Explanation used when the benchmark run has nothing for a row.
    pub bench_problem: String,
    /// Boot time, if the boot run showed it.
    pub boot_ms: Option<f64>,
    /// Explanation used when it did not.
    pub boot_problem: String,
}

impl KernelResults {
    fn boot_cell(&self) -> Cell {
        match self.boot_ms {
            Some(ms) => Cell::Nanoseconds(ms * 1e6),
            None => Cell::Unavailable(self.boot_problem.clone()),
        }
    }

    fn bench_cell(&self, name: &str) -> Cell {
        if let Some(result) = self.bench.result(name) {
            Cell::Nanoseconds(result.ns_per_op)
        } else if let Some(reason) = self.bench.failure(name) {
            Cell::Unavailable(shorten(reason))
        } else {
            Cell::Unavailable(self.bench_problem.clone())
        }
    }
}

/// A table row.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// What was measured.
    pub what: String,
    /// Linux's value.
    pub linux: Cell,
    /// Basalt's value.
    pub basalt: Cell,
}

/// The rows: boot, the known benchmarks, then any other benchmark either log mentions.
pub fn rows(linux: &KernelResults, basalt: &KernelResults) -> Vec<Row> {
    let mut rows = vec![Row {
        what: BOOT_ROW.to_owned(),
        linux: linux.boot_cell(),
        basalt: basalt.boot_cell(),
    }];
    let mut names: Vec<(String, String)> = KNOWN_BENCHMARKS
        .iter()
        .map(|(name, label)| ((*name).to_owned(), (*label).to_owned()))
        .collect();
    for results in [linux, basalt] {
        let mentioned = results
            .bench
            .results
            .iter()
            .map(|result| &result.name)
            .chain(results.bench.failures.iter().map(|(name, _)| name));
        for name in mentioned {
            if !names.iter().any(|(known, _)| known == name) {
                names.push((name.clone(), name.clone()));
            }
        }
    }
    rows.extend(names.into_iter().map(|(name, label)| Row {
        what: label,
        linux: linux.bench_cell(&name),
        basalt: basalt.bench_cell(&name),
    }));
    rows
}

/// The Markdown table `what | Linux | Basalt | Basalt ÷ Linux`.
pub fn render_table(rows: &[Row]) -> String {
    let mut table =
        String::from("| what | Linux | Basalt | Basalt ÷ Linux |\n|---|---:|---:|---:|\n");
    for row in rows {
        let _ = writeln!(
            table,
            "| {} | {} | {} | {} |",
            escape(&row.what),
            escape(&render_cell(&row.linux)),
            escape(&render_cell(&row.basalt)),
            render_ratio(&row.basalt, &row.linux)
        );
    }
    table
}

fn render_cell(cell: &Cell) -> String {
    match cell {
        Cell::Nanoseconds(ns) => format_duration(*ns),
        Cell::Unavailable(reason) => format!("n/a ({reason})"),
    }
}

/// `basalt ÷ linux` with three significant digits, or `n/a`.
fn render_ratio(basalt: &Cell, linux: &Cell) -> String {
    match (basalt, linux) {
        (Cell::Nanoseconds(basalt), Cell::Nanoseconds(linux)) if *linux > 0.0 => {
            format!("{}×", significant(basalt / linux))
        }
        _ => "n/a".to_owned(),
    }
}

/// Markdown cells cannot hold `|`.
fn escape(text: &str) -> String {
    text.replace('|', "\\|")
}

/// A duration with three significant digits, in the smallest unit that keeps it below 1000 (seconds at most).
pub fn format_duration(ns: f64) -> String {
    const UNITS: [(f64, &str); 4] = [(1.0, "ns"), (1e3, "µs"), (1e6, "ms"), (1e9, "s")];
    // Rounding decides the unit: 999.6 ns is "1.00 µs", not "1000 ns".
    let (scale, unit) = UNITS
        .iter()
        .find(|(scale, _)| rounded(ns / scale).0 < 1000.0)
        .copied()
        .unwrap_or((1e9, "s"));
    format!("{} {unit}", significant(ns / scale))
}

/// `value` with three significant digits (at least none after the point: 1234 stays "1234").
fn significant(value: f64) -> String {
    let (_, decimals) = rounded(value);
    format!("{value:.decimals$}")
}

/// `value` rounded to three significant digits, and the number of decimals that takes.
fn rounded(value: f64) -> (f64, usize) {
    let round_to = |decimals: usize| {
        let factor = 10f64.powi(i32::try_from(decimals).unwrap_or(0));
        (value * factor).round() / factor
    };
    let magnitude = value.abs().log10().floor();
    if !magnitude.is_finite() {
        return (value, 2); // 0, infinities and NaN: nothing to round
    }
    // Digits after the point for three significant ones; capped so tiny values stay printable.
    let mut decimals = (2.0 - magnitude).clamp(0.0, 12.0) as usize;
    // Rounding can add a digit (9.996 → 10.00): then one decimal fewer ("10.0").
    let limit = 10f64.powi(3 - i32::try_from(decimals).unwrap_or(0));
    if decimals > 0 && round_to(decimals).abs() >= limit {
        decimals -= 1;
    }
    (round_to(decimals), decimals)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_results_failures_error_and_done() {
        let log = "[    1.0] some kernel line\nbench: start (quick iterations)\n\
                   bench null_syscall 10000 812.5\n\
                   bench: pipe_pingpong failed: pipe2: ENOSYS (Function not implemented)\n\
                   bench fork_exit_wait 50 123456\n\
                   bench null_syscall 1 1.0\n\
                   bench: done\n";
        let parsed = parse_bench_log(log);
        assert_eq!(
            parsed.results,
            [
                BenchResult {
                    name: "null_syscall".into(),
                    iterations: 10_000,
                    ns_per_op: 812.5
                },
                BenchResult {
                    name: "fork_exit_wait".into(),
                    iterations: 50,
                    ns_per_op: 123_456.0
                }
            ]
        );
        assert_eq!(
            parsed.failure("pipe_pingpong"),
            Some("pipe2: ENOSYS (Function not implemented)")
        );
        assert_eq!(parsed.error, None);
        assert!(parsed.done);
    }

    #[test]
    fn ignores_malformed_lines() {
        let log = "bench x 1\nbench x y 1.0\nbench x 1 2.0 extra\nxbench x 1 2.0\n\
                   bench x 99999999999999999999999 1.0\nbench: x failed:\nbench: error: no exec path\n";
        let parsed = parse_bench_log(log);
        assert!(parsed.results.is_empty() && parsed.failures.is_empty() && !parsed.done);
        assert_eq!(parsed.error.as_deref(), Some("no exec path"));
    }

    #[test]
    fn boot_times_from_each_kernel() {
        let linux =
            "[    0.000000] Linux version 6.1.0\n[    2.345678] Run /init as init process\n";
        assert_eq!(parse_boot_ms(Kernel::Linux, linux), Some(2345.678));
        let basalt =
            "[    0.033561] /init started on CPU 0 after 33.514 ms (kernel entry to init)\n";
        assert_eq!(parse_boot_ms(Kernel::Basalt, basalt), Some(33.514));
        assert_eq!(parse_boot_ms(Kernel::Linux, basalt), None);
        assert_eq!(parse_boot_ms(Kernel::Basalt, linux), None);
        assert_eq!(
            parse_boot_ms(Kernel::Linux, "[ 1.5] Run /init as init pro"),
            None,
            "a line still arriving does not count"
        );
    }

    #[test]
    fn firmware_text_and_escapes_are_not_part_of_lines() {
        let log = "\x1bc\x1b[?7l\x1b[2JBooting from ROM..bench null_syscall 5 1.5\r\n";
        let parsed = parse_bench_log(&log.replace('\r', ""));
        assert_eq!(
            parsed
                .result("null_syscall")
                .map(|result| result.iterations),
            Some(5)
        );
        let crash = "Booting from ROM..memory allocation of 64 bytes failed\nnote: run with RUST_BACKTRACE=1\n\
                     bench: x failed: y\nKernel panic - not syncing: Attempted to kill init! exitcode=0x0000008b\n";
        assert_eq!(
            explain_missing(crash, RunEnd::Stopped),
            "memory allocation of 64 bytes failed → panic: Attempted to kill init! exitcode=0x0000008b"
        );
    }

    #[test]
    fn a_panic_is_explained_by_the_error_before_it() {
        let log = "[ 0.0] error: early and unrelated\n[ 0.1] fine\n\
                   [ 0.2] error: initramfs unpacking failed: out of memory\n\
                   Kernel panic - not syncing: No working init found.\n[ 0.3] error: after\n";
        assert_eq!(
            explain_missing(log, RunEnd::Stopped),
            "error: initramfs unpacking failed: out of memory → panic: No working init found."
        );
        let failed = "[ 0.1] warning: Failed to execute /init (exec format error)\n[ 0.2] warning: syscall x (1) not implemented: ENOSYS\n";
        assert_eq!(
            explain_missing(failed, RunEnd::TimedOut(9)),
            "warning: Failed to execute /init (exec format error)"
        );
    }

    #[test]
    fn explanations_prefer_the_most_telling_line() {
        let panic = "[ 0.1] booting\n[ 0.2] Kernel panic - not syncing: No working init found.\n[ 0.3] Backtrace:\n";
        assert_eq!(
            explain_missing(panic, RunEnd::Stopped),
            "Kernel panic - not syncing: No working init found."
        );
        let enosys = "[ 0.2] warning: syscall fork (57) not implemented: ENOSYS\nmore\n";
        assert_eq!(
            explain_missing(enosys, RunEnd::Exited(Some(0))),
            "warning: syscall fork (57) not implemented: ENOSYS"
        );
        assert_eq!(
            explain_missing("a\nlast words\n", RunEnd::TimedOut(300)),
            "timed out after 300 s; last line: last words"
        );
        assert_eq!(
            explain_missing("", RunEnd::TimedOut(5)),
            "timed out after 5 s with no output"
        );
        assert_eq!(
            explain_missing("x\n\n--- qemu stderr ---\n", RunEnd::Exited(Some(1))),
            "QEMU exited with status 1; last line: x"
        );
        assert_eq!(
            explain_missing("", RunEnd::Exited(None)),
            "QEMU was killed by a signal with no output"
        );
        let long = "y".repeat(300);
        let shortened = explain_missing(&long, RunEnd::Stopped);
        assert_eq!(shortened.chars().count(), MAX_REASON_CHARS);
        assert!(shortened.starts_with("QEMU was stopped; last line: yyy"));
        assert!(shortened.ends_with('…'));
    }

    #[test]
    fn durations_use_three_significant_digits() {
        assert_eq!(format_duration(0.0), "0.00 ns");
        assert_eq!(format_duration(5.0), "5.00 ns");
        assert_eq!(format_duration(812.5), "812 ns");
        assert_eq!(format_duration(999.4), "999 ns");
        assert_eq!(format_duration(999.6), "1.00 µs");
        assert_eq!(format_duration(1_000.0), "1.00 µs");
        assert_eq!(format_duration(9_996.0), "10.0 µs");
        assert_eq!(format_duration(123_456.0), "123 µs");
        assert_eq!(format_duration(2_345_678_000.0), "2.35 s");
        assert_eq!(format_duration(33_514_000.0), "33.5 ms");
        assert_eq!(format_duration(5_000e9), "5000 s");
        assert_eq!(significant(0.02), "0.0200");
        assert_eq!(significant(0.09996), "0.100");
        assert_eq!(significant(0.5), "0.500");
        assert_eq!(significant(f64::INFINITY), "inf");
    }

    fn results(log: &str, boot_ms: Option<f64>, problem: &str) -> KernelResults {
        KernelResults {
            bench: parse_bench_log(log),
            bench_problem: problem.to_owned(),
            boot_ms,
            boot_problem: problem.to_owned(),
        }
    }

    #[test]
    fn table_with_numbers_failures_and_missing_runs() {
        let linux = results(
            "bench null_syscall 1000 100.0\nbench pipe_pingpong 10 20000\nbench unix_pingpong 10 10000\n\
             bench pipe_throughput 10 8000\nbench fork_exit_wait 5 300000\n\
             bench fork_exec_wait 2 900000\nbench extra 1 5\nbench: done\n",
            Some(1500.0),
            "unused",
        );
        let basalt = results(
            "bench null_syscall 1000 50.0\nbench: pipe_pingpong failed: pipe2: ENOSYS | x\n\
             bench unix_pingpong 10 30000\nbench pipe_throughput 10 4000\n",
            Some(30.0),
            "Kernel panic - not syncing: Attempted to kill init!",
        );
        let table = render_table(&rows(&linux, &basalt));
        let expected = "| what | Linux | Basalt | Basalt ÷ Linux |\n|---|---:|---:|---:|\n\
            | boot: kernel entry → /init | 1.50 s | 30.0 ms | 0.0200× |\n\
            | null_syscall (getppid) | 100 ns | 50.0 ns | 0.500× |\n\
            | pipe_pingpong (round trip) | 20.0 µs | n/a (pipe2: ENOSYS \\| x) | n/a |\n\
            | unix_pingpong (AF_UNIX stream round trip) | 10.0 µs | 30.0 µs | 3.00× |\n\
            | pipe_throughput (per 64 KiB) | 8.00 µs | 4.00 µs | 0.500× |\n\
            | fork_exit_wait | 300 µs | n/a (Kernel panic - not syncing: Attempted to kill init!) | n/a |\n\
            | fork_exec_wait | 900 µs | n/a (Kernel panic - not syncing: Attempted to kill init!) | n/a |\n\
            | file_create_write_read_unlink (1 KiB) | n/a (unused) | n/a (Kernel panic - not syncing: Attempted to kill init!) | n/a |\n\
            | path_walk_stat (9-deep stat + missing name) | n/a (unused) | n/a (Kernel panic - not syncing: Attempted to kill init!) | n/a |\n\
            | file_read_1mib (per MiB) | n/a (unused) | n/a (Kernel panic - not syncing: Attempted to kill init!) | n/a |\n\
            | file_write_1mib (per MiB) | n/a (unused) | n/a (Kernel panic - not syncing: Attempted to kill init!) | n/a |\n\
            | extra | 5.00 ns | n/a (Kernel panic - not syncing: Attempted to kill init!) | n/a |\n";
        assert_eq!(table, expected);
    }

    #[test]
    fn ratio_needs_two_numbers_and_a_positive_linux_value() {
        let zero = Cell::Nanoseconds(0.0);
        let one = Cell::Nanoseconds(1.0);
        let missing = Cell::Unavailable("x".into());
        assert_eq!(render_ratio(&one, &zero), "n/a");
        assert_eq!(render_ratio(&missing, &one), "n/a");
        assert_eq!(render_ratio(&one, &missing), "n/a");
        assert_eq!(render_ratio(&Cell::Nanoseconds(250.0), &one), "250×");
    }

    /// Deterministic xorshift64.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, bound: u64) -> u64 {
            self.next() % bound
        }
    }

    /// Random logs (results, failures, noise, repeats) against a model that keeps the first line per name.
    #[test]
    fn random_logs_parse_like_the_model() {
        let names = ["null_syscall", "pipe_pingpong", "fork_exit_wait", "x"];
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..500 {
            let mut log = String::new();
            let mut model = BenchLog::default();
            for _ in 0..rng.below(12) {
                let name = names[rng.below(names.len() as u64) as usize];
                match rng.below(6) {
                    0 | 1 => {
                        let iterations = rng.below(1_000_000);
                        let tenths = rng.below(100_000_000);
                        let ns_per_op = tenths as f64 / 10.0;
                        let _ = writeln!(log, "bench {name} {iterations} {ns_per_op:.1}");
                        if model.result(name).is_none() {
                            model.results.push(BenchResult {
                                name: name.to_owned(),
                                iterations,
                                ns_per_op,
                            });
                        }
                    }
                    2 => {
                        let reason = format!("call{}: E{}", rng.below(9), rng.below(99));
                        let _ = writeln!(log, "bench: {name} failed: {reason}");
                        if model.failure(name).is_none() {
                            model.failures.push((name.to_owned(), reason));
                        }
                    }
                    3 => {
                        log.push_str("bench: done\n");
                        model.done = true;
                    }
                    4 => {
                        let _ = writeln!(
                            log,
                            "[ {}.{:06}] noise bench {name} 1 2",
                            rng.below(9),
                            rng.below(999_999)
                        );
                    }
                    _ => {
                        // A line cut short by the end of the run.
                        let _ = writeln!(log, "bench {name} {}", rng.below(100));
                    }
                }
            }
            assert_eq!(parse_bench_log(&log), model, "{log}");
        }
    }

    /// Formatting keeps the value within half a unit in the third significant digit.
    #[test]
    fn random_durations_round_trip_within_tolerance() {
        let mut rng = Rng(0x1234_5678_9abc_def1);
        for _ in 0..5000 {
            let exponent = rng.below(11) as i32;
            let mantissa = 1.0 + rng.below(9_000_000) as f64 / 1_000_000.0;
            let ns = mantissa * 10f64.powi(exponent);
            let text = format_duration(ns);
            let (number, unit) = text.split_once(' ').expect("space");
            let scale = match unit {
                "s" => 1e9,
                "ms" => 1e6,
                "µs" => 1e3,
                "ns" => 1.0,
                other => panic!("unit {other}"),
            };
            let number: f64 = number.parse().expect("number");
            assert!((1.0..1000.0).contains(&number), "{ns} → {text}");
            let relative_error = (number * scale - ns).abs() / ns;
            assert!(relative_error <= 0.005 + 1e-12, "{ns} → {text}");
        }
    }
}
