//! `build`: the kernel (with its symbol table embedded) and the initramfs.

use crate::cargo::{self, Profile};
use crate::initramfs::Initramfs;
use crate::paths::Paths;
use anyhow::{anyhow, Context, Result};
use std::fs;

/// Builds out/basalt.elf and out/initramfs.cpio.gz.
pub fn build_all(paths: &Paths, profile: Profile) -> Result<()> {
    // pkg's TLS library (ring) compiles C for the static musl target, with musl-gcc.
    crate::host_tools::ensure(&[crate::host_tools::Tool::Musl])?;
    build_kernel(paths, profile)?;
    build_initramfs(paths, profile)
}

/// Builds the kernel, embeds its symbol table and writes out/basalt.elf.
pub fn build_kernel(paths: &Paths, profile: Profile) -> Result<()> {
    let built =
        cargo::build_bare_metal_binary(paths.root(), "basalt-kernel", "basalt-kernel", profile)?;
    let mut image = fs::read(&built).with_context(|| format!("reading {}", built.display()))?;
    let report = basalt_ksyms::embed(&mut image).map_err(|error| {
        anyhow!(
            "embedding the symbol table into {}: {error}",
            built.display()
        )
    })?;
    let destination = paths.kernel_elf();
    write_artifact(paths, &destination, &image)?;
    println!(
        "kernel: {} ({} KiB, {} symbols)",
        paths.display(&destination),
        image.len().div_ceil(1024),
        report.symbols
    );
    Ok(())
}

/// Builds /init (boot-probe, and the freestanding test programs under /bin) and writes out/initramfs.cpio.gz.
pub fn build_initramfs(paths: &Paths, profile: Profile) -> Result<()> {
    let init =
        cargo::build_bare_metal_binary(paths.root(), "basalt-boot-probe", "boot-probe", profile)?;
    let init_bytes = fs::read(&init).with_context(|| format!("reading {}", init.display()))?;
    let smoke = cargo::build_bare_metal_binary(paths.root(), "basalt-smoke", "smoke", profile)?;
    let smoke_bytes = fs::read(&smoke).with_context(|| format!("reading {}", smoke.display()))?;
    let mut image = Initramfs::new();
    image.add_dir("dev", 0o755)?;
    image.add_file("init", 0o755, init_bytes)?;
    image.add_file("bin/smoke", 0o755, smoke_bytes)?;
    let compressed = image.to_cpio_gz()?;
    let destination = paths.initramfs();
    write_artifact(paths, &destination, &compressed)?;
    println!(
        "initramfs: {} ({} KiB, {} entries)",
        paths.display(&destination),
        compressed.len().div_ceil(1024),
        image.len()
    );
    Ok(())
}

/// busybox init's table for the interactive image: the usual filesystems (devtmpfs gives /dev/ttyS0 under Linux
/// too, so the same image boots both kernels), then a login shell on the serial port, which init opens after
/// setsid() and makes the shell's controlling terminal (so job control works), started again when it exits.
const INTERACTIVE_INITTAB: &str = "\
::sysinit:/bin/mount -t devtmpfs devtmpfs /dev
::sysinit:/bin/mount -t proc proc /proc
::sysinit:/bin/mount -t sysfs sysfs /sys
::sysinit:/bin/hostname basalt
ttyS0::respawn:-/bin/sh
::ctrlaltdel:/bin/reboot
::shutdown:/bin/sync
";

/// /etc/profile of the interactive image.
const INTERACTIVE_PROFILE: &str = "\
export PATH=/bin
export HOME=/root
export PS1='\\u@\\h:\\w\\$ '
cd
";

/// Builds out/initramfs-interactive.cpio.gz for `cargo xtask run`: busybox as /init (its init applet), an inittab
/// that runs a job-control shell on /dev/ttyS0, every applet in /bin.
pub fn build_interactive_initramfs(paths: &Paths) -> Result<()> {
    let mut image = Initramfs::new();
    image.add_dir("dev", 0o755)?;
    // Linux opens /dev/console for init before anything is mounted (Basalt adds the node when it is missing).
    image.add_char_device("dev/console", 0o600, 5, 1)?;
    for dir in ["proc", "sys", "root"] {
        image.add_dir(dir, if dir == "root" { 0o700 } else { 0o755 })?;
    }
    image.add_dir("tmp", 0o1777)?;
    add_busybox(&mut image)?;
    image.add_symlink("init", "bin/busybox")?;
    image.add_symlink("sbin", "bin")?;
    image.add_file(
        "etc/inittab",
        0o644,
        INTERACTIVE_INITTAB.as_bytes().to_vec(),
    )?;
    image.add_file(
        "etc/profile",
        0o644,
        INTERACTIVE_PROFILE.as_bytes().to_vec(),
    )?;
    image.add_file(
        "etc/passwd",
        0o644,
        b"root:x:0:0:root:/root:/bin/sh\n".to_vec(),
    )?;
    image.add_file("etc/group", 0o644, b"root:x:0:\ntty:x:5:\n".to_vec())?;
    let compressed = image.to_cpio_gz()?;
    let destination = paths.interactive_initramfs();
    write_artifact(paths, &destination, &compressed)?;
    println!(
        "initramfs: {} ({} KiB)",
        paths.display(&destination),
        compressed.len().div_ceil(1024)
    );
    Ok(())
}

/// Builds out/initramfs-busybox.cpio.gz: Debian's static busybox with every applet in /bin, the test scripts of
/// tests/busybox at /, and /tmp. Used by the busybox scenarios.
pub fn build_busybox_initramfs(paths: &Paths) -> Result<()> {
    let mut image = Initramfs::new();
    image.add_dir("dev", 0o755)?;
    image.add_dir("tmp", 0o1777)?;
    add_busybox(&mut image)?;
    // Test programs: the ABI suite, threads (static and dynamic musl), a static glibc program.
    let programs = [
        ("bin/abi-tests", crate::programs::build_abi_tests()?),
        ("bin/thread-test", crate::programs::build_thread_test(true)?),
        (
            "bin/thread-test-dynamic",
            crate::programs::build_thread_test(false)?,
        ),
        ("bin/hello-glibc", crate::programs::build_hello_glibc()?),
        ("bin/sysfuzz", crate::programs::build_sysfuzz()?),
    ];
    for (name, path) in programs {
        let bytes = strip_debug(&path)?;
        image.add_file(name, 0o755, bytes)?;
    }
    let loader = fs::canonicalize(crate::host_tools::MUSL_LOADER)
        .with_context(|| format!("resolving {}", crate::host_tools::MUSL_LOADER))?;
    image.add_file("lib/ld-musl-x86_64.so.1", 0o755, fs::read(&loader)?)?;
    let scripts = paths.root().join("tests/busybox");
    for entry in fs::read_dir(&scripts).with_context(|| format!("reading {}", scripts.display()))? {
        let path = entry?.path();
        if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
            image.add_file(name, 0o755, fs::read(&path)?)?;
        }
    }
    let compressed = image.to_cpio_gz()?;
    let destination = paths.busybox_initramfs();
    write_artifact(paths, &destination, &compressed)?;
    println!(
        "initramfs: {} ({} KiB)",
        paths.display(&destination),
        compressed.len().div_ceil(1024)
    );
    Ok(())
}

/// Debian's static busybox as /bin/busybox, with a link in /bin for every applet it has.
pub fn add_busybox(image: &mut Initramfs) -> Result<()> {
    let busybox = crate::reference::busybox()?;
    let listing = std::process::Command::new(&busybox)
        .arg("--list")
        .output()
        .with_context(|| format!("running {} --list", busybox.display()))?;
    let applets = String::from_utf8_lossy(&listing.stdout).into_owned();
    image.add_file(
        "bin/busybox",
        0o755,
        fs::read(&busybox).with_context(|| format!("reading {}", busybox.display()))?,
    )?;
    for applet in applets
        .lines()
        .map(str::trim)
        .filter(|a| !a.is_empty() && *a != "busybox")
    {
        image.add_symlink(&format!("bin/{applet}"), "busybox")?;
    }
    Ok(())
}

/// A copy of an executable without debug information (`strip --strip-debug`), to keep the initramfs small.
pub fn strip_debug(path: &std::path::Path) -> Result<Vec<u8>> {
    let stripped = path.with_extension("stripped");
    let status = std::process::Command::new("strip")
        .arg("--strip-debug")
        .arg("-o")
        .arg(&stripped)
        .arg(path)
        .status()
        .context("running strip (binutils)")?;
    if !status.success() {
        anyhow::bail!("strip --strip-debug {} failed", path.display());
    }
    fs::read(&stripped).with_context(|| format!("reading {}", stripped.display()))
}

fn write_artifact(paths: &Paths, destination: &std::path::Path, bytes: &[u8]) -> Result<()> {
    fs::create_dir_all(paths.out())
        .with_context(|| format!("creating {}", paths.out().display()))?;
    fs::write(destination, bytes).with_context(|| format!("writing {}", destination.display()))
}
