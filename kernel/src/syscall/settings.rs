//! System-wide settings that only a privileged process may change: the host and domain names (reported by
//! uname) and the wall clock and time zone (clock_settime, settimeofday). Checks are the `basalt-cred` crate's.
#![forbid(unsafe_code)]

use crate::arch::usercopy;
use crate::task::cred;
use basalt_cred::{
    check_clock_set, check_timeofday_usec, check_uts_name, settime, Timezone, NEW_UTS_LEN,
};
use basalt_linux_abi::Errno;
use spin::Mutex;

/// A uname field: up to 64 bytes, always NUL-terminated.
type UtsField = [u8; NEW_UTS_LEN + 1];

const fn uts_field(text: &[u8]) -> UtsField {
    let mut f = [0u8; NEW_UTS_LEN + 1];
    let mut i = 0;
    while i < text.len() && i < NEW_UTS_LEN {
        f[i] = text[i];
        i += 1;
    }
    f
}

static NODENAME: Mutex<UtsField> = Mutex::new(uts_field(b"basalt"));
static DOMAINNAME: Mutex<UtsField> = Mutex::new(uts_field(b"(none)"));
static TIMEZONE: Mutex<Timezone> = Mutex::new(Timezone {
    minuteswest: 0,
    dsttime: 0,
});

/// The host name, as uname's `nodename`.
pub fn nodename() -> UtsField {
    *NODENAME.lock()
}

/// The NIS domain name, as uname's `domainname`.
pub fn domainname() -> UtsField {
    *DOMAINNAME.lock()
}

/// The system time zone gettimeofday reports.
pub fn timezone() -> Timezone {
    *TIMEZONE.lock()
}

fn set_uts(field: &Mutex<UtsField>, name: u64, len: i32) -> Result<usize, Errno> {
    let len = check_uts_name(&cred::current(), len)?;
    let mut new = [0u8; NEW_UTS_LEN + 1];
    usercopy::copy_from_user(&mut new[..len], name)?;
    *field.lock() = new;
    Ok(0)
}

/// sethostname(name, len): `len` bytes, not necessarily NUL-terminated.
pub fn sethostname(name: u64, len: i32) -> Result<usize, Errno> {
    set_uts(&NODENAME, name, len)
}

/// setdomainname(name, len).
pub fn setdomainname(name: u64, len: i32) -> Result<usize, Errno> {
    set_uts(&DOMAINNAME, name, len)
}

fn read_pair(addr: u64) -> Result<(i64, i64), Errno> {
    let mut b = [0u8; 16];
    usercopy::copy_from_user(&mut b, addr)?;
    let first = i64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
    let second = i64::from_le_bytes([b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]]);
    Ok((first, second))
}

fn apply(tv: Option<(i64, i64)>, tz: Option<Timezone>) -> Result<usize, Errno> {
    let change = settime(&cred::current(), tv, tz, crate::time::monotonic_ns())?;
    if let Some(zone) = change.tz {
        *TIMEZONE.lock() = zone;
    }
    if let Some(ns) = change.realtime_ns {
        crate::time::set_realtime_ns(ns);
    }
    Ok(0)
}

/// clock_settime(clock, tp): only CLOCK_REALTIME can be set (privileged); other clocks are EINVAL.
pub fn clock_settime(clock: i32, tp: u64) -> Result<usize, Errno> {
    check_clock_set(clock)?;
    apply(Some(read_pair(tp)?), None)
}

/// settimeofday(tv, tz): either may be NULL.
pub fn settimeofday(tv: u64, tz: u64) -> Result<usize, Errno> {
    let time = if tv != 0 {
        let (sec, usec) = read_pair(tv)?;
        Some((sec, check_timeofday_usec(usec)?))
    } else {
        None
    };
    let zone = if tz != 0 {
        let mut b = [0u8; 8];
        usercopy::copy_from_user(&mut b, tz)?;
        Some(Timezone::from_user_bytes(b))
    } else {
        None
    };
    apply(time, zone)
}
