//! `init`: Basalt's PID 1 and service manager. `init --supervise DIR` runs it unprivileged over DIR.
#![forbid(unsafe_code)]

use basalt_svc::exec_helper::{self, HelperSpec};
use basalt_svc::supervisor::{Layout, Mode, Shutdown, Supervisor};
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: init --supervise DIR

  --supervise DIR   run the service manager unprivileged: definitions in DIR/services/*.toml,
                    control socket DIR/run/control.sock, logs in DIR/log/
  --help            show this

PID 1 mode (mounts, hostname, /etc/basalt/services, reboot(2)) is not built yet.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
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
        Err(error) => {
            eprintln!("init: {error}");
            ExitCode::FAILURE
        }
    }
}
