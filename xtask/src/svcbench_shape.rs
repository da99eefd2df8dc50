//! The service graph of the service-manager benchmark and its definitions for
//! Basalt's `init`, s6 and runit.
//!
//! 100 services: a chain `c00 → c01 → … → c09` (each needs the one before it
//! to be ready) and `f00 … f89`, each needing `c09`. Every service is the same
//! `/bin/sh` script: wait for its dependency (s6 and runit only; Basalt's init
//! orders by itself), signal readiness on fd 3 (s6's notification fd, Basalt's
//! `ready_fd`; runit has no readiness protocol, so the write fails quietly and
//! "running" counts as ready), write its name to the bench's FIFO, then
//! `exec sleep`. The time until all 100 names have arrived is the measurement.

use std::fmt::Write as _;
use std::path::Path;

/// Services in the dependency chain.
pub const CHAIN_LENGTH: usize = 10;

/// Services that all depend on the last one of the chain.
pub const FAN_OUT: usize = 90;

/// Every service in the benchmark.
pub const SERVICE_COUNT: usize = CHAIN_LENGTH + FAN_OUT;

/// The environment variable that marks every process of a run (so that
/// clean-up can find all of them, whoever their parent is by then).
pub const MARKER_VARIABLE: &str = "BASALT_SVCBENCH";

/// One service: its name and the service it waits for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Service {
    pub name: String,
    pub dependency: Option<String>,
}

/// The service managers compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Manager {
    Basalt,
    S6,
    Runit,
}

impl Manager {
    pub const ALL: [Manager; 3] = [Manager::Basalt, Manager::S6, Manager::Runit];

    /// Name in tables and directory names.
    pub fn name(self) -> &'static str {
        match self {
            Self::Basalt => "basalt",
            Self::S6 => "s6",
            Self::Runit => "runit",
        }
    }
}

/// The chain, then the fan-out, in that order.
pub fn services() -> Vec<Service> {
    let chain_name = |index: usize| format!("c{index:02}");
    let chain = (0..CHAIN_LENGTH).map(|index| Service {
        name: chain_name(index),
        dependency: index.checked_sub(1).map(chain_name),
    });
    let last_of_chain = chain_name(CHAIN_LENGTH - 1);
    let fan_out = (0..FAN_OUT).map(|index| Service {
        name: format!("f{index:02}"),
        dependency: Some(last_of_chain.clone()),
    });
    chain.chain(fan_out).collect()
}

/// Where each manager keeps what a service script needs to know.
pub struct ScriptContext<'a> {
    /// The FIFO the bench reads names from.
    pub fifo: &'a Path,
    /// The directory holding one directory per service (s6's scan directory,
    /// runit's service directory); unused for Basalt.
    pub service_root: &'a Path,
    /// runit's `sv`; unused otherwise.
    pub sv: &'a Path,
}

/// The `/bin/sh` script of `service` under `manager`.
pub fn run_script(manager: Manager, service: &Service, context: &ScriptContext) -> String {
    let mut script = String::from("#!/bin/sh\n");
    if let Some(dependency) = &service.dependency {
        let dependency_dir = context.service_root.join(dependency);
        let dependency_dir = shell_quote(&dependency_dir.display().to_string());
        // Each manager's own tool waits for the dependency; the loop covers
        // the moment before the dependency's supervisor exists (both tools
        // fail at once then, and the run script would otherwise be restarted
        // only after a 1 s pause).
        match manager {
            Manager::Basalt => {}
            Manager::S6 => {
                let _ = writeln!(
                    script,
                    "until s6-svwait -U {dependency_dir} 2>/dev/null; do sleep 0.01; done"
                );
            }
            Manager::Runit => {
                let sv = shell_quote(&context.sv.display().to_string());
                let _ = writeln!(
                    script,
                    "until {sv} check {dependency_dir} >/dev/null 2>&1; do sleep 0.01; done"
                );
            }
        }
    }
    let fifo = shell_quote(&context.fifo.display().to_string());
    let _ = write!(
        script,
        "{{ printf '\\n' >&3; }} 2>/dev/null\n\
         exec 3>&-\n\
         echo {name} >{fifo}\n\
         exec sleep 100000\n",
        name = service.name,
    );
    script
}

/// Basalt's `services/NAME.toml` for `service`, whose script is `script`.
pub fn basalt_definition(service: &Service, script: &Path, marker: &str) -> String {
    let mut toml = format!(
        "command = {}\ntype = \"notify\"\nready_fd = 3\nenvironment = {{ {MARKER_VARIABLE} = {} }}\n",
        toml_string(&script.display().to_string()),
        toml_string(marker),
    );
    if let Some(dependency) = &service.dependency {
        let _ = writeln!(
            toml,
            "requires = [{0}]\nafter = [{0}]",
            toml_string(dependency)
        );
    }
    toml
}

/// `'text'` for /bin/sh.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// A TOML basic string.
fn toml_string(text: &str) -> String {
    let mut quoted = String::from("\"");
    for character in text.chars() {
        match character {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            control if control.is_control() => {
                let _ = write!(quoted, "\\u{:04X}", u32::from(control));
            }
            other => quoted.push(other),
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_then_fan_out() {
        let services = services();
        assert_eq!(services.len(), SERVICE_COUNT);
        assert_eq!(services[0].name, "c00");
        assert_eq!(services[0].dependency, None);
        assert_eq!(services[9].dependency.as_deref(), Some("c08"));
        assert!(services[10..]
            .iter()
            .all(|service| service.dependency.as_deref() == Some("c09")));
        assert_eq!(services[99].name, "f89");
        let mut names: Vec<_> = services.iter().map(|service| &service.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), SERVICE_COUNT, "names are unique");
    }

    fn context() -> ScriptContext<'static> {
        ScriptContext {
            fifo: Path::new("/t/ready fifo"),
            service_root: Path::new("/t/scan"),
            sv: Path::new("/c/sv"),
        }
    }

    #[test]
    fn scripts_wait_with_each_managers_tool() {
        let service = Service {
            name: "f01".into(),
            dependency: Some("c09".into()),
        };
        let s6 = run_script(Manager::S6, &service, &context());
        assert!(
            s6.contains("until s6-svwait -U '/t/scan/c09' 2>/dev/null;"),
            "{s6}"
        );
        let runit = run_script(Manager::Runit, &service, &context());
        assert!(
            runit.contains("until '/c/sv' check '/t/scan/c09' >/dev/null"),
            "{runit}"
        );
        let basalt = run_script(Manager::Basalt, &service, &context());
        assert!(!basalt.contains("until"), "{basalt}");
        for script in [s6, runit, basalt] {
            assert!(script.starts_with("#!/bin/sh\n"));
            assert!(script.contains("echo f01 >'/t/ready fifo'\n"), "{script}");
            assert!(script.ends_with("exec sleep 100000\n"));
        }
    }

    #[test]
    fn first_of_chain_waits_for_nothing() {
        let service = &services()[0];
        assert!(!run_script(Manager::S6, service, &context()).contains("until"));
        let toml = basalt_definition(service, Path::new("/s/c00"), "m");
        assert!(!toml.contains("requires"), "{toml}");
    }

    #[test]
    fn basalt_definition_requires_and_orders() {
        let service = &services()[3];
        let toml = basalt_definition(service, Path::new("/s/\"c03\""), "tok 1");
        assert_eq!(
            toml,
            "command = \"/s/\\\"c03\\\"\"\ntype = \"notify\"\nready_fd = 3\n\
             environment = { BASALT_SVCBENCH = \"tok 1\" }\n\
             requires = [\"c02\"]\nafter = [\"c02\"]\n"
        );
    }

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("a'b"), "'a'\\''b'");
        assert_eq!(toml_string("a\tb"), "\"a\\u0009b\"");
    }
}
