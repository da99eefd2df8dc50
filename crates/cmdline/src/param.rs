//! One parsed command line word.

use core::fmt;

/// One command line word: `key` alone or `key=value`, with grouping quotes removed.
///
/// Both fields borrow the original command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param<'a> {
    /// The name (the whole word when there is no `=`).
    pub key: &'a str,
    /// The text after the first `=`, if any.
    pub value: Option<&'a str>,
}

/// Formats as the word init receives: `key` or `key=value` (quotes removed, as Linux does
/// when it hands parameters to init). Use it to build argv/envp strings.
impl fmt::Display for Param<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.value {
            Some(value) => write!(f, "{}={}", self.key, value),
            None => f.write_str(self.key),
        }
    }
}

impl Param<'_> {
    /// Length in bytes of the [`Display`](fmt::Display) form, for sizing a copy.
    pub fn display_len(&self) -> usize {
        match self.value {
            Some(value) => self.key.len() + 1 + value.len(),
            None => self.key.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn displays_as_init_sees_it() {
        let bare = Param {
            key: "single",
            value: None,
        };
        let pair = Param {
            key: "TERM",
            value: Some("linux vt"),
        };
        let empty = Param {
            key: "x",
            value: Some(""),
        };
        assert_eq!(bare.to_string(), "single");
        assert_eq!(pair.to_string(), "TERM=linux vt");
        assert_eq!(empty.to_string(), "x=");
        for param in [bare, pair, empty] {
            assert_eq!(param.display_len(), param.to_string().len());
        }
    }
}
