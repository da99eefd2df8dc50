//! Directories: getdents64, mkdir/rmdir, chdir/getcwd, openat relative to a directory descriptor.
//! Work happens in a scratch directory `abi-tmp-dir` in the current directory.

use crate::child::close;
use crate::registry::Case;
use crate::scratch::{self, open};
use crate::sys::{cstr, errno_name, nr, outcome, value, yes, BAD_PTR};

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case::new("dir.getdents64_lists", getdents64_lists),
    Case::new("dir.getdents64_end_returns_zero", getdents64_end),
    Case::new("dir.getdents64_on_file_enotdir", getdents64_on_file),
    Case::new("dir.getdents64_ebadf", getdents64_ebadf),
    Case::new(
        "dir.getdents64_small_buffer_einval",
        getdents64_small_buffer,
    ),
    Case::new("dir.getdents64_efault", getdents64_efault),
    Case::new("dir.mkdir_eexist", mkdir_eexist),
    Case::new("dir.mkdir_missing_parent_enoent", mkdir_missing_parent),
    Case::new("dir.rmdir_not_empty", rmdir_not_empty),
    Case::new("dir.rmdir_file_enotdir", rmdir_file),
    Case::new("dir.unlink_directory_eisdir", unlink_directory),
    Case::new("dir.chdir_getcwd", chdir_getcwd),
    Case::new("dir.chdir_errors", chdir_errors),
    Case::new("dir.getcwd_small_buffer_erange", getcwd_small_buffer),
    Case::new("dir.openat_dirfd", openat_dirfd),
];

const DIR: &str = "abi-tmp-dir";

fn mkdir(path: &str) -> Result<usize, crate::sys::Errno> {
    let c = cstr(path);
    sys!(nr::MKDIRAT, libc::AT_FDCWD, c.as_ptr(), 0o755)
}

/// Creates `abi-tmp-dir` holding empty files `a`, `b`, `c`; runs `body`; removes it all.
fn with_dir(body: impl FnOnce() -> String) -> String {
    cleanup();
    if let Err(e) = mkdir(DIR) {
        return format!("mkdir {}", errno_name(e));
    }
    for name in ["a", "b", "c"] {
        if let Ok(fd) = open(
            &format!("{DIR}/{name}"),
            libc::O_CREAT | libc::O_WRONLY,
            0o644,
        ) {
            close(fd);
        }
    }
    let t = body();
    cleanup();
    t
}

fn cleanup() {
    for name in ["a", "b", "c", "sub"] {
        scratch::remove(&format!("{DIR}/{name}"));
    }
    scratch::remove(DIR);
}

/// All entries of directory `fd` as (name, d_type), sorted by name.
fn entries(fd: i32) -> Result<Vec<(String, u8)>, crate::sys::Errno> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 4096];
    loop {
        let n = sys!(nr::GETDENTS64, fd, buf.as_mut_ptr(), buf.len())?;
        if n == 0 {
            break;
        }
        let mut off = 0;
        // struct linux_dirent64: u64 ino, i64 off, u16 reclen, u8 type, name (NUL-terminated).
        while off + 19 <= n {
            let reclen = usize::from(u16::from_ne_bytes([buf[off + 16], buf[off + 17]]));
            if reclen == 0 || off + reclen > n {
                return Err(crate::sys::Errno::EIO);
            }
            let d_type = buf[off + 18];
            let name_bytes = &buf[off + 19..off + reclen];
            let end = name_bytes
                .iter()
                .position(|&b| b == 0)
                .unwrap_or(name_bytes.len());
            out.push((
                String::from_utf8_lossy(&name_bytes[..end]).into_owned(),
                d_type,
            ));
            off += reclen;
        }
    }
    out.sort();
    Ok(out)
}

fn type_name(d_type: u8) -> &'static str {
    match d_type {
        libc::DT_REG => "reg",
        libc::DT_DIR => "dir",
        libc::DT_LNK => "lnk",
        libc::DT_UNKNOWN => "unknown",
        _ => "other",
    }
}

fn getdents64_lists() -> String {
    with_dir(|| {
        let _ = mkdir(&format!("{DIR}/sub"));
        match open(DIR, libc::O_RDONLY | libc::O_DIRECTORY, 0) {
            Ok(fd) => {
                let t = match entries(fd) {
                    Ok(list) => {
                        let parts: Vec<String> = list
                            .iter()
                            .map(|(n, t)| format!("{n}:{}", type_name(*t)))
                            .collect();
                        parts.join(" ")
                    }
                    Err(e) => errno_name(e),
                };
                close(fd);
                t
            }
            Err(e) => format!("open {}", errno_name(e)),
        }
    })
}

fn getdents64_end() -> String {
    with_dir(|| match open(DIR, libc::O_RDONLY | libc::O_DIRECTORY, 0) {
        Ok(fd) => {
            let _ = entries(fd);
            let mut buf = [0u8; 1024];
            let again = value(sys!(nr::GETDENTS64, fd, buf.as_mut_ptr(), 1024));
            let _ = sys!(nr::LSEEK, fd, 0, libc::SEEK_SET);
            let rewound = entries(fd).map(|l| l.len());
            close(fd);
            format!("after end={again} after rewind entries={}", value(rewound))
        }
        Err(e) => format!("open {}", errno_name(e)),
    })
}

fn getdents64_on_file() -> String {
    with_dir(|| match open(&format!("{DIR}/a"), libc::O_RDONLY, 0) {
        Ok(fd) => {
            let mut buf = [0u8; 1024];
            let t = outcome(sys!(nr::GETDENTS64, fd, buf.as_mut_ptr(), 1024));
            close(fd);
            t
        }
        Err(e) => format!("open {}", errno_name(e)),
    })
}

fn getdents64_ebadf() -> String {
    let mut buf = [0u8; 1024];
    outcome(sys!(nr::GETDENTS64, 999, buf.as_mut_ptr(), 1024))
}

fn getdents64_small_buffer() -> String {
    with_dir(|| match open(DIR, libc::O_RDONLY | libc::O_DIRECTORY, 0) {
        Ok(fd) => {
            let mut buf = [0u8; 8];
            let t = outcome(sys!(nr::GETDENTS64, fd, buf.as_mut_ptr(), 8));
            close(fd);
            t
        }
        Err(e) => format!("open {}", errno_name(e)),
    })
}

fn getdents64_efault() -> String {
    with_dir(|| match open(DIR, libc::O_RDONLY | libc::O_DIRECTORY, 0) {
        Ok(fd) => {
            let t = outcome(sys!(nr::GETDENTS64, fd, BAD_PTR, 1024));
            close(fd);
            t
        }
        Err(e) => format!("open {}", errno_name(e)),
    })
}

fn mkdir_eexist() -> String {
    with_dir(|| outcome(mkdir(DIR)))
}

fn mkdir_missing_parent() -> String {
    outcome(mkdir("abi-tmp-no-parent/child"))
}

fn rmdir_not_empty() -> String {
    with_dir(|| {
        let c = cstr(DIR);
        outcome(sys!(
            nr::UNLINKAT,
            libc::AT_FDCWD,
            c.as_ptr(),
            libc::AT_REMOVEDIR
        ))
    })
}

fn rmdir_file() -> String {
    with_dir(|| {
        let c = cstr(&format!("{DIR}/a"));
        outcome(sys!(
            nr::UNLINKAT,
            libc::AT_FDCWD,
            c.as_ptr(),
            libc::AT_REMOVEDIR
        ))
    })
}

fn unlink_directory() -> String {
    with_dir(|| {
        let c = cstr(DIR);
        outcome(sys!(nr::UNLINKAT, libc::AT_FDCWD, c.as_ptr(), 0))
    })
}

fn getcwd() -> Result<String, crate::sys::Errno> {
    let mut buf = [0u8; 4096];
    let n = sys!(nr::GETCWD, buf.as_mut_ptr(), buf.len())?;
    let end = buf[..n.min(4096)]
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(n.min(4096));
    Ok(String::from_utf8_lossy(&buf[..end]).into_owned())
}

fn chdir_getcwd() -> String {
    with_dir(|| {
        let before = getcwd().unwrap_or_default();
        let c = cstr(DIR);
        let cd = outcome(sys!(nr::CHDIR, c.as_ptr()));
        let inside = getcwd();
        let up = cstr("..");
        let back = outcome(sys!(nr::CHDIR, up.as_ptr()));
        let after = getcwd().unwrap_or_default();
        format!(
            "chdir={cd} cwd ends with /{DIR}={} absolute={} back={back} restored={}",
            yes(inside
                .as_ref()
                .is_ok_and(|p| p.ends_with(&format!("/{DIR}")))),
            yes(inside.as_ref().is_ok_and(|p| p.starts_with('/'))),
            yes(before == after)
        )
    })
}

fn chdir_errors() -> String {
    with_dir(|| {
        let file = cstr(&format!("{DIR}/a"));
        let missing = cstr("abi-tmp-does-not-exist");
        format!(
            "file={} missing={} bad pointer={}",
            outcome(sys!(nr::CHDIR, file.as_ptr())),
            outcome(sys!(nr::CHDIR, missing.as_ptr())),
            outcome(sys!(nr::CHDIR, BAD_PTR))
        )
    })
}

fn getcwd_small_buffer() -> String {
    let mut buf = [0u8; 1];
    outcome(sys!(nr::GETCWD, buf.as_mut_ptr(), 1))
}

fn openat_dirfd() -> String {
    with_dir(|| {
        let Ok(dir) = open(DIR, libc::O_RDONLY | libc::O_DIRECTORY, 0) else {
            return "open dir failed".to_string();
        };
        let Ok(file) = open(&format!("{DIR}/a"), libc::O_RDONLY, 0) else {
            return "open file failed".to_string();
        };
        let a = cstr("a");
        let abs = cstr("/");
        let t = format!(
            "relative to dir={} relative to file={} bad dirfd={} absolute with bad dirfd={}",
            outcome(sys!(
                nr::OPENAT,
                dir,
                a.as_ptr(),
                libc::O_RDONLY | libc::O_CLOEXEC
            )),
            outcome(sys!(nr::OPENAT, file, a.as_ptr(), libc::O_RDONLY)),
            outcome(sys!(nr::OPENAT, 999, a.as_ptr(), libc::O_RDONLY)),
            outcome(sys!(
                nr::OPENAT,
                999,
                abs.as_ptr(),
                libc::O_RDONLY | libc::O_DIRECTORY
            ))
        );
        close(dir);
        close(file);
        t
    })
}
