//! Where things live: the workspace root and the `out/` artifacts.

use std::path::{Path, PathBuf};

/// Locations of the workspace and of every artifact xtask produces.
#[derive(Clone, Debug)]
pub struct Paths {
    root: PathBuf,
}

impl Paths {
    /// The workspace this xtask binary was built from (xtask/ is one level below the root).
    pub fn discover() -> Self {
        let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let root = manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf();
        Self { root }
    }

    /// Paths rooted somewhere else (tests).
    #[cfg(test)]
    pub fn with_root(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The workspace root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `out/`: every artifact.
    pub fn out(&self) -> PathBuf {
        self.root.join("out")
    }

    /// The kernel with its symbol table embedded.
    pub fn kernel_elf(&self) -> PathBuf {
        self.out().join("basalt.elf")
    }

    /// The gzip-compressed newc initramfs.
    pub fn initramfs(&self) -> PathBuf {
        self.out().join("initramfs.cpio.gz")
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
}
