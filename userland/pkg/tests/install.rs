//! Installing into a root: the transaction, its crash recovery, file conflicts, the lock, and the
//! queries over installed packages.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

mod common;

use basalt_pkg::db::{check_entry, Database};
use basalt_pkg::install;
use basalt_pkg::keys::{self, KeyStore};

struct World {
    dir: tempfile::TempDir,
}

impl World {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (_, public, _) = keys::generate("repo", &dir.path().join("keys")).unwrap();
        KeyStore::for_root(&dir.path().join("root"))
            .trust(&public)
            .unwrap();
        Self { dir }
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    /// Builds a package `name` holding `usr/bin/NAME`, `share/NAME/data` and any `extra` files.
    fn package(&self, name: &str, extra: &[&str]) -> PathBuf {
        let recipe = self.dir.path().join(format!("src-{name}"));
        let staging = recipe.join("root");
        fs::create_dir_all(staging.join("usr/bin")).unwrap();
        fs::create_dir_all(staging.join(format!("share/{name}"))).unwrap();
        fs::write(
            staging.join(format!("usr/bin/{name}")),
            format!("binary of {name}\n"),
        )
        .unwrap();
        fs::write(
            staging.join(format!("share/{name}/data")),
            "data\n".repeat(1000),
        )
        .unwrap();
        for path in extra {
            fs::create_dir_all(staging.join(path).parent().unwrap()).unwrap();
            fs::write(staging.join(path), name).unwrap();
        }
        fs::write(
            recipe.join("package.toml"),
            format!(
                "[package]\nname = \"{name}\"\nversion = \"1.0\"\nsummary = \"s\"\nlicense = \"MIT\"\nprivacy = \"telemetry\"\n\
                 [build]\nstaging = \"root\"\n"
            ),
        )
        .unwrap();
        let secret = keys::read_secret(&self.dir.path().join("keys/repo.secret")).unwrap();
        basalt_pkg::build::build(&recipe, &self.dir.path().join("repo"), &secret.key, |_| {})
            .unwrap()
    }

    /// `pkg --yes ARGS`, with the crash hook set at `crash_at`.
    fn pkg(&self, args: &[&str], crash_at: Option<&str>) -> (i32, String) {
        let env: Vec<(&str, &str)> = crash_at.map(|p| ("PKG_CRASH_AT", p)).into_iter().collect();
        common::run_pkg(&self.root(), args, &env)
    }
}

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn install_then_query() {
    let world = World::new();
    let package = world.package("hello", &[]);
    let (code, out) = world.pkg(&["install", path_str(&package)], None);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        fs::read_to_string(world.root().join("usr/bin/hello")).unwrap(),
        "binary of hello\n"
    );
    let (code, out) = world.pkg(&["list", "--installed"], None);
    assert_eq!((code, out.trim()), (0, "hello 1.0-1 [privacy: telemetry]"));
    let (_, out) = world.pkg(&["files", "hello"], None);
    assert!(out.lines().any(|line| line == "/usr/bin/hello"), "{out}");
    assert_eq!(
        world.pkg(&["owner", "/usr/bin/hello"], None),
        (0, "hello\n".into())
    );
    assert_eq!(world.pkg(&["owner", "/usr/bin/nobody"], None).0, 1);
    assert_eq!(world.pkg(&["verify"], None).0, 0);
    fs::write(world.root().join("share/hello/data"), "changed").unwrap();
    let (code, out) = world.pkg(&["verify", "hello"], None);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("share/hello/data: contents changed"), "{out}");
    // Installing it again is refused, and nothing changes.
    assert_eq!(world.pkg(&["install", path_str(&package)], None).0, 1);
    // Nothing is left in staging.
    assert!(!world.root().join("var/lib/basalt/pkg/staging").exists());
}

#[test]
fn file_conflicts_are_found_before_anything_changes() {
    let world = World::new();
    let first = world.package("first", &["etc/shared.conf"]);
    let second = world.package("second", &["etc/shared.conf"]);
    assert_eq!(world.pkg(&["install", path_str(&first)], None).0, 0);
    let (code, out) = world.pkg(&["install", path_str(&second)], None);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("etc/shared.conf exists already (owned by package first)"),
        "{out}"
    );
    assert!(!world.root().join("usr/bin/second").exists());
    assert_eq!(
        fs::read_to_string(world.root().join("etc/shared.conf")).unwrap(),
        "first"
    );
    assert!(Database::for_root(&world.root())
        .get("second")
        .unwrap()
        .is_none());
}

#[test]
fn symbolic_link_parents_in_the_root_are_refused() {
    let world = World::new();
    let outside = world.dir.path().join("outside");
    fs::create_dir_all(&outside).unwrap();
    fs::create_dir_all(world.root()).unwrap();
    symlink(&outside, world.root().join("usr")).unwrap();
    let package = world.package("escape", &[]);
    let (code, out) = world.pkg(&["install", path_str(&package)], None);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("symbolic link"), "{out}");
    assert!(fs::read_dir(&outside).unwrap().next().is_none());
}

#[test]
fn a_second_writer_is_kept_out() {
    let world = World::new();
    let package = world.package("locked", &[]);
    let held = install::lock(&world.root()).unwrap();
    let (code, out) = common::run_pkg_once(
        &world.root(),
        &["--yes", "install", path_str(&package)],
        &[],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("another pkg process"), "{out}");
    drop(held);
    // `pkg` retries while another test's child may briefly share the dropped lock.
    let (code, out) = world.pkg(&["install", path_str(&package)], None);
    assert_eq!(code, 0, "{out}");
}

/// Whether the root holds exactly nothing of `name` (before) or all of it (after).
fn state_of(root: &Path, name: &str) -> &'static str {
    let db = Database::for_root(root);
    match db.get(name).unwrap() {
        Some(header) => {
            for entry in &header.entries {
                assert_eq!(check_entry(root, entry), None, "after a recovered crash");
            }
            "after"
        }
        None => {
            assert!(
                !root.join(format!("usr/bin/{name}")).exists(),
                "a file of an uninstalled package"
            );
            assert!(
                !root.join(format!("share/{name}/data")).exists(),
                "a file of an uninstalled package"
            );
            "before"
        }
    }
}

#[test]
fn a_crash_at_any_step_leaves_the_root_before_or_after() {
    for (point, expected) in [
        ("checked", "before"),
        ("made-directories", "before"),
        ("staged", "before"),
        ("journaled", "after"),
        ("moved-one", "after"),
        ("renamed", "after"),
        ("committed", "after"),
    ] {
        let world = World::new();
        let package = world.package("crashy", &[]);
        let (code, out) = world.pkg(&["install", path_str(&package)], Some(point));
        assert_ne!(code, 0, "{point}: the crash hook did not fire: {out}");
        // The next writer recovers.
        let lock = install::lock(&world.root()).unwrap();
        install::recover(&world.root(), &lock).unwrap();
        drop(lock);
        assert_eq!(
            state_of(&world.root(), "crashy"),
            expected,
            "crash at {point}"
        );
        common::assert_no_leftovers(&world.root(), point);
        if expected == "before" {
            let (code, out) = world.pkg(&["install", path_str(&package)], None);
            assert_eq!(code, 0, "{point}: install after recovery: {out}");
            assert_eq!(state_of(&world.root(), "crashy"), "after");
        }
    }
}

/// The names in `dir`, sorted.
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|item| item.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn new_directories_stay_hidden_until_the_journal_and_go_whole_after_a_crash() {
    let world = World::new();
    let root = world.root();
    // A directory the root has: its new file is staged beside its target.
    fs::create_dir_all(root.join("share")).unwrap();
    // pkg's own state directory (made by the lock) is there before any transaction.
    drop(install::lock(&root).unwrap());
    let before = names_in(&root);
    let package = world.package("hidden", &[]);
    let (code, out) = world.pkg(&["install", path_str(&package)], Some("staged"));
    assert_ne!(code, 0, "the crash hook did not fire: {out}");
    // Staged, not journaled: nothing at any target's name, and `usr` only as a hidden tree.
    assert!(!root.join("usr").exists());
    assert!(!root.join("share/hidden").exists());
    let staged: Vec<String> = names_in(&root)
        .into_iter()
        .filter(|name| !before.contains(name))
        .collect();
    assert_eq!(staged.len(), 1, "{staged:?}");
    assert!(staged[0].starts_with(".pkg."), "{staged:?}");
    assert!(root.join(&staged[0]).join("bin/hidden").is_file());
    let lock = install::lock(&root).unwrap();
    install::recover(&root, &lock).unwrap();
    drop(lock);
    // Exactly as before: no new directory left behind either.
    assert_eq!(names_in(&root), before);
    assert!(names_in(&root.join("share")).is_empty());
    common::assert_no_leftovers(&root, "staged");
    let (code, out) = world.pkg(&["install", path_str(&package)], None);
    assert_eq!(code, 0, "{out}");
    assert_eq!(state_of(&root, "hidden"), "after");
}

#[test]
fn install_by_name_from_a_repository() {
    let world = World::new();
    world.package("alpha", &[]);
    world.package("beta", &[]);
    let repo = world.dir.path().join("repo");
    let secret = world.dir.path().join("keys/repo.secret");
    assert_eq!(
        world
            .pkg(
                &["repo", "index", path_str(&repo), "--key", path_str(&secret)],
                None
            )
            .0,
        0
    );
    let (code, out) = world.pkg(
        &["install", "--repo", path_str(&repo), "alpha", "beta"],
        None,
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        world.pkg(&["list", "--installed"], None).1,
        "alpha 1.0-1 [privacy: telemetry]\nbeta 1.0-1 [privacy: telemetry]\n"
    );
    // Already installed: nothing to do.
    assert_eq!(
        world
            .pkg(&["install", "--repo", path_str(&repo), "alpha"], None)
            .0,
        0
    );
    let (code, out) = world.pkg(&["install", "--repo", path_str(&repo), "gamma"], None);
    assert_eq!(code, 4, "{out}");
}

/// A repository's package file is checked against the index while it is staged: one that was
/// changed or swapped after indexing is refused naming the file and the index, and the root is
/// left as it was, with nothing staged left behind.
#[test]
fn a_repository_file_that_does_not_match_its_index_is_refused() {
    let world = World::new();
    let alpha = world.package("alpha", &[]);
    world.package("beta", &[]);
    let repo = world.dir.path().join("repo");
    let secret = world.dir.path().join("keys/repo.secret");
    let index = ["repo", "index", path_str(&repo), "--key", path_str(&secret)];
    assert_eq!(world.pkg(&index, None).0, 0);
    let good = fs::read(&alpha).unwrap();
    // A flipped payload byte, a swap for another signed package of the same name, a truncation.
    let mut flipped = good.clone();
    let last = flipped.len() - 5;
    flipped[last] ^= 0x10;
    let swapped = {
        world.package("alpha", &["share/alpha/extra"]);
        let other = fs::read(&alpha).unwrap();
        assert_ne!(other, good);
        other
    };
    let truncated = good[..good.len() - 1].to_vec();
    for (what, bytes) in [
        ("flipped", flipped),
        ("swapped", swapped),
        ("truncated", truncated),
    ] {
        fs::write(&alpha, &bytes).unwrap();
        let (code, out) = world.pkg(
            &["install", "--repo", path_str(&repo), "alpha", "beta"],
            None,
        );
        assert_ne!(code, 0, "{what}: {out}");
        // A flipped byte may be caught first by a file's own digest; either names the file.
        assert!(
            out.contains(path_str(&alpha)) && (what == "flipped" || out.contains("index.bpi")),
            "{what}: {out}"
        );
        assert_eq!(world.pkg(&["list", "--installed"], None).1, "", "{what}");
        assert!(!world.root().join("usr/bin/beta").exists(), "{what}");
        common::assert_no_leftovers(&world.root(), what);
    }
    fs::write(&alpha, &good).unwrap();
    let (code, out) = world.pkg(
        &["install", "--repo", path_str(&repo), "alpha", "beta"],
        None,
    );
    assert_eq!(code, 0, "{out}");
}

/// One package's file below another new package's symbolic link would be written through the
/// link: refused while planning (a package without its directory entries is refused the same
/// way, by the check for entries below a new link).
#[test]
fn a_file_below_another_new_packages_link_is_refused() {
    let world = World::new();
    let beta = world.package("beta", &["usr/lib64/libbeta.so"]);
    let links = {
        let recipe = world.dir.path().join("src-links");
        fs::create_dir_all(recipe.join("root/usr")).unwrap();
        symlink("/etc", recipe.join("root/usr/lib64")).unwrap();
        fs::write(
            recipe.join("package.toml"),
            "[package]\nname = \"links\"\nversion = \"1.0\"\nsummary = \"s\"\nlicense = \"MIT\"\n\
             privacy = \"none\"\n[build]\nstaging = \"root\"\n",
        )
        .unwrap();
        let secret = keys::read_secret(&world.dir.path().join("keys/repo.secret")).unwrap();
        basalt_pkg::build::build(&recipe, &world.dir.path().join("repo"), &secret.key, |_| {})
            .unwrap()
    };
    let (code, out) = world.pkg(&["install", path_str(&links), path_str(&beta)], None);
    assert_ne!(code, 0, "{out}");
    // `pkg build` lists beta's directory too, so the two packages claim one path.
    assert!(
        out.contains("/usr/lib64 is in both links and beta"),
        "{out}"
    );
    assert_eq!(world.pkg(&["list", "--installed"], None).1, "");
    common::assert_no_leftovers(&world.root(), "refused");
}
