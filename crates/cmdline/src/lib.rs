//! Linux-compatible kernel command line parsing, borrowing the command line without copies.
//!
//! Semantics follow Linux (`lib/cmdline.c` `next_arg` and `init/main.c`):
//! - words are separated by ASCII whitespace (space, tab, newline, CR, VT, FF);
//! - a word is `key` or `key=value`, split at the first `=` that is not the word's first
//!   character;
//! - double quotes group whitespace: `key="a b"` has value `a b` and `"a b"` is the word
//!   `a b`; an unterminated quote runs to the end of the line;
//! - a lone `--` ends the kernel's parameters: every later word is for init;
//! - parameters the kernel does not know are handed to init, `key=value` ones as
//!   environment entries and the others as arguments — except names containing a `.`,
//!   which Linux treats as module parameters and hands to nobody.

#![no_std]
#![forbid(unsafe_code)]

#[cfg(test)]
extern crate std;

mod cmdline;
mod error;
mod known;
mod param;
mod words;

pub use cmdline::Cmdline;
pub use error::CmdlineError;
pub use known::is_known_key;
pub use param::Param;
pub use words::Words;

#[cfg(test)]
mod tests;
