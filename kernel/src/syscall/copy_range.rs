//! copy_file_range(fd_in, off_in, fd_out, off_out, len, flags): copies between two regular files inside the
//! kernel, with Linux's checks in Linux's order (fs/read_write.c: the syscall, vfs_copy_file_range,
//! generic_copy_file_checks, rw_verify_area). Rust's `std::fs::copy` tries it first.
#![forbid(unsafe_code)]

use crate::arch::usercopy;
use crate::fs::{OpenFile, O_APPEND, O_PATH};
use crate::task::process;
use alloc::sync::Arc;
use basalt_linux_abi::Errno;

/// Bytes per step of the copy.
const STEP: usize = 64 * 1024;
/// Linux's MAX_RW_COUNT: one call copies at most this much.
const MAX_RW_COUNT: u64 = 0x7fff_f000;

const S_IFMT: u32 = 0o170000;
const S_IFREG: u32 = 0o100000;
const S_IFDIR: u32 = 0o040000;

/// The open file behind `fd`; O_PATH descriptors count as not open, as for Linux's fdget.
fn file(fd: i32) -> Result<Arc<OpenFile>, Errno> {
    let f = process::current()
        .ok_or(Errno::ESRCH)?
        .files()
        .lock()
        .get(fd)?;
    if f.flags() & O_PATH != 0 {
        return Err(Errno::EBADF);
    }
    Ok(f)
}

fn read_offset(ptr: u64) -> Result<i64, Errno> {
    let mut b = [0u8; 8];
    usercopy::copy_from_user(&mut b, ptr)?;
    Ok(i64::from_le_bytes(b))
}

pub fn copy_file_range(
    fd_in: i32,
    off_in: u64,
    fd_out: i32,
    off_out: u64,
    len: u64,
    flags: u32,
) -> Result<usize, Errno> {
    let input = file(fd_in)?;
    let output = file(fd_out)?;
    let pos_in = match off_in {
        0 => *input.offset.lock() as i64,
        ptr => read_offset(ptr)?,
    };
    let pos_out = match off_out {
        0 => *output.offset.lock() as i64,
        ptr => read_offset(ptr)?,
    };
    if flags != 0 {
        return Err(Errno::EINVAL);
    }
    let copied = copy_checked(&input, pos_in, &output, pos_out, len)?;
    if copied > 0 {
        // Only a copy that moved bytes moves the offsets (unlike sendfile, which always writes its offset back).
        let (end_in, end_out) = (pos_in + copied as i64, pos_out + copied as i64);
        match off_in {
            0 => *input.offset.lock() = end_in as u64,
            ptr => usercopy::copy_to_user(ptr, &end_in.to_le_bytes())?,
        }
        match off_out {
            0 => *output.offset.lock() = end_out as u64,
            ptr => usercopy::copy_to_user(ptr, &end_out.to_le_bytes())?,
        }
    }
    Ok(copied)
}

/// Linux's checks, then the copy itself; returns the bytes copied.
fn copy_checked(
    input: &OpenFile,
    pos_in: i64,
    output: &OpenFile,
    pos_out: i64,
    len: u64,
) -> Result<usize, Errno> {
    let (stat_in, stat_out) = (input.ops.stat(), output.ops.stat());
    let (type_in, type_out) = (stat_in.mode & S_IFMT, stat_out.mode & S_IFMT);
    if type_in == S_IFDIR || type_out == S_IFDIR {
        return Err(Errno::EISDIR);
    }
    if type_in != S_IFREG || type_out != S_IFREG {
        return Err(Errno::EINVAL);
    }
    if !input.readable() || !output.writable() || output.flags() & O_APPEND != 0 {
        return Err(Errno::EBADF);
    }
    // Without a filesystem-specific copy, Linux copies only within one filesystem.
    if stat_in.dev != stat_out.dev {
        return Err(Errno::EXDEV);
    }
    // The ends may not wrap (the offsets taken as unsigned, as Linux adds them).
    if (pos_in as u64).checked_add(len).is_none() || (pos_out as u64).checked_add(len).is_none() {
        return Err(Errno::EOVERFLOW);
    }
    // Shortened to the end of the input.
    let size_in = stat_in.size;
    let mut count = if pos_in >= size_in {
        0
    } else {
        len.min((size_in as u64).wrapping_sub(pos_in as u64))
    };
    if pos_out >= 0 {
        // Linux checks the file-size limit even for an empty copy (generic_write_check_limits), so ask for at
        // least one byte.
        let wanted = count.clamp(1, MAX_RW_COUNT) as usize;
        let allowed = output.ops.write_allowance(pos_out as u64, wanted)?;
        count = count.min(allowed as u64);
    }
    let same_file = stat_in.dev == stat_out.dev && stat_in.ino == stat_out.ino;
    if same_file
        && (pos_out as u64).wrapping_add(count) > pos_in as u64
        && (pos_out as u64) < (pos_in as u64).wrapping_add(count)
    {
        return Err(Errno::EINVAL);
    }
    // rw_verify_area, for each side.
    for pos in [pos_in, pos_out] {
        if pos < 0 || pos.checked_add(count as i64).is_none() {
            return Err(Errno::EINVAL);
        }
    }
    copy(
        input,
        pos_in as u64,
        output,
        pos_out as u64,
        count.min(MAX_RW_COUNT) as usize,
    )
}

/// Copies up to `count` bytes in steps; a failure after some bytes were copied ends the copy short.
fn copy(
    input: &OpenFile,
    pos_in: u64,
    output: &OpenFile,
    pos_out: u64,
    count: usize,
) -> Result<usize, Errno> {
    if count == 0 {
        return Ok(0);
    }
    let mut buf = alloc::vec![0u8; STEP.min(count)];
    let mut done = 0usize;
    while done < count {
        let want = (count - done).min(buf.len());
        let n = match input
            .ops
            .read(&mut buf[..want], pos_in + done as u64, false)
        {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        let written = match output.ops.write(&buf[..n], pos_out + done as u64, false) {
            Ok(w) => w,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        done += written;
        if written < n {
            break;
        }
    }
    Ok(done)
}
