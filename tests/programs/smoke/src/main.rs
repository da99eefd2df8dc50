//! `smoke`: exercises the process model on raw system calls, with no libc and no heap, so it runs before mmap
//! exists: fork + pipe + wait4, copy-on-write after fork, a thread made with clone() joined through a futex,
//! execve, nanosleep. Prints `smoke: <check>: ok|FAILED ...` lines and `smoke: done, N failed`; as PID 1 it then
//! powers off.
#![cfg_attr(target_os = "none", no_std)]
#![cfg_attr(target_os = "none", no_main)]

#[cfg(target_os = "none")]
mod program;

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("smoke is a freestanding program: build it with --target x86_64-unknown-none");
    std::process::exit(1);
}
