//! Command-line options.

use std::fmt;

/// Argument that makes the program exit at once (the target of the exec benchmark).
pub const EXIT_NOW: &str = "--exit-now";

/// What the command line asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `--exit-now`: exit with status 0 immediately.
    ExitNow,
    /// Run the benchmarks.
    Run(Options),
}

/// Options of a benchmark run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// `--quick`: few iterations, for tests.
    pub quick: bool,
    /// `--exec-path PATH`: the program `fork_exec_wait` executes (default: this program).
    pub exec_path: Option<String>,
}

/// A command line that cannot be understood.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArgsError {
    /// An argument that is not an option of this program.
    Unknown(String),
    /// An option that needs a value came last.
    MissingValue(&'static str),
    /// An option given twice.
    Repeated(&'static str),
    /// `--exit-now` must come alone: it is not an option of a run.
    ExitNowWithOthers,
}

impl fmt::Display for ArgsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown(argument) => write!(f, "unknown argument {argument:?}"),
            Self::MissingValue(option) => write!(f, "{option} needs a value"),
            Self::Repeated(option) => write!(f, "{option} given more than once"),
            Self::ExitNowWithOthers => write!(f, "{EXIT_NOW} takes no other arguments"),
        }
    }
}

/// Usage text for errors.
pub const USAGE: &str = "usage: bench [--quick] [--exec-path PATH]";

/// Parses the arguments after the program name.
pub fn parse<S: AsRef<str>>(arguments: &[S]) -> Result<Mode, ArgsError> {
    if arguments
        .iter()
        .any(|argument| argument.as_ref() == EXIT_NOW)
    {
        return if arguments.len() == 1 {
            Ok(Mode::ExitNow)
        } else {
            Err(ArgsError::ExitNowWithOthers)
        };
    }
    let mut options = Options::default();
    let mut rest = arguments.iter().map(AsRef::as_ref);
    while let Some(argument) = rest.next() {
        match argument {
            "--quick" => {
                if options.quick {
                    return Err(ArgsError::Repeated("--quick"));
                }
                options.quick = true;
            }
            "--exec-path" => {
                if options.exec_path.is_some() {
                    return Err(ArgsError::Repeated("--exec-path"));
                }
                let path = rest.next().ok_or(ArgsError::MissingValue("--exec-path"))?;
                options.exec_path = Some(path.to_owned());
            }
            other => return Err(ArgsError::Unknown(other.to_owned())),
        }
    }
    Ok(Mode::Run(options))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(options: Options) -> Result<Mode, ArgsError> {
        Ok(Mode::Run(options))
    }

    #[test]
    fn no_arguments_is_a_full_run() {
        assert_eq!(parse::<&str>(&[]), run(Options::default()));
    }

    #[test]
    fn quick_and_exec_path_in_any_order() {
        let expected = Options {
            quick: true,
            exec_path: Some("/bench".into()),
        };
        assert_eq!(
            parse(&["--quick", "--exec-path", "/bench"]),
            run(expected.clone())
        );
        assert_eq!(parse(&["--exec-path", "/bench", "--quick"]), run(expected));
    }

    #[test]
    fn exit_now_only_alone() {
        assert_eq!(parse(&["--exit-now"]), Ok(Mode::ExitNow));
        assert_eq!(
            parse(&["--quick", "--exit-now"]),
            Err(ArgsError::ExitNowWithOthers)
        );
    }

    #[test]
    fn errors_name_the_problem() {
        assert_eq!(parse(&["--fast"]), Err(ArgsError::Unknown("--fast".into())));
        assert_eq!(
            parse(&["--exec-path"]),
            Err(ArgsError::MissingValue("--exec-path"))
        );
        assert_eq!(
            parse(&["--quick", "--quick"]),
            Err(ArgsError::Repeated("--quick"))
        );
        assert_eq!(
            parse(&["--exec-path", "a", "--exec-path", "b"]),
            Err(ArgsError::Repeated("--exec-path"))
        );
        assert_eq!(
            ArgsError::Unknown("x".into()).to_string(),
            "unknown argument \"x\""
        );
        assert_eq!(
            ArgsError::MissingValue("--exec-path").to_string(),
            "--exec-path needs a value"
        );
        assert_eq!(
            ArgsError::ExitNowWithOthers.to_string(),
            "--exit-now takes no other arguments"
        );
    }

    /// Random argument lists against a model of the grammar.
    #[test]
    fn random_command_lines_match_a_model() {
        let words = ["--quick", "--exec-path", "/p", "--exit-now", "x", ""];
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..5000 {
            let length = (next() % 5) as usize;
            let arguments: Vec<&str> = (0..length)
                .map(|_| words[(next() % words.len() as u64) as usize])
                .collect();
            assert_eq!(parse(&arguments), model(&arguments), "{arguments:?}");
        }
    }

    /// The grammar, written differently: a left-to-right scan with explicit state.
    fn model(arguments: &[&str]) -> Result<Mode, ArgsError> {
        if arguments.contains(&"--exit-now") {
            return if arguments == ["--exit-now"] {
                Ok(Mode::ExitNow)
            } else {
                Err(ArgsError::ExitNowWithOthers)
            };
        }
        let (mut quick, mut path, mut index) = (false, None, 0);
        while index < arguments.len() {
            match arguments[index] {
                "--quick" if quick => return Err(ArgsError::Repeated("--quick")),
                "--quick" => quick = true,
                "--exec-path" if path.is_some() => return Err(ArgsError::Repeated("--exec-path")),
                "--exec-path" => match arguments.get(index + 1) {
                    Some(value) => {
                        path = Some(value.to_string());
                        index += 1;
                    }
                    None => return Err(ArgsError::MissingValue("--exec-path")),
                },
                other => return Err(ArgsError::Unknown(other.to_string())),
            }
            index += 1;
        }
        Ok(Mode::Run(Options {
            quick,
            exec_path: path,
        }))
    }
}
