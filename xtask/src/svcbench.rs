//! The service-manager part of `cargo xtask bench`: how long Basalt's `init
//! --supervise`, s6 (`s6-svscan`) and runit (`runsvdir`) take, on the host,
//! until 100 trivial services with a dependency chain and a fan-out are all
//! ready (the graph and the scripts are in [`crate::svcbench_shape`]).
//!
//! Each run starts from fresh directories; the clock starts just before the
//! supervisor is spawned and stops when the bench has read all 100 names from
//! its FIFO. Runs alternate between the managers, so that a busy moment on the
//! host does not hit one of them only. Every process of a run carries an
//! environment marker; after the supervisor has been asked to stop, whatever
//! still has the marker is killed, also when a run fails. xtask is a child
//! subreaper meanwhile, so that the orphans end as its children and are reaped
//! (on a host whose PID 1 does not reap, they would stay zombies).

use crate::cargo;
use crate::host_tools::{self, Tool};
use crate::paths::Paths;
use crate::reference;
use crate::svcbench_shape::{
    self as shape, Manager, ScriptContext, MARKER_VARIABLE, SERVICE_COUNT,
};
use anyhow::{bail, Context, Result};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::prctl::set_child_subreaper;
use nix::sys::signal::{kill, Signal};
use nix::sys::stat::Mode;
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::{mkfifo, Pid};
use std::collections::HashSet;
use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::Read;
use std::os::fd::AsFd;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Runs per manager.
const FULL_REPETITIONS: usize = 7;
const QUICK_REPETITIONS: usize = 3;

/// Longest a run may take before it counts as failed (hang protection only).
const RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a supervisor gets to stop its services before everything is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// The figures of one manager.
#[derive(Clone, Debug, PartialEq)]
pub struct ManagerTimes {
    pub manager: Manager,
    pub runs: Vec<Duration>,
}

/// What the section needs besides the figures.
struct Setup {
    basalt_init: PathBuf,
    runit: PathBuf,
    /// Short (Unix socket paths are limited to 108 bytes): a directory in /tmp.
    work: PathBuf,
    /// out/svcbench: the supervisors' output of the last run of each.
    logs: PathBuf,
}

/// Measures all three and returns the Markdown section (also printed).
pub fn run(paths: &Paths, quick: bool) -> Result<String> {
    host_tools::ensure(&[Tool::S6])?;
    let runit = reference::runit()?;
    let basalt_init = build_basalt_init(paths.root())?;
    let work = std::env::temp_dir().join(format!("basalt-svcbench-{}", std::process::id()));
    let logs = paths.out().join("svcbench");
    fs::create_dir_all(&logs).with_context(|| format!("creating {}", logs.display()))?;
    let setup = Setup {
        basalt_init,
        runit,
        work,
        logs,
    };
    let repetitions = if quick {
        QUICK_REPETITIONS
    } else {
        FULL_REPETITIONS
    };
    set_child_subreaper(true).context("cannot become a child subreaper")?;
    let result = measure_all(&setup, repetitions);
    let _ = set_child_subreaper(false);
    let _ = fs::remove_dir_all(&setup.work);
    let times = result?;
    let section = section(&times, repetitions, &paths.display(&setup.logs));
    println!();
    print!("{section}");
    Ok(section)
}

fn measure_all(setup: &Setup, repetitions: usize) -> Result<Vec<ManagerTimes>> {
    let mut times: Vec<ManagerTimes> = Manager::ALL
        .iter()
        .map(|&manager| ManagerTimes {
            manager,
            runs: Vec::new(),
        })
        .collect();
    for repetition in 0..repetitions {
        for entry in &mut times {
            let elapsed = measure_once(setup, entry.manager, repetition).with_context(|| {
                format!(
                    "{} run {} (supervisor output: {})",
                    entry.manager.name(),
                    repetition + 1,
                    setup.logs.join(log_name(entry.manager)).display()
                )
            })?;
            println!(
                "svcbench: {} run {}: {:.1} ms",
                entry.manager.name(),
                repetition + 1,
                milliseconds(elapsed)
            );
            entry.runs.push(elapsed);
        }
    }
    Ok(times)
}

fn log_name(manager: Manager) -> String {
    format!("{}.log", manager.name())
}

/// `cargo build --release -p basalt-svc --bin init` for the host.
fn build_basalt_init(root: &Path) -> Result<PathBuf> {
    let mut command = cargo::command(root);
    command.args([
        "build",
        "--release",
        "--package",
        "basalt-svc",
        "--bin",
        "init",
        "--message-format=json-render-diagnostics",
    ]);
    cargo::run_for_executable(command, "basalt-svc", "init")
}

/// One run of `manager` from fresh directories; the time until all services were ready.
fn measure_once(setup: &Setup, manager: Manager, repetition: usize) -> Result<Duration> {
    let directory = setup.work.join(manager.name());
    if directory.exists() {
        fs::remove_dir_all(&directory)
            .with_context(|| format!("removing {}", directory.display()))?;
    }
    fs::create_dir_all(&directory).with_context(|| format!("creating {}", directory.display()))?;
    let fifo = directory.join("ready");
    mkfifo(&fifo, Mode::S_IRUSR | Mode::S_IWUSR)
        .with_context(|| format!("creating the FIFO {}", fifo.display()))?;
    let marker = format!("{}-{}-{repetition}", std::process::id(), manager.name());
    let mut command = write_definitions(setup, manager, &directory, &fifo, &marker)?;
    // Read and write: the FIFO never reports end-of-file between writers, and
    // opening does not wait for one.
    let reader = File::options()
        .read(true)
        .write(true)
        .open(&fifo)
        .with_context(|| format!("opening {}", fifo.display()))?;
    let log_path = setup.logs.join(log_name(manager));
    let log =
        File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?;
    command
        .env(MARKER_VARIABLE, &marker)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .process_group(0);
    let mut run = Run {
        manager,
        marker,
        child: None,
    };
    let start = Instant::now();
    run.child = Some(command.spawn().context("cannot start the supervisor")?);
    let elapsed = wait_for_all(&reader, &mut run, start)?;
    run.stop()?;
    Ok(elapsed)
}

/// Writes the definitions and returns the command that starts the supervisor.
fn write_definitions(
    setup: &Setup,
    manager: Manager,
    directory: &Path,
    fifo: &Path,
    marker: &str,
) -> Result<Command> {
    let service_root = directory.join(match manager {
        Manager::Basalt => "scripts",
        Manager::S6 => "scan",
        Manager::Runit => "service",
    });
    let sv = setup.runit.join("sv");
    let context = ScriptContext {
        fifo,
        service_root: &service_root,
        sv: &sv,
    };
    fs::create_dir_all(&service_root)?;
    if manager == Manager::Basalt {
        fs::create_dir_all(directory.join("services"))?;
    }
    for service in shape::services() {
        let script = shape::run_script(manager, &service, &context);
        let script_path = match manager {
            Manager::Basalt => service_root.join(&service.name),
            Manager::S6 | Manager::Runit => {
                let service_dir = service_root.join(&service.name);
                fs::create_dir_all(&service_dir)?;
                service_dir.join("run")
            }
        };
        write_executable(&script_path, &script)?;
        match manager {
            Manager::Basalt => fs::write(
                directory
                    .join("services")
                    .join(format!("{}.toml", service.name)),
                shape::basalt_definition(&service, &script_path, marker),
            )?,
            Manager::S6 => fs::write(
                service_root.join(&service.name).join("notification-fd"),
                "3\n",
            )?,
            Manager::Runit => {}
        }
    }
    let command = match manager {
        Manager::Basalt => {
            let mut command = Command::new(&setup.basalt_init);
            command.arg("--supervise").arg(directory);
            command
        }
        Manager::S6 => {
            let mut command = Command::new("/usr/bin/s6-svscan");
            command.arg(&service_root);
            command
        }
        Manager::Runit => {
            let mut command = Command::new(setup.runit.join("runsvdir"));
            command.arg(&service_root);
            // runsvdir starts `runsv` through PATH.
            let path = std::env::var_os("PATH").unwrap_or_default();
            let mut directories = vec![setup.runit.clone()];
            directories.extend(std::env::split_paths(&path));
            command.env("PATH", std::env::join_paths(directories)?);
            command
        }
    };
    Ok(command)
}

fn write_executable(path: &Path, text: &str) -> Result<()> {
    fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755))
        .with_context(|| format!("making {} executable", path.display()))
}

/// Reads names from the FIFO until every service has written its own; the time since `start`.
fn wait_for_all(fifo: &File, run: &mut Run, start: Instant) -> Result<Duration> {
    let mut ready = HashSet::new();
    let mut pending = Vec::new();
    let mut buffer = [0u8; 4096];
    while ready.len() < SERVICE_COUNT {
        if start.elapsed() > RUN_TIMEOUT {
            bail!(
                "only {} of {SERVICE_COUNT} services were ready after {} s",
                ready.len(),
                RUN_TIMEOUT.as_secs()
            );
        }
        if let Some(child) = run.child.as_mut() {
            if let Some(status) = child.try_wait()? {
                bail!(
                    "the supervisor ended ({status}) with {} of {SERVICE_COUNT} services ready",
                    ready.len()
                );
            }
        }
        let mut descriptors = [PollFd::new(fifo.as_fd(), PollFlags::POLLIN)];
        if poll(&mut descriptors, PollTimeout::from(100u16))? == 0 {
            continue;
        }
        let count = (&*fifo).read(&mut buffer).context("reading the FIFO")?;
        pending.extend_from_slice(&buffer[..count]);
        while let Some(end) = pending.iter().position(|&byte| byte == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            ready.insert(String::from_utf8_lossy(&line[..end]).into_owned());
        }
    }
    Ok(start.elapsed())
}

/// A running supervisor and the marker of everything it started; stopped on drop.
struct Run {
    manager: Manager,
    marker: String,
    child: Option<Child>,
}

impl Run {
    /// Asks the supervisor to stop everything, then kills whatever is left.
    fn stop(&mut self) -> Result<()> {
        if let Some(mut child) = self.child.take() {
            let pid = Pid::from_raw(i32::try_from(child.id())?);
            // runsvdir stops its runsv processes on SIGHUP; the others on SIGTERM.
            let signal = match self.manager {
                Manager::Runit => Signal::SIGHUP,
                Manager::Basalt | Manager::S6 => Signal::SIGTERM,
            };
            let _ = kill(pid, signal);
            let deadline = Instant::now() + STOP_TIMEOUT;
            while child.try_wait()?.is_none() {
                if Instant::now() > deadline {
                    let _ = child.kill();
                    child.wait()?;
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        let left = kill_marked(&self.marker, STOP_TIMEOUT);
        reap_orphans();
        if left > 0 {
            bail!("{left} processes of the run survived SIGKILL");
        }
        Ok(())
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        if self.child.is_some() {
            let _ = self.stop();
        }
    }
}

/// SIGKILLs every process carrying `MARKER_VARIABLE=marker` until none is left
/// (supervisors may restart a service in between); how many are left at the deadline.
fn kill_marked(marker: &str, patience: Duration) -> usize {
    let deadline = Instant::now() + patience;
    loop {
        let marked = marked_processes(marker);
        if marked.is_empty() || Instant::now() > deadline {
            return marked.len();
        }
        for pid in marked {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Reaps the run's orphans, which came to xtask as the subreaper (nothing
/// else of xtask's is running during this part).
fn reap_orphans() {
    while let Ok(status) = waitpid(Pid::from_raw(-1), Some(WaitPidFlag::WNOHANG)) {
        if status == WaitStatus::StillAlive {
            break;
        }
    }
}

/// Live processes whose environment has `MARKER_VARIABLE=marker` (zombies have an empty one).
fn marked_processes(marker: &str) -> Vec<i32> {
    let wanted = format!("{MARKER_VARIABLE}={marker}");
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| {
            fs::read(format!("/proc/{pid}/environ")).is_ok_and(|environment| {
                environment
                    .split(|&byte| byte == 0)
                    .any(|variable| variable == wanted.as_bytes())
            })
        })
        .collect()
}

/// The median of `runs` (the mean of the middle two for an even count).
pub fn median(runs: &[Duration]) -> Option<Duration> {
    let mut sorted = runs.to_vec();
    sorted.sort();
    let middle = sorted.len() / 2;
    match sorted.len() {
        0 => None,
        length if length % 2 == 1 => Some(sorted[middle]),
        _ => Some((sorted[middle - 1] + sorted[middle]) / 2),
    }
}

fn milliseconds(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn manager_title(manager: Manager) -> &'static str {
    match manager {
        Manager::Basalt => "Basalt `init --supervise`",
        Manager::S6 => "s6 `s6-svscan` + `s6-svwait -U`",
        Manager::Runit => "runit `runsvdir` + `sv check`",
    }
}

/// The table: median, fastest and slowest run, and Basalt's median ÷ each median.
pub fn render_table(times: &[ManagerTimes]) -> String {
    let basalt = times
        .iter()
        .find(|entry| entry.manager == Manager::Basalt)
        .and_then(|entry| median(&entry.runs));
    let mut table = String::from(
        "| 100 services ready | median | fastest | slowest | Basalt ÷ this |\n\
         | --- | ---: | ---: | ---: | ---: |\n",
    );
    for entry in times {
        let format_ms = |duration: Option<Duration>| {
            duration.map_or("n/a".to_owned(), |d| format!("{:.1} ms", milliseconds(d)))
        };
        let median_time = median(&entry.runs);
        let ratio = match (basalt, median_time) {
            (Some(basalt), Some(this)) if !this.is_zero() => {
                format!("{:.2}×", basalt.as_secs_f64() / this.as_secs_f64())
            }
            _ => "n/a".to_owned(),
        };
        let _ = writeln!(
            table,
            "| {} | {} | {} | {} | {ratio} |",
            manager_title(entry.manager),
            format_ms(median_time),
            format_ms(entry.runs.iter().min().copied()),
            format_ms(entry.runs.iter().max().copied()),
        );
    }
    table
}

/// The Markdown section: what was measured, how, and the table.
fn section(times: &[ManagerTimes], repetitions: usize, logs: &str) -> String {
    format!(
        "## Service managers on the host\n\n\
         Time from starting the supervisor until {SERVICE_COUNT} trivial services are all ready: a chain of \
         {chain} (each requires the one before it to be ready) and {fan_out} that each require the last of the \
         chain. Median of {repetitions} runs per manager, alternating. Every service is the same `/bin/sh` \
         script: signal readiness on fd 3, write its name to a FIFO the bench reads, `exec sleep`; the clock \
         stops when all {SERVICE_COUNT} names have arrived.\n\n\
         - Basalt: `init --supervise` (host release build), `type = \"notify\"`, `ready_fd = 3`, \
         `requires` + `after`.\n\
         - s6 (Debian's `s6`): `s6-svscan`, `notification-fd` 3; s6 has no dependencies (the host's apt has no s6-rc; \
         it is what would add them), so a run script first waits with `s6-svwait -U` for its dependency to be up and ready \
         (retried every 10 ms while the dependency's `s6-supervise` is not there yet).\n\
         - runit (Debian's `runit`, unpacked, not installed): `runsvdir`; runit has no readiness protocol, \
         so ready means running, and a run script first waits with `sv check` (retried every 10 ms while it \
         fails).\n\n\
         {table}\n\
         Below 1× Basalt is faster. Supervisor output of the last run: {logs}/.\n",
        chain = shape::CHAIN_LENGTH,
        fan_out = shape::FAN_OUT,
        table = render_table(times),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(value: u64) -> Duration {
        Duration::from_millis(value)
    }

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(&[ms(5), ms(1), ms(3)]), Some(ms(3)));
        assert_eq!(
            median(&[ms(4), ms(1), ms(3), ms(2)]),
            Some(Duration::from_micros(2500))
        );
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn table_has_ratios_against_basalt() {
        let times = [
            ManagerTimes {
                manager: Manager::Basalt,
                runs: vec![ms(20), ms(10), ms(30)],
            },
            ManagerTimes {
                manager: Manager::S6,
                runs: vec![ms(40)],
            },
            ManagerTimes {
                manager: Manager::Runit,
                runs: vec![],
            },
        ];
        let table = render_table(&times);
        assert!(
            table.contains("| Basalt `init --supervise` | 20.0 ms | 10.0 ms | 30.0 ms | 1.00× |"),
            "{table}"
        );
        assert!(
            table.contains("| 40.0 ms | 40.0 ms | 40.0 ms | 0.50× |"),
            "{table}"
        );
        assert!(
            table.contains("| runit `runsvdir` + `sv check` | n/a | n/a | n/a | n/a |"),
            "{table}"
        );
    }

    #[test]
    fn marked_processes_are_found_and_killed() {
        let marker = format!("test-{}", std::process::id());
        let mut child = Command::new("sleep")
            .arg("60")
            .env(MARKER_VARIABLE, &marker)
            .spawn()
            .expect("sleep");
        let pid = i32::try_from(child.id()).expect("pid");
        // The child's environment is readable once exec has happened.
        let deadline = Instant::now() + Duration::from_secs(10);
        while !marked_processes(&marker).contains(&pid) {
            assert!(Instant::now() < deadline, "marked child not found");
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(marked_processes("another-marker").is_empty());
        // Our own child stays a zombie until waited for; zombies are not listed.
        assert_eq!(kill_marked(&marker, Duration::from_secs(10)), 0);
        assert!(!child.wait().expect("wait").success());
    }
}
