//! QEMU command lines, and running QEMU interactively or captured with a timeout.

use crate::host_tools::Ovmf;
use crate::paths::Paths;
use anyhow::{Context, Result};
use clap::ValueEnum;
use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// The QEMU binary.
pub const QEMU: &str = "qemu-system-x86_64";

/// Port-I/O exit device: the kernel writes a byte v to port 0xf4 and QEMU
/// exits with status (v << 1) | 1.
pub const DEBUG_EXIT_DEVICE: &str = "isa-debug-exit,iobase=0xf4,iosize=0x04";

/// QEMU's status when the kernel reports success through the exit device (0x10).
pub const KERNEL_SUCCESS_STATUS: i32 = 33;

/// How the guest CPU is emulated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Accel {
    /// Software emulation; works everywhere.
    Tcg,
    /// Hardware virtualization; needs /dev/kvm.
    Kvm,
}

impl Accel {
    /// The CPU model that exposes the most features under this accelerator
    /// (so SMEP, SMAP and NX are present).
    pub fn default_cpu(self) -> Cpu {
        match self {
            Self::Tcg => Cpu::Max,
            Self::Kvm => Cpu::Host,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Tcg => "tcg",
            Self::Kvm => "kvm",
        }
    }
}

/// Guest CPU model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cpu {
    /// Every feature TCG can emulate.
    Max,
    /// The host CPU (KVM only).
    Host,
    /// QEMU's default, minimal x86_64 CPU.
    Qemu64,
}

impl Cpu {
    fn name(self) -> &'static str {
        match self {
            Self::Max => "max",
            Self::Host => "host",
            Self::Qemu64 => "qemu64",
        }
    }
}

/// Firmware used to boot from CD-ROM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Firmware {
    /// QEMU's default SeaBIOS.
    Bios,
    /// OVMF.
    Uefi(Ovmf),
}

/// What the machine boots.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Boot {
    /// QEMU loads the kernel itself (PVH entry for an ELF).
    Direct {
        kernel: PathBuf,
        initrd: PathBuf,
        append: String,
    },
    /// Firmware boots GRUB from an ISO.
    Cdrom { iso: PathBuf, firmware: Firmware },
}

/// A virtual machine to start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Machine {
    /// Accelerator.
    pub accel: Accel,
    /// CPU model.
    pub cpu: Cpu,
    /// Memory size in QEMU syntax.
    pub memory: String,
    /// CPU count; None = QEMU's default (1).
    pub smp: Option<u32>,
    /// Boot medium.
    pub boot: Boot,
}

/// Where the serial console goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Console {
    /// Shared with the QEMU monitor on this terminal (Ctrl-A X quits, Ctrl-A C monitor).
    Interactive,
    /// Serial to stdout (captured through a pipe), no monitor, no stdin.
    Captured,
    /// Serial on stdin and stdout (pipes a program drives), no monitor; every byte, `^C` included, goes to the guest.
    Driven,
}

/// `console=ttyS0` followed by `extra`, if any.
pub fn console_command_line(extra: &str) -> String {
    let extra = extra.trim();
    if extra.is_empty() {
        "console=ttyS0".to_owned()
    } else {
        format!("console=ttyS0 {extra}")
    }
}

/// QEMU's arguments; `ovmf_vars` is the writable variable store used with split OVMF images.
pub fn build_args(console: Console, machine: &Machine, ovmf_vars: &Path) -> Vec<OsString> {
    let mut args: Vec<OsString> = Vec::new();
    let mut push = |items: &[&str]| args.extend(items.iter().map(OsString::from));
    push(&[
        "-accel",
        machine.accel.name(),
        "-cpu",
        machine.cpu.name(),
        "-nographic",
    ]);
    match console {
        Console::Interactive => push(&["-serial", "mon:stdio", "-no-reboot"]),
        Console::Captured => push(&[
            "-no-reboot",
            "-serial",
            "stdio",
            "-monitor",
            "none",
            "-display",
            "none",
        ]),
        Console::Driven => push(&[
            "-no-reboot",
            "-chardev",
            "stdio,id=serial,signal=off",
            "-serial",
            "chardev:serial",
            "-monitor",
            "none",
            "-display",
            "none",
        ]),
    }
    push(&["-device", DEBUG_EXIT_DEVICE, "-m", &machine.memory]);
    if let Some(smp) = machine.smp {
        push(&["-smp", &smp.to_string()]);
    }
    match &machine.boot {
        Boot::Direct {
            kernel,
            initrd,
            append,
        } => {
            args.extend([
                "-kernel".into(),
                kernel.into(),
                "-initrd".into(),
                initrd.into(),
            ]);
            args.extend(["-append".into(), append.into()]);
        }
        Boot::Cdrom { iso, firmware } => {
            match firmware {
                Firmware::Bios => {}
                Firmware::Uefi(Ovmf::Combined(image)) => {
                    args.extend(["-bios".into(), image.into()])
                }
                Firmware::Uefi(Ovmf::Split { code, .. }) => {
                    args.push("-drive".into());
                    args.push(drive_option("if=pflash,format=raw,readonly=on,file=", code));
                    args.push("-drive".into());
                    args.push(drive_option("if=pflash,format=raw,file=", ovmf_vars));
                }
            }
            // Straight to the CD: skips SeaBIOS's attempts at disk and floppy.
            args.extend(["-boot".into(), "d".into(), "-cdrom".into(), iso.into()]);
        }
    }
    args
}

/// `prefix` + path with commas doubled (QEMU's escape inside option lists).
fn drive_option(prefix: &str, path: &Path) -> OsString {
    let mut option = OsString::from(prefix);
    option.push(path.to_string_lossy().replace(',', ",,"));
    option
}

/// Gives a UEFI machine a fresh copy of the variable store template.
pub fn prepare_firmware(paths: &Paths, machine: &Machine) -> Result<()> {
    if let Boot::Cdrom {
        firmware: Firmware::Uefi(Ovmf::Split { vars, .. }),
        ..
    } = &machine.boot
    {
        fs::create_dir_all(paths.out())?;
        fs::copy(vars, paths.ovmf_vars()).with_context(|| {
            format!(
                "copying {} to {}",
                vars.display(),
                paths.ovmf_vars().display()
            )
        })?;
    }
    Ok(())
}

/// Runs QEMU on this terminal; returns its exit code (None if killed by a signal).
pub fn run_interactive(paths: &Paths, machine: &Machine) -> Result<Option<i32>> {
    prepare_firmware(paths, machine)?;
    let args = build_args(Console::Interactive, machine, &paths.ovmf_vars());
    println!("qemu: {QEMU} {}", shell_words(&args));
    let status = Command::new(QEMU)
        .args(&args)
        .status()
        .with_context(|| format!("cannot start {QEMU}"))?;
    Ok(status.code())
}

/// Maps QEMU's exit code to ours: poweroff (0) and kernel success (33) are
/// success; any other code is passed on (never as 0); a signal gives 1.
pub fn map_exit_status(code: Option<i32>) -> u8 {
    match code {
        Some(0) | Some(KERNEL_SUCCESS_STATUS) => 0,
        Some(code) => u8::try_from(code)
            .ok()
            .filter(|&code| code != 0)
            .unwrap_or(1),
        None => 1,
    }
}

/// Result of a captured run.
#[derive(Debug)]
pub struct CapturedRun {
    /// QEMU's exit code; None if it was killed (timeout, abort or signal).
    pub exit_code: Option<i32>,
    /// Killed for running past the timeout.
    pub timed_out: bool,
    /// Killed because the abort rule matched and QEMU did not exit within the grace period.
    pub aborted: bool,
    /// Serial output followed by QEMU's stderr, as raw bytes.
    pub output: Vec<u8>,
    /// Wall-clock time.
    pub elapsed: Duration,
}

/// When a captured run is given up.
pub struct StopRules<'a> {
    /// Kill QEMU after this long.
    pub timeout: Duration,
    /// Checked against the output so far; once true, QEMU gets `grace` more
    /// time to exit by itself (e.g. a panicking kernel that halts instead of
    /// exiting would otherwise use up the whole timeout).
    pub abort_when: &'a dyn Fn(&[u8]) -> bool,
    /// Time left to QEMU after `abort_when` matched.
    pub grace: Duration,
}

/// Runs QEMU with no stdin, serial captured into `log_path` as it arrives
/// (so a hanging run can be watched), and kills it as `rules` say.
pub fn run_captured(
    args: &[OsString],
    rules: &StopRules<'_>,
    log_path: &Path,
) -> Result<CapturedRun> {
    let mut command = Command::new(QEMU);
    command.args(args);
    run_command_captured(command, rules, log_path)
}

/// [`run_captured`] for any program.
fn run_command_captured(
    mut command: Command,
    rules: &StopRules<'_>,
    log_path: &Path,
) -> Result<CapturedRun> {
    if let Some(parent) = log_path.parent() {
        fs::create_dir_all(parent)?;
    }
    let log = File::create(log_path).with_context(|| format!("creating {}", log_path.display()))?;
    let started = Instant::now();
    let program = command.get_program().to_string_lossy().into_owned();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {program}"))?;
    let serial_bytes = Arc::new(Mutex::new(Vec::new()));
    let serial = child.stdout.take().map(|stdout| {
        let sink = Arc::clone(&serial_bytes);
        thread::spawn(move || copy_into_log(stdout, log, &sink))
    });
    let stderr = child
        .stderr
        .take()
        .map(|stderr| thread::spawn(move || read_all(stderr)));

    let end = supervise(&mut child, rules, &serial_bytes)?;
    let elapsed = started.elapsed();
    if let Some(thread) = serial {
        let _ = thread.join();
    }
    let mut output = std::mem::take(&mut *lock(&serial_bytes));
    let stderr = stderr
        .and_then(|thread| thread.join().ok())
        .unwrap_or_default();
    if !stderr.is_empty() {
        let mut tail = b"\n--- qemu stderr ---\n".to_vec();
        tail.extend_from_slice(&stderr);
        output.extend_from_slice(&tail);
        let mut log = fs::OpenOptions::new().append(true).open(log_path)?;
        log.write_all(&tail)?;
    }
    Ok(CapturedRun {
        exit_code: match end {
            RunEnd::Exited(code) => code,
            RunEnd::TimedOut | RunEnd::Aborted => None,
        },
        timed_out: end == RunEnd::TimedOut,
        aborted: end == RunEnd::Aborted,
        output,
        elapsed,
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RunEnd {
    Exited(Option<i32>),
    TimedOut,
    Aborted,
}

/// Waits for `child`, killing it at the timeout or after the abort grace period.
fn supervise(child: &mut Child, rules: &StopRules<'_>, output: &Mutex<Vec<u8>>) -> Result<RunEnd> {
    let timeout_at = Instant::now() + rules.timeout;
    let mut abort_at: Option<Instant> = None;
    let mut checked_len = 0;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(RunEnd::Exited(status.code()));
        }
        if abort_at.is_none() {
            let output = lock(output);
            if output.len() != checked_len {
                checked_len = output.len();
                if (rules.abort_when)(&output) {
                    abort_at = Some(Instant::now() + rules.grace);
                }
            }
        }
        let now = Instant::now();
        let end = if now >= timeout_at {
            Some(RunEnd::TimedOut)
        } else if abort_at.is_some_and(|at| now >= at) {
            Some(RunEnd::Aborted)
        } else {
            None
        };
        if let Some(end) = end {
            // Kill only our own child, by its handle.
            let _ = child.kill();
            child.wait()?;
            return Ok(end);
        }
        thread::sleep(Duration::from_millis(50));
    }
}

/// Locks the shared output; a panicked writer thread leaves usable bytes behind.
fn lock(output: &Mutex<Vec<u8>>) -> std::sync::MutexGuard<'_, Vec<u8>> {
    output
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Copies a pipe into the log file and `sink` as data arrives.
fn copy_into_log(mut pipe: impl Read, mut log: File, sink: &Mutex<Vec<u8>>) {
    let mut chunk = [0u8; 4096];
    while let Ok(count) = pipe.read(&mut chunk) {
        let Some(data) = chunk.get(..count).filter(|data| !data.is_empty()) else {
            break;
        };
        lock(sink).extend_from_slice(data);
        // A failing log write must not stop us from draining QEMU's pipe.
        let _ = log.write_all(data);
    }
}

fn read_all(mut pipe: impl Read) -> Vec<u8> {
    let mut bytes = Vec::new();
    let _ = pipe.read_to_end(&mut bytes);
    bytes
}

/// Arguments joined for display, quoting those with spaces.
pub fn shell_words(args: &[OsString]) -> String {
    let quoted: Vec<String> = args
        .iter()
        .map(|arg| {
            let arg = arg.to_string_lossy();
            if arg.is_empty() || arg.contains([' ', '"', '\'']) {
                format!("'{}'", arg.replace('\'', r"'\''"))
            } else {
                arg.into_owned()
            }
        })
        .collect();
    quoted.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn direct(cpu: Cpu) -> Machine {
        Machine {
            accel: Accel::Tcg,
            cpu,
            memory: "128M".into(),
            smp: Some(2),
            boot: Boot::Direct {
                kernel: "/o/basalt.elf".into(),
                initrd: "/o/initramfs.cpio.gz".into(),
                append: "console=ttyS0 -- first second".into(),
            },
        }
    }

    fn joined(args: &[OsString]) -> String {
        shell_words(args)
    }

    #[test]
    fn captured_direct_boot_command() {
        let args = build_args(
            Console::Captured,
            &direct(Cpu::Max),
            Path::new("/o/vars.fd"),
        );
        assert_eq!(
            joined(&args),
            "-accel tcg -cpu max -nographic -no-reboot -serial stdio -monitor none -display none \
             -device isa-debug-exit,iobase=0xf4,iosize=0x04 -m 128M -smp 2 \
             -kernel /o/basalt.elf -initrd /o/initramfs.cpio.gz -append 'console=ttyS0 -- first second'"
        );
    }

    #[test]
    fn interactive_command_shares_serial_with_the_monitor() {
        let mut machine = direct(Cpu::Host);
        machine.accel = Accel::Kvm;
        let line = joined(&build_args(Console::Interactive, &machine, Path::new("/v")));
        assert!(line
            .starts_with("-accel kvm -cpu host -nographic -serial mon:stdio -no-reboot -device "));
        assert!(!line.contains("-monitor none"));
    }

    #[test]
    fn cdrom_boots_with_each_firmware() {
        let mut machine = direct(Cpu::Max);
        machine.smp = None;
        machine.boot = Boot::Cdrom {
            iso: "/o/basalt.iso".into(),
            firmware: Firmware::Bios,
        };
        let bios = joined(&build_args(
            Console::Captured,
            &machine,
            Path::new("/o/vars.fd"),
        ));
        assert!(
            bios.ends_with("-m 128M -boot d -cdrom /o/basalt.iso"),
            "{bios}"
        );

        machine.boot = Boot::Cdrom {
            iso: "/o/basalt.iso".into(),
            firmware: Firmware::Uefi(Ovmf::Split {
                code: "/fw/CODE.fd".into(),
                vars: "/fw/VARS.fd".into(),
            }),
        };
        let split = joined(&build_args(
            Console::Captured,
            &machine,
            Path::new("/o/a,b.fd"),
        ));
        assert!(split.ends_with(
            "-drive if=pflash,format=raw,readonly=on,file=/fw/CODE.fd \
             -drive if=pflash,format=raw,file=/o/a,,b.fd -boot d -cdrom /o/basalt.iso"
        ));

        machine.boot = Boot::Cdrom {
            iso: "/o/basalt.iso".into(),
            firmware: Firmware::Uefi(Ovmf::Combined("/fw/OVMF.fd".into())),
        };
        let combined = joined(&build_args(Console::Captured, &machine, Path::new("/v")));
        assert!(combined.ends_with("-bios /fw/OVMF.fd -boot d -cdrom /o/basalt.iso"));
    }

    #[test]
    fn console_command_line_prefixes_ttys0() {
        assert_eq!(console_command_line(""), "console=ttyS0");
        assert_eq!(console_command_line("  foo=bar "), "console=ttyS0 foo=bar");
    }

    #[test]
    fn exit_status_mapping() {
        assert_eq!(map_exit_status(Some(0)), 0);
        assert_eq!(map_exit_status(Some(33)), 0);
        assert_eq!(map_exit_status(Some(35)), 35);
        assert_eq!(map_exit_status(Some(1)), 1);
        assert_eq!(map_exit_status(Some(256)), 1);
        assert_eq!(map_exit_status(Some(-1)), 1);
        assert_eq!(map_exit_status(None), 1);
        assert_eq!(Accel::Tcg.default_cpu(), Cpu::Max);
        assert_eq!(Accel::Kvm.default_cpu(), Cpu::Host);
    }

    fn temp_dir(name: &str) -> PathBuf {
        let directory =
            std::env::temp_dir().join(format!("xtask-qemu-{name}-{}", std::process::id()));
        fs::create_dir_all(&directory).expect("temp dir");
        directory
    }

    fn never(_: &[u8]) -> bool {
        false
    }

    fn rules(timeout: Duration, abort_when: &dyn Fn(&[u8]) -> bool) -> StopRules<'_> {
        StopRules {
            timeout,
            abort_when,
            grace: Duration::from_millis(100),
        }
    }

    fn shell(script: &str) -> Command {
        let mut command = Command::new("sh");
        command.args(["-c", script]);
        command
    }

    #[test]
    fn captured_run_logs_serial_then_stderr() {
        let directory = temp_dir("captured");
        let log_path = directory.join("logs/ok.log");
        let command = shell("printf 'line 1\\r\\nline 2\\n'; echo oops >&2; exit 33");
        let run = run_command_captured(command, &rules(Duration::from_secs(60), &never), &log_path)
            .expect("runs");
        assert_eq!(run.exit_code, Some(33));
        assert!(!run.timed_out && !run.aborted);
        let expected = b"line 1\r\nline 2\n\n--- qemu stderr ---\noops\n";
        assert_eq!(run.output, expected);
        assert_eq!(fs::read(&log_path).expect("log"), expected);
        fs::remove_dir_all(&directory).expect("cleanup");
    }

    #[test]
    fn captured_run_is_killed_at_the_timeout() {
        let directory = temp_dir("timeout");
        let log_path = directory.join("hang.log");
        // exec: the process we kill is the one holding the pipe.
        let command = shell("echo started; exec sleep 30");
        let run = run_command_captured(
            command,
            &rules(Duration::from_millis(200), &never),
            &log_path,
        )
        .expect("runs");
        assert!(run.timed_out && !run.aborted);
        assert_eq!(run.exit_code, None);
        assert_eq!(run.output, b"started\n");
        fs::remove_dir_all(&directory).expect("cleanup");
    }

    #[test]
    fn captured_run_is_aborted_after_the_grace_period() {
        let directory = temp_dir("abort");
        let log_path = directory.join("panic.log");
        let command = shell("echo 'Kernel panic'; exec sleep 30");
        let saw_panic = |output: &[u8]| output.windows(5).any(|window| window == b"panic");
        let run = run_command_captured(
            command,
            &rules(Duration::from_secs(60), &saw_panic),
            &log_path,
        )
        .expect("runs");
        assert!(run.aborted && !run.timed_out);
        assert_eq!(run.exit_code, None);
        assert_eq!(run.output, b"Kernel panic\n");
        fs::remove_dir_all(&directory).expect("cleanup");
    }

    #[test]
    fn copy_into_log_tees_everything() {
        let directory = temp_dir("tee");
        let log_path = directory.join("tee.log");
        let log = File::create(&log_path).expect("log");
        let data: Vec<u8> = (0..10_000u32).map(|index| (index % 251) as u8).collect();
        let sink = Mutex::new(Vec::new());
        copy_into_log(data.as_slice(), log, &sink);
        assert_eq!(*lock(&sink), data);
        assert_eq!(fs::read(&log_path).expect("read log"), data);
        fs::remove_dir_all(&directory).expect("cleanup");
    }
}
