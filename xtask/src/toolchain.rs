//! The Rust targets the build needs. rustup installs them from `rust-toolchain.toml` only when it installs the
//! toolchain itself; a toolchain that was already there (same version, fewer targets) lacks them, so add them here.

use anyhow::{bail, Context, Result};
use std::path::Path;
use std::process::Command;

/// The targets of the kernel (bare metal) and of user programs (static musl).
const TARGETS: &[&str] = &["x86_64-unknown-none", "x86_64-unknown-linux-musl"];

/// Adds any of [`TARGETS`] the pinned toolchain lacks. Without rustup there is nothing to do (cargo will then say
/// what is missing).
pub fn ensure_targets(root: &Path) -> Result<()> {
    let Ok(listing) = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .current_dir(root)
        .output()
    else {
        return Ok(());
    };
    if !listing.status.success() {
        return Ok(());
    }
    let installed = String::from_utf8_lossy(&listing.stdout);
    let missing: Vec<&str> = TARGETS
        .iter()
        .copied()
        .filter(|target| !installed.lines().any(|line| line.trim() == *target))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    println!("toolchain: adding targets {}", missing.join(" "));
    let status = Command::new("rustup")
        .args(["target", "add"])
        .args(&missing)
        .current_dir(root)
        .status()
        .context("cannot run rustup")?;
    if !status.success() {
        bail!(
            "could not add the Rust targets; run:\n    rustup target add {}",
            missing.join(" ")
        );
    }
    Ok(())
}
