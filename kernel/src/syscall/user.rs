//! Reading user-space strings and arrays through the checked copy API.
#![forbid(unsafe_code)]

use crate::arch::usercopy;
use alloc::vec::Vec;
use basalt_linux_abi::Errno;

/// Longest path accepted (Linux's PATH_MAX, including the NUL).
pub const PATH_MAX: usize = 4096;
/// Most bytes of argv + envp strings accepted by execve (Linux allows more; plenty for now).
pub const ARG_MAX: usize = 128 * 1024;

/// Copy a NUL-terminated string of at most `max` bytes (NUL excluded). ENAMETOOLONG/E2BIG is the caller's choice
/// via `too_long`.
pub fn read_cstring(addr: u64, max: usize, too_long: Errno) -> Result<Vec<u8>, Errno> {
    // Most strings (paths, arguments, environment entries) are short: copy in small steps, not whole pages.
    const STEP: u64 = 256;
    let mut out = Vec::new();
    let mut at = addr;
    loop {
        // Never cross a page end in one copy, so an unmapped next page is not touched before it is needed.
        let chunk = STEP.min(4096 - (at % 4096)) as usize;
        let mut buf = [0u8; STEP as usize];
        usercopy::copy_from_user(&mut buf[..chunk], at)?;
        if let Some(nul) = buf[..chunk].iter().position(|&b| b == 0) {
            if out.len() + nul > max {
                return Err(too_long);
            }
            out.extend_from_slice(&buf[..nul]);
            return Ok(out);
        }
        if out.len() + chunk > max {
            return Err(too_long);
        }
        out.try_reserve(chunk).map_err(|_| Errno::ENOMEM)?;
        out.extend_from_slice(&buf[..chunk]);
        at = at.checked_add(chunk as u64).ok_or(Errno::EFAULT)?;
    }
}

/// Read a pointer-sized value.
pub fn read_u64(addr: u64) -> Result<u64, Errno> {
    let mut b = [0u8; 8];
    usercopy::copy_from_user(&mut b, addr)?;
    Ok(u64::from_le_bytes(b))
}

/// Write a 32-bit value.
pub fn write_i32(addr: u64, value: i32) -> Result<(), Errno> {
    usercopy::copy_to_user(addr, &value.to_le_bytes())
}

/// Read a NULL-terminated array of string pointers (argv/envp); `total` counts bytes across calls for ARG_MAX.
pub fn read_string_array(addr: u64, total: &mut usize) -> Result<Vec<Vec<u8>>, Errno> {
    let mut out = Vec::new();
    if addr == 0 {
        return Ok(out);
    }
    for i in 0u64.. {
        let ptr = read_u64(addr.checked_add(i * 8).ok_or(Errno::EFAULT)?)?;
        if ptr == 0 {
            break;
        }
        let s = read_cstring(ptr, ARG_MAX, Errno::E2BIG)?;
        *total += s.len() + 1 + 8;
        if *total > ARG_MAX {
            return Err(Errno::E2BIG);
        }
        out.push(s);
    }
    Ok(out)
}
