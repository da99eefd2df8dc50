//! Multi-package transactions: all-or-nothing with crashes at every step, remove with
//! dependents, upgrade with changed config files, generations and rollback, --dry-run and
//! --yes, and concurrent writers.

mod common;

use std::fs;

use basalt_pkg::db::{check_entry, Database};
use basalt_pkg::install;
use common::{path_str, Spec, World};

#[test]
fn round_trip_install_verify_upgrade_remove_rollback() {
    let world = World::new();
    let conf = [("etc/base.conf", "setting = 1\n")];
    world.build(
        "base",
        &Spec {
            files: &conf,
            ..Spec::default()
        },
    );
    world.build(
        "app",
        &Spec {
            depends: &["base >= 1"],
            ..Spec::default()
        },
    );
    world.index();
    let repo = world.repo();
    let (code, out) = world.pkg(&["install", "--repo", path_str(&repo), "app"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("install app 1.0-1") && out.contains("install base 1.0-1"),
        "{out}"
    );
    assert_eq!(world.pkg(&["verify"]).0, 0);
    // A local change to a config file survives the upgrade; the new one lands beside it.
    fs::write(world.root().join("etc/base.conf"), "setting = mine\n").unwrap();
    let new_conf = [("etc/base.conf", "setting = 2\n")];
    world.build(
        "base",
        &Spec {
            version: "2.0",
            files: &new_conf,
            ..Spec::default()
        },
    );
    world.index();
    let (code, out) = world.pkg(&["upgrade", "--repo", path_str(&repo)]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("upgrade base 1.0-1 -> 2.0-1"), "{out}");
    assert!(!out.contains("app"), "least change: {out}");
    assert_eq!(world.read("usr/bin/base").unwrap(), "base 2.0\n");
    assert_eq!(world.read("etc/base.conf").unwrap(), "setting = mine\n");
    assert_eq!(world.read("etc/base.conf.pkgnew").unwrap(), "setting = 2\n");
    // Nothing newer: nothing to do.
    assert!(world
        .pkg(&["upgrade", "--repo", path_str(&repo)])
        .1
        .contains("nothing to do"));
    // base is needed by app.
    let (code, out) = world.pkg(&["remove", "base"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("app depends on `base >= 1`"), "{out}");
    assert!(world.read("usr/bin/base").is_some());
    let (code, out) = world.pkg(&["remove", "base", "app"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(world.installed(), "");
    assert!(world.read("usr/bin/base").is_none() && world.read("usr/bin/app").is_none());
    // The changed config file is kept on remove (as dpkg does); the unchanged directory goes.
    assert_eq!(world.read("etc/base.conf").unwrap(), "setting = mine\n");
    assert!(!world.root().join("usr/bin").exists());
    let (_, history) = world.pkg(&["history"]);
    let lines: Vec<&str> = history.lines().collect();
    assert_eq!(lines.len(), 3, "{history}");
    assert!(
        lines[0].starts_with("1 ") && lines[0].contains("install app 1.0-1, install base 1.0-1")
    );
    assert!(lines[1].starts_with("2 ") && lines[1].contains("upgrade base 1.0-1 -> 2.0-1"));
    assert!(lines[2].starts_with("3 ") && lines[2].contains("remove base 2.0-1, remove app 1.0-1"));
    // Back to generation 2, then to 1, from the cache, each a new generation.
    let (code, out) = world.pkg(&["rollback"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        world.installed().contains("base 2.0-1"),
        "{}",
        world.installed()
    );
    let (code, out) = world.pkg(&["rollback", "1"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("downgrade base 2.0-1 -> 1.0-1"), "{out}");
    assert_eq!(
        world.installed(),
        "app 1.0-1 [privacy: none]\nbase 1.0-1 [privacy: none]\n"
    );
    assert_eq!(world.read("usr/bin/base").unwrap(), "base 1.0\n");
    assert!(world.pkg(&["history"]).1.lines().count() == 5);
    // A missing cached package file is named, and nothing changes.
    fs::remove_file(world.root().join("var/cache/basalt/pkg/base_2.0-1.pkg")).unwrap();
    let (code, out) = world.pkg(&["rollback", "2"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("needs base 2.0-1") && out.contains("missing from the cache"),
        "{out}"
    );
    assert!(world.installed().contains("base 1.0-1"));
    // Generation 0 is the empty root.
    assert_eq!(world.pkg(&["rollback", "0"]).0, 0);
    assert_eq!(world.installed(), "");
}

#[test]
fn conflicts_between_new_packages_change_nothing() {
    let world = World::new();
    let shared = [("share/common", "x")];
    let one = world.build(
        "one",
        &Spec {
            files: &shared,
            ..Spec::default()
        },
    );
    let two = world.build(
        "two",
        &Spec {
            files: &shared,
            ..Spec::default()
        },
    );
    let (code, out) = world.pkg(&["install", path_str(&one), path_str(&two)]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("/share/common is in both one and two"),
        "{out}"
    );
    assert!(!world.root().join("usr").exists());
    assert_eq!(world.installed(), "");
}

#[test]
fn dry_run_and_confirmation() {
    let world = World::new();
    let file = world.build("tool", &Spec::default());
    let (code, out) = world.pkg(&["--dry-run", "install", path_str(&file)]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("install tool 1.0-1") && out.contains("nothing was changed"),
        "{out}"
    );
    assert_eq!(world.installed(), "");
    // Without --yes and without a terminal to ask on: refused.
    let (code, out) = world.pkg_once(&["install", path_str(&file)], &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("without --yes"), "{out}");
    assert_eq!(world.installed(), "");
    assert!(!world.root().join("usr/bin/tool").exists());
}

/// The root holds all three packages at version `v1` (before) or `v2` and `c` (after), nothing
/// in between.
fn state(world: &World) -> &'static str {
    let root = world.root();
    let db = Database::for_root(&root);
    for header in db.all().unwrap() {
        for entry in &header.entries {
            assert_eq!(check_entry(&root, entry), None, "{}", header.meta.name);
        }
    }
    let installed = world.installed();
    if installed == "a 1.0-1 [privacy: none]\nb 1.0-1 [privacy: none]\n" {
        assert!(world.read("usr/bin/c").is_none());
        assert!(world.read("share/a/old").is_some());
        "before"
    } else {
        assert_eq!(
            installed, "a 2.0-1 [privacy: none]\nc 1.0-1 [privacy: none]\n",
            "neither before nor after"
        );
        assert!(world.read("usr/bin/b").is_none() && world.read("share/a/old").is_none());
        assert_eq!(world.read("usr/bin/a").unwrap(), "a 2.0\n");
        "after"
    }
}

#[test]
fn a_crash_at_any_step_of_a_multi_package_transaction_leaves_before_or_after() {
    for (point, expected) in [
        ("checked", "before"),
        ("made-directories", "before"),
        ("staged-one", "before"),
        ("staged", "before"),
        ("journaled", "after"),
        ("removed-one", "after"),
        ("moved-one", "after"),
        ("renamed", "after"),
        ("committed", "after"),
    ] {
        let world = World::new();
        let a1 = world.build(
            "a",
            &Spec {
                files: &[("share/a/old", "o")],
                ..Spec::default()
            },
        );
        let b = world.build("b", &Spec::default());
        let a2 = world.build(
            "a",
            &Spec {
                version: "2.0",
                files: &[("share/a/new", "n")],
                ..Spec::default()
            },
        );
        let c = world.build("c", &Spec::default());
        // Generation 1 is the "after" set; 2 is empty; 3 the "before" set.
        assert_eq!(world.pkg(&["install", path_str(&a2), path_str(&c)]).0, 0);
        assert_eq!(world.pkg(&["rollback", "0"]).0, 0);
        assert_eq!(world.pkg(&["install", path_str(&a1), path_str(&b)]).0, 0);
        // One transaction: upgrade a, remove b, install c.
        let (code, out) = world.pkg_once(&["--yes", "rollback", "1"], &[("PKG_CRASH_AT", point)]);
        assert_ne!(code, 0, "{point}: the crash hook did not fire: {out}");
        assert!(
            out.contains("upgrade a 1.0-1 -> 2.0-1")
                && out.contains("remove b")
                && out.contains("install c"),
            "{out}"
        );
        let lock = install::lock(&world.root()).unwrap();
        install::recover(&world.root(), &lock).unwrap();
        drop(lock);
        assert_eq!(state(&world), expected, "crash at {point}");
        common::assert_no_leftovers(&world.root(), point);
        if expected == "before" {
            let (code, out) = world.pkg(&["rollback", "1"]);
            assert_eq!(code, 0, "{point}: after recovery: {out}");
            assert_eq!(state(&world), "after");
        }
        let generations = world.pkg(&["history"]).1.lines().count();
        assert_eq!(generations, 4, "{point}: one generation per transaction");
    }
}

#[test]
fn two_concurrent_writers_one_wins_at_a_time() {
    let world = World::new();
    let files: Vec<_> = (0..6)
        .map(|n| world.build(&format!("p{n}"), &Spec::default()))
        .collect();
    let runs: Vec<_> = files
        .chunks(3)
        .map(|chunk| {
            let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_pkg"));
            command
                .arg("--root")
                .arg(world.root())
                .args(["--yes", "install"]);
            command
                .args(chunk)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null());
            command.spawn().unwrap()
        })
        .collect();
    let mut succeeded = 0;
    for mut child in runs {
        if child.wait().unwrap().success() {
            succeeded += 1;
        }
    }
    assert!(succeeded >= 1);
    // Whatever ran ran whole: each half is all in or all out, and the root is consistent.
    let installed = world.installed();
    for half in [["p0", "p1", "p2"], ["p3", "p4", "p5"]] {
        let present = half
            .iter()
            .filter(|n| installed.contains(&format!("{n} ")))
            .count();
        assert!(present == 0 || present == 3, "{installed}");
    }
    assert_eq!(world.pkg(&["verify"]).0, 0);
    assert_eq!(world.pkg(&["history"]).1.lines().count(), succeeded);
}

#[test]
fn repository_requests_change_as_little_as_possible() {
    let world = World::new();
    // `local` is installed from a file the repository does not list.
    world.build("lib", &Spec::default());
    world.build(
        "tool",
        &Spec {
            depends: &["lib"],
            ..Spec::default()
        },
    );
    world.index();
    let repo = world.repo();
    let local = world.build("local", &Spec::default());
    let moved = world.dir.path().join("local.pkg");
    fs::rename(&local, &moved).unwrap();
    assert_eq!(world.pkg(&["install", path_str(&moved)]).0, 0);
    assert_eq!(
        world.pkg(&["install", "--repo", path_str(&repo), "lib"]).0,
        0
    );
    world.build(
        "lib",
        &Spec {
            version: "2.0",
            ..Spec::default()
        },
    );
    world.index();
    // Installing tool keeps lib at 1.0 (pinned), although 2.0 exists.
    let (code, out) = world.pkg(&["install", "--repo", path_str(&repo), "tool"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("install tool 1.0-1") && !out.contains("lib"),
        "{out}"
    );
    // Asking for a newer lib by constraint upgrades it.
    let (code, out) = world.pkg(&[
        "--dry-run",
        "install",
        "--repo",
        path_str(&repo),
        "lib >= 2",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("upgrade lib 1.0-1 -> 2.0-1"), "{out}");
    // Upgrading everything leaves `local` (not in the repository) alone.
    let (code, out) = world.pkg(&["upgrade", "--repo", path_str(&repo)]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("upgrade lib 1.0-1 -> 2.0-1") && !out.contains("local"),
        "{out}"
    );
    assert!(world.installed().contains("local 1.0-1"));
}
