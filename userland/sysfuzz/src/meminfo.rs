//! Free memory before and after a run, from `/proc/meminfo` (or sysinfo(2) where there is no /proc), so a
//! scenario can check that memory came back.

/// The `MemFree:` line's value (`MemFree: 123456 kB`); without /proc, sysinfo's free RAM in the same form;
/// `meminfo: n/a` when neither is available.
pub fn mem_free_report() -> String {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| mem_free_kib(&text))
        .or_else(sysinfo_free_kib)
        .map_or_else(
            || "meminfo: n/a".to_owned(),
            |kib| format!("MemFree: {kib} kB"),
        )
}

/// Free RAM from sysinfo(2), in KiB.
fn sysinfo_free_kib() -> Option<u64> {
    let mut info = std::mem::MaybeUninit::<libc::sysinfo>::zeroed();
    // SAFETY: sysinfo fills the struct it is given; it is zero-initialised, so reading it is sound either way.
    let r = unsafe { libc::sysinfo(info.as_mut_ptr()) };
    if r != 0 {
        return None;
    }
    // SAFETY: zero-initialised above and filled by a successful sysinfo.
    let info = unsafe { info.assume_init() };
    Some(info.freeram.saturating_mul(u64::from(info.mem_unit.max(1))) / 1024)
}

/// The number of KiB on the `MemFree:` line of meminfo-formatted `text`.
pub fn mem_free_kib(text: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let value = line.strip_prefix("MemFree:")?;
        let mut words = value.split_whitespace();
        let number = words.next()?.parse().ok()?;
        match words.next() {
            Some("kB") | None => Some(number),
            Some(_) => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_mem_free_line() {
        let text = "MemTotal:       24000000 kB\nMemFree:        12345678 kB\nMemAvailable:   20000000 kB\n";
        assert_eq!(mem_free_kib(text), Some(12_345_678));
        assert_eq!(mem_free_kib("MemFree: 5"), Some(5));
    }

    #[test]
    fn missing_or_malformed_lines_give_none() {
        assert_eq!(mem_free_kib(""), None);
        assert_eq!(mem_free_kib("MemTotal: 5 kB\n"), None);
        assert_eq!(mem_free_kib("MemFree: lots kB\n"), None);
        assert_eq!(mem_free_kib("MemFree:\n"), None);
        assert_eq!(mem_free_kib("MemFree: 5 MB\n"), None);
        assert_eq!(mem_free_kib("MemFree: -5 kB\n"), None);
        assert_eq!(mem_free_kib("XMemFree: 5 kB\n"), None);
    }

    #[test]
    fn report_has_one_of_the_two_forms() {
        let report = mem_free_report();
        assert!(
            report == "meminfo: n/a"
                || (report.starts_with("MemFree: ") && report.ends_with(" kB")),
            "{report}"
        );
    }
}
