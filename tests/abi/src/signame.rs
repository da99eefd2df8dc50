//! Names of signals and of `si_code` values, so that output reads like the man pages.

const NAMES: [&str; 32] = [
    "0", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1",
    "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP",
    "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR",
    "SIGSYS",
];

/// `SIGSEGV` for 11; real-time signals as `SIGRT<n>` (the raw number, since libcs reserve some of them).
pub fn signal_name(sig: i32) -> String {
    match usize::try_from(sig) {
        Ok(n) if n < NAMES.len() => NAMES[n].to_string(),
        _ => format!("SIGRT{sig}"),
    }
}

/// The symbolic name of `si_code` for signal `sig` (codes are per signal for faults and SIGCHLD).
pub fn si_code_name(sig: i32, code: i32) -> String {
    let generic = match code {
        0 => Some("SI_USER"),
        0x80 => Some("SI_KERNEL"),
        -1 => Some("SI_QUEUE"),
        -2 => Some("SI_TIMER"),
        -6 => Some("SI_TKILL"),
        _ => None,
    };
    if code <= 0 || code == 0x80 {
        return generic.map_or_else(|| code.to_string(), str::to_string);
    }
    let specific = match (sig, code) {
        (libc::SIGSEGV, 1) => "SEGV_MAPERR",
        (libc::SIGSEGV, 2) => "SEGV_ACCERR",
        (libc::SIGSEGV, 3) => "SEGV_BNDERR",
        (libc::SIGSEGV, 4) => "SEGV_PKUERR",
        (libc::SIGBUS, 1) => "BUS_ADRALN",
        (libc::SIGBUS, 2) => "BUS_ADRERR",
        (libc::SIGBUS, 3) => "BUS_OBJERR",
        (libc::SIGCHLD, 1) => "CLD_EXITED",
        (libc::SIGCHLD, 2) => "CLD_KILLED",
        (libc::SIGCHLD, 3) => "CLD_DUMPED",
        (libc::SIGCHLD, 4) => "CLD_TRAPPED",
        (libc::SIGCHLD, 5) => "CLD_STOPPED",
        (libc::SIGCHLD, 6) => "CLD_CONTINUED",
        _ => return code.to_string(),
    };
    specific.to_string()
}
