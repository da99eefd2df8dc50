//! Terminal settings and small text helpers shared by `getty` and `login`.
#![forbid(unsafe_code)]

use nix::sys::termios::{
    tcgetattr, tcsetattr, ControlFlags, InputFlags, LocalFlags, OutputFlags, SetArg, Termios,
};
use std::io::{self, BufRead, Write};
use std::os::fd::AsFd;

/// `stty sane`-like settings: line editing, echo, signals, CR→NL on input, NL→CRNL on output, 8 bits.
pub fn make_sane(termios: &mut Termios) {
    termios.input_flags |= InputFlags::ICRNL | InputFlags::BRKINT | InputFlags::IXON;
    termios.input_flags &= !(InputFlags::INLCR | InputFlags::IGNCR | InputFlags::ISTRIP);
    termios.output_flags |= OutputFlags::OPOST | OutputFlags::ONLCR;
    termios.control_flags |= ControlFlags::CS8 | ControlFlags::CREAD | ControlFlags::HUPCL;
    termios.local_flags |= LocalFlags::ICANON
        | LocalFlags::ISIG
        | LocalFlags::IEXTEN
        | LocalFlags::ECHO
        | LocalFlags::ECHOE
        | LocalFlags::ECHOK
        | LocalFlags::ECHOCTL
        | LocalFlags::ECHOKE;
}

/// Applies [`make_sane`] to the terminal on `fd`.
pub fn set_sane(fd: impl AsFd) -> nix::Result<()> {
    let mut termios = tcgetattr(&fd)?;
    make_sane(&mut termios);
    tcsetattr(&fd, SetArg::TCSANOW, &termios)
}

/// Shows `prompt_text` and reads one line from stdin with echo off (a password), restoring the settings
/// afterwards. None at end of file. Echo goes off before the prompt shows (as getpass does), so what is typed
/// after the prompt is never echoed nor discarded by the flush.
pub fn read_secret(prompt_text: &str) -> io::Result<Option<String>> {
    let stdin = io::stdin();
    let saved = tcgetattr(stdin.as_fd()).ok();
    if let Some(saved) = &saved {
        let mut quiet = saved.clone();
        quiet.local_flags &= !(LocalFlags::ECHO | LocalFlags::ECHOE | LocalFlags::ECHOK);
        quiet.local_flags |= LocalFlags::ECHONL;
        tcsetattr(stdin.as_fd(), SetArg::TCSAFLUSH, &quiet)?;
    }
    prompt(prompt_text)?;
    let line = read_line();
    if let Some(saved) = &saved {
        tcsetattr(stdin.as_fd(), SetArg::TCSANOW, saved)?;
    }
    line
}

/// One line from stdin without its line end; None at end of file.
pub fn read_line() -> io::Result<Option<String>> {
    let mut line = String::new();
    if io::stdin().lock().read_line(&mut line)? == 0 {
        return Ok(None);
    }
    Ok(Some(line.trim_end_matches(['\n', '\r']).to_string()))
}

/// Writes a prompt and flushes.
pub fn prompt(text: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// /etc/issue with agetty's common escapes: `\n` host name, `\l` terminal, `\s` system, `\r` release,
/// `\\` a backslash; others are left as they are.
pub fn expand_issue(text: &str, hostname: &str, tty: &str, system: &str, release: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push_str(hostname),
            Some('l') => out.push_str(tty),
            Some('s') => out.push_str(system),
            Some('r') => out.push_str(release),
            Some('\\') => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// A user name as login accepts it: 1–32 of letters, digits, `_ . -`, not starting with `-`.
pub fn valid_user_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 32
        && !name.starts_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_escapes() {
        assert_eq!(
            expand_issue(
                "\\s \\r on \\n (\\l) \\\\ \\x\\",
                "box",
                "ttyS0",
                "Linux",
                "6.1"
            ),
            "Linux 6.1 on box (ttyS0) \\ \\x\\"
        );
    }

    #[test]
    fn user_names() {
        assert!(valid_user_name("root"));
        assert!(valid_user_name("a.b_c-1"));
        assert!(!valid_user_name(""));
        assert!(!valid_user_name("-f"));
        assert!(!valid_user_name("a b"));
        assert!(!valid_user_name("root:0"));
        assert!(!valid_user_name(&"x".repeat(33)));
    }
}
