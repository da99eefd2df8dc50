//! The interactive scenario: the image `cargo xtask run` boots (busybox init, a job-control shell on ttyS0) driven
//! through the serial console like a person at a terminal: line editing, `^C`, `^Z` and job control, `vi`, `less`,
//! `top`, `ps`, and `poweroff`. It runs under Basalt and under Debian's Linux (the oracle: the same script must pass
//! there too); every step of each run is one test.

use crate::paths::Paths;
use crate::qemu::{self, Accel, Boot, Console, Cpu, Machine};
use crate::results::Counts;
use crate::session::Session;
use anyhow::Result;
use regex::bytes::Regex;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The pseudo-scenario name that selects these runs in `cargo xtask test --scenario`.
pub const NAME: &str = "interactive";

/// Kernel command line (as `cargo xtask run`'s, without kernel chatter on the console).
const COMMAND_LINE: &str = "console=ttyS0 quiet";

/// How long booting to the first prompt may take (Linux under TCG is the slow one).
const BOOT_TIMEOUT: Duration = Duration::from_secs(300);

/// How long any other expected output may take to appear.
const STEP_TIMEOUT: Duration = Duration::from_secs(90);

/// How long a resynchronization attempt after a failed step waits for the shell.
const RESYNC_TIMEOUT: Duration = Duration::from_secs(30);

/// How many lines of the transcript a failed step shows.
const TRANSCRIPT_LINES: usize = 30;

/// The shell's prompt (PS1 of the image's /etc/profile).
const PROMPT: &str = r"root@basalt:~# ";

/// A foreground job that says when it runs: once "started" is printed it is the terminal's foreground process
/// group, so a `^C` or `^Z` typed then reaches it (typed earlier, it could reach the shell instead).
const SLEEPER: &str = "sh -c 'echo started; exec sleep 100'";

/// One thing the script does.
#[derive(Clone, Copy, Debug)]
enum Action {
    /// Type these keys.
    Type(&'static str),
    /// Wait for this regular expression (bytes regex on the plain text, see [`crate::terminal`]).
    Expect(&'static str),
    /// Wait for the next prompt.
    Prompt,
}

use Action::{Expect, Prompt, Type};

/// A named group of actions: one test.
struct Step {
    name: &'static str,
    actions: &'static [Action],
}

/// The script, in order.
const STEPS: &[Step] = &[
    Step {
        name: "stty",
        actions: &[
            Type("stty rows 24 cols 80; stty size; stty -a\r"),
            Expect(r"\n24 80\n"),
            Expect(r"rows 24; columns 80;"),
            Expect(r"\bisig icanon iexten echo\b"),
            Prompt,
        ],
    },
    Step {
        name: "ctrl-c",
        actions: &[
            Type(SLEEPER),
            Type("\r"),
            Expect(r"\nstarted\n"),
            Type("\x03"),
            Prompt,
            Type("echo status=$?\r"),
            Expect(r"\nstatus=130\n"),
            Prompt,
        ],
    },
    Step {
        name: "job-control",
        actions: &[
            Type(SLEEPER),
            Type("\r"),
            Expect(r"\nstarted\n"),
            Type("\x1a"),
            Expect(r"\[1\]\+ +Stopped +sh -c"),
            Prompt,
            Type("echo status=$?\r"),
            Expect(r"\nstatus=148\n"),
            Prompt,
            Type("jobs\r"),
            Expect(r"\n\[1\]\+ +Stopped +sh -c"),
            Prompt,
            Type("bg\r"),
            Expect(r"\n\[1\] sh -c"),
            Prompt,
            Type("jobs\r"),
            Expect(r"\n\[1\]\+ +Running +sh -c"),
            Prompt,
            // fg prints the command, then gives the job the terminal and continues it; the ^C below is typed only
            // after the command is seen, by which time the shell (which does both at once) has handed over.
            Type("fg\r"),
            // ash shows the command with its own quoting.
            Expect(r"\nsh -c .echo started; exec sleep 100.\n"),
            Type("\x03"),
            Prompt,
            Type("echo status=$?; jobs; echo jobs-end\r"),
            Expect(r"\nstatus=130\njobs-end\n"),
            Prompt,
        ],
    },
    Step {
        name: "background-wait",
        actions: &[
            Type("sleep 3 & wait; echo waited=$?; jobs; echo jobs-end\r"),
            Expect(r"\nwaited=0\n(\[1\]\+ +Done +sleep 3\n)?jobs-end\n"),
            Prompt,
        ],
    },
    Step {
        name: "vi-new-file",
        actions: &[
            Type("vi /tmp/note.txt\r"),
            Expect(r"vi /tmp/note\.txt\n"),
            Expect(r"/tmp/note\.txt"),
            Type("i"),
            Expect(r"I /tmp/note\.txt"),
            Type("typed in vi over the serial line\x1b"),
            Expect(r"- /tmp/note\.txt \[Modified\]"),
            Type(":wq\r"),
            Expect(r"'/tmp/note\.txt' 1L, 33C"),
            Prompt,
            Type("cat /tmp/note.txt\r"),
            Expect(r"\ntyped in vi over the serial line\n"),
            Prompt,
        ],
    },
    Step {
        name: "vi-edit-file",
        actions: &[
            Type("printf 'one\\ntwo\\nthree\\n' > /tmp/edit.txt; vi /tmp/edit.txt\r"),
            Expect(r"vi /tmp/edit\.txt\n"),
            Expect(r"three"),
            // Down, delete the line, delete two characters, undo one: "one", "hree".
            Type("jddxxu"),
            Expect(r"\[Modified\]"),
            Type(":wq\r"),
            Expect(r"'/tmp/edit\.txt' 2L, 9C"),
            Prompt,
            Type("cat /tmp/edit.txt; echo cat-end\r"),
            Expect(r"\none\nhree\ncat-end\n"),
            Prompt,
        ],
    },
    Step {
        name: "less",
        actions: &[
            Type("seq 1 100 > /tmp/numbers; less /tmp/numbers\r"),
            Expect(r"\n23\n"),
            // One screen further down.
            Type(" "),
            Expect(r"\n46\n"),
            Type("q"),
            Prompt,
        ],
    },
    Step {
        name: "top",
        actions: &[
            Type("top\r"),
            Expect(r"PID +PPID +USER +STAT"),
            Expect(r"\n +[0-9]+ +[0-9]+ root +R .* top\n"),
            Type("q"),
            Prompt,
        ],
    },
    Step {
        name: "ps",
        actions: &[
            Type("ps\r"),
            Expect(r"(?m)^ +1 root +/?init$"),
            Expect(r"(?m)^ +[0-9]+ root +-/bin/sh$"),
            Prompt,
        ],
    },
];

/// A kernel to run the session on.
struct Run {
    /// `basalt` or `linux`.
    label: &'static str,
    kernel: PathBuf,
}

/// Boots both kernels with out/initramfs-interactive.cpio.gz and runs the script; one test per step and kernel.
pub fn run(paths: &Paths) -> Result<Counts> {
    let mut counts = Counts::default();
    let runs = [
        Run {
            label: "basalt",
            kernel: paths.kernel_elf(),
        },
        Run {
            label: "linux",
            kernel: crate::reference::linux_kernel()?,
        },
    ];
    for run in &runs {
        counts.add(run_session(paths, run)?);
    }
    Ok(counts)
}

/// The QEMU arguments of one run.
fn qemu_args(paths: &Paths, kernel: &Path) -> Vec<std::ffi::OsString> {
    let machine = Machine {
        accel: Accel::Tcg,
        cpu: Cpu::Max,
        memory: "256M".to_owned(),
        smp: Some(2),
        boot: Boot::Direct {
            kernel: kernel.to_owned(),
            initrd: paths.interactive_initramfs(),
            append: COMMAND_LINE.to_owned(),
        },
    };
    qemu::build_args(Console::Driven, &machine, &paths.ovmf_vars())
}

fn run_session(paths: &Paths, run: &Run) -> Result<Counts> {
    let args = qemu_args(paths, &run.kernel);
    let log_path = paths.logs().join(format!("interactive-{}.log", run.label));
    let mut command = Command::new(qemu::QEMU);
    command.args(&args);
    let mut session = Session::spawn(command, &log_path)?;
    let mut counts = Counts::default();
    let report = |session: &Session, name: &str, outcome: &Result<(), String>| match outcome {
        Ok(()) => println!("interactive: {}: {name} ... ok", run.label),
        Err(problem) => {
            println!("interactive: {}: {name} ... FAILED: {problem}", run.label);
            print_transcript_tail(&session.transcript());
            println!(
                "    (log {}; qemu {})",
                paths.display(&log_path),
                qemu::shell_words(&args)
            );
        }
    };

    let booted = expect(&mut session, PROMPT, BOOT_TIMEOUT);
    report(&session, "boot-to-prompt", &booted);
    counts.record(booted.is_ok());
    let mut in_sync = booted.is_ok();
    for step in STEPS {
        if !in_sync {
            println!(
                "interactive: {}: {} ... FAILED (not run: the shell is not answering)",
                run.label, step.name
            );
            counts.record(false);
            continue;
        }
        let outcome = run_step(&mut session, step);
        report(&session, step.name, &outcome);
        counts.record(outcome.is_ok());
        if outcome.is_err() {
            in_sync = resynchronize(&mut session);
        }
    }
    let powered_off = if in_sync {
        power_off(&mut session)
    } else {
        Err("not run: the shell is not answering".to_owned())
    };
    report(&session, "poweroff", &powered_off);
    counts.record(powered_off.is_ok());
    Ok(counts)
}

fn run_step(session: &mut Session, step: &Step) -> Result<(), String> {
    for action in step.actions {
        match *action {
            Type(keys) => session.send(keys)?,
            Expect(pattern) => expect(session, pattern, STEP_TIMEOUT)?,
            Prompt => expect(session, PROMPT, STEP_TIMEOUT)?,
        }
    }
    Ok(())
}

fn expect(session: &mut Session, pattern: &str, timeout: Duration) -> Result<(), String> {
    let regex = Regex::new(pattern).map_err(|error| format!("bad pattern /{pattern}/: {error}"))?;
    session.expect(&regex, timeout).map(drop)
}

/// After a failed step: leave whatever runs (an editor, a pager, a foreground job) and wait for the shell to echo a
/// marker; whether it did.
fn resynchronize(session: &mut Session) -> bool {
    // First as in a shell or a foreground job, then as in vi, less or top.
    let attempts = [
        &["\x03", "\r"][..],
        &["\x1b", ":q!\r", "q", "\x03", "\r"][..],
    ];
    attempts.iter().enumerate().any(|(attempt, keys)| {
        session.skip_received();
        keys.iter().all(|keys| session.send(keys).is_ok())
            && session
                .send(&format!("echo resync-$(({attempt} + 40))\r"))
                .is_ok()
            && expect(
                session,
                &format!(r"\nresync-{}\n", attempt + 40),
                RESYNC_TIMEOUT,
            )
            .is_ok()
            && expect(session, PROMPT, RESYNC_TIMEOUT).is_ok()
    })
}

/// `poweroff`: init stops everything and the kernel turns the machine off, so QEMU exits with status 0.
fn power_off(session: &mut Session) -> Result<(), String> {
    session.send("poweroff\r")?;
    match session.wait_exit(STEP_TIMEOUT) {
        Ok(Some(status)) if status.code() == Some(0) => Ok(()),
        Ok(Some(status)) => Err(format!("QEMU exited with {status}, expected status 0")),
        Ok(None) => Err(format!(
            "QEMU still running {} s after poweroff (killed)",
            STEP_TIMEOUT.as_secs()
        )),
        Err(error) => Err(format!("waiting for QEMU: {error:#}")),
    }
}

fn print_transcript_tail(transcript: &str) {
    println!("    last {TRANSCRIPT_LINES} lines of the console (escape sequences removed):");
    for line in crate::expect::last_lines(transcript, TRANSCRIPT_LINES) {
        println!("    | {line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_is_valid_and_steps_are_named_uniquely() {
        for (index, step) in STEPS.iter().enumerate() {
            assert!(STEPS[..index].iter().all(|other| other.name != step.name));
            for action in step.actions {
                if let Expect(pattern) = action {
                    assert!(Regex::new(pattern).is_ok(), "{}: {pattern}", step.name);
                }
            }
            // Every step ends back at the shell, so the next one starts from a prompt.
            assert!(matches!(step.actions.last(), Some(Prompt)), "{}", step.name);
        }
        assert!(Regex::new(PROMPT).is_ok());
    }

    #[test]
    fn both_kernels_boot_the_run_image_with_the_serial_on_a_pipe() {
        let paths = Paths::with_root("/w");
        let line = qemu::shell_words(&qemu_args(&paths, Path::new("/k/vmlinuz")));
        assert!(line.contains("-chardev stdio,id=serial,signal=off -serial chardev:serial"));
        assert!(line.ends_with(
            "-kernel /k/vmlinuz -initrd /w/out/initramfs-interactive.cpio.gz -append 'console=ttyS0 quiet'"
        ));
    }
}
