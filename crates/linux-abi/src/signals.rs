//! Names of the classic signals, so that tools print `SIGTTOU` rather than a number.

/// The classic signals' names by number (index 0 is the null signal, named "0").
const NAMES: [&str; 32] = [
    "0",
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGILL",
    "SIGTRAP",
    "SIGABRT",
    "SIGBUS",
    "SIGFPE",
    "SIGKILL",
    "SIGUSR1",
    "SIGSEGV",
    "SIGUSR2",
    "SIGPIPE",
    "SIGALRM",
    "SIGTERM",
    "SIGSTKFLT",
    "SIGCHLD",
    "SIGCONT",
    "SIGSTOP",
    "SIGTSTP",
    "SIGTTIN",
    "SIGTTOU",
    "SIGURG",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGVTALRM",
    "SIGPROF",
    "SIGWINCH",
    "SIGIO",
    "SIGPWR",
    "SIGSYS",
];

/// `SIGINT` for 2, "0" for 0; None for real-time and invalid numbers (libcs number those differently).
pub fn signal_name(sig: i32) -> Option<&'static str> {
    usize::try_from(sig)
        .ok()
        .and_then(|n| NAMES.get(n))
        .copied()
}

#[cfg(test)]
mod tests {
    use super::signal_name;

    #[test]
    fn names_follow_linux_numbers() {
        assert_eq!(signal_name(0), Some("0"));
        assert_eq!(signal_name(9), Some("SIGKILL"));
        assert_eq!(signal_name(22), Some("SIGTTOU"));
        assert_eq!(signal_name(31), Some("SIGSYS"));
        assert_eq!(signal_name(32), None);
        assert_eq!(signal_name(-1), None);
    }
}
