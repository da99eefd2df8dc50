//! Reference material from Debian, cached in `out/cache/`: the Linux kernel
//! that `linux-image-amd64` currently points to, and a static busybox.
//!
//! Packages come from the host's apt sources (`apt-get download`, no root
//! needed); only refreshing empty package lists (`apt-get update`) needs root,
//! and without root we print the command instead. Only the wanted file is
//! unpacked from each package (a kernel package is mostly modules, hundreds of
//! MiB we do not need) and the package is deleted afterwards. Cached files
//! are reused; delete `out/cache/` to refresh.

use crate::paths::Paths;
use anyhow::{bail, Context, Result};
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Debian's meta-package that depends on the current kernel package.
const KERNEL_META_PACKAGE: &str = "linux-image-amd64";

/// Debian's statically linked busybox.
const BUSYBOX_PACKAGE: &str = "busybox-static";

/// Where busybox sits inside its package.
const BUSYBOX_MEMBER: &str = "./bin/busybox";

/// runit's programs (Debian's `runit`): unpacked only, never installed, as
/// installing the package would offer to take over the host's init.
const RUNIT_PACKAGE: &str = "runit";
const RUNIT_PROGRAMS: [&str; 3] = ["runsvdir", "runsv", "sv"];

/// Prefix of the kernel image inside a kernel package (`./boot/vmlinuz-<version>`).
const KERNEL_MEMBER_PREFIX: &str = "./boot/vmlinuz-";

/// Debian's Linux kernel image (`out/cache/linux/vmlinuz-<version>`), downloaded on first use.
pub fn linux_kernel() -> Result<PathBuf> {
    linux_kernel_in(&cache_dir())
}

/// Debian's static busybox (`out/cache/busybox`), downloaded on first use.
pub fn busybox() -> Result<PathBuf> {
    busybox_in(&cache_dir())
}

/// A directory (`out/cache/runit/`) with runit's `runsvdir`, `runsv` and
/// `sv`, downloaded on first use.
pub fn runit() -> Result<PathBuf> {
    runit_in(&cache_dir())
}

/// `cargo xtask fetch`: both, with their paths printed.
pub fn fetch_all() -> Result<()> {
    let kernel = linux_kernel()?;
    println!("linux: {}", kernel.display());
    let busybox = busybox()?;
    println!("busybox: {}", busybox.display());
    Ok(())
}

fn cache_dir() -> PathBuf {
    Paths::discover().out().join("cache")
}

fn linux_kernel_in(cache: &Path) -> Result<PathBuf> {
    let directory = cache.join("linux");
    if let Some(kernel) = cached_kernel(&directory)? {
        return Ok(kernel);
    }
    let show = apt_cache_show(KERNEL_META_PACKAGE)?;
    let package = kernel_package_from_show(&show).with_context(|| {
        format!("cannot find the kernel package in the Depends of {KERNEL_META_PACKAGE}:\n{show}")
    })?;
    println!("reference: downloading {package} (Linux for comparison)");
    let deb = download(&package, &cache.join("debs"))?;
    let staging = cache.join("linux.partial");
    let pattern = format!("{KERNEL_MEMBER_PREFIX}*");
    extract_members(&deb, &[pattern.as_str()], &staging)?;
    let unpacked = find_named(&staging.join("boot"), "vmlinuz-", "")?
        .with_context(|| format!("{} has no {pattern}", deb.display()))?;
    let name = unpacked
        .file_name()
        .context("unpacked kernel has no file name")?
        .to_owned();
    fs::create_dir_all(&directory)?;
    let kernel = directory.join(name);
    move_into_cache(&unpacked, &kernel)?;
    clean_up(&staging, &deb)?;
    println!("reference: {}", kernel.display());
    Ok(kernel)
}

fn busybox_in(cache: &Path) -> Result<PathBuf> {
    let destination = cache.join("busybox");
    if destination.is_file() {
        return Ok(destination);
    }
    // Resolves the name (and refreshes empty lists) with the same clear errors as for the kernel.
    apt_cache_show(BUSYBOX_PACKAGE)?;
    println!("reference: downloading {BUSYBOX_PACKAGE}");
    let deb = download(BUSYBOX_PACKAGE, &cache.join("debs"))?;
    let staging = cache.join("busybox.partial");
    extract_members(&deb, &[BUSYBOX_MEMBER], &staging)?;
    move_into_cache(&staging.join(BUSYBOX_MEMBER), &destination)?;
    clean_up(&staging, &deb)?;
    println!("reference: {}", destination.display());
    Ok(destination)
}

fn runit_in(cache: &Path) -> Result<PathBuf> {
    let directory = cache.join("runit");
    if RUNIT_PROGRAMS
        .iter()
        .all(|program| directory.join(program).is_file())
    {
        return Ok(directory);
    }
    apt_cache_show(RUNIT_PACKAGE)?;
    println!("reference: downloading {RUNIT_PACKAGE} (runit, for the service-manager benchmark)");
    let deb = download(RUNIT_PACKAGE, &cache.join("debs"))?;
    let staging = cache.join("runit.partial");
    let members: Vec<String> = RUNIT_PROGRAMS
        .iter()
        .map(|program| format!("./usr/bin/{program}"))
        .collect();
    let patterns: Vec<&str> = members.iter().map(String::as_str).collect();
    extract_members(&deb, &patterns, &staging)?;
    fs::create_dir_all(&directory).with_context(|| format!("creating {}", directory.display()))?;
    for program in RUNIT_PROGRAMS {
        move_into_cache(
            &staging.join("usr/bin").join(program),
            &directory.join(program),
        )?;
    }
    clean_up(&staging, &deb)?;
    println!("reference: {}", directory.display());
    Ok(directory)
}

/// A kernel unpacked earlier, if any (the highest version when there are several).
fn cached_kernel(directory: &Path) -> Result<Option<PathBuf>> {
    find_named(directory, "vmlinuz-", "")
}

/// The regular file in `directory` whose name starts with `prefix`, ends with
/// `suffix` and sorts last; `None` if there is none or the directory does not exist.
fn find_named(directory: &Path, prefix: &str, suffix: &str) -> Result<Option<PathBuf>> {
    let entries = match fs::read_dir(directory) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => {
            return Err(error).with_context(|| format!("reading {}", directory.display()))
        }
    };
    let mut best: Option<PathBuf> = None;
    for entry in entries {
        let path = entry?.path();
        let matches = path
            .file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| name.starts_with(prefix) && name.ends_with(suffix))
            && path.is_file();
        if matches && best.as_ref().is_none_or(|best| path > *best) {
            best = Some(path);
        }
    }
    Ok(best)
}

/// The first `linux-image-*` package in the `Depends:` field of `apt-cache show` output.
fn kernel_package_from_show(show: &str) -> Option<String> {
    let depends = show
        .lines()
        .find_map(|line| line.strip_prefix("Depends:"))?;
    depends
        .split([',', '|'])
        .map(|alternative| {
            // "linux-image-6.1.0-37-amd64 (= 6.1.140-1)" → the name before the version.
            alternative
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .split(':')
                .next()
                .unwrap_or_default()
        })
        .find(|name| name.starts_with("linux-image-") && name.len() > "linux-image-".len())
        .map(str::to_owned)
}

/// `apt-cache show` of the candidate version; refreshes empty package lists first when root.
fn apt_cache_show(package: &str) -> Result<String> {
    require_program("apt-cache")?;
    if let Some(text) = try_apt_cache_show(package)? {
        return Ok(text);
    }
    if !is_root() {
        bail!(
            "apt does not know {package} (are the package lists empty?)\n\
             refresh them with:\n    sudo apt-get update\nthen run this again"
        );
    }
    println!("reference: apt-cache does not know {package}; running apt-get update");
    run_checked(Command::new("apt-get").arg("update"), "apt-get update")?;
    try_apt_cache_show(package)?.with_context(|| {
        format!(
            "apt does not know {package} even after apt-get update (check /etc/apt/sources.list)"
        )
    })
}

fn try_apt_cache_show(package: &str) -> Result<Option<String>> {
    let output = Command::new("apt-cache")
        .args(["show", "--no-all-versions", package])
        .stdin(Stdio::null())
        .output()
        .context("cannot run apt-cache")?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    Ok((output.status.success() && text.contains("Package:")).then_some(text))
}

/// Downloads `package` into `directory` (reusing an earlier download) and returns the .deb.
fn download(package: &str, directory: &Path) -> Result<PathBuf> {
    let deb_prefix = format!("{package}_");
    if let Some(deb) = find_deb(directory, &deb_prefix)? {
        return Ok(deb);
    }
    require_program("apt-get")?;
    fs::create_dir_all(directory).with_context(|| format!("creating {}", directory.display()))?;
    let mut command = Command::new("apt-get");
    if is_root() {
        // apt drops to the _apt user for downloads, which may not be able to write here.
        command.args(["-o", "APT::Sandbox::User=root"]);
    }
    command.args(["download", package]).current_dir(directory);
    let first_try = run_checked(&mut command, &format!("apt-get download {package}"));
    if let Err(error) = first_try {
        // Stale lists name versions the mirror no longer has; a refresh fixes that.
        if !is_root() {
            return Err(error.context(
                "if the package lists are stale, refresh them with `sudo apt-get update`",
            ));
        }
        println!("reference: download failed; running apt-get update and retrying");
        run_checked(Command::new("apt-get").arg("update"), "apt-get update")?;
        run_checked(&mut command, &format!("apt-get download {package}"))?;
    }
    find_deb(directory, &deb_prefix)?.with_context(|| {
        format!(
            "apt-get download {package} succeeded but left no {deb_prefix}*.deb in {}",
            directory.display()
        )
    })
}

fn find_deb(directory: &Path, prefix: &str) -> Result<Option<PathBuf>> {
    find_named(directory, prefix, ".deb")
}

/// Unpacks the members of `deb`'s data archive that match `patterns` (tar
/// wildcards, `./`-prefixed as in Debian packages) into a fresh `destination`.
fn extract_members(deb: &Path, patterns: &[&str], destination: &Path) -> Result<()> {
    require_program("dpkg-deb")?;
    require_program("tar")?;
    if destination.exists() {
        fs::remove_dir_all(destination)
            .with_context(|| format!("removing {}", destination.display()))?;
    }
    fs::create_dir_all(destination)
        .with_context(|| format!("creating {}", destination.display()))?;
    // dpkg-deb -x would unpack everything; --fsys-tarfile streams the data
    // archive so tar can take just what we want.
    let mut dpkg = Command::new("dpkg-deb")
        .arg("--fsys-tarfile")
        .arg(deb)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot run dpkg-deb")?;
    let archive = dpkg.stdout.take().context("dpkg-deb has no stdout")?;
    let tar = Command::new("tar")
        .args(["-x", "-f", "-", "--wildcards", "-C"])
        .arg(destination)
        .args(patterns)
        .stdin(archive)
        .stderr(Stdio::piped())
        .output()
        .context("cannot run tar")?;
    let dpkg_status = dpkg.wait().context("waiting for dpkg-deb")?;
    if !dpkg_status.success() {
        bail!(
            "dpkg-deb --fsys-tarfile {} failed ({dpkg_status})",
            deb.display()
        );
    }
    if !tar.status.success() {
        bail!(
            "extracting {} from {} failed ({}): {}",
            patterns.join(" "),
            deb.display(),
            tar.status,
            String::from_utf8_lossy(&tar.stderr).trim()
        );
    }
    Ok(())
}

/// Moves a freshly unpacked file to its cache path (a rename, so no half-written file is ever cached).
fn move_into_cache(unpacked: &Path, destination: &Path) -> Result<()> {
    if !unpacked.is_file() {
        bail!("{} was not unpacked", unpacked.display());
    }
    fs::rename(unpacked, destination)
        .with_context(|| format!("moving {} to {}", unpacked.display(), destination.display()))
}

/// Removes the unpacking directory and the package, which the cached file replaces.
fn clean_up(staging: &Path, deb: &Path) -> Result<()> {
    fs::remove_dir_all(staging).with_context(|| format!("removing {}", staging.display()))?;
    fs::remove_file(deb).with_context(|| format!("removing {}", deb.display()))
}

fn run_checked(command: &mut Command, what: &str) -> Result<()> {
    let status = command
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdin(Stdio::null())
        .status()
        .with_context(|| format!("cannot run {what}"))?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

fn require_program(name: &str) -> Result<()> {
    if crate::host_tools::find_program(name).is_none() {
        bail!(
            "{name} not found: the Linux reference comes from Debian packages, which needs a \
             Debian-based host (apt and dpkg)"
        );
    }
    Ok(())
}

/// Whether this process runs as root (owner of /proc/self is the effective uid).
fn is_root() -> bool {
    fs::metadata("/proc/self").is_ok_and(|metadata| metadata.uid() == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_package_comes_from_depends() {
        let show = "Package: linux-image-amd64\nSource: linux-signed-amd64 (6.1.140+1)\n\
                    Version: 6.1.140-1\nDepends: linux-image-6.1.0-37-amd64 (= 6.1.140-1)\n\
                    Description: Linux for 64-bit PCs (meta-package)\n";
        assert_eq!(
            kernel_package_from_show(show).as_deref(),
            Some("linux-image-6.1.0-37-amd64")
        );
    }

    #[test]
    fn kernel_package_skips_other_dependencies_and_takes_alternatives() {
        let show = "Depends: initramfs-tools | linux-initramfs-tool, linux-image-6.12.9-amd64:amd64 (= 1)\n";
        assert_eq!(
            kernel_package_from_show(show).as_deref(),
            Some("linux-image-6.12.9-amd64")
        );
        let alternative = "Depends: foo | linux-image-6.1.0-1-amd64\n";
        assert_eq!(
            kernel_package_from_show(alternative).as_deref(),
            Some("linux-image-6.1.0-1-amd64")
        );
    }

    #[test]
    fn no_kernel_package_without_a_matching_depends() {
        assert_eq!(kernel_package_from_show(""), None);
        assert_eq!(kernel_package_from_show("Package: x\n"), None);
        assert_eq!(kernel_package_from_show("Depends: linux-image-\n"), None);
        assert_eq!(
            kernel_package_from_show("Pre-Depends: linux-image-6\n"),
            None
        );
    }

    fn temp_dir(name: &str) -> PathBuf {
        let directory =
            std::env::temp_dir().join(format!("xtask-reference-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&directory);
        fs::create_dir_all(&directory).expect("temp dir");
        directory
    }

    #[test]
    fn cached_files_are_found_by_prefix_and_the_highest_wins() {
        let directory = temp_dir("prefix");
        assert_eq!(
            find_named(&directory.join("missing"), "x", "").expect("ok"),
            None
        );
        assert_eq!(cached_kernel(&directory).expect("ok"), None);
        fs::write(directory.join("vmlinuz-6.1.0-9-amd64"), b"a").expect("write");
        fs::write(directory.join("vmlinuz-6.1.0-37-amd64"), b"b").expect("write");
        fs::create_dir(directory.join("vmlinuz-dir")).expect("dir");
        fs::write(directory.join("config-6.1.0-37-amd64"), b"c").expect("write");
        // Byte order, not version order; with one cached kernel (the normal case) it does not matter.
        assert_eq!(
            cached_kernel(&directory).expect("ok"),
            Some(directory.join("vmlinuz-6.1.0-9-amd64"))
        );
        fs::write(directory.join("busybox-static_1_amd64.deb"), b"d").expect("write");
        fs::write(directory.join("busybox-static_1_amd64.deb.part"), b"e").expect("write");
        assert_eq!(
            find_deb(&directory, "busybox-static_").expect("ok"),
            Some(directory.join("busybox-static_1_amd64.deb"))
        );
        fs::remove_dir_all(&directory).expect("cleanup");
    }

    #[test]
    fn cached_kernel_and_busybox_are_reused_without_apt() {
        let cache = temp_dir("reuse");
        fs::create_dir_all(cache.join("linux")).expect("dir");
        let kernel = cache.join("linux/vmlinuz-6.1.0-1-amd64");
        fs::write(&kernel, b"kernel").expect("write");
        fs::write(cache.join("busybox"), b"busybox").expect("write");
        assert_eq!(linux_kernel_in(&cache).expect("cached"), kernel);
        assert_eq!(busybox_in(&cache).expect("cached"), cache.join("busybox"));
        fs::remove_dir_all(&cache).expect("cleanup");
    }

    #[test]
    fn moving_a_missing_file_is_a_clear_error() {
        let directory = temp_dir("move");
        let error =
            move_into_cache(&directory.join("nope"), &directory.join("dest")).expect_err("missing");
        assert!(error.to_string().contains("was not unpacked"));
        fs::remove_dir_all(&directory).expect("cleanup");
    }

    /// Builds a tiny .deb with dpkg-deb (when the host has it) and unpacks one member.
    #[test]
    fn extracts_only_the_requested_member() {
        if crate::host_tools::find_program("dpkg-deb").is_none() {
            eprintln!("note: dpkg-deb not found; skipping");
            return;
        }
        let directory = temp_dir("extract");
        let tree = directory.join("tree");
        fs::create_dir_all(tree.join("DEBIAN")).expect("dir");
        fs::create_dir_all(tree.join("boot")).expect("dir");
        fs::create_dir_all(tree.join("lib/modules")).expect("dir");
        fs::write(
            tree.join("DEBIAN/control"),
            "Package: test-kernel\nVersion: 1\nArchitecture: amd64\n\
             Maintainer: nobody <nobody@example.org>\nDescription: test\n",
        )
        .expect("control");
        fs::write(tree.join("boot/vmlinuz-9.9-test"), b"image").expect("image");
        fs::write(tree.join("boot/config-9.9-test"), b"config").expect("config");
        fs::write(tree.join("lib/modules/big.ko"), b"module").expect("module");
        let deb = directory.join("test-kernel_1_amd64.deb");
        let status = Command::new("dpkg-deb")
            .args(["--root-owner-group", "--build"])
            .arg(&tree)
            .arg(&deb)
            .stdout(Stdio::null())
            .status()
            .expect("dpkg-deb runs");
        assert!(status.success());
        let staging = directory.join("staging");
        fs::create_dir_all(staging.join("stale")).expect("stale");
        extract_members(&deb, &["./boot/vmlinuz-*"], &staging).expect("extracts");
        assert_eq!(
            fs::read(staging.join("boot/vmlinuz-9.9-test")).expect("image"),
            b"image"
        );
        assert!(!staging.join("boot/config-9.9-test").exists());
        assert!(!staging.join("lib").exists());
        assert!(!staging.join("stale").exists(), "staging starts empty");
        let error = extract_members(&deb, &["./bin/busybox"], &staging).expect_err("absent");
        let message = error.to_string();
        assert!(
            message.contains("./bin/busybox") && message.contains("Not found"),
            "{message}"
        );
        fs::remove_dir_all(&directory).expect("cleanup");
    }
}
