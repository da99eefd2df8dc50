//! The list of all cases, in output order.

/// One test case: a name `<group>.<name>` and a function that returns its one-line result.
///
/// The function runs in its own forked process (see `runner`), so it may change process state freely.
pub struct Case {
    /// `<group>.<name>`, unique.
    pub name: &'static str,
    /// Runs the case and returns the result text (no newline, nothing run-specific such as pids or times).
    pub run: fn() -> String,
}

impl Case {
    /// A case named `name` run by `run`.
    pub const fn new(name: &'static str, run: fn() -> String) -> Case {
        Case { name, run }
    }

    /// Whether `filter` selects this case: the exact name, or a group prefix (`fork` or `fork.`).
    pub fn matches(&self, filter: &str) -> bool {
        let filter = filter.trim_end_matches('.');
        self.name == filter
            || self
                .name
                .strip_prefix(filter)
                .is_some_and(|rest| rest.starts_with('.'))
    }
}

/// Every case, grouped by area.
pub fn all() -> Vec<&'static Case> {
    use crate::cases::*;
    let groups: &[&'static [Case]] = &[
        process::CASES,
        fork::CASES,
        clone::CASES,
        clone3::CASES,
        exec::CASES,
        execveat::CASES,
        wait::CASES,
        waitid::CASES,
        exit::CASES,
        ids::CASES,
        futex::CASES,
        tid::CASES,
        sched::CASES,
        time::CASES,
        limits::CASES,
        system::CASES,
        prctl::CASES,
        brk::CASES,
        mmap::CASES,
        memctl::CASES,
        fault::CASES,
        page_races::CASES,
        signal::CASES,
        kill::CASES,
        sigwait::CASES,
        sigdefault::CASES,
        fpu::CASES,
        files::CASES,
        stat::CASES,
        mounts::CASES,
        // The thread cases are procfs.* too: before procfs's list, which ends with sys.* and devices.*.
        procfs_tasks::CASES,
        procfs::CASES,
        dirs::CASES,
        pipes::CASES,
        dup::CASES,
        dentries::CASES,
        dev::CASES,
        unix::CASES,
        unix_stream::CASES,
        unix_dgram::CASES,
        unix_opts::CASES,
        unix_scm::CASES,
        select::CASES,
        eventfd::CASES,
        epoll::CASES,
        timerfd::CASES,
        signalfd::CASES,
        close_range::CASES,
        flock::CASES,
        reclock::CASES,
        attrs::CASES,
        xfer::CASES,
        copy_range::CASES,
        memfd::CASES,
        tty::CASES,
    ];
    groups.iter().flat_map(|g| g.iter()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn noop() -> String {
        String::new()
    }

    /// Independent statement of the filter rule: the exact name, or the group before the first dot (optionally
    /// written with a trailing dot).
    fn model_matches(name: &str, filter: &str) -> bool {
        let group = name.split_once('.').map_or(name, |(g, _)| g);
        filter == name || filter == group || filter == format!("{group}.")
    }

    #[test]
    fn filters_select_names_and_groups() {
        let case = Case::new("clone.fork_like", noop);
        assert!(case.matches("clone"));
        assert!(case.matches("clone."));
        assert!(case.matches("clone.fork_like"));
        assert!(!case.matches("clone3"));
        assert!(!case.matches("clo"));
        assert!(!case.matches("clone.fork"));
        assert!(!case.matches("fork_like"));
        assert!(!Case::new("clone3.efault", noop).matches("clone"));
    }

    #[test]
    fn filters_match_model_on_random_inputs() {
        let mut rng = crate::sys::tests::XorShift(0x1234_5678_9abc_def1);
        let parts = ["clone", "clone3", "fork", "a", "", "fork_like", "efault"];
        let pick = |rng: &mut crate::sys::tests::XorShift| {
            parts[(rng.next() % parts.len() as u64) as usize]
        };
        for _ in 0..20_000 {
            let name: &'static str =
                Box::leak(format!("{}.{}", pick(&mut rng), pick(&mut rng)).into_boxed_str());
            let filter = match rng.next() % 4 {
                0 => pick(&mut rng).to_string(),
                1 => format!("{}.", pick(&mut rng)),
                2 => format!("{}.{}", pick(&mut rng), pick(&mut rng)),
                _ => name.to_string(),
            };
            let case = Case::new(name, noop);
            assert_eq!(
                case.matches(&filter),
                model_matches(name, &filter),
                "{name} / {filter}"
            );
        }
    }

    #[test]
    fn registry_is_well_formed() {
        let cases = all();
        assert!(cases.len() >= 150, "only {} cases", cases.len());
        let mut names = HashSet::new();
        let mut finished_groups = HashSet::new();
        let mut current = "";
        for case in &cases {
            assert!(names.insert(case.name), "duplicate {}", case.name);
            let (group, rest) = case.name.split_once('.').expect("group.name");
            let ok = |s: &str| {
                !s.is_empty()
                    && s.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            };
            assert!(ok(group) && ok(rest), "bad name {}", case.name);
            // Each group's cases are listed together, so group filters print a contiguous block.
            if group != current {
                assert!(finished_groups.insert(current), "group {current} split");
                assert!(!finished_groups.contains(group), "group {group} split");
                current = group;
            }
        }
    }
}
