//! Memory-mapping system calls: mmap, munmap, mprotect, brk, mremap, madvise.
#![forbid(unsafe_code)]

use crate::task::process;
use basalt_linux_abi::Errno;
use basalt_vm::MmapRequest;

const MAP_ANONYMOUS: u64 = 0x20;
const MAP_SHARED: u64 = 0x01;
const MAP_TYPE: u64 = 0x0f;
const PROT_WRITE: u64 = 0x2;
const MADV_DONTNEED: u32 = 4;

fn mm() -> Result<alloc::sync::Arc<crate::mm::uspace::AddressSpace>, Errno> {
    Ok(process::current().ok_or(Errno::ESRCH)?.address_space())
}

pub fn mmap(
    addr: u64,
    len: u64,
    prot: u64,
    flags: u64,
    fd: i32,
    offset: u64,
) -> Result<usize, Errno> {
    let req = MmapRequest::new(addr, len, prot, flags, offset);
    if flags & MAP_ANONYMOUS == 0 {
        let file = process::current()
            .ok_or(Errno::ESRCH)?
            .files()
            .lock()
            .get(fd)?;
        // Only root-filesystem files can be mapped (pipes and character devices cannot, as on Linux).
        let ino = file.ops.inode().ok_or(Errno::ENODEV)?;
        // Pages are copied in on fault; writing them back to a shared file mapping is not supported yet.
        if flags & MAP_TYPE == MAP_SHARED && prot & PROT_WRITE != 0 {
            return Err(Errno::ENODEV);
        }
        let mapped = basalt_vm::MmapFile {
            file_id: ino.number(),
            readable: file.readable(),
            writable: file.writable(),
            noexec: false,
        };
        return Ok(mm()?.mmap(req.with_file(mapped))? as usize);
    }
    Ok(mm()?.mmap(req)? as usize)
}

pub fn munmap(addr: u64, len: u64) -> Result<usize, Errno> {
    mm()?.munmap(addr, len)?;
    Ok(0)
}

pub fn mprotect(addr: u64, len: u64, prot: u64) -> Result<usize, Errno> {
    mm()?.mprotect(addr, len, prot)?;
    Ok(0)
}

pub fn brk(addr: u64) -> Result<usize, Errno> {
    Ok(mm()?.brk(addr) as usize)
}

pub fn mremap(
    old: u64,
    old_len: u64,
    new_len: u64,
    flags: u64,
    new_addr: u64,
) -> Result<usize, Errno> {
    Ok(mm()?.mremap(old, old_len, new_len, flags, new_addr)? as usize)
}

pub fn madvise(addr: u64, len: u64, advice: u32) -> Result<usize, Errno> {
    match advice {
        MADV_DONTNEED => {
            mm()?.madvise_dontneed(addr, len)?;
            Ok(0)
        }
        // Hints with no effect on correctness (NORMAL, RANDOM, SEQUENTIAL, WILLNEED, FREE, ...) are accepted after
        // the range checks Linux makes.
        0..=3 | 8..=14 | 16..=25 => {
            if !addr.is_multiple_of(4096) {
                return Err(Errno::EINVAL);
            }
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}
