//! Changing mappings: mprotect (and the faults it causes), mremap, madvise(MADV_DONTNEED).

use crate::child::close;
use crate::registry::Case;
use crate::sys::{self, eq, errno_name, nr, outcome, PAGE};
use crate::{scratch, sig};

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case::new("mprotect.readonly_write_accerr", readonly_write),
    Case::new("mprotect.none_read_accerr", none_read),
    Case::new("mprotect.exec_needed_to_run", exec_needed_to_run),
    Case::new("mprotect.unaligned_einval", mprotect_unaligned),
    Case::new("mprotect.bad_prot_einval", mprotect_bad_prot),
    Case::new("mprotect.unmapped_enomem", mprotect_unmapped),
    Case::new(
        "mprotect.shared_readonly_file_write_eacces",
        mprotect_shared_readonly_file,
    ),
    Case::new("mremap.grow_maymove_keeps_data", mremap_grow_maymove),
    Case::new("mremap.shrink_in_place", mremap_shrink),
    Case::new("mremap.grow_blocked_enomem", mremap_grow_blocked),
    Case::new("mremap.fixed_moves", mremap_fixed_moves),
    Case::new(
        "mremap.fixed_without_maymove_einval",
        mremap_fixed_without_maymove,
    ),
    Case::new("mremap.unaligned_einval", mremap_unaligned),
    Case::new("mremap.zero_new_size_einval", mremap_zero_new_size),
    Case::new("mremap.unmapped_efault", mremap_unmapped),
    Case::new("madvise.dontneed_zeroes_private", dontneed_private),
    Case::new("madvise.dontneed_keeps_shared", dontneed_shared),
    Case::new(
        "madvise.dontneed_file_private_rereads",
        dontneed_file_private,
    ),
    Case::new("madvise.bad_advice_einval", madvise_bad_advice),
    Case::new("madvise.unaligned_einval", madvise_unaligned),
    Case::new("madvise.unmapped_enomem", madvise_unmapped),
];

fn mapped(pages: usize) -> Option<usize> {
    sys::map_anon(pages * PAGE).ok()
}

fn mprotect(addr: usize, len: usize, prot: i32) -> Result<usize, sys::Errno> {
    sys!(nr::MPROTECT, addr, len, prot)
}

fn readonly_write() -> String {
    let Some(a) = mapped(1) else {
        return "mmap failed".to_string();
    };
    let r = outcome(mprotect(a, PAGE, libc::PROT_READ));
    // SAFETY: the write faults; the handler makes the page writable again and it completes.
    let fault = sig::expect_fault(a + 8, || unsafe { sys::poke(a + 8, 1) });
    // SAFETY: writable again.
    format!("mprotect={r} {fault} value after retry={}", unsafe {
        sys::peek(a + 8)
    })
}

fn none_read() -> String {
    let Some(a) = mapped(1) else {
        return "mmap failed".to_string();
    };
    let r = outcome(mprotect(a, PAGE, libc::PROT_NONE));
    // SAFETY: faults; the handler fixes the page.
    let fault = sig::expect_fault(a, || unsafe {
        sys::peek(a);
    });
    format!("mprotect={r} {fault}")
}

fn exec_needed_to_run() -> String {
    let Some(a) = mapped(1) else {
        return "mmap failed".to_string();
    };
    // SAFETY: mapped read-write; 0xc3 is `ret`.
    unsafe { sys::poke(a, 0xc3) };
    // SAFETY: the call faults on instruction fetch (no PROT_EXEC); the handler adds PROT_EXEC and `ret` runs.
    sig::expect_fault(a, || unsafe { sys::call_at(a) })
}

fn mprotect_unaligned() -> String {
    let Some(a) = mapped(2) else {
        return "mmap failed".to_string();
    };
    outcome(mprotect(a + 1, PAGE, libc::PROT_READ))
}

fn mprotect_bad_prot() -> String {
    let Some(a) = mapped(1) else {
        return "mmap failed".to_string();
    };
    outcome(mprotect(a, PAGE, 0x100))
}

fn mprotect_unmapped() -> String {
    let Some(a) = mapped(1) else {
        return "mmap failed".to_string();
    };
    sys::unmap(a, PAGE);
    outcome(mprotect(a, PAGE, libc::PROT_READ))
}

fn mprotect_shared_readonly_file() -> String {
    let p = match scratch::create("mprotect", b"data", 0o644) {
        Ok(p) => p,
        Err(e) => return format!("create {}", errno_name(e)),
    };
    let text = match scratch::open(&p, libc::O_RDONLY, 0) {
        Ok(fd) => {
            let r = match sys!(nr::MMAP, 0, PAGE, libc::PROT_READ, libc::MAP_SHARED, fd, 0) {
                Ok(a) => outcome(mprotect(a, PAGE, libc::PROT_READ | libc::PROT_WRITE)),
                Err(e) => format!("mmap {}", errno_name(e)),
            };
            close(fd);
            r
        }
        Err(e) => format!("open {}", errno_name(e)),
    };
    scratch::remove(&p);
    text
}

fn mremap(
    old: usize,
    old_len: usize,
    new_len: usize,
    flags: i32,
    new: usize,
) -> Result<usize, sys::Errno> {
    sys!(nr::MREMAP, old, old_len, new_len, flags, new)
}

fn mremap_grow_maymove() -> String {
    let Some(a) = mapped(2) else {
        return "mmap failed".to_string();
    };
    // SAFETY: mapped read-write.
    unsafe {
        sys::poke(a, 11);
        sys::poke(a + PAGE, 22);
    }
    match mremap(a, 2 * PAGE, 64 * PAGE, libc::MREMAP_MAYMOVE, 0) {
        // SAFETY: the new mapping is 64 pages, read-write.
        Ok(b) => unsafe {
            sys::poke(b + 63 * PAGE, 1);
            format!(
                "data kept={},{} new tail zero={}",
                sys::peek(b),
                sys::peek(b + PAGE),
                sys::peek(b + 40 * PAGE)
            )
        },
        Err(e) => errno_name(e),
    }
}

fn mremap_shrink() -> String {
    let Some(a) = mapped(4) else {
        return "mmap failed".to_string();
    };
    let r = mremap(a, 4 * PAGE, PAGE, 0, 0);
    // SAFETY: the cut-off pages fault; the handler maps one.
    let fault = sig::expect_fault(a + 2 * PAGE, || unsafe {
        sys::peek(a + 2 * PAGE);
    });
    format!("same address={} released part: {fault}", eq(r, Ok(a)))
}

fn mremap_grow_blocked() -> String {
    let Some(a) = mapped(2) else {
        return "mmap failed".to_string();
    };
    // The second page stays mapped; shrink our view to the first and try to grow it back over the second.
    let _ = sys!(nr::MPROTECT, a + PAGE, PAGE, libc::PROT_READ);
    outcome(mremap(a, PAGE, 2 * PAGE, 0, 0))
}

fn mremap_fixed_moves() -> String {
    let (Some(a), Some(target)) = (mapped(1), mapped(1)) else {
        return "mmap failed".to_string();
    };
    // SAFETY: mapped read-write.
    unsafe { sys::poke(a, 5) };
    let r = mremap(
        a,
        PAGE,
        PAGE,
        libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED,
        target,
    );
    // SAFETY: the mapping now lives at `target`.
    let moved = unsafe { sys::peek(target) };
    // SAFETY: the old address is gone; the handler maps a page.
    let old = sig::expect_fault(a, || unsafe {
        sys::peek(a);
    });
    format!(
        "returns target={} data={moved} old address: {old}",
        eq(r, Ok(target))
    )
}

fn mremap_fixed_without_maymove() -> String {
    let (Some(a), Some(target)) = (mapped(1), mapped(1)) else {
        return "mmap failed".to_string();
    };
    outcome(mremap(a, PAGE, PAGE, libc::MREMAP_FIXED, target))
}

fn mremap_unaligned() -> String {
    let Some(a) = mapped(2) else {
        return "mmap failed".to_string();
    };
    outcome(mremap(a + 1, PAGE, 2 * PAGE, libc::MREMAP_MAYMOVE, 0))
}

fn mremap_zero_new_size() -> String {
    let Some(a) = mapped(1) else {
        return "mmap failed".to_string();
    };
    outcome(mremap(a, PAGE, 0, libc::MREMAP_MAYMOVE, 0))
}

fn mremap_unmapped() -> String {
    let Some(a) = mapped(1) else {
        return "mmap failed".to_string();
    };
    sys::unmap(a, PAGE);
    outcome(mremap(a, PAGE, 2 * PAGE, libc::MREMAP_MAYMOVE, 0))
}

fn dontneed_private() -> String {
    let Some(a) = mapped(2) else {
        return "mmap failed".to_string();
    };
    // SAFETY: mapped read-write.
    unsafe {
        sys::poke(a, 1);
        sys::poke(a + PAGE, 2);
    }
    let r = outcome(sys!(nr::MADVISE, a, PAGE, libc::MADV_DONTNEED));
    // SAFETY: still mapped.
    let (first, second) = unsafe { (sys::peek(a), sys::peek(a + PAGE)) };
    format!("{r} advised page={first} other page={second}")
}

fn dontneed_shared() -> String {
    let flags = libc::MAP_SHARED | libc::MAP_ANONYMOUS;
    let Ok(a) = sys!(
        nr::MMAP,
        0,
        PAGE,
        libc::PROT_READ | libc::PROT_WRITE,
        flags,
        -1i64,
        0
    ) else {
        return "mmap failed".to_string();
    };
    // SAFETY: mapped read-write.
    unsafe { sys::poke(a, 7) };
    let r = outcome(sys!(nr::MADVISE, a, PAGE, libc::MADV_DONTNEED));
    // SAFETY: still mapped.
    format!("{r} value={}", unsafe { sys::peek(a) })
}

fn dontneed_file_private() -> String {
    let p = match scratch::create("madvise", b"file", 0o644) {
        Ok(p) => p,
        Err(e) => return format!("create {}", errno_name(e)),
    };
    let text = match scratch::open(&p, libc::O_RDONLY, 0) {
        Ok(fd) => {
            let rw = libc::PROT_READ | libc::PROT_WRITE;
            let t = match sys!(nr::MMAP, 0, PAGE, rw, libc::MAP_PRIVATE, fd, 0) {
                Ok(a) => {
                    // SAFETY: mapped read-write (a private copy of the file page).
                    let before = unsafe {
                        sys::poke(a, b'X');
                        sys::peek(a) as char
                    };
                    let r = outcome(sys!(nr::MADVISE, a, PAGE, libc::MADV_DONTNEED));
                    // SAFETY: still mapped; the page is the file's again.
                    format!("written={before} {r} after={}", unsafe { sys::peek(a) }
                        as char)
                }
                Err(e) => format!("mmap {}", errno_name(e)),
            };
            close(fd);
            t
        }
        Err(e) => format!("open {}", errno_name(e)),
    };
    scratch::remove(&p);
    text
}

fn madvise_bad_advice() -> String {
    let Some(a) = mapped(1) else {
        return "mmap failed".to_string();
    };
    outcome(sys!(nr::MADVISE, a, PAGE, 9999))
}

fn madvise_unaligned() -> String {
    let Some(a) = mapped(2) else {
        return "mmap failed".to_string();
    };
    outcome(sys!(nr::MADVISE, a + 1, PAGE, libc::MADV_DONTNEED))
}

fn madvise_unmapped() -> String {
    let Some(a) = mapped(1) else {
        return "mmap failed".to_string();
    };
    sys::unmap(a, PAGE);
    outcome(sys!(nr::MADVISE, a, PAGE, libc::MADV_DONTNEED))
}
