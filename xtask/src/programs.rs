//! Test programs for the initramfs: `thread-test` (std Rust, static or dynamically linked against musl),
//! `hello-glibc` (static glibc C), `sysfuzz` (the system call fuzzer) and the helpers of `tests/diff`.
//!
//! Every program is copied to `<cargo target dir>/programs/<name>` and that path is returned: the static and the
//! dynamic `thread-test` come out of Cargo at the same path, so each build gets its own name.
//!
//! Dynamic musl linking needs musl's shared libc and the `musl-gcc` wrapper (Debian: `musl`, `musl-dev`,
//! `musl-tools`). Rust's std asks for `libgcc_s` as its unwinder when linked dynamically; a one-line linker script
//! in a private directory points `-lgcc_s` at the LLVM libunwind that ships with Rust's musl target instead, so
//! the result needs nothing at run time but `/lib/ld-musl-x86_64.so.1` (which is also musl's `libc.so`).

use crate::cargo::{self, Profile};
use crate::host_tools;
use crate::paths::Paths;
use anyhow::{bail, Context, Result};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The Rust target of the test programs.
const MUSL_TARGET: &str = "x86_64-unknown-linux-musl";
/// The profile every program is built with.
const PROFILE: Profile = Profile::Release;
/// Debian packages that provide `musl-gcc`, musl's shared libc and its dynamic loader.
const MUSL_PACKAGES: &str = "musl musl-dev musl-tools";
/// The dynamic loader a dynamically linked musl program names as its interpreter.
const MUSL_LOADER: &str = "/lib/ld-musl-x86_64.so.1";

/// Builds `thread-test` for musl, statically (`static_link`) or dynamically linked, and returns its path.
pub fn build_thread_test(static_link: bool) -> Result<PathBuf> {
    let paths = Paths::discover();
    let (built, name) = if static_link {
        let built = build_musl_binary(&paths, "basalt-thread-test", "thread-test", &[])?;
        (built, "thread-test-static")
    } else {
        let rustc_args = dynamic_musl_rustc_args(&paths)?;
        let built = build_musl_binary(&paths, "basalt-thread-test", "thread-test", &rustc_args)?;
        (built, "thread-test-dynamic")
    };
    publish(&paths, &built, name)
}

/// Builds `hello-glibc` with `gcc -static -O2 -pthread` and returns its path.
pub fn build_hello_glibc() -> Result<PathBuf> {
    let paths = Paths::discover();
    let gcc = host_tools::find_program("gcc").context(
        "gcc not found; install it with: apt-get install -y --no-install-recommends gcc libc6-dev",
    )?;
    let source = hello_glibc_source(&paths);
    let destination = programs_dir(&paths)?.join("hello-glibc");
    let status = Command::new(gcc)
        .args(gcc_args(&source, &destination))
        .stdin(Stdio::null())
        .status()
        .context("cannot run gcc")?;
    if !status.success() {
        bail!("gcc failed on {} ({status})", paths.display(&source));
    }
    report("hello-glibc", &paths, &destination)?;
    Ok(destination)
}

/// Builds `sysfuzz` (static musl) and returns its path.
pub fn build_sysfuzz() -> Result<PathBuf> {
    let paths = Paths::discover();
    let built = build_musl_binary(&paths, "basalt-sysfuzz", "sysfuzz", &[])?;
    publish(&paths, &built, "sysfuzz")
}

/// Builds the ABI conformance suite `abi-tests` (static musl) and returns its path.
pub fn build_abi_tests() -> Result<PathBuf> {
    let paths = Paths::discover();
    let built = build_musl_binary(&paths, "basalt-abi-tests", "abi-tests", &[])?;
    publish(&paths, &built, "abi-tests")
}

/// Builds the service manager's programs (`init`, `svc`, `getty`, `login`: static musl); returns (name, path).
pub fn build_svc_programs() -> Result<Vec<(&'static str, PathBuf)>> {
    let paths = Paths::discover();
    let mut built = Vec::new();
    for bin in ["init", "svc", "getty", "login"] {
        let artifact = build_musl_binary(&paths, "basalt-svc", bin, &[])?;
        built.push((bin, publish(&paths, &artifact, bin)?));
    }
    Ok(built)
}

/// Builds the package manager `pkg` (static musl) and returns its path.
pub fn build_pkg() -> Result<PathBuf> {
    let paths = Paths::discover();
    let built = build_musl_binary(&paths, "basalt-pkg", "pkg", &[])?;
    publish(&paths, &built, "pkg")
}

/// `<target dir>/NAME`, created: a directory of its own for work done at image-build time.
pub fn work_dir(name: &str) -> Result<PathBuf> {
    let directory = target_dir(&Paths::discover())?.join(name);
    std::fs::create_dir_all(&directory)
        .with_context(|| format!("creating {}", directory.display()))?;
    Ok(directory)
}

/// Builds the helpers of the differential scenarios (static musl) and returns `(name, path)` of each:
/// `unixtool` and `ptyrun`.
pub fn build_diff_tools() -> Result<Vec<(&'static str, PathBuf)>> {
    let paths = Paths::discover();
    let mut built = Vec::new();
    for name in ["unixtool", "ptyrun"] {
        let binary = build_musl_binary(&paths, "basalt-diff-tools", name, &[])?;
        built.push((name, publish(&paths, &binary, name)?));
    }
    Ok(built)
}

/// `tests/programs/hello-glibc.c`.
fn hello_glibc_source(paths: &Paths) -> PathBuf {
    paths
        .root()
        .join("tests")
        .join("programs")
        .join("hello-glibc.c")
}

/// The gcc command line for a static glibc program.
fn gcc_args(source: &Path, destination: &Path) -> Vec<OsString> {
    let mut args: Vec<OsString> = ["-static", "-O2", "-pthread", "-Wall", "-Wextra", "-o"]
        .into_iter()
        .map(OsString::from)
        .collect();
    args.push(destination.into());
    args.push(source.into());
    args
}

/// Builds `bin` of `package` for musl (release) and returns Cargo's artifact path. With `rustc_args`, the final
/// link gets them through `cargo rustc` (they would not belong to the dependencies).
fn build_musl_binary(
    paths: &Paths,
    package: &str,
    bin: &str,
    rustc_args: &[OsString],
) -> Result<PathBuf> {
    let mut command = cargo::command(paths.root());
    command.args(cargo_args(package, bin, !rustc_args.is_empty()));
    if !rustc_args.is_empty() {
        command.arg("--").args(rustc_args);
    }
    cargo::run_for_executable(command, package, bin)
}

/// Cargo's arguments (before any `--`): `build`, or `rustc` when the final link needs extra flags.
fn cargo_args(package: &str, bin: &str, with_rustc_args: bool) -> Vec<String> {
    let subcommand = if with_rustc_args { "rustc" } else { "build" };
    let mut args: Vec<String> = [
        subcommand,
        "--package",
        package,
        "--bin",
        bin,
        "--target",
        MUSL_TARGET,
        "--message-format=json-render-diagnostics",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    if PROFILE == Profile::Release {
        args.push("--release".into());
    }
    args
}

/// rustc flags for a musl program linked dynamically: no static CRT, `musl-gcc` as the linker, and the
/// libunwind shim (see the module documentation).
fn dynamic_musl_rustc_args(paths: &Paths) -> Result<Vec<OsString>> {
    let missing = || {
        format!(
            "dynamic musl linking needs musl-gcc and {MUSL_LOADER}; install them with: \
             apt-get install -y --no-install-recommends {MUSL_PACKAGES}"
        )
    };
    let musl_gcc = host_tools::find_program("musl-gcc").with_context(missing)?;
    if !Path::new(MUSL_LOADER).exists() {
        bail!(missing());
    }
    let shim_dir = target_dir(paths)?.join("musl-dynamic-link");
    std::fs::create_dir_all(&shim_dir)
        .with_context(|| format!("creating {}", shim_dir.display()))?;
    let libunwind = rust_sysroot(paths)?
        .join("lib/rustlib")
        .join(MUSL_TARGET)
        .join("lib/self-contained/libunwind.a");
    if !libunwind.is_file() {
        bail!(
            "{} is missing: install the {MUSL_TARGET} target",
            libunwind.display()
        );
    }
    let script = shim_dir.join("libgcc_s.so");
    std::fs::write(&script, gcc_s_linker_script(&libunwind))
        .with_context(|| format!("writing {}", script.display()))?;
    Ok(dynamic_link_flags(&musl_gcc, &shim_dir))
}

/// A linker script standing in for `libgcc_s.so`: it pulls in the static libunwind instead.
fn gcc_s_linker_script(libunwind: &Path) -> String {
    format!("INPUT({})\n", libunwind.display())
}

fn dynamic_link_flags(musl_gcc: &Path, shim_dir: &Path) -> Vec<OsString> {
    let mut linker = OsString::from("linker=");
    linker.push(musl_gcc);
    vec![
        "-C".into(),
        "target-feature=-crt-static".into(),
        "-C".into(),
        linker,
        "-L".into(),
        shim_dir.into(),
    ]
}

/// The sysroot of the toolchain that builds the workspace (rust-toolchain.toml applies in the root).
fn rust_sysroot(paths: &Paths) -> Result<PathBuf> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| OsString::from("rustc"));
    let output = Command::new(rustc)
        .args(["--print", "sysroot"])
        .current_dir(paths.root())
        .stdin(Stdio::null())
        .output()
        .context("cannot run rustc --print sysroot")?;
    if !output.status.success() {
        bail!("rustc --print sysroot failed ({})", output.status);
    }
    let text = String::from_utf8(output.stdout).context("rustc printed a non-UTF-8 sysroot")?;
    Ok(PathBuf::from(text.trim()))
}

/// Cargo's target directory (honours CARGO_TARGET_DIR and configuration), from `cargo metadata`.
fn target_dir(paths: &Paths) -> Result<PathBuf> {
    let output = cargo::command(paths.root())
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run cargo metadata")?;
    if !output.status.success() {
        bail!("cargo metadata failed ({})", output.status);
    }
    parse_target_directory(&output.stdout).context("cargo metadata reported no target_directory")
}

fn parse_target_directory(metadata: &[u8]) -> Option<PathBuf> {
    let value: serde_json::Value = serde_json::from_slice(metadata).ok()?;
    Some(PathBuf::from(value.get("target_directory")?.as_str()?))
}

/// `<target dir>/programs`, created.
fn programs_dir(paths: &Paths) -> Result<PathBuf> {
    let directory = target_dir(paths)?.join("programs");
    std::fs::create_dir_all(&directory)
        .with_context(|| format!("creating {}", directory.display()))?;
    Ok(directory)
}

/// Copies a built program to `<target dir>/programs/<name>` and returns that path.
fn publish(paths: &Paths, built: &Path, name: &str) -> Result<PathBuf> {
    let destination = programs_dir(paths)?.join(name);
    std::fs::copy(built, &destination)
        .with_context(|| format!("copying {} to {}", built.display(), destination.display()))?;
    report(name, paths, &destination)?;
    Ok(destination)
}

fn report(name: &str, paths: &Paths, path: &Path) -> Result<()> {
    let bytes = std::fs::metadata(path)
        .with_context(|| format!("reading {}", path.display()))?
        .len();
    println!(
        "{name}: {} ({} KiB)",
        paths.display(path),
        bytes.div_ceil(1024)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_builds_use_cargo_build_and_dynamic_ones_cargo_rustc() {
        let args = cargo_args("basalt-sysfuzz", "sysfuzz", false);
        assert_eq!(args[0], "build");
        assert!(args
            .windows(2)
            .any(|pair| pair == ["--target", MUSL_TARGET]));
        assert!(args.windows(2).any(|pair| pair == ["--bin", "sysfuzz"]));
        assert!(args.contains(&"--release".to_owned()));
        assert_eq!(
            cargo_args("basalt-thread-test", "thread-test", true)[0],
            "rustc"
        );
    }

    #[test]
    fn dynamic_flags_drop_the_static_crt_and_use_the_shim() {
        let flags = dynamic_link_flags(Path::new("/usr/bin/musl-gcc"), Path::new("/t/shim"));
        let flags: Vec<String> = flags
            .iter()
            .map(|flag| flag.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            flags,
            [
                "-C",
                "target-feature=-crt-static",
                "-C",
                "linker=/usr/bin/musl-gcc",
                "-L",
                "/t/shim"
            ]
        );
        assert_eq!(
            gcc_s_linker_script(Path::new("/s/libunwind.a")),
            "INPUT(/s/libunwind.a)\n"
        );
    }

    #[test]
    fn gcc_builds_a_static_threaded_program() {
        let args: Vec<String> = gcc_args(Path::new("/src/a.c"), Path::new("/out/a"))
            .iter()
            .map(|arg| arg.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args,
            ["-static", "-O2", "-pthread", "-Wall", "-Wextra", "-o", "/out/a", "/src/a.c"]
        );
        assert!(hello_glibc_source(&Paths::discover()).is_file());
    }

    #[test]
    fn finds_the_target_directory_in_cargo_metadata() {
        assert_eq!(
            parse_target_directory(br#"{"packages":[],"target_directory":"/w/target"}"#),
            Some(PathBuf::from("/w/target"))
        );
        assert_eq!(parse_target_directory(b"{}"), None);
        assert_eq!(parse_target_directory(b"not json"), None);
    }

    /// Builds every program and runs it on this host (slow: several cargo builds; run with `--ignored`).
    #[test]
    #[ignore]
    fn every_program_builds_and_runs_on_the_host() {
        let expect_last_line = |path: &Path, args: &[&str], last: &str| {
            let output = Command::new(path).args(args).output().expect("run");
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(output.status.success(), "{}: {stdout}", path.display());
            let final_line = stdout.lines().last().unwrap_or_default();
            assert!(final_line.starts_with(last), "{}: {stdout}", path.display());
        };
        let static_test = build_thread_test(true).expect("static thread-test");
        let dynamic_test = build_thread_test(false).expect("dynamic thread-test");
        assert_ne!(static_test, dynamic_test);
        expect_last_line(&static_test, &[], "thread-test: ok");
        expect_last_line(&dynamic_test, &[], "thread-test: ok");
        let hello = build_hello_glibc().expect("hello-glibc");
        expect_last_line(&hello, &[], "hello-glibc: ok");
        let sysfuzz = build_sysfuzz().expect("sysfuzz");
        expect_last_line(
            &sysfuzz,
            &["--seconds", "1", "--procs", "2"],
            "sysfuzz: done, ",
        );
    }
}
