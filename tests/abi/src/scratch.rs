//! Scratch files for cases, created in the current directory (Basalt may have no /tmp). Names start with
//! `abi-tmp-` and each case removes what it created.

use crate::child;
use crate::sys::{cstr, nr, Errno};

/// The scratch path for `name`.
pub fn path(name: &str) -> String {
    format!("abi-tmp-{name}")
}

/// `openat(AT_FDCWD, path, flags, mode)`.
pub fn open(path: &str, flags: i32, mode: u32) -> Result<i32, Errno> {
    let c = cstr(path);
    sys!(nr::OPENAT, libc::AT_FDCWD, c.as_ptr(), flags, mode).map(|fd| fd as i32)
}

/// Creates (or truncates) scratch file `name` holding `contents` with exactly permissions `mode`; returns its path.
pub fn create(name: &str, contents: &[u8], mode: u32) -> Result<String, Errno> {
    let p = path(name);
    remove(&p);
    let fd = open(
        &p,
        libc::O_CREAT | libc::O_TRUNC | libc::O_WRONLY | libc::O_CLOEXEC,
        mode,
    )?;
    // Exact permissions, whatever the umask.
    let chmod = sys!(nr::FCHMOD, fd, mode);
    let written = child::write_all(fd, contents);
    child::close(fd);
    chmod?;
    written?;
    Ok(p)
}

/// Removes the file or empty directory at `path`, ignoring errors (cleanup).
pub fn remove(path: &str) {
    let c = cstr(path);
    let _ = sys!(nr::UNLINKAT, libc::AT_FDCWD, c.as_ptr(), 0);
    let _ = sys!(nr::UNLINKAT, libc::AT_FDCWD, c.as_ptr(), libc::AT_REMOVEDIR);
}
