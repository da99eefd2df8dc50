//! Supervisor mode: dependency order, parallel start, both readiness protocols, templates.
#![forbid(unsafe_code)]

mod common;
use common::*;

/// Waits (in the service's shell) until the file `name` exists.
fn wait_file(name: &str) -> String {
    format!("while [ ! -e {name} ]; do sleep 0.02; done")
}

#[test]
fn requires_and_after_start_in_order() {
    let mut s = Supervised::new();
    // a is a oneshot that takes a while; b requires it and is ready once it wrote its line; c is ordered
    // after b. (A simple service is ready when it has been started, before it ran any of its script.)
    s.define_sh("a", "sleep 0.3; echo a >> order", "type = \"oneshot\"");
    s.define_sh(
        "b",
        "echo b >> order; echo >&3; exec sleep 1000",
        "requires = [\"a\"]\ntype = \"notify\"\nready_fd = 3",
    );
    s.define_sh(
        "c",
        "echo c >> order; exec sleep 1000",
        "after = [\"b\"]\nwants = [\"b\"]",
    );
    s.start();
    s.wait_state("c", "running");
    wait_for("c's line", || s.read("order").lines().count() == 3);
    assert_eq!(s.read("order"), "a\nb\nc\n");
    assert_eq!(s.state("a"), "done");
    assert_eq!(s.poweroff(), Some(0));
}

#[test]
fn before_orders_the_other_way() {
    let mut s = Supervised::new();
    s.define_sh("late", "echo late >> order; exec sleep 1000", "");
    s.define_sh(
        "early",
        "sleep 0.3; echo early >> order",
        "type = \"oneshot\"\nbefore = [\"late\"]",
    );
    s.start();
    s.wait_state("late", "running");
    wait_for("both lines", || s.read("order").lines().count() == 2);
    assert_eq!(s.read("order"), "early\nlate\n");
}

#[test]
fn independent_services_start_in_parallel() {
    let mut s = Supervised::new();
    // Each waits for the other to have started: a one-at-a-time start would never finish.
    s.define_sh(
        "x",
        &format!("touch x.started; {}", wait_file("y.started")),
        "type = \"oneshot\"",
    );
    s.define_sh(
        "y",
        &format!("touch y.started; {}", wait_file("x.started")),
        "type = \"oneshot\"",
    );
    s.define_sh(
        "z",
        "echo z > z.out",
        "type = \"oneshot\"\nrequires = [\"x\", \"y\"]",
    );
    s.start();
    s.wait_state("z", "done");
    assert_eq!(s.read("z.out"), "z\n");
}

#[test]
fn readiness_fd_gates_dependents() {
    let mut s = Supervised::new();
    s.define_sh(
        "db",
        &format!(
            "{}; echo db >> order; echo >&3; exec sleep 1000",
            wait_file("go")
        ),
        "type = \"notify\"\nready_fd = 3",
    );
    s.define_sh(
        "web",
        "echo web >> order; exec sleep 1000",
        "requires = [\"db\"]",
    );
    s.start();
    s.wait_state("db", "starting");
    assert_eq!(s.state("web"), "waiting");
    std::fs::write(s.file("go"), "").expect("go");
    s.wait_state("web", "running");
    assert_eq!(s.state("db"), "running");
    wait_for("web's line", || s.read("order").lines().count() == 2);
    assert_eq!(s.read("order"), "db\nweb\n");
}

#[test]
fn notify_socket_ready_gates_dependents() {
    let mut s = Supervised::new();
    s.define_sh(
        "db",
        &format!(
            "{}; echo db >> order; \"$SVC\" notify READY=1 STATUS=up; exec sleep 1000",
            wait_file("go")
        ),
        &format!(
            "type = \"notify\"\nenvironment = {{ SVC = {} }}",
            toml_string(SVC)
        ),
    );
    s.define_sh(
        "web",
        "echo web >> order; exec sleep 1000",
        "requires = [\"db\"]",
    );
    s.start();
    s.wait_state("db", "starting");
    assert_eq!(s.state("web"), "waiting");
    std::fs::write(s.file("go"), "").expect("go");
    s.wait_state("web", "running");
    wait_for("web's line", || s.read("order").lines().count() == 2);
    assert_eq!(s.read("order"), "db\nweb\n");
}

#[test]
fn notify_service_that_exits_before_ready_fails_its_dependents() {
    let mut s = Supervised::new();
    s.define_sh("db", "exit 0", "type = \"notify\"");
    s.define_sh("web", "exec sleep 1000", "requires = [\"db\"]");
    s.start();
    let web = s.wait_state("web", "failed");
    assert!(web["error"].as_str().unwrap_or("").contains("db"), "{web}");
}

#[test]
fn template_instances_from_the_template_and_on_demand() {
    let mut s = Supervised::new();
    s.define(
        "getty@",
        &format!(
            "command = \"/bin/sh\"\nargs = [\"-c\", \"echo %i > tty-%i; exec sleep 1000\"]\nworking_directory = {}\ninstances = [\"ttyS0\"]\n",
            toml_string(&s.path().display().to_string())
        ),
    );
    s.define_sh(
        "needs-tty1",
        "exec sleep 1000",
        "requires = [\"getty@tty1\"]",
    );
    s.start();
    s.wait_state("getty@ttyS0", "running");
    s.wait_state("getty@tty1", "running");
    s.wait_state("needs-tty1", "running");
    wait_for("the instances' files", || {
        s.read("tty-ttyS0") == "ttyS0\n" && s.read("tty-tty1") == "tty1\n"
    });
    let out = s.svc(&["start", "getty@ttyS9"]);
    assert!(out.status.success(), "{out:?}");
    s.wait_state("getty@ttyS9", "running");
    wait_for("ttyS9's file", || s.read("tty-ttyS9") == "ttyS9\n");
    let bare = s.svc(&["start", "getty"]);
    assert_eq!(bare.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&bare.stderr).contains("template"),
        "{bare:?}"
    );
}

#[test]
fn environment_and_rlimits_reach_the_service() {
    let mut s = Supervised::new();
    s.define_sh(
        "env",
        "echo \"$GREETING $(ulimit -n)\" > env.out",
        "type = \"oneshot\"\nenvironment = { GREETING = \"hello\" }\n[rlimits]\nnofile = [100, 200]",
    );
    s.start();
    s.wait_state("env", "done");
    assert_eq!(s.read("env.out"), "hello 100\n");
}

#[test]
fn boot_report_names_the_critical_chain() {
    let mut s = Supervised::new();
    s.define_sh("base", "sleep 0.2", "type = \"oneshot\"");
    s.define_sh(
        "mid",
        "sleep 0.2",
        "type = \"oneshot\"\nrequires = [\"base\"]",
    );
    s.define_sh("top", "exec sleep 1000", "requires = [\"mid\"]");
    s.define_sh("side", "exec sleep 1000", "");
    s.start();
    s.wait_state("top", "running");
    let out = s.svc(&["boot-report"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(
        text.contains("critical chain: base -> mid -> top"),
        "{text}"
    );
}

#[test]
fn services_start_with_no_blocked_signals() {
    let mut s = Supervised::new();
    s.define(
        "mask",
        "command = \"/bin/grep\"\nargs = [\"SigBlk\", \"/proc/self/status\"]\ntype = \"oneshot\"\n",
    );
    s.start();
    s.wait_state("mask", "done");
    let out = s.svc(&["logs", "mask"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "SigBlk:\t0000000000000000\n"
    );
}

#[test]
fn user_and_group_are_applied_when_root() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: needs root to switch users");
        return;
    }
    let mut s = Supervised::new();
    s.define_sh(
        "who",
        "echo \"$(id -un) $(id -gn)\"",
        "type = \"oneshot\"\nuser = \"nobody\"\ngroup = \"nogroup\"",
    );
    s.start();
    s.wait_state("who", "done");
    assert_eq!(s.svc(&["logs", "who"]).stdout, b"nobody nogroup\n");
}

/// Without a working directory (or limits, user, group) a `ready_fd` service is started without the exec helper;
/// it must see the same process setup as through the helper.
#[test]
fn readiness_fd_without_the_helper_gets_the_same_setup() {
    let mut s = Supervised::new();
    let dir = s.path().display().to_string();
    let script = format!(
        "cd {dir}; env | sort > env; readlink /proc/self/fd/0 > stdin; \
         echo $$ $(cut -d' ' -f5 /proc/$$/stat) > pgrp; trap - PIPE; echo >&3; echo ready; exec sleep 1000"
    );
    s.define(
        "db",
        &format!(
            "command = \"/bin/sh\"\nargs = [\"-c\", {}]\ntype = \"notify\"\nready_fd = 3\n\
             environment = {{ GREETING = \"hi\" }}\n",
            toml_string(&script)
        ),
    );
    s.define_sh(
        "web",
        "echo web > web; exec sleep 1000",
        "requires = [\"db\"]",
    );
    s.start();
    s.wait_state("web", "running");
    assert_eq!(s.state("db"), "running");
    assert_eq!(s.read("stdin").trim(), "/dev/null");
    let pgrp = s.read("pgrp");
    let (pid, group) = pgrp.trim().split_once(' ').expect("pid and group");
    assert_eq!(pid, group, "own process group");
    let env = s.read("env");
    let names: Vec<&str> = env
        .lines()
        .filter_map(|line| line.split_once('=').map(|(name, _)| name))
        .filter(|name| !["PWD", "OLDPWD", "SHLVL", "_"].contains(name))
        .collect();
    assert_eq!(names, ["GREETING", "NOTIFY_SOCKET", "PATH"], "{env}");
    assert!(env.contains("GREETING=hi\n"), "{env}");
    wait_for("db's output in its log", || {
        s.svc(&["logs", "db"])
            .stdout
            .windows(5)
            .any(|w| w == b"ready")
    });
}
