//! The demo repository of the system image (`/usr/share/basalt/demo-repo`): three small packages that depend on
//! each other (`demo-extras` → `demo-hello` → `demo-greeting`), built, signed and indexed on the host at
//! image-build time by the same static `pkg` binary that goes into the image. The signing key is kept in
//! `<target dir>/pkg-demo-key` and made only once, so that rebuilding the image gives the same repository (the
//! signatures are deterministic Ed25519).

use anyhow::{bail, Context, Result};
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Where the repository goes in the image.
pub const REPO_DIR: &str = "usr/share/basalt/demo-repo";

/// The signing key's name; the image trusts it as `/etc/basalt/pkg/keys/trusted/<KEY_NAME>.pub`.
pub const KEY_NAME: &str = "basalt-demo";

/// One package of the repository.
struct DemoPackage {
    name: &'static str,
    depends: &'static [&'static str],
    /// (path under the root, mode, contents); paths under `etc/` are declared config files.
    files: &'static [(&'static str, u32, &'static str)],
}

const PACKAGES: &[DemoPackage] = &[
    DemoPackage {
        name: "demo-greeting",
        depends: &[],
        files: &[(
            "usr/share/demo/greeting.txt",
            0o644,
            "Hello from a Basalt package\n",
        )],
    },
    DemoPackage {
        name: "demo-hello",
        depends: &["demo-greeting >= 1.0"],
        files: &[
            // Finds its greeting relative to where it is installed, so it works under any --root.
            (
                "usr/bin/demo-hello",
                0o755,
                "#!/bin/sh\ncat \"${0%/bin/demo-hello}/share/demo/greeting.txt\"\n",
            ),
            ("etc/demo-hello.conf", 0o644, "greeting = default\n"),
        ],
    },
    DemoPackage {
        name: "demo-extras",
        depends: &["demo-hello"],
        files: &[(
            "usr/share/doc/demo-extras/README",
            0o644,
            "Extras for demo-hello.\n",
        )],
    },
];

/// The built repository: its files (name, bytes) and the public key that signed them.
pub struct DemoRepo {
    pub files: Vec<(String, Vec<u8>)>,
    pub public_key: Vec<u8>,
}

/// Builds the repository with the host-runnable `pkg` binary at `pkg`.
pub fn build(pkg: &Path) -> Result<DemoRepo> {
    let key_dir = crate::programs::work_dir("pkg-demo-key")?;
    let work = crate::programs::work_dir("pkg-demo-repo")?;
    let secret = key_dir.join(format!("{KEY_NAME}.secret"));
    let public = key_dir.join(format!("{KEY_NAME}.pub"));
    if !secret.exists() || !public.exists() {
        // A half-made pair (an interrupted run) would make `key generate` refuse to overwrite.
        let _ = fs::remove_file(&secret);
        let _ = fs::remove_file(&public);
        run(
            pkg,
            &[
                "key".as_ref(),
                "generate".as_ref(),
                KEY_NAME.as_ref(),
                "--dir".as_ref(),
                key_dir.as_os_str(),
            ],
        )?;
    }
    // Sources, the repository and a scratch root trusting the key (for `repo index`) are made afresh each time.
    fs::remove_dir_all(&work).with_context(|| format!("clearing {}", work.display()))?;
    let repo = work.join("repo");
    let trusting_root = work.join("root");
    fs::create_dir_all(&repo)?;
    for package in PACKAGES {
        let recipe = write_recipe(&work.join("src"), package)?;
        run(
            pkg,
            &[
                "build".as_ref(),
                recipe.as_os_str(),
                "--key".as_ref(),
                secret.as_os_str(),
                "--out".as_ref(),
                repo.as_os_str(),
            ],
        )?;
    }
    let root = trusting_root.as_os_str();
    run(
        pkg,
        &[
            "--root".as_ref(),
            root,
            "key".as_ref(),
            "trust".as_ref(),
            public.as_os_str(),
        ],
    )?;
    run(
        pkg,
        &[
            "--root".as_ref(),
            root,
            "repo".as_ref(),
            "index".as_ref(),
            repo.as_os_str(),
            "--key".as_ref(),
            secret.as_os_str(),
        ],
    )?;
    let mut files = Vec::new();
    for entry in fs::read_dir(&repo).with_context(|| format!("reading {}", repo.display()))? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .with_context(|| format!("{}: not a UTF-8 name", path.display()))?
            .to_owned();
        files.push((name, fs::read(&path)?));
    }
    files.sort();
    if files.len() != PACKAGES.len() + 1 {
        bail!(
            "{}: expected {} packages and an index, found {} files",
            repo.display(),
            PACKAGES.len(),
            files.len()
        );
    }
    Ok(DemoRepo {
        files,
        public_key: fs::read(&public).with_context(|| format!("reading {}", public.display()))?,
    })
}

/// Writes `package`'s recipe directory (package.toml and its staging root) under `sources`; returns it.
fn write_recipe(sources: &Path, package: &DemoPackage) -> Result<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let recipe = sources.join(package.name);
    let staging = recipe.join("root");
    for (path, mode, contents) in package.files {
        let file = staging.join(path);
        if let Some(parent) = file.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(&file, contents).with_context(|| format!("writing {}", file.display()))?;
        fs::set_permissions(&file, fs::Permissions::from_mode(*mode))?;
    }
    fs::write(recipe.join("package.toml"), recipe_text(package))?;
    Ok(recipe)
}

/// `package.toml` for `package`.
fn recipe_text(package: &DemoPackage) -> String {
    let quoted = |items: &mut dyn Iterator<Item = &str>| {
        items
            .map(|item| format!("{item:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let depends = quoted(&mut package.depends.iter().copied());
    let config = quoted(
        &mut package
            .files
            .iter()
            .map(|(path, _, _)| *path)
            .filter(|path| path.starts_with("etc/")),
    );
    format!(
        "[package]\nname = \"{}\"\nversion = \"1.0\"\nsummary = \"{} (a demo package)\"\nlicense = \"MIT\"\n\
         privacy = \"none\"\ndepends = [{depends}]\nconfig = [{config}]\n\n[build]\nstaging = \"root\"\n",
        package.name, package.name
    )
}

/// The time the demo index records (its contents never change, so neither does its time; a
/// rebuilt image then holds the same bytes).
const DEMO_INDEX_TIME: &str = "1764547200";

/// Runs `pkg ARGS`; fails with its output when it fails.
fn run(pkg: &Path, args: &[&OsStr]) -> Result<()> {
    let output = Command::new(pkg)
        .args(args)
        .env("SOURCE_DATE_EPOCH", DEMO_INDEX_TIME)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {}", pkg.display()))?;
    if !output.status.success() {
        let words: Vec<String> = args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        bail!(
            "pkg {} failed ({}): {}{}",
            words.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipes_name_dependencies_and_config_files() {
        let hello = recipe_text(&PACKAGES[1]);
        assert!(hello.contains("name = \"demo-hello\""), "{hello}");
        assert!(
            hello.contains("depends = [\"demo-greeting >= 1.0\"]"),
            "{hello}"
        );
        assert!(
            hello.contains("config = [\"etc/demo-hello.conf\"]"),
            "{hello}"
        );
        let greeting = recipe_text(&PACKAGES[0]);
        assert!(greeting.contains("depends = []\nconfig = []"), "{greeting}");
    }

    #[test]
    fn every_dependency_is_in_the_repository() {
        for package in PACKAGES {
            for depend in package.depends {
                let name = depend.split_whitespace().next().unwrap_or_default();
                assert!(
                    PACKAGES.iter().any(|p| p.name == name),
                    "{}: {depend}",
                    package.name
                );
            }
        }
    }
}
