//! The error for input that must not be used: bad signatures, untrusted keys, tampered or unsafe
//! contents. The command-line tool gives these their own exit code.
#![forbid(unsafe_code)]

use std::path::PathBuf;

/// `file` was refused because of `reason`.
#[derive(Debug, thiserror::Error)]
#[error("{}: refused: {reason}", file.display())]
pub struct Refused {
    pub file: PathBuf,
    pub reason: String,
}

impl Refused {
    pub fn new(file: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            reason: reason.into(),
        }
    }
}
