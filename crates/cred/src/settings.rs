//! Argument and privilege checks of the calls that change system-wide settings, in Linux's order: the host and
//! domain names (`sethostname`, `setdomainname`) and the wall clock (`clock_settime`, `settimeofday`).

use crate::Cred;
use basalt_linux_abi::Errno;

/// Longest host or domain name (`__NEW_UTS_LEN`); `uname` fields are one byte longer for the NUL.
pub const NEW_UTS_LEN: usize = 64;

const NSEC_PER_SEC: i64 = 1_000_000_000;
const USEC_PER_SEC: i64 = 1_000_000;
/// Latest settable wall-clock second (`TIME_SETTOD_SEC_MAX`: `KTIME_SEC_MAX` less 30 years of uptime).
pub const SETTOD_SEC_MAX: i64 = i64::MAX / NSEC_PER_SEC - 30 * 365 * 86_400;

/// `sethostname`/`setdomainname(name, len)` before the name is read: EPERM without privilege
/// (`CAP_SYS_ADMIN`), then EINVAL for a negative length or one above [`NEW_UTS_LEN`]. Returns the length.
pub fn check_uts_name(cred: &Cred, len: i32) -> Result<usize, Errno> {
    if !cred.is_privileged() {
        return Err(Errno::EPERM);
    }
    if len < 0 || len as usize > NEW_UTS_LEN {
        return Err(Errno::EINVAL);
    }
    Ok(len as usize)
}

/// `clock_settime(clock, ..)` before the time is read: only CLOCK_REALTIME can be set (then see [`settime`]);
/// every other clock (monotonic, boot time, coarse, TAI, the process and thread CPU clocks, unknown) is EINVAL,
/// as Linux's clocks without a `clock_set` operation are.
pub fn check_clock_set(clock: i32) -> Result<(), Errno> {
    if clock == 0 {
        Ok(())
    } else {
        Err(Errno::EINVAL)
    }
}

/// `settimeofday`'s `tv_usec`, checked as Linux does before the zone is read (0..=1e6; exactly 1e6 then fails
/// as an invalid time). Returns nanoseconds.
pub fn check_timeofday_usec(usec: i64) -> Result<i64, Errno> {
    if !(0..=USEC_PER_SEC).contains(&usec) {
        return Err(Errno::EINVAL);
    }
    Ok(usec * 1000)
}

/// `struct timezone`: minutes west of Greenwich and the obsolete DST kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timezone {
    /// Minutes west of Greenwich.
    pub minuteswest: i32,
    /// Type of DST correction (unused by Linux).
    pub dsttime: i32,
}

impl Timezone {
    /// The 8-byte user `struct timezone`.
    pub fn to_user_bytes(self) -> [u8; 8] {
        let mut b = [0u8; 8];
        b[..4].copy_from_slice(&self.minuteswest.to_le_bytes());
        b[4..].copy_from_slice(&self.dsttime.to_le_bytes());
        b
    }

    /// From the 8-byte user `struct timezone`.
    pub fn from_user_bytes(b: [u8; 8]) -> Timezone {
        Timezone {
            minuteswest: i32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            dsttime: i32::from_le_bytes([b[4], b[5], b[6], b[7]]),
        }
    }
}

/// What a successful [`settime`] changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SetTime {
    /// The new CLOCK_REALTIME, in nanoseconds since the epoch.
    pub realtime_ns: Option<u64>,
    /// The new system time zone.
    pub tz: Option<Timezone>,
}

/// Linux's `do_sys_settimeofday64` (also behind `clock_settime(CLOCK_REALTIME)`): EINVAL for a time that is
/// negative, has `tv_nsec` outside 0..1e9 or is too far in the future; then EPERM without privilege
/// (`CAP_SYS_TIME`); EINVAL for a zone beyond ±15 hours; EINVAL for a time before the system booted
/// (`monotonic_ns` since boot is now, and the wall clock may not go below it).
pub fn settime(
    cred: &Cred,
    tv: Option<(i64, i64)>,
    tz: Option<Timezone>,
    monotonic_ns: u64,
) -> Result<SetTime, Errno> {
    if let Some((sec, nsec)) = tv {
        if !(0..SETTOD_SEC_MAX).contains(&sec) || !(0..NSEC_PER_SEC).contains(&nsec) {
            return Err(Errno::EINVAL);
        }
    }
    if !cred.is_privileged() {
        return Err(Errno::EPERM);
    }
    if let Some(zone) = tz {
        if !(-15 * 60..=15 * 60).contains(&zone.minuteswest) {
            return Err(Errno::EINVAL);
        }
    }
    let realtime_ns = match tv {
        Some((sec, nsec)) => {
            let ns = sec as u64 * NSEC_PER_SEC as u64 + nsec as u64;
            if ns < monotonic_ns {
                return Err(Errno::EINVAL);
            }
            Some(ns)
        }
        None => None,
    };
    Ok(SetTime { realtime_ns, tz })
}
