//! Device numbers of character and block device nodes.

/// A device number split into major and minor, as `mknod(2)` and `st_rdev` carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct DeviceNumber {
    /// Major number (the driver).
    pub major: u32,
    /// Minor number (the unit within the driver).
    pub minor: u32,
}

impl DeviceNumber {
    /// The device `major:minor`.
    pub const fn new(major: u32, minor: u32) -> Self {
        Self { major, minor }
    }

    /// The user-space `dev_t` encoding (glibc/musl `makedev`): minor bits 0–7 and 20–43, major bits 8–19 and
    /// 44–63. For Linux's 12-bit majors and 20-bit minors this equals the kernel's `new_encode_dev`, which is
    /// what `stat(2)` reports in `st_rdev`.
    pub const fn encode(self) -> u64 {
        let major = self.major as u64;
        let minor = self.minor as u64;
        ((major & 0xffff_f000) << 32)
            | ((major & 0x0000_0fff) << 8)
            | ((minor & 0xffff_ff00) << 12)
            | (minor & 0x0000_00ff)
    }

    /// Splits a user-space `dev_t` (the inverse of [`DeviceNumber::encode`]); a 32-bit value from `mknod(2)`
    /// decodes as the kernel's `new_decode_dev` does.
    pub const fn decode(dev: u64) -> Self {
        let major = ((dev >> 32) & 0xffff_f000) | ((dev >> 8) & 0x0000_0fff);
        let minor = ((dev >> 12) & 0xffff_ff00) | (dev & 0x0000_00ff);
        Self {
            major: major as u32,
            minor: minor as u32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::DeviceNumber;

    #[test]
    fn encoding_matches_the_host_libc() {
        for (major, minor) in [
            (0, 0),
            (1, 3),
            (4, 64),
            (8, 255),
            (8, 256),
            (4095, 0xf_ffff),
            (0x1234_5678, 0x9abc_def0),
        ] {
            let dev = DeviceNumber::new(major, minor);
            assert_eq!(dev.encode(), libc::makedev(major, minor), "{major}:{minor}");
            assert_eq!(DeviceNumber::decode(dev.encode()), dev);
            assert_eq!(libc::major(dev.encode()), major);
            assert_eq!(libc::minor(dev.encode()), minor);
        }
    }
}
