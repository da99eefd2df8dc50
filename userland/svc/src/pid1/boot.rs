//! The early boot, before any service starts.
#![forbid(unsafe_code)]

use super::{log, mounts, seed};
use std::path::Path;

/// The host name in /etc/hostname: the first line, trimmed; None when empty or absent.
pub fn parse_hostname(text: &str) -> Option<&str> {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
}

/// Mounts, host name, random seed, Ctrl-Alt-Del as a signal. Nothing here is fatal.
pub fn early_boot() {
    mounts::mount_api_filesystems();
    match std::fs::read_to_string("/etc/hostname") {
        Ok(text) => match parse_hostname(&text) {
            Some(name) => {
                if let Err(error) = nix::unistd::sethostname(name) {
                    log(&format!("warning: cannot set the host name: {error}"));
                }
            }
            None => log("warning: /etc/hostname is empty"),
        },
        Err(error) => log(&format!("warning: cannot read /etc/hostname: {error}")),
    }
    seed::carry_over(Path::new(seed::SEED_FILE));
    // Ctrl-Alt-Del then sends us SIGINT (a reboot) instead of rebooting at once.
    if let Err(error) = nix::sys::reboot::set_cad_enabled(false) {
        log(&format!("warning: cannot disable Ctrl-Alt-Del: {error}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostname_is_the_first_real_line() {
        assert_eq!(parse_hostname("basalt\n"), Some("basalt"));
        assert_eq!(parse_hostname("# comment\n\n  box  \nother\n"), Some("box"));
        assert_eq!(parse_hostname("\n \n"), None);
    }
}
