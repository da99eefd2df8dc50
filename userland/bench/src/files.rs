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

/// The directories of the path-walk benchmark, outermost first, and the file and missing name in the last.
const WALK_DIRS: [&CStr; 8] = [
    c"bench-walk",
    c"bench-walk/usr",
    c"bench-walk/usr/share",
    c"bench-walk/usr/share/doc",
    c"bench-walk/usr/share/doc/pkg",
    c"bench-walk/usr/share/doc/pkg/examples",
    c"bench-walk/usr/share/doc/pkg/examples/more",
    c"bench-walk/usr/share/doc/pkg/examples/more/deep",
];
const WALK_FILE: &CStr = c"bench-walk/usr/share/doc/pkg/examples/more/deep/file";
const WALK_MISSING: &CStr = c"bench-walk/usr/share/doc/pkg/examples/more/deep/missing";

/// stat of a file nine components deep and of a missing name beside it, per iteration (what a shell's
/// `PATH` search and a program's library and configuration probing do).
pub fn path_walk_stat(_: &Setup, iterations: u64) -> Result<u64, BenchError> {
    for dir in WALK_DIRS {
        sys::mkdir_existing_ok(dir)?;
    }
    drop(sys::create_file(WALK_FILE)?);
    let result = timed(|| {
        for _ in 0..iterations {
            black_box(sys::exists(WALK_FILE)?);
            black_box(sys::exists(WALK_MISSING)?);
        }
        Ok(())
    });
    sys::unlink(WALK_FILE)?;
    for dir in WALK_DIRS.iter().rev() {
        sys::rmdir(dir)?;
    }
    result
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
