//! A scratch world for integration tests: a signing key trusted by a root, package builders and
//! a runner for the `pkg` binary.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use basalt_pkg::keys::{self, KeyStore};

pub struct World {
    pub dir: tempfile::TempDir,
}

/// What to put in a test package.
#[derive(Default)]
pub struct Spec<'a> {
    pub version: &'a str,
    pub depends: &'a [&'a str],
    /// (path, contents) pairs; paths under `etc/` are declared config files.
    pub files: &'a [(&'a str, &'a str)],
}

impl World {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (_, public, _) = keys::generate("repo", &dir.path().join("keys")).unwrap();
        KeyStore::for_root(&dir.path().join("root"))
            .trust(&public)
            .unwrap();
        Self { dir }
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    pub fn repo(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    /// Builds `name` with `usr/bin/NAME` (naming the version) and the spec's files into the repo.
    pub fn build(&self, name: &str, spec: &Spec) -> PathBuf {
        let version = if spec.version.is_empty() {
            "1.0"
        } else {
            spec.version
        };
        let recipe = self.dir.path().join(format!("src-{name}-{version}"));
        let staging = recipe.join("root");
        let mut files = vec![(format!("usr/bin/{name}"), format!("{name} {version}\n"))];
        files.extend(
            spec.files
                .iter()
                .map(|(p, c)| (p.to_string(), c.to_string())),
        );
        for (path, contents) in &files {
            fs::create_dir_all(staging.join(path).parent().unwrap()).unwrap();
            fs::write(staging.join(path), contents).unwrap();
        }
        let quoted = |list: Vec<String>| {
            list.iter()
                .map(|item| format!("\"{item}\""))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let config = quoted(
            files
                .iter()
                .filter(|(p, _)| p.starts_with("etc/"))
                .map(|(p, _)| p.clone())
                .collect(),
        );
        let depends = quoted(spec.depends.iter().map(|d| d.to_string()).collect());
        fs::write(
            recipe.join("package.toml"),
            format!(
                "[package]\nname = \"{name}\"\nversion = \"{version}\"\nsummary = \"s\"\nlicense = \"MIT\"\n\
                 privacy = \"none\"\ndepends = [{depends}]\nconfig = [{config}]\n[build]\nstaging = \"root\"\n"
            ),
        )
        .unwrap();
        let secret = keys::read_secret(&self.dir.path().join("keys/repo.secret")).unwrap();
        basalt_pkg::build::build(&recipe, &self.repo(), &secret.key, |_| {}).unwrap()
    }

    /// Writes the repository's signed index.
    pub fn index(&self) {
        let secret = self.dir.path().join("keys/repo.secret");
        let (code, out) = self.pkg_once(
            &[
                "repo",
                "index",
                self.repo().to_str().unwrap(),
                "--key",
                secret.to_str().unwrap(),
            ],
            &[],
        );
        assert_eq!(code, 0, "{out}");
    }

    /// Runs `pkg --root ROOT ARGS` once with `env`, stdin not a terminal.
    pub fn pkg_once(&self, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
        run_pkg_once(&self.root(), args, env)
    }

    /// `pkg --yes ARGS`, retried while another test's child briefly shares a lock (see [`run_pkg`]).
    pub fn pkg(&self, args: &[&str]) -> (i32, String) {
        run_pkg(&self.root(), args, &[])
    }

    pub fn read(&self, path: &str) -> Option<String> {
        fs::read_to_string(self.root().join(path)).ok()
    }

    pub fn installed(&self) -> String {
        self.pkg(&["list", "--installed"]).1
    }
}

pub fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Runs `pkg --root ROOT ARGS` once with `env` (and no inherited PKG_CRASH_AT), stdin not a terminal.
pub fn run_pkg_once(root: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_pkg"))
        .arg("--root")
        .arg(root)
        .args(args)
        .env_remove("PKG_CRASH_AT")
        .envs(env.iter().copied())
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

/// `pkg --root ROOT --yes ARGS` with `env`, retried while another test's forked (not yet exec'd) child
/// briefly shares a lock this process held (no timing assumption: up to 100 tries).
pub fn run_pkg(root: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let mut all = vec!["--yes"];
    all.extend_from_slice(args);
    let mut last = (0, String::new());
    for _ in 0..100 {
        last = run_pkg_once(root, &all, env);
        if !last.1.contains("another pkg process") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    last
}

/// After recovery from a crash at `point`: no staged file, no list of them, no staging
/// directory and no journal are left.
pub fn assert_no_leftovers(root: &Path, point: &str) {
    let state = root.join("var/lib/basalt/pkg");
    assert!(!state.join("staging").exists(), "{point}");
    assert!(!state.join("staging.json").exists(), "{point}");
    assert!(!state.join("journal.json").exists(), "{point}");
    let mut pending = vec![root.to_owned()];
    while let Some(dir) = pending.pop() {
        for item in fs::read_dir(&dir).unwrap() {
            let item = item.unwrap();
            let name = item.file_name().to_string_lossy().into_owned();
            assert!(
                !name.starts_with(".pkg."),
                "{point}: staged file left: {}",
                item.path().display()
            );
            if item.file_type().unwrap().is_dir() {
                pending.push(item.path());
            }
        }
    }
}
