//! Device files every Linux program expects: /dev/null, /dev/zero, /dev/console.

use crate::child::close;
use crate::registry::Case;
use crate::scratch::open;
use crate::sys::{cstr, errno_name, nr, value};

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case::new("dev.null", null),
    Case::new("dev.zero", zero),
    Case::new("dev.console", console),
];

/// `char device major,minor` for `path`.
fn describe(path: &str) -> String {
    let c = cstr(path);
    // SAFETY: plain data.
    let mut st: libc::stat = unsafe { core::mem::zeroed() };
    match sys!(
        nr::NEWFSTATAT,
        libc::AT_FDCWD,
        c.as_ptr(),
        &mut st as *mut libc::stat,
        0
    ) {
        Ok(_) => format!(
            "{} {},{}",
            crate::cases::stat::kind(st.st_mode),
            libc::major(st.st_rdev),
            libc::minor(st.st_rdev)
        ),
        Err(e) => errno_name(e),
    }
}

fn null() -> String {
    let io = match open("/dev/null", libc::O_RDWR, 0) {
        Ok(fd) => {
            let data = [7u8; 100];
            let mut buf = [0u8; 16];
            let t = format!(
                "write 100={} read={}",
                value(sys!(nr::WRITE, fd, data.as_ptr(), 100)),
                value(sys!(nr::READ, fd, buf.as_mut_ptr(), 16))
            );
            close(fd);
            t
        }
        Err(e) => format!("open {}", errno_name(e)),
    };
    format!("{} {io}", describe("/dev/null"))
}

fn zero() -> String {
    let io = match open("/dev/zero", libc::O_RDONLY, 0) {
        Ok(fd) => {
            let mut buf = [0xffu8; 64];
            let n = value(sys!(nr::READ, fd, buf.as_mut_ptr(), 64));
            close(fd);
            format!(
                "read={n} all zero={}",
                crate::sys::yes(buf.iter().all(|&b| b == 0))
            )
        }
        Err(e) => format!("open {}", errno_name(e)),
    };
    format!("{} {io}", describe("/dev/zero"))
}

fn console() -> String {
    describe("/dev/console")
}
