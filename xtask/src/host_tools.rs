//! Host programs the ISO and QEMU steps need, and installing them on Debian.

use anyhow::{bail, Context, Result};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A host dependency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    /// `qemu-system-x86_64`.
    Qemu,
    /// `grub-mkrescue`.
    GrubMkrescue,
    /// GRUB's BIOS modules (`/usr/lib/grub/i386-pc`).
    GrubBios,
    /// GRUB's UEFI modules (`/usr/lib/grub/x86_64-efi`).
    GrubEfi,
    /// `xorriso`, which grub-mkrescue drives.
    Xorriso,
    /// `mformat`, with which grub-mkrescue builds the EFI system partition image.
    Mformat,
    /// OVMF UEFI firmware for QEMU.
    Ovmf,
    /// musl's dynamic loader and musl-gcc, for the dynamically linked test programs.
    Musl,
    /// s6 (`s6-svscan`, `s6-supervise`, `s6-svwait`), for the service-manager
    /// benchmark; installed because its programs find each other at fixed
    /// paths under /usr/bin (it does not touch the host's init).
    S6,
}

/// Everything `iso` needs.
pub const ISO_TOOLS: &[Tool] = &[
    Tool::GrubMkrescue,
    Tool::GrubBios,
    Tool::GrubEfi,
    Tool::Xorriso,
    Tool::Mformat,
];

impl Tool {
    /// The Debian package that provides it.
    pub fn debian_package(self) -> &'static str {
        match self {
            Self::Qemu => "qemu-system-x86",
            Self::GrubMkrescue => "grub-common",
            Self::GrubBios => "grub-pc-bin",
            Self::GrubEfi => "grub-efi-amd64-bin",
            Self::Xorriso => "xorriso",
            Self::Mformat => "mtools",
            Self::Ovmf => "ovmf",
            Self::Musl => "musl-tools",
            Self::S6 => "s6",
        }
    }

    /// What is missing, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Qemu => "qemu-system-x86_64",
            Self::GrubMkrescue => "grub-mkrescue",
            Self::GrubBios => "/usr/lib/grub/i386-pc",
            Self::GrubEfi => "/usr/lib/grub/x86_64-efi",
            Self::Xorriso => "xorriso",
            Self::Mformat => "mformat",
            Self::Ovmf => "OVMF firmware",
            Self::Musl => "musl-gcc and /lib/ld-musl-x86_64.so.1",
            Self::S6 => "/usr/bin/s6-svscan and /usr/bin/s6-supervise",
        }
    }

    /// Whether the host has it.
    pub fn is_present(self) -> bool {
        match self {
            Self::Qemu => find_program("qemu-system-x86_64").is_some(),
            Self::GrubMkrescue => find_program("grub-mkrescue").is_some(),
            Self::GrubBios => Path::new("/usr/lib/grub/i386-pc").is_dir(),
            Self::GrubEfi => Path::new("/usr/lib/grub/x86_64-efi").is_dir(),
            Self::Xorriso => find_program("xorriso").is_some(),
            Self::Mformat => find_program("mformat").is_some(),
            Self::Ovmf => find_ovmf().is_some(),
            Self::Musl => find_program("musl-gcc").is_some() && Path::new(MUSL_LOADER).exists(),
            Self::S6 => ["s6-svscan", "s6-supervise", "s6-svwait", "s6-ftrigrd"]
                .iter()
                .all(|program| Path::new("/usr/bin").join(program).is_file()),
        }
    }
}

/// musl's dynamic loader (Debian: a link to /usr/lib/x86_64-linux-musl/libc.so).
pub const MUSL_LOADER: &str = "/lib/ld-musl-x86_64.so.1";

/// Where OVMF lives on this host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ovmf {
    /// Separate code (read-only) and variable-store template images, for two pflash drives.
    Split { code: PathBuf, vars: PathBuf },
    /// One combined image, for `-bios`.
    Combined(PathBuf),
}

/// Known OVMF layouts, most preferred first (Debian/Ubuntu, then Fedora/Arch style).
const OVMF_SPLIT_CANDIDATES: &[(&str, &str)] = &[
    (
        "/usr/share/OVMF/OVMF_CODE_4M.fd",
        "/usr/share/OVMF/OVMF_VARS_4M.fd",
    ),
    (
        "/usr/share/OVMF/OVMF_CODE.fd",
        "/usr/share/OVMF/OVMF_VARS.fd",
    ),
    (
        "/usr/share/edk2/ovmf/OVMF_CODE.fd",
        "/usr/share/edk2/ovmf/OVMF_VARS.fd",
    ),
    (
        "/usr/share/edk2/x64/OVMF_CODE.fd",
        "/usr/share/edk2/x64/OVMF_VARS.fd",
    ),
];
const OVMF_COMBINED_CANDIDATES: &[&str] = &["/usr/share/ovmf/OVMF.fd", "/usr/share/qemu/OVMF.fd"];

/// Finds OVMF firmware, preferring the split pflash layout.
pub fn find_ovmf() -> Option<Ovmf> {
    let split = OVMF_SPLIT_CANDIDATES
        .iter()
        .find(|(code, vars)| Path::new(code).is_file() && Path::new(vars).is_file());
    if let Some((code, vars)) = split {
        return Some(Ovmf::Split {
            code: code.into(),
            vars: vars.into(),
        });
    }
    OVMF_COMBINED_CANDIDATES
        .iter()
        .find(|path| Path::new(path).is_file())
        .map(|path| Ovmf::Combined(path.into()))
}

/// An executable file named `name` in PATH.
pub fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|directory| directory.join(name))
        .find(|candidate| {
            candidate.metadata().is_ok_and(|metadata| {
                metadata.is_file() && metadata.permissions().mode() & 0o111 != 0
            })
        })
}

/// Makes sure every tool is present, installing missing ones with apt-get
/// when running as root; otherwise fails with the command to run.
pub fn ensure(tools: &[Tool]) -> Result<()> {
    let packages = missing_packages(tools);
    if packages.is_empty() {
        return Ok(());
    }
    let install_command = format!(
        "apt-get install -y --no-install-recommends {}",
        packages.join(" ")
    );
    if !is_root() || find_program("apt-get").is_none() {
        bail!(
            "missing host tools: {}\ninstall them with:\n    sudo {install_command}",
            missing_descriptions(tools).join(", ")
        );
    }
    println!("host tools: installing {}", packages.join(" "));
    apt_get(&["update"])?;
    let mut install = vec!["install", "-y", "--no-install-recommends"];
    install.extend(packages.iter().copied());
    apt_get(&install)?;
    let still_missing = missing_descriptions(tools);
    if !still_missing.is_empty() {
        bail!(
            "still missing after `{install_command}`: {}",
            still_missing.join(", ")
        );
    }
    Ok(())
}

/// Debian packages of the missing tools, without duplicates, in tool order.
fn missing_packages(tools: &[Tool]) -> Vec<&'static str> {
    let mut packages: Vec<&'static str> = Vec::new();
    for tool in tools.iter().filter(|tool| !tool.is_present()) {
        if !packages.contains(&tool.debian_package()) {
            packages.push(tool.debian_package());
        }
    }
    packages
}

fn missing_descriptions(tools: &[Tool]) -> Vec<&'static str> {
    tools
        .iter()
        .filter(|tool| !tool.is_present())
        .map(|tool| tool.describe())
        .collect()
}

fn apt_get(args: &[&str]) -> Result<()> {
    let status = Command::new("apt-get")
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .context("cannot run apt-get")?;
    if !status.success() {
        bail!("apt-get {} failed ({status})", args.join(" "));
    }
    Ok(())
}

/// Whether this process runs as root (owner of /proc/self is the effective uid).
fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|metadata| metadata.uid() == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_has_a_package_and_description() {
        let all = [
            Tool::Qemu,
            Tool::GrubMkrescue,
            Tool::GrubBios,
            Tool::GrubEfi,
            Tool::Xorriso,
            Tool::Mformat,
            Tool::Ovmf,
            Tool::Musl,
            Tool::S6,
        ];
        for tool in all {
            assert!(!tool.debian_package().is_empty());
            assert!(!tool.describe().is_empty());
        }
        assert!(ISO_TOOLS.iter().all(|tool| all.contains(tool)));
    }

    #[test]
    fn finds_programs_in_path_only_when_executable() {
        assert!(find_program("sh").is_some(), "every Unix host has sh");
        assert!(find_program("definitely-not-a-real-program-xyz").is_none());
    }

    #[test]
    fn nothing_missing_means_nothing_to_install() {
        assert!(missing_packages(&[]).is_empty());
        assert!(ensure(&[]).is_ok());
    }
}
