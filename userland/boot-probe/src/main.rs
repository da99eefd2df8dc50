//! `/init`: the first user program Basalt runs.
//!
//! It proves the kernel set up a correct initial stack (argc, argv, envp) and
//! working `write`/`getpid`/`reboot`/`exit_group` system calls: it prints a
//! greeting, its arguments and environment, and then, when it really is PID 1,
//! asks the kernel to power the machine off (or to restart it, when one of
//! its arguments is `reboot`).
//!
//! The program only exists for `x86_64-unknown-none` (a freestanding static
//! ELF on raw Linux system calls). Host builds, such as
//! `cargo clippy --workspace`, get a stub `main` so the workspace still checks.
#![cfg_attr(target_os = "none", no_std)]
#![cfg_attr(target_os = "none", no_main)]

#[cfg(target_os = "none")]
mod entry;
#[cfg(target_os = "none")]
mod initial_stack;
#[cfg(target_os = "none")]
mod line_writer;
#[cfg(target_os = "none")]
mod report;
#[cfg(target_os = "none")]
mod syscall;

/// Host stand-in: the real program is built with `--target x86_64-unknown-none`.
#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!(
        "basalt-boot-probe is a freestanding program: build it with --target x86_64-unknown-none"
    );
    std::process::exit(1);
}
