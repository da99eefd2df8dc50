//! The size rules of `setgroups` and `getgroups`.

use crate::Cred;
use basalt_linux_abi::Errno;

/// Most supplementary groups a process may have (`NGROUPS_MAX`).
pub const NGROUPS_MAX: usize = 65536;

/// `setgroups(size, list)` before the list is read: EPERM without privilege, then EINVAL for a size above
/// [`NGROUPS_MAX`] (a negative `int` counts as huge). Returns how many ids to read.
pub fn setgroups_count(cred: &Cred, size: i32) -> Result<usize, Errno> {
    if !cred.is_privileged() {
        return Err(Errno::EPERM);
    }
    let size = size as u32 as usize;
    if size > NGROUPS_MAX {
        return Err(Errno::EINVAL);
    }
    Ok(size)
}

/// `getgroups(size, list)`: `Ok(None)` when `size` is 0 (only the count is returned); `Ok(Some(n))` to copy
/// all `n` groups; EINVAL for a negative size or one too small for the list.
pub fn getgroups_count(cred: &Cred, size: i32) -> Result<Option<usize>, Errno> {
    if size < 0 {
        return Err(Errno::EINVAL);
    }
    let n = cred.groups.len();
    if size == 0 {
        return Ok(None);
    }
    if n > size as usize {
        return Err(Errno::EINVAL);
    }
    Ok(Some(n))
}
