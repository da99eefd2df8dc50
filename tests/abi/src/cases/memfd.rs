//! memfd_create: flags, the file it gives (mode, links, read/write/ftruncate, shared mappings), seals.

use crate::registry::Case;
use crate::sys::{cstr, errno_name, nr, outcome, value, Errno, BAD_PTR};

pub const CASES: &[Case] = &[
    Case::new("memfd.create_flags", create_flags),
    Case::new("memfd.file", file),
    Case::new("memfd.shared_mapping", shared_mapping),
    Case::new("memfd.seals", seals),
    Case::new("memfd.seal_write_and_grow", seal_write_and_grow),
];

const MFD_CLOEXEC: u32 = 1;
const MFD_ALLOW_SEALING: u32 = 2;
const MFD_NOEXEC_SEAL: u32 = 8;
const MFD_EXEC: u32 = 0x10;
const F_ADD_SEALS: i32 = 1033;
const F_GET_SEALS: i32 = 1034;

fn create(name: &str, flags: u32) -> Result<i32, Errno> {
    let c = cstr(name);
    sys!(nr::MEMFD_CREATE, c.as_ptr(), flags).map(|fd| fd as i32)
}

fn fstat(fd: i32) -> libc::stat {
    // SAFETY: plain data.
    let mut st: libc::stat = unsafe { core::mem::zeroed() };
    let _ = sys!(nr::FSTAT, fd, &mut st as *mut libc::stat);
    st
}

fn create_flags() -> String {
    let long = "n".repeat(250);
    let ok249 = "n".repeat(249);
    format!(
        "cloexec={} bad_flag={} exec_and_noexec={} long_name={} name_249={} name_efault={} noexec_mode={:o}",
        create("a", MFD_CLOEXEC).map_or_else(errno_name, |fd| value(sys!(nr::FCNTL, fd, libc::F_GETFD))),
        outcome(create("b", 0x100).map(|_| 0)),
        outcome(create("c", MFD_EXEC | MFD_NOEXEC_SEAL).map(|_| 0)),
        outcome(create(&long, 0).map(|_| 0)),
        outcome(create(&ok249, 0).map(|_| 0)),
        outcome(sys!(nr::MEMFD_CREATE, BAD_PTR, 0)),
        create("d", MFD_NOEXEC_SEAL).map_or(0, |fd| fstat(fd).st_mode),
    )
}

fn file() -> String {
    let Ok(fd) = create("file", 0) else {
        return "memfd_create failed".into();
    };
    let st = fstat(fd);
    let w = value(sys!(nr::WRITE, fd, b"hello".as_ptr(), 5));
    let t = outcome(sys!(nr::FTRUNCATE, fd, 8192));
    let mut b = [0u8; 8];
    let r = value(sys!(nr::PREAD64, fd, b.as_mut_ptr(), 8, 0));
    format!(
        "mode={:o} nlink={} size0={} write={w} ftruncate={t} size={} pread={r} {:?} fl={:#x}",
        st.st_mode,
        st.st_nlink,
        st.st_size,
        fstat(fd).st_size,
        String::from_utf8_lossy(&b[..5]),
        sys!(nr::FCNTL, fd, libc::F_GETFL).unwrap_or(0)
    )
}

fn shared_mapping() -> String {
    let Ok(fd) = create("map", 0) else {
        return "memfd_create failed".into();
    };
    let _ = sys!(nr::FTRUNCATE, fd, 4096);
    let Ok(addr) = sys!(
        nr::MMAP,
        0,
        4096,
        libc::PROT_READ | libc::PROT_WRITE,
        libc::MAP_SHARED,
        fd,
        0
    ) else {
        return "mmap failed".into();
    };
    // SAFETY: the mapping is 4096 bytes, readable and writable.
    unsafe { crate::sys::poke(addr + 10, b'Q') };
    let mut b = [0u8; 1];
    let _ = sys!(nr::PREAD64, fd, b.as_mut_ptr(), 1, 10);
    let _ = sys!(nr::PWRITE64, fd, b"Z".as_ptr(), 1, 20);
    // SAFETY: as above.
    let seen = unsafe { crate::sys::peek(addr + 20) };
    format!("file_sees={} mapping_sees={}", b[0] as char, seen as char)
}

fn seals() -> String {
    let plain = create("plain", 0).unwrap_or(-1);
    let sealable = create("sealable", MFD_ALLOW_SEALING).unwrap_or(-1);
    let noexec = create("noexec", MFD_NOEXEC_SEAL).unwrap_or(-1);
    let mut fds = [0i32; 2];
    let _ = sys!(nr::PIPE2, fds.as_mut_ptr(), 0);
    format!(
        "plain={} plain_add={} sealable={} add_shrink={} now={} bad_bits={} add_seal={} after_seal={} noexec={} pipe={}",
        value(sys!(nr::FCNTL, plain, F_GET_SEALS)),
        outcome(sys!(nr::FCNTL, plain, F_ADD_SEALS, 2)),
        value(sys!(nr::FCNTL, sealable, F_GET_SEALS)),
        outcome(sys!(nr::FCNTL, sealable, F_ADD_SEALS, 2)),
        value(sys!(nr::FCNTL, sealable, F_GET_SEALS)),
        outcome(sys!(nr::FCNTL, sealable, F_ADD_SEALS, 0x100)),
        outcome(sys!(nr::FCNTL, sealable, F_ADD_SEALS, 1)),
        outcome(sys!(nr::FCNTL, sealable, F_ADD_SEALS, 4)),
        value(sys!(nr::FCNTL, noexec, F_GET_SEALS)),
        outcome(sys!(nr::FCNTL, fds[0], F_GET_SEALS)),
    )
}

fn seal_write_and_grow() -> String {
    let Ok(fd) = create("sw", MFD_ALLOW_SEALING) else {
        return "memfd_create failed".into();
    };
    let _ = sys!(nr::WRITE, fd, b"0123456789".as_ptr(), 10);
    let _ = sys!(nr::FCNTL, fd, F_ADD_SEALS, 2 | 4);
    let shrink = outcome(sys!(nr::FTRUNCATE, fd, 5));
    let grow = outcome(sys!(nr::FTRUNCATE, fd, 20));
    let same = outcome(sys!(nr::FTRUNCATE, fd, 10));
    let inside = value(sys!(nr::PWRITE64, fd, b"ab".as_ptr(), 2, 0));
    let past = outcome(sys!(nr::PWRITE64, fd, b"abcd".as_ptr(), 4, 8));
    let _ = sys!(nr::FCNTL, fd, F_ADD_SEALS, 8);
    let sealed = outcome(sys!(nr::PWRITE64, fd, b"x".as_ptr(), 1, 0));
    format!("shrink={shrink} grow={grow} same={same} inside={inside} past_end={past} write_sealed={sealed}")
}
