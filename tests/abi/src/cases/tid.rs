//! Thread bookkeeping calls: set_tid_address and the robust futex list.

use core::sync::atomic::{AtomicI32, AtomicU32, AtomicUsize, Ordering::SeqCst};

use crate::registry::Case;
use crate::sys::{self, eq, errno_name, nr, outcome, BAD_PTR, KERNEL_PTR, NO_SUCH_PID};

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case::new(
        "tid.set_tid_address_returns_tid",
        set_tid_address_returns_tid,
    ),
    Case::new("tid.set_robust_list_ok", set_robust_list_ok),
    Case::new(
        "tid.set_robust_list_bad_len_einval",
        set_robust_list_bad_len,
    ),
    Case::new("tid.get_robust_list_roundtrip", get_robust_list_roundtrip),
    Case::new("tid.get_robust_list_esrch", get_robust_list_esrch),
    Case::new("tid.get_robust_list_efault", get_robust_list_efault),
    Case::new("tid.robust_owner_died", robust_owner_died),
    Case::new(
        "tid.robust_cycle_and_wild_pending",
        robust_cycle_and_wild_pending,
    ),
    Case::new("tid.robust_wild_next_stops_walk", robust_wild_next),
];

/// `struct robust_list_head` (24 bytes).
#[repr(C)]
struct RobustHead {
    next: AtomicUsize,
    futex_offset: isize,
    pending: usize,
}

/// A lock on the robust list: its link, then the futex word at offset 8.
#[repr(C)]
struct RobustLock {
    next: AtomicUsize,
    word: AtomicU32,
}

const HEAD_LEN: usize = core::mem::size_of::<RobustHead>();

fn empty_head() -> Box<RobustHead> {
    let head = Box::new(RobustHead {
        next: AtomicUsize::new(0),
        futex_offset: 8,
        pending: 0,
    });
    // An empty list points back at its head.
    head.next
        .store(&*head as *const RobustHead as usize, SeqCst);
    head
}

fn set_tid_address_returns_tid() -> String {
    let slot = AtomicI32::new(0);
    let r = sys!(nr::SET_TID_ADDRESS, slot.as_ptr());
    format!("returns tid={}", eq(r, Ok(sys::gettid())))
}

fn set_robust_list_ok() -> String {
    let head = Box::leak(empty_head());
    outcome(sys!(
        nr::SET_ROBUST_LIST,
        head as *const RobustHead,
        HEAD_LEN
    ))
}

fn set_robust_list_bad_len() -> String {
    let head = Box::leak(empty_head());
    outcome(sys!(
        nr::SET_ROBUST_LIST,
        head as *const RobustHead,
        HEAD_LEN - 1
    ))
}

fn get_robust_list_roundtrip() -> String {
    let head = Box::leak(empty_head());
    let set = outcome(sys!(
        nr::SET_ROBUST_LIST,
        head as *const RobustHead,
        HEAD_LEN
    ));
    let (mut ptr, mut len) = (0usize, 0usize);
    let got = outcome(sys!(
        nr::GET_ROBUST_LIST,
        0,
        &mut ptr as *mut usize,
        &mut len as *mut usize
    ));
    format!(
        "set={set} get={got} head={} len={len}",
        eq(ptr, head as *const RobustHead as usize)
    )
}

fn get_robust_list_esrch() -> String {
    let (mut ptr, mut len) = (0usize, 0usize);
    outcome(sys!(
        nr::GET_ROBUST_LIST,
        NO_SUCH_PID,
        &mut ptr as *mut usize,
        &mut len as *mut usize
    ))
}

fn get_robust_list_efault() -> String {
    let mut ptr = 0usize;
    outcome(sys!(
        nr::GET_ROBUST_LIST,
        0,
        &mut ptr as *mut usize,
        BAD_PTR
    ))
}

static ROBUST_HEAD: RobustHead = RobustHead {
    next: AtomicUsize::new(0),
    futex_offset: 8,
    pending: 0,
};
static ROBUST_LOCK: RobustLock = RobustLock {
    next: AtomicUsize::new(0),
    word: AtomicU32::new(0),
};
static ROBUST_RESULT: AtomicUsize = AtomicUsize::new(usize::MAX);

extern "C" fn hold_robust_lock_and_exit(_arg: usize) {
    // The list is head -> lock -> head; the lock is "held": its word is our tid.
    let head = &ROBUST_HEAD as *const RobustHead as usize;
    ROBUST_LOCK.next.store(head, SeqCst);
    ROBUST_HEAD
        .next
        .store(&ROBUST_LOCK as *const RobustLock as usize, SeqCst);
    ROBUST_LOCK.word.store(sys::gettid() as u32, SeqCst);
    let r = sys!(nr::SET_ROBUST_LIST, head, HEAD_LEN);
    ROBUST_RESULT.store(r.map_or(usize::MAX, |_| 0), SeqCst);
}

fn robust_owner_died() -> String {
    let mut stack = sys::ThreadStack::new();
    let ctid = AtomicI32::new(-1);
    let flags = sys::THREAD_FLAGS | libc::CLONE_CHILD_CLEARTID as usize;
    // SAFETY: the thread uses statics and raw calls only; its stack outlives it (we wait for ctid).
    let r = unsafe {
        sys::clone_thread(
            flags,
            stack.top(),
            0,
            ctid.as_ptr() as usize,
            hold_robust_lock_and_exit,
            0,
        )
    };
    let tid = match sys::decode(r) {
        Ok(tid) => tid as u32,
        Err(e) => return format!("clone {}", errno_name(e)),
    };
    sys::wait_cleared(&ctid);
    let word = ROBUST_LOCK.word.load(SeqCst);
    format!(
        "set_robust_list={} word: owner_died={} tid bits={}",
        if ROBUST_RESULT.load(SeqCst) == 0 {
            "ok"
        } else {
            "failed"
        },
        sys::yes(word & 0x4000_0000 != 0),
        if word & 0x3fff_ffff == tid {
            "still tid"
        } else {
            "cleared"
        },
    )
}

/// A robust list head whose every field a thread can set.
#[repr(C)]
struct MutableHead {
    next: AtomicUsize,
    futex_offset: AtomicUsize,
    pending: AtomicUsize,
}

static WILD_HEAD: MutableHead = MutableHead {
    next: AtomicUsize::new(0),
    futex_offset: AtomicUsize::new(8),
    pending: AtomicUsize::new(0),
};
static WILD_LOCKS: [RobustLock; 2] = [
    RobustLock {
        next: AtomicUsize::new(0),
        word: AtomicU32::new(0),
    },
    RobustLock {
        next: AtomicUsize::new(0),
        word: AtomicU32::new(0),
    },
];
/// What the thread links after each lock: 0 a cycle on the first lock, 1 a wild pointer after it.
static WILD_MODE: AtomicUsize = AtomicUsize::new(0);

extern "C" fn hold_lock_with_wild_list(_arg: usize) {
    let tid = sys::gettid() as u32;
    let [first, second] = &WILD_LOCKS;
    match WILD_MODE.load(SeqCst) {
        // head -> first -> first -> ... never back at the head; the pending op points into the kernel.
        0 => {
            first
                .next
                .store(first as *const RobustLock as usize, SeqCst);
            WILD_HEAD.pending.store(KERNEL_PTR, SeqCst);
        }
        // head -> first -> (unmapped): the walk stops there; `second` is never reached.
        _ => {
            first.next.store(BAD_PTR, SeqCst);
            second
                .next
                .store(&WILD_HEAD as *const MutableHead as usize, SeqCst);
        }
    }
    first.word.store(tid, SeqCst);
    second.word.store(tid, SeqCst);
    WILD_HEAD
        .next
        .store(first as *const RobustLock as usize, SeqCst);
    let _ = sys!(
        nr::SET_ROBUST_LIST,
        &WILD_HEAD as *const MutableHead,
        HEAD_LEN
    );
}

/// A thread exits holding the locks of a malformed list: what its lock words say afterwards (the kernel must
/// neither crash nor hang).
fn robust_wild_list(mode: usize) -> String {
    WILD_MODE.store(mode, SeqCst);
    let mut stack = sys::ThreadStack::new();
    let ctid = AtomicI32::new(-1);
    let flags = sys::THREAD_FLAGS | libc::CLONE_CHILD_CLEARTID as usize;
    // SAFETY: the thread uses statics and raw calls only; its stack outlives it (we wait for ctid).
    let r = unsafe {
        sys::clone_thread(
            flags,
            stack.top(),
            0,
            ctid.as_ptr() as usize,
            hold_lock_with_wild_list,
            0,
        )
    };
    if let Err(e) = sys::decode(r) {
        return format!("clone {}", errno_name(e));
    }
    sys::wait_cleared(&ctid);
    let describe = |w: u32| {
        if w & 0x4000_0000 != 0 && w & 0x3fff_ffff == 0 {
            "owner died"
        } else if w & 0x3fff_ffff != 0 {
            "still held"
        } else {
            "other"
        }
    };
    format!(
        "first={} second={}",
        describe(WILD_LOCKS[0].word.load(SeqCst)),
        describe(WILD_LOCKS[1].word.load(SeqCst))
    )
}

fn robust_cycle_and_wild_pending() -> String {
    robust_wild_list(0)
}

fn robust_wild_next() -> String {
    robust_wild_list(1)
}
