//! Mount flags and filesystem options: `mount(2)`'s `MS_*` flags and tmpfs's `size=`/`nr_inodes=`/`mode=`.

use basalt_linux_abi::Errno;

/// `MS_RDONLY`.
pub const MS_RDONLY: u64 = 1;
/// `MS_NOSUID`.
pub const MS_NOSUID: u64 = 2;
/// `MS_NODEV`.
pub const MS_NODEV: u64 = 4;
/// `MS_NOEXEC`.
pub const MS_NOEXEC: u64 = 8;
/// `MS_REMOUNT`.
pub const MS_REMOUNT: u64 = 32;
/// `MS_BIND`.
pub const MS_BIND: u64 = 4096;
/// `MS_MOVE`.
pub const MS_MOVE: u64 = 8192;
/// `MS_REC`.
pub const MS_REC: u64 = 16384;
/// `MS_NOUSER`: never valid from user space.
pub const MS_NOUSER: u64 = 1 << 31;
/// The old magic number in the top half of the flags (`MS_MGC_VAL`), ignored.
const MS_MGC_MSK: u64 = 0xffff_0000;
const MS_MGC_VAL: u64 = 0xc0ed_0000;

/// `mount(2)` flags as Linux's `path_mount` first sees them: the old magic removed.
pub fn strip_magic(flags: u64) -> u64 {
    if flags & MS_MGC_MSK == MS_MGC_VAL {
        flags & !MS_MGC_MSK
    } else {
        flags
    }
}

/// tmpfs options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TmpfsOptions {
    /// `size=`: most bytes of data (`None`: the default, half of RAM).
    pub size: Option<u64>,
    /// `nr_inodes=`.
    pub inodes: Option<u64>,
    /// `mode=` of the root directory (octal).
    pub mode: Option<u32>,
    /// `uid=`, `gid=` of the root directory.
    pub uid: Option<u32>,
    /// `gid=`.
    pub gid: Option<u32>,
}

/// A number with an optional `k`, `m`, `g`, `t`, `p` or `e` suffix (binary multiples), as `memparse`.
fn parse_size(text: &str) -> Option<u64> {
    let (digits, shift) = match text.as_bytes().last()? {
        b'k' | b'K' => (&text[..text.len() - 1], 10),
        b'm' | b'M' => (&text[..text.len() - 1], 20),
        b'g' | b'G' => (&text[..text.len() - 1], 30),
        b't' | b'T' => (&text[..text.len() - 1], 40),
        b'p' | b'P' => (&text[..text.len() - 1], 50),
        b'e' | b'E' => (&text[..text.len() - 1], 60),
        _ => (text, 0),
    };
    let value: u64 = digits.parse().ok()?;
    value.checked_mul(1u64 << shift)
}

/// Parses tmpfs's comma-separated options; `total_ram` is what `size=N%` is a percentage of. An unknown option
/// or a bad value is `EINVAL`, as Linux's `shmem_parse_one`.
pub fn parse_tmpfs(data: &[u8], total_ram: u64) -> Result<TmpfsOptions, Errno> {
    let text = core::str::from_utf8(data).map_err(|_| Errno::EINVAL)?;
    let mut out = TmpfsOptions {
        size: None,
        inodes: None,
        mode: None,
        uid: None,
        gid: None,
    };
    for option in text.split(',').filter(|o| !o.is_empty()) {
        let (key, value) = option.split_once('=').unwrap_or((option, ""));
        match key {
            "size" => {
                let bytes = match value.strip_suffix('%') {
                    Some(pct) => {
                        let pct: u64 = pct.parse().map_err(|_| Errno::EINVAL)?;
                        total_ram.saturating_mul(pct) / 100
                    }
                    None => parse_size(value).ok_or(Errno::EINVAL)?,
                };
                // Linux rounds up to whole pages.
                out.size = Some(bytes.div_ceil(4096).saturating_mul(4096));
            }
            "nr_inodes" => out.inodes = Some(parse_size(value).ok_or(Errno::EINVAL)?),
            "mode" => {
                out.mode = Some(u32::from_str_radix(value, 8).map_err(|_| Errno::EINVAL)? & 0o7777)
            }
            "uid" => out.uid = Some(value.parse().map_err(|_| Errno::EINVAL)?),
            "gid" => out.gid = Some(value.parse().map_err(|_| Errno::EINVAL)?),
            // Options of the generic mount layer that reach the filesystem as text.
            "rw" | "ro" | "nosuid" | "nodev" | "noexec" | "relatime" | "noatime"
            | "strictatime" => {}
            _ => return Err(Errno::EINVAL),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tmpfs_options_parse_like_linux() {
        let o = parse_tmpfs(b"size=1m,mode=1777", 1 << 30).unwrap();
        assert_eq!(o.size, Some(1 << 20));
        assert_eq!(o.mode, Some(0o1777));
        assert_eq!(
            parse_tmpfs(b"size=10%", 1000 * 4096).unwrap().size,
            Some(100 * 4096)
        );
        assert_eq!(parse_tmpfs(b"size=1", 0).unwrap().size, Some(4096));
        assert_eq!(parse_tmpfs(b"", 0).unwrap().size, None);
        assert_eq!(parse_tmpfs(b"bogus=1", 0), Err(Errno::EINVAL));
        assert_eq!(parse_tmpfs(b"size=x", 0), Err(Errno::EINVAL));
        assert_eq!(
            parse_tmpfs(b"nr_inodes=2k,uid=5,gid=6", 0).unwrap().inodes,
            Some(2048)
        );
    }

    #[test]
    fn magic_is_stripped() {
        assert_eq!(strip_magic(0xc0ed_0000 | MS_BIND), MS_BIND);
        assert_eq!(strip_magic(MS_RDONLY), MS_RDONLY);
    }
}
