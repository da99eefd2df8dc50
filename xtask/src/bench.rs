//! `bench`: the benchmark program as /init under Debian's Linux and under
//! Basalt, in identical QEMU machines; a comparison table on stdout and in
//! `out/bench.md`.
//!
//! Each kernel boots twice: once with `console=ttyS0 quiet` to run the
//! benchmarks (the program powers the machine off when done), and once with
//! `console=ttyS0 printk.time=1` (so informational messages reach the console)
//! to read the time from kernel entry to /init; that run is stopped as soon as
//! the line appears. Slowness never fails the command: only errors such as a
//! failed build do. Logs are in `out/bench/`.
//!
//! Before that, on the host, Basalt's service manager against s6 and runit
//! ([`crate::svcbench`]), the package manager's solver beside apt ([`crate::pkgbench`]) and its
//! install speed beside tar ([`crate::pkginstallbench`]);
//! `--only services`, `--only pkg` or `--only kernels` runs one part.

use crate::bench_build;
use crate::bench_report::{self, Kernel, KernelResults, RunEnd};
use crate::build;
use crate::cargo::Profile;
use crate::expect::normalize_serial;
use crate::host_tools::{self, Tool};
use crate::paths::Paths;
use crate::pkgbench;
use crate::pkginstallbench;
use crate::qemu::{self, Accel, Boot, Console, Machine};
use crate::reference;
use crate::svcbench;
use anyhow::{bail, Context, Result};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Guest memory, as Basalt's other runs get.
const MEMORY: &str = "256M";

/// Guest CPUs.
const CPUS: u32 = 2;

/// Command line of the benchmark runs (before any `-- --quick`).
const BENCH_COMMAND_LINE: &str = "console=ttyS0 quiet";

/// Command line of the boot-time runs: no `quiet`, so the init line is printed.
const BOOT_COMMAND_LINE: &str = "console=ttyS0 printk.time=1";

/// Limits for the benchmark runs (TCG is slow; a full run on Linux takes well under a minute).
const QUICK_BENCH_TIMEOUT: Duration = Duration::from_secs(300);
const FULL_BENCH_TIMEOUT: Duration = Duration::from_secs(1200);

/// Limit for a boot-time run.
const BOOT_TIMEOUT: Duration = Duration::from_secs(300);

/// Time QEMU gets after `bench: done` (to power off) or a panic (to print its backtrace).
const BENCH_GRACE: Duration = Duration::from_secs(5);

/// Time QEMU gets after the boot-time line or a panic.
const BOOT_GRACE: Duration = Duration::from_secs(2);

/// Options of `cargo xtask bench`.
#[derive(Clone, Copy, Debug)]
pub struct BenchOptions {
    /// Few iterations (passes `--quick` to the program).
    pub quick: bool,
    /// QEMU accelerator (the CPU model follows: `max` for TCG, `host` for KVM).
    pub accel: Accel,
    /// Only one part (both when `None`).
    pub only: Option<BenchPart>,
}

/// The two parts of the benchmark.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BenchPart {
    /// The program under Linux and Basalt in QEMU.
    Kernels,
    /// Basalt's init, s6 and runit starting 100 services on the host.
    Services,
    /// The package manager loading an index and resolving a large install, beside apt-get, and
    /// installing 1,000 packages, beside tar.
    Pkg,
}

/// File of the services part when it runs alone (so that `out/bench.md` keeps the last full run).
const SERVICES_ONLY_DOCUMENT: &str = "bench-services.md";

/// File of the package-manager part when it runs alone.
const PKG_ONLY_DOCUMENT: &str = "bench-pkg.md";

/// Runs the parts asked for; the services part goes into `out/bench.md`
/// after the kernels' table, or alone into `out/bench-services.md`.
pub fn run(paths: &Paths, options: &BenchOptions) -> Result<()> {
    if options.only == Some(BenchPart::Pkg) {
        let text = package_manager(paths, options.quick)?;
        let destination = paths.out().join(PKG_ONLY_DOCUMENT);
        fs::write(&destination, format!("# Package manager\n\n{text}"))
            .with_context(|| format!("writing {}", destination.display()))?;
        println!("\nbench: table written to {}", paths.display(&destination));
        return Ok(());
    }
    let mut services = if options.only != Some(BenchPart::Kernels) {
        Some(svcbench::run(paths, options.quick)?)
    } else {
        None
    };
    if options.only.is_none() {
        let pkg = package_manager(paths, options.quick)?;
        services = Some(format!("{}\n{pkg}", services.unwrap_or_default()));
    }
    if options.only == Some(BenchPart::Services) {
        let destination = paths.out().join(SERVICES_ONLY_DOCUMENT);
        let text = services.unwrap_or_default();
        fs::write(
            &destination,
            format!("# Service managers, side by side\n\n{text}"),
        )
        .with_context(|| format!("writing {}", destination.display()))?;
        println!("\nbench: table written to {}", paths.display(&destination));
        return Ok(());
    }
    run_kernels(paths, options, services.as_deref())
}

/// The package manager's sections: the solver beside apt, then installing beside tar.
fn package_manager(paths: &Paths, quick: bool) -> Result<String> {
    let solve = pkgbench::run(paths, quick)?;
    let install = pkginstallbench::run(paths, quick)?;
    Ok(format!("{solve}\n{install}"))
}

/// Runs everything and writes the table; fails only on real errors (build,
/// download, QEMU missing, no results from Linux), never on slowness.
fn run_kernels(paths: &Paths, options: &BenchOptions, services: Option<&str>) -> Result<()> {
    host_tools::ensure(&[Tool::Qemu])?;
    let linux = reference::linux_kernel()?;
    let program = bench_build::build_bench_program(paths.root())?;
    build::build_kernel(paths, Profile::Release)?;

    let directory = paths.out().join("bench");
    fs::create_dir_all(&directory).with_context(|| format!("creating {}", directory.display()))?;
    let program_bytes =
        fs::read(&program).with_context(|| format!("reading {}", program.display()))?;
    let initrd = directory.join("initramfs.cpio.gz");
    fs::write(&initrd, bench_build::bench_initramfs(&program_bytes)?)
        .with_context(|| format!("writing {}", initrd.display()))?;

    let session = Session {
        paths,
        options,
        initrd,
        directory,
    };
    let linux_results = session.measure(Kernel::Linux, &linux)?;
    let basalt_results = session.measure(Kernel::Basalt, &paths.kernel_elf())?;

    let table = bench_report::render_table(&bench_report::rows(&linux_results, &basalt_results));
    println!();
    print!("{table}");
    let mut document = document(paths, options, &linux, &table);
    if let Some(services) = services {
        document.push('\n');
        document.push_str(services);
    }
    let destination = paths.out().join("bench.md");
    fs::write(&destination, document)
        .with_context(|| format!("writing {}", destination.display()))?;
    println!("\nbench: table written to {}", paths.display(&destination));
    // Basalt may fail (that is what n/a is for), but a Linux run without any
    // result means the setup is broken (QEMU, the program, the initramfs).
    if linux_results.bench.results.is_empty() {
        bail!(
            "the Linux reference run produced no results: {} (log: {})",
            linux_results.bench_problem,
            paths.display(&session.log_path(Kernel::Linux, Purpose::Benchmarks))
        );
    }
    Ok(())
}

/// What every boot shares.
struct Session<'a> {
    paths: &'a Paths,
    options: &'a BenchOptions,
    initrd: PathBuf,
    directory: PathBuf,
}

/// The two kinds of boot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Purpose {
    Benchmarks,
    BootTime,
}

impl Session<'_> {
    /// Both runs of one kernel.
    fn measure(&self, kernel: Kernel, image: &Path) -> Result<KernelResults> {
        let (bench_log, bench_end) = self.boot(kernel, image, Purpose::Benchmarks)?;
        let (boot_log, boot_end) = self.boot(kernel, image, Purpose::BootTime)?;
        Ok(KernelResults {
            bench: bench_report::parse_bench_log(&bench_log),
            bench_problem: bench_report::explain_missing(&bench_log, bench_end),
            boot_ms: bench_report::parse_boot_ms(kernel, &boot_log),
            boot_problem: bench_report::explain_missing(&boot_log, boot_end),
        })
    }

    /// `<kernel>-bench.log` or `<kernel>-boot.log` in out/bench/.
    fn log_path(&self, kernel: Kernel, purpose: Purpose) -> PathBuf {
        let kind = match purpose {
            Purpose::Benchmarks => "bench",
            Purpose::BootTime => "boot",
        };
        self.directory
            .join(format!("{}-{kind}.log", log_name(kernel)))
    }

    /// Boots `image` with the benchmark initramfs; returns the serial log and how the run ended.
    fn boot(&self, kernel: Kernel, image: &Path, purpose: Purpose) -> Result<(String, RunEnd)> {
        let name = kernel_name(kernel);
        let (append, timeout, grace, run_name) = match purpose {
            Purpose::Benchmarks => (
                bench_command_line(self.options.quick),
                if self.options.quick {
                    QUICK_BENCH_TIMEOUT
                } else {
                    FULL_BENCH_TIMEOUT
                },
                BENCH_GRACE,
                "benchmarks",
            ),
            Purpose::BootTime => (
                BOOT_COMMAND_LINE.to_owned(),
                BOOT_TIMEOUT,
                BOOT_GRACE,
                "boot time",
            ),
        };
        let machine = machine(self.options.accel, image, &self.initrd, append);
        let args = qemu::build_args(Console::Captured, &machine, &self.paths.ovmf_vars());
        let log_path = self.log_path(kernel, purpose);
        print!("bench: {name}, {run_name} ... ");
        std::io::stdout().flush()?;
        let stop_now = |output: &[u8]| should_stop(kernel, purpose, &normalize_serial(output));
        let rules = qemu::StopRules {
            timeout,
            abort_when: &stop_now,
            grace,
        };
        let run = qemu::run_captured(&args, &rules, &log_path)?;
        let end = if run.timed_out {
            RunEnd::TimedOut(timeout.as_secs())
        } else if run.aborted {
            RunEnd::Stopped
        } else {
            RunEnd::Exited(run.exit_code)
        };
        println!(
            "{:.1} s ({}; log {})",
            run.elapsed.as_secs_f64(),
            describe_end(end),
            self.paths.display(&log_path)
        );
        Ok((normalize_serial(&run.output), end))
    }
}

/// The kernel's name in file names.
fn log_name(kernel: Kernel) -> &'static str {
    match kernel {
        Kernel::Linux => "linux",
        Kernel::Basalt => "basalt",
    }
}

fn kernel_name(kernel: Kernel) -> &'static str {
    match kernel {
        Kernel::Linux => "Linux",
        Kernel::Basalt => "Basalt",
    }
}

/// `console=ttyS0 quiet`, plus `-- --quick` (arguments for init) when asked.
fn bench_command_line(quick: bool) -> String {
    if quick {
        format!("{BENCH_COMMAND_LINE} -- --quick")
    } else {
        BENCH_COMMAND_LINE.to_owned()
    }
}

/// The machine every run uses: Basalt's usual settings.
fn machine(accel: Accel, kernel: &Path, initrd: &Path, append: String) -> Machine {
    Machine {
        accel,
        cpu: accel.default_cpu(),
        memory: MEMORY.to_owned(),
        smp: Some(CPUS),
        boot: Boot::Direct {
            kernel: kernel.to_path_buf(),
            initrd: initrd.to_path_buf(),
            append,
        },
    }
}

/// Whether the log has what the run is for (or a panic), so QEMU can be stopped.
fn should_stop(kernel: Kernel, purpose: Purpose, log: &str) -> bool {
    if log.contains("Kernel panic") {
        return true;
    }
    match purpose {
        Purpose::Benchmarks => log.contains("bench: done"),
        Purpose::BootTime => bench_report::parse_boot_ms(kernel, log).is_some(),
    }
}

fn describe_end(end: RunEnd) -> String {
    match end {
        RunEnd::Exited(Some(code)) => format!("QEMU exit status {code}"),
        RunEnd::Exited(None) => "QEMU killed by a signal".to_owned(),
        RunEnd::TimedOut(seconds) => format!("timed out after {seconds} s"),
        RunEnd::Stopped => "stopped".to_owned(),
    }
}

/// out/bench.md: the table with the settings and the method.
fn document(paths: &Paths, options: &BenchOptions, linux: &Path, table: &str) -> String {
    let qemu_settings = qemu_settings(options.accel);
    let linux_name = linux
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!(
        "# Basalt and Linux, side by side\n\n\
         `cargo xtask bench{quick}`: the same static program (userland/bench) as `/init` under each kernel, in \
         QEMU `{qemu_settings}`, kernel command line `{command_line}`. Iterations: {iterations}.\n\n\
         - Linux: Debian's `{linux_name}` ({linux_path}).\n\
         - Basalt: {basalt_path}.\n\n\
         {table}\n\
         Benchmark values are the mean time per operation (`pipe_pingpong`, `unix_pingpong`: per round trip; \
         `pipe_throughput`: per 64 KiB written and read; `file_*_1mib`: per MiB); below 1× Basalt \
         is faster. `n/a` means no number, with the reason from the log (logs: {logs}/).\n\n\
         Boot is the time from kernel entry to the start of `/init`, from a separate boot with \
         `{BOOT_COMMAND_LINE}` (without `quiet`, so the line is printed; printing costs both kernels some time). \
         Basalt reports it itself (`/init started on CPU 0 after X ms`, counted from the TSC at its first \
         instruction). For Linux it is the printk timestamp of `Run /init as init process`, an approximation: \
         Linux's clock starts at 0 in early setup, after the bzImage has decompressed itself, so that part \
         is not counted.\n",
        quick = if options.quick { " --quick" } else { "" },
        command_line = bench_command_line(options.quick),
        iterations = if options.quick { "quick (`--quick`)" } else { "full" },
        linux_path = paths.display(linux),
        basalt_path = paths.display(&paths.kernel_elf()),
        logs = paths.display(&paths.out().join("bench")),
    )
}

/// `-accel … -cpu … -m … -smp …` exactly as the runs pass them to QEMU.
fn qemu_settings(accel: Accel) -> String {
    let example = machine(
        accel,
        Path::new("KERNEL"),
        Path::new("INITRD"),
        String::new(),
    );
    let args: Vec<String> = qemu::build_args(Console::Captured, &example, Path::new(""))
        .iter()
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect();
    ["-accel", "-cpu", "-m", "-smp"]
        .iter()
        .filter_map(|flag| {
            let index = args.iter().position(|arg| arg == flag)?;
            Some(format!("{flag} {}", args.get(index + 1)?))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines() {
        assert_eq!(bench_command_line(false), "console=ttyS0 quiet");
        assert_eq!(bench_command_line(true), "console=ttyS0 quiet -- --quick");
    }

    #[test]
    fn machine_matches_basalts_usual_settings() {
        let machine = machine(
            Accel::Tcg,
            Path::new("/k"),
            Path::new("/i"),
            "console=ttyS0".into(),
        );
        let args = qemu::shell_words(&qemu::build_args(
            Console::Captured,
            &machine,
            Path::new("/v"),
        ));
        assert!(args.starts_with("-accel tcg -cpu max "), "{args}");
        assert!(args.contains(" -m 256M -smp 2 "), "{args}");
        assert!(
            args.ends_with("-kernel /k -initrd /i -append console=ttyS0"),
            "{args}"
        );
    }

    #[test]
    fn runs_stop_when_they_have_what_they_need() {
        use Purpose::{Benchmarks, BootTime};
        assert!(!should_stop(
            Kernel::Linux,
            Benchmarks,
            "bench null_syscall 1 2.0\n"
        ));
        assert!(should_stop(Kernel::Linux, Benchmarks, "bench: done\n"));
        assert!(should_stop(
            Kernel::Basalt,
            Benchmarks,
            "Kernel panic - not syncing: x"
        ));
        assert!(should_stop(
            Kernel::Linux,
            BootTime,
            "[    1.500000] Run /init as init process\n"
        ));
        assert!(!should_stop(
            Kernel::Basalt,
            BootTime,
            "[    1.500000] Run /init as init process\n"
        ));
        assert!(should_stop(
            Kernel::Basalt,
            BootTime,
            "/init started on CPU 0 after 33.514 ms (kernel entry to init)"
        ));
        assert!(!should_stop(Kernel::Linux, BootTime, "bench: done\n"));
    }

    #[test]
    fn document_names_settings_and_method() {
        let paths = Paths::with_root("/w");
        let options = BenchOptions {
            quick: true,
            accel: Accel::Tcg,
            only: None,
        };
        let text = document(
            &paths,
            &options,
            Path::new("/w/out/cache/linux/vmlinuz-6.1.0-9-amd64"),
            "| table |\n",
        );
        assert!(text.contains("`cargo xtask bench --quick`"));
        assert!(text.contains("QEMU `-accel tcg -cpu max -m 256M -smp 2`"));
        assert!(text.contains("`console=ttyS0 quiet -- --quick`"));
        assert!(text
            .contains("Debian's `vmlinuz-6.1.0-9-amd64` (out/cache/linux/vmlinuz-6.1.0-9-amd64)"));
        assert!(text.contains("| table |\n"));
        assert!(text.contains("Run /init as init process"));
        assert_eq!(describe_end(RunEnd::TimedOut(3)), "timed out after 3 s");
        assert_eq!(
            qemu_settings(Accel::Kvm),
            "-accel kvm -cpu host -m 256M -smp 2"
        );
    }
}
