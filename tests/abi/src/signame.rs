//! Names of signals and of `si_code` values, so that output reads like the man pages.

/// `SIGSEGV` for 11; real-time signals as `SIGRT<n>` (the raw number, since libcs reserve some of them).
pub fn signal_name(sig: i32) -> String {
    basalt_linux_abi::signal_name(sig).map_or_else(|| format!("SIGRT{sig}"), str::to_owned)
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
        (libc::SIGILL, 1) => "ILL_ILLOPC",
        (libc::SIGILL, 2) => "ILL_ILLOPN",
        (libc::SIGFPE, 1) => "FPE_INTDIV",
        (libc::SIGFPE, 2) => "FPE_INTOVF",
        (libc::SIGTRAP, 1) => "TRAP_BRKPT",
        (libc::SIGTRAP, 2) => "TRAP_TRACE",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_names() {
        assert_eq!(signal_name(libc::SIGSEGV), "SIGSEGV");
        assert_eq!(signal_name(libc::SIGSYS), "SIGSYS");
        assert_eq!(signal_name(40), "SIGRT40");
        assert_eq!(signal_name(-1), "SIGRT-1");
        let names: std::collections::HashSet<String> = (1..32).map(signal_name).collect();
        assert_eq!(names.len(), 31);
        assert!(names.iter().all(|n| n.starts_with("SIG")));
    }

    #[test]
    fn si_code_names() {
        assert_eq!(si_code_name(libc::SIGSEGV, 1), "SEGV_MAPERR");
        assert_eq!(si_code_name(libc::SIGSEGV, 2), "SEGV_ACCERR");
        assert_eq!(si_code_name(libc::SIGBUS, 2), "BUS_ADRERR");
        assert_eq!(si_code_name(libc::SIGCHLD, 5), "CLD_STOPPED");
        assert_eq!(si_code_name(libc::SIGUSR1, 0), "SI_USER");
        assert_eq!(si_code_name(libc::SIGUSR1, -6), "SI_TKILL");
        assert_eq!(si_code_name(libc::SIGSEGV, 0x80), "SI_KERNEL");
        // Unknown codes print as numbers.
        assert_eq!(si_code_name(libc::SIGUSR1, 3), "3");
        assert_eq!(si_code_name(libc::SIGUSR1, -42), "-42");
    }
}
