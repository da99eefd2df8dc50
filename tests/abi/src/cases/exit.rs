//! exit and exit_group: status codes, a thread exiting alone, the main thread exiting before the others.

use core::sync::atomic::{AtomicI32, Ordering::SeqCst};

use crate::child::{self, pipe, read_byte};
use crate::registry::Case;
use crate::sys::{self, nr};

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case::new("exit.exit_group_low_byte", exit_group_low_byte),
    Case::new(
        "exit.thread_exit_process_continues",
        thread_exit_process_continues,
    ),
    Case::new("exit.leader_exits_first", leader_exits_first),
    Case::new(
        "exit.exit_group_ends_blocked_threads",
        exit_group_ends_blocked_threads,
    ),
];

fn exit_group_low_byte() -> String {
    child::run(|| {
        let _ = sys!(nr::EXIT_GROUP, 300);
        0
    })
}

static THREAD_DONE: AtomicI32 = AtomicI32::new(0);

extern "C" fn exit_thread_now(_arg: usize) {
    THREAD_DONE.store(1, SeqCst);
    let _ = sys!(nr::EXIT, 9);
}

fn thread_exit_process_continues() -> String {
    child::run(|| {
        let mut stack = sys::ThreadStack::new();
        let ctid = AtomicI32::new(-1);
        let flags = sys::THREAD_FLAGS | libc::CLONE_CHILD_CLEARTID as usize;
        // SAFETY: the thread only stores an atomic and exits; the stack outlives it (we wait for ctid).
        let r = unsafe {
            sys::clone_thread(
                flags,
                stack.top(),
                0,
                ctid.as_ptr() as usize,
                exit_thread_now,
                0,
            )
        };
        if r < 0 {
            return 100;
        }
        sys::wait_cleared(&ctid);
        // Still running after the thread's exit(9): exit with our own code.
        10 + THREAD_DONE.load(SeqCst)
    })
}

/// Cleared by the kernel when the main thread exits (its clear_child_tid, set with set_tid_address).
static LEADER_TID: AtomicI32 = AtomicI32::new(-1);

extern "C" fn outlive_leader(_arg: usize) {
    sys::wait_cleared(&LEADER_TID);
    let _ = sys!(nr::EXIT, 7);
}

fn leader_exits_first() -> String {
    child::run(|| {
        let _ = sys!(nr::SET_TID_ADDRESS, LEADER_TID.as_ptr());
        // Leaked: the thread uses it after this function's frame is gone.
        let stack = Box::leak(Box::new(sys::ThreadStack::new()));
        // SAFETY: the thread waits on an atomic and exits; its stack is leaked.
        let r =
            unsafe { sys::clone_thread(sys::THREAD_FLAGS, stack.top(), 0, 0, outlive_leader, 0) };
        if r < 0 {
            return 100;
        }
        // The main thread alone ends with status 1; the process ends when the other thread exits with 7.
        let _ = sys!(nr::EXIT, 1);
        101
    })
}

fn exit_group_ends_blocked_threads() -> String {
    child::run(|| {
        let (r, _w) = pipe();
        for _ in 0..3 {
            std::thread::spawn(move || {
                let _ = read_byte(r);
            });
        }
        let _ = sys!(nr::EXIT_GROUP, 2);
        0
    })
}
