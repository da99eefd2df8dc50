//! Kernel log: `log` crate records printed on the console with a timestamp since boot, like Linux's printk
//! (`[    0.012345] message`). `loglevel=N` and `quiet` choose what is printed.
#![forbid(unsafe_code)]

use core::fmt::Write;
use core::sync::atomic::{AtomicU8, Ordering};
use log::{Level, LevelFilter, Log, Metadata, Record};

/// Linux console log level: messages with a level below it are printed (default 7: everything but debug).
static CONSOLE_LOGLEVEL: AtomicU8 = AtomicU8::new(7);

struct KernelLog;
static LOGGER: KernelLog = KernelLog;

fn linux_level(level: Level) -> u8 {
    match level {
        Level::Error => 3,
        Level::Warn => 4,
        Level::Info => 6,
        Level::Debug | Level::Trace => 7,
    }
}

impl Log for KernelLog {
    fn enabled(&self, metadata: &Metadata) -> bool {
        linux_level(metadata.level()) < CONSOLE_LOGLEVEL.load(Ordering::Relaxed)
    }

    fn log(&self, record: &Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let ns = crate::time::monotonic_ns();
        crate::console::with(|c| {
            let _ = write!(
                c,
                "[{:5}.{:06}] ",
                ns / 1_000_000_000,
                (ns / 1000) % 1_000_000
            );
            match record.level() {
                Level::Error => {
                    let _ = c.write_str("error: ");
                }
                Level::Warn => {
                    let _ = c.write_str("warning: ");
                }
                _ => {}
            }
            let _ = writeln!(c, "{}", record.args());
        });
    }

    fn flush(&self) {}
}

/// Install the logger (before anything logs).
pub fn init() {
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(LevelFilter::Trace);
}

/// Set the console log level (0–8, as Linux's `loglevel=`).
pub fn set_console_loglevel(level: u8) {
    CONSOLE_LOGLEVEL.store(level.min(8), Ordering::Relaxed);
}
