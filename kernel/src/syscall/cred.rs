//! User and group ids: get*id, set*id, setfs*id, getgroups/setgroups. The transition rules are the
//! `basalt-cred` crate's; a change replaces the process's credentials as a whole.
#![forbid(unsafe_code)]

use crate::arch::usercopy;
use crate::task::{cred, process};
use alloc::vec::Vec;
use basalt_cred::{getgroups_count, setgroups_count, Cred};
use basalt_linux_abi::Errno;

/// getuid, geteuid, getgid, getegid: one id of the caller.
pub fn get_id(pick: fn(&Cred) -> u32) -> Result<usize, Errno> {
    Ok(pick(&cred::current()) as usize)
}

/// getresuid / getresgid: three ids written one after the other (a bad pointer fails at its turn).
pub fn get_res(ids: fn(&Cred) -> [u32; 3], ptrs: [u64; 3]) -> Result<usize, Errno> {
    let values = ids(&cred::current());
    for (ptr, value) in ptrs.into_iter().zip(values) {
        usercopy::copy_to_user(ptr, &value.to_le_bytes())?;
    }
    Ok(0)
}

/// Any set*id call: the change runs on a copy that replaces the credentials only if it succeeds.
pub fn set_ids(change: impl FnOnce(&mut Cred) -> Result<(), Errno>) -> Result<usize, Errno> {
    let p = process::current().ok_or(Errno::ESRCH)?;
    p.creds.update(change)?;
    Ok(0)
}

/// setfsuid / setfsgid: return the previous value whether or not the change was allowed.
pub fn set_fs_id(change: impl FnOnce(&mut Cred) -> u32) -> Result<usize, Errno> {
    let p = process::current().ok_or(Errno::ESRCH)?;
    Ok(p.creds.update(|c| Ok(change(c)))? as usize)
}

/// getgroups(size, list): the number of supplementary groups, and the groups when `size` is not 0.
pub fn getgroups(size: i32, list: u64) -> Result<usize, Errno> {
    let creds = cred::current();
    let Some(n) = getgroups_count(&creds, size)? else {
        return Ok(creds.groups.len());
    };
    let bytes: Vec<u8> = creds.groups.iter().flat_map(|g| g.to_le_bytes()).collect();
    usercopy::copy_to_user(list, &bytes)?;
    Ok(n)
}

/// setgroups(size, list): replace the supplementary groups (privileged).
pub fn setgroups(size: i32, list: u64) -> Result<usize, Errno> {
    let n = setgroups_count(&cred::current(), size)?;
    let mut bytes = Vec::new();
    bytes.try_reserve_exact(n * 4).map_err(|_| Errno::ENOMEM)?;
    bytes.resize(n * 4, 0);
    usercopy::copy_from_user(&mut bytes, list)?;
    let groups: Vec<u32> = bytes
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    set_ids(|c| c.set_groups(groups))
}
