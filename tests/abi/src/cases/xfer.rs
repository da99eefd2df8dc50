//! preadv/pwritev (and the *2 forms), sendfile and fallocate.

use crate::child::{self, pipe};
use crate::registry::Case;
use crate::scratch;
use crate::sys::{errno_name, nr, outcome, value, BAD_PTR};

pub const CASES: &[Case] = &[
    Case::new("preadv.scatter", preadv_scatter),
    Case::new("preadv.errors", preadv_errors),
    Case::new("pwritev.gather", pwritev_gather),
    Case::new("preadv2.flags_and_current_position", preadv2_flags),
    Case::new("sendfile.file_to_pipe_and_file", sendfile_basic),
    Case::new("sendfile.offset_pointer", sendfile_offset),
    Case::new("sendfile.errors", sendfile_errors),
    Case::new("fallocate.modes", fallocate_modes),
    Case::new("fallocate.errors", fallocate_errors),
];

fn iov(bufs: &mut [Vec<u8>]) -> Vec<libc::iovec> {
    bufs.iter_mut()
        .map(|b| libc::iovec {
            iov_base: b.as_mut_ptr().cast(),
            iov_len: b.len(),
        })
        .collect()
}

fn file_with(name: &str, data: &[u8]) -> (String, i32) {
    let p = scratch::create(name, data, 0o600).unwrap_or_default();
    let fd = scratch::open(&p, libc::O_RDWR, 0).unwrap_or(-1);
    (p, fd)
}

fn pos(fd: i32) -> String {
    value(sys!(nr::LSEEK, fd, 0, libc::SEEK_CUR))
}

fn preadv_scatter() -> String {
    let (p, fd) = file_with("preadv", b"0123456789abcdef");
    let mut bufs = vec![vec![0u8; 3], vec![0u8; 4], vec![0u8; 20]];
    let v = iov(&mut bufs);
    let n = value(sys!(nr::PREADV, fd, v.as_ptr(), v.len(), 2, 0));
    scratch::remove(&p);
    format!(
        "n={n} {:?} {:?} {:?} pos={}",
        String::from_utf8_lossy(&bufs[0]),
        String::from_utf8_lossy(&bufs[1]),
        String::from_utf8_lossy(&bufs[2][..7]),
        pos(fd)
    )
}

fn pwritev_gather() -> String {
    let (p, fd) = file_with("pwritev", b"..........");
    let mut bufs = vec![b"AB".to_vec(), b"CDE".to_vec()];
    let v = iov(&mut bufs);
    let n = value(sys!(nr::PWRITEV, fd, v.as_ptr(), v.len(), 4, 0));
    let mut back = [0u8; 16];
    let got = sys!(nr::PREAD64, fd, back.as_mut_ptr(), 16, 0).unwrap_or(0);
    scratch::remove(&p);
    format!(
        "n={n} file={:?} pos={}",
        String::from_utf8_lossy(&back[..got]),
        pos(fd)
    )
}

fn preadv2_flags() -> String {
    let (p, fd) = file_with("preadv2", b"0123456789");
    let _ = sys!(nr::LSEEK, fd, 6, libc::SEEK_SET);
    let mut bufs = vec![vec![0u8; 2]];
    let v = iov(&mut bufs);
    let cur = value(sys!(nr::PREADV2, fd, v.as_ptr(), 1, -1i64, 0, 0));
    let after_cur = pos(fd);
    let bad_flag = outcome(sys!(nr::PREADV2, fd, v.as_ptr(), 1, 0, 0, 0x1000));
    let nowait = value(sys!(nr::PREADV2, fd, v.as_ptr(), 1, 0, 0, 8));
    let mut w = vec![b"Z".to_vec()];
    let wv = iov(&mut w);
    let append = value(sys!(nr::PWRITEV2, fd, wv.as_ptr(), 1, 0, 0, 0x10));
    let size = sys!(nr::LSEEK, fd, 0, libc::SEEK_END).map_or(-1, |s| s as i64);
    scratch::remove(&p);
    format!("current={cur} pos_after={after_cur} bad_flag={bad_flag} nowait={nowait} rwf_append={append} size={size}")
}

fn preadv_errors() -> String {
    let (p, fd) = file_with("preadv-err", b"x");
    let (r, _w) = pipe();
    let mut bufs = vec![vec![0u8; 2]];
    let v = iov(&mut bufs);
    let wo = scratch::open(&p, libc::O_WRONLY, 0).unwrap_or(-1);
    let r = format!(
        "negative={} negative_bad_fd={} pipe={} bad_fd={} write_only={} iov_efault={} too_many={}",
        outcome(sys!(nr::PREADV, fd, v.as_ptr(), 1, -5i64, 0)),
        outcome(sys!(nr::PREADV, 999, v.as_ptr(), 1, -5i64, 0)),
        outcome(sys!(nr::PREADV, r, v.as_ptr(), 1, 0, 0)),
        outcome(sys!(nr::PREADV, 999, v.as_ptr(), 1, 0, 0)),
        outcome(sys!(nr::PREADV, wo, v.as_ptr(), 1, 0, 0)),
        outcome(sys!(nr::PREADV, fd, BAD_PTR, 1, 0, 0)),
        outcome(sys!(nr::PREADV, fd, v.as_ptr(), 5000, 0, 0)),
    );
    scratch::remove(&p);
    r
}

fn sendfile_basic() -> String {
    let (p, fd) = file_with("sendfile-src", b"hello sendfile");
    let (q, out) = file_with("sendfile-dst", b"");
    let (r, w) = pipe();
    let _ = sys!(nr::LSEEK, fd, 6, libc::SEEK_SET);
    let to_pipe = value(sys!(nr::SENDFILE, w, fd, 0, 100));
    let src_pos = pos(fd);
    let mut b = [0u8; 32];
    let n = sys!(nr::READ, r, b.as_mut_ptr(), 32).unwrap_or(0);
    let _ = sys!(nr::LSEEK, fd, 0, libc::SEEK_SET);
    let to_file = value(sys!(nr::SENDFILE, out, fd, 0, 5));
    let mut back = [0u8; 16];
    let m = sys!(nr::PREAD64, out, back.as_mut_ptr(), 16, 0).unwrap_or(0);
    let zero = value(sys!(nr::SENDFILE, out, fd, 0, 0));
    let at_end = {
        let _ = sys!(nr::LSEEK, fd, 0, libc::SEEK_END);
        value(sys!(nr::SENDFILE, out, fd, 0, 10))
    };
    scratch::remove(&p);
    scratch::remove(&q);
    format!(
        "to_pipe={to_pipe} got={:?} src_pos={src_pos} to_file={to_file} file={:?} out_pos={} zero={zero} at_end={at_end}",
        String::from_utf8_lossy(&b[..n]),
        String::from_utf8_lossy(&back[..m]),
        pos(out)
    )
}

fn sendfile_offset() -> String {
    let (p, fd) = file_with("sendfile-off", b"0123456789");
    let (r, w) = pipe();
    let mut off: i64 = 3;
    let n = value(sys!(nr::SENDFILE, w, fd, &mut off as *mut i64, 4));
    let mut b = [0u8; 8];
    let m = sys!(nr::READ, r, b.as_mut_ptr(), 8).unwrap_or(0);
    let mut neg: i64 = -1;
    let e = outcome(sys!(nr::SENDFILE, w, fd, &mut neg as *mut i64, 4));
    scratch::remove(&p);
    format!(
        "n={n} data={:?} offset_now={off} file_pos={} negative={e} negative_left={neg}",
        String::from_utf8_lossy(&b[..m]),
        pos(fd)
    )
}

fn sendfile_errors() -> String {
    let (p, fd) = file_with("sendfile-err", b"abc");
    let (r, w) = pipe();
    child::write_byte(w, b'x');
    let (q, out) = file_with("sendfile-err-out", b"");
    let ro = scratch::open(&p, libc::O_RDONLY, 0).unwrap_or(-1);
    let wo = scratch::open(&p, libc::O_WRONLY, 0).unwrap_or(-1);
    let app = scratch::open(&q, libc::O_WRONLY | libc::O_APPEND, 0).unwrap_or(-1);
    let dir = scratch::open(".", libc::O_RDONLY | libc::O_DIRECTORY, 0).unwrap_or(-1);
    let mut off: i64 = 0;
    let r = format!(
        "bad_in={} bad_out={} in_write_only={} out_read_only={} pipe_in={} pipe_in_offset={} append_out={} dir_in={} offset_efault={}",
        outcome(sys!(nr::SENDFILE, out, 999, 0, 1)),
        outcome(sys!(nr::SENDFILE, 999, fd, 0, 1)),
        outcome(sys!(nr::SENDFILE, out, wo, 0, 1)),
        outcome(sys!(nr::SENDFILE, ro, fd, 0, 1)),
        outcome(sys!(nr::SENDFILE, out, r, 0, 1)),
        outcome(sys!(nr::SENDFILE, out, r, &mut off as *mut i64, 1)),
        outcome(sys!(nr::SENDFILE, app, fd, 0, 1)),
        outcome(sys!(nr::SENDFILE, out, dir, 0, 1)),
        outcome(sys!(nr::SENDFILE, out, fd, BAD_PTR, 1)),
    );
    scratch::remove(&p);
    scratch::remove(&q);
    r
}

fn size_and_data(fd: i32) -> String {
    let size = sys!(nr::LSEEK, fd, 0, libc::SEEK_END).map_or(-1, |s| s as i64);
    let mut b = [0u8; 16];
    let n = sys!(nr::PREAD64, fd, b.as_mut_ptr(), 16, 0).unwrap_or(0);
    let shown: String = b[..n]
        .iter()
        .map(|&c| if c == 0 { '_' } else { c as char })
        .collect();
    format!("{size}:{shown}")
}

fn fallocate_modes() -> String {
    let (p, fd) = file_with("fallocate", b"abcdefgh");
    let grow = outcome(sys!(nr::FALLOCATE, fd, 0, 4, 8));
    let after_grow = size_and_data(fd);
    let keep = outcome(sys!(nr::FALLOCATE, fd, 1, 0, 100));
    let after_keep = size_and_data(fd);
    let punch = outcome(sys!(nr::FALLOCATE, fd, 3, 2, 3));
    let after_punch = size_and_data(fd);
    let inside = outcome(sys!(nr::FALLOCATE, fd, 0, 0, 4));
    scratch::remove(&p);
    format!(
        "grow={grow} {after_grow} keep_size={keep} {after_keep} punch={punch} {after_punch} inside={inside}"
    )
}

fn fallocate_errors() -> String {
    let (p, fd) = file_with("fallocate-err", b"x");
    let (_r, w) = pipe();
    let ro = scratch::open(&p, libc::O_RDONLY, 0).unwrap_or(-1);
    let null = scratch::open("/dev/null", libc::O_WRONLY, 0).unwrap_or(-1);
    let r = format!(
        "zero_len={} negative_offset={} punch_without_keep={} unknown_mode={} read_only={} bad_fd={} pipe={} devnull={} too_big={}",
        outcome(sys!(nr::FALLOCATE, fd, 0, 0, 0)),
        outcome(sys!(nr::FALLOCATE, fd, 0, -1i64, 1)),
        outcome(sys!(nr::FALLOCATE, fd, 2, 0, 1)),
        outcome(sys!(nr::FALLOCATE, fd, 0x1000, 0, 1)),
        outcome(sys!(nr::FALLOCATE, ro, 0, 0, 1)),
        outcome(sys!(nr::FALLOCATE, 999, 0, 0, 1)),
        outcome(sys!(nr::FALLOCATE, w, 0, 0, 1)),
        outcome(sys!(nr::FALLOCATE, null, 0, 0, 1)),
        outcome(sys!(nr::FALLOCATE, fd, 0, i64::MAX, 2)),
    );
    scratch::remove(&p);
    let _ = errno_name;
    r
}
