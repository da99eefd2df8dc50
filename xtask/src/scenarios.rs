//! The QEMU boot scenarios of `cargo xtask test`: one row per scenario.
//!
//! Exit statuses are QEMU's: 0 = ACPI poweroff, 33 = kernel wrote 0x10 to
//! the isa-debug-exit port (success), 35 = it wrote 0x11 (failure/panic).

use crate::expect::Pattern::{self, Regex, Text};
use crate::qemu::Cpu;

/// How a scenario boots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScenarioBoot {
    /// `-kernel out/basalt.elf -initrd out/initramfs.cpio.gz -append <command line>`.
    Direct { append: &'static str },
    /// Like `Direct`, with out/initramfs-busybox.cpio.gz (Debian's busybox, tests/busybox scripts).
    Busybox { append: &'static str },
    /// `-cdrom out/basalt.iso` with SeaBIOS.
    IsoBios,
    /// `-cdrom out/basalt.iso` with OVMF.
    IsoUefi,
}

impl ScenarioBoot {
    /// Whether it needs out/basalt.iso.
    pub fn needs_iso(self) -> bool {
        !matches!(self, Self::Direct { .. } | Self::Busybox { .. })
    }
}

/// One QEMU run and what its serial log must show.
#[derive(Clone, Copy, Debug)]
pub struct Scenario {
    /// Name, also of the log file `out/logs/<name>.log`.
    pub name: &'static str,
    /// Boot method and command line.
    pub boot: ScenarioBoot,
    /// Guest CPU model.
    pub cpu: Cpu,
    /// `-m`.
    pub memory: &'static str,
    /// `-smp`; None leaves QEMU's default.
    pub smp: Option<u32>,
    /// Must all appear in the log.
    pub expected: &'static [Pattern],
    /// Must not appear in the log.
    pub forbidden: &'static [Pattern],
    /// QEMU's exit status.
    pub exit_status: i32,
    /// Kill QEMU and fail after this many seconds.
    pub timeout_secs: u64,
    /// Count `ktest: <name> ... ok|FAILED` lines as individual tests.
    pub ktest: bool,
    /// Compare the `case ...` lines with a native run of `abi-tests` on the host, one test per case.
    pub abi_compare: bool,
    /// Free memory printed by sysfuzz after its run must be back near its level before (leak check).
    pub memory_returns: bool,
}

/// The line /init prints first.
const GREETING: Pattern = Text("Hello from Basalt /init!");

/// Signs of a panic in the kernel or in /init.
const NO_PANIC: &[Pattern] = &[
    Text("Kernel panic"),
    Text("init: panic"),
    Text("panicked at"),
];

/// Defaults for a directly booted scenario; rows override what differs.
const DIRECT: Scenario = Scenario {
    name: "",
    boot: ScenarioBoot::Direct {
        append: "console=ttyS0",
    },
    cpu: Cpu::Max,
    memory: "128M",
    smp: Some(2),
    expected: &[GREETING],
    forbidden: NO_PANIC,
    exit_status: 0,
    timeout_secs: 90,
    ktest: false,
    abi_compare: false,
    memory_returns: false,
};

/// Every scenario, run in this order.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "ktest",
        boot: ScenarioBoot::Direct {
            append: "console=ttyS0 basalt.test=all",
        },
        expected: &[Regex(r"ktest: done, [0-9]+ passed, [0-9]+ failed")],
        exit_status: 33,
        timeout_secs: 120,
        ktest: true,
        ..DIRECT
    },
    Scenario {
        name: "boot-pvh",
        boot: ScenarioBoot::Direct {
            append: "console=ttyS0 -- first second",
        },
        // No special CPU features needed: QEMU's default model.
        cpu: Cpu::Qemu64,
        expected: &[
            GREETING,
            Text("argv[1]=first"),
            Text("argv[2]=second"),
            Text("envp[0]=HOME=/"),
            Text("envp[1]=TERM=linux"),
            Regex(r"/init started .* after [0-9.]+ ms"),
        ],
        ..DIRECT
    },
    Scenario {
        name: "smp4-16m",
        memory: "16M",
        smp: Some(4),
        expected: &[Text("4 CPUs online"), GREETING],
        ..DIRECT
    },
    Scenario {
        name: "mem-4g",
        memory: "4G",
        ..DIRECT
    },
    Scenario {
        name: "cmdline-unknown",
        boot: ScenarioBoot::Direct {
            append: "console=ttyS0 foo=bar baz",
        },
        expected: &[
            Text("Unknown kernel command line parameters"),
            Text("envp[2]=foo=bar"),
            Text("argv[1]=baz"),
            GREETING,
        ],
        ..DIRECT
    },
    Scenario {
        name: "missing-init",
        boot: ScenarioBoot::Direct {
            append: "console=ttyS0 rdinit=/nonexistent",
        },
        // The warning naming /nonexistent comes first, then the fallback /init runs.
        expected: &[
            Text("/nonexistent"),
            GREETING,
            Regex(r"(?s)/nonexistent.*Hello from Basalt /init!"),
        ],
        ..DIRECT
    },
    Scenario {
        name: "panic",
        boot: ScenarioBoot::Direct {
            append: "console=ttyS0 basalt.test=panic",
        },
        expected: &[Text("Kernel panic"), Text("Backtrace:")],
        forbidden: &[],
        exit_status: 35,
        ..DIRECT
    },
    Scenario {
        name: "process-smoke",
        boot: ScenarioBoot::Direct {
            append: "console=ttyS0 rdinit=/bin/smoke",
        },
        expected: &[Text("smoke: starting"), Text("smoke: done, 0 failed")],
        forbidden: &[Text("FAILED"), Text("Kernel panic"), Text("smoke: panic")],
        ..DIRECT
    },
    Scenario {
        name: "busybox-sh",
        boot: ScenarioBoot::Busybox {
            append: "console=ttyS0 rdinit=/bin/sh -- /smoke.sh",
        },
        memory: "256M",
        expected: &[
            Text("pipes: 3"),
            Text("subshell status: 3"),
            Regex(r"(?s)bg started.*waited"),
            Text("killed: 143"),
            Text("trapped USR1"),
            Text("cmdsub: cmdsub"),
            Regex(r"(?s)hello\s+f\s+/tmp/d"),
            Text("sorted: 1 2 3"),
            Text("/tmp/d/f"),
            Text("tmp/d/f"),
            Text("busybox smoke: done"),
        ],
        ..DIRECT
    },
    Scenario {
        name: "busybox-proc",
        boot: ScenarioBoot::Busybox {
            append: "console=ttyS0 rdinit=/bin/sh -- /procfs.sh",
        },
        memory: "256M",
        expected: &[
            Text("mounted: ok"),
            Text("proc on /proc type proc (rw,relatime)"),
            Text("sysfs on /sys type sysfs (rw,relatime)"),
            Text("none on /tmp/m type tmpfs (rw,relatime,size=1024k)"),
            Regex(r"PID +USER +COMMAND\s+1 0 +/bin/sh /procfs.sh"),
            Regex(r"Mem: +[0-9]+ +[0-9]+ +[0-9]+"),
            Regex(
                r"up +[0-9]+ min, .*load average: [0-9]+\.[0-9]{2}, [0-9]+\.[0-9]{2}, [0-9]+\.[0-9]{2}",
            ),
            Regex(r"Mem: [0-9]+K used, [0-9]+K free"),
            Regex(r"none +1024 +0 +1024 +0% /tmp/m"),
            Text("stat pid matches: yes"),
            Text("exe: /bin/busybox"),
            Regex(r"console\s.*\btty\b"),
            Text("umount: ok"),
            Text("chroot pwd: /"),
            Text("procfs: done"),
        ],
        ..DIRECT
    },
    Scenario {
        name: "programs",
        boot: ScenarioBoot::Busybox {
            append: "console=ttyS0 rdinit=/bin/sh -- /programs.sh",
        },
        memory: "256M",
        expected: &[
            Regex(r"(?s)thread-test: ok.*thread-test: ok.*hello-glibc: ok"),
            Text("programs: done"),
        ],
        forbidden: &[Text("FAILED"), Text("Kernel panic"), Text("panicked at")],
        timeout_secs: 180,
        ..DIRECT
    },
    Scenario {
        name: "abi",
        boot: ScenarioBoot::Busybox {
            append: "console=ttyS0 quiet rdinit=/bin/sh -- /abi.sh",
        },
        memory: "512M",
        expected: &[Regex(r"abi: [0-9]+ cases"), Text("abi-run: done")],
        forbidden: &[Text("Kernel panic")],
        timeout_secs: 600,
        abi_compare: true,
        ..DIRECT
    },
    Scenario {
        name: "fuzz-short",
        boot: ScenarioBoot::Busybox {
            append: "console=ttyS0 quiet rdinit=/bin/sh -- /fuzz.sh",
        },
        memory: "256M",
        expected: &[
            Regex(r"sysfuzz: done, [0-9]+ calls"),
            Text("after fuzz: 6 bytes"),
            Text("fuzz: done"),
        ],
        forbidden: &[Text("Kernel panic")],
        timeout_secs: 180,
        memory_returns: true,
        ..DIRECT
    },
    Scenario {
        name: "pagefault",
        boot: ScenarioBoot::Direct {
            append: "console=ttyS0 basalt.test=pagefault",
        },
        expected: &[
            Text("Oops: page fault"),
            Regex(r"RIP: 0x[0-9a-f]{16}"),
            Regex(r"#0 +0x[0-9a-f]{16} basalt_kernel::"),
            Text("Kernel panic - not syncing: Fatal exception: page fault"),
        ],
        forbidden: &[],
        exit_status: 35,
        ..DIRECT
    },
    Scenario {
        name: "reboot",
        boot: ScenarioBoot::Direct {
            append: "console=ttyS0 -- reboot",
        },
        // With -no-reboot, QEMU ends when the guest resets.
        expected: &[GREETING, Text("reboot: Restarting system")],
        ..DIRECT
    },
    Scenario {
        name: "quiet",
        boot: ScenarioBoot::Direct {
            append: "console=ttyS0 quiet",
        },
        expected: &[GREETING],
        forbidden: &[Text("Command line:"), Text("Kernel panic")],
        ..DIRECT
    },
    Scenario {
        name: "iso-bios",
        boot: ScenarioBoot::IsoBios,
        memory: "256M",
        smp: None,
        timeout_secs: 120,
        ..DIRECT
    },
    Scenario {
        name: "iso-uefi",
        boot: ScenarioBoot::IsoUefi,
        memory: "256M",
        smp: None,
        timeout_secs: 180,
        ..DIRECT
    },
];

/// The scenarios named in `names` (all when empty); unknown names are an error.
pub fn select(names: &[String]) -> Result<Vec<&'static Scenario>, String> {
    if names.is_empty() {
        return Ok(SCENARIOS.iter().collect());
    }
    if let Some(unknown) = names
        .iter()
        .find(|name| !SCENARIOS.iter().any(|scenario| scenario.name == **name))
    {
        let known: Vec<&str> = SCENARIOS.iter().map(|scenario| scenario.name).collect();
        return Err(format!(
            "unknown scenario {unknown:?}; known: {}",
            known.join(", ")
        ));
    }
    Ok(SCENARIOS
        .iter()
        .filter(|scenario| names.iter().any(|name| name == scenario.name))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expect::check_log;

    #[test]
    fn names_are_unique_and_usable_as_file_names() {
        for (index, scenario) in SCENARIOS.iter().enumerate() {
            assert!(!scenario.name.is_empty());
            assert!(
                scenario
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-'),
                "{}",
                scenario.name
            );
            assert!(SCENARIOS[..index]
                .iter()
                .all(|other| other.name != scenario.name));
            assert!(
                (60..=600).contains(&scenario.timeout_secs),
                "{}",
                scenario.name
            );
        }
    }

    #[test]
    fn every_pattern_is_valid() {
        for scenario in SCENARIOS {
            for pattern in scenario.expected.iter().chain(scenario.forbidden) {
                assert!(
                    pattern.is_found_in("").is_ok(),
                    "{}: {pattern}",
                    scenario.name
                );
            }
        }
    }

    #[test]
    fn boot_pvh_accepts_a_plausible_log_and_rejects_a_panic() {
        let scenario = select(&["boot-pvh".into()]).expect("exists")[0];
        let good = "[    0.900] /init started as pid 1 after 912.5 ms\nHello from Basalt /init!\nargc=3\n\
                    argv[0]=/init\nargv[1]=first\nargv[2]=second\nenvp[0]=HOME=/\nenvp[1]=TERM=linux\n";
        assert!(check_log(good, scenario.expected, scenario.forbidden).is_empty());
        assert_eq!(scenario.cpu, Cpu::Qemu64);
        let panicked = format!("{good}Kernel panic: oops\n");
        assert_eq!(
            check_log(&panicked, scenario.expected, scenario.forbidden).len(),
            1
        );
    }

    #[test]
    fn missing_init_requires_the_warning_before_the_greeting() {
        let scenario = select(&["missing-init".into()]).expect("exists")[0];
        let ordered = "warning: cannot run rdinit=/nonexistent: ENOENT, trying /init\nHello from Basalt /init!\n";
        assert!(check_log(ordered, scenario.expected, scenario.forbidden).is_empty());
        let reversed = "Hello from Basalt /init!\nwarning: /nonexistent\n";
        assert_eq!(
            check_log(reversed, scenario.expected, scenario.forbidden).len(),
            1
        );
    }

    #[test]
    fn the_required_rows_are_present() {
        let rows: Vec<(&str, i32, &str, Option<u32>, bool)> = SCENARIOS
            .iter()
            .map(|s| (s.name, s.exit_status, s.memory, s.smp, s.boot.needs_iso()))
            .collect();
        // The issue's acceptance list: these rows must exist (others may be added).
        for required in [
            ("ktest", 33, "128M", Some(2), false),
            ("boot-pvh", 0, "128M", Some(2), false),
            ("smp4-16m", 0, "16M", Some(4), false),
            ("mem-4g", 0, "4G", Some(2), false),
            ("panic", 35, "128M", Some(2), false),
            ("iso-bios", 0, "256M", None, true),
            ("iso-uefi", 0, "256M", None, true),
        ] {
            assert!(rows.contains(&required), "missing scenario {required:?}");
        }
        let mut names: Vec<&str> = rows.iter().map(|r| r.0).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), rows.len(), "scenario names must be unique");
    }

    #[test]
    fn selection_by_name() {
        assert_eq!(select(&[]).expect("all").len(), SCENARIOS.len());
        let picked = select(&["panic".into(), "ktest".into()]).expect("known");
        // Table order, not argument order.
        assert_eq!(
            picked.iter().map(|s| s.name).collect::<Vec<_>>(),
            ["ktest", "panic"]
        );
        let error = select(&["nope".into()]).expect_err("unknown");
        assert!(error.contains("\"nope\"") && error.contains("boot-pvh"));
    }
}
