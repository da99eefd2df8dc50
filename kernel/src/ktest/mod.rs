//! In-kernel tests, run when the command line has `basalt.test=all` (or a comma-separated list of names, or
//! `panic` / `pagefault` to check the panic and exception paths). Each result is one serial line `ktest: NAME ... ok|FAILED`, which
//! `cargo xtask test` reads; the run ends with `ktest: done, N passed, M failed`.
#![forbid(unsafe_code)]

mod cpu_tests;
mod mem_tests;
mod time_tests;

use alloc::string::String;

/// A test: Ok, or a message saying what went wrong.
pub type TestResult = Result<(), String>;

struct Test {
    name: &'static str,
    run: fn() -> TestResult,
}

const TESTS: &[Test] = &[
    Test {
        name: "frames_alloc_free",
        run: mem_tests::frames_alloc_free,
    },
    Test {
        name: "frames_exhaustion_is_an_error",
        run: mem_tests::frames_exhaustion_is_an_error,
    },
    Test {
        name: "heap_size_classes",
        run: mem_tests::heap_size_classes,
    },
    Test {
        name: "heap_large_and_oom",
        run: mem_tests::heap_large_and_oom,
    },
    Test {
        name: "paging_map_unmap",
        run: mem_tests::paging_map_unmap,
    },
    Test {
        name: "paging_w_xor_x",
        run: mem_tests::paging_w_xor_x,
    },
    Test {
        name: "usercopy_faults_are_efault",
        run: mem_tests::usercopy_faults_are_efault,
    },
    Test {
        name: "interrupts_breakpoint",
        run: cpu_tests::breakpoint_returns,
    },
    Test {
        name: "ioapic_routes_irq4",
        run: cpu_tests::ioapic_routes_irq4,
    },
    Test {
        name: "smp_all_cpus_online",
        run: cpu_tests::all_cpus_online_and_ticking,
    },
    Test {
        name: "timer_ticks",
        run: time_tests::timer_ticks,
    },
    Test {
        name: "tsc_vs_hpet",
        run: time_tests::tsc_matches_hpet,
    },
    Test {
        name: "apic_timer_rate",
        run: time_tests::apic_timer_rate,
    },
    Test {
        name: "rtc_second",
        run: time_tests::rtc_second_matches_tsc,
    },
    Test {
        name: "calendar",
        run: time_tests::calendar,
    },
    Test {
        name: "initramfs_has_init",
        run: mem_tests::initramfs_has_init,
    },
    Test {
        name: "syscall_errors",
        run: cpu_tests::syscall_errors,
    },
];

/// Run the tests named in `list`; true if all passed.
pub fn run(list: &str) -> bool {
    match list {
        "panic" => panic!("test panic requested on the command line (basalt.test=panic)"),
        "pagefault" => {
            let value = crate::arch::traps::provoke_kernel_page_fault();
            panic!("reading an unmapped address returned {value:#x} instead of faulting");
        }
        _ => {}
    }
    let wanted = |name: &str| list == "all" || list.split(',').any(|w| w == name);
    let (mut passed, mut failed) = (0, 0);
    for test in TESTS.iter().filter(|t| wanted(t.name)) {
        match (test.run)() {
            Ok(()) => {
                passed += 1;
                crate::console::write(alloc::format!("ktest: {} ... ok\n", test.name).as_bytes());
            }
            Err(msg) => {
                failed += 1;
                crate::console::write(
                    alloc::format!("ktest: {} ... FAILED: {msg}\n", test.name).as_bytes(),
                );
            }
        }
    }
    for name in list
        .split(',')
        .filter(|n| *n != "all" && !TESTS.iter().any(|t| t.name == *n))
    {
        failed += 1;
        crate::console::write(
            alloc::format!("ktest: {name} ... FAILED: no such test\n").as_bytes(),
        );
    }
    crate::console::write(
        alloc::format!("ktest: done, {passed} passed, {failed} failed\n").as_bytes(),
    );
    failed == 0
}

/// Fail with a formatted message unless `cond`.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(alloc::format!($($fmt)+));
        }
    };
}
