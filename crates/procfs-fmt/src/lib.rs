//! The text of `/proc` files, formatted as Linux formats them (field order, padding, escapes), so that
//! programs that parse them — busybox `ps`, `top`, `free`, `mount`, procps — read Basalt's as they read
//! Linux's. The kernel gathers the values; this crate only writes text.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(test)]
extern crate std;

mod cpuflags;
mod loadavg;
mod pid;
mod system;

pub use cpuflags::cpu_flags;
pub use loadavg::{format_loadavg, LoadAverage};
pub use pid::{format_stat, format_status, ProcStat, ProcStatus};
pub use system::{
    format_cpuinfo, format_filesystems, format_meminfo, format_mount_line, format_proc_stat,
    format_uptime, format_version, mangle_path, CpuInfo, CpuTimes, MemInfo, SystemStat,
};
