//! File benchmarks on the root filesystem (in memory under both kernels when the program is /init): a small
//! file's whole life, and sequential 1 MiB reads and writes in 64 KiB calls.

use crate::benchmarks::{timed, BenchError, Setup};
use crate::sys::{self, SysError};
use std::ffi::CStr;
use std::hint::black_box;

const MIB: usize = 1 << 20;
const CALL: usize = 64 * 1024;
const SMALL: usize = 1024;

const SMALL_PATH: &CStr = c"bench-small-file";
const BIG_PATH: &CStr = c"bench-1mib-file";

/// Create, write 1 KiB, read it back, close and unlink, per iteration.
pub fn file_create_write_read_unlink(_: &Setup, iterations: u64) -> Result<u64, BenchError> {
    let data = [0x5au8; SMALL];
    let mut back = [0u8; SMALL];
    timed(|| {
        for _ in 0..iterations {
            let fd = sys::create_file(SMALL_PATH)?;
            sys::pwrite_all(&fd, &data, 0)?;
            sys::pread_exact(&fd, &mut back, 0)?;
            drop(fd);
            sys::unlink(SMALL_PATH)?;
            black_box(&back);
        }
        Ok(())
    })
}

/// A 1 MiB file, written once, and the buffer for one call.
fn big_file() -> Result<(std::os::fd::OwnedFd, Vec<u8>), SysError> {
    let fd = sys::create_file(BIG_PATH)?;
    let buf = vec![0xa5u8; CALL];
    for chunk in 0..MIB / CALL {
        sys::pwrite_all(&fd, &buf, (chunk * CALL) as u64)?;
    }
    Ok((fd, buf))
}

/// Read the 1 MiB file from start to end; time per MiB.
pub fn file_read_1mib(_: &Setup, iterations: u64) -> Result<u64, BenchError> {
    let (fd, mut buf) = big_file()?;
    let result = timed(|| {
        for _ in 0..iterations {
            for chunk in 0..MIB / CALL {
                sys::pread_exact(&fd, &mut buf, (chunk * CALL) as u64)?;
            }
            black_box(&buf);
        }
        Ok(())
    });
    sys::unlink(BIG_PATH)?;
    result
}

/// Overwrite the 1 MiB file from start to end; time per MiB.
pub fn file_write_1mib(_: &Setup, iterations: u64) -> Result<u64, BenchError> {
    let (fd, buf) = big_file()?;
    let result = timed(|| {
        for _ in 0..iterations {
            for chunk in 0..MIB / CALL {
                sys::pwrite_all(&fd, &buf, (chunk * CALL) as u64)?;
            }
        }
        Ok(())
    });
    sys::unlink(BIG_PATH)?;
    result
}
