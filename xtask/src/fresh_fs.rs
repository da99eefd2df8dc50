//! A new, empty ext4 file system on a loop device, made for one timed run of a benchmark and
//! removed after it. The host's own file system is no steady yardstick: its speed at creating
//! files depends on what earlier work left (ext4 without a journal passes over recently deleted
//! inodes for minutes, which made `tar -xf` take anywhere from 1.2 to 15 s). A fresh file
//! system gives every run the same start. It needs root (`losetup`, `mount`) and `mkfs.ext4`;
//! [`FreshFs::make`] fails with the reason otherwise, and the caller falls back to the host.
#![forbid(unsafe_code)]

use anyhow::{bail, Context, Result};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A mounted file system: unmounted, detached and deleted when dropped.
pub struct FreshFs {
    image: PathBuf,
    device: Option<String>,
    mount: PathBuf,
    mounted: bool,
}

impl FreshFs {
    /// Makes an ext4 file system of `size` bytes in the sparse file `image` (with default
    /// options, a journal, and its inode tables written now rather than by a background thread
    /// during the run), attaches it with direct I/O so that its writes reach the disk rather
    /// than the host's page cache, and mounts it on `mount`.
    pub fn make(image: &Path, mount: &Path, size: u64) -> Result<FreshFs> {
        let mut fresh = FreshFs {
            image: image.to_owned(),
            device: None,
            mount: mount.to_owned(),
            mounted: false,
        };
        fs::File::create(image)
            .and_then(|file| file.set_len(size))
            .with_context(|| format!("cannot make {}", image.display()))?;
        output_of(
            Command::new("mkfs.ext4")
                .args(["-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0"])
                .arg(image),
            "mkfs.ext4",
        )?;
        let device = output_of(
            Command::new("losetup")
                .args(["--direct-io=on", "--find", "--show"])
                .arg(image),
            "losetup",
        )?;
        let device = device.trim().to_owned();
        if !device.starts_with("/dev/") {
            bail!("losetup named no device: `{device}`");
        }
        fresh.device = Some(device.clone());
        fs::create_dir_all(mount).with_context(|| format!("cannot make {}", mount.display()))?;
        output_of(Command::new("mount").arg(&device).arg(mount), "mount")?;
        fresh.mounted = true;
        Ok(fresh)
    }

    /// Where it is mounted.
    pub fn path(&self) -> &Path {
        &self.mount
    }
}

impl Drop for FreshFs {
    fn drop(&mut self) {
        if self.mounted {
            let _ = output_of(Command::new("umount").arg(&self.mount), "umount");
        }
        if let Some(device) = &self.device {
            let _ = output_of(Command::new("losetup").arg("-d").arg(device), "losetup -d");
        }
        let _ = fs::remove_dir(&self.mount);
        let _ = fs::remove_file(&self.image);
    }
}

/// Unmounts and detaches what an interrupted run left mounted below `dir` (the drop that
/// would have done it did not run), so that `dir` can be removed.
pub fn release_under(dir: &Path) -> Result<()> {
    let Ok(mounts) = fs::read_to_string("/proc/self/mounts") else {
        return Ok(());
    };
    for line in mounts.lines() {
        let mut fields = line.split_whitespace();
        let (Some(device), Some(mount)) = (fields.next(), fields.next()) else {
            continue;
        };
        if Path::new(mount).starts_with(dir) {
            output_of(Command::new("umount").arg(mount), "umount")?;
            if device.starts_with("/dev/loop") {
                let _ = output_of(Command::new("losetup").arg("-d").arg(device), "losetup -d");
            }
        }
    }
    Ok(())
}

/// Runs `command` (named `what` in errors) and returns its standard output, or fails with
/// what it printed.
pub fn output_of(command: &mut Command, what: &str) -> Result<String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {what}"))?;
    if !output.status.success() {
        bail!(
            "{what} failed ({}): {}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
