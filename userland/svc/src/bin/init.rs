//! `init`: Basalt's PID 1 and service manager. `init --supervise DIR` runs it unprivileged over DIR; run as
//! process 1 (no arguments needed; the kernel may pass some), it boots the system.
#![forbid(unsafe_code)]

use basalt_svc::exec_helper::{self, HelperSpec};
use basalt_svc::pid1;
use basalt_svc::supervisor::{Layout, Mode, Shutdown, Supervisor};
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: init --supervise DIR
       init            (as process 1)

  --supervise DIR   run the service manager unprivileged: definitions in DIR/services/*.toml,
                    control socket DIR/run/control.sock, logs in DIR/log/
  --help            show this

As process 1: mounts /proc /sys /dev /dev/pts /run /tmp, sets the host name from /etc/hostname, carries the
random seed over, starts /etc/basalt/services/*.toml (control socket /run/basalt/control.sock), and shuts down
on `svc poweroff|reboot` or a signal: SIGUSR2 or SIGRTMIN+4 power off, SIGTERM, SIGINT (Ctrl-Alt-Del) or
SIGRTMIN+5 reboot, SIGUSR1 or SIGRTMIN+3 halt. With `emergency` on the kernel command line it starts no
services and runs a shell on the console instead.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if std::process::id() == 1 && args.first().map(String::as_str) != Some(exec_helper::FLAG) {
        // The kernel passes unknown command-line words as arguments; PID 1 heeds `emergency` (as systemd
        // does: a shell on the console, no services) and ignores the rest.
        pid1_main(args.iter().any(|a| a == "emergency"));
    }
    match args.first().map(String::as_str) {
        Some(exec_helper::FLAG) => {
            let message = match HelperSpec::parse(&args[1..]) {
                Ok(spec) => exec_helper::run(&spec),
                Err(message) => message,
            };
            eprintln!("init: {message}");
            ExitCode::from(127)
        }
        Some("--supervise") if args.len() == 2 => supervise(PathBuf::from(&args[1])),
        Some("--help" | "-h") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn supervise(dir: PathBuf) -> ExitCode {
    if !dir.is_dir() {
        eprintln!("init: {} is not a directory", dir.display());
        return ExitCode::from(2);
    }
    run(Layout::supervise(&dir), Mode::Supervise)
}

/// PID 1: boot, supervise until a shutdown, finish it with reboot(2). Never returns.
fn pid1_main(emergency: bool) -> ! {
    pid1::boot::early_boot();
    if emergency {
        pid1::emergency::run("emergency mode asked for on the kernel command line");
    }
    let layout = Layout::system();
    if let Err(error) = std::fs::read_dir(&layout.services) {
        pid1::emergency::run(&format!(
            "cannot read {}: {error}",
            layout.services.display()
        ));
    }
    let helper = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("/sbin/init"));
    let supervisor = match Supervisor::new(layout, Mode::Pid1, helper) {
        Ok(supervisor) => supervisor,
        Err(error) => pid1::emergency::run(&format!("cannot start the service manager: {error}")),
    };
    let kind = match supervisor.run() {
        Ok(kind) => kind,
        // run() only returns errors in supervise mode; should one come, the safe end is still a clean stop.
        Err(error) => {
            eprintln!("init: service manager failed: {error}; powering off");
            Shutdown::Poweroff
        }
    };
    pid1::shutdown::finish(kind);
    pid1::emergency::run("reboot(2) failed")
}

fn run(layout: Layout, mode: Mode) -> ExitCode {
    let helper = match std::env::current_exe() {
        Ok(path) => path,
        Err(error) => {
            eprintln!("init: cannot find my own executable: {error}");
            return ExitCode::FAILURE;
        }
    };
    let supervisor = match Supervisor::new(layout, mode, helper) {
        Ok(supervisor) => supervisor,
        Err(error) => {
            eprintln!("init: {error}");
            return ExitCode::FAILURE;
        }
    };
    match supervisor.run() {
        Ok(Shutdown::Poweroff) => {
            eprintln!("init: all services stopped; powering off (supervise mode: exiting)");
            ExitCode::SUCCESS
        }
        Ok(Shutdown::Reboot) => {
            eprintln!("init: all services stopped; rebooting (supervise mode: exiting)");
            ExitCode::SUCCESS
        }
        Ok(Shutdown::Halt) => {
            eprintln!("init: all services stopped; halting (supervise mode: exiting)");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("init: {error}");
            ExitCode::FAILURE
        }
    }
}
