//! Splitting the command line into [`Param`]s the way Linux's `next_arg` does.

use crate::Param;

/// Iterator over every word of a command line, including a `--` separator and the words
/// after it. Created by [`Cmdline::words`](crate::Cmdline::words).
#[derive(Debug, Clone)]
pub struct Words<'a> {
    text: &'a str,
    position: usize,
}

impl<'a> Words<'a> {
    /// Starts splitting `text` at its beginning.
    pub fn new(text: &'a str) -> Self {
        Self { text, position: 0 }
    }

    /// A sub-slice of the text; all cut points are at ASCII bytes or the ends, so this
    /// always succeeds, but a miss degrades to an empty string rather than a panic.
    fn slice(&self, start: usize, end: usize) -> &'a str {
        self.text.get(start..end).unwrap_or_default()
    }
}

/// Linux's `isspace` restricted to ASCII (bytes >= 0x80 are parts of UTF-8 characters).
fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C)
}

fn byte_at(bytes: &[u8], index: usize) -> Option<u8> {
    bytes.get(index).copied()
}

impl<'a> Iterator for Words<'a> {
    type Item = Param<'a>;

    fn next(&mut self) -> Option<Param<'a>> {
        let bytes = self.text.as_bytes();
        while byte_at(bytes, self.position).is_some_and(is_space) {
            self.position += 1;
        }
        if self.position >= bytes.len() {
            return None;
        }

        let mut start = self.position;
        let quoted = byte_at(bytes, start) == Some(b'"');
        if quoted {
            start += 1;
        }
        let mut in_quote = quoted;
        let mut equals = None;
        let mut end = start;
        while let Some(byte) = byte_at(bytes, end) {
            if is_space(byte) && !in_quote {
                break;
            }
            // A leading `=` does not split (Linux keeps it in the name).
            if byte == b'=' && equals.is_none() && end > start {
                equals = Some(end);
            }
            if byte == b'"' {
                in_quote = !in_quote;
            }
            end += 1;
        }
        self.position = end;

        let ends_with_quote = end > start && byte_at(bytes, end - 1) == Some(b'"');
        let param = match equals {
            None => {
                // `"a b"`: drop the closing quote of a word that opened with one.
                let key_end = if quoted && ends_with_quote {
                    end - 1
                } else {
                    end
                };
                Param {
                    key: self.slice(start, key_end),
                    value: None,
                }
            }
            Some(equals) => {
                let mut value_start = equals + 1;
                let mut value_end = end;
                // `key="a b"`, and `"key=a b"`: strip the quotes around the value.
                let value_quoted = byte_at(bytes, value_start) == Some(b'"');
                if value_quoted {
                    value_start += 1;
                }
                if (value_quoted || quoted) && ends_with_quote {
                    value_end = end - 1;
                }
                // `key="` leaves the closing-quote position before the value start.
                value_end = value_end.max(value_start);
                Param {
                    key: self.slice(start, equals),
                    value: Some(self.slice(value_start, value_end)),
                }
            }
        };
        Some(param)
    }
}

impl core::iter::FusedIterator for Words<'_> {}
