//! `cargo xtask`: builds, boots and tests Basalt.
//!
//! Every artifact lands in `out/` at the workspace root: `basalt.elf`,
//! `initramfs.cpio.gz`, `basalt.iso` and `logs/<scenario>.log`.

mod abi;
mod bench;
mod bench_build;
mod bench_report;
mod build;
mod cargo;
mod cpio;
mod diff;
mod expect;
mod fresh_fs;
mod fuzz;
mod host_tools;
mod initramfs;
mod interactive;
mod iso;
mod login_test;
mod paths;
mod pkg_demo_repo;
mod pkg_test;
mod pkgbench;
mod pkginstallbench;
mod programs;
mod qemu;
mod reference;
mod results;
mod scenarios;
mod session;
mod svcbench;
mod svcbench_shape;
mod system_image;
mod terminal;
mod test;
mod toolchain;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};
use paths::Paths;
use std::process::ExitCode;

/// Build, run and test the Basalt kernel.
#[derive(Parser, Debug)]
#[command(name = "cargo xtask", bin_name = "cargo xtask", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Build the kernel (out/basalt.elf) and the initramfs (out/initramfs.cpio.gz).
    Build(ProfileArgs),
    /// Build, then boot in QEMU with the serial console on this terminal (Ctrl-A X quits).
    Run(RunArgs),
    /// Build, then make a GRUB rescue ISO (out/basalt.iso) that boots on BIOS and UEFI.
    Iso(ProfileArgs),
    /// Run host unit tests, build, then boot every QEMU scenario; exits non-zero on any failure.
    Test(TestArgs),
    /// Benchmark Basalt against Debian's Linux in identical QEMU machines (table in out/bench.md).
    Bench(BenchArgs),
    /// Run the syscall fuzzer inside Basalt for a long time (the kernel must survive, memory must come back).
    Fuzz(FuzzArgs),
    /// Download Debian's Linux kernel and static busybox into out/cache/.
    Fetch,
}

/// Which Cargo profile to build with.
#[derive(Args, Debug, Clone, Copy)]
struct ProfileArgs {
    /// Optimized build (the default).
    #[arg(long, conflicts_with = "debug")]
    release: bool,
    /// Unoptimized build.
    #[arg(long)]
    debug: bool,
}

impl ProfileArgs {
    fn profile(self) -> cargo::Profile {
        if self.debug {
            cargo::Profile::Debug
        } else {
            cargo::Profile::Release
        }
    }
}

#[derive(Args, Debug)]
struct RunArgs {
    #[command(flatten)]
    profile: ProfileArgs,
    /// CPU emulation: tcg (any host, uses `-cpu max`) or kvm (uses `-cpu host`).
    #[arg(long, value_enum, default_value_t = qemu::Accel::Tcg)]
    accel: qemu::Accel,
    /// Number of CPUs.
    #[arg(long, default_value_t = 2)]
    smp: u32,
    /// Guest memory, in QEMU syntax (e.g. 256M, 4G).
    #[arg(long, default_value = "256M")]
    mem: String,
    /// Extra kernel command line, appended after `console=ttyS0` (may start with `--`).
    #[arg(long, default_value = "", allow_hyphen_values = true)]
    append: String,
    /// `basalt` for out/basalt.elf, `linux` for Debian's kernel (out/cache), or the path of another kernel image
    /// to boot with the same initramfs.
    #[arg(long, default_value = "basalt")]
    kernel: String,
    /// The initramfs of a direct boot: `system` (init as PID 1, services, a login prompt; root's password is
    /// `basalt`) or `busybox` (busybox init with a root shell).
    #[arg(long, value_enum, default_value_t = Image::System)]
    image: Image,
    /// Boot out/basalt.iso from a CD-ROM through GRUB instead of loading the kernel directly.
    #[arg(long)]
    iso: bool,
    /// With --iso: boot through UEFI firmware (OVMF) instead of BIOS.
    #[arg(long, requires = "iso")]
    uefi: bool,
}

/// What `cargo xtask run` boots.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Image {
    System,
    Busybox,
}

#[derive(Args, Debug)]
struct TestArgs {
    /// Run only these QEMU scenarios (repeatable); default: all.
    #[arg(long = "scenario", value_name = "NAME")]
    scenarios: Vec<String>,
    /// Skip the host unit tests.
    #[arg(long)]
    skip_host: bool,
    /// List the QEMU scenarios and exit.
    #[arg(long)]
    list: bool,
}

#[derive(Args, Debug)]
struct FuzzArgs {
    /// How long each run fuzzes, in seconds.
    #[arg(long, default_value_t = 300)]
    seconds: u64,
    /// Fuzzing worker processes.
    #[arg(long, default_value_t = 4)]
    procs: u32,
    /// Guest CPUs.
    #[arg(long, default_value_t = 2)]
    smp: u32,
    /// Number of runs, each on a freshly booted machine with the next seed.
    #[arg(long, default_value_t = 1)]
    runs: u32,
    /// Seed of the first run (decimal or 0x-hex); default: from the clock. A failed run prints its seed.
    #[arg(long, value_parser = parse_seed)]
    seed: Option<u64>,
}

fn parse_seed(text: &str) -> Result<u64, String> {
    let parsed = match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    };
    parsed.map_err(|_| format!("`{text}` is not a number"))
}

#[derive(Args, Debug)]
struct BenchArgs {
    /// Few iterations (a smoke test of the numbers, not a measurement).
    #[arg(long)]
    quick: bool,
    /// CPU emulation: tcg (any host, uses `-cpu max`) or kvm (uses `-cpu host`).
    #[arg(long, value_enum, default_value_t = qemu::Accel::Tcg)]
    accel: qemu::Accel,
    /// Run only one part: `kernels` (the program under Linux and Basalt in QEMU), `services`
    /// (Basalt's init, s6 and runit starting 100 services on the host) or `pkg` (the package
    /// manager loading an index and resolving a large install, beside apt-get).
    #[arg(long, value_enum)]
    only: Option<bench::BenchPart>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli.command) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("xtask: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn dispatch(command: Command) -> Result<ExitCode> {
    let paths = Paths::discover();
    if !matches!(command, Command::Fetch) {
        toolchain::ensure_targets(paths.root())?;
    }
    match command {
        Command::Build(args) => {
            build::build_all(&paths, args.profile())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Iso(args) => {
            host_tools::ensure(host_tools::ISO_TOOLS)?;
            build::build_all(&paths, args.profile())?;
            iso::build_iso(&paths)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Run(args) => run(&paths, args),
        Command::Test(args) => {
            if args.list {
                for scenario in scenarios::SCENARIOS {
                    println!("{}", scenario.name);
                }
                for (name, _) in login_test::SCENARIOS {
                    println!("{name} (system image: log in, svc, poweroff)");
                }
                for (name, _) in pkg_test::SCENARIOS {
                    println!(
                        "{name} (system image: pkg install, verify, remove, rollback in /tmp/r)"
                    );
                }
                println!("{} (tests/diff under Linux and Basalt)", diff::NAME);
                println!(
                    "{} (the `cargo xtask run` image driven through its serial console, under Basalt and Linux)",
                    interactive::NAME
                );
                return Ok(ExitCode::SUCCESS);
            }
            let options = test::TestOptions {
                only_scenarios: args.scenarios,
                skip_host: args.skip_host,
            };
            let all_passed = test::run_all(&paths, &options)?;
            Ok(if all_passed {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Bench(args) => {
            let options = bench::BenchOptions {
                quick: args.quick,
                accel: args.accel,
                only: args.only,
            };
            bench::run(&paths, &options)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Fuzz(args) => {
            let options = fuzz::FuzzOptions {
                seconds: args.seconds,
                procs: args.procs,
                smp: args.smp,
                runs: args.runs,
                seed: args.seed,
            };
            Ok(if fuzz::run(&paths, &options)? {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Fetch => {
            reference::fetch_all()?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn run(paths: &Paths, args: RunArgs) -> Result<ExitCode> {
    let mut tools = vec![host_tools::Tool::Qemu];
    if args.iso {
        tools.extend_from_slice(host_tools::ISO_TOOLS);
    }
    if args.uefi {
        tools.push(host_tools::Tool::Ovmf);
    }
    host_tools::ensure(&tools)?;

    let custom_kernel = args.kernel != "basalt";
    if custom_kernel && args.iso {
        anyhow::bail!(
            "--kernel {} cannot be combined with --iso (the ISO always holds Basalt)",
            args.kernel
        );
    }
    if custom_kernel {
        build::build_initramfs(paths, args.profile.profile())?;
    } else {
        build::build_all(paths, args.profile.profile())?;
    }
    // Booted directly: our init with a login prompt on the serial console, or busybox init with a shell.
    if !args.iso {
        match args.image {
            Image::System => system_image::build_system_initramfs(paths)?,
            Image::Busybox => build::build_interactive_initramfs(paths)?,
        }
    }

    let boot = if args.iso {
        iso::build_iso(paths)?;
        if !args.append.is_empty() {
            eprintln!(
                "xtask: note: --append is ignored with --iso (the command line is in grub.cfg)"
            );
        }
        let firmware = if args.uefi {
            qemu::Firmware::Uefi(
                host_tools::find_ovmf()
                    .ok_or_else(|| anyhow::anyhow!("OVMF firmware not found"))?,
            )
        } else {
            qemu::Firmware::Bios
        };
        qemu::Boot::Cdrom {
            iso: paths.iso(),
            firmware,
        }
    } else {
        let kernel = match args.kernel.as_str() {
            "basalt" => paths.kernel_elf(),
            "linux" => reference::linux_kernel()?,
            path => path.into(),
        };
        qemu::Boot::Direct {
            kernel,
            initrd: match args.image {
                Image::System => paths.system_initramfs(),
                Image::Busybox => paths.interactive_initramfs(),
            },
            append: qemu::console_command_line(&args.append),
        }
    };
    let machine = qemu::Machine {
        accel: args.accel,
        cpu: args.accel.default_cpu(),
        memory: args.mem,
        smp: Some(args.smp),
        boot,
    };
    let status = qemu::run_interactive(paths, &machine)?;
    Ok(ExitCode::from(qemu::map_exit_status(status)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn run_defaults() {
        let cli = Cli::try_parse_from(["xtask", "run"]).expect("parses");
        let Command::Run(args) = cli.command else {
            panic!("not run")
        };
        assert_eq!(args.accel, qemu::Accel::Tcg);
        assert_eq!(args.smp, 2);
        assert_eq!(args.mem, "256M");
        assert_eq!(args.kernel, "basalt");
        assert_eq!(args.image, Image::System);
        assert!(!args.iso && !args.uefi);
        assert_eq!(args.profile.profile(), cargo::Profile::Release);
    }

    #[test]
    fn append_may_start_with_double_dash() {
        let cli =
            Cli::try_parse_from(["xtask", "run", "--append", "-- first second", "--smp", "4"])
                .expect("parses");
        let Command::Run(args) = cli.command else {
            panic!("not run")
        };
        assert_eq!(args.append, "-- first second");
        assert_eq!(args.smp, 4);
    }

    #[test]
    fn uefi_needs_iso_and_profiles_conflict() {
        assert!(Cli::try_parse_from(["xtask", "run", "--uefi"]).is_err());
        assert!(Cli::try_parse_from(["xtask", "run", "--iso", "--uefi"]).is_ok());
        assert!(Cli::try_parse_from(["xtask", "build", "--release", "--debug"]).is_err());
        let cli = Cli::try_parse_from(["xtask", "build", "--debug"]).expect("parses");
        let Command::Build(args) = cli.command else {
            panic!("not build")
        };
        assert_eq!(args.profile(), cargo::Profile::Debug);
    }

    #[test]
    fn test_scenario_filter_repeats() {
        let cli = Cli::try_parse_from([
            "xtask",
            "test",
            "--scenario",
            "ktest",
            "--scenario",
            "panic",
        ])
        .expect("parses");
        let Command::Test(args) = cli.command else {
            panic!("not test")
        };
        assert_eq!(args.scenarios, ["ktest", "panic"]);
    }
}
