//! System information: uname, sysinfo, getrandom.
//!
//! uname: Basalt's sysname/release/version are its own, so only their shape is compared (each field non-empty and
//! NUL-terminated within its 65 bytes); `machine` must be `x86_64` on both. sysinfo: only sanity relations.

use crate::registry::Case;
use crate::sys::{errno_name, nr, outcome, value, yes, BAD_PTR};

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case::new("uname.fields", uname_fields),
    Case::new("uname.efault", uname_efault),
    Case::new("uname.sethostname_too_long_einval", sethostname_too_long),
    Case::new("sysinfo.sane", sysinfo_sane),
    Case::new("sysinfo.efault", sysinfo_efault),
    Case::new("getrandom.fills", getrandom_fills),
    Case::new("getrandom.zero_length", getrandom_zero_length),
    Case::new("getrandom.flags", getrandom_flags),
    Case::new("getrandom.bad_flags_einval", getrandom_bad_flags),
    Case::new(
        "getrandom.random_with_insecure_einval",
        getrandom_random_with_insecure,
    ),
    Case::new("getrandom.efault", getrandom_efault),
    Case::new("getrandom.large", getrandom_large),
];

fn uname_fields() -> String {
    let mut buf = [0xffu8; 65 * 6];
    if let Err(e) = sys!(nr::UNAME, buf.as_mut_ptr()) {
        return errno_name(e);
    }
    let fields: Vec<&[u8]> = buf.chunks(65).collect();
    let field_text = |f: &[u8]| -> Option<String> {
        let end = f.iter().position(|&b| b == 0)?;
        Some(String::from_utf8_lossy(&f[..end]).into_owned())
    };
    let names = [
        "sysname",
        "nodename",
        "release",
        "version",
        "machine",
        "domainname",
    ];
    let mut parts = Vec::new();
    for (name, f) in names.iter().zip(&fields) {
        let shape = match field_text(f) {
            None => "unterminated".to_string(),
            Some(t) if *name == "machine" => t,
            // nodename and domainname may be empty ("(none)" on Linux by default); print only termination.
            Some(_) if *name == "nodename" || *name == "domainname" => "terminated".to_string(),
            Some(t) if t.is_empty() => "empty".to_string(),
            Some(_) => "non-empty".to_string(),
        };
        parts.push(format!("{name}={shape}"));
    }
    parts.join(" ")
}

fn uname_efault() -> String {
    outcome(sys!(nr::UNAME, BAD_PTR))
}

fn sethostname_too_long() -> String {
    // Rejected for its length, so the host's name is never changed.
    let name = [b'a'; 65];
    outcome(sys!(nr::SETHOSTNAME, name.as_ptr(), 65))
}

fn sysinfo_sane() -> String {
    // SAFETY: plain data.
    let mut si: libc::sysinfo = unsafe { core::mem::zeroed() };
    if let Err(e) = sys!(nr::SYSINFO, &mut si as *mut libc::sysinfo) {
        return errno_name(e);
    }
    let unit = u64::from(si.mem_unit.max(1));
    format!(
        "totalram>0={} freeram<=totalram={} mem_unit>=1={} procs>=1={} total>=16MiB={}",
        yes(si.totalram > 0),
        yes(si.freeram <= si.totalram),
        yes(si.mem_unit >= 1),
        yes(si.procs >= 1),
        yes(si.totalram.saturating_mul(unit) >= 16 << 20)
    )
}

fn sysinfo_efault() -> String {
    outcome(sys!(nr::SYSINFO, BAD_PTR))
}

fn getrandom_fills() -> String {
    let mut a = [0u8; 32];
    let mut b = [0u8; 32];
    let ra = value(sys!(nr::GETRANDOM, a.as_mut_ptr(), 32, 0));
    let rb = value(sys!(nr::GETRANDOM, b.as_mut_ptr(), 32, 0));
    format!("returned {ra} {rb} buffers differ={}", yes(a != b))
}

fn getrandom_zero_length() -> String {
    let mut a = [0u8; 1];
    value(sys!(nr::GETRANDOM, a.as_mut_ptr(), 0, 0))
}

fn getrandom_flags() -> String {
    let mut a = [0u8; 16];
    let nonblock = value(sys!(nr::GETRANDOM, a.as_mut_ptr(), 16, libc::GRND_NONBLOCK));
    let insecure = value(sys!(nr::GETRANDOM, a.as_mut_ptr(), 16, libc::GRND_INSECURE));
    format!("NONBLOCK={nonblock} INSECURE={insecure}")
}

fn getrandom_bad_flags() -> String {
    let mut a = [0u8; 16];
    value(sys!(nr::GETRANDOM, a.as_mut_ptr(), 16, 0x80))
}

fn getrandom_random_with_insecure() -> String {
    let mut a = [0u8; 16];
    value(sys!(
        nr::GETRANDOM,
        a.as_mut_ptr(),
        16,
        libc::GRND_RANDOM | libc::GRND_INSECURE
    ))
}

fn getrandom_efault() -> String {
    value(sys!(nr::GETRANDOM, BAD_PTR, 16, 0))
}

fn getrandom_large() -> String {
    let mut a = vec![0u8; 1 << 20];
    match sys!(nr::GETRANDOM, a.as_mut_ptr(), a.len(), 0) {
        Ok(n) => format!("returned in (0, 1MiB]={}", yes(n > 0 && n <= a.len())),
        Err(e) => errno_name(e),
    }
}
