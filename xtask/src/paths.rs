//! Where things live: the workspace root and the `out/` artifacts.
//!
//! `out/` is `<root>/out` unless the environment variable `BASALT_OUT_DIR`
//! names another directory (so parallel runs need not share artifacts).

use std::path::{Path, PathBuf};

/// Environment variable that moves `out/` elsewhere.
pub const OUT_DIR_VARIABLE: &str = "BASALT_OUT_DIR";

/// Locations of the workspace and of every artifact xtask produces.
#[derive(Clone, Debug)]
pub struct Paths {
    root: PathBuf,
    out: PathBuf,
}

impl Paths {
    /// The workspace this xtask binary was built from (xtask/ is one level below the root).
    pub fn discover() -> Self {
        let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let root = manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf();
        let out = out_dir_override(std::env::var_os(OUT_DIR_VARIABLE))
            .unwrap_or_else(|| root.join("out"));
        Self { root, out }
    }

    /// Paths rooted somewhere else (tests).
    #[cfg(test)]
    pub fn with_root(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        let out = root.join("out");
        Self { root, out }
    }

    /// The workspace root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `out/` (or `$BASALT_OUT_DIR`): every artifact.
    pub fn out(&self) -> PathBuf {
        self.out.clone()
    }

    /// The kernel with its symbol table embedded.
    pub fn kernel_elf(&self) -> PathBuf {
        self.out().join("basalt.elf")
    }

    /// The gzip-compressed newc initramfs.
    pub fn initramfs(&self) -> PathBuf {
        self.out().join("initramfs.cpio.gz")
    }

    /// The test initramfs with Debian's busybox and every applet linked in /bin.
    pub fn busybox_initramfs(&self) -> PathBuf {
        self.out().join("initramfs-busybox.cpio.gz")
    }

    /// `out/initramfs-diff.cpio.gz`: the differential scenarios of tests/diff.
    pub fn diff_initramfs(&self) -> PathBuf {
        self.out().join("initramfs-diff.cpio.gz")
    }

    /// The interactive initramfs `cargo xtask run` boots: busybox init running a job-control shell on ttyS0.
    pub fn interactive_initramfs(&self) -> PathBuf {
        self.out().join("initramfs-interactive.cpio.gz")
    }

    /// `out/initramfs-system.cpio.gz`: `init` as PID 1 with services, getty and login (`cargo xtask run`).
    pub fn system_initramfs(&self) -> PathBuf {
        self.out().join("initramfs-system.cpio.gz")
    }

    /// The bootable GRUB ISO.
    pub fn iso(&self) -> PathBuf {
        self.out().join("basalt.iso")
    }

    /// Staging tree that grub-mkrescue turns into the ISO.
    pub fn iso_root(&self) -> PathBuf {
        self.out().join("iso-root")
    }

    /// Serial logs of the QEMU scenarios.
    pub fn logs(&self) -> PathBuf {
        self.out().join("logs")
    }

    /// Writable copy of the UEFI variable store (the firmware writes to it).
    pub fn ovmf_vars(&self) -> PathBuf {
        self.out().join("OVMF_VARS.fd")
    }

    /// Shortens an absolute path under the root for messages (`out/basalt.elf`).
    pub fn display(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .display()
            .to_string()
    }
}

/// The `out/` directory named by `BASALT_OUT_DIR`, if set and not empty; a
/// relative one is taken from the current directory.
fn out_dir_override(value: Option<std::ffi::OsString>) -> Option<PathBuf> {
    let value = value.filter(|value| !value.is_empty())?;
    let path = PathBuf::from(value);
    Some(std::path::absolute(&path).unwrap_or(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovered_root_is_the_workspace() {
        let paths = Paths::discover();
        assert!(paths.root().join("xtask").join("Cargo.toml").is_file());
        assert!(paths.root().join("Cargo.toml").is_file());
    }

    #[test]
    fn artifacts_sit_in_out() {
        let paths = Paths::with_root("/w");
        assert_eq!(paths.kernel_elf(), Path::new("/w/out/basalt.elf"));
        assert_eq!(paths.initramfs(), Path::new("/w/out/initramfs.cpio.gz"));
        assert_eq!(paths.iso(), Path::new("/w/out/basalt.iso"));
        assert_eq!(
            paths.logs().join("ktest.log"),
            Path::new("/w/out/logs/ktest.log")
        );
        assert_eq!(paths.display(&paths.kernel_elf()), "out/basalt.elf");
        assert_eq!(paths.display(Path::new("/elsewhere/x")), "/elsewhere/x");
    }

    #[test]
    fn out_dir_override_needs_a_non_empty_value() {
        assert_eq!(out_dir_override(None), None);
        assert_eq!(out_dir_override(Some("".into())), None);
        assert_eq!(
            out_dir_override(Some("/tmp/out-x".into())),
            Some(PathBuf::from("/tmp/out-x"))
        );
        let relative = out_dir_override(Some("rel/out".into())).expect("relative");
        assert!(relative.is_absolute() && relative.ends_with("rel/out"));
    }
}
