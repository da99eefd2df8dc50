//! The benchmarks: each times a loop of one operation with CLOCK_MONOTONIC.

use crate::args::EXIT_NOW;
use crate::report::Measurement;
use crate::sys::{self, ChildEnd, Forked, SysError};
use basalt_linux_abi::Errno;
use std::ffi::{c_char, CStr, CString};
use std::fmt;
use std::hint::black_box;
use std::os::fd::OwnedFd;

/// Why a benchmark could not produce a number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BenchError {
    /// A system call failed in this process.
    Sys(SysError),
    /// A child did not exit with status 0.
    Child {
        /// What the child was doing.
        role: &'static str,
        /// How it ended.
        end: ChildEnd,
    },
    /// The byte that came back through the pipes is not the one sent.
    WrongEcho { sent: u8, received: u8 },
    /// CLOCK_MONOTONIC went backwards.
    ClockWentBackwards,
}

impl From<SysError> for BenchError {
    fn from(error: SysError) -> Self {
        Self::Sys(error)
    }
}

impl fmt::Display for BenchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sys(error) => error.fmt(f),
            Self::Child {
                role,
                end: ChildEnd::Exited(status),
            } => {
                write!(f, "{role} child exited with status {status}")?;
                if *role == EXEC_ROLE {
                    // The exec child reports a failed execve through its exit status.
                    let errno = u16::try_from(*status).map(Errno).unwrap_or(Errno(0));
                    write!(f, " (if execve failed: {errno})")?;
                }
                Ok(())
            }
            Self::Child {
                role,
                end: ChildEnd::Signaled(signal),
            } => write!(f, "{role} child killed by signal {signal}"),
            Self::WrongEcho { sent, received } => {
                write!(f, "sent byte {sent} through the pipes, got {received} back")
            }
            Self::ClockWentBackwards => write!(f, "CLOCK_MONOTONIC went backwards"),
        }
    }
}

/// What the benchmarks need from the command line.
#[derive(Clone, Debug)]
pub struct Setup {
    /// The program `fork_exec_wait` runs with `--exit-now`: this program.
    pub exec_path: CString,
}

/// A timed loop: runs the operation `iterations` times and returns the elapsed nanoseconds.
pub type TimedLoop = fn(&Setup, u64) -> Result<u64, BenchError>;

/// One benchmark.
pub struct Benchmark {
    /// Name in the output (one word).
    pub name: &'static str,
    /// Iterations of a full run.
    pub full_iterations: u64,
    /// Iterations with `--quick`.
    pub quick_iterations: u64,
    run: TimedLoop,
}

/// Every benchmark, in output order.
pub const BENCHMARKS: &[Benchmark] = &[
    Benchmark {
        name: "null_syscall",
        full_iterations: 1_000_000,
        quick_iterations: 10_000,
        run: null_syscall,
    },
    Benchmark {
        name: "pipe_pingpong",
        full_iterations: 20_000,
        quick_iterations: 500,
        run: pipe_pingpong,
    },
    Benchmark {
        name: "unix_pingpong",
        full_iterations: 20_000,
        quick_iterations: 500,
        run: unix_pingpong,
    },
    Benchmark {
        name: "pipe_throughput",
        full_iterations: 2_000,
        quick_iterations: 50,
        run: pipe_throughput,
    },
    Benchmark {
        name: "fork_exit_wait",
        full_iterations: 2_000,
        quick_iterations: 50,
        run: fork_exit_wait,
    },
    Benchmark {
        name: "fork_exec_wait",
        full_iterations: 1_000,
        quick_iterations: 20,
        run: fork_exec_wait,
    },
    Benchmark {
        name: "file_create_write_read_unlink",
        full_iterations: 5_000,
        quick_iterations: 100,
        run: crate::files::file_create_write_read_unlink,
    },
    Benchmark {
        name: "path_walk_stat",
        full_iterations: 20_000,
        quick_iterations: 500,
        run: crate::files::path_walk_stat,
    },
    Benchmark {
        name: "file_read_1mib",
        full_iterations: 500,
        quick_iterations: 10,
        run: crate::files::file_read_1mib,
    },
    Benchmark {
        name: "file_write_1mib",
        full_iterations: 500,
        quick_iterations: 10,
        run: crate::files::file_write_1mib,
    },
];

impl Benchmark {
    /// Runs a short untimed warm-up (caches, page tables, lazily built kernel state), then the timed loop.
    pub fn measure(&self, setup: &Setup, quick: bool) -> Result<Measurement, BenchError> {
        let iterations = if quick {
            self.quick_iterations
        } else {
            self.full_iterations
        };
        (self.run)(setup, (iterations / 10).max(1))?;
        let elapsed_ns = (self.run)(setup, iterations)?;
        Ok(Measurement {
            name: self.name,
            iterations,
            elapsed_ns,
        })
    }
}

/// Times `body`: nanoseconds between two CLOCK_MONOTONIC readings around it.
pub fn timed(body: impl FnOnce() -> Result<(), BenchError>) -> Result<u64, BenchError> {
    let start = sys::monotonic_ns()?;
    body()?;
    let end = sys::monotonic_ns()?;
    end.checked_sub(start).ok_or(BenchError::ClockWentBackwards)
}

/// A child's end as a result: only `exit(0)` is success.
fn expect_success(role: &'static str, end: ChildEnd) -> Result<(), BenchError> {
    match end {
        ChildEnd::Exited(0) => Ok(()),
        end => Err(BenchError::Child { role, end }),
    }
}

/// `getppid` through the raw `syscall` instruction: the cost of entering and leaving the kernel.
fn null_syscall(_: &Setup, iterations: u64) -> Result<u64, BenchError> {
    sys::check_getppid()?;
    timed(|| {
        for _ in 0..iterations {
            black_box(sys::raw_getppid());
        }
        Ok(())
    })
}

/// One byte to a child and back over two pipes, per round trip (two context switches at least).
fn pipe_pingpong(_: &Setup, iterations: u64) -> Result<u64, BenchError> {
    let (to_child_read, to_child_write) = sys::pipe()?;
    let (to_parent_read, to_parent_write) = sys::pipe()?;
    let pid = match sys::fork()? {
        Forked::Child => {
            drop((to_child_write, to_parent_read));
            echo_until_closed(&to_child_read, &to_parent_write)
        }
        Forked::Parent(pid) => pid,
    };
    // Without these the child would never see end of file, and we would hang on a dead child.
    drop((to_child_read, to_parent_write));
    let result = timed(|| {
        for round in 0..iterations {
            let sent = round.to_le_bytes()[0];
            sys::write_byte(&to_child_write, sent)?;
            let received = sys::read_byte(&to_parent_read)?;
            if received != sent {
                return Err(BenchError::WrongEcho { sent, received });
            }
        }
        Ok(())
    });
    // Closing our write end lets the child finish, whatever happened above.
    drop(to_child_write);
    let end = sys::wait_for(pid)?;
    let elapsed = result?;
    expect_success("pipe echo", end)?;
    Ok(elapsed)
}

/// One byte to a child and back over an AF_UNIX stream socket pair, per round trip.
fn unix_pingpong(_: &Setup, iterations: u64) -> Result<u64, BenchError> {
    let (mine, theirs) = sys::socketpair_stream()?;
    let pid = match sys::fork()? {
        Forked::Child => {
            drop(mine);
            echo_until_closed(&theirs, &theirs)
        }
        Forked::Parent(pid) => pid,
    };
    drop(theirs);
    let result = timed(|| {
        for round in 0..iterations {
            let sent = round.to_le_bytes()[0];
            sys::write_byte(&mine, sent)?;
            let received = sys::read_byte(&mine)?;
            if received != sent {
                return Err(BenchError::WrongEcho { sent, received });
            }
        }
        Ok(())
    });
    // Closing our end is the child's end of file.
    drop(mine);
    let end = sys::wait_for(pid)?;
    let elapsed = result?;
    expect_success("socket echo", end)?;
    Ok(elapsed)
}

/// Bytes per iteration of `pipe_throughput`.
pub const THROUGHPUT_BLOCK: usize = 64 * 1024;

/// 64 KiB writes into a pipe that a child drains, per block; the time includes the child reading the last one.
fn pipe_throughput(_: &Setup, iterations: u64) -> Result<u64, BenchError> {
    let (read_end, write_end) = sys::pipe()?;
    let pid = match sys::fork()? {
        Forked::Child => {
            drop(write_end);
            let mut buffer = vec![0u8; THROUGHPUT_BLOCK];
            let expected = iterations * THROUGHPUT_BLOCK as u64;
            match sys::read_to_end(&read_end, &mut buffer) {
                Ok(total) if total == expected => sys::exit_now(0),
                _ => sys::exit_now(1),
            }
        }
        Forked::Parent(pid) => pid,
    };
    drop(read_end);
    let block = vec![0x5au8; THROUGHPUT_BLOCK];
    let mut end = None;
    let result = timed(|| {
        for _ in 0..iterations {
            sys::write_all(&write_end, &block)?;
        }
        // End of file for the child; its exit says it has read everything.
        drop(write_end);
        end = Some(sys::wait_for(pid)?);
        Ok(())
    });
    let elapsed = result?;
    match end {
        Some(end) => expect_success("pipe reader", end)?,
        None => {
            return Err(BenchError::Sys(crate::sys::SysError {
                call: "waitpid",
                errno: Errno::ECHILD,
            }))
        }
    }
    Ok(elapsed)
}

/// The pipe child: echo bytes until the parent closes its end, then exit 0 (1 on an error).
fn echo_until_closed(input: &OwnedFd, output: &OwnedFd) -> ! {
    loop {
        match sys::read_byte(input) {
            Ok(byte) => {
                if sys::write_byte(output, byte).is_err() {
                    sys::exit_now(1);
                }
            }
            Err(error) if error.errno == Errno::EPIPE => sys::exit_now(0),
            Err(_) => sys::exit_now(1),
        }
    }
}

/// fork, the child exits at once, the parent waits: process creation and teardown.
fn fork_exit_wait(_: &Setup, iterations: u64) -> Result<u64, BenchError> {
    timed(|| {
        for _ in 0..iterations {
            match sys::fork()? {
                Forked::Child => sys::exit_now(0),
                Forked::Parent(pid) => expect_success("exiting", sys::wait_for(pid)?)?,
            }
        }
        Ok(())
    })
}

/// Role name of the exec child in errors.
const EXEC_ROLE: &str = "exec";

/// `--exit-now` as a C string.
const EXIT_NOW_C: &CStr = c"--exit-now";

/// fork, the child execs this program with `--exit-now`, the parent waits: a whole program start.
fn fork_exec_wait(setup: &Setup, iterations: u64) -> Result<u64, BenchError> {
    debug_assert_eq!(EXIT_NOW_C.to_bytes(), EXIT_NOW.as_bytes());
    // Built before fork: the child only makes system calls.
    let argv: [*const c_char; 3] = [
        setup.exec_path.as_ptr(),
        EXIT_NOW_C.as_ptr(),
        std::ptr::null(),
    ];
    timed(|| {
        for _ in 0..iterations {
            match sys::fork()? {
                Forked::Child => {
                    let error = sys::execve(&setup.exec_path, &argv);
                    // The exit status carries the errno (all fit in 1..=133) for the parent's message.
                    sys::exit_now(i32::from(error.errno.0).clamp(1, 255))
                }
                Forked::Parent(pid) => expect_success(EXEC_ROLE, sys::wait_for(pid)?)?,
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup(path: &CStr) -> Setup {
        Setup {
            exec_path: path.to_owned(),
        }
    }

    #[test]
    fn names_are_unique_single_words_and_quick_is_smaller() {
        for (index, benchmark) in BENCHMARKS.iter().enumerate() {
            assert!(!benchmark.name.is_empty());
            assert!(!benchmark.name.contains(char::is_whitespace));
            assert!(benchmark.quick_iterations > 0);
            assert!(benchmark.quick_iterations < benchmark.full_iterations);
            assert!(BENCHMARKS[..index]
                .iter()
                .all(|other| other.name != benchmark.name));
        }
    }

    #[test]
    fn all_but_exec_run_on_the_host() {
        // The exec benchmark is covered by the integration test, which has the real binary.
        let setup = setup(c"/unused");
        for benchmark in BENCHMARKS.iter().filter(|b| b.name != "fork_exec_wait") {
            let measurement = benchmark.measure(&setup, true).expect(benchmark.name);
            assert_eq!(measurement.iterations, benchmark.quick_iterations);
            assert!(measurement.elapsed_ns > 0, "{}", benchmark.name);
        }
    }

    #[test]
    fn exec_of_a_missing_program_reports_the_errno() {
        let error = fork_exec_wait(&setup(c"/nonexistent/bench"), 1).expect_err("no such file");
        assert_eq!(
            error,
            BenchError::Child {
                role: EXEC_ROLE,
                end: ChildEnd::Exited(2)
            }
        );
        assert_eq!(
            error.to_string(),
            "exec child exited with status 2 (if execve failed: ENOENT (No such file or directory))"
        );
    }

    #[test]
    fn a_failing_child_is_an_error() {
        // /bin/false exits 1 and ignores its arguments.
        let error = fork_exec_wait(&setup(c"/bin/false"), 3).expect_err("status 1");
        assert!(matches!(
            error,
            BenchError::Child {
                end: ChildEnd::Exited(1),
                ..
            }
        ));
    }

    #[test]
    fn error_messages() {
        let killed = BenchError::Child {
            role: "exiting",
            end: ChildEnd::Signaled(9),
        };
        assert_eq!(killed.to_string(), "exiting child killed by signal 9");
        let status = BenchError::Child {
            role: "pipe echo",
            end: ChildEnd::Exited(1),
        };
        assert_eq!(status.to_string(), "pipe echo child exited with status 1");
        let echo = BenchError::WrongEcho {
            sent: 1,
            received: 2,
        };
        assert_eq!(
            echo.to_string(),
            "sent byte 1 through the pipes, got 2 back"
        );
        let sys = BenchError::from(SysError {
            call: "fork",
            errno: Errno::ENOSYS,
        });
        assert_eq!(sys.to_string(), "fork: ENOSYS (Invalid system call number)");
        assert_eq!(
            BenchError::ClockWentBackwards.to_string(),
            "CLOCK_MONOTONIC went backwards"
        );
    }
}
