//! Service definitions: `NAME.toml` (or the template `NAME@.toml`) parsed and checked.
//!
//! Parsing is strict (unknown keys are errors) so that a typo does not silently change how a service runs;
//! every error names the file and, where the TOML parser or a span knows it, the line.
#![forbid(unsafe_code)]

use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;

/// What a definition error says: the file, the line when known, the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for DefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file.display(), line, self.message),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

/// How the supervisor knows a service is ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceType {
    /// Ready as soon as it runs.
    Simple,
    /// Ready (done) when it exits with status 0.
    Oneshot,
    /// Ready when it says so: `READY=1` on `NOTIFY_SOCKET`, or a newline on `ready_fd`.
    Notify,
}

/// When a service that ended is started again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RestartPolicy {
    Always,
    OnFailure,
    Never,
}

/// A resource limit: one number for both, or `[soft, hard]`; `"infinity"` for no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub soft: Option<u64>,
    pub hard: Option<u64>,
}

/// The rlimits a definition may set, by the names `ulimit` and systemd's `Limit*=` use.
pub const RLIMIT_NAMES: &[&str] = &[
    "as", "core", "cpu", "data", "fsize", "memlock", "nofile", "nproc", "stack",
];

/// A checked service definition, instantiated when it came from a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Definition {
    pub name: String,
    pub file: PathBuf,
    pub description: String,
    pub command: String,
    pub args: Vec<String>,
    pub environment: BTreeMap<String, String>,
    pub working_directory: Option<String>,
    pub user: Option<String>,
    pub group: Option<String>,
    /// Start in a new session (`setsid`), e.g. a getty that takes a terminal as its controlling tty; otherwise
    /// only in a new process group.
    pub session: bool,
    pub requires: Vec<String>,
    pub wants: Vec<String>,
    pub after: Vec<String>,
    pub before: Vec<String>,
    pub service_type: ServiceType,
    pub ready_fd: Option<i32>,
    pub restart: RestartPolicy,
    pub restart_delay: Duration,
    pub restart_delay_max: Duration,
    pub restart_limit: u32,
    pub restart_window: Duration,
    pub stop_signal: String,
    pub stop_timeout: Duration,
    pub rlimits: BTreeMap<String, Limit>,
    pub log_ring_lines: usize,
    pub log_max_bytes: u64,
    pub log_keep: u32,
    /// Instances of a template started at boot (`instances = ["ttyS0"]` in `getty@.toml`).
    pub instances: Vec<String>,
}

/// Stop signals a definition may name (without the `SIG` prefix).
pub const STOP_SIGNALS: &[&str] = &[
    "TERM", "INT", "QUIT", "HUP", "KILL", "USR1", "USR2", "ABRT", "ALRM", "WINCH", "PWR",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLog {
    ring_lines: Option<usize>,
    max_bytes: Option<u64>,
    keep: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawLimitValue {
    Number(u64),
    Word(String),
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawLimit {
    Both(RawLimitValue),
    Pair(RawLimitValue, RawLimitValue),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefinition {
    #[serde(default)]
    description: String,
    command: Spanned<String>,
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    environment: BTreeMap<String, String>,
    working_directory: Option<String>,
    user: Option<String>,
    group: Option<String>,
    #[serde(default)]
    session: bool,
    requires: Option<Spanned<Vec<String>>>,
    wants: Option<Spanned<Vec<String>>>,
    after: Option<Spanned<Vec<String>>>,
    before: Option<Spanned<Vec<String>>>,
    #[serde(rename = "type")]
    service_type: Option<ServiceType>,
    ready_fd: Option<Spanned<i64>>,
    restart: Option<RestartPolicy>,
    restart_delay_ms: Option<u64>,
    restart_delay_max_ms: Option<u64>,
    restart_limit: Option<u32>,
    restart_window_s: Option<u64>,
    stop_signal: Option<Spanned<String>>,
    stop_timeout_ms: Option<u64>,
    #[serde(default)]
    rlimits: BTreeMap<String, Spanned<RawLimit>>,
    log: Option<RawLog>,
    instances: Option<Spanned<Vec<String>>>,
}

/// A parsed definition file, not yet instantiated (templates need an instance name).
#[derive(Debug, Clone)]
pub struct DefinitionFile {
    file: PathBuf,
    text: String,
    base: String,
    is_template: bool,
}

/// Whether `name` is a valid service name: `base` or `base@instance`, from a small safe alphabet.
pub fn valid_name(name: &str) -> bool {
    let (base, instance) = match name.split_once('@') {
        Some((base, instance)) => (base, Some(instance)),
        None => (name, None),
    };
    valid_word(base) && instance.is_none_or(valid_word)
}

fn valid_word(word: &str) -> bool {
    !word.is_empty()
        && word.len() <= 64
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'))
        && !word.starts_with('.')
}

impl DefinitionFile {
    /// Reads `path`; its file name gives the service (`NAME.toml`) or template (`NAME@.toml`) name.
    pub fn read(path: &Path) -> Result<Self, DefError> {
        let stem = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".toml"))
            .unwrap_or("");
        let (base, is_template) = match stem.strip_suffix('@') {
            Some(base) => (base, true),
            None => (stem, false),
        };
        if !valid_word(base) {
            return Err(error(
                path,
                None,
                "not a valid service file name (NAME.toml or NAME@.toml; letters, digits, _ - . :)",
            ));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| error(path, None, &format!("cannot read: {e}")))?;
        let file = Self {
            file: path.to_path_buf(),
            text,
            base: base.to_string(),
            is_template,
        };
        // Check it once now, so that a bad file is reported at load time, not when first used.
        file.instantiate(if is_template { Some("check") } else { None })?;
        Ok(file)
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn is_template(&self) -> bool {
        self.is_template
    }

    /// The boot-time instances a template names (none for plain services).
    pub fn boot_instances(&self) -> Vec<String> {
        self.instantiate(Some("check"))
            .map(|d| d.instances)
            .unwrap_or_default()
    }

    /// The definition of this service, or of `instance` when this is a template (`%i` is the instance name).
    pub fn instantiate(&self, instance: Option<&str>) -> Result<Definition, DefError> {
        let path = &self.file;
        let line_of = |offset: usize| line_at(&self.text, offset);
        let raw: RawDefinition = toml::from_str(&self.text).map_err(|e| {
            let line = e.span().map(|span| line_of(span.start));
            error(path, line, e.message())
        })?;
        let name = match (self.is_template, instance) {
            (true, Some(instance)) if valid_word(instance) => format!("{}@{}", self.base, instance),
            (true, Some(instance)) => {
                return Err(error(
                    path,
                    None,
                    &format!("`{instance}` is not a valid instance name"),
                ))
            }
            (true, None) => {
                return Err(error(
                    path,
                    None,
                    "a template needs an instance name (NAME@INSTANCE)",
                ))
            }
            (false, _) => self.base.clone(),
        };
        let subst = |s: &str| match instance {
            Some(instance) if self.is_template => s.replace("%i", instance),
            _ => s.to_string(),
        };
        let spanned_error = |span: std::ops::Range<usize>, message: String| {
            error(path, Some(line_of(span.start)), &message)
        };

        if raw.command.get_ref().is_empty() {
            return Err(spanned_error(
                raw.command.span(),
                "`command` is empty".into(),
            ));
        }
        let check_names =
            |key: &str, list: &Option<Spanned<Vec<String>>>| -> Result<Vec<String>, DefError> {
                let mut checked = Vec::new();
                let Some(list) = list else { return Ok(checked) };
                for entry in list.get_ref() {
                    let entry = subst(entry);
                    if !valid_name(&entry) {
                        return Err(spanned_error(
                            list.span(),
                            format!("`{key}`: `{entry}` is not a valid service name"),
                        ));
                    }
                    if entry == name {
                        return Err(spanned_error(
                            list.span(),
                            format!("`{key}`: a service cannot depend on itself"),
                        ));
                    }
                    checked.push(entry);
                }
                Ok(checked)
            };
        let requires = check_names("requires", &raw.requires)?;
        let wants = check_names("wants", &raw.wants)?;
        let after = check_names("after", &raw.after)?;
        let before = check_names("before", &raw.before)?;
        let ready_fd = match &raw.ready_fd {
            Some(fd) if !(3..=1023).contains(fd.get_ref()) => {
                return Err(spanned_error(
                    fd.span(),
                    "`ready_fd` must be between 3 and 1023 (0-2 are stdio)".into(),
                ))
            }
            Some(fd) => Some(*fd.get_ref() as i32),
            None => None,
        };
        let service_type = raw.service_type.unwrap_or(ServiceType::Simple);
        if ready_fd.is_some() && service_type != ServiceType::Notify {
            let span = raw.ready_fd.as_ref().map(|fd| fd.span()).unwrap_or(0..0);
            return Err(spanned_error(
                span,
                "`ready_fd` needs `type = \"notify\"`".into(),
            ));
        }
        let stop_signal = match &raw.stop_signal {
            Some(signal) => {
                let bare = signal.get_ref().trim_start_matches("SIG").to_string();
                if !STOP_SIGNALS.contains(&bare.as_str()) {
                    return Err(spanned_error(
                        signal.span(),
                        format!(
                            "`stop_signal`: unknown signal `{}` (one of {})",
                            signal.get_ref(),
                            STOP_SIGNALS.join(", ")
                        ),
                    ));
                }
                bare
            }
            None => "TERM".to_string(),
        };
        let mut rlimits = BTreeMap::new();
        for (key, limit) in &raw.rlimits {
            if !RLIMIT_NAMES.contains(&key.as_str()) {
                return Err(spanned_error(
                    limit.span(),
                    format!(
                        "`rlimits`: unknown limit `{key}` (one of {})",
                        RLIMIT_NAMES.join(", ")
                    ),
                ));
            }
            let value = |v: &RawLimitValue| match v {
                RawLimitValue::Number(n) => Ok(Some(*n)),
                RawLimitValue::Word(w) if w == "infinity" => Ok(None),
                RawLimitValue::Word(w) => Err(spanned_error(
                    limit.span(),
                    format!("`rlimits.{key}`: `{w}` is not a number or \"infinity\""),
                )),
            };
            let parsed = match limit.get_ref() {
                RawLimit::Both(v) => {
                    let v = value(v)?;
                    Limit { soft: v, hard: v }
                }
                RawLimit::Pair(soft, hard) => Limit {
                    soft: value(soft)?,
                    hard: value(hard)?,
                },
            };
            if let (Some(soft), Some(hard)) = (parsed.soft, parsed.hard) {
                if soft > hard {
                    return Err(spanned_error(
                        limit.span(),
                        format!("`rlimits.{key}`: soft limit above the hard one"),
                    ));
                }
            }
            rlimits.insert(key.clone(), parsed);
        }
        let mut instances = Vec::new();
        if let Some(list) = &raw.instances {
            if !self.is_template {
                return Err(spanned_error(
                    list.span(),
                    "`instances` is only for templates (NAME@.toml)".into(),
                ));
            }
            for instance in list.get_ref() {
                if !valid_word(instance) {
                    return Err(spanned_error(
                        list.span(),
                        format!("`instances`: `{instance}` is not a valid instance name"),
                    ));
                }
                instances.push(instance.clone());
            }
        }
        let log = raw.log.unwrap_or(RawLog {
            ring_lines: None,
            max_bytes: None,
            keep: None,
        });
        let restart_delay = Duration::from_millis(raw.restart_delay_ms.unwrap_or(100));
        Ok(Definition {
            name,
            file: path.clone(),
            description: subst(&raw.description),
            command: subst(raw.command.get_ref()),
            args: raw.args.iter().map(|a| subst(a)).collect(),
            environment: raw
                .environment
                .iter()
                .map(|(k, v)| (k.clone(), subst(v)))
                .collect(),
            working_directory: raw.working_directory.as_deref().map(subst),
            user: raw.user.as_deref().map(subst),
            group: raw.group.as_deref().map(subst),
            session: raw.session,
            requires,
            wants,
            after,
            before,
            service_type,
            ready_fd,
            restart: raw.restart.unwrap_or(RestartPolicy::Never),
            restart_delay,
            restart_delay_max: Duration::from_millis(raw.restart_delay_max_ms.unwrap_or(5000))
                .max(restart_delay),
            restart_limit: raw.restart_limit.unwrap_or(3),
            restart_window: Duration::from_secs(raw.restart_window_s.unwrap_or(10)),
            stop_signal,
            stop_timeout: Duration::from_millis(raw.stop_timeout_ms.unwrap_or(5000)),
            rlimits,
            log_ring_lines: log.ring_lines.unwrap_or(200).clamp(1, 100_000),
            log_max_bytes: log.max_bytes.unwrap_or(1 << 20).max(1),
            log_keep: log.keep.unwrap_or(3),
            instances,
        })
    }
}

fn error(file: &Path, line: Option<usize>, message: &str) -> DefError {
    DefError {
        file: file.to_path_buf(),
        line,
        message: message.trim().to_string(),
    }
}

/// 1-based line number of a byte offset.
fn line_at(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
#[path = "def_tests.rs"]
mod tests;
