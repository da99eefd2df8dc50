//! clone3: checks of the argument structure (size, unknown flags, exit signal, stack) and a plain fork.
//!
//! Children that an erroneous success would create exit at once (see `sys::clone_exit_child`).

use core::sync::atomic::{AtomicI32, Ordering::SeqCst};

use crate::child;
use crate::registry::Case;
use crate::sys::{self, eq, errno_name, nr, outcome, BAD_PTR};

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case::new("clone3.size_zero_einval", size_zero),
    Case::new("clone3.size_too_small_einval", size_too_small),
    Case::new("clone3.size_over_page_e2big", size_over_page),
    Case::new("clone3.nonzero_tail_e2big", nonzero_tail),
    Case::new("clone3.zero_tail_ok", zero_tail),
    Case::new("clone3.efault", efault),
    Case::new("clone3.bad_exit_signal_einval", bad_exit_signal),
    Case::new("clone3.exit_signal_high_bits_einval", exit_signal_high_bits),
    Case::new("clone3.unknown_flag_einval", unknown_flag),
    Case::new(
        "clone3.thread_without_sighand_einval",
        thread_without_sighand,
    ),
    Case::new(
        "clone3.thread_with_exit_signal_einval",
        thread_with_exit_signal,
    ),
    Case::new(
        "clone3.stack_size_without_stack_einval",
        stack_size_without_stack,
    ),
    Case::new("clone3.stack_without_size_einval", stack_without_size),
    Case::new("clone3.set_tid_size_too_big_einval", set_tid_size),
    Case::new(
        "clone3.clear_sighand_with_sighand_einval",
        clear_sighand_with_sighand,
    ),
    Case::new("clone3.ver0_fork_parent_tid", ver0_fork),
];

/// `struct clone_args` (clone3), with room for a tail beyond the kernel's known size.
#[repr(C)]
#[derive(Default)]
struct CloneArgs {
    flags: u64,
    pidfd: u64,
    child_tid: u64,
    parent_tid: u64,
    exit_signal: u64,
    stack: u64,
    stack_size: u64,
    tls: u64,
    set_tid: u64,
    set_tid_size: u64,
    cgroup: u64,
    tail: [u64; 2],
}

/// Size of `struct clone_args` as of Linux 5.7 (CLONE_ARGS_SIZE_VER2).
const CLONE_ARGS_SIZE: usize = 88;

fn clone3(args: &CloneArgs, size: usize, code: usize) -> Result<usize, sys::Errno> {
    sys::decode(sys::clone_exit_child(
        nr::CLONE3,
        [args as *const CloneArgs as usize, size, 0, 0, 0],
        code,
    ))
}

/// clone3 that is expected to fail: the errno, or the child's fate if it did not.
fn clone3_expect_error(args: CloneArgs, size: usize) -> String {
    match clone3(&args, size, 0) {
        Ok(pid) => format!("created: {}", child::wait_text(pid as i32)),
        Err(e) => errno_name(e),
    }
}

fn fork_args() -> CloneArgs {
    CloneArgs {
        exit_signal: libc::SIGCHLD as u64,
        ..CloneArgs::default()
    }
}

fn size_zero() -> String {
    clone3_expect_error(fork_args(), 0)
}

fn size_too_small() -> String {
    clone3_expect_error(fork_args(), 56)
}

fn size_over_page() -> String {
    // The kernel checks the size before reading, so the short buffer is never read.
    clone3_expect_error(fork_args(), sys::PAGE + 8)
}

fn nonzero_tail() -> String {
    let mut args = fork_args();
    args.tail[0] = 1;
    clone3_expect_error(args, CLONE_ARGS_SIZE + 8)
}

fn zero_tail() -> String {
    match clone3(&fork_args(), CLONE_ARGS_SIZE + 16, 3) {
        Ok(pid) => child::wait_text(pid as i32),
        Err(e) => errno_name(e),
    }
}

fn efault() -> String {
    let r = sys::decode(sys::clone_exit_child(
        nr::CLONE3,
        [BAD_PTR, CLONE_ARGS_SIZE, 0, 0, 0],
        0,
    ));
    outcome(r)
}

fn bad_exit_signal() -> String {
    clone3_expect_error(
        CloneArgs {
            exit_signal: 65,
            ..CloneArgs::default()
        },
        CLONE_ARGS_SIZE,
    )
}

fn exit_signal_high_bits() -> String {
    let args = CloneArgs {
        exit_signal: (1 << 32) | libc::SIGCHLD as u64,
        ..CloneArgs::default()
    };
    clone3_expect_error(args, CLONE_ARGS_SIZE)
}

fn unknown_flag() -> String {
    clone3_expect_error(
        CloneArgs {
            flags: 1 << 40,
            ..fork_args()
        },
        CLONE_ARGS_SIZE,
    )
}

fn thread_without_sighand() -> String {
    let flags = (libc::CLONE_VM | libc::CLONE_THREAD) as u64;
    clone3_expect_error(
        CloneArgs {
            flags,
            ..CloneArgs::default()
        },
        CLONE_ARGS_SIZE,
    )
}

fn thread_with_exit_signal() -> String {
    let flags = (libc::CLONE_VM | libc::CLONE_SIGHAND | libc::CLONE_THREAD) as u64;
    clone3_expect_error(
        CloneArgs {
            flags,
            ..fork_args()
        },
        CLONE_ARGS_SIZE,
    )
}

fn stack_size_without_stack() -> String {
    clone3_expect_error(
        CloneArgs {
            stack_size: 65536,
            ..fork_args()
        },
        CLONE_ARGS_SIZE,
    )
}

fn stack_without_size() -> String {
    let mut buf = vec![0u8; 4096];
    let args = CloneArgs {
        stack: buf.as_mut_ptr() as u64,
        ..fork_args()
    };
    clone3_expect_error(args, CLONE_ARGS_SIZE)
}

fn set_tid_size() -> String {
    let tids = [0i32; 40];
    let args = CloneArgs {
        set_tid: tids.as_ptr() as u64,
        set_tid_size: 40,
        ..fork_args()
    };
    clone3_expect_error(args, CLONE_ARGS_SIZE)
}

fn clear_sighand_with_sighand() -> String {
    let flags = (libc::CLONE_VM | libc::CLONE_SIGHAND) as u64 | 0x1_0000_0000; // CLONE_CLEAR_SIGHAND
    clone3_expect_error(
        CloneArgs {
            flags,
            ..fork_args()
        },
        CLONE_ARGS_SIZE,
    )
}

fn ver0_fork() -> String {
    let ptid = AtomicI32::new(0);
    let args = CloneArgs {
        flags: libc::CLONE_PARENT_SETTID as u64,
        parent_tid: ptid.as_ptr() as u64,
        ..fork_args()
    };
    match clone3(&args, 64, 8) {
        Ok(pid) => {
            let st = child::wait_text(pid as i32);
            format!(
                "{st} parent_tid=pid {}",
                eq(ptid.load(SeqCst) as usize, pid)
            )
        }
        Err(e) => errno_name(e),
    }
}
