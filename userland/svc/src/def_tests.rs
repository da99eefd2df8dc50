use super::*;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

fn dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

#[test]
fn a_full_definition_parses() {
    let d = dir();
    let path = write(
        d.path(),
        "web.toml",
        r#"
description = "web server"
command = "/usr/bin/web"
args = ["--port", "80"]
environment = { MODE = "prod" }
working_directory = "/srv"
user = "www"
group = "www"
requires = ["db"]
wants = ["cache"]
after = ["net"]
before = ["proxy"]
type = "notify"
ready_fd = 4
restart = "on-failure"
restart_delay_ms = 50
restart_delay_max_ms = 800
restart_limit = 5
restart_window_s = 20
stop_signal = "SIGINT"
stop_timeout_ms = 1500
[rlimits]
nofile = 1024
core = [0, "infinity"]
[log]
ring_lines = 50
max_bytes = 4096
keep = 1
"#,
    );
    let def = DefinitionFile::read(&path)
        .expect("parses")
        .instantiate(None)
        .expect("instantiates");
    assert_eq!(def.name, "web");
    assert_eq!(def.command, "/usr/bin/web");
    assert_eq!(def.args, ["--port", "80"]);
    assert_eq!(def.environment["MODE"], "prod");
    assert_eq!(def.requires, ["db"]);
    assert_eq!(def.wants, ["cache"]);
    assert_eq!(def.after, ["net"]);
    assert_eq!(def.before, ["proxy"]);
    assert_eq!(def.service_type, ServiceType::Notify);
    assert_eq!(def.ready_fd, Some(4));
    assert_eq!(def.restart, RestartPolicy::OnFailure);
    assert_eq!(def.restart_delay, Duration::from_millis(50));
    assert_eq!(def.restart_limit, 5);
    assert_eq!(def.stop_signal, "INT");
    assert_eq!(def.stop_timeout, Duration::from_millis(1500));
    assert_eq!(
        def.rlimits["nofile"],
        Limit {
            soft: Some(1024),
            hard: Some(1024)
        }
    );
    assert_eq!(
        def.rlimits["core"],
        Limit {
            soft: Some(0),
            hard: None
        }
    );
    assert_eq!(
        (def.log_ring_lines, def.log_max_bytes, def.log_keep),
        (50, 4096, 1)
    );
}

#[test]
fn defaults_are_a_simple_service_that_is_not_restarted() {
    let d = dir();
    let path = write(d.path(), "x.toml", "command = \"/bin/true\"\n");
    let def = DefinitionFile::read(&path)
        .expect("parses")
        .instantiate(None)
        .expect("ok");
    assert_eq!(def.service_type, ServiceType::Simple);
    assert_eq!(def.restart, RestartPolicy::Never);
    assert_eq!(def.stop_signal, "TERM");
    assert!(def.rlimits.is_empty() && def.requires.is_empty());
}

fn error_of(name: &str, text: &str) -> String {
    let d = dir();
    let path = write(d.path(), name, text);
    match DefinitionFile::read(&path) {
        Ok(_) => panic!("{name} should be rejected"),
        Err(error) => error
            .to_string()
            .replace(&d.path().display().to_string(), "DIR"),
    }
}

#[test]
fn errors_name_the_file_and_line() {
    let unknown = error_of("a.toml", "command = \"/bin/true\"\n\ncommnd = 1\n");
    assert!(
        unknown.starts_with("DIR/a.toml:3: unknown field `commnd`"),
        "{unknown}"
    );
    let syntax = error_of("b.toml", "command = \"/bin/true\"\nargs = [\n");
    assert!(syntax.starts_with("DIR/b.toml:"), "{syntax}");
    let missing = error_of("c.toml", "args = []\n");
    assert!(
        missing.contains("c.toml") && missing.contains("command"),
        "{missing}"
    );
    let empty = error_of("d.toml", "\n\ncommand = \"\"\n");
    assert!(
        empty.starts_with("DIR/d.toml:3: `command` is empty"),
        "{empty}"
    );
    let signal = error_of("e.toml", "command = \"x\"\nstop_signal = \"SIGFOO\"\n");
    assert!(
        signal.starts_with("DIR/e.toml:2: `stop_signal`: unknown signal"),
        "{signal}"
    );
    let fd = error_of(
        "f.toml",
        "command = \"x\"\ntype = \"notify\"\nready_fd = 1\n",
    );
    assert!(fd.starts_with("DIR/f.toml:3: `ready_fd` must be"), "{fd}");
    let fd_type = error_of("g.toml", "command = \"x\"\nready_fd = 3\n");
    assert!(fd_type.contains("needs `type = \"notify\"`"), "{fd_type}");
    let limit = error_of("h.toml", "command = \"x\"\n[rlimits]\nnofiles = 3\n");
    assert!(
        limit.starts_with("DIR/h.toml:3: `rlimits`: unknown limit `nofiles`"),
        "{limit}"
    );
    let soft = error_of("i.toml", "command = \"x\"\n[rlimits]\nnofile = [10, 5]\n");
    assert!(soft.contains("soft limit above the hard one"), "{soft}");
    let dep = error_of("j.toml", "command = \"x\"\nrequires = [\"../etc\"]\n");
    assert!(
        dep.starts_with("DIR/j.toml:2: `requires`: `../etc` is not a valid service name"),
        "{dep}"
    );
    let own = error_of("k.toml", "command = \"x\"\nafter = [\"k\"]\n");
    assert!(own.contains("cannot depend on itself"), "{own}");
    let inst = error_of("l.toml", "command = \"x\"\ninstances = [\"a\"]\n");
    assert!(inst.contains("only for templates"), "{inst}");
    let kind = error_of("m.toml", "command = \"x\"\ntype = \"forking\"\n");
    assert!(
        kind.starts_with("DIR/m.toml:2: unknown variant `forking`"),
        "{kind}"
    );
    let bad_name = error_of("bad name.toml", "command = \"x\"\n");
    assert!(
        bad_name.contains("not a valid service file name"),
        "{bad_name}"
    );
}

#[test]
fn templates_substitute_the_instance() {
    let d = dir();
    let path = write(
        d.path(),
        "getty@.toml",
        "command = \"/sbin/getty\"\nargs = [\"%i\", \"115200\"]\nenvironment = { TTY = \"/dev/%i\" }\nrequires = [\"udev@%i\"]\ninstances = [\"ttyS0\"]\n",
    );
    let file = DefinitionFile::read(&path).expect("parses");
    assert!(file.is_template());
    assert_eq!(file.boot_instances(), ["ttyS0"]);
    let def = file.instantiate(Some("ttyS1")).expect("instance");
    assert_eq!(def.name, "getty@ttyS1");
    assert_eq!(def.args, ["ttyS1", "115200"]);
    assert_eq!(def.environment["TTY"], "/dev/ttyS1");
    assert_eq!(def.requires, ["udev@ttyS1"]);
    assert!(file.instantiate(None).is_err());
    assert!(file.instantiate(Some("a/b")).is_err());
}

#[test]
fn names() {
    for good in ["web", "getty@ttyS0", "a-b_c.d:e"] {
        assert!(valid_name(good), "{good}");
    }
    for bad in [
        "",
        "a b",
        "../x",
        ".hidden",
        "a@",
        "@b",
        "a@b@c",
        "a/b",
        &"x".repeat(65),
    ] {
        assert!(!valid_name(bad), "{bad}");
    }
}
