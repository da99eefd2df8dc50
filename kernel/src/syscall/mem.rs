//! Memory-mapping system calls: mmap, munmap, mprotect, brk, mremap, madvise.
#![forbid(unsafe_code)]

use crate::task::process;
use basalt_linux_abi::Errno;
use basalt_vm::MmapRequest;

const MAP_ANONYMOUS: u64 = 0x20;
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
        // /dev/zero maps as anonymous memory (shared: a new shared object).
        if file.ops.maps_as_anonymous() {
            let req = req.for_zero_device(file.readable(), file.writable())?;
            return Ok(mm()?.mmap(req)? as usize);
        }
        // Only root-filesystem files can be mapped (pipes and other character devices cannot, as on Linux).
        let ino = file.ops.inode().ok_or(Errno::ENODEV)?;
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

/// msync(2): shared file pages are the file's own pages, so they are always coherent with read(2); MS_SYNC also
/// writes them back to the filesystem.
pub fn msync(addr: u64, len: u64, flags: u64) -> Result<usize, Errno> {
    mm()?.msync(addr, len, flags)?;
    Ok(0)
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
