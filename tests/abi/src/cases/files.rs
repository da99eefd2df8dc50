//! Regular files: open/openat, read/write (and the p/v variants), close, lseek, ftruncate, unlink, access.
//! Scratch files live in the current directory.

use crate::child::{close, pipe};
use crate::registry::Case;
use crate::scratch::{self, open};
use crate::sys::{cstr, eq, errno_name, nr, outcome, value, BAD_PTR};

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case::new("file.open_enoent", open_enoent),
    Case::new("file.open_missing_dir_enoent", open_missing_dir),
    Case::new("file.open_empty_path_enoent", open_empty_path),
    Case::new("file.open_efault", open_efault),
    Case::new("file.open_excl_eexist", open_excl),
    Case::new(
        "file.open_directory_for_write_eisdir",
        open_directory_for_write,
    ),
    Case::new(
        "file.open_o_directory_on_file_enotdir",
        open_o_directory_on_file,
    ),
    Case::new(
        "file.open_file_as_dir_component_enotdir",
        open_file_as_dir_component,
    ),
    Case::new("file.open_lowest_fd", open_lowest_fd),
    Case::new("file.open_creat_mode_umask", open_creat_mode),
    Case::new("file.write_read_roundtrip", write_read_roundtrip),
    Case::new("file.read_write_ebadf", read_write_ebadf),
    Case::new("file.access_mode_ebadf", access_mode_ebadf),
    Case::new("file.read_write_efault", read_write_efault),
    Case::new("file.read_directory_eisdir", read_directory),
    Case::new("file.write_zero_length", write_zero_length),
    Case::new("file.close_ebadf", close_ebadf),
    Case::new("file.lseek_whence", lseek_whence),
    Case::new("file.lseek_negative_einval", lseek_negative),
    Case::new("file.lseek_bad_whence_einval", lseek_bad_whence),
    Case::new("file.lseek_pipe_espipe", lseek_pipe),
    Case::new("file.lseek_past_end_hole", lseek_past_end_hole),
    Case::new("file.append", append),
    Case::new("file.truncate_on_open", truncate_on_open),
    Case::new("file.pread_pwrite_keep_offset", pread_pwrite),
    Case::new("file.pread_negative_offset_einval", pread_negative_offset),
    Case::new("file.readv_writev", readv_writev),
    Case::new("file.ftruncate", ftruncate),
    Case::new("file.unlink_while_open", unlink_while_open),
    Case::new("file.unlink_enoent", unlink_enoent),
    Case::new("file.access", access),
];

/// Runs `body` with scratch file `name` (holding `contents`) opened with `flags`.
fn with_open(
    name: &str,
    contents: &[u8],
    flags: i32,
    body: impl FnOnce(i32, &str) -> String,
) -> String {
    let p = match scratch::create(name, contents, 0o644) {
        Ok(p) => p,
        Err(e) => return format!("create {}", errno_name(e)),
    };
    let text = match open(&p, flags, 0) {
        Ok(fd) => {
            let t = body(fd, &p);
            close(fd);
            t
        }
        Err(e) => format!("open {}", errno_name(e)),
    };
    scratch::remove(&p);
    text
}

fn read_text(fd: i32, len: usize) -> String {
    let mut buf = vec![0u8; len];
    match sys!(nr::READ, fd, buf.as_mut_ptr(), len) {
        Ok(n) => format!("{:?}", String::from_utf8_lossy(&buf[..n])),
        Err(e) => errno_name(e),
    }
}

fn write(fd: i32, data: &[u8]) -> String {
    value(sys!(nr::WRITE, fd, data.as_ptr(), data.len()))
}

fn size_of(fd: i32) -> String {
    // SAFETY: plain data.
    let mut st: libc::stat = unsafe { core::mem::zeroed() };
    match sys!(nr::FSTAT, fd, &mut st as *mut libc::stat) {
        Ok(_) => st.st_size.to_string(),
        Err(e) => errno_name(e),
    }
}

fn open_enoent() -> String {
    outcome(open("abi-tmp-does-not-exist", libc::O_RDONLY, 0).map(|_| 0))
}

fn open_missing_dir() -> String {
    outcome(open("abi-tmp-no-dir/file", libc::O_RDONLY | libc::O_CREAT, 0o644).map(|_| 0))
}

fn open_empty_path() -> String {
    outcome(open("", libc::O_RDONLY, 0).map(|_| 0))
}

fn open_efault() -> String {
    outcome(sys!(nr::OPENAT, libc::AT_FDCWD, BAD_PTR, libc::O_RDONLY, 0))
}

fn open_excl() -> String {
    with_open("file", b"", libc::O_RDONLY, |_, p| {
        outcome(open(p, libc::O_CREAT | libc::O_EXCL | libc::O_WRONLY, 0o644).map(|_| 0))
    })
}

fn open_directory_for_write() -> String {
    outcome(open(".", libc::O_WRONLY, 0).map(|_| 0))
}

fn open_o_directory_on_file() -> String {
    with_open("file", b"", libc::O_RDONLY, |_, p| {
        outcome(open(p, libc::O_RDONLY | libc::O_DIRECTORY, 0).map(|_| 0))
    })
}

fn open_file_as_dir_component() -> String {
    with_open("file", b"", libc::O_RDONLY, |_, p| {
        outcome(open(&format!("{p}/x"), libc::O_RDONLY, 0).map(|_| 0))
    })
}

fn open_lowest_fd() -> String {
    with_open("file", b"", libc::O_RDONLY, |_, p| {
        let (Ok(a), Ok(b)) = (open(p, libc::O_RDONLY, 0), open(p, libc::O_RDONLY, 0)) else {
            return "open failed".to_string();
        };
        close(a);
        let c = open(p, libc::O_RDONLY, 0);
        let text = format!("reuses the freed number={}", eq(c, Ok(a)));
        close(b);
        if let Ok(c) = c {
            close(c);
        }
        text
    })
}

fn open_creat_mode() -> String {
    let p = scratch::path("creat");
    scratch::remove(&p);
    let text = match open(&p, libc::O_CREAT | libc::O_WRONLY, 0o666) {
        Ok(fd) => {
            // SAFETY: plain data.
            let mut st: libc::stat = unsafe { core::mem::zeroed() };
            let _ = sys!(nr::FSTAT, fd, &mut st as *mut libc::stat);
            close(fd);
            format!("mode={:o} (umask 022)", st.st_mode & 0o7777)
        }
        Err(e) => errno_name(e),
    };
    scratch::remove(&p);
    text
}

fn write_read_roundtrip() -> String {
    with_open("file", b"", libc::O_RDWR, |fd, _| {
        let w = write(fd, b"hello");
        let _ = sys!(nr::LSEEK, fd, 0, libc::SEEK_SET);
        let r = read_text(fd, 100);
        let eof = read_text(fd, 100);
        format!("write={w} read={r} then={eof}")
    })
}

fn read_write_ebadf() -> String {
    let mut b = [0u8; 4];
    format!(
        "read={} write={}",
        outcome(sys!(nr::READ, 999, b.as_mut_ptr(), 4)),
        outcome(sys!(nr::WRITE, 999, b.as_ptr(), 4))
    )
}

fn access_mode_ebadf() -> String {
    let ro = with_open("file", b"data", libc::O_RDONLY, |fd, _| {
        format!("write on O_RDONLY={}", write(fd, b"x"))
    });
    let wo = with_open("file", b"data", libc::O_WRONLY, |fd, _| {
        format!("read on O_WRONLY={}", read_text(fd, 4))
    });
    format!("{ro} {wo}")
}

fn read_write_efault() -> String {
    with_open("file", b"data", libc::O_RDWR, |fd, _| {
        let r = outcome(sys!(nr::READ, fd, BAD_PTR, 4));
        let w = outcome(sys!(nr::WRITE, fd, BAD_PTR, 4));
        format!("read={r} write={w}")
    })
}

fn read_directory() -> String {
    match open(".", libc::O_RDONLY | libc::O_DIRECTORY, 0) {
        Ok(fd) => {
            let t = read_text(fd, 10);
            close(fd);
            t
        }
        Err(e) => errno_name(e),
    }
}

fn write_zero_length() -> String {
    with_open("file", b"", libc::O_WRONLY, |fd, _| {
        value(sys!(nr::WRITE, fd, BAD_PTR, 0))
    })
}

fn close_ebadf() -> String {
    let (r, w) = pipe();
    let first = outcome(sys!(nr::CLOSE, r));
    let second = outcome(sys!(nr::CLOSE, r));
    close(w);
    format!(
        "close={first} again={second} fd 999={}",
        outcome(sys!(nr::CLOSE, 999))
    )
}

fn lseek_whence() -> String {
    with_open("file", b"0123456789", libc::O_RDONLY, |fd, _| {
        format!(
            "SET 3={} CUR +2={} END -1={} read={}",
            value(sys!(nr::LSEEK, fd, 3, libc::SEEK_SET)),
            value(sys!(nr::LSEEK, fd, 2, libc::SEEK_CUR)),
            value(sys!(nr::LSEEK, fd, -1i64, libc::SEEK_END)),
            read_text(fd, 10)
        )
    })
}

fn lseek_negative() -> String {
    with_open("file", b"0123456789", libc::O_RDONLY, |fd, _| {
        let r = value(sys!(nr::LSEEK, fd, -1i64, libc::SEEK_SET));
        format!(
            "{r} offset unchanged={}",
            value(sys!(nr::LSEEK, fd, 0, libc::SEEK_CUR))
        )
    })
}

fn lseek_bad_whence() -> String {
    with_open("file", b"0123456789", libc::O_RDONLY, |fd, _| {
        value(sys!(nr::LSEEK, fd, 0, 42))
    })
}

fn lseek_pipe() -> String {
    let (r, w) = pipe();
    let t = value(sys!(nr::LSEEK, r, 0, libc::SEEK_CUR));
    close(r);
    close(w);
    t
}

fn lseek_past_end_hole() -> String {
    with_open("file", b"ab", libc::O_RDWR, |fd, _| {
        let pos = value(sys!(nr::LSEEK, fd, 10, libc::SEEK_SET));
        let w = write(fd, b"z");
        let _ = sys!(nr::LSEEK, fd, 0, libc::SEEK_SET);
        format!(
            "seek={pos} write={w} size={} content={}",
            size_of(fd),
            read_text(fd, 100)
        )
    })
}

fn append() -> String {
    with_open("file", b"abc", libc::O_RDWR | libc::O_APPEND, |fd, _| {
        let _ = sys!(nr::LSEEK, fd, 0, libc::SEEK_SET);
        let w = write(fd, b"XY");
        let pos = value(sys!(nr::LSEEK, fd, 0, libc::SEEK_CUR));
        let _ = sys!(nr::LSEEK, fd, 0, libc::SEEK_SET);
        format!(
            "write={w} offset after={pos} content={}",
            read_text(fd, 100)
        )
    })
}

fn truncate_on_open() -> String {
    with_open("file", b"old content", libc::O_RDONLY, |_, p| {
        match open(p, libc::O_RDWR | libc::O_TRUNC, 0) {
            Ok(fd) => {
                let s = size_of(fd);
                close(fd);
                format!("size after O_TRUNC={s}")
            }
            Err(e) => errno_name(e),
        }
    })
}

fn pread_pwrite() -> String {
    with_open("file", b"0123456789", libc::O_RDWR, |fd, _| {
        let mut buf = [0u8; 3];
        let r = value(sys!(nr::PREAD64, fd, buf.as_mut_ptr(), 3, 4));
        let w = value(sys!(nr::PWRITE64, fd, b"AB".as_ptr(), 2, 8));
        let pos = value(sys!(nr::LSEEK, fd, 0, libc::SEEK_CUR));
        format!(
            "pread={r} {:?} pwrite={w} offset still={pos} content={}",
            String::from_utf8_lossy(&buf),
            read_text(fd, 100)
        )
    })
}

fn pread_negative_offset() -> String {
    with_open("file", b"0123456789", libc::O_RDONLY, |fd, _| {
        let mut buf = [0u8; 3];
        outcome(sys!(nr::PREAD64, fd, buf.as_mut_ptr(), 3, -1i64))
    })
}

fn readv_writev() -> String {
    with_open("file", b"", libc::O_RDWR, |fd, _| {
        let parts: [&[u8]; 3] = [b"ab", b"", b"cde"];
        let iov: Vec<[usize; 2]> = parts
            .iter()
            .map(|p| [p.as_ptr() as usize, p.len()])
            .collect();
        let w = value(sys!(nr::WRITEV, fd, iov.as_ptr(), 3));
        let _ = sys!(nr::LSEEK, fd, 0, libc::SEEK_SET);
        let (mut a, mut b) = ([0u8; 1], [0u8; 8]);
        let riov: [[usize; 2]; 2] = [[a.as_mut_ptr() as usize, 1], [b.as_mut_ptr() as usize, 8]];
        let r = sys!(nr::READV, fd, riov.as_ptr(), 2);
        let n = r.unwrap_or(0).saturating_sub(1).min(8);
        format!(
            "writev={w} readv={} first={:?} second={:?}",
            value(r),
            String::from_utf8_lossy(&a),
            String::from_utf8_lossy(&b[..n])
        )
    })
}

fn ftruncate() -> String {
    with_open("file", b"0123456789", libc::O_RDWR, |fd, _| {
        let shrink = outcome(sys!(nr::FTRUNCATE, fd, 3));
        let small = size_of(fd);
        let grow = outcome(sys!(nr::FTRUNCATE, fd, 6));
        let content = read_text(fd, 100);
        let negative = outcome(sys!(nr::FTRUNCATE, fd, -1i64));
        format!("shrink={shrink} size={small} grow={grow} content={content} negative={negative}")
    })
}

fn unlink_while_open() -> String {
    let p = match scratch::create("unlink", b"still here", 0o644) {
        Ok(p) => p,
        Err(e) => return format!("create {}", errno_name(e)),
    };
    let Ok(fd) = open(&p, libc::O_RDONLY, 0) else {
        return "open failed".to_string();
    };
    let c = cstr(&p);
    let u = outcome(sys!(nr::UNLINKAT, libc::AT_FDCWD, c.as_ptr(), 0));
    let reopen = outcome(open(&p, libc::O_RDONLY, 0).map(|_| 0));
    // SAFETY: plain data.
    let mut st: libc::stat = unsafe { core::mem::zeroed() };
    let _ = sys!(nr::FSTAT, fd, &mut st as *mut libc::stat);
    let text = format!(
        "unlink={u} reopen={reopen} read={} nlink={}",
        read_text(fd, 100),
        st.st_nlink
    );
    close(fd);
    text
}

fn unlink_enoent() -> String {
    let c = cstr("abi-tmp-does-not-exist");
    outcome(sys!(nr::UNLINKAT, libc::AT_FDCWD, c.as_ptr(), 0))
}

fn access() -> String {
    let dot = cstr(".");
    let missing = cstr("abi-tmp-does-not-exist");
    format!(
        "cwd={} missing={} bad mode={}",
        outcome(sys!(
            nr::FACCESSAT,
            libc::AT_FDCWD,
            dot.as_ptr(),
            libc::R_OK | libc::X_OK
        )),
        outcome(sys!(
            nr::FACCESSAT,
            libc::AT_FDCWD,
            missing.as_ptr(),
            libc::F_OK
        )),
        outcome(sys!(nr::FACCESSAT, libc::AT_FDCWD, dot.as_ptr(), 0x10))
    )
}
