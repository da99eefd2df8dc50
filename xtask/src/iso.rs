//! `iso`: a GRUB rescue image that boots Basalt through Multiboot2 on BIOS and UEFI.

use crate::paths::Paths;
use anyhow::{bail, Context, Result};
use std::fs;
use std::process::Command;

/// GRUB configuration: serial console, no menu delay, boot Basalt with its initramfs.
pub const GRUB_CFG: &str = "\
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
set timeout=0

menuentry \"Basalt\" {
    multiboot2 /boot/basalt.elf console=ttyS0
    module2 /boot/initramfs.cpio.gz initramfs
    boot
}
";

/// Stages out/iso-root and runs grub-mkrescue to make out/basalt.iso.
/// Expects out/basalt.elf and out/initramfs.cpio.gz to be built.
pub fn build_iso(paths: &Paths) -> Result<()> {
    let staging = paths.iso_root();
    if staging.exists() {
        fs::remove_dir_all(&staging).with_context(|| format!("clearing {}", staging.display()))?;
    }
    let grub_dir = staging.join("boot").join("grub");
    fs::create_dir_all(&grub_dir).with_context(|| format!("creating {}", grub_dir.display()))?;
    for (source, name) in [
        (paths.kernel_elf(), "basalt.elf"),
        (paths.initramfs(), "initramfs.cpio.gz"),
    ] {
        let destination = staging.join("boot").join(name);
        fs::copy(&source, &destination).with_context(|| {
            format!(
                "copying {} (run `cargo xtask build` first?)",
                source.display()
            )
        })?;
    }
    fs::write(grub_dir.join("grub.cfg"), GRUB_CFG).context("writing grub.cfg")?;

    let iso = paths.iso();
    let output = Command::new("grub-mkrescue")
        .arg("-o")
        .arg(&iso)
        .arg(&staging)
        .output()
        .context("cannot run grub-mkrescue")?;
    if !output.status.success() {
        bail!(
            "grub-mkrescue failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let size = fs::metadata(&iso)
        .with_context(|| format!("grub-mkrescue made no {}", iso.display()))?
        .len();
    println!("iso: {} ({} KiB)", paths.display(&iso), size.div_ceil(1024));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grub_cfg_has_the_required_lines() {
        let lines: Vec<&str> = GRUB_CFG.lines().map(str::trim).collect();
        for required in [
            "serial --unit=0 --speed=115200",
            "terminal_input serial console",
            "terminal_output serial console",
            "set timeout=0",
            "multiboot2 /boot/basalt.elf console=ttyS0",
            "module2 /boot/initramfs.cpio.gz initramfs",
            "boot",
        ] {
            assert!(lines.contains(&required), "missing {required:?}");
        }
        assert!(lines.iter().any(|line| line.starts_with("menuentry ")));
    }
}
