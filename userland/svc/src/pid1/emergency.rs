//! When the system cannot boot: a shell on the console, started again whenever it ends. PID 1 never returns.
#![forbid(unsafe_code)]

use super::log;
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::Pid;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const SHELL: &str = "/bin/sh";

/// Runs /bin/sh on our own stdio (the console) forever, reaping every orphan in between.
pub fn run(reason: &str) -> ! {
    log(&format!("fatal: {reason}"));
    loop {
        if !Path::new(SHELL).exists() {
            log(&format!("no {SHELL}: nothing more can be done; halted"));
            loop {
                reap_any();
                std::thread::sleep(Duration::from_secs(60));
            }
        }
        log(&format!(
            "starting an emergency shell ({SHELL}); exit it to start another"
        ));
        // Through the exec helper: a session of its own with the console as controlling terminal, so the
        // shell has job control and ^C reaches what it runs, not init.
        let helper = crate::exec_helper::HelperSpec {
            session: true,
            controlling_tty: true,
            argv: vec![SHELL.to_string(), "-l".to_string()],
            ..Default::default()
        };
        let init = std::env::current_exe().unwrap_or_else(|_| "/sbin/init".into());
        match Command::new(init).args(helper.to_args()).spawn() {
            Ok(child) => {
                let shell = Pid::from_raw(i32::try_from(child.id()).unwrap_or(-1));
                loop {
                    match waitpid(Pid::from_raw(-1), None) {
                        Ok(WaitStatus::Exited(pid, _) | WaitStatus::Signaled(pid, _, _))
                            if pid == shell =>
                        {
                            break
                        }
                        Ok(_) => {}
                        Err(_) => break,
                    }
                }
            }
            Err(error) => {
                log(&format!("cannot start {SHELL}: {error}"));
                std::thread::sleep(Duration::from_secs(5));
            }
        }
    }
}

fn reap_any() {
    while let Ok(status) = waitpid(
        Pid::from_raw(-1),
        Some(nix::sys::wait::WaitPidFlag::WNOHANG),
    ) {
        if status == WaitStatus::StillAlive {
            break;
        }
    }
}
