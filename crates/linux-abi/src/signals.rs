//! Signal names, as the man pages and `kill -l` spell them.

/// Names of the standard signals, by number (0 is not a signal).
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

/// `SIGSEGV` for 11; `None` for real-time signals and numbers that are no signal (callers name those).
pub fn signal_name(sig: i32) -> Option<&'static str> {
    usize::try_from(sig)
        .ok()
        .and_then(|n| NAMES.get(n))
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_signals_have_names_and_others_none() {
        assert_eq!(signal_name(11), Some("SIGSEGV"));
        assert_eq!(signal_name(0), Some("0"));
        assert_eq!(signal_name(31), Some("SIGSYS"));
        assert_eq!(signal_name(34), None);
        assert_eq!(signal_name(-1), None);
    }
}
