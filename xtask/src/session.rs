//! An expect-like driver: a child process (QEMU with its serial port on stdin/stdout) behind a [`Terminal`]; send
//! keystrokes, wait for regular expressions in the plain text of its output. Waiting has a hang timeout only: a
//! step that does not show what it should within it fails, with the transcript.

use crate::terminal::Terminal;
use anyhow::{Context, Result};
use regex::bytes::Regex;
use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

/// What the reader thread has seen.
struct Received {
    terminal: Terminal,
    /// The child closed its output (it exited).
    closed: bool,
}

struct Shared {
    received: Mutex<Received>,
    changed: Condvar,
    /// Keystrokes and the terminal's answers go through one lock, so neither splits the other.
    input: Mutex<Option<ChildStdin>>,
}

impl Shared {
    fn received(&self) -> MutexGuard<'_, Received> {
        self.received.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self, bytes: &[u8]) -> std::io::Result<()> {
        let mut input = self.input.lock().unwrap_or_else(PoisonError::into_inner);
        match input.as_mut() {
            Some(stdin) => stdin.write_all(bytes).and_then(|()| stdin.flush()),
            None => Err(std::io::ErrorKind::BrokenPipe.into()),
        }
    }
}

/// A running session; the child is killed when it is dropped.
pub struct Session {
    child: Child,
    shared: Arc<Shared>,
    reader: Option<thread::JoinHandle<()>>,
    /// Offset in the plain text up to which output has been matched.
    consumed: usize,
}

impl Session {
    /// Starts `command` with piped stdin and stdout (stderr goes to the log too); raw output is logged to `log_path`.
    pub fn spawn(mut command: Command, log_path: &Path) -> Result<Self> {
        if let Some(parent) = log_path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let log =
            File::create(log_path).with_context(|| format!("creating {}", log_path.display()))?;
        let errors = log.try_clone()?;
        let program = command.get_program().to_string_lossy().into_owned();
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(errors)
            .spawn()
            .with_context(|| format!("cannot start {program}"))?;
        let shared = Arc::new(Shared {
            received: Mutex::new(Received {
                terminal: Terminal::new(),
                closed: false,
            }),
            changed: Condvar::new(),
            input: Mutex::new(child.stdin.take()),
        });
        let stdout = child.stdout.take().context("no stdout pipe")?;
        let reader = {
            let shared = Arc::clone(&shared);
            thread::spawn(move || read_output(stdout, log, &shared))
        };
        Ok(Self {
            child,
            shared,
            reader: Some(reader),
            consumed: 0,
        })
    }

    /// Types `keys`.
    pub fn send(&self, keys: &str) -> Result<(), String> {
        self.shared
            .write(keys.as_bytes())
            .map_err(|error| format!("cannot type {keys:?}: {error}"))
    }

    /// Waits until `pattern` matches the output after what earlier waits matched; returns the matched text and
    /// moves past it.
    pub fn expect(&mut self, pattern: &Regex, timeout: Duration) -> Result<String, String> {
        let deadline = Instant::now() + timeout;
        let mut received = self.shared.received();
        loop {
            let plain = received.terminal.plain();
            if let Some(found) = plain
                .get(self.consumed..)
                .and_then(|rest| pattern.find(rest))
            {
                let text = String::from_utf8_lossy(found.as_bytes()).into_owned();
                self.consumed += found.end();
                return Ok(text);
            }
            if received.closed {
                return Err(format!("output ended before /{pattern}/ appeared"));
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(format!(
                    "/{pattern}/ did not appear within {} s",
                    timeout.as_secs()
                ));
            }
            received = self
                .shared
                .changed
                .wait_timeout(received, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Skips everything received so far (after a failed step, before resynchronizing).
    pub fn skip_received(&mut self) {
        self.consumed = self.shared.received().terminal.plain().len();
    }

    /// The plain text of the whole session.
    pub fn transcript(&self) -> String {
        String::from_utf8_lossy(self.shared.received().terminal.plain()).into_owned()
    }

    /// Waits for the child to exit by itself; kills it at the timeout (then None).
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<Option<ExitStatus>> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait()? {
                self.join_reader();
                return Ok(Some(status));
            }
            if Instant::now() >= deadline {
                self.stop();
                return Ok(None);
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// Kills the child (our own, by its handle) and collects it.
    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.join_reader();
    }

    fn join_reader(&mut self) {
        *self
            .shared
            .input
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = None;
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if self.reader.is_some() {
            self.stop();
        }
    }
}

/// The reader thread: log, terminal (whose answers go straight back), wake the waiter.
fn read_output(mut pipe: impl Read, mut log: File, shared: &Shared) {
    let mut chunk = [0u8; 4096];
    loop {
        let count = match pipe.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(count) => count,
        };
        let data = &chunk[..count];
        // A failing log write must not stop the session.
        let _ = log.write_all(data);
        let replies = shared.received().terminal.feed(data);
        if !replies.is_empty() {
            let _ = shared.write(&replies);
        }
        shared.changed.notify_all();
    }
    shared.received().closed = true;
    shared.changed.notify_all();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_log(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("xtask-session-{name}-{}.log", std::process::id()))
    }

    fn shell(script: &str) -> Command {
        let mut command = Command::new("sh");
        command.args(["-c", script]);
        command
    }

    fn regex(source: &str) -> Regex {
        Regex::new(source).expect("valid")
    }

    #[test]
    fn sends_keys_and_matches_in_order() {
        let log = temp_log("echo");
        let script = "printf 'ready\\r\\n'; read line; printf '\\033[1mgot %s\\033[m\\n' \"$line\"; read again";
        let mut session = Session::spawn(shell(script), &log).expect("starts");
        let wait = Duration::from_secs(30);
        assert_eq!(
            session.expect(&regex("ready\n"), wait),
            Ok("ready\n".into())
        );
        session.send("hello\n").expect("types");
        assert_eq!(
            session.expect(&regex("got [a-z]+"), wait),
            Ok("got hello".into())
        );
        // Already matched output is not matched again.
        assert!(session
            .expect(&regex("ready"), Duration::from_millis(200))
            .expect_err("consumed")
            .contains("did not appear"));
        session.send("bye\n").expect("types");
        assert!(session.wait_exit(wait).expect("waits").is_some());
        assert!(session.transcript().contains("got hello\n"));
        assert!(std::fs::read(&log).expect("log").starts_with(b"ready\r\n"));
        let _ = std::fs::remove_file(&log);
    }

    #[test]
    fn answers_cursor_queries_and_reports_the_end() {
        let log = temp_log("query");
        // The child asks where the cursor is, reads the answer (up to the R) and prints it back.
        let script = "printf 'ab\\033[6n'; IFS= read -r -d R answer; printf '\\n[%s]\\n' \"$answer\" | od -c | head -1";
        let mut command = Command::new("bash");
        command.args(["-c", script]);
        let mut session = Session::spawn(command, &log).expect("starts");
        let found = session.expect(&regex(r"033\s+\[\s+1\s+;\s+3"), Duration::from_secs(30));
        assert!(found.is_ok(), "{found:?}: {}", session.transcript());
        let end = session.expect(&regex("never"), Duration::from_secs(30));
        assert!(end.expect_err("ended").contains("output ended"));
        let _ = std::fs::remove_file(&log);
    }
}
