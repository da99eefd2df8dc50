//! Line-buffered output to stdout without an allocator.

use crate::syscall;

/// Collects one line so it reaches the console in a single `write`, which
/// keeps it from interleaving with kernel messages.
pub struct LineWriter {
    buffer: [u8; 256],
    length: usize,
}

impl LineWriter {
    /// File descriptor 1.
    pub const STDOUT: usize = 1;

    /// An empty line.
    pub const fn new() -> Self {
        Self {
            buffer: [0; 256],
            length: 0,
        }
    }

    /// Appends bytes, flushing whenever the buffer fills up.
    pub fn bytes(&mut self, mut bytes: &[u8]) -> &mut Self {
        while !bytes.is_empty() {
            let free = &mut self.buffer[self.length..];
            let count = free.len().min(bytes.len());
            let (now, later) = bytes.split_at(count);
            free[..count].copy_from_slice(now);
            self.length += count;
            bytes = later;
            if self.length == self.buffer.len() {
                self.flush();
            }
        }
        self
    }

    /// Appends an unsigned number in decimal.
    pub fn number(&mut self, mut value: usize) -> &mut Self {
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        loop {
            start -= 1;
            digits[start] = b'0' + (value % 10) as u8;
            value /= 10;
            if value == 0 {
                break;
            }
        }
        self.bytes(&digits[start..])
    }

    /// Ends the line and writes it out.
    pub fn end_line(&mut self) {
        self.bytes(b"\n");
        self.flush();
    }

    /// Writes out what is buffered. Output errors are ignored: /init has
    /// nowhere else to report them.
    fn flush(&mut self) {
        let mut pending = &self.buffer[..self.length];
        while !pending.is_empty() {
            match syscall::write(Self::STDOUT, pending) {
                Ok(0) | Err(_) => break,
                Ok(written) => pending = pending.get(written..).unwrap_or_default(),
            }
        }
        self.length = 0;
    }
}
