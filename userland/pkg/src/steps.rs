//! Running a recipe's build steps: each one `sh -e -c STEP` in the build directory, in order,
//! with a clean environment, standard input from /dev/null, and its output appended to the build
//! log.
//!
//! The environment is only: `PATH` (the standard system directories), `HOME` (an empty
//! directory of the build), `LC_ALL=C`, `TZ=UTC`, `SOURCE_DATE_EPOCH` (the caller's when it is a
//! number, else 0), `SRCDIR` (the build directory, where the sources are), `DESTDIR` (the empty
//! staging root that is packed afterwards) and `JOBS` (the number of CPUs); the umask is 022.
//! Where `unshare` can make a network namespace (as root, or with unprivileged user namespaces)
//! the steps run in one with no network but loopback; the log says which.
#![forbid(unsafe_code)]

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::OnceLock;

use anyhow::{bail, Context, Result};

/// The `PATH` the steps get.
pub const PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// How many of the log's last lines an error about a failed step shows.
const TAIL_LINES: usize = 20;

/// The directories of one build.
pub struct Layout {
    /// Where the sources are and the steps run (`SRCDIR`).
    pub srcdir: PathBuf,
    /// The staging root (`DESTDIR`).
    pub destdir: PathBuf,
    /// `HOME`.
    pub home: PathBuf,
}

/// The variables the steps see, in order.
pub fn environment(layout: &Layout) -> Vec<(&'static str, String)> {
    let epoch = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .filter(|value| !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or_else(|| "0".to_owned());
    let jobs = std::thread::available_parallelism().map_or(1, usize::from);
    vec![
        ("PATH", PATH.to_owned()),
        ("HOME", layout.home.display().to_string()),
        ("LC_ALL", "C".to_owned()),
        ("TZ", "UTC".to_owned()),
        ("SOURCE_DATE_EPOCH", epoch),
        ("SRCDIR", layout.srcdir.display().to_string()),
        ("DESTDIR", layout.destdir.display().to_string()),
        ("JOBS", jobs.to_string()),
    ]
}

/// The command that runs a step inside a network namespace, when this machine can make one.
fn isolation() -> &'static Option<Vec<&'static str>> {
    static PREFIX: OnceLock<Option<Vec<&'static str>>> = OnceLock::new();
    PREFIX.get_or_init(|| {
        [
            vec!["unshare", "--net", "--"],
            vec!["unshare", "--map-root-user", "--net", "--"],
        ]
        .into_iter()
        .find(|prefix| {
            Command::new(prefix[0])
                .args(&prefix[1..])
                .arg("true")
                .env_clear()
                .env("PATH", PATH)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|status| status.success())
        })
    })
}

/// What isolation the steps get, in words (for the log and the docs).
pub fn isolation_text() -> String {
    match isolation() {
        Some(prefix) => format!("no network (`{}`)", prefix.join(" ")),
        None => "none beyond the clean environment (unshare cannot make a network namespace here)"
            .to_owned(),
    }
}

fn describe(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        (None, None) => status.to_string(),
    }
}

/// The last `count` lines of the file at `path` (at most its last 64 KiB are read).
fn tail(path: &Path, count: usize) -> String {
    let Ok(mut file) = File::open(path) else {
        return String::new();
    };
    let length = file.metadata().map_or(0, |meta| meta.len());
    let _ = file.seek(SeekFrom::Start(length.saturating_sub(64 * 1024)));
    let mut bytes = Vec::new();
    let _ = file.read_to_end(&mut bytes);
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(count)..].join("\n")
}

/// Runs `steps` in order in `layout`, appending their output to the log at `log`; `status`
/// hears which step runs. A failing step stops the build with an error naming its number, its
/// command, how it ended, and the log's last lines.
pub fn run(
    steps: &[String],
    layout: &Layout,
    log: &Path,
    status: &mut dyn FnMut(&str),
) -> Result<()> {
    let mut output = OpenOptions::new()
        .append(true)
        .create(true)
        .open(log)
        .with_context(|| format!("cannot open the build log {}", log.display()))?;
    let environment = environment(layout);
    writeln!(output, "==> isolation: {}", isolation_text())?;
    for (name, value) in &environment {
        writeln!(output, "==> {name}={value}")?;
    }
    for (index, step) in steps.iter().enumerate() {
        let number = index + 1;
        status(&format!("step {number}/{}: {step}", steps.len()));
        writeln!(output, "==> step {number}/{}: {step}", steps.len())?;
        output.flush()?;
        let mut command = match isolation() {
            Some(prefix) => {
                let mut command = Command::new(prefix[0]);
                command.args(&prefix[1..]).arg("sh");
                command
            }
            None => Command::new("sh"),
        };
        let exit = command
            .arg("-e")
            .arg("-c")
            .arg(format!("umask 022\n{step}"))
            .current_dir(&layout.srcdir)
            .env_clear()
            .envs(environment.iter().map(|(name, value)| (name, value)))
            .stdin(Stdio::null())
            .stdout(output.try_clone()?)
            .stderr(output.try_clone()?)
            .status()
            .with_context(|| format!("step {number}: cannot run sh"))?;
        if !exit.success() {
            writeln!(output, "==> step {number} failed: {}", describe(exit))?;
            output.flush()?;
            bail!(
                "step {number} of {} failed ({}): `{step}`\nlast lines of the build log {}:\n{}",
                steps.len(),
                describe(exit),
                log.display(),
                tail(log, TAIL_LINES)
            );
        }
    }
    writeln!(output, "==> all {} steps done", steps.len())?;
    Ok(())
}

/// Makes the directories of a build below `work` (which exists and is empty).
pub fn make_layout(work: &Path) -> Result<Layout> {
    let layout = Layout {
        srcdir: work.join("src"),
        destdir: work.join("dest"),
        home: work.join("home"),
    };
    for dir in [&layout.srcdir, &layout.destdir, &layout.home] {
        fs::create_dir(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    Ok(layout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_step_is_named_with_its_output() {
        let work = tempfile::tempdir().unwrap();
        let layout = make_layout(work.path()).unwrap();
        let log = work.path().join("log");
        let steps = vec![
            "echo first".to_owned(),
            "echo about to fail; exit 7".to_owned(),
            "echo never".to_owned(),
        ];
        let error = run(&steps, &layout, &log, &mut |_| {})
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("step 2 of 3 failed (exit status 7)"),
            "{error}"
        );
        assert!(error.contains("about to fail"), "{error}");
        assert!(!fs::read_to_string(&log).unwrap().contains("never\n"));
    }

    #[test]
    fn steps_run_in_srcdir_with_umask_022() {
        let work = tempfile::tempdir().unwrap();
        let layout = make_layout(work.path()).unwrap();
        let log = work.path().join("log");
        let steps = vec!["touch made && umask > umask.txt && pwd > pwd.txt".to_owned()];
        run(&steps, &layout, &log, &mut |_| {}).unwrap();
        assert_eq!(
            fs::read_to_string(layout.srcdir.join("umask.txt"))
                .unwrap()
                .trim(),
            "0022"
        );
        assert_eq!(
            fs::read_to_string(layout.srcdir.join("pwd.txt"))
                .unwrap()
                .trim(),
            layout.srcdir.display().to_string()
        );
    }
}
