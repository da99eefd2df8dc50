//! `ptyrun SCRIPT COMMAND [ARG...]`: runs COMMAND in a new session whose controlling terminal is the slave of a
//! new pty, and plays SCRIPT against the master, printing everything the master reads (control characters as
//! `^X`, so that `\r` shows as `^M`). Input is only sent after the output it answers was seen, so the output is
//! the same on every run.
//!
//! Script lines (`#` starts a comment; TEXT takes the escapes `\n \r \t \e \\ \xHH`):
//! - `expect TEXT`: read from the master until TEXT appears (at most 20 s, then give up with exit status 2);
//! - `send TEXT`: write TEXT to the master;
//! - `winsize ROWS COLS`: TIOCSWINSZ on the master;
//! - `close`: close the master (the slave side hangs up);
//! - `wait`: read until the slave is closed by everyone, then wait for COMMAND and print its status.
//!
//! Before the script runs, `ptyrun:` lines report the slave's name and whether the child got the terminal.

use basalt_diff_tools::names::{errno_name, wait_status};
use basalt_diff_tools::sys;
use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Less than a scenario may take (60 s), so that a stuck ptyrun reports and ends within its own scenario.
const EXPECT_TIMEOUT: Duration = Duration::from_secs(20);

enum Step {
    Expect(Vec<u8>),
    Send(Vec<u8>),
    Winsize(u16, u16),
    Close,
    Wait,
}

fn unescape(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let next = *bytes.get(i + 1).ok_or("a lone \\ at the end")?;
        i += 2;
        out.push(match next {
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'e' => 0x1b,
            b'\\' => b'\\',
            b'x' => {
                let hex = text.get(i..i + 2).ok_or("\\x needs two hex digits")?;
                i += 2;
                u8::from_str_radix(hex, 16).map_err(|_| format!("bad \\x{hex}"))?
            }
            other => return Err(format!("unknown escape \\{}", other as char)),
        });
    }
    Ok(out)
}

fn parse(script: &str) -> Result<Vec<Step>, String> {
    let mut steps = Vec::new();
    for (number, line) in script.lines().enumerate() {
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
        let step = match word {
            "expect" => Step::Expect(unescape(rest)?),
            "send" => Step::Send(unescape(rest)?),
            "winsize" => {
                let mut numbers = rest.split_whitespace().map(str::parse::<u16>);
                match (numbers.next(), numbers.next()) {
                    (Some(Ok(r)), Some(Ok(c))) => Step::Winsize(r, c),
                    _ => return Err(format!("line {}: winsize ROWS COLS", number + 1)),
                }
            }
            "close" => Step::Close,
            "wait" => Step::Wait,
            _ => return Err(format!("line {}: unknown step {word}", number + 1)),
        };
        steps.push(step);
    }
    Ok(steps)
}

/// Prints master output with control characters made visible.
fn show(bytes: &[u8]) {
    let mut out = Vec::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'\n' | b'\t' => out.push(b),
            0..=0x1f => out.extend_from_slice(&[b'^', b + 0x40]),
            0x7f => out.extend_from_slice(b"^?"),
            _ => out.push(b),
        }
    }
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(&out);
    let _ = stdout.flush();
}

/// The master and the slave's name.
fn open_pty() -> Result<(i32, String), String> {
    let master = sys::open("/dev/ptmx", libc::O_RDWR | libc::O_NOCTTY)
        .map_err(|e| format!("open /dev/ptmx: {}", errno_name(e)))?;
    let mut unlock = 0;
    sys::ioctl_int(master, libc::TIOCSPTLCK, &mut unlock)
        .map_err(|e| format!("unlockpt: {}", errno_name(e)))?;
    let mut index = 0;
    sys::ioctl_int(master, libc::TIOCGPTN, &mut index)
        .map_err(|e| format!("ptsname: {}", errno_name(e)))?;
    Ok((master, format!("/dev/pts/{index}")))
}

/// In the child: a new session with the slave as controlling terminal and standard streams, then COMMAND.
fn child(slave_name: &str, master: i32, command: &[String]) -> ! {
    sys::close(master);
    let fail = |what: &str, e: i32| -> ! {
        eprintln!("ptyrun: child: {what}: {}", errno_name(e));
        sys::exit_now(127)
    };
    if let Err(e) = sys::setsid() {
        fail("setsid", e);
    }
    // Opening the slave without O_NOCTTY makes it the new session's controlling terminal on Linux; TIOCSCTTY
    // says so explicitly (and is a no-op when it already is).
    let slave = sys::open(slave_name, libc::O_RDWR).unwrap_or_else(|e| fail("open slave", e));
    if let Err(e) = sys::ioctl_value(slave, libc::TIOCSCTTY, 0) {
        fail("TIOCSCTTY", e);
    }
    for fd in 0..3 {
        if let Err(e) = sys::dup2(slave, fd) {
            fail("dup2", e);
        }
    }
    if slave > 2 {
        sys::close(slave);
    }
    let e = sys::execvp(command);
    fail(&format!("exec {}", command[0]), e)
}

struct Session {
    master: Option<i32>,
    child: i32,
    /// Output read but not yet matched by an `expect`.
    pending: Vec<u8>,
}

impl Session {
    /// Reads once (up to `timeout`); `Ok(false)` at the end of the slave's output.
    fn read_some(&mut self, timeout: Duration) -> Result<bool, String> {
        let Some(master) = self.master else {
            return Ok(false);
        };
        let ms = i32::try_from(timeout.as_millis())
            .unwrap_or(i32::MAX)
            .max(1);
        match sys::poll(master, libc::POLLIN, ms) {
            Ok(None) | Err(libc::EINTR) => return Ok(true),
            Ok(Some(_)) => {}
            Err(e) => return Err(format!("poll: {}", errno_name(e))),
        }
        let mut buf = [0u8; 4096];
        match sys::read(master, &mut buf) {
            Ok(0) | Err(libc::EIO) => Ok(false),
            Ok(n) => {
                show(&buf[..n]);
                self.pending.extend_from_slice(&buf[..n]);
                Ok(true)
            }
            Err(libc::EINTR | libc::EAGAIN) => Ok(true),
            Err(e) => Err(format!("read master: {}", errno_name(e))),
        }
    }

    fn expect(&mut self, text: &[u8]) -> Result<(), String> {
        let start = Instant::now();
        loop {
            if let Some(at) = self
                .pending
                .windows(text.len().max(1))
                .position(|w| w == text)
            {
                self.pending.drain(..at + text.len());
                return Ok(());
            }
            let left = EXPECT_TIMEOUT.saturating_sub(start.elapsed());
            if left.is_zero() {
                return Err(format!(
                    "timed out waiting for {:?}",
                    String::from_utf8_lossy(text)
                ));
            }
            if !self.read_some(left)? {
                return Err(format!(
                    "the terminal closed while waiting for {:?}",
                    String::from_utf8_lossy(text)
                ));
            }
        }
    }

    fn run(&mut self, step: &Step) -> Result<(), String> {
        match step {
            Step::Expect(text) => self.expect(text),
            Step::Send(text) => {
                let master = self.master.ok_or("send after close")?;
                sys::write_all(master, text).map_err(|e| format!("write master: {}", errno_name(e)))
            }
            Step::Winsize(rows, cols) => {
                let master = self.master.ok_or("winsize after close")?;
                sys::set_winsize(master, *rows, *cols)
                    .map_err(|e| format!("TIOCSWINSZ: {}", errno_name(e)))
            }
            Step::Close => {
                if let Some(master) = self.master.take() {
                    sys::close(master);
                }
                Ok(())
            }
            Step::Wait => {
                let start = Instant::now();
                while self.read_some(EXPECT_TIMEOUT)? {
                    if start.elapsed() > EXPECT_TIMEOUT {
                        return Err("timed out waiting for the terminal to close".to_owned());
                    }
                }
                let (_, status) = sys::waitpid(self.child, 0)
                    .map_err(|e| format!("waitpid: {}", errno_name(e)))?;
                println!("[ptyrun: {}]", wait_status(status));
                Ok(())
            }
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!("usage: ptyrun SCRIPT COMMAND [ARG...]");
        return ExitCode::from(2);
    }
    let steps = match std::fs::read_to_string(&args[0])
        .map_err(|e| e.to_string())
        .and_then(|s| parse(&s))
    {
        Ok(steps) => steps,
        Err(why) => {
            eprintln!("ptyrun: {}: {why}", args[0]);
            return ExitCode::from(2);
        }
    };
    let (master, slave_name) = match open_pty() {
        Ok(pty) => pty,
        Err(why) => {
            println!("ptyrun: {why}");
            return ExitCode::from(2);
        }
    };
    println!("ptyrun: slave {slave_name}");
    let child = match sys::fork() {
        Ok(0) => child(&slave_name, master, &args[1..]),
        Ok(pid) => pid,
        Err(e) => {
            println!("ptyrun: fork: {}", errno_name(e));
            return ExitCode::from(2);
        }
    };
    let mut session = Session {
        master: Some(master),
        child,
        pending: Vec::new(),
    };
    for step in &steps {
        if let Err(why) = session.run(step) {
            println!("\n[ptyrun: {why}]");
            let _ = sys::kill(child, libc::SIGKILL);
            let _ = sys::waitpid(child, 0);
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(unescape(r"a\n\r\t\e\\\x03").unwrap(), b"a\n\r\t\x1b\\\x03");
        assert!(unescape(r"\q").is_err());
        assert!(unescape(r"\x0").is_err());
        assert!(unescape("trailing\\").is_err());
    }

    #[test]
    fn script_lines() {
        let steps =
            parse("# comment\nexpect $ \nsend ls\\n\nwinsize 24 80\nclose\nwait\n").unwrap();
        assert!(matches!(&steps[0], Step::Expect(t) if t == b"$ "));
        assert!(matches!(&steps[1], Step::Send(t) if t == b"ls\n"));
        assert!(matches!(steps[2], Step::Winsize(24, 80)));
        assert!(matches!(steps[3], Step::Close));
        assert!(matches!(steps[4], Step::Wait));
        assert!(parse("winsize 24").is_err());
        assert!(parse("jump").is_err());
    }
}
