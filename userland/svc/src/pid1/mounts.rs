//! The API file systems PID 1 mounts at boot, and unmounting everything at shutdown.
#![forbid(unsafe_code)]

use super::log;
use nix::errno::Errno;
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use std::os::unix::fs::DirBuilderExt;

/// One boot mount: source, target, type, flags, data, and whether a failure is only a warning.
pub struct BootMount {
    pub source: &'static str,
    pub target: &'static str,
    pub fstype: &'static str,
    pub flags: MsFlags,
    pub data: Option<&'static str>,
    /// The directory's mode when it has to be created.
    pub mode: u32,
}

const NOSUID_NODEV_NOEXEC: MsFlags = MsFlags::MS_NOSUID
    .union(MsFlags::MS_NODEV)
    .union(MsFlags::MS_NOEXEC);

/// In order: /dev before /dev/pts, as the kernel allows.
pub const BOOT_MOUNTS: &[BootMount] = &[
    BootMount {
        source: "proc",
        target: "/proc",
        fstype: "proc",
        flags: NOSUID_NODEV_NOEXEC,
        data: None,
        mode: 0o555,
    },
    BootMount {
        source: "sysfs",
        target: "/sys",
        fstype: "sysfs",
        flags: NOSUID_NODEV_NOEXEC,
        data: None,
        mode: 0o555,
    },
    BootMount {
        source: "devtmpfs",
        target: "/dev",
        fstype: "devtmpfs",
        flags: MsFlags::MS_NOSUID,
        data: Some("mode=0755"),
        mode: 0o755,
    },
    BootMount {
        source: "devpts",
        target: "/dev/pts",
        fstype: "devpts",
        flags: MsFlags::MS_NOSUID.union(MsFlags::MS_NOEXEC),
        data: Some("gid=5,mode=0620,ptmxmode=0666"),
        mode: 0o755,
    },
    BootMount {
        source: "tmpfs",
        target: "/run",
        fstype: "tmpfs",
        flags: MsFlags::MS_NOSUID.union(MsFlags::MS_NODEV),
        data: Some("mode=0755"),
        mode: 0o755,
    },
    BootMount {
        source: "tmpfs",
        target: "/tmp",
        fstype: "tmpfs",
        flags: MsFlags::MS_NOSUID.union(MsFlags::MS_NODEV),
        data: Some("mode=1777"),
        mode: 0o1777,
    },
];

/// Mounts [`BOOT_MOUNTS`]; what is already mounted (EBUSY) is fine, any other failure is a logged warning (the
/// system can still boot, e.g. without devpts).
pub fn mount_api_filesystems() {
    for entry in BOOT_MOUNTS {
        if let Err(error) = std::fs::DirBuilder::new()
            .recursive(true)
            .mode(entry.mode)
            .create(entry.target)
        {
            log(&format!("warning: cannot create {}: {error}", entry.target));
            continue;
        }
        match mount(
            Some(entry.source),
            entry.target,
            Some(entry.fstype),
            entry.flags,
            entry.data,
        ) {
            Ok(()) | Err(Errno::EBUSY) => {}
            Err(error) => log(&format!(
                "warning: cannot mount {} on {}: {error}",
                entry.fstype, entry.target
            )),
        }
    }
}

/// Mount points from /proc/self/mounts (second field, octal escapes decoded), in mount order.
pub fn parse_mount_points(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| line.split_whitespace().nth(1))
        .map(unescape)
        .collect()
}

/// `\040` → space, as the kernel escapes mount points.
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|d| bytes[i] == b'\\' && d.iter().all(|c| (b'0'..=b'7').contains(c)));
        match octal {
            Some(digits) => {
                let value = digits.iter().fold(0u32, |v, d| v * 8 + u32::from(d - b'0'));
                out.push(u8::try_from(value).unwrap_or(b'?'));
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Unmounts everything but the root, newest first; what is busy is detached (lazy unmount) instead.
pub fn unmount_all() {
    let Ok(text) = std::fs::read_to_string("/proc/self/mounts") else {
        log("warning: cannot read /proc/self/mounts; nothing unmounted");
        return;
    };
    for target in parse_mount_points(&text).iter().rev() {
        if target == "/" {
            continue;
        }
        if umount2(target.as_str(), MntFlags::empty()).is_err() {
            if let Err(error) = umount2(target.as_str(), MntFlags::MNT_DETACH) {
                log(&format!("warning: cannot unmount {target}: {error}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_points_come_in_order_with_escapes_decoded() {
        let text =
            "rootfs / rootfs rw 0 0\nproc /proc proc rw 0 0\ntmpfs /mnt/a\\040b tmpfs rw 0 0\n\n";
        assert_eq!(parse_mount_points(text), ["/", "/proc", "/mnt/a b"]);
        assert_eq!(unescape("a\\134b"), "a\\b");
        assert_eq!(unescape("trailing\\04"), "trailing\\04");
    }

    #[test]
    fn dev_comes_before_dev_pts() {
        let position = |t: &str| BOOT_MOUNTS.iter().position(|m| m.target == t);
        assert!(position("/dev") < position("/dev/pts"));
    }
}
