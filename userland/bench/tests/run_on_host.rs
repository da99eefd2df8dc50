//! Runs the real `bench` binary on the host (Linux is the oracle for the output format).

use std::process::Command;

const BENCH: &str = env!("CARGO_BIN_EXE_bench");

/// (name, quick iterations), in output order.
const EXPECTED: [(&str, u64); 10] = [
    ("null_syscall", 10_000),
    ("pipe_pingpong", 500),
    ("unix_pingpong", 500),
    ("pipe_throughput", 50),
    ("fork_exit_wait", 50),
    ("fork_exec_wait", 20),
    ("file_create_write_read_unlink", 100),
    ("path_walk_stat", 500),
    ("file_read_1mib", 10),
    ("file_write_1mib", 10),
];

#[test]
fn quick_run_prints_every_benchmark_then_done() {
    let output = Command::new(BENCH).arg("--quick").output().expect("runs");
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    assert!(output.status.success(), "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.first(), Some(&"bench: start (quick iterations)"));
    assert_eq!(lines.last(), Some(&"bench: done"));
    let results = &lines[1..lines.len() - 1];
    assert_eq!(results.len(), EXPECTED.len(), "{stdout}");
    for (line, (name, iterations)) in results.iter().zip(EXPECTED) {
        let fields: Vec<&str> = line.split(' ').collect();
        assert_eq!(fields.len(), 4, "{line}");
        assert_eq!(fields[0], "bench");
        assert_eq!(fields[1], name);
        assert_eq!(fields[2].parse::<u64>(), Ok(iterations));
        let ns_per_op: f64 = fields[3].parse().expect("number");
        assert!(ns_per_op > 0.0 && ns_per_op.is_finite(), "{line}");
    }
}

#[test]
fn exit_now_exits_zero_silently() {
    let output = Command::new(BENCH)
        .arg("--exit-now")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0));
    assert!(output.stdout.is_empty() && output.stderr.is_empty());
}

#[test]
fn missing_exec_target_is_reported_and_the_run_goes_on() {
    let output = Command::new(BENCH)
        .args(["--quick", "--exec-path", "/nonexistent/bench"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    assert!(stdout.contains(
        "bench: fork_exec_wait failed: exec child exited with status 2 (if execve failed: ENOENT"
    ));
    assert!(stdout.contains("bench fork_exit_wait 50 "));
    assert!(stdout.ends_with("bench: done\n"));
}

#[test]
fn bad_arguments_print_usage_and_exit_2() {
    let output = Command::new(BENCH).arg("--bogus").output().expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).expect("utf-8");
    assert!(stderr.contains("unknown argument \"--bogus\""));
    assert!(stderr.contains("usage: bench"));
    assert!(output.stdout.is_empty());
}
