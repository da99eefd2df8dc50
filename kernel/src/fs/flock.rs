//! flock(2) locks: whole-file shared or exclusive locks owned by an open file description, released when the
//! description's last descriptor closes. Files are identified by their root-filesystem inode (every open of a
//! file shares its locks), or by the file object for files without one (pipes, eventfds).
#![forbid(unsafe_code)]

use super::OpenFile;
use crate::task::wait::WaitQueue;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use basalt_linux_abi::Errno;
use spin::Mutex;

/// file key → (owner description, exclusive) for every lock held on it.
static LOCKS: Mutex<BTreeMap<u64, Vec<(usize, bool)>>> = Mutex::new(BTreeMap::new());
/// Waiters for a lock to be released.
static RELEASED: WaitQueue = WaitQueue::new();

fn key_of(f: &OpenFile) -> u64 {
    super::lock_key(f)
}

fn owner_of(f: &OpenFile) -> usize {
    f as *const OpenFile as usize
}

/// Take a lock (`exclusive` or shared) for `f`, converting one it holds; waits unless `nonblock`.
pub fn lock(f: &OpenFile, exclusive: bool, nonblock: bool) -> Result<(), Errno> {
    let key = key_of(f);
    let owner = owner_of(f);
    {
        // Like Linux, a conversion first drops the old lock (so a failed non-blocking upgrade loses it).
        let mut locks = LOCKS.lock();
        let holders = locks.entry(key).or_default();
        if let Some(&(_, ex)) = holders.iter().find(|(o, _)| *o == owner) {
            if ex == exclusive {
                return Ok(());
            }
            holders.retain(|(o, _)| *o != owner);
            drop(locks);
            RELEASED.wake_all();
        }
    }
    f.mark_locked();
    RELEASED
        .wait_until(|| {
            let mut locks = LOCKS.lock();
            let holders = locks.entry(key).or_default();
            let conflict = holders
                .iter()
                .any(|&(o, ex)| o != owner && (ex || exclusive));
            if !conflict {
                holders.push((owner, exclusive));
                return Some(Ok(()));
            }
            nonblock.then_some(Err(Errno::EAGAIN))
        })
        .map_err(|_| crate::task::process::ERESTARTSYS)?
}

/// LOCK_UN, and the release when the description closes.
pub fn unlock(f: &OpenFile) {
    let key = key_of(f);
    let owner = owner_of(f);
    let mut locks = LOCKS.lock();
    if let Some(holders) = locks.get_mut(&key) {
        holders.retain(|(o, _)| *o != owner);
        if holders.is_empty() {
            locks.remove(&key);
        }
    }
    drop(locks);
    RELEASED.wake_all();
}
