//! The list of checks, in the order they run.

/// One self-contained check: a summary line on success, the reason on failure.
pub struct Check {
    /// Short name printed before the summary.
    pub name: &'static str,
    /// Runs the check.
    pub run: fn() -> Result<String, String>,
}

/// Every check, simplest first, so that the first failure points at the most basic broken feature.
pub const ALL: &[Check] = &[
    Check {
        name: "atomic counter",
        run: crate::counter::run,
    },
    Check {
        name: "thread-locals",
        run: crate::thread_locals::run,
    },
    Check {
        name: "bounded queue",
        run: crate::queue::run,
    },
    Check {
        name: "channel",
        run: crate::channel::run,
    },
    Check {
        name: "panic",
        run: crate::panic_join::run,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_check_passes_on_the_host() {
        for check in ALL {
            if let Err(why) = (check.run)() {
                panic!("{} failed: {why}", check.name);
            }
        }
    }

    #[test]
    fn names_are_unique() {
        for (index, check) in ALL.iter().enumerate() {
            assert!(ALL[..index].iter().all(|other| other.name != check.name));
        }
    }
}
