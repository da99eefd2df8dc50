//! Install actions in transactions: system users and groups (free and fixed ids, conflicts),
//! directories, triggers (once per transaction, unknown, failing), file owners (resolved,
//! set, verified), crashes around the actions, the privacy policy and `pkg audit`, and
//! dependency checks for package files.

mod common;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::PathBuf;

use basalt_pkg::install;
use basalt_pkg::keys;
use basalt_pkg::owners::running_as_root;
use common::{path_str, World};

/// A test package: `usr/bin/NAME` plus `files`, with recipe text added to `[package]` (`head`)
/// and after `[build]` (`tail`).
struct Recipe<'a> {
    name: &'a str,
    version: &'a str,
    privacy: &'a str,
    head: &'a str,
    tail: &'a str,
    files: &'a [(&'a str, &'a str)],
}

impl Default for Recipe<'_> {
    fn default() -> Self {
        Self {
            name: "",
            version: "1.0",
            privacy: "none",
            head: "",
            tail: "",
            files: &[],
        }
    }
}

fn build(world: &World, recipe: &Recipe) -> PathBuf {
    let dir = world
        .dir
        .path()
        .join(format!("act-{}-{}", recipe.name, recipe.version));
    let staging = dir.join("root");
    let bin = format!("usr/bin/{}", recipe.name);
    let own = [(bin.as_str(), "binary\n")];
    for (path, contents) in own.iter().chain(recipe.files) {
        fs::create_dir_all(staging.join(path).parent().unwrap()).unwrap();
        fs::write(staging.join(path), contents).unwrap();
    }
    fs::write(
        dir.join("package.toml"),
        format!(
            "[package]\nname = \"{}\"\nversion = \"{}\"\nsummary = \"s\"\nlicense = \"MIT\"\n\
             privacy = \"{}\"\n{}\n[build]\nstaging = \"root\"\n{}\n",
            recipe.name, recipe.version, recipe.privacy, recipe.head, recipe.tail
        ),
    )
    .unwrap();
    let secret = keys::read_secret(&world.dir.path().join("keys/repo.secret")).unwrap();
    basalt_pkg::build::build(&dir, &world.repo(), &secret.key, |_| {}).unwrap()
}

fn seed_accounts(world: &World, passwd: &str, group: &str) {
    let etc = world.root().join("etc");
    fs::create_dir_all(&etc).unwrap();
    fs::write(etc.join("passwd"), passwd).unwrap();
    fs::write(etc.join("group"), group).unwrap();
    fs::write(etc.join("shadow"), "root:*:19000:0:99999:7:::\n").unwrap();
    fs::set_permissions(etc.join("shadow"), fs::Permissions::from_mode(0o600)).unwrap();
}

const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\nd1:x:100:100::/:/sbin/nologin\n";
const GROUP: &str = "root:x:0:\nd1:x:100:\ng2:x:101:\n";

const WEB: &str = r#"
[[install.user]]
name = "web"

[[install.user]]
name = "webadm"
uid = 150
home = "/var/lib/web"
shell = "/bin/false"

[[install.directory]]
path = "var/log/web"
mode = 0o750
owner = "web"
group = "web"

[[install.directory]]
path = "var/lib/web"
mode = 0o750
owner = "web"
group = "web"

[[install.directory]]
path = "var/lib/web/cache"
mode = 0o700
owner = "webadm"
group = "web"

[owners]
"var/lib/web" = "web:web"
"var/lib/web/**" = "web"
"#;

fn web(world: &World) -> PathBuf {
    build(
        world,
        &Recipe {
            name: "web",
            tail: WEB,
            files: &[("var/lib/web/data", "d\n")],
            ..Recipe::default()
        },
    )
}

fn ids(world: &World, path: &str) -> (u32, u32, u32) {
    let meta = fs::symlink_metadata(world.root().join(path)).unwrap();
    (meta.uid(), meta.gid(), meta.permissions().mode() & 0o7777)
}

fn lines_starting(text: &str, prefix: &str) -> usize {
    text.lines().filter(|line| line.starts_with(prefix)).count()
}

#[test]
fn users_groups_directories_and_owners() {
    let world = World::new();
    seed_accounts(&world, PASSWD, GROUP);
    let file = web(&world);
    // `pkg info` shows the actions, and `--files` the owners.
    let (code, out) = world.pkg(&["info", "--files", path_str(&file)]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("creates user: web (uid a free system id)"),
        "{out}"
    );
    assert!(out.contains("creates user: webadm (uid 150)"), "{out}");
    assert!(
        out.contains("creates directory: /var/log/web (750 web:"),
        "{out}"
    );
    assert!(out.contains(" web:web var/lib/web/data"), "{out}");
    // The plan says what the actions will do; a dry run does none of it.
    let (code, out) = world.pkg(&["--dry-run", "install", path_str(&file)]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("create system user web (uid 102) and group web (gid 102) for web")
            && out.contains("create directory /var/log/web (mode 750, owner 102:102)"),
        "{out}"
    );
    assert_eq!(world.read("etc/passwd").unwrap(), PASSWD);
    let (code, out) = world.pkg(&["install", path_str(&file)]);
    assert_eq!(code, 0, "{out}");
    // 100 is a user and 101 a group: the first id free as both is 102.
    let passwd = world.read("etc/passwd").unwrap();
    assert!(passwd.starts_with(PASSWD), "{passwd}");
    assert!(
        passwd.contains("\nweb:x:102:102::/:/sbin/nologin\n"),
        "{passwd}"
    );
    assert!(
        passwd.contains("\nwebadm:x:150:150::/var/lib/web:/bin/false\n"),
        "{passwd}"
    );
    let group = world.read("etc/group").unwrap();
    assert!(
        group.starts_with(GROUP) && group.contains("\nweb:x:102:\n"),
        "{group}"
    );
    assert!(group.contains("\nwebadm:x:150:\n"), "{group}");
    let shadow = world.read("etc/shadow").unwrap();
    assert!(
        shadow.contains("\nweb:!:") && shadow.contains("\nwebadm:!:"),
        "{shadow}"
    );
    assert_eq!(ids(&world, "etc/shadow").2, 0o600, "shadow keeps its mode");
    assert_eq!(ids(&world, "var/log/web").2, 0o750);
    assert_eq!(ids(&world, "var/lib/web/cache").2, 0o700);
    // Staged and declared: the manifest takes the declared mode (so verify agrees).
    assert_eq!(ids(&world, "var/lib/web").2, 0o750);
    if running_as_root() {
        assert_eq!(ids(&world, "var/log/web"), (102, 102, 0o750));
        assert_eq!(ids(&world, "var/lib/web/cache"), (150, 102, 0o700));
        assert_eq!(ids(&world, "var/lib/web").0, 102);
        assert_eq!(ids(&world, "var/lib/web/data").0, 102);
        assert_eq!(ids(&world, "usr/bin/web").0, 0);
    }
    let (code, out) = world.pkg(&["verify"]);
    assert_eq!(code, 0, "{out}");
    if running_as_root() {
        // verify checks owners.
        let data = world.root().join("var/lib/web/data");
        std::os::unix::fs::chown(&data, Some(0), Some(0)).unwrap();
        let (code, out) = world.pkg(&["verify", "web"]);
        assert_eq!(code, 3, "{out}");
        assert!(
            out.contains("var/lib/web/data: owner 0:0 instead of web:web"),
            "{out}"
        );
        std::os::unix::fs::chown(&data, Some(102), Some(102)).unwrap();
    }
    // Removing the package keeps its users and a directory holding data; an empty one goes.
    fs::write(world.root().join("var/log/web/access.log"), "x").unwrap();
    let (code, out) = world.pkg(&["remove", "web"]);
    assert_eq!(code, 0, "{out}");
    assert!(world.read("etc/passwd").unwrap().contains("\nweb:x:102:"));
    assert!(world.root().join("var/log/web/access.log").exists());
    assert!(!world.root().join("var/lib/web").exists());
    // Installing again leaves the existing users alone: one line each.
    let (code, out) = world.pkg(&["install", path_str(&file)]);
    assert_eq!(code, 0, "{out}");
    let passwd = world.read("etc/passwd").unwrap();
    assert_eq!(lines_starting(&passwd, "web:"), 1, "{passwd}");
    assert_eq!(lines_starting(&world.read("etc/group").unwrap(), "web:"), 1);
    assert_eq!(
        lines_starting(&world.read("etc/shadow").unwrap(), "web:"),
        1
    );
}

#[test]
fn a_fixed_uid_taken_by_another_user_is_refused() {
    let world = World::new();
    let passwd = "root:x:0:0::/root:/bin/sh\nother:x:150:150::/:/bin/sh\n";
    seed_accounts(&world, passwd, "root:x:0:\n");
    let file = web(&world);
    let (code, out) = world.pkg(&["install", path_str(&file)]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("needs user webadm with uid 150, but uid 150 is user other's"),
        "{out}"
    );
    assert_eq!(world.read("etc/passwd").unwrap(), passwd);
    assert_eq!(world.read("etc/group").unwrap(), "root:x:0:\n");
    assert!(!world.root().join("var/log/web").exists());
    assert_eq!(world.installed(), "");
}

#[test]
fn an_existing_user_is_left_alone() {
    let world = World::new();
    let passwd = "root:x:0:0::/root:/bin/sh\nwebadm:x:300:300::/:/bin/sh\n";
    seed_accounts(&world, passwd, "root:x:0:\nwebadm:x:300:\n");
    let file = web(&world);
    let (code, out) = world.pkg(&["install", path_str(&file)]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("user webadm exists with uid 300 (web asks for 150); it is left as it is"),
        "{out}"
    );
    let now = world.read("etc/passwd").unwrap();
    assert!(
        now.starts_with(passwd) && lines_starting(&now, "webadm:") == 1,
        "{now}"
    );
    if running_as_root() {
        assert_eq!(ids(&world, "var/lib/web/cache").0, 300);
    }
}

#[test]
fn unknown_owner_names_are_refused_before_anything_changes() {
    let world = World::new();
    let file = build(
        &world,
        &Recipe {
            name: "ghostly",
            tail: "[owners]\n\"usr/bin/ghostly\" = \"ghost:root\"\n",
            ..Recipe::default()
        },
    );
    let (code, out) = world.pkg(&["install", path_str(&file)]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("package ghostly: /usr/bin/ghostly: owner `ghost` is not a user of this root"),
        "{out}"
    );
    assert!(!world.root().join("usr").exists());
    assert_eq!(world.installed(), "");
    let dir = build(
        &world,
        &Recipe {
            name: "spool",
            tail: "[[install.directory]]\npath = \"var/spool/x\"\ngroup = \"nogroup\"\n",
            ..Recipe::default()
        },
    );
    let (code, out) = world.pkg(&["install", path_str(&dir)]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("directory /var/spool/x: group `nogroup` is not a group"),
        "{out}"
    );
    assert!(!world.root().join("var/spool").exists());
}

/// Defines the trigger action `name` in the root as `sh -c SCRIPT`.
fn define_trigger(world: &World, name: &str, script: &str) {
    let dir = world.root().join("etc/basalt/pkg/triggers");
    fs::create_dir_all(&dir).unwrap();
    let quoted = script.replace('\\', "\\\\").replace('"', "\\\"");
    fs::write(
        dir.join(format!("{name}.toml")),
        format!("command = [\"sh\", \"-c\", \"{quoted}\"]\n"),
    )
    .unwrap();
}

const RECORD: &str =
    "cat >> \"$PKG_ROOT/paths.log\"; echo \"$PKG_TRIGGER in $(pwd)\" >> \"$PKG_ROOT/runs.log\"";

fn library(world: &World, name: &str, tail: &str) -> PathBuf {
    let path = format!("usr/lib/lib{name}.so");
    let files = [(path.as_str(), "elf\n")];
    build(
        world,
        &Recipe {
            name,
            tail,
            files: &files,
            ..Recipe::default()
        },
    )
}

#[test]
fn a_trigger_runs_once_per_transaction_with_the_changed_paths() {
    let world = World::new();
    define_trigger(&world, "ldconfig", RECORD);
    let interest = "[[install.trigger]]\naction = \"ldconfig\"\npaths = [\"usr/lib\"]\n";
    let a = library(&world, "a", interest);
    let b = library(&world, "b", interest);
    let other = build(
        &world,
        &Recipe {
            name: "other",
            ..Recipe::default()
        },
    );
    let (code, out) = world.pkg(&["install", path_str(&a), path_str(&b), path_str(&other)]);
    assert_eq!(code, 0, "{out}");
    let root = fs::canonicalize(world.root()).unwrap();
    assert_eq!(
        world.read("runs.log").unwrap(),
        format!("ldconfig in {}\n", root.display())
    );
    assert_eq!(
        world.read("paths.log").unwrap(),
        "/usr/lib/liba.so\n/usr/lib/libb.so\n"
    );
    // A transaction that touches nothing below usr/lib does not set it off.
    let (code, out) = world.pkg(&["remove", "other"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(world.read("runs.log").unwrap().lines().count(), 1);
    // Removing a library does.
    let (code, out) = world.pkg(&["remove", "b"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(world.read("runs.log").unwrap().lines().count(), 2);
    assert!(world
        .read("paths.log")
        .unwrap()
        .ends_with("/usr/lib/libb.so\n/usr/lib/libb.so\n"));
}

#[test]
fn an_unknown_trigger_warns_and_a_failing_one_is_reported() {
    let world = World::new();
    let unknown = library(
        &world,
        "u",
        "[[install.trigger]]\naction = \"no-such-action\"\npaths = [\"usr/lib\"]\n",
    );
    let (code, out) = world.pkg(&["install", path_str(&unknown)]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("warning: trigger `no-such-action` (declared by u) is not defined"),
        "{out}"
    );
    define_trigger(&world, "broken", "echo broken >&2; exit 3");
    let failing = library(
        &world,
        "f",
        "[[install.trigger]]\naction = \"broken\"\npaths = [\"usr/lib/libf.so\"]\n",
    );
    let (code, out) = world.pkg(&["install", path_str(&failing)]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("the transaction is committed (generation 2), but trigger `broken` (declared by f) failed")
            && out.contains("exit status: 3"),
        "{out}"
    );
    // Committed: installed, recorded, and nothing left to recover.
    assert!(world.installed().contains("f 1.0-1"));
    assert!(world.read("usr/lib/libf.so").is_some());
    common::assert_no_leftovers(&world.root(), "failed trigger");
    assert_eq!(world.pkg(&["verify"]).0, 0);
}

#[test]
fn a_crash_around_the_actions_leaves_before_or_after() {
    for (point, after) in [
        ("checked", false),
        ("staged", false),
        ("journaled", true),
        ("accounts-group", true),
        ("accounts", true),
        ("directories", true),
        ("moved-one", true),
        ("committed", true),
        ("triggered", true),
    ] {
        let world = World::new();
        seed_accounts(&world, PASSWD, GROUP);
        define_trigger(&world, "ldconfig", RECORD);
        let tail =
            format!("{WEB}\n[[install.trigger]]\naction = \"ldconfig\"\npaths = [\"usr/lib\"]\n");
        let file = build(
            &world,
            &Recipe {
                name: "web",
                tail: &tail,
                files: &[("var/lib/web/data", "d\n"), ("usr/lib/libweb.so", "elf\n")],
                ..Recipe::default()
            },
        );
        let (code, out) = world.pkg_once(
            &["--yes", "install", path_str(&file)],
            &[("PKG_CRASH_AT", point)],
        );
        assert_ne!(code, 0, "{point}: the crash hook did not fire: {out}");
        let lock = install::lock(&world.root()).unwrap();
        install::recover(&world.root(), &lock).unwrap();
        drop(lock);
        common::assert_no_leftovers(&world.root(), point);
        let passwd = world.read("etc/passwd").unwrap();
        let group = world.read("etc/group").unwrap();
        let shadow = world.read("etc/shadow").unwrap();
        if !after {
            assert_eq!(passwd, PASSWD, "{point}");
            assert_eq!(group, GROUP, "{point}");
            assert_eq!(world.installed(), "", "{point}");
            assert!(!world.root().join("var/log/web").exists(), "{point}");
            continue;
        }
        assert_eq!(
            world.installed(),
            "web 1.0-1 [privacy: none]\n",
            "crash at {point}"
        );
        for (name, text) in [("passwd", &passwd), ("group", &group), ("shadow", &shadow)] {
            for user in ["web:", "webadm:"] {
                assert_eq!(lines_starting(text, user), 1, "{point}: {name}: {text}");
            }
        }
        assert!(passwd.contains("\nweb:x:102:102:"), "{point}: {passwd}");
        assert_eq!(ids(&world, "var/log/web").2, 0o750, "{point}");
        if running_as_root() {
            assert_eq!(ids(&world, "var/log/web").0, 102, "{point}");
            assert_eq!(ids(&world, "var/lib/web/data").0, 102, "{point}");
        }
        // The trigger ran at least once (again after a crash once it had run).
        assert!(
            world
                .read("paths.log")
                .is_some_and(|log| log.contains("/usr/lib/libweb.so\n")),
            "{point}"
        );
        let (code, out) = world.pkg(&["verify"]);
        assert_eq!(code, 0, "{point}: {out}");
    }
}

fn privacy_package(world: &World, name: &str, privacy: &str) -> PathBuf {
    build(
        world,
        &Recipe {
            name,
            privacy,
            ..Recipe::default()
        },
    )
}

#[test]
fn the_privacy_policy_is_applied_before_anything_changes() {
    let world = World::new();
    let quiet = privacy_package(&world, "quiet", "none");
    let stats = privacy_package(&world, "stats", "telemetry");
    let spy = privacy_package(&world, "spy", "tracking");
    // allow: silent.
    let (code, out) = world.pkg(&["install", path_str(&quiet)]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("privacy"), "{out}");
    // warn: said, installed.
    let (code, out) = world.pkg(&["install", path_str(&stats)]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("privacy: stats 1.0-1 declares privacy level `telemetry` (it sends usage or crash data); installing it"),
        "{out}"
    );
    // confirm: --yes alone refuses; a dry run says it would ask; --allow-tracking confirms.
    let (code, out) = world.pkg(&["install", path_str(&spy)]);
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("spy 1.0-1 declares privacy level `tracking`")
            && out.contains("add --allow-tracking")
            && out.contains(path_str(&spy)),
        "{out}"
    );
    let (code, out) = world.pkg_once(&["install", path_str(&spy)], &[]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("no terminal to ask on"), "{out}");
    let (code, out) = world.pkg(&["--dry-run", "install", path_str(&spy)]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("the policy asks to confirm it"), "{out}");
    assert!(!world.installed().contains("spy"));
    assert!(world.read("usr/bin/spy").is_none());
    // audit: by level, most intrusive first, exit 5 while anything is above `none`.
    let (code, out) = world.pkg(&["audit"]);
    assert_eq!(code, 5, "{out}");
    assert!(
        out.starts_with(
            "telemetry (it sends usage or crash data; policy: warn):\n  stats 1.0-1\nnone ("
        ),
        "{out}"
    );
    let (code, out) = world.pkg(&["--allow-tracking", "install", path_str(&spy)]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("confirmed by --allow-tracking"), "{out}");
    let (code, out) = world.pkg(&["audit"]);
    assert_eq!(code, 5, "{out}");
    assert!(
        out.starts_with("tracking (it tracks its users; policy: confirm):\n  spy 1.0-1\n"),
        "{out}"
    );
    assert!(
        out.contains("3 installed: 1 none, 1 telemetry, 1 tracking\n"),
        "{out}"
    );
    // deny: refused even with --allow-tracking.
    assert_eq!(world.pkg(&["remove", "spy", "stats"]).0, 0);
    fs::write(
        world.root().join("etc/basalt/pkg/pkg.toml"),
        "[privacy]\ntelemetry = \"deny\"\ntracking = \"deny\"\n",
    )
    .unwrap();
    for file in [&stats, &spy] {
        let (code, out) = world.pkg(&["--allow-tracking", "install", path_str(file)]);
        assert_eq!(code, 3, "{out}");
        assert!(out.contains("is deny; nothing was changed"), "{out}");
    }
    let (code, out) = world.pkg(&["audit"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        out,
        "none (no telemetry, no tracking; policy: allow):\n  quiet 1.0-1\n1 installed: 1 none, 0 telemetry, 0 tracking\n"
    );
}

#[test]
fn package_files_with_unmet_dependencies_are_refused() {
    let world = World::new();
    let lib1 = build(
        &world,
        &Recipe {
            name: "lib",
            ..Recipe::default()
        },
    );
    let lib2 = build(
        &world,
        &Recipe {
            name: "lib",
            version: "2.0",
            ..Recipe::default()
        },
    );
    let app = build(
        &world,
        &Recipe {
            name: "app",
            head: "depends = [\"lib >= 2\", \"sh\"]",
            ..Recipe::default()
        },
    );
    let shell = build(
        &world,
        &Recipe {
            name: "busybox",
            head: "provides = [\"sh = 1.36\"]",
            ..Recipe::default()
        },
    );
    let (code, out) = world.pkg(&["install", path_str(&app)]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("app 1.0-1 needs `lib >= 2`, which neither the installed packages nor the files given provide")
            && out.contains("needs `sh`"),
        "{out}"
    );
    assert_eq!(world.pkg(&["install", path_str(&lib1)]).0, 0);
    let (code, out) = world.pkg(&["install", path_str(&app), path_str(&shell)]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("(there is only lib 1.0-1)") && !out.contains("`sh`"),
        "{out}"
    );
    assert_eq!(world.installed(), "lib 1.0-1 [privacy: none]\n");
    // The files given together meet them (lib upgraded in the same transaction; sh provided).
    let (code, out) = world.pkg(&["install", path_str(&app), path_str(&shell), path_str(&lib2)]);
    assert_eq!(code, 0, "{out}");
    // A new package that conflicts with an installed one is refused too.
    let rival = build(
        &world,
        &Recipe {
            name: "toybox",
            head: "conflicts = [\"busybox\"]",
            ..Recipe::default()
        },
    );
    let (code, out) = world.pkg(&["install", path_str(&rival)]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("toybox 1.0-1 conflicts with `busybox`, which busybox 1.0-1 is"),
        "{out}"
    );
}

/// Runs `pkg --root ROOT ARGS` on a terminal (`script` gives it one) that receives `input`.
fn pkg_on_terminal(world: &World, args: &str, input: &str) -> Option<(i32, String)> {
    let line = format!(
        "{} --root {} {args}",
        env!("CARGO_BIN_EXE_pkg"),
        path_str(&world.root())
    );
    let mut child = match std::process::Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env_remove("PKG_CRASH_AT")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(error) => {
            eprintln!("skipped: `script` (util-linux) cannot run: {error}");
            return None;
        }
    };
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Some((output.status.code().unwrap_or(-1), text))
}

#[test]
fn confirm_asks_on_a_terminal() {
    let world = World::new();
    let spy = privacy_package(&world, "spy", "tracking");
    let args = format!("install {}", path_str(&spy));
    let Some((code, out)) = pkg_on_terminal(&world, &args, "n\n") else {
        return;
    };
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("spy 1.0-1 declares privacy level `tracking` (it tracks its users). Install it anyway? [y/N]")
            && out.contains("not confirmed; nothing was changed"),
        "{out}"
    );
    assert_eq!(world.installed(), "");
    let (code, out) = pkg_on_terminal(&world, &args, "y\ny\n").unwrap();
    assert_eq!(code, 0, "{out}");
    assert!(world.installed().contains("spy 1.0-1"));
}

/// Makes the world usable by uid 65534 and runs `pkg --root ROOT --yes ARGS` as that user (or
/// as the current user when that is not root).
fn pkg_without_root(world: &World, args: &[&str]) -> (i32, String) {
    fn give_away(path: &std::path::Path) {
        std::os::unix::fs::lchown(path, Some(65534), Some(65534)).unwrap();
        if fs::symlink_metadata(path).unwrap().is_dir() {
            for entry in fs::read_dir(path).unwrap() {
                give_away(&entry.unwrap().path());
            }
        }
    }
    let mut command = if running_as_root() {
        fs::set_permissions(world.dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        give_away(&world.root());
        let mut command = std::process::Command::new("setpriv");
        command.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            env!("CARGO_BIN_EXE_pkg"),
        ]);
        command
    } else {
        std::process::Command::new(env!("CARGO_BIN_EXE_pkg"))
    };
    let output = command
        .arg("--root")
        .arg(world.root())
        .arg("--yes")
        .args(args)
        .env_remove("PKG_CRASH_AT")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), text)
}

#[test]
fn without_root_owners_are_not_set_and_that_is_said_once() {
    let world = World::new();
    seed_accounts(&world, PASSWD, GROUP);
    let file = web(&world);
    let (code, out) = pkg_without_root(&world, &["install", path_str(&file)]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        out.matches("warning: not running as root: files keep the owner of the user running pkg")
            .count(),
        1,
        "{out}"
    );
    assert!(world
        .read("etc/passwd")
        .unwrap()
        .contains("\nweb:x:102:102:"));
    assert_eq!(ids(&world, "var/log/web").2, 0o750);
    if running_as_root() {
        // pkg ran as uid 65534: what it made is that user's.
        assert_eq!(ids(&world, "usr/bin/web").0, 65534);
        assert_eq!(ids(&world, "var/log/web").0, 65534);
    }
    let (code, out) = pkg_without_root(&world, &["verify"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("owners are not checked"), "{out}");
}

#[test]
fn a_package_that_replaces_another_takes_its_place() {
    let world = World::new();
    let shared = [("usr/share/tool/data", "old data\n")];
    let old = build(
        &world,
        &Recipe {
            name: "oldtool",
            files: &shared,
            ..Recipe::default()
        },
    );
    let (code, out) = world.pkg(&["install", path_str(&old)]);
    assert_eq!(code, 0, "{out}");
    let new = build(
        &world,
        &Recipe {
            name: "newtool",
            head: "replaces = [\"oldtool < 2\"]\nprovides = [\"oldtool = 1.0\"]",
            files: &[("usr/share/tool/data", "new data\n")],
            ..Recipe::default()
        },
    );
    // A package file: the replaced package goes in the same transaction, its files taken over.
    let (code, out) = world.pkg(&["install", path_str(&new)]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("remove oldtool 1.0-1"), "{out}");
    assert_eq!(
        fs::read_to_string(world.root().join("usr/share/tool/data")).unwrap(),
        "new data\n"
    );
    assert!(!world.root().join("usr/bin/oldtool").exists());
    let (_, list) = world.pkg(&["list", "--installed"]);
    assert!(
        list.contains("newtool") && !list.contains("oldtool"),
        "{list}"
    );
    let (code, out) = world.pkg(&["verify"]);
    assert_eq!(code, 0, "{out}");

    // From a repository: the solver may choose the replacing package over the installed one.
    let (code, out) = world.pkg(&["rollback"]);
    assert_eq!(code, 0, "{out}");
    world.index();
    let (code, out) = world.pkg(&["install", "--repo", path_str(&world.repo()), "newtool"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("remove oldtool 1.0-1"), "{out}");
    let (_, list) = world.pkg(&["list", "--installed"]);
    assert!(
        list.contains("newtool") && !list.contains("oldtool"),
        "{list}"
    );
}
