//! copy_file_range between regular files: file positions, offset pointers, copies within one file, the
//! file-size limit and the error paths (Rust's `std::fs::copy` uses it first; `pkg` copies packages with it).

use crate::child::pipe;
use crate::registry::Case;
use crate::sys::{nr, outcome, value, BAD_PTR};
use crate::{scratch, sig};

pub const CASES: &[Case] = &[
    Case::new("copy_file_range.file_positions", file_positions),
    Case::new("copy_file_range.offset_pointers", offset_pointers),
    Case::new("copy_file_range.same_file", same_file),
    Case::new("copy_file_range.large", large),
    Case::new("copy_file_range.file_size_limit", file_size_limit),
    Case::new("copy_file_range.errors", errors),
    Case::new("copy_file_range.bad_offsets", bad_offsets),
];

fn file_with(name: &str, data: &[u8]) -> (String, i32) {
    let p = scratch::create(name, data, 0o600).unwrap_or_default();
    let fd = scratch::open(&p, libc::O_RDWR, 0).unwrap_or(-1);
    (p, fd)
}

fn pos(fd: i32) -> String {
    value(sys!(nr::LSEEK, fd, 0, libc::SEEK_CUR))
}

fn contents(fd: i32) -> String {
    let mut b = [0u8; 64];
    let n = sys!(nr::PREAD64, fd, b.as_mut_ptr(), b.len(), 0).unwrap_or(0);
    format!("{:?}", String::from_utf8_lossy(&b[..n]))
}

fn copy(fd_in: i32, off_in: usize, fd_out: i32, off_out: usize, len: usize) -> String {
    value(sys!(
        nr::COPY_FILE_RANGE,
        fd_in,
        off_in,
        fd_out,
        off_out,
        len,
        0
    ))
}

/// Without offset pointers both files' positions move by what was copied.
fn file_positions() -> String {
    let (p, src) = file_with("cfr-src", b"hello copy_file_range");
    let (q, dst) = file_with("cfr-dst", b"");
    let _ = sys!(nr::LSEEK, src, 6, libc::SEEK_SET);
    let n = copy(src, 0, dst, 0, 100);
    let (src_pos, dst_pos, data) = (pos(src), pos(dst), contents(dst));
    let at_end = copy(src, 0, dst, 0, 10);
    let zero = copy(src, 0, dst, 0, 0);
    let _ = sys!(nr::LSEEK, src, 0, libc::SEEK_SET);
    let _ = sys!(nr::LSEEK, dst, 20, libc::SEEK_SET);
    // Past the end of the destination: the gap reads as zeros.
    let gap = copy(src, 0, dst, 0, 2);
    let size = value(sys!(nr::LSEEK, dst, 0, libc::SEEK_END));
    scratch::remove(&p);
    scratch::remove(&q);
    format!(
        "n={n} src_pos={src_pos} dst_pos={dst_pos} dst={data} at_end={at_end} zero={zero} gap={gap} size={size}"
    )
}

/// With offset pointers the values move and the file positions stay; nothing copied leaves them alone.
fn offset_pointers() -> String {
    let (p, src) = file_with("cfr-off-src", b"0123456789");
    let (q, dst) = file_with("cfr-off-dst", b"......");
    let mut off_in: i64 = 3;
    let mut off_out: i64 = 2;
    let both = copy(
        src,
        &mut off_in as *mut i64 as usize,
        dst,
        &mut off_out as *mut i64 as usize,
        4,
    );
    let after = format!("off_in={off_in} off_out={off_out}");
    let positions = format!("src_pos={} dst_pos={}", pos(src), pos(dst));
    let mut only_in: i64 = 8;
    let one = copy(src, &mut only_in as *mut i64 as usize, dst, 0, 10);
    let mut past_end: i64 = 50;
    let none = copy(src, &mut past_end as *mut i64 as usize, dst, 0, 10);
    let data = contents(dst);
    scratch::remove(&p);
    scratch::remove(&q);
    format!(
        "both={both} {after} {positions} one={one} only_in={only_in} dst_pos={} none={none} past_end={past_end} dst={data}",
        pos(dst)
    )
}

/// Within one file: ranges that overlap are refused, others copied.
fn same_file() -> String {
    let (p, fd) = file_with("cfr-same", b"abcdefghij");
    let mut from: i64 = 0;
    let mut to: i64 = 2;
    let overlap = copy(
        fd,
        &mut from as *mut i64 as usize,
        fd,
        &mut to as *mut i64 as usize,
        4,
    );
    let mut to_after: i64 = 6;
    let apart = copy(
        fd,
        &mut from as *mut i64 as usize,
        fd,
        &mut to_after as *mut i64 as usize,
        4,
    );
    // Clamped to the end of the input first: the 2 bytes from 8 are copied to 10 (past the end), not 4 bytes.
    let mut tail: i64 = 8;
    let mut to_tail: i64 = 10;
    let clamped = copy(
        fd,
        &mut tail as *mut i64 as usize,
        fd,
        &mut to_tail as *mut i64 as usize,
        4,
    );
    let dup = sys!(nr::DUP, fd).map_or(-1, |d| d as i32);
    let _ = sys!(nr::LSEEK, fd, 0, libc::SEEK_SET);
    // One description through two descriptors: the positions are the same one.
    let shared = copy(fd, 0, dup, 0, 3);
    let data = contents(fd);
    scratch::remove(&p);
    format!(
        "overlap={overlap} apart={apart} from={from} clamped={clamped} to_tail={to_tail} shared={shared} pos={} data={data}",
        pos(fd)
    )
}

/// More than one step of the kernel's copy loop.
fn large() -> String {
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let (p, src) = file_with("cfr-large-src", &data);
    let (q, dst) = file_with("cfr-large-dst", b"");
    let n = copy(src, 0, dst, 0, 1 << 30);
    let mut back = vec![0u8; data.len() + 1];
    let m = sys!(nr::PREAD64, dst, back.as_mut_ptr(), back.len(), 0).unwrap_or(0);
    scratch::remove(&p);
    scratch::remove(&q);
    format!(
        "n={n} read={m} same={}",
        crate::sys::eq(&back[..m], &data[..])
    )
}

/// RLIMIT_FSIZE shortens the copy, and at the limit it is EFBIG (SIGXFSZ ignored).
fn file_size_limit() -> String {
    sig::disposition(libc::SIGXFSZ, libc::SIG_IGN);
    let (p, src) = file_with("cfr-fsize-src", b"0123456789abcdefghij");
    let (q, dst) = file_with("cfr-fsize-dst", b"");
    let limit = libc::rlimit {
        rlim_cur: 8,
        rlim_max: libc::RLIM_INFINITY,
    };
    let set = outcome(sys!(
        nr::SETRLIMIT,
        libc::RLIMIT_FSIZE,
        &limit as *const libc::rlimit
    ));
    let first = copy(src, 0, dst, 0, 20);
    let second = copy(src, 0, dst, 0, 20);
    let (src_pos, dst_pos) = (pos(src), pos(dst));
    scratch::remove(&p);
    scratch::remove(&q);
    format!("set={set} first={first} second={second} src_pos={src_pos} dst_pos={dst_pos}")
}

fn errors() -> String {
    let (p, fd) = file_with("cfr-err", b"abc");
    let (q, out) = file_with("cfr-err-out", b"");
    let (r, w) = pipe();
    let ro = scratch::open(&p, libc::O_RDONLY, 0).unwrap_or(-1);
    let wo = scratch::open(&p, libc::O_WRONLY, 0).unwrap_or(-1);
    let app = scratch::open(&q, libc::O_WRONLY | libc::O_APPEND, 0).unwrap_or(-1);
    let path = scratch::open(&p, libc::O_PATH, 0).unwrap_or(-1);
    let dir = scratch::open(".", libc::O_RDONLY | libc::O_DIRECTORY, 0).unwrap_or(-1);
    let null = scratch::open("/dev/null", libc::O_RDWR, 0).unwrap_or(-1);
    let flags = outcome(sys!(nr::COPY_FILE_RANGE, fd, 0, out, 0, 1, 1));
    let r = format!(
        "flags={flags} bad_in={} bad_out={} in_write_only={} out_read_only={} append_out={} path_in={} dir_in={} dir_out={} pipe_in={} pipe_out={} dev_null_out={} off_in_efault={} off_out_efault={} efault_before_flags={}",
        outcome(sys!(nr::COPY_FILE_RANGE, 999, 0, out, 0, 1, 0)),
        outcome(sys!(nr::COPY_FILE_RANGE, fd, 0, 999, 0, 1, 0)),
        outcome(sys!(nr::COPY_FILE_RANGE, wo, 0, out, 0, 1, 0)),
        outcome(sys!(nr::COPY_FILE_RANGE, fd, 0, ro, 0, 1, 0)),
        outcome(sys!(nr::COPY_FILE_RANGE, fd, 0, app, 0, 1, 0)),
        outcome(sys!(nr::COPY_FILE_RANGE, path, 0, out, 0, 1, 0)),
        outcome(sys!(nr::COPY_FILE_RANGE, dir, 0, out, 0, 1, 0)),
        outcome(sys!(nr::COPY_FILE_RANGE, fd, 0, dir, 0, 1, 0)),
        outcome(sys!(nr::COPY_FILE_RANGE, r, 0, out, 0, 1, 0)),
        outcome(sys!(nr::COPY_FILE_RANGE, fd, 0, w, 0, 1, 0)),
        outcome(sys!(nr::COPY_FILE_RANGE, fd, 0, null, 0, 1, 0)),
        outcome(sys!(nr::COPY_FILE_RANGE, fd, BAD_PTR, out, 0, 1, 0)),
        outcome(sys!(nr::COPY_FILE_RANGE, fd, 0, out, BAD_PTR, 1, 0)),
        outcome(sys!(nr::COPY_FILE_RANGE, fd, BAD_PTR, out, 0, 1, 1)),
    );
    scratch::remove(&p);
    scratch::remove(&q);
    r
}

/// Negative offsets, and offsets whose end would wrap.
fn bad_offsets() -> String {
    let (p, src) = file_with("cfr-neg-src", b"0123456789");
    let (q, dst) = file_with("cfr-neg-dst", b"");
    let mut r = String::new();
    for (name, start, len) in [
        ("in-1", -1i64, 4usize),
        ("in-5", -5, 4),
        ("in-1_len0", -1, 0),
        ("in_wraps", 1, usize::MAX),
    ] {
        let mut off = start;
        let got = copy(src, &mut off as *mut i64 as usize, dst, 0, len);
        r.push_str(&format!("{name}={got} "));
    }
    for (name, start, len) in [("out-1", -1i64, 4usize), ("out-5", -5, 4)] {
        let mut off = start;
        let _ = sys!(nr::LSEEK, src, 0, libc::SEEK_SET);
        let got = copy(src, 0, dst, &mut off as *mut i64 as usize, len);
        r.push_str(&format!("{name}={got} "));
    }
    r.push_str(&format!("src_pos={}", pos(src)));
    scratch::remove(&p);
    scratch::remove(&q);
    r
}
