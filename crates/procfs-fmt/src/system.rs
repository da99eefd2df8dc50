//! System-wide files: `/proc/meminfo`, `/proc/stat`, `/proc/uptime`, `/proc/cpuinfo`, `/proc/mounts`,
//! `/proc/filesystems`, `/proc/version`.

use alloc::string::String;
use core::fmt::Write;

/// Memory figures in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemInfo {
    pub total: u64,
    pub free: u64,
    pub available: u64,
    /// Page-cache pages (tmpfs data counts here, as Linux's shmem does).
    pub cached: u64,
    /// tmpfs and shared memory.
    pub shmem: u64,
    pub kernel_stack: u64,
    pub slab: u64,
}

/// `/proc/meminfo`: `Name:` padded to 16 columns, the value in kB right-aligned in 8.
pub fn format_meminfo(m: &MemInfo) -> String {
    let mut out = String::new();
    let lines: [(&str, u64); 16] = [
        ("MemTotal", m.total),
        ("MemFree", m.free),
        ("MemAvailable", m.available),
        ("Buffers", 0),
        ("Cached", m.cached),
        ("SwapCached", 0),
        ("SwapTotal", 0),
        ("SwapFree", 0),
        ("Dirty", 0),
        ("Writeback", 0),
        ("Mapped", 0),
        ("Shmem", m.shmem),
        ("Slab", m.slab),
        ("SReclaimable", 0),
        ("SUnreclaim", m.slab),
        ("KernelStack", m.kernel_stack),
    ];
    for (name, bytes) in lines {
        let label = alloc::format!("{name}:");
        let _ = writeln!(out, "{label:<16}{:>8} kB", bytes / 1024);
    }
    out
}

/// `/proc/uptime`: seconds since boot and summed idle time of all CPUs, with two decimals.
pub fn format_uptime(uptime_ns: u64, idle_ns: u64) -> String {
    let centis = |ns: u64| (ns / 1_000_000_000, ns / 10_000_000 % 100);
    let (us, uc) = centis(uptime_ns);
    let (is, ic) = centis(idle_ns);
    alloc::format!("{us}.{uc:02} {is}.{ic:02}\n")
}

/// Time one CPU (or all) spent, in clock ticks (USER_HZ).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpuTimes {
    pub user: u64,
    pub nice: u64,
    pub system: u64,
    pub idle: u64,
}

/// What `/proc/stat` reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SystemStat {
    pub total: CpuTimes,
    pub per_cpu: alloc::vec::Vec<CpuTimes>,
    pub interrupts: u64,
    pub context_switches: u64,
    /// Boot time, seconds since the epoch.
    pub boot_time: u64,
    /// Processes and threads created since boot.
    pub forks: u64,
    pub running: u64,
    pub blocked: u64,
}

fn cpu_line(out: &mut String, name: &str, t: &CpuTimes) {
    // iowait, irq, softirq, steal, guest, guest_nice are not measured separately: they are part of the others.
    let _ = writeln!(
        out,
        "{name} {} {} {} {} 0 0 0 0 0 0",
        t.user, t.nice, t.system, t.idle
    );
}

/// `/proc/stat`: the `cpu` lines (the total first, with two spaces, as Linux), then the counters.
pub fn format_proc_stat(s: &SystemStat) -> String {
    let mut out = String::new();
    cpu_line(&mut out, "cpu ", &s.total);
    for (i, cpu) in s.per_cpu.iter().enumerate() {
        cpu_line(&mut out, &alloc::format!("cpu{i}"), cpu);
    }
    let _ = write!(
        out,
        "intr {}\nctxt {}\nbtime {}\nprocesses {}\nprocs_running {}\nprocs_blocked {}\nsoftirq 0 0 0 0 0 0 0 0 0 0 0\n",
        s.interrupts, s.context_switches, s.boot_time, s.forks, s.running, s.blocked
    );
    out
}

/// One processor of `/proc/cpuinfo`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CpuInfo {
    pub processor: u32,
    pub vendor_id: String,
    pub family: u32,
    pub model: u32,
    pub model_name: String,
    pub stepping: u32,
    pub mhz: u64,
    pub apic_id: u32,
    pub cpus: u32,
    pub cpuid_level: u32,
    /// Linux's flag names of the features the CPU has.
    pub flags: alloc::vec::Vec<&'static str>,
    pub clflush_size: u32,
    pub physical_bits: u32,
    pub virtual_bits: u32,
}

/// `/proc/cpuinfo`: one block per processor, `name\t: value`, blocks separated by empty lines.
pub fn format_cpuinfo(cpus: &[CpuInfo]) -> String {
    let mut out = String::new();
    for c in cpus {
        let _ = write!(
            out,
            "processor\t: {}\nvendor_id\t: {}\ncpu family\t: {}\nmodel\t\t: {}\nmodel name\t: {}\nstepping\t: {}\n\
             cpu MHz\t\t: {}.000\nphysical id\t: 0\nsiblings\t: {}\ncore id\t\t: {}\ncpu cores\t: {}\n\
             apicid\t\t: {}\ninitial apicid\t: {}\nfpu\t\t: yes\nfpu_exception\t: yes\ncpuid level\t: {}\nwp\t\t: yes\nflags\t\t:",
            c.processor,
            c.vendor_id,
            c.family,
            c.model,
            c.model_name,
            c.stepping,
            c.mhz,
            c.cpus,
            c.processor,
            c.cpus,
            c.apic_id,
            c.apic_id,
            c.cpuid_level,
        );
        for flag in &c.flags {
            out.push(' ');
            out.push_str(flag);
        }
        let _ = write!(
            out,
            "\nbogomips\t: {}.{:02}\nclflush size\t: {}\ncache_alignment\t: {}\naddress sizes\t: {} bits physical, {} bits virtual\npower management:\n\n",
            c.mhz * 2,
            0,
            c.clflush_size,
            c.clflush_size,
            c.physical_bits,
            c.virtual_bits
        );
    }
    out
}

/// A path or name in `/proc/mounts`: space, tab, newline and backslash as octal escapes (`mangle`).
pub fn mangle_path(out: &mut String, text: &[u8]) {
    for &b in text {
        match b {
            b' ' | b'\t' | b'\n' | b'\\' => {
                let _ = write!(out, "\\{b:03o}");
            }
            _ => out.push(char::from(b)),
        }
    }
}

/// One line of `/proc/mounts`: `source target type options 0 0`.
pub fn format_mount_line(
    out: &mut String,
    source: &[u8],
    target: &[u8],
    fstype: &str,
    options: &str,
) {
    mangle_path(out, source);
    out.push(' ');
    mangle_path(out, target);
    let _ = writeln!(out, " {fstype} {options} 0 0");
}

/// `/proc/filesystems`: `nodev\tname` for filesystems without a device, `\tname` for the others.
pub fn format_filesystems(types: &[(&str, bool)]) -> String {
    let mut out = String::new();
    for (name, nodev) in types {
        let _ = writeln!(out, "{}\t{name}", if *nodev { "nodev" } else { "" });
    }
    out
}

/// `/proc/version`: `Linux version <release> (<builder>) (<compiler>) <version>`.
pub fn format_version(release: &str, builder: &str, compiler: &str, version: &str) -> String {
    alloc::format!("Linux version {release} ({builder}) ({compiler}) {version}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meminfo_pads_like_linux() {
        let text = format_meminfo(&MemInfo {
            total: 24_683_584 * 1024,
            free: 1024,
            ..Default::default()
        });
        assert!(text.starts_with("MemTotal:       24683584 kB\nMemFree:               1 kB\n"));
        assert!(text.contains("\nSwapTotal:             0 kB\n"));
    }

    #[test]
    fn uptime_has_two_decimals() {
        assert_eq!(
            format_uptime(3_671_851_000_000, 5_000_000),
            "3671.85 0.00\n"
        );
    }

    #[test]
    fn proc_stat_starts_with_the_total() {
        let text = format_proc_stat(&SystemStat {
            total: CpuTimes {
                user: 1,
                nice: 2,
                system: 3,
                idle: 4,
            },
            per_cpu: alloc::vec![CpuTimes::default()],
            boot_time: 99,
            ..Default::default()
        });
        assert!(text.starts_with("cpu  1 2 3 4 0 0 0 0 0 0\ncpu0 0 0 0 0 0 0 0 0 0 0\nintr 0\n"));
        assert!(text.contains("\nbtime 99\n"));
    }

    #[test]
    fn mounts_escape_spaces() {
        let mut out = String::new();
        format_mount_line(&mut out, b"none", b"/mnt/a b\\", "tmpfs", "rw,relatime");
        assert_eq!(out, "none /mnt/a\\040b\\134 tmpfs rw,relatime 0 0\n");
    }

    #[test]
    fn filesystems_and_version() {
        assert_eq!(
            format_filesystems(&[("proc", true), ("ext2", false)]),
            "nodev\tproc\n\text2\n"
        );
        assert_eq!(
            format_version("6.1.0", "b@h", "rustc", "#1 SMP"),
            "Linux version 6.1.0 (b@h) (rustc) #1 SMP\n"
        );
    }

    #[test]
    fn cpuinfo_blocks() {
        let text = format_cpuinfo(&[CpuInfo {
            vendor_id: String::from("GenuineIntel"),
            flags: alloc::vec!["fpu", "sse"],
            cpus: 1,
            ..Default::default()
        }]);
        assert!(text.starts_with(
            "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 0\nmodel\t\t: 0\n"
        ));
        assert!(text.contains("\nflags\t\t: fpu sse\n"));
        assert!(text.ends_with("power management:\n\n"));
    }
}
