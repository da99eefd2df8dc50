//! Supervisor mode: restart policies and their limits, crashes, stopping (reverse order, SIGKILL), poweroff.
#![forbid(unsafe_code)]

mod common;
use common::*;

/// Fast restarts and a window no loaded machine can outlast, so the limit is what ends the loop.
const FAST: &str = "restart_delay_ms = 10\nrestart_delay_max_ms = 40\nrestart_window_s = 3600";

#[test]
fn on_failure_restarts_until_the_limit() {
    let mut s = Supervised::new();
    s.define_sh(
        "flaky",
        "echo run >> runs; exit 3",
        &format!("restart = \"on-failure\"\nrestart_limit = 2\n{FAST}"),
    );
    s.start();
    let status = s.wait_state("flaky", "failed");
    assert_eq!(s.read("runs"), "run\nrun\nrun\n");
    assert_eq!(status["restarts"], 2);
    assert_eq!(status["last_exit"], "exit status 3");
    assert!(
        status["error"]
            .as_str()
            .unwrap_or("")
            .contains("restart limit"),
        "{status}"
    );
}

#[test]
fn on_failure_does_not_restart_a_clean_exit() {
    let mut s = Supervised::new();
    s.define_sh(
        "clean",
        "echo run >> runs; exit 0",
        &format!("restart = \"on-failure\"\n{FAST}"),
    );
    s.define_sh("marker", "exec sleep 1000", "after = [\"clean\"]");
    s.start();
    s.wait_state("clean", "inactive");
    assert_eq!(s.read("runs"), "run\n");
    assert_eq!(s.status("clean")["restarts"], 0);
}

#[test]
fn always_restarts_clean_exits_too() {
    let mut s = Supervised::new();
    s.define_sh(
        "loop",
        "echo run >> runs; exit 0",
        &format!("restart = \"always\"\nrestart_limit = 3\n{FAST}"),
    );
    s.start();
    let status = s.wait_state("loop", "failed");
    assert_eq!(s.read("runs").lines().count(), 4);
    assert_eq!(status["restarts"], 3);
}

#[test]
fn never_leaves_a_crash_failed() {
    let mut s = Supervised::new();
    s.define_sh(
        "crash",
        "echo run >> runs; kill -SEGV $$",
        "restart = \"never\"",
    );
    s.start();
    let status = s.wait_state("crash", "failed");
    assert_eq!(status["last_exit"], "killed by signal 11");
    assert_eq!(s.read("runs"), "run\n");
    // init is unharmed and still answers.
    assert!(s.svc(&["list"]).status.success());
}

#[test]
fn a_restarted_service_gets_a_new_pid_and_keeps_its_dependents_going() {
    let mut s = Supervised::new();
    s.define_sh(
        "crashy",
        &format!(
            "echo $$ >> pids; {}; kill -KILL $$",
            "while [ ! -e crash ]; do sleep 0.02; done; rm crash"
        ),
        &format!("restart = \"on-failure\"\n{FAST}"),
    );
    s.start();
    let first = s.wait_state("crashy", "running")["pid"]
        .as_i64()
        .expect("pid");
    std::fs::write(s.file("crash"), "").expect("crash");
    wait_for("the restart", || {
        let status = s.status("crashy");
        status["state"] == "running" && status["pid"].as_i64() != Some(first)
    });
    assert_eq!(s.status("crashy")["restarts"], 1);
    assert_eq!(s.status("crashy")["last_exit"], "killed by signal 9");
}

#[test]
fn stop_escalates_to_sigkill_after_the_timeout() {
    let mut s = Supervised::new();
    s.define_sh(
        "stubborn",
        "trap '' TERM; echo >&3; while :; do sleep 0.02; done",
        "type = \"notify\"\nready_fd = 3\nstop_timeout_ms = 300",
    );
    s.start();
    let pid = s.wait_state("stubborn", "running")["pid"]
        .as_i64()
        .expect("pid");
    let out = s.svc(&["stop", "stubborn"]);
    assert!(out.status.success(), "{out:?}");
    let status = s.wait_state("stubborn", "inactive");
    assert_eq!(status["last_exit"], "killed by signal 9");
    assert!(!alive(pid));
    assert!(s.init_log().contains("sending SIGKILL"), "{}", s.init_log());
}

#[test]
fn stop_signal_is_configurable_and_stops_cleanly() {
    let mut s = Supervised::new();
    s.define_sh(
        "polite",
        "trap 'echo got-int >> out; exit 0' INT; echo >&3; while :; do sleep 0.02; done",
        "type = \"notify\"\nready_fd = 3\nstop_signal = \"INT\"",
    );
    s.start();
    s.wait_state("polite", "running");
    assert!(s.svc(&["stop", "polite"]).status.success());
    let status = s.wait_state("polite", "inactive");
    assert_eq!(status["last_exit"], "exit status 0");
    assert_eq!(s.read("out"), "got-int\n");
}

/// A service that appends NAME-stop to `order` when it gets SIGTERM.
fn stoppable(s: &Supervised, name: &str, extra: &str) {
    s.define_sh(
        name,
        &format!(
            "trap 'echo {name}-stop >> order; exit 0' TERM; echo >&3; while :; do sleep 0.02; done"
        ),
        &format!("type = \"notify\"\nready_fd = 3\n{extra}"),
    );
}

#[test]
fn stop_takes_requirers_down_first() {
    let mut s = Supervised::new();
    stoppable(&s, "db", "");
    stoppable(&s, "web", "requires = [\"db\"]");
    stoppable(&s, "other", "");
    s.start();
    s.wait_state("web", "running");
    s.wait_state("other", "running");
    assert!(s.svc(&["stop", "db"]).status.success());
    s.wait_state("db", "inactive");
    assert_eq!(s.state("web"), "inactive");
    assert_eq!(s.state("other"), "running");
    assert_eq!(s.read("order"), "web-stop\ndb-stop\n");
    // start brings db back; restart of web leaves db alone.
    assert!(s.svc(&["start", "web"]).status.success());
    s.wait_state("web", "running");
    assert_eq!(s.state("db"), "running");
    let web_pid = s.status("web")["pid"].clone();
    assert!(s.svc(&["restart", "web"]).status.success());
    wait_for("web's new pid", || {
        let status = s.status("web");
        status["state"] == "running" && status["pid"] != web_pid
    });
}

#[test]
fn poweroff_stops_everything_in_reverse_order_and_exits_zero() {
    let mut s = Supervised::new();
    stoppable(&s, "a", "");
    stoppable(&s, "b", "requires = [\"a\"]");
    stoppable(&s, "c", "after = [\"b\"]");
    s.start();
    s.wait_state("c", "running");
    let pids: Vec<i64> = ["a", "b", "c"]
        .iter()
        .map(|n| s.status(n)["pid"].as_i64().expect("pid"))
        .collect();
    let out = s.svc(&["poweroff"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(s.wait_exit(), Some(0));
    assert_eq!(s.read("order"), "c-stop\nb-stop\na-stop\n");
    assert!(pids.iter().all(|&pid| !alive(pid)));
}

#[test]
fn sigterm_to_the_supervisor_is_a_poweroff() {
    let mut s = Supervised::new();
    stoppable(&s, "a", "");
    s.start();
    s.wait_state("a", "running");
    let pid = s.child.as_ref().expect("child").id();
    assert!(std::process::Command::new("kill")
        .arg(pid.to_string())
        .status()
        .expect("kill")
        .success());
    assert_eq!(s.wait_exit(), Some(0));
    assert_eq!(s.read("order"), "a-stop\n");
}

#[test]
fn start_and_stop_wait_for_the_outcome() {
    let mut s = Supervised::new();
    // Ready only a while after it starts, so a start that did not wait would still see "starting".
    s.define_sh(
        "slow",
        "trap 'exit 0' TERM; sleep 0.3; echo >&3; while :; do sleep 0.02; done",
        "type = \"notify\"\nready_fd = 3",
    );
    // Ready once the file `go` exists.
    s.define_sh(
        "gated",
        "trap 'exit 0' TERM; while [ ! -e go ]; do sleep 0.02; done; echo >&3; while :; do sleep 0.02; done",
        "type = \"notify\"\nready_fd = 3",
    );
    std::fs::write(s.file("go"), "").expect("go");
    s.define_sh(
        "broken",
        "echo cannot start >&2; exit 3",
        "type = \"notify\"\nready_fd = 3\nrestart = \"never\"",
    );
    s.start();
    s.wait_state("slow", "running");
    s.wait_state("broken", "failed");
    assert!(s.svc(&["stop", "slow"]).status.success());
    assert_eq!(s.state("slow"), "inactive");
    assert!(s.svc(&["start", "slow"]).status.success());
    assert_eq!(s.state("slow"), "running");
    assert!(s.svc(&["restart", "slow"]).status.success());
    assert_eq!(s.state("slow"), "running");
    let failed = s.svc(&["start", "broken"]);
    assert_eq!(failed.status.code(), Some(1));
    let message = String::from_utf8_lossy(&failed.stderr);
    assert!(message.contains("broken did not start"), "{message}");
    // --no-wait returns once init took the request: without `go` the new instance cannot be ready yet.
    s.wait_state("gated", "running");
    std::fs::remove_file(s.file("go")).expect("rm go");
    assert!(s.svc(&["--no-wait", "restart", "gated"]).status.success());
    assert_ne!(s.state("gated"), "running");
    std::fs::write(s.file("go"), "").expect("go");
    s.wait_state("gated", "running");
}
