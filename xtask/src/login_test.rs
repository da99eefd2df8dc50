//! The `login-basalt` and `login-linux` scenarios: the system image boots through `init` to a login prompt on the
//! serial console, root logs in with the image's password, `svc` shows the services running, and `svc poweroff`
//! shuts down so that QEMU exits with status 0. Timeouts are only hang guards.

use crate::paths::Paths;
use crate::qemu::{self, Accel, Boot, Cpu, Machine};
use crate::session::Session;
use crate::system_image::{HOSTNAME, ROOT_PASSWORD};
use anyhow::{anyhow, bail, Result};
use regex::bytes::Regex;
use std::io::Write;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// The scenarios: a login on each kernel, and the emergency shell (`emergency` on the kernel command line).
pub const SCENARIOS: &[(&str, Kernel)] = &[
    ("login-basalt", Kernel::Basalt),
    ("login-linux", Kernel::Linux),
    ("emergency-basalt", Kernel::Basalt),
    ("emergency-linux", Kernel::Linux),
];

/// Whether scenario `name` boots into the emergency shell rather than to the login prompt.
fn is_emergency(name: &str) -> bool {
    name.starts_with("emergency-")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    Basalt,
    Linux,
}

pub const BOOT_TIMEOUT: Duration = Duration::from_secs(300);
pub const STEP_TIMEOUT: Duration = Duration::from_secs(120);

/// The machine booting the system image on `kernel`; `init_args` go to init (after `--`).
pub fn machine(paths: &Paths, kernel: Kernel, init_args: &str) -> Result<Machine> {
    let kernel_image: PathBuf = match kernel {
        Kernel::Basalt => paths.kernel_elf(),
        Kernel::Linux => crate::reference::linux_kernel()?,
    };
    Ok(Machine {
        accel: Accel::Tcg,
        cpu: Cpu::Max,
        memory: "256M".to_owned(),
        smp: Some(2),
        boot: Boot::Direct {
            kernel: kernel_image,
            initrd: paths.system_initramfs(),
            append: if init_args.is_empty() {
                qemu::console_command_line("")
            } else {
                qemu::console_command_line(&format!("-- {init_args}"))
            },
        },
    })
}

/// Runs one scenario; prints `qemu: NAME ... ok|FAILED` and returns whether it passed.
pub fn run(paths: &Paths, name: &str, kernel: Kernel) -> Result<bool> {
    if is_emergency(name) {
        run_driven(paths, name, kernel, "emergency", drive_emergency)
    } else {
        run_driven(paths, name, kernel, "", drive)
    }
}

/// Boots the system image on `kernel` (with `init_args`), has `conversation` talk to it on the serial console,
/// and prints `qemu: NAME ... ok|FAILED` (with the log's tail when it failed); returns whether it passed.
pub fn run_driven(
    paths: &Paths,
    name: &str,
    kernel: Kernel,
    init_args: &str,
    conversation: impl FnOnce(&mut Session) -> Result<()>,
) -> Result<bool> {
    print!("qemu: {name} ... ");
    std::io::stdout().flush()?;
    let started = std::time::Instant::now();
    let log_path = paths.logs().join(format!("{name}.log"));
    let args = qemu::build_args(
        qemu::Console::Driven,
        &machine(paths, kernel, init_args)?,
        &paths.ovmf_vars(),
    );
    let mut command = Command::new(qemu::QEMU);
    command.args(&args);
    let mut console = Session::spawn(command, &log_path)?;
    let result = conversation(&mut console);
    let seconds = started.elapsed().as_secs_f64();
    let log = console.transcript();
    let panicked = ["Kernel panic", "panicked at"]
        .iter()
        .find(|p| log.contains(*p));
    match (result, panicked) {
        (Ok(()), None) => {
            println!("ok ({seconds:.1} s)");
            Ok(true)
        }
        (result, panicked) => {
            println!("FAILED ({seconds:.1} s)");
            if let Err(error) = result {
                println!("    {error:#}");
            }
            if let Some(panic) = panicked {
                println!("    {panic:?} appeared");
            }
            println!("    qemu {}", qemu::shell_words(&args));
            println!("    last 40 lines of {}:", paths.display(&log_path));
            for line in crate::expect::last_lines(&log, 40) {
                println!("    | {line}");
            }
            Ok(false)
        }
    }
}

/// Waits for `text` (literally) on the console.
pub fn expect(console: &mut Session, text: &str, timeout: Duration) -> Result<String> {
    let pattern = Regex::new(&regex::escape(text))?;
    console.expect(&pattern, timeout).map_err(|e| anyhow!(e))
}

/// Types `line` and Enter.
pub fn send_line(console: &Session, line: &str) -> Result<()> {
    console.send(&format!("{line}\r")).map_err(|e| anyhow!(e))
}

/// The conversation with the guest.
fn drive(console: &mut Session) -> Result<()> {
    log_in(console)?;
    // `$((…))` makes the marker differ from the echoed command line.
    send_line(console, "svc status getty@ttyS0; echo status-$((6*7))")?;
    expect(console, "status-42", STEP_TIMEOUT)?;
    send_line(console, "svc list; echo list-$((6*7))")?;
    expect(console, "list-42", STEP_TIMEOUT)?;
    let text = console.transcript();
    for (service, state) in [
        ("getty@ttyS0", "running"),
        ("heartbeat", "running"),
        ("motd", "done"),
    ] {
        let shown = text.lines().any(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            words.first() == Some(&service) && words.get(1) == Some(&state)
        });
        if !shown {
            bail!("`svc list` does not show {service} {state}");
        }
    }
    if !text.contains("state:     running") {
        bail!("`svc status getty@ttyS0` does not say running");
    }
    power_off(console)
}

/// Waits for the login prompt and logs in as root, up to the shell's prompt.
pub fn log_in(console: &mut Session) -> Result<()> {
    expect(console, &format!("{HOSTNAME} login: "), BOOT_TIMEOUT)?;
    send_line(console, "root")?;
    expect(console, "Password: ", STEP_TIMEOUT)?;
    send_line(console, ROOT_PASSWORD)?;
    expect(console, &format!("root@{HOSTNAME}:~# "), STEP_TIMEOUT)?;
    Ok(())
}

/// `svc poweroff`, which must end QEMU with status 0.
pub fn power_off(console: &mut Session) -> Result<()> {
    send_line(console, "svc poweroff")?;
    match console.wait_exit(STEP_TIMEOUT)?.map(|status| status.code()) {
        Some(Some(0)) => Ok(()),
        other => bail!("QEMU exited with {other:?}, not 0 (a clean poweroff)"),
    }
}

/// The emergency shell: init starts no services and gives the console a shell with job control; its
/// `poweroff -f` (reboot(2) straight away) ends QEMU with status 0.
fn drive_emergency(console: &mut Session) -> Result<()> {
    expect(console, "starting an emergency shell", BOOT_TIMEOUT)?;
    // The shell's children have a controlling terminal (field 7 of /proc/self/stat, tty_nr, is not 0).
    send_line(
        console,
        "awk '{ print \"ctty-\" ($7 != 0) }' /proc/self/stat",
    )?;
    expect(console, "ctty-1", STEP_TIMEOUT)?;
    if console.transcript().contains("job control turned off") {
        bail!("the emergency shell has no job control");
    }
    // No services were started, so there is no init to talk to.
    send_line(console, "svc list; echo svc-exit-$?")?;
    expect(console, "svc-exit-3", STEP_TIMEOUT)?;
    send_line(console, "poweroff -f")?;
    match console.wait_exit(STEP_TIMEOUT)?.map(|status| status.code()) {
        Some(Some(0)) => Ok(()),
        other => bail!("QEMU exited with {other:?}, not 0"),
    }
}
