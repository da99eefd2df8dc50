//! Building the benchmark program (a static musl executable) and its initramfs.

use crate::cargo;
use crate::initramfs::Initramfs;
use anyhow::Result;
use std::path::{Path, PathBuf};

/// Target of Linux user programs that need no dynamic loader.
pub const STATIC_LINUX_TARGET: &str = "x86_64-unknown-linux-musl";

/// Package and binary of the benchmark program.
const BENCH_PACKAGE: &str = "basalt-bench";
const BENCH_BINARY: &str = "bench";

/// Path of the second copy of the program in the initramfs; the program execs
/// it in `fork_exec_wait` when it runs as PID 1.
const BENCH_COPY: &str = "bench";

/// Builds the benchmark program (release) and returns the executable's path.
pub fn build_bench_program(root: &Path) -> Result<PathBuf> {
    build_static_binary(root, BENCH_PACKAGE, BENCH_BINARY)
}

/// Drops the debug info the workspace's release profile asks for: it would make
/// the program ~8 times larger, and the initramfs holds it twice.
const STRIP_DEBUG_INFO: &str = "profile.release.package.basalt-bench.strip=\"debuginfo\"";

/// The benchmark initramfs: the program as /init and as /bench, and /dev/console
/// (Linux opens it for init's stdin, stdout and stderr).
pub fn bench_initramfs(program: &[u8]) -> Result<Vec<u8>> {
    let mut image = Initramfs::new();
    image.add_dir("dev", 0o755)?;
    image.add_char_device("dev/console", 0o600, 5, 1)?;
    image.add_file("init", 0o755, program.to_vec())?;
    image.add_file(BENCH_COPY, 0o755, program.to_vec())?;
    Ok(image.to_cpio_gz()?)
}

/// `cargo build --release` of `bin` in `package` for [`STATIC_LINUX_TARGET`];
/// Cargo reports where the executable is, so any CARGO_TARGET_DIR works.
fn build_static_binary(root: &Path, package: &str, bin: &str) -> Result<PathBuf> {
    let mut command = cargo::command(root);
    command.args([
        "build",
        "--release",
        "--package",
        package,
        "--bin",
        bin,
        "--target",
        STATIC_LINUX_TARGET,
        "--message-format=json-render-diagnostics",
        "--config",
        STRIP_DEBUG_INFO,
    ]);
    cargo::run_for_executable(command, package, bin)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpio::test_reader;
    use flate2::read::GzDecoder;
    use std::io::Read;

    #[test]
    fn initramfs_holds_init_bench_and_console() {
        let compressed = bench_initramfs(b"\x7fELF program").expect("image");
        let mut archive = Vec::new();
        GzDecoder::new(compressed.as_slice())
            .read_to_end(&mut archive)
            .expect("gunzip");
        let entries = test_reader::parse(&archive);
        let find = |name: &str| {
            entries
                .iter()
                .find(|entry| entry.name == name)
                .unwrap_or_else(|| panic!("{name} missing"))
        };
        assert_eq!(find("init").data, b"\x7fELF program");
        assert_eq!(find("bench").data, b"\x7fELF program");
        assert_eq!(find("init").mode, 0o100_755);
        assert_eq!(find("dev/console").rdev, (5, 1));
        assert_eq!(find("dev/console").mode, 0o020_600);
    }
}
