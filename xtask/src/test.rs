//! `test`: host unit tests, build + ISO, then every QEMU scenario; one total.

use crate::cargo::{self, Profile};
use crate::expect::{check_log, last_lines, normalize_serial};
use crate::host_tools::{self, Tool};
use crate::qemu::{self, Accel, Boot, Console, Firmware, Machine};
use crate::results::{parse_cargo_test_output, parse_ktest_log, Counts};
use crate::scenarios::{self, Scenario, ScenarioBoot};
use crate::{build, diff, interactive, iso};
use anyhow::{anyhow, Context, Result};
use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// How long QEMU may keep running after a forbidden line appeared (time
/// enough for a backtrace to be printed, and for a kernel to exit by itself).
const ABORT_GRACE: Duration = Duration::from_secs(5);

/// How many log lines to show for a failed scenario.
const FAILURE_TAIL_LINES: usize = 40;

/// Options of `cargo xtask test`.
#[derive(Debug, Default)]
pub struct TestOptions {
    /// Scenario names to run; empty = all.
    pub only_scenarios: Vec<String>,
    /// Skip `cargo test` on the host.
    pub skip_host: bool,
}

/// Runs everything, prints `N passed, M failed` last, and returns whether all passed.
pub fn run_all(paths: &crate::paths::Paths, options: &TestOptions) -> Result<bool> {
    // The differential, interactive and login runs are not single QEMU scenarios; `--scenario diff`,
    // `--scenario interactive` and `--scenario login-basalt` select them like one.
    let wanted = |name: &str| {
        options.only_scenarios.is_empty() || options.only_scenarios.iter().any(|n| n == name)
    };
    let (run_diff, run_interactive) = (wanted(diff::NAME), wanted(interactive::NAME));
    // The system-image conversations: logins, then pkg.
    let system_scenarios = || {
        crate::login_test::SCENARIOS
            .iter()
            .chain(crate::pkg_test::SCENARIOS)
    };
    let logins: Vec<(&str, crate::login_test::Kernel)> = system_scenarios()
        .copied()
        .filter(|(name, _)| wanted(name))
        .collect();
    let is_login = |name: &str| system_scenarios().any(|(n, _)| *n == name);
    let named: Vec<String> = options
        .only_scenarios
        .iter()
        .filter(|name| *name != diff::NAME && *name != interactive::NAME && !is_login(name))
        .cloned()
        .collect();
    let selected = if named.is_empty() && !options.only_scenarios.is_empty() {
        Vec::new()
    } else {
        // The error lists the table's names; the two runs outside the table are known too.
        scenarios::select(&named).map_err(|message| {
            let logins: Vec<&str> = system_scenarios().map(|(n, _)| *n).collect();
            anyhow!(
                "{message}, {}, {}, {}",
                diff::NAME,
                interactive::NAME,
                logins.join(", ")
            )
        })?
    };
    let mut total = Counts::default();
    if !options.skip_host {
        total.add(run_host_tests(paths)?);
    }
    host_tools::ensure(&tools_needed(&selected))?;

    let built = report_step("build", build::build_all(paths, Profile::Release));
    let needs_iso = selected.iter().any(|scenario| scenario.boot.needs_iso());
    let iso_built = built && needs_iso && report_step("iso", iso::build_iso(paths));
    let needs_busybox = selected
        .iter()
        .any(|s| matches!(s.boot, ScenarioBoot::Busybox { .. }));
    let busybox_built =
        built && needs_busybox && report_step("busybox", build::build_busybox_initramfs(paths));

    for scenario in selected {
        let ready = built
            && (iso_built || !scenario.boot.needs_iso())
            && (busybox_built || !matches!(scenario.boot, ScenarioBoot::Busybox { .. }));
        if !ready {
            println!(
                "qemu: {} ... FAILED (not run: the build failed)",
                scenario.name
            );
            total.record(false);
            continue;
        }
        let outcome = run_scenario(paths, scenario)?;
        total.add(outcome.ktest_cases);
        total.record(outcome.passed);
    }
    if !logins.is_empty() {
        host_tools::ensure(&[Tool::Qemu])?;
        let image_built = built
            && report_step(
                "system image",
                crate::system_image::build_system_initramfs(paths),
            );
        for (name, kernel) in logins {
            let passed = image_built
                && if crate::pkg_test::SCENARIOS.iter().any(|(n, _)| *n == name) {
                    crate::pkg_test::run(paths, name, kernel)?
                } else {
                    crate::login_test::run(paths, name, kernel)?
                };
            if !image_built {
                println!("qemu: {name} ... FAILED (not run: the build failed)");
            }
            total.record(passed);
        }
    }
    if run_diff {
        host_tools::ensure(&[Tool::Qemu])?;
        let ready = built && report_step("diff initramfs", diff::build_initramfs(paths));
        if ready {
            total.add(diff::run(paths)?);
        } else {
            println!("diff: FAILED (not run: the build failed)");
            total.record(false);
        }
    }
    if run_interactive {
        host_tools::ensure(&[Tool::Qemu])?;
        let ready = built
            && report_step(
                "interactive initramfs",
                build::build_interactive_initramfs(paths),
            );
        if ready {
            total.add(interactive::run(paths)?);
        } else {
            println!("interactive: FAILED (not run: the build failed)");
            total.record(false);
        }
    }
    println!("{} passed, {} failed", total.passed, total.failed);
    std::io::stdout().flush()?;
    Ok(total.failed == 0)
}

/// The host tools the selected scenarios need.
fn tools_needed(selected: &[&Scenario]) -> Vec<Tool> {
    let mut tools = Vec::new();
    if !selected.is_empty() {
        tools.push(Tool::Qemu);
    }
    if selected.iter().any(|scenario| scenario.boot.needs_iso()) {
        tools.extend_from_slice(host_tools::ISO_TOOLS);
    }
    if selected
        .iter()
        .any(|scenario| scenario.boot == ScenarioBoot::IsoUefi)
    {
        tools.push(Tool::Ovmf);
    }
    if selected
        .iter()
        .any(|s| matches!(s.boot, ScenarioBoot::Busybox { .. }))
    {
        tools.push(Tool::Musl);
    }
    tools
}

/// Prints an error from a build step; returns whether it succeeded.
fn report_step(name: &str, result: Result<()>) -> bool {
    match result {
        Ok(()) => true,
        Err(error) => {
            println!("{name}: FAILED: {error:#}");
            false
        }
    }
}

/// `cargo test` for every workspace package except the freestanding ones.
fn run_host_tests(paths: &crate::paths::Paths) -> Result<Counts> {
    let args = [
        "test",
        "--workspace",
        "--exclude",
        "basalt-kernel",
        "--exclude",
        "basalt-boot-probe",
    ];
    println!("host: cargo {}", args.join(" "));
    std::io::stdout().flush()?;
    let started = Instant::now();
    let output = cargo::command(paths.root())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .context("cannot run cargo test")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let counts = host_test_counts(&stdout, output.status.success());
    if !output.status.success() {
        println!("{stderr}{stdout}");
    }
    println!(
        "host: {} passed, {} failed ({:.1} s)",
        counts.passed,
        counts.failed,
        started.elapsed().as_secs_f64()
    );
    Ok(counts)
}

/// Summed result lines; a failed run without failed tests (e.g. a compile
/// error) counts as one failure.
fn host_test_counts(stdout: &str, success: bool) -> Counts {
    let mut counts = parse_cargo_test_output(stdout);
    if !success && counts.failed == 0 {
        counts.record(false);
    }
    counts
}

/// What one scenario contributed.
pub struct ScenarioOutcome {
    pub passed: bool,
    ktest_cases: Counts,
}

pub fn run_scenario(paths: &crate::paths::Paths, scenario: &Scenario) -> Result<ScenarioOutcome> {
    print!("qemu: {} ... ", scenario.name);
    std::io::stdout().flush()?;
    let machine = match machine_for(paths, scenario) {
        Ok(machine) => machine,
        Err(error) => {
            println!("FAILED (not run: {error:#})");
            return Ok(ScenarioOutcome {
                passed: false,
                ktest_cases: Counts::default(),
            });
        }
    };
    qemu::prepare_firmware(paths, &machine)?;
    let args = qemu::build_args(Console::Captured, &machine, &paths.ovmf_vars());
    let log_path = paths.logs().join(format!("{}.log", scenario.name));
    // A forbidden line (a panic) decides the outcome; don't wait for the timeout.
    let saw_forbidden = |output: &[u8]| {
        let text = normalize_serial(output);
        scenario
            .forbidden
            .iter()
            .any(|pattern| pattern.is_found_in(&text).unwrap_or(false))
    };
    let rules = qemu::StopRules {
        timeout: Duration::from_secs(scenario.timeout_secs),
        abort_when: &saw_forbidden,
        grace: ABORT_GRACE,
    };
    let run = qemu::run_captured(&args, &rules, &log_path)?;
    let log = normalize_serial(&run.output);
    let end = if run.timed_out {
        RunEnd::TimedOut
    } else if run.aborted {
        RunEnd::Aborted
    } else {
        RunEnd::Exited(run.exit_code)
    };
    let evaluation = evaluate(scenario, end, &log);
    let seconds = run.elapsed.as_secs_f64();
    if evaluation.problems.is_empty() {
        println!("ok ({seconds:.1} s)");
    } else {
        println!("FAILED ({seconds:.1} s)");
        for problem in &evaluation.problems {
            println!("    {problem}");
        }
    }
    let mut passed = evaluation.problems.is_empty();
    let mut cases_counted = evaluation.ktest_cases;
    if scenario.abi_compare {
        match crate::abi::compare_with_host(paths, &log) {
            Ok(comparison) => {
                println!(
                    "abi: {} cases match Linux, {} differ, {} known differences (tests/abi/known-differences.txt)",
                    comparison.counts.passed, comparison.counts.failed, comparison.known
                );
                for line in comparison.differences.iter().take(40) {
                    println!("    {line}");
                }
                for name in &comparison.now_matching {
                    println!("    {name} matches Linux now: remove it from tests/abi/known-differences.txt");
                }
                cases_counted = comparison.counts;
            }
            Err(error) => {
                println!("abi: comparison FAILED: {error:#}");
                passed = false;
            }
        }
    }
    if scenario.memory_returns {
        match memory_returned(&log) {
            Ok(message) => println!("    {message}"),
            Err(problem) => {
                println!("    memory check FAILED: {problem}");
                passed = false;
            }
        }
    }
    if scenario.ktest {
        let cases = evaluation.ktest_cases;
        println!("ktest: {} passed, {} failed", cases.passed, cases.failed);
        for name in &evaluation.failed_cases {
            println!("    ktest case FAILED: {name}");
        }
    }
    if !evaluation.problems.is_empty() {
        println!("    qemu {}", qemu::shell_words(&args));
        println!(
            "    last {FAILURE_TAIL_LINES} lines of {}:",
            paths.display(&log_path)
        );
        for line in last_lines(&log, FAILURE_TAIL_LINES) {
            println!("    | {line}");
        }
    }
    Ok(ScenarioOutcome {
        passed,
        ktest_cases: cases_counted,
    })
}

/// Free memory reported by sysfuzz (`sysfuzz: before: MemFree: N kB` / `after: ...`) must come back: at most 2 %
/// (or 2 MiB) less after the run, which leaves room for caches the kernel keeps.
fn memory_returned(log: &str) -> Result<String, String> {
    let value = |when: &str| {
        let prefix = format!("sysfuzz: {when}: MemFree: ");
        log.lines()
            .find_map(|l| {
                l.trim_end_matches('\r')
                    .strip_prefix(&prefix)?
                    .strip_suffix(" kB")?
                    .parse::<u64>()
                    .ok()
            })
            .ok_or_else(|| format!("no `{prefix}N kB` line"))
    };
    let before = value("before")?;
    let after = value("after")?;
    let allowed = (before / 50).max(2048);
    if after + allowed < before {
        return Err(format!(
            "{before} kB free before, {after} kB after: more than {allowed} kB not returned"
        ));
    }
    Ok(format!(
        "memory: {before} kB free before the fuzzer, {after} kB after"
    ))
}

/// The QEMU machine of a scenario.
fn machine_for(paths: &crate::paths::Paths, scenario: &Scenario) -> Result<Machine> {
    let boot = match scenario.boot {
        ScenarioBoot::Direct { append } => Boot::Direct {
            kernel: paths.kernel_elf(),
            initrd: paths.initramfs(),
            append: append.to_owned(),
        },
        ScenarioBoot::Busybox { append } => Boot::Direct {
            kernel: paths.kernel_elf(),
            initrd: paths.busybox_initramfs(),
            append: append.to_owned(),
        },
        ScenarioBoot::IsoBios => Boot::Cdrom {
            iso: paths.iso(),
            firmware: Firmware::Bios,
        },
        ScenarioBoot::IsoUefi => {
            let ovmf = host_tools::find_ovmf().ok_or_else(|| anyhow!("OVMF firmware not found"))?;
            Boot::Cdrom {
                iso: paths.iso(),
                firmware: Firmware::Uefi(ovmf),
            }
        }
    };
    Ok(Machine {
        accel: Accel::Tcg,
        cpu: scenario.cpu,
        memory: scenario.memory.to_owned(),
        smp: scenario.smp,
        boot,
    })
}

/// Judgement of one finished run.
#[derive(Debug, Default, PartialEq, Eq)]
struct Evaluation {
    /// Why the scenario failed; empty = passed.
    problems: Vec<String>,
    /// ktest case tally (ktest scenario only).
    ktest_cases: Counts,
    /// Names of failed ktest cases.
    failed_cases: Vec<String>,
}

/// How a QEMU run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RunEnd {
    /// QEMU exited (None: killed by a signal).
    Exited(Option<i32>),
    /// Killed at the timeout.
    TimedOut,
    /// Killed after a forbidden line appeared and QEMU kept running.
    Aborted,
}

fn evaluate(scenario: &Scenario, end: RunEnd, log: &str) -> Evaluation {
    let mut evaluation = Evaluation::default();
    match end {
        RunEnd::TimedOut => evaluation.problems.push(format!(
            "timed out after {} s (QEMU killed)",
            scenario.timeout_secs
        )),
        RunEnd::Aborted => evaluation.problems.push(format!(
            "QEMU killed {} s after a forbidden line appeared",
            ABORT_GRACE.as_secs()
        )),
        RunEnd::Exited(code) if code != Some(scenario.exit_status) => {
            let actual = code.map_or_else(
                || "none (killed by a signal)".to_owned(),
                |code| code.to_string(),
            );
            evaluation.problems.push(format!(
                "QEMU exit status {actual}, expected {}",
                scenario.exit_status
            ));
        }
        RunEnd::Exited(_) => {}
    }
    evaluation
        .problems
        .extend(check_log(log, scenario.expected, scenario.forbidden));
    if scenario.ktest {
        let report = parse_ktest_log(log);
        evaluation.ktest_cases = report.case_counts();
        evaluation.failed_cases = report
            .cases
            .iter()
            .filter(|(_, passed)| !passed)
            .map(|(name, _)| name.clone())
            .collect();
        evaluation.problems.extend(report.problems());
    }
    evaluation
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(name: &str) -> &'static Scenario {
        scenarios::select(&[name.to_owned()]).expect("known")[0]
    }

    #[test]
    fn ktest_run_counts_cases() {
        let log = "ktest: a ... ok\nktest: b ... FAILED\nktest: c ... ok\nktest: done, 2 passed, 1 failed\n";
        let evaluation = evaluate(scenario("ktest"), RunEnd::Exited(Some(33)), log);
        assert!(evaluation.problems.is_empty(), "{:?}", evaluation.problems);
        assert_eq!(
            evaluation.ktest_cases,
            Counts {
                passed: 2,
                failed: 1
            }
        );
        assert_eq!(evaluation.failed_cases, ["b"]);
    }

    #[test]
    fn ktest_without_summary_fails() {
        let evaluation = evaluate(
            scenario("ktest"),
            RunEnd::Exited(Some(33)),
            "ktest: a ... ok\n",
        );
        assert_eq!(evaluation.problems.len(), 2, "{:?}", evaluation.problems);
        assert_eq!(
            evaluation.ktest_cases,
            Counts {
                passed: 1,
                failed: 0
            }
        );
    }

    #[test]
    fn wrong_exit_status_and_timeout_are_problems() {
        let log = "Kernel panic: x\nBacktrace:\n";
        assert!(evaluate(scenario("panic"), RunEnd::Exited(Some(35)), log)
            .problems
            .is_empty());
        let wrong = evaluate(scenario("panic"), RunEnd::Exited(Some(0)), log);
        assert_eq!(wrong.problems, ["QEMU exit status 0, expected 35"]);
        let killed = evaluate(scenario("panic"), RunEnd::TimedOut, log);
        assert_eq!(killed.problems, ["timed out after 90 s (QEMU killed)"]);
        let signaled = evaluate(scenario("panic"), RunEnd::Exited(None), log);
        assert_eq!(
            signaled.problems,
            ["QEMU exit status none (killed by a signal), expected 35"]
        );
    }

    #[test]
    fn missing_lines_are_listed() {
        let evaluation = evaluate(
            scenario("smp4-16m"),
            RunEnd::Exited(Some(0)),
            "Hello from Basalt /init!\n",
        );
        assert_eq!(evaluation.problems, ["missing \"4 CPUs online\""]);
    }

    #[test]
    fn host_counts_treat_a_silent_failure_as_one_failure() {
        let ok = "test result: ok. 4 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s";
        assert_eq!(
            host_test_counts(ok, true),
            Counts {
                passed: 4,
                failed: 0
            }
        );
        assert_eq!(
            host_test_counts(ok, false),
            Counts {
                passed: 4,
                failed: 1
            }
        );
        let failing =
            "test result: FAILED. 3 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out";
        assert_eq!(
            host_test_counts(failing, false),
            Counts {
                passed: 3,
                failed: 2
            }
        );
        assert_eq!(
            host_test_counts("", false),
            Counts {
                passed: 0,
                failed: 1
            }
        );
    }

    #[test]
    fn tools_follow_the_selection() {
        let direct = [scenario("ktest")];
        assert_eq!(tools_needed(&direct), [Tool::Qemu]);
        let uefi = [scenario("iso-uefi")];
        let tools = tools_needed(&uefi);
        assert!(tools.contains(&Tool::GrubEfi) && tools.contains(&Tool::Ovmf));
        assert!(tools_needed(&[]).is_empty());
    }

    #[test]
    fn machines_match_the_table() {
        let paths = crate::paths::Paths::with_root("/w");
        let machine = machine_for(&paths, scenario("boot-pvh")).expect("direct");
        assert_eq!(machine.cpu, qemu::Cpu::Qemu64);
        assert_eq!(
            machine.boot,
            Boot::Direct {
                kernel: "/w/out/basalt.elf".into(),
                initrd: "/w/out/initramfs.cpio.gz".into(),
                append: "console=ttyS0 -- first second".into()
            }
        );
        let iso = machine_for(&paths, scenario("iso-bios")).expect("bios");
        assert_eq!(
            iso.boot,
            Boot::Cdrom {
                iso: "/w/out/basalt.iso".into(),
                firmware: Firmware::Bios
            }
        );
        assert_eq!((iso.memory.as_str(), iso.smp), ("256M", None));
    }
}

#[cfg(test)]
mod memory_check_tests {
    use super::memory_returned;

    #[test]
    fn memory_must_come_back() {
        let ok = "sysfuzz: before: MemFree: 100000 kB\r\nsysfuzz: after: MemFree: 99000 kB\n";
        assert!(memory_returned(ok).is_ok());
        let leak = "sysfuzz: before: MemFree: 100000 kB\nsysfuzz: after: MemFree: 90000 kB\n";
        assert!(memory_returned(leak).is_err());
        assert!(memory_returned("sysfuzz: before: meminfo: n/a\n").is_err());
    }
}
