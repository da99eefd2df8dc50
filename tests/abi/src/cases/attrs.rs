//! statx (fields against stat, AT_EMPTY_PATH, symlinks, errors) and the time setters (utimensat, futimesat,
//! utimes, utime): explicit times, UTIME_NOW/UTIME_OMIT, errors, and the rules for callers that are not the owner.

use crate::registry::Case;
use crate::scratch;
use crate::sys::{cstr, errno_name, nr, outcome, Errno, BAD_PTR};

pub const CASES: &[Case] = &[
    Case::new("statx.matches_stat", matches_stat),
    Case::new("statx.empty_path", empty_path),
    Case::new("statx.symlink_nofollow", symlink_nofollow),
    Case::new("statx.errors", statx_errors),
    Case::new("utimensat.explicit_times", explicit_times),
    Case::new("utimensat.omit_and_now", omit_and_now),
    Case::new("utimensat.errors", utimensat_errors),
    Case::new("utimensat.non_owner", non_owner),
    Case::new("utimes.and_futimesat", utimes_and_futimesat),
];

const STATX_BASIC_STATS: u32 = 0x7ff;
const AT_EMPTY_PATH: i32 = 0x1000;
const AT_SYMLINK_NOFOLLOW: i32 = 0x100;
const UTIME_NOW: i64 = (1 << 30) - 1;
const UTIME_OMIT: i64 = (1 << 30) - 2;

fn statx(
    dirfd: i32,
    path: *const libc::c_char,
    flags: i32,
    mask: u32,
) -> Result<libc::statx, Errno> {
    // SAFETY: plain data.
    let mut sx: libc::statx = unsafe { core::mem::zeroed() };
    sys!(
        nr::STATX,
        dirfd,
        path,
        flags,
        mask,
        &mut sx as *mut libc::statx
    )
    .map(|_| sx)
}

fn stat(path: &str) -> libc::stat {
    let c = cstr(path);
    // SAFETY: plain data.
    let mut st: libc::stat = unsafe { core::mem::zeroed() };
    let _ = sys!(
        nr::NEWFSTATAT,
        libc::AT_FDCWD,
        c.as_ptr(),
        &mut st as *mut libc::stat,
        AT_SYMLINK_NOFOLLOW
    );
    st
}

fn matches_stat() -> String {
    let Ok(p) = scratch::create("statx", b"hello statx", 0o640) else {
        return "create failed".into();
    };
    let c = cstr(&p);
    let st = stat(&p);
    let r = match statx(libc::AT_FDCWD, c.as_ptr(), 0, STATX_BASIC_STATS) {
        Ok(sx) => {
            let same = sx.stx_mode as u32 == st.st_mode
                && sx.stx_nlink as u64 == st.st_nlink
                && sx.stx_uid == st.st_uid
                && sx.stx_gid == st.st_gid
                && sx.stx_ino == st.st_ino
                && sx.stx_size as i64 == st.st_size
                && sx.stx_blocks as i64 == st.st_blocks
                && sx.stx_blksize as i64 == st.st_blksize
                && sx.stx_mtime.tv_sec == st.st_mtime
                && sx.stx_mtime.tv_nsec as i64 == st.st_mtime_nsec
                && sx.stx_atime.tv_sec == st.st_atime
                && sx.stx_ctime.tv_sec == st.st_ctime
                && libc::makedev(sx.stx_dev_major, sx.stx_dev_minor) == st.st_dev;
            format!(
                "basic_mask={} fields_same={same} size={} mode={:o}",
                sx.stx_mask & STATX_BASIC_STATS == STATX_BASIC_STATS,
                sx.stx_size,
                sx.stx_mode
            )
        }
        Err(e) => errno_name(e),
    };
    scratch::remove(&p);
    r
}

fn empty_path() -> String {
    let Ok(p) = scratch::create("statx-empty", b"x", 0o600) else {
        return "create failed".into();
    };
    let fd = scratch::open(&p, libc::O_RDONLY, 0).unwrap_or(-1);
    let st = stat(&p);
    let empty = cstr("");
    let by_fd = statx(fd, empty.as_ptr(), AT_EMPTY_PATH, STATX_BASIC_STATS)
        .map_or_else(errno_name, |sx| (sx.stx_ino == st.st_ino).to_string());
    let null = statx(fd, core::ptr::null(), AT_EMPTY_PATH, STATX_BASIC_STATS)
        .map_or_else(errno_name, |sx| (sx.stx_ino == st.st_ino).to_string());
    let without_flag =
        statx(fd, empty.as_ptr(), 0, STATX_BASIC_STATS).map_or_else(errno_name, |_| "ok".into());
    let mut fds = [0i32; 2];
    let _ = sys!(nr::PIPE2, fds.as_mut_ptr(), 0);
    let pipe = statx(fds[0], empty.as_ptr(), AT_EMPTY_PATH, STATX_BASIC_STATS)
        .map_or_else(errno_name, |sx| {
            (u32::from(sx.stx_mode) & libc::S_IFMT == libc::S_IFIFO).to_string()
        });
    let cwd = statx(
        libc::AT_FDCWD,
        empty.as_ptr(),
        AT_EMPTY_PATH,
        STATX_BASIC_STATS,
    )
    .map_or_else(errno_name, |sx| {
        (u32::from(sx.stx_mode) & libc::S_IFMT == libc::S_IFDIR).to_string()
    });
    scratch::remove(&p);
    format!("by_fd={by_fd} null_path={null} without_flag={without_flag} pipe_is_fifo={pipe} cwd_is_dir={cwd}")
}

fn symlink_nofollow() -> String {
    let Ok(target) = scratch::create("statx-target", b"abc", 0o600) else {
        return "create failed".into();
    };
    let link = scratch::path("statx-link");
    scratch::remove(&link);
    let (t, l) = (cstr(&target), cstr(&link));
    let _ = sys!(nr::SYMLINKAT, t.as_ptr(), libc::AT_FDCWD, l.as_ptr());
    let kind = |flags: i32| {
        statx(libc::AT_FDCWD, l.as_ptr(), flags, STATX_BASIC_STATS).map_or_else(errno_name, |sx| {
            match u32::from(sx.stx_mode) & libc::S_IFMT {
                libc::S_IFLNK => "link".into(),
                libc::S_IFREG => "file".into(),
                _ => "other".into(),
            }
        })
    };
    let r = format!("follow={} nofollow={}", kind(0), kind(AT_SYMLINK_NOFOLLOW));
    scratch::remove(&link);
    scratch::remove(&target);
    r
}

fn statx_errors() -> String {
    let here = cstr(".");
    let missing = cstr("abi-tmp-statx-missing");
    let rel = cstr("x");
    format!(
        "reserved={} sync_both={} bad_flag={} path_efault={} buf_efault={} enoent={} bad_dirfd={}",
        outcome(statx(libc::AT_FDCWD, here.as_ptr(), 0, 0x8000_0000).map(|_| 0)),
        outcome(statx(libc::AT_FDCWD, here.as_ptr(), 0x6000, STATX_BASIC_STATS).map(|_| 0)),
        outcome(statx(libc::AT_FDCWD, here.as_ptr(), 1, STATX_BASIC_STATS).map(|_| 0)),
        outcome(
            statx(
                libc::AT_FDCWD,
                BAD_PTR as *const libc::c_char,
                0,
                STATX_BASIC_STATS
            )
            .map(|_| 0)
        ),
        outcome(sys!(
            nr::STATX,
            libc::AT_FDCWD,
            here.as_ptr(),
            0,
            STATX_BASIC_STATS,
            BAD_PTR
        )),
        outcome(statx(libc::AT_FDCWD, missing.as_ptr(), 0, STATX_BASIC_STATS).map(|_| 0)),
        outcome(statx(999, rel.as_ptr(), 0, STATX_BASIC_STATS).map(|_| 0)),
    )
}

fn set(path: &str, times: Option<[(i64, i64); 2]>, flags: i32) -> Result<usize, Errno> {
    let c = cstr(path);
    match times {
        Some(t) => {
            let ts = [
                libc::timespec {
                    tv_sec: t[0].0,
                    tv_nsec: t[0].1,
                },
                libc::timespec {
                    tv_sec: t[1].0,
                    tv_nsec: t[1].1,
                },
            ];
            sys!(
                nr::UTIMENSAT,
                libc::AT_FDCWD,
                c.as_ptr(),
                ts.as_ptr(),
                flags
            )
        }
        None => sys!(nr::UTIMENSAT, libc::AT_FDCWD, c.as_ptr(), 0, flags),
    }
}

fn explicit_times() -> String {
    let Ok(p) = scratch::create("utime-explicit", b"x", 0o600) else {
        return "create failed".into();
    };
    let r = outcome(set(&p, Some([(1000, 500), (2000, 0)]), 0));
    let st = stat(&p);
    scratch::remove(&p);
    format!(
        "{r} atime={}.{} mtime={}.{} ctime_recent={}",
        st.st_atime,
        st.st_atime_nsec,
        st.st_mtime,
        st.st_mtime_nsec,
        st.st_ctime > 1_000_000_000
    )
}

fn omit_and_now() -> String {
    let Ok(p) = scratch::create("utime-omit", b"x", 0o600) else {
        return "create failed".into();
    };
    let _ = set(&p, Some([(1000, 0), (2000, 0)]), 0);
    let a = outcome(set(&p, Some([(3000, 0), (0, UTIME_OMIT)]), 0));
    let st1 = stat(&p);
    let b = outcome(set(&p, Some([(0, UTIME_OMIT), (0, UTIME_NOW)]), 0));
    let st2 = stat(&p);
    let c = outcome(set(&p, None, 0));
    let st3 = stat(&p);
    scratch::remove(&p);
    format!(
        "{a} atime={} mtime_kept={} | {b} atime_kept={} mtime_now={} | {c} both_now={}",
        st1.st_atime,
        st1.st_mtime == 2000,
        st2.st_atime == 3000,
        st2.st_mtime > 1_000_000_000,
        st3.st_atime > 1_000_000_000 && st3.st_mtime > 1_000_000_000
    )
}

fn utimensat_errors() -> String {
    let Ok(p) = scratch::create("utime-err", b"x", 0o600) else {
        return "create failed".into();
    };
    let r = format!(
        "bad_nsec={} negative_nsec={} bad_flags={} both_omit_missing={} missing={} times_efault={} path_efault={}",
        outcome(set(&p, Some([(0, 1_000_000_000), (0, 0)]), 0)),
        outcome(set(&p, Some([(0, -1), (0, 0)]), 0)),
        outcome(set(&p, Some([(0, 0), (0, 0)]), 0x2)),
        outcome(set("abi-tmp-utime-missing", Some([(0, UTIME_OMIT), (0, UTIME_OMIT)]), 0)),
        outcome(set("abi-tmp-utime-missing", None, 0)),
        outcome(sys!(nr::UTIMENSAT, libc::AT_FDCWD, cstr(&p).as_ptr(), BAD_PTR, 0)),
        outcome(sys!(nr::UTIMENSAT, libc::AT_FDCWD, BAD_PTR, 0, 0)),
    );
    scratch::remove(&p);
    r
}

fn non_owner() -> String {
    let (Ok(ro), Ok(rw)) = (
        scratch::create("utime-ro", b"x", 0o644),
        scratch::create("utime-rw", b"x", 0o666),
    ) else {
        return "create failed".into();
    };
    let r = crate::child::ask(move || {
        if let Err(e) = sys!(nr::SETRESUID, 1000, 1000, 1000) {
            return errno_name(e);
        }
        format!(
            "explicit={} now_no_write={} now_writable={} explicit_writable={} omit_only={}",
            outcome(set(&ro, Some([(5, 0), (5, 0)]), 0)),
            outcome(set(&ro, None, 0)),
            outcome(set(&rw, None, 0)),
            outcome(set(&rw, Some([(5, 0), (5, 0)]), 0)),
            outcome(set(&ro, Some([(0, UTIME_OMIT), (0, UTIME_OMIT)]), 0)),
        )
    });
    scratch::remove(&scratch::path("utime-ro"));
    scratch::remove(&scratch::path("utime-rw"));
    r
}

fn utimes_and_futimesat() -> String {
    let Ok(p) = scratch::create("utimes", b"x", 0o600) else {
        return "create failed".into();
    };
    let c = cstr(&p);
    let tv = |a: i64, au: i64, m: i64, mu: i64| {
        [
            libc::timeval {
                tv_sec: a,
                tv_usec: au,
            },
            libc::timeval {
                tv_sec: m,
                tv_usec: mu,
            },
        ]
    };
    let good = tv(100, 5, 200, 7);
    let bad = tv(100, 1_000_000, 200, 0);
    let u = outcome(sys!(nr::UTIMES, c.as_ptr(), good.as_ptr()));
    let st = stat(&p);
    let e = outcome(sys!(nr::UTIMES, c.as_ptr(), bad.as_ptr()));
    let fd = scratch::open(&p, libc::O_RDONLY, 0).unwrap_or(-1);
    let later = tv(300, 0, 400, 0);
    let f = outcome(sys!(nr::FUTIMESAT, fd, 0, later.as_ptr()));
    let st2 = stat(&p);
    let ub = libc::utimbuf {
        actime: 500,
        modtime: 600,
    };
    let old = outcome(sys!(nr::UTIME, c.as_ptr(), &ub as *const libc::utimbuf));
    let st3 = stat(&p);
    scratch::remove(&p);
    format!(
        "utimes={u} a={}.{} m={}.{} bad_usec={e} futimesat_fd={f} a={} m={} utime={old} a={} m={}",
        st.st_atime,
        st.st_atime_nsec,
        st.st_mtime,
        st.st_mtime_nsec,
        st2.st_atime,
        st2.st_mtime,
        st3.st_atime,
        st3.st_mtime
    )
}
