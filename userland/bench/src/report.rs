//! The machine-readable output lines (parsed by `cargo xtask bench`).

use std::fmt;

/// Last line of every run.
pub const DONE_LINE: &str = "bench: done";

/// One benchmark's result.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Measurement {
    /// Benchmark name (one word).
    pub name: &'static str,
    /// Timed operations.
    pub iterations: u64,
    /// Wall-clock nanoseconds for all of them.
    pub elapsed_ns: u64,
}

impl Measurement {
    /// Mean nanoseconds per operation; 0 for no iterations.
    pub fn ns_per_op(&self) -> f64 {
        if self.iterations == 0 {
            return 0.0;
        }
        // f64 keeps ~15 significant digits: ample for a mean.
        self.elapsed_ns as f64 / self.iterations as f64
    }
}

impl fmt::Display for Measurement {
    /// `bench <name> <iterations> <ns_per_op>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "bench {} {} {:.1}",
            self.name,
            self.iterations,
            self.ns_per_op()
        )
    }
}

/// `bench: <name> failed: <reason>` (no `bench <name> …` line is printed then).
pub fn failure_line(name: &str, reason: &dyn fmt::Display) -> String {
    format!("bench: {name} failed: {reason}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_line_has_name_iterations_and_mean() {
        let measurement = Measurement {
            name: "null_syscall",
            iterations: 4,
            elapsed_ns: 1002,
        };
        assert_eq!(measurement.to_string(), "bench null_syscall 4 250.5");
    }

    #[test]
    fn zero_iterations_do_not_divide_by_zero() {
        let measurement = Measurement {
            name: "x",
            iterations: 0,
            elapsed_ns: 5,
        };
        assert_eq!(measurement.ns_per_op(), 0.0);
    }

    #[test]
    fn huge_values_stay_finite() {
        let measurement = Measurement {
            name: "x",
            iterations: 1,
            elapsed_ns: u64::MAX,
        };
        assert!(measurement.ns_per_op().is_finite());
    }

    #[test]
    fn failure_line_format() {
        assert_eq!(
            failure_line("fork_exit_wait", &"fork: ENOSYS"),
            "bench: fork_exit_wait failed: fork: ENOSYS"
        );
    }
}
