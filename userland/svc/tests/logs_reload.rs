//! Supervisor mode: per-service logs (ring, rotated files, follow) and reload.
#![forbid(unsafe_code)]

mod common;
use common::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn output_goes_to_the_ring_and_rotated_files() {
    let mut s = Supervised::new();
    // 100 lines of 9 bytes ("line NNN\n") into files of at most 100 bytes, 2 old copies kept.
    s.define_sh(
        "chatty",
        "i=100; while [ $i -lt 200 ]; do echo line $i; i=$((i+1)); done; echo oops >&2",
        "type = \"oneshot\"\n[log]\nring_lines = 5\nmax_bytes = 100\nkeep = 2",
    );
    s.start();
    s.wait_state("chatty", "done");
    let logs = s.path().join("log");
    let current = std::fs::read_to_string(logs.join("chatty.log")).expect("current log");
    assert!(current.ends_with("line 199\noops\n"), "{current:?}");
    assert!(current.len() <= 100);
    let older = std::fs::read_to_string(logs.join("chatty.log.1")).expect("rotated log");
    let oldest = std::fs::read_to_string(logs.join("chatty.log.2")).expect("second rotated log");
    assert!(older.len() <= 100 && oldest.len() <= 100);
    assert!(!logs.join("chatty.log.3").exists());
    // The three files hold the last lines, in order, without gaps.
    let all: Vec<String> = format!("{oldest}{older}{current}")
        .lines()
        .map(String::from)
        .collect();
    let first: usize = all[0]
        .trim_start_matches("line ")
        .parse()
        .expect("a line number");
    let expected: Vec<String> = (first..200)
        .map(|n| format!("line {n}"))
        .chain(["oops".to_string()])
        .collect();
    assert_eq!(all, expected);

    let out = s.svc(&["logs", "chatty"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "line 196\nline 197\nline 198\nline 199\noops\n"
    );
    let status = s.status("chatty");
    assert_eq!(status["recent_logs"].as_array().map(|a| a.len()), Some(5));
    let two = s.svc(&["logs", "chatty", "-n", "2"]);
    assert_eq!(String::from_utf8_lossy(&two.stdout), "line 199\noops\n");
}

#[test]
fn logs_follow_streams_new_lines() {
    let mut s = Supervised::new();
    s.define_sh(
        "ticker",
        "echo first; while :; do if [ -e tick ]; then rm tick; echo tick; fi; sleep 0.02; done",
        "",
    );
    s.start();
    wait_for("the first line", || {
        s.svc(&["logs", "ticker"]).stdout == b"first\n"
    });
    let mut follower = Command::new(SVC)
        .arg("--dir")
        .arg(s.path())
        .args(["logs", "ticker", "-f"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("svc logs -f");
    let mut lines = BufReader::new(follower.stdout.take().expect("stdout")).lines();
    assert_eq!(lines.next().expect("a line").expect("read"), "first");
    std::fs::write(s.file("tick"), "").expect("tick");
    assert_eq!(lines.next().expect("a line").expect("read"), "tick");
    std::fs::write(s.file("tick"), "").expect("tick");
    assert_eq!(lines.next().expect("a line").expect("read"), "tick");
    let _ = follower.kill();
    let _ = follower.wait();
    // init does not mind the follower going away.
    assert!(s.svc(&["list"]).status.success());
}

#[test]
fn reload_adds_changes_and_removes() {
    let mut s = Supervised::new();
    s.define_sh("keep", "exec sleep 1000", "");
    s.define_sh("change", "echo v1 > change.out; exec sleep 1000", "");
    s.define_sh("drop", "exec sleep 1000", "");
    s.start();
    let keep_pid = s.wait_state("keep", "running")["pid"].clone();
    let drop_pid = s.wait_state("drop", "running")["pid"]
        .as_i64()
        .expect("pid");
    s.wait_state("change", "running");
    wait_for("v1", || s.read("change.out") == "v1\n");

    s.define_sh("change", "echo v2 > change.out; exec sleep 1000", "");
    s.define_sh("new", "exec sleep 1000", "");
    std::fs::remove_file(s.path().join("services/drop.toml")).expect("remove");
    let out = s.svc(&["reload"]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("added: new")
            && text.contains("removed: drop")
            && text.contains("changed: change"),
        "{text}"
    );

    s.wait_state("new", "running");
    wait_for("v2", || s.read("change.out") == "v2\n");
    s.wait_state("change", "running");
    wait_for("drop to go", || {
        !s.svc(&["status", "drop"]).stderr.is_empty()
    });
    assert!(!alive(drop_pid));
    assert_eq!(s.status("keep")["pid"], keep_pid);
}

#[test]
fn reload_with_a_broken_file_keeps_the_rest_running() {
    let mut s = Supervised::new();
    s.define_sh("good", "exec sleep 1000", "");
    s.start();
    let pid = s.wait_state("good", "running")["pid"].clone();
    s.define("broken", "command = \"/bin/true\"\nbogus_key = 1\n");
    assert!(s.svc(&["reload"]).status.success());
    let broken = s.wait_state("broken", "failed");
    assert!(
        broken["error"]
            .as_str()
            .unwrap_or("")
            .contains("broken.toml:2"),
        "{broken}"
    );
    assert_eq!(s.status("good")["pid"], pid);
}

#[test]
fn enable_and_disable_decide_what_starts_at_boot() {
    let mut s = Supervised::new();
    s.define_sh("a", "exec sleep 1000", "");
    s.define_sh("b", "exec sleep 1000", "");
    s.define(
        "worker@",
        &format!(
            "command = \"/bin/sh\"\nargs = [\"-c\", \"exec sleep 1000\"]\nworking_directory = {}\ninstances = [\"one\"]\n",
            toml_string(&s.path().display().to_string())
        ),
    );
    s.start();
    s.wait_state("b", "running");
    s.wait_state("worker@one", "running");
    assert!(s.svc(&["disable", "b"]).status.success());
    assert!(s.svc(&["disable", "worker@one"]).status.success());
    assert!(s.svc(&["enable", "worker@two"]).status.success());
    assert_eq!(s.svc(&["enable", "nosuch"]).status.code(), Some(1));
    // Not started or stopped now.
    assert_eq!(s.state("b"), "running");
    assert_eq!(s.status("b")["enabled"], false);
    assert_eq!(s.status("a")["enabled"], true);
    assert_eq!(s.state("worker@two"), "inactive");
    assert_eq!(s.poweroff(), Some(0));

    s.start();
    s.wait_state("a", "running");
    s.wait_state("worker@two", "running");
    assert_eq!(s.state("b"), "inactive");
    assert_eq!(s.state("worker@one"), "inactive");
    assert!(s.svc(&["enable", "b"]).status.success());
    assert!(s.svc(&["disable", "worker@two"]).status.success());
    assert_eq!(s.poweroff(), Some(0));

    s.start();
    s.wait_state("b", "running");
    assert_eq!(s.state("worker@two"), "inactive");
}

#[test]
fn sighup_reloads() {
    let mut s = Supervised::new();
    s.define_sh("first", "exec sleep 1000", "");
    s.start();
    s.wait_state("first", "running");
    s.define_sh("second", "exec sleep 1000", "");
    let pid = s.child.as_ref().expect("child").id();
    let hup = Command::new("kill")
        .args(["-HUP", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(hup.success());
    s.wait_state("second", "running");
}
