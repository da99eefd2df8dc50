//! Per-service logs: output split into lines, the recent ones kept in memory, all appended to a file
//! that is rotated (`NAME.log` → `NAME.log.1` → …) when it passes a size.
#![forbid(unsafe_code)]

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The longest line kept; longer output is cut into lines of this size.
pub const MAX_LINE: usize = 4096;

/// Splits a byte stream into lines (without the newline); invalid UTF-8 is replaced.
#[derive(Debug, Default)]
pub struct LineSplitter {
    partial: Vec<u8>,
}

impl LineSplitter {
    pub fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        let mut lines = Vec::new();
        for &byte in bytes {
            if byte == b'\n' {
                lines.push(String::from_utf8_lossy(&self.partial).into_owned());
                self.partial.clear();
            } else {
                self.partial.push(byte);
                if self.partial.len() >= MAX_LINE {
                    lines.push(String::from_utf8_lossy(&self.partial).into_owned());
                    self.partial.clear();
                }
            }
        }
        lines
    }

    /// The unfinished last line, when the stream ended.
    pub fn finish(&mut self) -> Option<String> {
        if self.partial.is_empty() {
            return None;
        }
        let line = String::from_utf8_lossy(&self.partial).into_owned();
        self.partial.clear();
        Some(line)
    }
}

/// The last `capacity` lines.
#[derive(Debug, Clone)]
pub struct LogRing {
    lines: VecDeque<String>,
    capacity: usize,
}

impl LogRing {
    pub fn new(capacity: usize) -> Self {
        Self {
            lines: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    pub fn push(&mut self, line: String) {
        if self.lines.len() == self.capacity {
            self.lines.pop_front();
        }
        self.lines.push_back(line);
    }

    /// The last `count` lines, oldest first.
    pub fn tail(&self, count: usize) -> Vec<String> {
        let skip = self.lines.len().saturating_sub(count);
        self.lines.iter().skip(skip).cloned().collect()
    }

    pub fn set_capacity(&mut self, capacity: usize) {
        self.capacity = capacity.max(1);
        while self.lines.len() > self.capacity {
            self.lines.pop_front();
        }
    }
}

/// `path` and its rotated copies `path.1` (newest) … `path.keep`.
#[derive(Debug)]
pub struct RotatingFile {
    path: PathBuf,
    max_bytes: u64,
    keep: u32,
    file: Option<File>,
    size: u64,
}

impl RotatingFile {
    pub fn new(path: PathBuf, max_bytes: u64, keep: u32) -> Self {
        Self {
            path,
            max_bytes: max_bytes.max(1),
            keep,
            file: None,
            size: 0,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn set_limits(&mut self, max_bytes: u64, keep: u32) {
        self.max_bytes = max_bytes.max(1);
        self.keep = keep;
    }

    /// Appends `line` and a newline, rotating first when the line would take the file past its size.
    pub fn write_line(&mut self, line: &str) -> io::Result<()> {
        let len = line.len() as u64 + 1;
        if self.file.is_none() {
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)?;
            self.size = file.metadata()?.len();
            self.file = Some(file);
        }
        if self.size > 0 && self.size + len > self.max_bytes {
            self.rotate()?;
        }
        let file = match &mut self.file {
            Some(file) => file,
            None => self.file.insert(
                OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&self.path)?,
            ),
        };
        let mut record = Vec::with_capacity(line.len() + 1);
        record.extend_from_slice(line.as_bytes());
        record.push(b'\n');
        file.write_all(&record)?;
        self.size += len;
        Ok(())
    }

    fn rotate(&mut self) -> io::Result<()> {
        self.file = None;
        let numbered = |n: u32| PathBuf::from(format!("{}.{n}", self.path.display()));
        if self.keep == 0 {
            fs::remove_file(&self.path).or_else(ignore_missing)?;
        } else {
            fs::remove_file(numbered(self.keep)).or_else(ignore_missing)?;
            for n in (1..self.keep).rev() {
                fs::rename(numbered(n), numbered(n + 1)).or_else(ignore_missing)?;
            }
            fs::rename(&self.path, numbered(1)).or_else(ignore_missing)?;
        }
        self.size = 0;
        Ok(())
    }
}

fn ignore_missing(error: io::Error) -> io::Result<()> {
    if error.kind() == io::ErrorKind::NotFound {
        Ok(())
    } else {
        Err(error)
    }
}

#[cfg(test)]
#[path = "logring_tests.rs"]
mod tests;
