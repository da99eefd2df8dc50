//! The `pkg-basalt` and `pkg-linux` scenarios: the system image boots, root logs in, and `pkg` manages a fresh root
//! `/tmp/r` from the image's signed demo repository: trust the key, install a package with its dependencies, run
//! what was installed, verify, list, refuse a removal that would break a dependency, remove, roll back, show the
//! history, and refuse a tampered file; each step's output and exit status are checked. Then `svc poweroff` must
//! end QEMU with status 0. Linux runs the same conversation as the oracle.

use crate::login_test::{self, expect, send_line, Kernel, STEP_TIMEOUT};
use crate::paths::Paths;
use crate::pkg_demo_repo::{KEY_NAME, REPO_DIR};
use crate::session::Session;
use anyhow::{anyhow, bail, Context, Result};
use regex::bytes::Regex;

/// The scenarios: the same conversation on each kernel.
pub const SCENARIOS: &[(&str, Kernel)] =
    &[("pkg-basalt", Kernel::Basalt), ("pkg-linux", Kernel::Linux)];

/// The root the guest's `pkg` manages.
const ROOT: &str = "/tmp/r";

/// Runs one scenario; prints `qemu: NAME ... ok|FAILED` and returns whether it passed.
pub fn run(paths: &Paths, name: &str, kernel: Kernel) -> Result<bool> {
    login_test::run_driven(paths, name, kernel, "", drive)
}

/// What one step printed (its command line's echo included) and its exit status.
struct Outcome {
    text: String,
    status: u32,
}

impl Outcome {
    /// Fails unless the status is `status` and every one of `lines` was printed.
    fn check(&self, what: &str, status: u32, lines: &[&str]) -> Result<()> {
        if self.status != status {
            bail!(
                "`{what}` exited with {}, not {status}:\n{}",
                self.status,
                self.text
            );
        }
        for line in lines {
            if !self
                .text
                .lines()
                .any(|printed| printed.trim_end().ends_with(line))
            {
                bail!("`{what}` did not print {line:?}:\n{}", self.text);
            }
        }
        Ok(())
    }
}

/// Types `line`, which must end by printing `[TAG exit STATUS]`, and waits for that.
fn step(console: &mut Session, line: &str, tag: &str) -> Result<Outcome> {
    send_line(console, line)?;
    let pattern = Regex::new(&format!(r"(?s)\[{} exit ([0-9]+)\]", regex::escape(tag)))?;
    let text = console
        .expect(&Regex::new(&format!(r"(?s).*?{pattern}"))?, STEP_TIMEOUT)
        .map_err(|e| anyhow!(e))
        .with_context(|| format!("while running `{line}`"))?;
    let status = pattern
        .captures(text.as_bytes())
        .and_then(|c| c.get(1))
        .and_then(|m| std::str::from_utf8(m.as_bytes()).ok()?.parse().ok())
        .context("no exit status")?;
    Ok(Outcome { text, status })
}

/// `pkg --root ROOT --yes ARGS` through the shell function `p` (short lines: the console is 80 columns wide).
fn pkg(console: &mut Session, args: &str) -> Result<Outcome> {
    let tag = args
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned();
    step(console, &format!("p {args}"), &tag)
}

/// The conversation with the guest.
fn drive(console: &mut Session) -> Result<()> {
    login_test::log_in(console)?;
    // The image's own root trusts the demo repository's key.
    let keys = step(console, "pkg key list; echo \"[keys exit $?]\"", "keys")?;
    keys.check("pkg key list", 0, &[])?;
    let trusted = keys
        .text
        .lines()
        .any(|line| line.starts_with("trusted ") && line.trim_end().ends_with(KEY_NAME));
    if !trusted {
        bail!(
            "`pkg key list` does not show {KEY_NAME} as trusted:\n{}",
            keys.text
        );
    }
    send_line(
        console,
        &format!("p() {{ pkg --root {ROOT} --yes \"$@\"; echo \"[$1 exit $?]\"; }}; D=/{REPO_DIR}"),
    )?;
    pkg(
        console,
        &format!("key trust /etc/basalt/pkg/keys/trusted/{KEY_NAME}.pub"),
    )?
    .check("pkg key trust", 0, &[])?;
    pkg(console, "install --repo $D demo-extras")?.check(
        "pkg install --repo DIR demo-extras",
        0,
        &[
            "install demo-extras 1.0-1",
            "install demo-greeting 1.0-1",
            "install demo-hello 1.0-1",
            "done: generation 1",
        ],
    )?;
    step(
        console,
        &format!("{ROOT}/usr/bin/demo-hello; echo \"[hello exit $?]\""),
        "hello",
    )?
    .check("demo-hello", 0, &["Hello from a Basalt package"])?;
    pkg(console, "verify")?.check("pkg verify", 0, &[])?;
    pkg(console, "list --installed")?.check(
        "pkg list --installed",
        0,
        &[
            "demo-extras 1.0-1 [privacy: none]",
            "demo-greeting 1.0-1 [privacy: none]",
            "demo-hello 1.0-1 [privacy: none]",
        ],
    )?;
    // demo-hello needs it: refused, and nothing changes.
    let refused = pkg(console, "remove demo-greeting")?;
    if refused.status == 0 || !refused.text.contains("would break dependencies") {
        bail!(
            "`pkg remove demo-greeting` was not refused:\n{}",
            refused.text
        );
    }
    pkg(console, "remove demo-extras")?.check(
        "pkg remove demo-extras",
        0,
        &["remove demo-extras 1.0-1", "done: generation 2"],
    )?;
    step(
        console,
        &format!("test -e {ROOT}/usr/share/doc/demo-extras; echo \"[gone exit $?]\""),
        "gone",
    )?
    .check("test -e (a removed package's directory)", 1, &[])?;
    pkg(console, "rollback")?.check(
        "pkg rollback",
        0,
        &["install demo-extras 1.0-1", "done: generation 3"],
    )?;
    let history = pkg(console, "history")?;
    history.check("pkg history", 0, &[])?;
    for (number, change) in [
        ("1", "install demo-extras 1.0-1"),
        ("2", "remove demo-extras 1.0-1"),
        ("3", "install demo-extras 1.0-1"),
    ] {
        let shown = history
            .text
            .lines()
            .any(|line| line.starts_with(&format!("{number} ")) && line.contains(change));
        if !shown {
            bail!(
                "`pkg history` does not show generation {number} ({change}):\n{}",
                history.text
            );
        }
    }
    pkg(console, "remove demo-extras")?.check(
        "pkg remove demo-extras",
        0,
        &["remove demo-extras 1.0-1", "done: generation 4"],
    )?;
    // A second writer is kept out: a pkg stopped at its question (in the background, so by SIGTTIN) holds the
    // lock; after `kill -9` (and `fg`, which waits for its end) the lock is free again.
    send_line(
        console,
        &format!("pkg --root {ROOT} install --repo $D demo-extras &"),
    )?;
    expect(console, "Proceed? [Y/n]", STEP_TIMEOUT)?;
    let second = pkg(console, "install --repo $D demo-extras")?;
    if second.status != 1
        || !second
            .text
            .contains("another pkg process is changing this root")
    {
        bail!("a second writer was not kept out:\n{}", second.text);
    }
    step(console, "kill -9 %1; fg; echo \"[kill exit $?]\"", "kill")?.check(
        "kill -9 (the stopped pkg)",
        137,
        &[],
    )?;
    // Killed between moving files into place: the next writer finishes that transaction first.
    send_line(console, "export PKG_CRASH_AT=moved-one")?;
    pkg(console, "install --repo $D demo-extras")?.check(
        "pkg install (killed by PKG_CRASH_AT=moved-one)",
        134,
        &[],
    )?;
    send_line(console, "unset PKG_CRASH_AT")?;
    pkg(console, "remove demo-extras")?.check(
        "pkg remove demo-extras (after the crash)",
        0,
        &["remove demo-extras 1.0-1", "done: generation 6"],
    )?;
    pkg(console, "verify")?.check("pkg verify (after recovery)", 0, &[])?;
    // A changed file is found and refused (exit status 3).
    send_line(
        console,
        &format!("echo changed >> {ROOT}/usr/share/demo/greeting.txt"),
    )?;
    pkg(console, "verify")?.check(
        "pkg verify (after a change)",
        3,
        &["demo-greeting: usr/share/demo/greeting.txt: contents changed"],
    )?;
    expect(console, "# ", STEP_TIMEOUT)?;
    login_test::power_off(console)
}
