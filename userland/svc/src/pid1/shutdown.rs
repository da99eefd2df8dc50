//! The end of a shutdown, once every service has stopped: what is left is killed, file systems are synced and
//! unmounted, and the kernel halts, powers off or reboots.
#![forbid(unsafe_code)]

use super::{log, mounts, seed};
use crate::supervisor::Shutdown;
use nix::errno::Errno;
use nix::sys::reboot::{reboot, RebootMode};
use nix::sys::signal::{kill, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use std::path::Path;
use std::time::{Duration, Instant};

/// How long the remaining processes get after SIGTERM before SIGKILL.
const TERM_GRACE: Duration = Duration::from_secs(5);

/// Reaps exited children until none is left or `deadline`; true if none is left.
fn reap_until(deadline: Instant) -> bool {
    loop {
        match waitpid(Pid::from_raw(-1), Some(WaitPidFlag::WNOHANG)) {
            Err(Errno::ECHILD) => return true,
            Ok(WaitStatus::StillAlive) => {
                if Instant::now() >= deadline {
                    return false;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            Ok(_) => {}
            Err(_) => return Instant::now() >= deadline,
        }
    }
}

/// Every process but us: SIGTERM (with SIGCONT for stopped ones), a grace period, then SIGKILL.
fn kill_remaining() {
    let all = Pid::from_raw(-1);
    if kill(all, Signal::SIGTERM).is_ok() {
        let _ = kill(all, Signal::SIGCONT);
        if !reap_until(Instant::now() + TERM_GRACE) {
            log("shutdown: processes left after SIGTERM; sending SIGKILL");
            let _ = kill(all, Signal::SIGKILL);
            reap_until(Instant::now() + TERM_GRACE);
        }
    }
}

/// Kills what is left, syncs, unmounts and calls reboot(2). Returns only if reboot(2) failed.
pub fn finish(kind: Shutdown) {
    kill_remaining();
    seed::save(Path::new(seed::SEED_FILE));
    nix::unistd::sync();
    mounts::unmount_all();
    nix::unistd::sync();
    let (mode, what) = match kind {
        Shutdown::Poweroff => (RebootMode::RB_POWER_OFF, "powering off"),
        Shutdown::Reboot => (RebootMode::RB_AUTOBOOT, "rebooting"),
        Shutdown::Halt => (RebootMode::RB_HALT_SYSTEM, "halting"),
    };
    log(&format!("shutdown: {what}"));
    let Err(error) = reboot(mode);
    log(&format!("shutdown: reboot(2) failed: {error}"));
}
