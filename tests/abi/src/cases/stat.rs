//! File metadata: stat/lstat/fstat/newfstatat, symlinks and readlink, and special files' types.

use crate::child::{close, pipe};
use crate::registry::Case;
use crate::scratch::{self, open};
use crate::sys::{cstr, eq, errno_name, nr, outcome, value, BAD_PTR};

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case::new("stat.regular_file", regular_file),
    Case::new("stat.directory", directory),
    Case::new("stat.enoent", enoent),
    Case::new("stat.efault", efault),
    Case::new("stat.fstat_ebadf", fstat_ebadf),
    Case::new("stat.fstat_pipe", fstat_pipe),
    Case::new("stat.same_file_same_inode", same_file_same_inode),
    Case::new("stat.lstat_symlink", lstat_symlink),
    Case::new("stat.fstatat_empty_path", fstatat_empty_path),
    Case::new("stat.fstatat_bad_flags_einval", fstatat_bad_flags),
    Case::new("stat.readlink", readlink),
    Case::new("stat.readlink_not_symlink_einval", readlink_not_symlink),
];

fn stat_at(dirfd: i32, path: &str, flags: i32) -> Result<libc::stat, crate::sys::Errno> {
    let c = cstr(path);
    // SAFETY: plain data.
    let mut st: libc::stat = unsafe { core::mem::zeroed() };
    sys!(
        nr::NEWFSTATAT,
        dirfd,
        c.as_ptr(),
        &mut st as *mut libc::stat,
        flags
    )?;
    Ok(st)
}

fn fstat(fd: i32) -> Result<libc::stat, crate::sys::Errno> {
    // SAFETY: plain data.
    let mut st: libc::stat = unsafe { core::mem::zeroed() };
    sys!(nr::FSTAT, fd, &mut st as *mut libc::stat)?;
    Ok(st)
}

/// The file type from st_mode, as `ls -l` would show it.
pub fn kind(mode: u32) -> &'static str {
    match mode & libc::S_IFMT {
        libc::S_IFREG => "regular",
        libc::S_IFDIR => "directory",
        libc::S_IFLNK => "symlink",
        libc::S_IFCHR => "char device",
        libc::S_IFBLK => "block device",
        libc::S_IFIFO => "fifo",
        libc::S_IFSOCK => "socket",
        _ => "unknown",
    }
}

/// Creates scratch file `name`, runs `body` with its path, removes it.
fn with_file(name: &str, contents: &[u8], body: impl FnOnce(&str) -> String) -> String {
    match scratch::create(name, contents, 0o640) {
        Ok(p) => {
            let t = body(&p);
            scratch::remove(&p);
            t
        }
        Err(e) => format!("create {}", errno_name(e)),
    }
}

fn regular_file() -> String {
    with_file("stat", b"twelve bytes", |p| {
        match stat_at(libc::AT_FDCWD, p, 0) {
            Ok(st) => format!(
                "{} mode={:o} size={} nlink={} uid={} blksize>0={}",
                kind(st.st_mode),
                st.st_mode & 0o7777,
                st.st_size,
                st.st_nlink,
                st.st_uid,
                crate::sys::yes(st.st_blksize > 0)
            ),
            Err(e) => errno_name(e),
        }
    })
}

fn directory() -> String {
    match stat_at(libc::AT_FDCWD, ".", 0) {
        Ok(st) => kind(st.st_mode).to_string(),
        Err(e) => errno_name(e),
    }
}

fn enoent() -> String {
    outcome(stat_at(libc::AT_FDCWD, "abi-tmp-does-not-exist", 0).map(|_| 0))
}

fn efault() -> String {
    let dot = cstr(".");
    format!(
        "bad path={} bad buffer={}",
        outcome(sys!(nr::NEWFSTATAT, libc::AT_FDCWD, BAD_PTR, 0, 0)),
        outcome(sys!(
            nr::NEWFSTATAT,
            libc::AT_FDCWD,
            dot.as_ptr(),
            BAD_PTR,
            0
        ))
    )
}

fn fstat_ebadf() -> String {
    outcome(fstat(999).map(|_| 0))
}

fn fstat_pipe() -> String {
    let (r, w) = pipe();
    let t = match fstat(r) {
        Ok(st) => kind(st.st_mode).to_string(),
        Err(e) => errno_name(e),
    };
    close(r);
    close(w);
    t
}

fn same_file_same_inode() -> String {
    with_file("stat", b"x", |p| {
        let Ok(fd) = open(p, libc::O_RDONLY, 0) else {
            return "open failed".to_string();
        };
        let t = match (stat_at(libc::AT_FDCWD, p, 0), fstat(fd)) {
            (Ok(a), Ok(b)) => format!(
                "ino={} dev={}",
                eq(a.st_ino, b.st_ino),
                eq(a.st_dev, b.st_dev)
            ),
            (Err(e), _) | (_, Err(e)) => errno_name(e),
        };
        close(fd);
        t
    })
}

/// Creates scratch symlink `name` pointing at `target`; returns its path.
fn symlink(target: &str, name: &str) -> Result<String, crate::sys::Errno> {
    let link = scratch::path(name);
    scratch::remove(&link);
    let t = cstr(target);
    let l = cstr(&link);
    sys!(nr::SYMLINKAT, t.as_ptr(), libc::AT_FDCWD, l.as_ptr())?;
    Ok(link)
}

fn lstat_symlink() -> String {
    with_file("stat", b"0123456789", |p| {
        let link = match symlink(p, "link") {
            Ok(l) => l,
            Err(e) => return format!("symlink {}", errno_name(e)),
        };
        let l = stat_at(libc::AT_FDCWD, &link, libc::AT_SYMLINK_NOFOLLOW);
        let s = stat_at(libc::AT_FDCWD, &link, 0);
        scratch::remove(&link);
        match (l, s) {
            (Ok(l), Ok(s)) => format!(
                "lstat: {} size={} (target length {}) stat: {} size={}",
                kind(l.st_mode),
                l.st_size,
                p.len(),
                kind(s.st_mode),
                s.st_size
            ),
            (Err(e), _) | (_, Err(e)) => errno_name(e),
        }
    })
}

fn fstatat_empty_path() -> String {
    with_file("stat", b"abc", |p| {
        let Ok(fd) = open(p, libc::O_RDONLY, 0) else {
            return "open failed".to_string();
        };
        let with = stat_at(fd, "", libc::AT_EMPTY_PATH).map(|st| st.st_size as usize);
        let without = stat_at(fd, "", 0).map(|st| st.st_size as usize);
        close(fd);
        format!(
            "AT_EMPTY_PATH size={} without flag={}",
            value(with),
            value(without)
        )
    })
}

fn fstatat_bad_flags() -> String {
    outcome(stat_at(libc::AT_FDCWD, ".", 0x1).map(|_| 0))
}

fn readlink() -> String {
    let link = match symlink("some/target", "link") {
        Ok(l) => l,
        Err(e) => return format!("symlink {}", errno_name(e)),
    };
    let c = cstr(&link);
    let mut buf = [0u8; 64];
    let full = sys!(
        nr::READLINKAT,
        libc::AT_FDCWD,
        c.as_ptr(),
        buf.as_mut_ptr(),
        64
    );
    let text = String::from_utf8_lossy(&buf[..full.unwrap_or(0).min(64)]).into_owned();
    let mut small = [0u8; 4];
    let short = sys!(
        nr::READLINKAT,
        libc::AT_FDCWD,
        c.as_ptr(),
        small.as_mut_ptr(),
        4
    );
    scratch::remove(&link);
    format!(
        "returns {} {text:?} (no NUL) small buffer={} {:?}",
        value(full),
        value(short),
        String::from_utf8_lossy(&small)
    )
}

fn readlink_not_symlink() -> String {
    let c = cstr(".");
    let mut buf = [0u8; 64];
    outcome(sys!(
        nr::READLINKAT,
        libc::AT_FDCWD,
        c.as_ptr(),
        buf.as_mut_ptr(),
        64
    ))
}
