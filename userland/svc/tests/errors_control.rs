//! Supervisor mode: bad definitions, cycles, missing dependencies, garbage on the control socket, and `svc`'s
//! messages and exit codes.
#![forbid(unsafe_code)]

mod common;
use common::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;

#[test]
fn cycles_and_missing_dependencies_fail_only_what_they_touch() {
    let mut s = Supervised::new();
    s.define_sh("ping", "exec sleep 1000", "requires = [\"pong\"]");
    s.define_sh("pong", "exec sleep 1000", "after = [\"ping\"]");
    s.define_sh("fan", "exec sleep 1000", "requires = [\"ping\"]");
    s.define_sh("lonely", "exec sleep 1000", "requires = [\"nosuch\"]");
    s.define_sh("fine", "exec sleep 1000", "wants = [\"nosuch\"]");
    s.start();
    s.wait_state("fine", "running");
    for name in ["ping", "pong"] {
        let status = s.wait_state(name, "failed");
        let error = status["error"].as_str().unwrap_or("");
        assert!(
            error.contains("cycle") && error.contains("ping") && error.contains("pong"),
            "{status}"
        );
    }
    let fan = s.wait_state("fan", "failed");
    assert!(
        fan["error"].as_str().unwrap_or("").contains("ping"),
        "{fan}"
    );
    let lonely = s.wait_state("lonely", "failed");
    assert!(
        lonely["error"].as_str().unwrap_or("").contains("nosuch"),
        "{lonely}"
    );
    assert!(
        s.init_log().contains("dependency cycle between ping, pong"),
        "{}",
        s.init_log()
    );
}

#[test]
fn bad_definitions_are_reported_with_file_and_line() {
    let mut s = Supervised::new();
    s.define("syntax", "command = \"/bin/true\"\nargs = [\n");
    s.define(
        "typo",
        "command = \"/bin/true\"\n\nrestart = \"sometimes\"\n",
    );
    s.define("nocmd", "args = []\n");
    s.define_sh("ok", "exec sleep 1000", "");
    s.start();
    s.wait_state("ok", "running");
    let typo = s.wait_state("typo", "failed");
    let error = typo["error"].as_str().unwrap_or("");
    assert!(
        error.contains("typo.toml:3:") && error.contains("sometimes"),
        "{typo}"
    );
    let syntax = s.status("syntax");
    assert!(
        syntax["error"]
            .as_str()
            .unwrap_or("")
            .contains("syntax.toml:"),
        "{syntax}"
    );
    let nocmd = s.status("nocmd");
    assert!(
        nocmd["error"].as_str().unwrap_or("").contains("command"),
        "{nocmd}"
    );
}

#[test]
fn a_missing_program_is_a_failed_service_not_a_dead_init() {
    let mut s = Supervised::new();
    s.define("ghost", "command = \"/nonexistent/program\"\n");
    s.define(
        "lost",
        "command = \"/bin/true\"\nworking_directory = \"/nonexistent/dir\"\n",
    );
    s.start();
    let ghost = s.wait_state("ghost", "failed");
    assert!(
        ghost["error"]
            .as_str()
            .unwrap_or("")
            .contains("/nonexistent/program"),
        "{ghost}"
    );
    assert_eq!(s.poweroff(), Some(0));
}

fn exchange(stream: &mut UnixStream, bytes: &[u8]) -> serde_json::Value {
    stream.write_all(bytes).expect("send");
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut line = String::new();
    reader.read_line(&mut line).expect("reply");
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("reply {line:?} is not JSON: {e}"))
}

#[test]
fn garbage_on_the_control_socket_gets_clear_errors() {
    let mut s = Supervised::new();
    s.define_sh("alive", "exec sleep 1000", "");
    s.start();
    let pid = s.wait_state("alive", "running")["pid"].clone();

    let mut stream = UnixStream::connect(s.socket()).expect("connect");
    for (request, expected) in [
        (&b"\x00\xff\xfe garbage\n"[..], "not a JSON object"),
        (b"[1,2,3]\n", "must be a JSON object"),
        (b"{\"cmd\":\"list\"}\n", "missing protocol version"),
        (
            b"{\"v\":99,\"cmd\":\"list\"}\n",
            "unsupported protocol version 99",
        ),
        (b"{\"v\":1,\"cmd\":\"explode\"}\n", "bad request"),
        (b"{\"v\":1,\"cmd\":\"status\"}\n", "bad request"),
        (
            b"{\"v\":1,\"cmd\":\"status\",\"name\":\"nope\"}\n",
            "no service nope",
        ),
        (
            b"{\"v\":1,\"cmd\":\"status\",\"name\":\"../../etc\"}\n",
            "not a valid service name",
        ),
    ] {
        let reply = exchange(&mut stream, request);
        assert_eq!(reply["ok"], false, "{reply}");
        assert_eq!(reply["v"], 1);
        let error = reply["error"].as_str().unwrap_or("");
        assert!(error.contains(expected), "{request:?}: {error}");
    }
    // The same connection still works after all that.
    let reply = exchange(
        &mut stream,
        b"{\"v\":1,\"cmd\":\"status\",\"name\":\"alive\"}\n",
    );
    assert_eq!(reply["ok"], true, "{reply}");

    // An endless line: an error, then the connection is closed.
    let mut flood = UnixStream::connect(s.socket()).expect("connect");
    let chunk = vec![b'x'; 70 * 1024];
    let _ = flood.write_all(&chunk);
    // read_to_end keeps what came before an error (ECONNRESET: init closed with our bytes unread).
    let mut reply = Vec::new();
    let _ = flood.read_to_end(&mut reply);
    let reply = String::from_utf8_lossy(&reply);
    assert!(reply.contains("longer than"), "{reply}");

    // Clients that connect and vanish, or send half a request.
    for _ in 0..20 {
        drop(UnixStream::connect(s.socket()).expect("connect"));
        let mut half = UnixStream::connect(s.socket()).expect("connect");
        let _ = half.write_all(b"{\"v\":1,");
    }
    assert_eq!(s.status("alive")["pid"], pid);
    assert!(s.svc(&["list"]).status.success());
    assert_eq!(s.poweroff(), Some(0));
}

#[test]
fn svc_exit_codes_and_messages() {
    let mut s = Supervised::new();
    s.define_sh("up", "exec sleep 1000", "");
    s.define_sh("once", "true", "type = \"oneshot\"");

    let unreachable = s.svc(&["list"]);
    assert_eq!(unreachable.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&unreachable.stderr).contains("cannot reach init"),
        "{unreachable:?}"
    );

    s.start();
    s.wait_state("up", "running");
    let list = s.svc(&["list"]);
    assert!(list.status.success());
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(text.contains("up") && text.contains("running"), "{text}");

    let status = s.svc(&["status", "up"]);
    assert!(status.status.success());
    assert!(String::from_utf8_lossy(&status.stdout).contains("state:     running"));
    assert_eq!(s.svc(&["status", "nope"]).status.code(), Some(1));
    assert_eq!(s.svc(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(s.svc(&["status"]).status.code(), Some(2));
    assert_eq!(s.svc(&["status", "up", "extra"]).status.code(), Some(2));
    let help = s.svc(&["--help"]);
    assert!(help.status.success() && String::from_utf8_lossy(&help.stdout).contains("boot-report"));

    // Pointing at the socket directly works like --dir.
    let direct = std::process::Command::new(SVC)
        .arg("--socket")
        .arg(s.socket())
        .args(["status", "up"])
        .output()
        .expect("svc");
    assert!(direct.status.success());
}
