//! Boot time: from the first kernel instruction to the first instruction of init.
#![forbid(unsafe_code)]

/// Log how long the kernel took to reach init (the TSC at entry is the zero of the monotonic clock).
pub fn report_init_start(path: &str) {
    let ns = crate::time::monotonic_ns();
    log::info!(
        "{path} started on CPU 0 after {}.{:03} ms (kernel entry to init)",
        ns / 1_000_000,
        (ns / 1000) % 1000
    );
}
