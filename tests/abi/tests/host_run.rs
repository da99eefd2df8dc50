//! Runs the suite on the host (which is Linux, the reference) and checks the output contract: one `case` line per
//! listed case, the count line, identical output on a second run, filters, and no crashed or timed-out case.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const EXE: &str = env!("CARGO_BIN_EXE_abi-tests");

/// A fresh scratch directory to run in (cases create files in the current directory).
fn scratch_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("basalt-abi-tests-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch directory");
    dir
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(EXE)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run abi-tests")
}

fn stdout_lines(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn full_run_is_complete_and_deterministic() {
    let dir = scratch_dir("full");
    let first = run(&dir, &[]);
    let second = run(&dir, &[]);
    assert!(first.status.success() && second.status.success());
    let lines = stdout_lines(&first);
    assert_eq!(lines, stdout_lines(&second), "two runs differ");

    let listed = stdout_lines(&run(&dir, &["--list"]));
    let (count_line, case_lines) = lines.split_last().expect("output");
    assert_eq!(count_line, &format!("abi: {} cases", listed.len()));
    assert_eq!(case_lines.len(), listed.len());
    for (line, name) in case_lines.iter().zip(&listed) {
        let prefix = format!("case {name}: ");
        assert!(line.starts_with(&prefix), "{line} is not for {name}");
        assert!(!line.ends_with(": timeout"), "{line}");
        assert!(!line.contains(": crashed (signal"), "{line}");
        assert!(!line.contains("without result"), "{line}");
    }
    // Scratch files are cleaned up.
    let left: Vec<_> = std::fs::read_dir(&dir).expect("read dir").collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn filters_select_groups_and_names() {
    let dir = scratch_dir("filter");
    let out = run(&dir, &["vfork", "exit.exit_group_low_byte"]);
    assert!(out.status.success());
    let lines = stdout_lines(&out);
    let names: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("case ")?.split(':').next())
        .collect();
    assert_eq!(
        names,
        [
            "vfork.raw_shares_memory",
            "vfork.parent_waits_for_exit",
            "vfork.exec_releases_parent",
            "exit.exit_group_low_byte"
        ]
    );
    assert_eq!(lines.last().map(String::as_str), Some("abi: 4 cases"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unknown_option_is_refused() {
    let dir = scratch_dir("option");
    let out = run(&dir, &["--frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}
