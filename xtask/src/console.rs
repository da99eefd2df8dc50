//! An expect-like driver for a guest's serial console: QEMU with the serial port on its stdin and stdout, the
//! output collected (and copied to a log file) as it arrives, waits for text with generous hang timeouts.

use crate::expect::normalize_serial;
use anyhow::{bail, Context, Result};
use std::ffi::OsString;
use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// A running QEMU whose serial console we type into.
pub struct Console {
    child: Child,
    stdin: Option<ChildStdin>,
    output: Arc<Mutex<Vec<u8>>>,
    /// How much of the output earlier waits have consumed.
    seen: usize,
}

impl Console {
    /// Starts QEMU with `args` (which must put the serial port on stdio), logging to `log_path`.
    pub fn start(args: &[OsString], log_path: &Path) -> Result<Self> {
        if let Some(parent) = log_path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut log =
            File::create(log_path).with_context(|| format!("creating {}", log_path.display()))?;
        let mut child = Command::new(crate::qemu::QEMU)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("cannot start QEMU")?;
        let output = Arc::new(Mutex::new(Vec::new()));
        for pipe in [
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let sink = Arc::clone(&output);
            let mut log = log.try_clone()?;
            thread::spawn(move || copy(pipe, &mut log, &sink));
        }
        log.flush()?;
        let stdin = child.stdin.take();
        Ok(Self {
            child,
            stdin,
            output,
            seen: 0,
        })
    }

    /// Everything so far, as text.
    pub fn text(&self) -> String {
        normalize_serial(&lock(&self.output))
    }

    /// Waits until `needle` appears after what earlier waits consumed; consumes up to its end.
    pub fn expect(&mut self, needle: &str, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            {
                let output = lock(&self.output);
                let fresh = output.get(self.seen..).unwrap_or_default();
                if let Some(at) = find_bytes(fresh, needle.as_bytes()) {
                    self.seen += at + needle.len();
                    return Ok(());
                }
            }
            if let Some(status) = self.child.try_wait()? {
                bail!("QEMU exited ({status}) while waiting for {needle:?}");
            }
            if Instant::now() >= deadline {
                bail!("no {needle:?} within {} s", timeout.as_secs());
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Types `line` and Enter (a carriage return, as a terminal sends it).
    pub fn send_line(&mut self, line: &str) -> Result<()> {
        let stdin = self.stdin.as_mut().context("QEMU's stdin is closed")?;
        stdin.write_all(line.as_bytes())?;
        stdin.write_all(b"\r")?;
        stdin.flush()?;
        Ok(())
    }

    /// Waits for QEMU to exit; its exit code, or an error at the timeout (QEMU is then killed).
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<Option<i32>> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait()? {
                // Let the reader threads catch up with the last output.
                thread::sleep(Duration::from_millis(200));
                return Ok(status.code());
            }
            if Instant::now() >= deadline {
                bail!(
                    "QEMU still running {} s after the request",
                    timeout.as_secs()
                );
            }
            thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        // Only our own child, by its handle.
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn find_bytes(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn lock(output: &Mutex<Vec<u8>>) -> std::sync::MutexGuard<'_, Vec<u8>> {
    output
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn copy(mut pipe: Box<dyn Read + Send>, log: &mut File, sink: &Mutex<Vec<u8>>) {
    let mut chunk = [0u8; 4096];
    while let Ok(count) = pipe.read(&mut chunk) {
        let Some(data) = chunk.get(..count).filter(|d| !d.is_empty()) else {
            break;
        };
        lock(sink).extend_from_slice(data);
        let _ = log.write_all(data);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_bytes() {
        assert_eq!(find_bytes(b"abc login: ", b"login: "), Some(4));
        assert_eq!(find_bytes(b"abc", b"abcd"), None);
        assert_eq!(find_bytes(b"abc", b""), Some(0));
    }
}
