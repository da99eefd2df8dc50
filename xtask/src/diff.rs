//! The differential scenarios of `tests/diff`: one initramfs booted under Debian's Linux kernel and under Basalt in
//! the same QEMU machine; the output of every scenario must be the same byte for byte.

use crate::initramfs::Initramfs;
use crate::paths::Paths;
use crate::qemu::{self, Accel, Boot, Console, Cpu, Machine};
use crate::results::Counts;
use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::time::Duration;

/// The pseudo-scenario name that selects these runs in `cargo xtask test --scenario`.
pub const NAME: &str = "diff";

/// Kernel command line of both runs.
const COMMAND_LINE: &str = "console=ttyS0 quiet rdinit=/bin/sh -- /diff/run.sh";

/// How long one kernel may take for all scenarios.
const TIMEOUT: Duration = Duration::from_secs(420);

/// The line `run.sh` prints after the last scenario.
const DONE: &str = "=== diff: done";

/// A scenario asking for this has every run of digits replaced by `N` before comparing.
const NORMALIZE_NUMBERS: &str = "# diff: normalize-numbers";

/// Users of the scenarios (`su -s /bin/sh user -c ...` as root needs no password); `user` is also in `third`.
const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/tmp:/bin/sh\n\
                      other:x:1001:1001:other:/tmp:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n";
const GROUP: &str = "root:x:0:\nuser:x:1000:\nother:x:1001:\nthird:x:1002:user\nnogroup:x:65534:\n";

/// Builds `out/initramfs-diff.cpio.gz`: busybox with every applet in /bin, /dev/console (Linux opens it for init),
/// /etc/passwd and /etc/group, the helpers `unixtool` and `ptyrun` in /bin, and `tests/diff` at /diff.
pub fn build_initramfs(paths: &Paths) -> Result<()> {
    let mut image = Initramfs::new();
    for dir in ["dev", "etc", "root", "tmp", "diff", "diff/cases"] {
        image.add_dir(dir, if dir == "tmp" { 0o1777 } else { 0o755 })?;
    }
    image.add_char_device("dev/console", 0o600, 5, 1)?;
    image.add_file("etc/passwd", 0o644, PASSWD)?;
    image.add_file("etc/group", 0o644, GROUP)?;
    crate::build::add_busybox(&mut image)?;
    for (name, path) in crate::programs::build_diff_tools()? {
        image.add_file(
            &format!("bin/{name}"),
            0o755,
            crate::build::strip_debug(&path)?,
        )?;
    }
    let source = paths.root().join("tests/diff");
    image.add_file("diff/run.sh", 0o755, read(&source.join("run.sh"))?)?;
    for (name, script) in cases(&source)? {
        image.add_file(&format!("diff/cases/{name}.sh"), 0o755, script)?;
    }
    let destination = paths.diff_initramfs();
    fs::write(&destination, image.to_cpio_gz()?)
        .with_context(|| format!("writing {}", destination.display()))?;
    Ok(())
}

/// Boots both kernels and compares every scenario; one test per scenario.
pub fn run(paths: &Paths) -> Result<Counts> {
    let source = paths.root().join("tests/diff");
    let scripts = cases(&source)?;
    let linux = crate::reference::linux_kernel()?;
    println!("diff: {} scenarios, under Linux and Basalt", scripts.len());
    let linux_log = boot(paths, &linux, "diff-linux")?;
    let basalt_log = boot(paths, &paths.kernel_elf(), "diff-basalt")?;
    let (linux_out, basalt_out) = (sections(&linux_log), sections(&basalt_log));
    let mut counts = Counts::default();
    for (name, script) in &scripts {
        let numbers = String::from_utf8_lossy(script)
            .lines()
            .any(|line| line.trim() == NORMALIZE_NUMBERS);
        let expected = linux_out.get(name).map(|text| normalize(text, numbers));
        let actual = basalt_out.get(name).map(|text| normalize(text, numbers));
        let same = match (&expected, &actual) {
            (Some(e), Some(a)) => e == a,
            _ => false,
        };
        counts.record(same);
        if !same {
            println!("diff: {name} ... FAILED");
            report_difference(expected.as_deref(), actual.as_deref());
        }
    }
    println!(
        "diff: {} scenarios identical, {} differ (logs: out/logs/diff-linux.log, out/logs/diff-basalt.log)",
        counts.passed, counts.failed
    );
    Ok(counts)
}

/// The scenarios: file stem → script, sorted by name (the order run.sh runs them in).
fn cases(source: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    let dir = source.join("cases");
    let mut cases = Vec::new();
    for entry in fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("sh") {
            continue;
        }
        if let Some(stem) = path.file_stem().and_then(|s| s.to_str()) {
            cases.push((stem.to_owned(), read(&path)?));
        }
    }
    cases.sort();
    if cases.is_empty() {
        bail!("no scenarios in {}", dir.display());
    }
    Ok(cases)
}

fn read(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).with_context(|| format!("reading {}", path.display()))
}

/// Boots `kernel` with the diff initramfs; returns the serial log (which must reach the end of run.sh).
fn boot(paths: &Paths, kernel: &Path, log_name: &str) -> Result<String> {
    let machine = Machine {
        accel: Accel::Tcg,
        cpu: Cpu::Max,
        memory: "512M".to_owned(),
        smp: Some(2),
        boot: Boot::Direct {
            kernel: kernel.to_owned(),
            initrd: paths.diff_initramfs(),
            append: COMMAND_LINE.to_owned(),
        },
    };
    let args = qemu::build_args(Console::Captured, &machine, &paths.ovmf_vars());
    let log_path = paths.logs().join(format!("{log_name}.log"));
    let never = |_: &[u8]| false;
    let rules = qemu::StopRules {
        timeout: TIMEOUT,
        abort_when: &never,
        grace: Duration::ZERO,
    };
    let run = qemu::run_captured(&args, &rules, &log_path)?;
    let log = crate::expect::normalize_serial(&run.output);
    if !log.contains(DONE) {
        println!(
            "diff: {} did not finish the scenarios ({}; log {})",
            kernel.display(),
            if run.timed_out {
                "timed out"
            } else {
                "stopped"
            },
            paths.display(&log_path)
        );
    }
    Ok(log)
}

/// Each scenario's output (between `=== begin NAME` and `=== end NAME: ...`, the end line included), without the
/// kernel's own timestamped log lines.
fn sections(log: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    for line in log.lines().filter(|line| !is_kernel_log_line(line)) {
        // The firmware's screen reset may precede the first marker on its line.
        let begin = line
            .find("=== begin ")
            .map(|at| &line[at + "=== begin ".len()..]);
        if let Some(name) = begin {
            current = Some((name.trim().to_owned(), String::new()));
            continue;
        }
        if let Some((name, mut text)) = current.take() {
            text.push_str(line);
            text.push('\n');
            if line.starts_with(&format!("=== end {name}:")) {
                out.insert(name, text);
            } else {
                current = Some((name, text));
            }
        }
    }
    out
}

/// `[    1.234567] ...`: a line the kernel logged (Linux and Basalt use the same form).
fn is_kernel_log_line(line: &str) -> bool {
    let Some(rest) = line.strip_prefix('[') else {
        return false;
    };
    let Some((stamp, _)) = rest.split_once(']') else {
        return false;
    };
    let stamp = stamp.trim();
    !stamp.is_empty() && stamp.chars().all(|c| c.is_ascii_digit() || c == '.')
}

fn normalize(text: &str, numbers: bool) -> String {
    if !numbers {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut in_number = false;
    for c in text.chars() {
        if c.is_ascii_digit() {
            if !in_number {
                out.push('N');
            }
            in_number = true;
        } else {
            in_number = false;
            out.push(c);
        }
    }
    out
}

/// Prints the first lines where the two outputs part.
fn report_difference(linux: Option<&str>, basalt: Option<&str>) {
    let (Some(linux), Some(basalt)) = (linux, basalt) else {
        println!(
            "    output missing under {}",
            if linux.is_none() { "Linux" } else { "Basalt" }
        );
        return;
    };
    let (l, b): (Vec<&str>, Vec<&str>) = (linux.lines().collect(), basalt.lines().collect());
    let first = (0..l.len().max(b.len()))
        .find(|&i| l.get(i) != b.get(i))
        .unwrap_or(0);
    for i in first..(first + 6).min(l.len().max(b.len())) {
        println!("    line {}:", i + 1);
        println!("      Linux:  {}", l.get(i).copied().unwrap_or("(none)"));
        println!("      Basalt: {}", b.get(i).copied().unwrap_or("(none)"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_split_by_markers_and_skip_kernel_lines() {
        let log = "boot noise\n\x1bc=== begin a\none\n[    0.123456] kernel says hi\ntwo\n=== end a: exit 0\n\
                   === begin b\nonly\n=== end b: exit 1\n=== begin c\nunfinished\n";
        let s = sections(log);
        assert_eq!(s["a"], "one\ntwo\n=== end a: exit 0\n");
        assert_eq!(s["b"], "only\n=== end b: exit 1\n");
        assert!(
            !s.contains_key("c"),
            "a scenario without its end line has no output"
        );
    }

    #[test]
    fn kernel_log_lines() {
        assert!(is_kernel_log_line("[    1.000000] reboot: Power down"));
        assert!(is_kernel_log_line("[12.5] x"));
        assert!(!is_kernel_log_line("[a] not a stamp"));
        assert!(!is_kernel_log_line("[] empty"));
        assert!(!is_kernel_log_line("plain"));
    }

    #[test]
    fn numbers_are_normalized_only_when_asked() {
        assert_eq!(normalize("pid 1234 at 5.6s", true), "pid N at N.Ns");
        assert_eq!(normalize("pid 1234", false), "pid 1234");
    }
}
