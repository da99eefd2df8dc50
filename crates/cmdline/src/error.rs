//! Errors for typed parameter accessors.

use core::fmt;

/// A parameter is present but its value is not acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmdlineError<'a> {
    /// The parameter needs a value (`key=value`) but was given as a bare word.
    MissingValue {
        /// The parameter name.
        key: &'static str,
    },
    /// The value is not valid for the parameter.
    InvalidValue {
        /// The parameter name.
        key: &'static str,
        /// The rejected value, as written (quotes removed).
        value: &'a str,
    },
}

impl fmt::Display for CmdlineError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingValue { key } => write!(f, "kernel parameter `{key}` needs a value"),
            Self::InvalidValue { key, value } => {
                write!(f, "invalid value `{value}` for kernel parameter `{key}`")
            }
        }
    }
}
