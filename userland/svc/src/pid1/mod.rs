//! What `init` does as PID 1 besides supervising: the early boot (mounts, host name, random seed), the final
//! shutdown (kill what is left, sync, unmount, reboot(2)), and the emergency shell when booting is impossible.
#![forbid(unsafe_code)]

pub mod boot;
pub mod emergency;
pub mod mounts;
pub mod seed;
pub mod shutdown;

fn log(message: &str) {
    eprintln!("init: {message}");
}
