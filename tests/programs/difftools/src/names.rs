//! Errno and signal names: the helpers print `ECONNREFUSED`, `SIGTTOU`, never numbers or localised texts.
#![forbid(unsafe_code)]

use basalt_linux_abi::Errno;

/// `ENOENT` for 2, `errno 4095` for a number Linux does not name.
pub fn errno_name(errno: i32) -> String {
    u16::try_from(errno)
        .ok()
        .and_then(|n| Errno(n).name())
        .map_or_else(|| format!("errno {errno}"), str::to_owned)
}

/// `SIGINT` for 2; other numbers as `signal N`.
pub fn signal_name(sig: i32) -> String {
    basalt_linux_abi::signal_name(sig).map_or_else(|| format!("signal {sig}"), str::to_owned)
}

/// How a `waitpid` status reads: `exit 0`, `killed by SIGINT`, `stopped by SIGTSTP`, `continued`.
pub fn wait_status(status: i32) -> String {
    if libc::WIFEXITED(status) {
        format!("exit {}", libc::WEXITSTATUS(status))
    } else if libc::WIFSIGNALED(status) {
        format!("killed by {}", signal_name(libc::WTERMSIG(status)))
    } else if libc::WIFSTOPPED(status) {
        format!("stopped by {}", signal_name(libc::WSTOPSIG(status)))
    } else if libc::WIFCONTINUED(status) {
        "continued".to_owned()
    } else {
        format!("status {status:#x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(errno_name(111), "ECONNREFUSED");
        assert_eq!(errno_name(-1), "errno -1");
        assert_eq!(signal_name(22), "SIGTTOU");
        assert_eq!(signal_name(40), "signal 40");
        assert_eq!(wait_status(0x0200), "exit 2");
        assert_eq!(wait_status(0x0002), "killed by SIGINT");
        assert_eq!(wait_status(0x137f), "stopped by SIGSTOP");
    }
}
