//! fcntl record locks (F_GETLK/F_SETLK/F_SETLKW and the F_OFD_* variants) on basalt-locks' rules. POSIX locks
//! belong to a descriptor table (Linux's files_struct) and go when that table closes any descriptor of the
//! file; open-file-description locks belong to the description and go when it closes. Both kinds conflict.
#![forbid(unsafe_code)]

use super::OpenFile;
use crate::task::wait::WaitQueue;
use alloc::collections::BTreeMap;
use basalt_linux_abi::Errno;
use basalt_locks::{FileLocks, Kind, Lock, WaitGraph};
use spin::Mutex;

static FILES: Mutex<BTreeMap<u64, FileLocks>> = Mutex::new(BTreeMap::new());
static WAITS: Mutex<WaitGraph> = Mutex::new(WaitGraph::new());
/// Woken whenever a lock is released or changed.
static CHANGED: WaitQueue = WaitQueue::new();

/// Who asks: a POSIX owner (descriptor table id, with the process's pid) or an open file description.
#[derive(Clone, Copy)]
pub struct Owner {
    pub id: u64,
    pub pid: i32,
    pub posix: bool,
}

/// The owner id of an open file description (a kernel address, so it never equals a table id).
pub fn description_owner(f: &OpenFile) -> u64 {
    f as *const OpenFile as u64
}

/// F_GETLK: the first lock that would block `kind` on `start..=end`.
pub fn test(f: &OpenFile, owner: Owner, start: i64, end: i64, kind: Kind) -> Option<Lock> {
    let key = super::lock_key(f);
    FILES.lock().get(&key)?.conflict(owner.id, start, end, kind)
}

/// F_SETLK/F_SETLKW: set or (kind None) remove a lock; `wait`: sleep while another owner's lock is in the way.
pub fn set(
    f: &OpenFile,
    owner: Owner,
    start: i64,
    end: i64,
    kind: Option<Kind>,
    wait: bool,
) -> Result<(), Errno> {
    let key = super::lock_key(f);
    if !owner.posix {
        f.mark_locked();
    }
    let r = CHANGED.wait_until(|| {
        let mut files = FILES.lock();
        let locks = files.entry(key).or_default();
        if let Some(k) = kind {
            if let Some(blocker) = locks.conflict(owner.id, start, end, k) {
                if !wait {
                    return Some(Err(Errno::EAGAIN));
                }
                let mut waits = WAITS.lock();
                if owner.posix && waits.would_deadlock(owner.id, blocker.owner) {
                    waits.done(owner.id);
                    return Some(Err(Errno::EDEADLK));
                }
                waits.wait(owner.id, blocker.owner);
                return None;
            }
        }
        locks.set(owner.id, owner.pid, start, end, kind);
        if locks.is_empty() {
            files.remove(&key);
        }
        Some(Ok(()))
    });
    WAITS.lock().done(owner.id);
    CHANGED.wake_all();
    r.map_err(|_| crate::task::process::ERESTARTSYS)?
}

/// A descriptor table closed a descriptor of `f`: its POSIX locks on the file go.
pub fn closed_by(table_id: u64, f: &OpenFile) {
    let key = super::lock_key(f);
    let mut files = FILES.lock();
    let Some(locks) = files.get_mut(&key) else {
        return;
    };
    locks.remove_owner(table_id);
    if locks.is_empty() {
        files.remove(&key);
    }
    drop(files);
    CHANGED.wake_all();
}

/// An open file description closed: its OFD locks go.
pub fn description_closed(f: &OpenFile) {
    closed_by(description_owner(f), f);
}
