//! Running Cargo to build freestanding binaries and finding what it produced.

use anyhow::{bail, Context, Result};
use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The target of the kernel and of user programs.
pub const BARE_METAL_TARGET: &str = "x86_64-unknown-none";

/// Cargo build profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// `--release`.
    Release,
    /// The dev profile.
    Debug,
}

/// A `cargo` command for the workspace: the same Cargo that runs xtask.
pub fn command(root: &Path) -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut command = Command::new(cargo);
    command.current_dir(root);
    command
}

/// Builds binary `bin` of `package` for the bare-metal target and returns its path.
///
/// Cargo reports the artifact path itself, so this works with any
/// CARGO_TARGET_DIR. Diagnostics stream to our stderr as usual.
pub fn build_bare_metal_binary(
    root: &Path,
    package: &str,
    bin: &str,
    profile: Profile,
) -> Result<PathBuf> {
    let mut command = command(root);
    command.args([
        "build",
        "--package",
        package,
        "--bin",
        bin,
        "--target",
        BARE_METAL_TARGET,
    ]);
    command.arg("--message-format=json-render-diagnostics");
    if profile == Profile::Release {
        command.arg("--release");
    }
    run_for_executable(command, package, bin)
}

/// Run a `cargo build`/`cargo rustc` command given `--message-format=json-render-diagnostics`, and return the path
/// of the executable it reports for binary `bin` (so any CARGO_TARGET_DIR works).
pub fn run_for_executable(mut command: Command, package: &str, bin: &str) -> Result<PathBuf> {
    command.stdout(Stdio::piped()).stdin(Stdio::null());
    let mut child = command.spawn().context("cannot start cargo")?;
    let mut executable = None;
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines() {
            let line = line.context("reading cargo's output")?;
            if let Some(path) = artifact_executable(&line, bin) {
                executable = Some(path);
            }
        }
    }
    let status = child.wait().context("waiting for cargo")?;
    if !status.success() {
        bail!("cargo build -p {package} failed ({status})");
    }
    executable
        .with_context(|| format!("cargo built {package} but reported no executable named {bin}"))
}

/// The `executable` of a `compiler-artifact` message for binary `bin`, if `line` is one.
fn artifact_executable(line: &str, bin: &str) -> Option<PathBuf> {
    let message: serde_json::Value = serde_json::from_str(line).ok()?;
    if message.get("reason")?.as_str()? != "compiler-artifact" {
        return None;
    }
    let target = message.get("target")?;
    let is_bin = target
        .get("kind")?
        .as_array()?
        .iter()
        .any(|kind| kind.as_str() == Some("bin"));
    if !is_bin || target.get("name")?.as_str()? != bin {
        return None;
    }
    Some(PathBuf::from(message.get("executable")?.as_str()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_executable_of_the_named_binary() {
        let line = r#"{"reason":"compiler-artifact","target":{"kind":["bin"],"name":"init"},"executable":"/t/x86_64-unknown-none/release/init"}"#;
        assert_eq!(
            artifact_executable(line, "init"),
            Some(PathBuf::from("/t/x86_64-unknown-none/release/init"))
        );
        assert_eq!(artifact_executable(line, "other"), None);
    }

    #[test]
    fn ignores_libraries_other_messages_and_garbage() {
        let library = r#"{"reason":"compiler-artifact","target":{"kind":["lib"],"name":"init"},"executable":null}"#;
        assert_eq!(artifact_executable(library, "init"), None);
        let finished = r#"{"reason":"build-finished","success":true}"#;
        assert_eq!(artifact_executable(finished, "init"), None);
        assert_eq!(artifact_executable("not json", "init"), None);
        assert_eq!(artifact_executable("", "init"), None);
    }
}
