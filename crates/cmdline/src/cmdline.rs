//! The parsed command line and its queries.

use crate::words::Words;
use crate::{is_known_key, CmdlineError, Param};

/// `loglevel` values accepted (KERN_EMERG..=KERN_DEBUG).
const MAX_LOGLEVEL: u8 = 7;
/// Console log level `quiet` selects, as Linux's `CONSOLE_LOGLEVEL_QUIET`.
const QUIET_LOGLEVEL: u8 = 4;

/// A kernel command line. Parsing is lazy: every query re-splits the borrowed string,
/// which is cheap and needs no storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cmdline<'a> {
    text: &'a str,
}

/// True for the word that separates kernel parameters from init's arguments.
fn is_separator(param: &Param<'_>) -> bool {
    param.key == "--" && param.value.is_none()
}

/// Linux hands unknown names containing a `.` to no one: they are module parameters.
fn is_module_param(param: &Param<'_>) -> bool {
    param.key.contains('.')
}

impl<'a> Cmdline<'a> {
    /// Wraps a command line; never fails (any string splits into words).
    pub fn parse(text: &'a str) -> Self {
        Self { text }
    }

    /// The original text.
    pub fn as_str(&self) -> &'a str {
        self.text
    }

    /// Every word, including a `--` separator and the words after it.
    pub fn words(&self) -> Words<'a> {
        Words::new(self.text)
    }

    /// Kernel parameters: the words before the first lone `--`.
    pub fn params(&self) -> impl Iterator<Item = Param<'a>> + 'a {
        self.words().take_while(|param| !is_separator(param))
    }

    /// The words after the first lone `--`, which all belong to init.
    pub fn after_separator(&self) -> impl Iterator<Item = Param<'a>> + 'a {
        self.words()
            .skip_while(|param| !is_separator(param))
            .skip(1)
    }

    /// The value of the last `key=value` occurrence of `key` (like Linux, later settings
    /// override earlier ones; bare `key` words are ignored here, see [`Self::flag`]).
    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.params()
            .filter(|param| param.key == key)
            .filter_map(|param| param.value)
            .last()
    }

    /// True if `key` appears at all, with or without a value.
    pub fn flag(&self, key: &str) -> bool {
        self.params().any(|param| param.key == key)
    }

    /// The console log level: `loglevel=N` with `N` in `0..=7`; if `loglevel` is absent,
    /// `quiet` means 4 (Linux's `CONSOLE_LOGLEVEL_QUIET`); otherwise `None` (the caller's
    /// default applies).
    pub fn loglevel(&self) -> Result<Option<u8>, CmdlineError<'a>> {
        const KEY: &str = "loglevel";
        let Some(last) = self.params().filter(|param| param.key == KEY).last() else {
            return Ok(self.flag("quiet").then_some(QUIET_LOGLEVEL));
        };
        let value = last.value.ok_or(CmdlineError::MissingValue { key: KEY })?;
        match value.parse::<u8>() {
            Ok(level) if level <= MAX_LOGLEVEL => Ok(Some(level)),
            _ => Err(CmdlineError::InvalidValue { key: KEY, value }),
        }
    }

    /// Parameters (before `--`) the kernel does not know; the kernel should warn about
    /// them. Includes dotted module-style names, which are not passed to init.
    pub fn unknown(&self) -> impl Iterator<Item = Param<'a>> + 'a {
        self.params().filter(|param| !is_known_key(param.key))
    }

    /// init's arguments after `argv[0]`: unknown bare parameters (not dotted), then every
    /// word after `--`. Format each with `Display` (`key` or `key=value`).
    pub fn init_args(&self) -> impl Iterator<Item = Param<'a>> + 'a {
        self.unknown()
            .filter(|param| param.value.is_none() && !is_module_param(param))
            .chain(self.after_separator())
    }

    /// init's environment: unknown `key=value` parameters (not dotted) before `--`.
    /// Format each with `Display` to get `key=value` with quotes removed.
    pub fn init_env(&self) -> impl Iterator<Item = Param<'a>> + 'a {
        self.unknown()
            .filter(|param| param.value.is_some() && !is_module_param(param))
    }
}
