//! Command-line options: `sysfuzz [--seconds N] [--procs P] [--seed S]`.

use std::fmt;

/// The usage line.
pub const USAGE: &str = "usage: sysfuzz [--seconds N] [--procs P] [--seed S]";

/// Parsed options.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// How long to fuzz (0..=86400).
    pub seconds: u64,
    /// How many worker processes (1..=256).
    pub procs: usize,
    /// The seed (decimal or 0x-prefixed hexadecimal).
    pub seed: u64,
    /// `--help` was given.
    pub help: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            seconds: 10,
            procs: 4,
            seed: 0x5eed,
            help: false,
        }
    }
}

const MAX_SECONDS: u64 = 86_400;
const MAX_PROCS: u64 = 256;

/// Why the command line was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OptionsError {
    /// An argument that is not an option.
    Unknown(String),
    /// An option without its value.
    MissingValue(&'static str),
    /// A value that is not a number.
    NotANumber {
        /// The option.
        option: &'static str,
        /// What was given.
        value: String,
    },
    /// A number outside the option's range.
    OutOfRange {
        /// The option.
        option: &'static str,
        /// What was given.
        value: u64,
        /// Smallest accepted.
        min: u64,
        /// Largest accepted.
        max: u64,
    },
}

impl fmt::Display for OptionsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown(argument) => write!(f, "unknown argument {argument:?}"),
            Self::MissingValue(option) => write!(f, "{option} needs a value"),
            Self::NotANumber { option, value } => {
                write!(f, "{option}: {value:?} is not a number")
            }
            Self::OutOfRange {
                option,
                value,
                min,
                max,
            } => write!(f, "{option}: {value} is not within {min}..={max}"),
        }
    }
}

impl std::error::Error for OptionsError {}

/// Parses the arguments after the program name. Values follow as the next argument or after `=`.
pub fn parse<I, S>(arguments: I) -> Result<Options, OptionsError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut options = Options::default();
    let mut arguments = arguments.into_iter();
    while let Some(argument) = arguments.next() {
        let argument = argument.as_ref();
        if argument == "--help" || argument == "-h" {
            options.help = true;
            continue;
        }
        let (name, inline_value) = match argument.split_once('=') {
            Some((name, value)) => (name, Some(value.to_owned())),
            None => (argument, None),
        };
        let option: &'static str = match name {
            "--seconds" => "--seconds",
            "--procs" => "--procs",
            "--seed" => "--seed",
            _ => return Err(OptionsError::Unknown(argument.to_owned())),
        };
        let value = match inline_value {
            Some(value) => value,
            None => arguments
                .next()
                .map(|value| value.as_ref().to_owned())
                .ok_or(OptionsError::MissingValue(option))?,
        };
        let number = parse_number(option, &value)?;
        match option {
            "--seconds" => options.seconds = in_range(option, number, 0, MAX_SECONDS)?,
            "--procs" => {
                let procs = in_range(option, number, 1, MAX_PROCS)?;
                options.procs = usize::try_from(procs).map_err(|_| OptionsError::OutOfRange {
                    option,
                    value: procs,
                    min: 1,
                    max: MAX_PROCS,
                })?;
            }
            _ => options.seed = number,
        }
    }
    Ok(options)
}

fn parse_number(option: &'static str, value: &str) -> Result<u64, OptionsError> {
    let parsed = match value
        .strip_prefix("0x")
        .or_else(|| value.strip_prefix("0X"))
    {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => value.parse(),
    };
    parsed.map_err(|_| OptionsError::NotANumber {
        option,
        value: value.to_owned(),
    })
}

fn in_range(option: &'static str, value: u64, min: u64, max: u64) -> Result<u64, OptionsError> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(OptionsError::OutOfRange {
            option,
            value,
            min,
            max,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_without_arguments() {
        assert_eq!(parse::<[&str; 0], &str>([]), Ok(Options::default()));
    }

    #[test]
    fn every_option_in_both_spellings() {
        let options = parse(["--seconds", "3", "--procs=2", "--seed", "0xff"]).unwrap();
        assert_eq!(
            options,
            Options {
                seconds: 3,
                procs: 2,
                seed: 255,
                help: false
            }
        );
        let options = parse(["--seed=18446744073709551615", "--seconds=0"]).unwrap();
        assert_eq!((options.seed, options.seconds), (u64::MAX, 0));
        assert!(parse(["--help"]).unwrap().help);
    }

    #[test]
    fn refuses_bad_command_lines() {
        assert_eq!(
            parse(["--bogus"]),
            Err(OptionsError::Unknown("--bogus".into()))
        );
        assert_eq!(
            parse(["--procs"]),
            Err(OptionsError::MissingValue("--procs"))
        );
        assert_eq!(
            parse(["--seconds", "ten"]),
            Err(OptionsError::NotANumber {
                option: "--seconds",
                value: "ten".into()
            })
        );
        assert_eq!(
            parse(["--procs", "0"]),
            Err(OptionsError::OutOfRange {
                option: "--procs",
                value: 0,
                min: 1,
                max: 256
            })
        );
        assert!(parse(["--procs", "257"]).is_err());
        assert!(parse(["--seconds", "86401"]).is_err());
        assert!(parse(["--seed", "0x"]).is_err());
        assert!(parse(["--seed", "-1"]).is_err());
        assert!(parse(["--seed", "18446744073709551616"]).is_err());
        assert_eq!(
            parse(["--procs", "0"]).unwrap_err().to_string(),
            "--procs: 0 is not within 1..=256"
        );
    }
}
