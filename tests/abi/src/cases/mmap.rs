//! mmap and munmap: anonymous and file mappings, MAP_FIXED and MAP_FIXED_NOREPLACE, argument errors, SIGBUS
//! beyond the end of a file. Files are scratch files in the current directory.

use crate::child::{close, pipe};
use crate::registry::Case;
use crate::sys::{self, eq, errno_name, nr, outcome, yes, PAGE};
use crate::{scratch, sig};

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case::new("mmap.anon_zeroed_writable", anon_zeroed_writable),
    Case::new("mmap.zero_length_einval", zero_length),
    Case::new("mmap.no_sharing_type_einval", no_sharing_type),
    Case::new(
        "mmap.shared_validate_unknown_flag",
        shared_validate_unknown_flag,
    ),
    Case::new("mmap.bad_fd_ebadf", bad_fd),
    Case::new("mmap.unaligned_offset_einval", unaligned_offset),
    Case::new("mmap.fixed_unaligned_einval", fixed_unaligned),
    Case::new("mmap.fixed_replaces", fixed_replaces),
    Case::new("mmap.fixed_noreplace_eexist", fixed_noreplace_eexist),
    Case::new("mmap.fixed_noreplace_free", fixed_noreplace_free),
    Case::new("mmap.hint_in_use_moves", hint_in_use_moves),
    Case::new("mmap.huge_length_enomem", huge_length),
    Case::new("mmap.length_overflow_enomem", length_overflow),
    Case::new("mmap.file_private", file_private),
    Case::new("mmap.file_shared", file_shared),
    Case::new("mmap.file_offset", file_offset),
    Case::new("mmap.file_tail_zeroed", file_tail_zeroed),
    Case::new("mmap.file_beyond_eof_sigbus", file_beyond_eof_sigbus),
    Case::new(
        "mmap.file_shared_readonly_fd_eacces",
        file_shared_readonly_fd,
    ),
    Case::new("mmap.file_private_readonly_fd_ok", file_private_readonly_fd),
    Case::new("mmap.file_writeonly_fd_eacces", file_writeonly_fd),
    Case::new("mmap.pipe_enodev", pipe_enodev),
    Case::new("mmap.dev_zero_private", dev_zero_private),
    Case::new("mmap.file_shared_two_mappings", file_shared_two_mappings),
    Case::new("mmap.file_shared_across_fork", file_shared_across_fork),
    Case::new(
        "mmap.file_shared_kept_after_unmap",
        file_shared_kept_after_unmap,
    ),
    Case::new(
        "mmap.file_shared_beyond_eof_sigbus",
        file_shared_beyond_eof_sigbus,
    ),
    Case::new(
        "mmap.file_shared_truncate_zeroes",
        file_shared_truncate_zeroes,
    ),
    Case::new(
        "mmap.dev_zero_shared_across_fork",
        dev_zero_shared_across_fork,
    ),
    Case::new("munmap.unaligned_einval", munmap_unaligned),
    Case::new("munmap.zero_length_einval", munmap_zero_length),
    Case::new("munmap.unmapped_range_ok", munmap_unmapped_range),
    Case::new("munmap.access_after_segv", munmap_access_after),
    Case::new("munmap.middle_splits", munmap_middle_splits),
];

const RW: i32 = libc::PROT_READ | libc::PROT_WRITE;
const PRIVATE_ANON: i32 = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS;

fn mmap(
    addr: usize,
    len: usize,
    prot: i32,
    flags: i32,
    fd: i32,
    off: i64,
) -> Result<usize, sys::Errno> {
    sys!(nr::MMAP, addr, len, prot, flags, fd, off)
}

/// Runs `body` with scratch file `name` (holding `contents`) opened with `flags`; removes the file after.
fn with_file(name: &str, contents: &[u8], flags: i32, body: impl FnOnce(i32) -> String) -> String {
    let p = match scratch::create(name, contents, 0o644) {
        Ok(p) => p,
        Err(e) => return format!("create {}", errno_name(e)),
    };
    let text = match scratch::open(&p, flags | libc::O_CLOEXEC, 0) {
        Ok(fd) => {
            let t = body(fd);
            close(fd);
            t
        }
        Err(e) => format!("open {}", errno_name(e)),
    };
    scratch::remove(&p);
    text
}

/// Reads `len` bytes at `offset` of `fd` (pread).
fn pread(fd: i32, len: usize, offset: i64) -> Vec<u8> {
    let mut buf = vec![0u8; len];
    let n = sys!(nr::PREAD64, fd, buf.as_mut_ptr(), len, offset).unwrap_or(0);
    buf.truncate(n);
    buf
}

/// `len` bytes of memory at `addr`, which must be mapped readable.
fn bytes(addr: usize, len: usize) -> Vec<u8> {
    // SAFETY: the caller passes a readable mapping.
    (0..len).map(|i| unsafe { sys::peek(addr + i) }).collect()
}

fn anon_zeroed_writable() -> String {
    match mmap(0, 2 * PAGE, RW, PRIVATE_ANON, -1, 0) {
        Ok(a) => {
            let zero = bytes(a, 2 * PAGE).iter().all(|&b| b == 0);
            // SAFETY: mapped read-write.
            unsafe { sys::poke(a + PAGE + 5, 7) };
            let aligned = a % PAGE == 0;
            // SAFETY: as above.
            format!(
                "aligned={} zeroed={} write/read={}",
                yes(aligned),
                yes(zero),
                unsafe { sys::peek(a + PAGE + 5) }
            )
        }
        Err(e) => errno_name(e),
    }
}

fn zero_length() -> String {
    outcome(mmap(0, 0, RW, PRIVATE_ANON, -1, 0))
}

fn no_sharing_type() -> String {
    outcome(mmap(0, PAGE, RW, libc::MAP_ANONYMOUS, -1, 0))
}

fn shared_validate_unknown_flag() -> String {
    // MAP_SHARED_VALIDATE rejects flags it does not know (plain MAP_SHARED ignores them); Linux accepts it for
    // files only.
    let unknown = 0x20_0000;
    let anon = outcome(mmap(
        0,
        PAGE,
        RW,
        libc::MAP_SHARED_VALIDATE | libc::MAP_ANONYMOUS,
        -1,
        0,
    ));
    let file = with_file("mmap", b"0123456789", libc::O_RDWR, |fd| {
        let validate = outcome(mmap(
            0,
            PAGE,
            RW,
            libc::MAP_SHARED_VALIDATE | unknown,
            fd,
            0,
        ));
        let known = outcome(mmap(0, PAGE, RW, libc::MAP_SHARED_VALIDATE, fd, 0));
        let plain = outcome(mmap(0, PAGE, RW, libc::MAP_SHARED | unknown, fd, 0));
        format!("file: VALIDATE+unknown={validate} VALIDATE={known} SHARED+unknown={plain}")
    });
    format!("anon VALIDATE={anon} {file}")
}

fn bad_fd() -> String {
    outcome(mmap(0, PAGE, libc::PROT_READ, libc::MAP_PRIVATE, 999, 0))
}

fn unaligned_offset() -> String {
    with_file("mmap", b"0123456789", libc::O_RDWR, |fd| {
        outcome(mmap(0, PAGE, libc::PROT_READ, libc::MAP_PRIVATE, fd, 1))
    })
}

fn fixed_unaligned() -> String {
    let Ok(a) = sys::map_anon(2 * PAGE) else {
        return "mmap failed".to_string();
    };
    outcome(mmap(a + 1, PAGE, RW, PRIVATE_ANON | libc::MAP_FIXED, -1, 0))
}

fn fixed_replaces() -> String {
    let Ok(a) = sys::map_anon(2 * PAGE) else {
        return "mmap failed".to_string();
    };
    // SAFETY: mapped read-write.
    unsafe {
        sys::poke(a, 1);
        sys::poke(a + PAGE, 2);
    }
    let r = mmap(a + PAGE, PAGE, RW, PRIVATE_ANON | libc::MAP_FIXED, -1, 0);
    // SAFETY: both pages are still mapped.
    let (first, second) = unsafe { (sys::peek(a), sys::peek(a + PAGE)) };
    format!(
        "returns addr={} first page={first} replaced page={second}",
        eq(r, Ok(a + PAGE))
    )
}

fn fixed_noreplace_eexist() -> String {
    let Ok(a) = sys::map_anon(2 * PAGE) else {
        return "mmap failed".to_string();
    };
    // SAFETY: mapped read-write.
    unsafe { sys::poke(a + PAGE, 9) };
    let r = outcome(mmap(
        a + PAGE,
        PAGE,
        RW,
        PRIVATE_ANON | libc::MAP_FIXED_NOREPLACE,
        -1,
        0,
    ));
    // SAFETY: still mapped.
    format!("{r} old content kept={}", unsafe { sys::peek(a + PAGE) })
}

fn fixed_noreplace_free() -> String {
    let Ok(a) = sys::map_anon(PAGE) else {
        return "mmap failed".to_string();
    };
    sys::unmap(a, PAGE);
    let r = mmap(a, PAGE, RW, PRIVATE_ANON | libc::MAP_FIXED_NOREPLACE, -1, 0);
    format!("returns requested addr={}", eq(r, Ok(a)))
}

fn hint_in_use_moves() -> String {
    let Ok(a) = sys::map_anon(PAGE) else {
        return "mmap failed".to_string();
    };
    // SAFETY: mapped read-write.
    unsafe { sys::poke(a, 3) };
    let r = mmap(a, PAGE, RW, PRIVATE_ANON, -1, 0);
    // SAFETY: still mapped.
    let kept = unsafe { sys::peek(a) };
    match r {
        Ok(b) => format!("other address={} old content={kept}", yes(b != a)),
        Err(e) => errno_name(e),
    }
}

fn huge_length() -> String {
    outcome(mmap(0, 1 << 47, RW, PRIVATE_ANON, -1, 0))
}

fn length_overflow() -> String {
    // Rounding the length up to a page overflows.
    outcome(mmap(0, usize::MAX - 10, RW, PRIVATE_ANON, -1, 0))
}

fn file_private() -> String {
    with_file("mmap", b"0123456789", libc::O_RDWR, |fd| {
        let Ok(a) = mmap(0, PAGE, RW, libc::MAP_PRIVATE, fd, 0) else {
            return "mmap failed".to_string();
        };
        let seen = String::from_utf8_lossy(&bytes(a, 10)).into_owned();
        // SAFETY: mapped read-write.
        unsafe { sys::poke(a, b'X') };
        let file = String::from_utf8_lossy(&pread(fd, 10, 0)).into_owned();
        let mem = String::from_utf8_lossy(&bytes(a, 10)).into_owned();
        format!("mapped={seen} after write: memory={mem} file={file}")
    })
}

fn file_shared() -> String {
    with_file("mmap", b"0123456789", libc::O_RDWR, |fd| {
        let Ok(a) = mmap(0, PAGE, RW, libc::MAP_SHARED, fd, 0) else {
            return "mmap failed".to_string();
        };
        // SAFETY: mapped read-write.
        unsafe { sys::poke(a + 1, b'Y') };
        let sync = outcome(sys!(nr::MSYNC, a, PAGE, libc::MS_SYNC));
        let file = String::from_utf8_lossy(&pread(fd, 10, 0)).into_owned();
        // A write through the file shows in the mapping too.
        let _ = sys!(nr::PWRITE64, fd, b"Z".as_ptr(), 1, 2);
        let mem = String::from_utf8_lossy(&bytes(a, 10)).into_owned();
        format!("msync={sync} file={file} memory after pwrite={mem}")
    })
}

fn file_offset() -> String {
    let mut contents = vec![b'a'; PAGE];
    contents.extend_from_slice(b"second page");
    with_file("mmap", &contents, libc::O_RDONLY, |fd| {
        match mmap(0, PAGE, libc::PROT_READ, libc::MAP_PRIVATE, fd, PAGE as i64) {
            Ok(a) => String::from_utf8_lossy(&bytes(a, 11)).into_owned(),
            Err(e) => errno_name(e),
        }
    })
}

fn file_tail_zeroed() -> String {
    with_file("mmap", b"0123456789", libc::O_RDONLY, |fd| {
        match mmap(0, PAGE, libc::PROT_READ, libc::MAP_PRIVATE, fd, 0) {
            Ok(a) => format!(
                "bytes after EOF zero={}",
                yes(bytes(a + 10, PAGE - 10).iter().all(|&b| b == 0))
            ),
            Err(e) => errno_name(e),
        }
    })
}

fn file_beyond_eof_sigbus() -> String {
    with_file("mmap", b"0123456789", libc::O_RDONLY, |fd| {
        match mmap(0, 2 * PAGE, libc::PROT_READ, libc::MAP_PRIVATE, fd, 0) {
            // SAFETY: the second page lies beyond EOF; the handler maps memory there so the read completes.
            Ok(a) => sig::expect_fault(a + PAGE + 8, || unsafe {
                sys::peek(a + PAGE + 8);
            }),
            Err(e) => errno_name(e),
        }
    })
}

fn file_shared_readonly_fd() -> String {
    with_file("mmap", b"0123456789", libc::O_RDONLY, |fd| {
        outcome(mmap(0, PAGE, RW, libc::MAP_SHARED, fd, 0))
    })
}

fn file_private_readonly_fd() -> String {
    with_file("mmap", b"0123456789", libc::O_RDONLY, |fd| {
        outcome(mmap(0, PAGE, RW, libc::MAP_PRIVATE, fd, 0))
    })
}

fn file_writeonly_fd() -> String {
    with_file("mmap", b"0123456789", libc::O_WRONLY, |fd| {
        outcome(mmap(0, PAGE, libc::PROT_READ, libc::MAP_SHARED, fd, 0))
    })
}

fn pipe_enodev() -> String {
    let (r, w) = pipe();
    let text = outcome(mmap(0, PAGE, libc::PROT_READ, libc::MAP_PRIVATE, r, 0));
    close(r);
    close(w);
    text
}

fn dev_zero_private() -> String {
    match scratch::open("/dev/zero", libc::O_RDWR, 0) {
        Ok(fd) => match mmap(0, PAGE, RW, libc::MAP_PRIVATE, fd, 0) {
            Ok(a) => {
                let zero = bytes(a, PAGE).iter().all(|&b| b == 0);
                // SAFETY: mapped read-write.
                unsafe { sys::poke(a, 1) };
                format!("zeroed={} writable=yes", yes(zero))
            }
            Err(e) => errno_name(e),
        },
        Err(e) => format!("open {}", errno_name(e)),
    }
}

fn file_shared_two_mappings() -> String {
    with_file("mmap", b"0123456789", libc::O_RDWR, |fd| {
        let (Ok(a), Ok(b)) = (
            mmap(0, PAGE, RW, libc::MAP_SHARED, fd, 0),
            mmap(0, PAGE, RW, libc::MAP_SHARED, fd, 0),
        ) else {
            return "mmap failed".to_string();
        };
        // SAFETY: both mapped read-write.
        let seen = unsafe {
            sys::poke(a + 3, b'Q');
            sys::peek(b + 3)
        };
        format!(
            "distinct addresses={} other mapping sees={}",
            yes(a != b),
            seen as char
        )
    })
}

fn file_shared_across_fork() -> String {
    // The child writes through the inherited mapping and through one it makes itself; the parent sees both.
    with_file("mmap", b"0123456789", libc::O_RDWR, |fd| {
        let Ok(a) = mmap(0, PAGE, RW, libc::MAP_SHARED, fd, 0) else {
            return "mmap failed".to_string();
        };
        let child = crate::child::run(|| {
            // SAFETY: inherited read-write mapping.
            unsafe { sys::poke(a, b'A') };
            match mmap(0, PAGE, RW, libc::MAP_SHARED, fd, 0) {
                Ok(b) => {
                    // SAFETY: mapped read-write just now.
                    unsafe { sys::poke(b + 1, b'B') };
                    0
                }
                Err(_) => 1,
            }
        });
        let file = String::from_utf8_lossy(&pread(fd, 10, 0)).into_owned();
        let mem = String::from_utf8_lossy(&bytes(a, 10)).into_owned();
        format!("child {child} file={file} memory={mem}")
    })
}

fn file_shared_kept_after_unmap() -> String {
    let p = match scratch::create("mmap", b"0123456789", 0o644) {
        Ok(p) => p,
        Err(e) => return format!("create {}", errno_name(e)),
    };
    let written = match scratch::open(&p, libc::O_RDWR, 0) {
        Ok(fd) => {
            let r = mmap(0, PAGE, RW, libc::MAP_SHARED, fd, 0);
            close(fd);
            match r {
                Ok(a) => {
                    // SAFETY: mapped read-write; the mapping outlives the descriptor.
                    unsafe { sys::poke(a + 4, b'P') };
                    sys::unmap(a, PAGE);
                    "ok".to_string()
                }
                Err(e) => errno_name(e),
            }
        }
        Err(e) => format!("open {}", errno_name(e)),
    };
    let text = match scratch::open(&p, libc::O_RDONLY, 0) {
        Ok(fd) => {
            let t = String::from_utf8_lossy(&pread(fd, 10, 0)).into_owned();
            close(fd);
            t
        }
        Err(e) => format!("reopen {}", errno_name(e)),
    };
    scratch::remove(&p);
    format!("write and unmap={written} file={text}")
}

fn file_shared_beyond_eof_sigbus() -> String {
    with_file("mmap", b"0123456789", libc::O_RDWR, |fd| {
        match mmap(0, 2 * PAGE, RW, libc::MAP_SHARED, fd, 0) {
            // SAFETY: the second page lies beyond EOF; the handler maps memory there so the write completes.
            Ok(a) => sig::expect_fault(a + PAGE + 8, || unsafe {
                sys::poke(a + PAGE + 8, 1);
            }),
            Err(e) => errno_name(e),
        }
    })
}

fn file_shared_truncate_zeroes() -> String {
    // Shrinking the file and growing it back: the mapped bytes past the cut read as zeros, in memory and file.
    with_file("mmap", b"0123456789", libc::O_RDWR, |fd| {
        let Ok(a) = mmap(0, PAGE, RW, libc::MAP_SHARED, fd, 0) else {
            return "mmap failed".to_string();
        };
        let shrink = outcome(sys!(nr::FTRUNCATE, fd, 4));
        let grow = outcome(sys!(nr::FTRUNCATE, fd, 10));
        let file = pread(fd, 10, 0);
        let mem = bytes(a, 10);
        format!(
            "shrink={shrink} grow={grow} file={:?} memory={:?}",
            file, mem
        )
    })
}

fn dev_zero_shared_across_fork() -> String {
    match scratch::open("/dev/zero", libc::O_RDWR, 0) {
        Ok(fd) => {
            let r = mmap(0, PAGE, RW, libc::MAP_SHARED, fd, 0);
            close(fd);
            match r {
                Ok(a) => {
                    let child = crate::child::run(|| {
                        // SAFETY: inherited shared mapping.
                        unsafe { sys::poke(a + 7, 9) };
                        0
                    });
                    // SAFETY: still mapped.
                    format!("child {child} parent sees={}", unsafe { sys::peek(a + 7) })
                }
                Err(e) => errno_name(e),
            }
        }
        Err(e) => format!("open {}", errno_name(e)),
    }
}

fn munmap_unaligned() -> String {
    let Ok(a) = sys::map_anon(2 * PAGE) else {
        return "mmap failed".to_string();
    };
    outcome(sys!(nr::MUNMAP, a + 1, PAGE))
}

fn munmap_zero_length() -> String {
    let Ok(a) = sys::map_anon(PAGE) else {
        return "mmap failed".to_string();
    };
    outcome(sys!(nr::MUNMAP, a, 0))
}

fn munmap_unmapped_range() -> String {
    let Ok(a) = sys::map_anon(PAGE) else {
        return "mmap failed".to_string();
    };
    sys::unmap(a, PAGE);
    let again = outcome(sys!(nr::MUNMAP, a, PAGE));
    format!("unmapping a hole={again}")
}

fn munmap_access_after() -> String {
    let Ok(a) = sys::map_anon(PAGE) else {
        return "mmap failed".to_string();
    };
    sys::unmap(a, PAGE);
    // SAFETY: unmapped; the handler maps a page there so the write completes.
    sig::expect_fault(a + 100, || unsafe { sys::poke(a + 100, 1) })
}

fn munmap_middle_splits() -> String {
    let Ok(a) = sys::map_anon(3 * PAGE) else {
        return "mmap failed".to_string();
    };
    // SAFETY: mapped read-write.
    unsafe {
        sys::poke(a, 1);
        sys::poke(a + 2 * PAGE, 3);
    }
    let r = outcome(sys!(nr::MUNMAP, a + PAGE, PAGE));
    // SAFETY: the outer pages are still mapped.
    let (first, last) = unsafe { (sys::peek(a), sys::peek(a + 2 * PAGE)) };
    // SAFETY: the middle page faults; the handler maps it.
    let middle = sig::expect_fault(a + PAGE, || unsafe {
        sys::peek(a + PAGE);
    });
    format!("munmap={r} first={first} last={last} middle: {middle}")
}
