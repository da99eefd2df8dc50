//! `bench`: kernel micro-benchmarks for comparing Basalt with Linux.
//!
//! Prints one line per benchmark, `bench <name> <iterations> <ns_per_op>`
//! (or `bench: <name> failed: <reason>`), then `bench: done`. As PID 1 (the
//! `/init` of a VM) it powers the machine off afterwards; otherwise it exits
//! with 0, or 1 if a benchmark failed (2 for a bad command line).
//!
//! The program starts at a C `main` rather than Rust's: std's start-up makes
//! system calls of its own (checking fds 0–2, signal handlers, an alternate
//! signal stack), which the exec benchmark would time, and which a kernel that
//! is still growing its system call table may not have yet.
#![cfg_attr(not(test), no_main)]

mod args;
mod benchmarks;
mod files;
mod report;
mod sys;

use args::{Mode, Options};
use benchmarks::{Setup, BENCHMARKS};
#[cfg(not(test))]
use std::ffi::{c_char, CStr};
use std::ffi::{c_int, CString};
use std::io::Write;

/// Where `cargo xtask bench` puts a second copy of this program in its initramfs (we are /init there).
const PATH_IN_INITRAMFS: &str = "/bench";

/// Exit status for a bad command line (as most tools use).
const USAGE_STATUS: c_int = 2;

/// The C entry point (see the module documentation for why not Rust's).
///
/// # Safety
/// Called by the C runtime only, which passes `argc` valid NUL-terminated strings in `argv`.
#[cfg(not(test))]
#[no_mangle]
pub unsafe extern "C" fn main(argc: c_int, argv: *const *const c_char) -> c_int {
    // SAFETY: forwarded from our own contract.
    let arguments = unsafe { c_arguments(argc, argv) };
    // The exec benchmark's child: leave before doing anything else (no allocation, no output).
    if arguments.len() == 2 && arguments[1].to_bytes() == args::EXIT_NOW.as_bytes() {
        sys::exit_now(0);
    }
    let arguments: Vec<String> = arguments
        .iter()
        .map(|argument| argument.to_string_lossy().into_owned())
        .collect();
    run(&arguments, sys::getpid() == 1)
}

/// argv as C strings.
///
/// # Safety
/// `argv` must point to `argc` valid NUL-terminated strings that live for the whole program.
#[cfg(not(test))]
unsafe fn c_arguments(argc: c_int, argv: *const *const c_char) -> Vec<&'static CStr> {
    let count = usize::try_from(argc).unwrap_or(0);
    (0..count)
        // SAFETY: the caller guarantees `count` valid entries.
        .map(|index| unsafe { *argv.add(index) })
        .filter(|pointer| !pointer.is_null())
        // SAFETY: each non-null entry is a NUL-terminated string that outlives the program.
        .map(|pointer| unsafe { CStr::from_ptr(pointer) })
        .collect()
}

/// Runs the program with `arguments` (argv, program name first); returns the exit
/// status, or powers off when `is_init`.
fn run(arguments: &[String], is_init: bool) -> c_int {
    let status = match args::parse(arguments.get(1..).unwrap_or_default()) {
        Ok(Mode::ExitNow) => 0,
        Ok(Mode::Run(options)) => run_benchmarks(&options, arguments.first(), is_init),
        Err(error) => {
            eprintln!("bench: {error}\n{}", args::USAGE);
            USAGE_STATUS
        }
    };
    if is_init {
        power_off()
    } else {
        status
    }
}

/// Runs every benchmark and prints its line; 0 if all worked, else 1.
fn run_benchmarks(options: &Options, program: Option<&String>, is_init: bool) -> c_int {
    println!(
        "bench: start ({} iterations)",
        if options.quick { "quick" } else { "full" }
    );
    let setup = match exec_path(options, program, is_init) {
        Ok(exec_path) => Setup { exec_path },
        Err(reason) => {
            println!("bench: error: {reason}");
            println!("{}", report::DONE_LINE);
            return 1;
        }
    };
    let mut all_worked = true;
    for benchmark in BENCHMARKS {
        match benchmark.measure(&setup, options.quick) {
            Ok(measurement) => println!("{measurement}"),
            Err(error) => {
                all_worked = false;
                println!("{}", report::failure_line(benchmark.name, &error));
            }
        }
    }
    println!("{}", report::DONE_LINE);
    if all_worked {
        0
    } else {
        1
    }
}

/// The program the exec benchmark runs: `--exec-path`, else /bench as init
/// (where /proc may not exist), else this executable as the kernel names it, else argv\[0\].
fn exec_path(
    options: &Options,
    program: Option<&String>,
    is_init: bool,
) -> Result<CString, String> {
    let path = if let Some(path) = &options.exec_path {
        path.clone()
    } else if is_init {
        PATH_IN_INITRAMFS.to_owned()
    } else if let Ok(path) = std::env::current_exe() {
        path.to_string_lossy().into_owned()
    } else if let Some(program) = program.filter(|program| program.contains('/')) {
        program.clone()
    } else {
        return Err("cannot tell where this program is; pass --exec-path".to_owned());
    };
    CString::new(path).map_err(|_| "the exec path contains a NUL byte".to_owned())
}

/// Powers the machine off; returns (an exit status) only if the kernel refused.
fn power_off() -> c_int {
    // The serial console must have every line before the machine goes away.
    let _ = std::io::stdout().flush();
    let error = sys::power_off();
    eprintln!("bench: cannot power off: {error}");
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(exec_path: Option<&str>) -> Options {
        Options {
            quick: true,
            exec_path: exec_path.map(str::to_owned),
        }
    }

    #[test]
    fn exec_path_prefers_the_option_then_initramfs_then_this_executable() {
        let program = "/somewhere/bench".to_owned();
        let chosen = |exec: Option<&str>, is_init| {
            exec_path(&options(exec), Some(&program), is_init).expect("path")
        };
        assert_eq!(chosen(Some("/x"), true).as_bytes(), b"/x");
        assert_eq!(chosen(None, true).as_bytes(), PATH_IN_INITRAMFS.as_bytes());
        let own = std::env::current_exe().expect("exe");
        assert_eq!(
            chosen(None, false).as_bytes(),
            own.to_string_lossy().as_bytes()
        );
    }

    #[test]
    fn exec_path_with_nul_is_refused() {
        let error = exec_path(&options(Some("a\0b")), None, false).expect_err("nul");
        assert!(error.contains("NUL"));
    }

    #[test]
    fn bad_command_line_gives_usage_status() {
        let arguments = ["bench".to_owned(), "--bogus".to_owned()];
        assert_eq!(run(&arguments, false), USAGE_STATUS);
    }
}
