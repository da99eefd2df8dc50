//! `/proc/<pid>/stat` and `/proc/<pid>/status`.

use alloc::string::String;
use core::fmt::Write;

/// The values of `/proc/<pid>/stat`, in field order (`do_task_stat`). Times are in clock ticks (USER_HZ, 100),
/// sizes in bytes (`vsize`) or pages (`rss`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcStat {
    pub pid: u32,
    /// The command name (at most 15 bytes), shown raw between parentheses.
    pub comm: String,
    /// `R`, `S`, `D`, `Z`, `T`, `t`, `X`, `I`.
    pub state: char,
    pub ppid: u32,
    pub pgrp: u32,
    pub session: u32,
    pub tty_nr: u32,
    /// Foreground process group of the controlling terminal, -1 without one.
    pub tpgid: i32,
    pub flags: u32,
    pub minflt: u64,
    pub cminflt: u64,
    pub majflt: u64,
    pub cmajflt: u64,
    pub utime: u64,
    pub stime: u64,
    pub cutime: u64,
    pub cstime: u64,
    pub priority: i64,
    pub nice: i64,
    pub num_threads: u64,
    /// Boot-relative start time in ticks.
    pub starttime: u64,
    pub vsize: u64,
    pub rss: u64,
    pub rsslim: u64,
    pub startcode: u64,
    pub endcode: u64,
    pub startstack: u64,
    pub signal: u64,
    pub blocked: u64,
    pub sigignore: u64,
    pub sigcatch: u64,
    pub exit_signal: i32,
    pub processor: u32,
    pub rt_priority: u32,
    pub policy: u32,
    pub start_data: u64,
    pub end_data: u64,
    pub start_brk: u64,
    pub arg_start: u64,
    pub arg_end: u64,
    pub env_start: u64,
    pub env_end: u64,
    pub exit_code: i32,
}

/// One line of 52 space-separated fields, as Linux 6.x writes it.
pub fn format_stat(s: &ProcStat) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        "{} ({}) {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} 0 {} {} {} {} {} {} {} 0 0 ",
        s.pid,
        s.comm,
        s.state,
        s.ppid,
        s.pgrp,
        s.session,
        s.tty_nr,
        s.tpgid,
        s.flags,
        s.minflt,
        s.cminflt,
        s.majflt,
        s.cmajflt,
        s.utime,
        s.stime,
        s.cutime,
        s.cstime,
        s.priority,
        s.nice,
        s.num_threads,
        s.starttime,
        s.vsize,
        s.rss,
        s.rsslim,
        s.startcode,
        s.endcode,
        s.startstack,
    );
    // signal, blocked, sigignore, sigcatch, wchan (0), nswap, cnswap, exit_signal, processor, rt_priority,
    // policy, delayacct_blkio_ticks, guest_time, cguest_time, then the memory layout and the exit code.
    let _ = writeln!(
        out,
        "{} {} {} {} 0 0 0 {} {} {} {} 0 0 0 {} {} {} {} {} {} {} {}",
        s.signal,
        s.blocked,
        s.sigignore,
        s.sigcatch,
        s.exit_signal,
        s.processor,
        s.rt_priority,
        s.policy,
        s.start_data,
        s.end_data,
        s.start_brk,
        s.arg_start,
        s.arg_end,
        s.env_start,
        s.env_end,
        s.exit_code,
    );
    out
}

/// The values of `/proc/<pid>/status`. Sizes in kB.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcStatus {
    pub name: String,
    pub umask: u32,
    /// The state letter; the word after it is derived.
    pub state: char,
    pub tgid: u32,
    pub pid: u32,
    pub ppid: u32,
    pub pgid: u32,
    pub sid: u32,
    /// Real, effective, saved, filesystem.
    pub uids: [u32; 4],
    pub gids: [u32; 4],
    pub fd_size: u32,
    pub groups: alloc::vec::Vec<u32>,
    pub vm_peak_kb: u64,
    pub vm_size_kb: u64,
    pub vm_rss_kb: u64,
    pub vm_data_kb: u64,
    pub vm_stk_kb: u64,
    pub vm_exe_kb: u64,
    pub threads: u64,
    pub sig_pending_thread: u64,
    pub sig_pending_process: u64,
    pub sig_blocked: u64,
    pub sig_ignored: u64,
    pub sig_caught: u64,
    /// Bits of the CPUs the thread may run on (bit n: CPU n).
    pub cpus_allowed: alloc::vec::Vec<u32>,
    pub voluntary_switches: u64,
    pub involuntary_switches: u64,
}

fn state_word(state: char) -> &'static str {
    match state {
        'R' => "R (running)",
        'S' => "S (sleeping)",
        'D' => "D (disk sleep)",
        'T' => "T (stopped)",
        't' => "t (tracing stop)",
        'X' => "X (dead)",
        'Z' => "Z (zombie)",
        'P' => "P (parked)",
        _ => "I (idle)",
    }
}

/// `Name:` escapes as Linux's `proc_task_name` with `ESCAPE_SPACE | ESCAPE_SPECIAL`: `\n`, `\t`, `\\`, ...
fn escape_name(out: &mut String, name: &str) {
    for c in name.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\x0b' => out.push_str("\\v"),
            '\x0c' => out.push_str("\\f"),
            '\x07' => out.push_str("\\a"),
            '\x1b' => out.push_str("\\e"),
            '"' => out.push_str("\\\""),
            c => out.push(c),
        }
    }
}

/// A CPU set as hex words (`Cpus_allowed:` — 32-bit groups separated by commas, most significant first).
fn cpu_mask_hex(out: &mut String, words: &[u32]) {
    let used = words.iter().rposition(|&w| w != 0).map_or(1, |i| i + 1);
    for (i, word) in words[..used.min(words.len())].iter().rev().enumerate() {
        if i == 0 {
            let _ = write!(out, "{word:x}");
        } else {
            let _ = write!(out, ",{word:08x}");
        }
    }
    if words.is_empty() {
        out.push('0');
    }
}

/// A CPU set as ranges (`Cpus_allowed_list:` — `0-3,6`).
fn cpu_list(out: &mut String, words: &[u32]) {
    let is_set = |cpu: usize| {
        words
            .get(cpu / 32)
            .is_some_and(|w| w & (1 << (cpu % 32)) != 0)
    };
    let total = words.len() * 32;
    let mut cpu = 0;
    let mut first = true;
    while cpu < total {
        if !is_set(cpu) {
            cpu += 1;
            continue;
        }
        let start = cpu;
        while cpu + 1 < total && is_set(cpu + 1) {
            cpu += 1;
        }
        if !first {
            out.push(',');
        }
        first = false;
        if start == cpu {
            let _ = write!(out, "{start}");
        } else {
            let _ = write!(out, "{start}-{cpu}");
        }
        cpu += 1;
    }
}

/// `/proc/<pid>/status`: the lines of Linux 6.1 in its order (those Basalt has values for).
pub fn format_status(s: &ProcStatus) -> String {
    let mut out = String::from("Name:\t");
    escape_name(&mut out, &s.name);
    let _ = write!(
        out,
        "\nUmask:\t{:04o}\nState:\t{}\nTgid:\t{}\nNgid:\t0\nPid:\t{}\nPPid:\t{}\nTracerPid:\t0\n",
        s.umask,
        state_word(s.state),
        s.tgid,
        s.pid,
        s.ppid
    );
    let [ru, eu, su, fu] = s.uids;
    let [rg, eg, sg, fg] = s.gids;
    let _ = write!(
        out,
        "Uid:\t{ru}\t{eu}\t{su}\t{fu}\nGid:\t{rg}\t{eg}\t{sg}\t{fg}\nFDSize:\t{}\nGroups:\t",
        s.fd_size
    );
    // Linux separates the groups by spaces and then always adds one more (so no groups is a lone space).
    for (i, group) in s.groups.iter().enumerate() {
        let _ = write!(out, "{}{group}", if i == 0 { "" } else { " " });
    }
    out.push(' ');
    let _ = write!(
        out,
        "\nNStgid:\t{}\nNSpid:\t{}\nNSpgid:\t{}\nNSsid:\t{}\n",
        s.tgid, s.pid, s.pgid, s.sid
    );
    let kb = |out: &mut String, name: &str, value: u64| {
        let _ = writeln!(out, "{name}:\t{value:>8} kB");
    };
    kb(&mut out, "VmPeak", s.vm_peak_kb);
    kb(&mut out, "VmSize", s.vm_size_kb);
    kb(&mut out, "VmLck", 0);
    kb(&mut out, "VmPin", 0);
    kb(&mut out, "VmHWM", s.vm_rss_kb);
    kb(&mut out, "VmRSS", s.vm_rss_kb);
    kb(&mut out, "VmData", s.vm_data_kb);
    kb(&mut out, "VmStk", s.vm_stk_kb);
    kb(&mut out, "VmExe", s.vm_exe_kb);
    kb(&mut out, "VmSwap", 0);
    let _ = write!(
        out,
        "Threads:\t{}\nSigPnd:\t{:016x}\nShdPnd:\t{:016x}\nSigBlk:\t{:016x}\nSigIgn:\t{:016x}\nSigCgt:\t{:016x}\n",
        s.threads,
        s.sig_pending_thread,
        s.sig_pending_process,
        s.sig_blocked,
        s.sig_ignored,
        s.sig_caught
    );
    out.push_str("Cpus_allowed:\t");
    cpu_mask_hex(&mut out, &s.cpus_allowed);
    out.push_str("\nCpus_allowed_list:\t");
    cpu_list(&mut out, &s.cpus_allowed);
    let _ = write!(
        out,
        "\nvoluntary_ctxt_switches:\t{}\nnonvoluntary_ctxt_switches:\t{}\n",
        s.voluntary_switches, s.involuntary_switches
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_has_52_fields_in_linux_order() {
        let s = ProcStat {
            pid: 42,
            comm: String::from("a b)"),
            state: 'R',
            ppid: 1,
            pgrp: 42,
            session: 1,
            tpgid: -1,
            utime: 3,
            stime: 4,
            priority: 20,
            num_threads: 2,
            starttime: 77,
            vsize: 4096,
            rss: 1,
            exit_signal: 17,
            exit_code: 0,
            arg_end: 9,
            ..Default::default()
        };
        let text = format_stat(&s);
        assert!(text.ends_with('\n'));
        // As procps does: the comm ends at the LAST ')'.
        let close = text.rfind(')').unwrap();
        assert_eq!(&text[..close + 1], "42 (a b))");
        let fields: std::vec::Vec<&str> = text[close + 2..].split_whitespace().collect();
        assert_eq!(fields.len(), 50);
        assert_eq!(fields[0], "R");
        assert_eq!(fields[1], "1");
        assert_eq!(fields[5], "-1");
        assert_eq!(fields[11], "3"); // utime, field 14
        assert_eq!(fields[12], "4");
        assert_eq!(fields[15], "20");
        assert_eq!(fields[17], "2"); // num_threads, field 20
        assert_eq!(fields[19], "77"); // starttime, field 22
        assert_eq!(fields[20], "4096");
        assert_eq!(fields[35], "17"); // exit_signal, field 38
        assert_eq!(fields[46], "9"); // arg_end, field 49
    }

    #[test]
    fn status_matches_linux_layout() {
        let s = ProcStatus {
            name: String::from("sh\n"),
            umask: 0o22,
            state: 'S',
            tgid: 5,
            pid: 5,
            ppid: 1,
            pgid: 5,
            sid: 5,
            uids: [0, 0, 0, 0],
            gids: [1, 1, 1, 1],
            fd_size: 64,
            groups: alloc::vec![1, 2],
            vm_size_kb: 3060,
            threads: 1,
            sig_blocked: 1 << 16,
            cpus_allowed: alloc::vec![0b1011],
            ..Default::default()
        };
        let text = format_status(&s);
        assert!(text.starts_with("Name:\tsh\\n\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t5\n"));
        assert!(text.contains("\nUid:\t0\t0\t0\t0\nGid:\t1\t1\t1\t1\nFDSize:\t64\nGroups:\t1 2 \n"));
        assert!(text.contains("\nVmSize:\t    3060 kB\n"));
        let no_groups = format_status(&ProcStatus {
            groups: alloc::vec![],
            ..s
        });
        assert!(no_groups.contains("\nGroups:\t \nNStgid:"));
        assert!(text.contains("\nSigBlk:\t0000000000010000\n"));
        assert!(text.contains("\nCpus_allowed:\tb\nCpus_allowed_list:\t0-1,3\n"));
    }

    #[test]
    fn cpu_masks_print_like_bitmaps() {
        let mut out = String::new();
        cpu_mask_hex(&mut out, &[0xffff_ffff, 1]);
        assert_eq!(out, "1,ffffffff");
        let mut out = String::new();
        cpu_list(&mut out, &[0xffff_ffff, 1]);
        assert_eq!(out, "0-32");
    }
}
