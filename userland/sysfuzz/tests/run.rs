//! End to end: a short run on the host prints the promised lines and leaves no private directory behind.

use std::process::Command;

fn sysfuzz() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sysfuzz"))
}

#[test]
fn a_short_run_reports_calls_and_deaths() {
    let output = sysfuzz()
        .args(["--seconds", "1", "--procs", "2", "--seed", "0x1234"])
        .output()
        .expect("run sysfuzz");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{output:?}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    assert!(lines[0].starts_with("sysfuzz: seed 0x1234, 2 workers, 1 seconds, directory "));
    for (line, when) in [(lines[1], "before"), (lines[2], "after")] {
        let report = line
            .strip_prefix(&format!("sysfuzz: {when}: "))
            .unwrap_or_else(|| panic!("{line}"));
        assert!(
            report == "meminfo: n/a"
                || (report.starts_with("MemFree: ") && report.ends_with(" kB")),
            "{line}"
        );
    }
    let counts = lines[3]
        .strip_prefix("sysfuzz: done, ")
        .and_then(|rest| rest.strip_suffix(" worker deaths"))
        .unwrap_or_else(|| panic!("{}", lines[3]));
    let (calls, deaths) = counts.split_once(" calls, ").expect("two counts");
    let calls: u64 = calls.parse().expect("calls");
    let _deaths: u64 = deaths.parse().expect("deaths");
    assert!(calls > 0);
    let directory = lines[0].rsplit(' ').next().expect("directory");
    assert!(
        !std::path::Path::new(directory).exists(),
        "{directory} left behind"
    );
}

#[test]
fn zero_seconds_is_a_valid_empty_run() {
    let output = sysfuzz().args(["--seconds=0"]).output().expect("run");
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout)
        .ends_with("sysfuzz: done, 0 calls, 0 worker deaths\n"));
}

#[test]
fn bad_options_fail_with_usage() {
    let output = sysfuzz().args(["--procs", "0"]).output().expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--procs: 0 is not within 1..=256"),
        "{stderr}"
    );
    assert!(stderr.contains("usage: sysfuzz"), "{stderr}");
    let help = sysfuzz().arg("--help").output().expect("run");
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).starts_with("usage: sysfuzz"));
}
