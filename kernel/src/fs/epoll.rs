//! epoll instances. Each watched file gets a `Watcher` on its `poll_queue`: a wake-up of the file puts the item on
//! the ready list (basalt-event-files' `Interest`) and wakes the instance's queue, where epoll_wait sleeps and
//! which outer pollers of the epoll file watch. Items are keyed like Linux's, by open file and descriptor
//! number; the instance holds the open file weakly, so closing the last descriptor of a file removes it.
#![forbid(unsafe_code)]

use super::{FileOps, OpenFile, Stat, POLLIN};
use crate::task::wait::{WaitQueue, Watcher};
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use basalt_event_files::epoll::{CtlError, Interest};
use basalt_linux_abi::Errno;
use spin::Mutex;
use x86_64::instructions::interrupts::without_interrupts;

/// (open file address, descriptor number).
type Key = (usize, i32);

struct Entry {
    key: Key,
    file: Weak<OpenFile>,
    /// Kept to unregister the watcher from the file's queue, even after the open file is gone.
    ops: Arc<dyn FileOps>,
    watcher: Arc<dyn Watcher>,
    /// The file's self-changing deadline last notified (timerfds).
    notified_deadline: Option<u64>,
}

#[derive(Default)]
struct State {
    interest: Interest<Key>,
    entries: Vec<Entry>,
}

pub struct Epoll {
    /// This instance, for the watchers' back references.
    me: Weak<Epoll>,
    state: Mutex<State>,
    /// epoll_wait sleepers and pollers of this epoll file.
    changed: WaitQueue,
}

struct ItemWatcher {
    epoll: Weak<Epoll>,
    key: Key,
}

impl Watcher for ItemWatcher {
    fn notify(&self) {
        if let Some(ep) = self.epoll.upgrade() {
            without_interrupts(|| ep.state.lock().interest.notify(self.key));
            ep.changed.wake_all();
        }
    }
}

fn key_of(file: &Arc<OpenFile>, fd: i32) -> Key {
    (Arc::as_ptr(file) as usize, fd)
}

fn ctl_errno(e: CtlError) -> Errno {
    match e {
        CtlError::Exists => Errno::EEXIST,
        CtlError::NotFound => Errno::ENOENT,
        CtlError::Invalid => Errno::EINVAL,
    }
}

/// Deepest nesting of epoll instances Linux allows (EP_MAX_NESTS).
const MAX_NESTS: usize = 4;

impl State {
    /// Timers whose deadline passed since the last look count as wake-ups; returns the earliest future deadline.
    fn fire_deadlines(&mut self, now: u64) -> Option<u64> {
        let mut next: Option<u64> = None;
        for e in self.entries.iter_mut() {
            let Some(d) = e.ops.poll_deadline() else {
                continue;
            };
            if now >= d {
                if e.notified_deadline != Some(d) {
                    e.notified_deadline = Some(d);
                    self.interest.notify(e.key);
                }
            } else {
                next = Some(next.map_or(d, |n| n.min(d)));
            }
        }
        next
    }

    fn remove_entry(&mut self, key: Key) {
        if let Some(at) = self.entries.iter().position(|e| e.key == key) {
            let e = self.entries.swap_remove(at);
            if let Some(q) = e.ops.poll_queue() {
                q.remove_watcher(&e.watcher);
            }
        }
        let _ = self.interest.delete(key);
    }

    fn readiness(&self, key: Key) -> Option<u32> {
        let e = self.entries.iter().find(|e| e.key == key)?;
        let f = e.file.upgrade()?;
        Some(u32::from(super::ready::events_of(&*f.ops)))
    }
}

impl Epoll {
    pub fn new() -> Arc<Epoll> {
        Arc::new_cyclic(|me| Epoll {
            me: me.clone(),
            state: Mutex::new(State::default()),
            changed: WaitQueue::new(),
        })
    }

    /// Whether `target` (an epoll instance) watches `self`, directly or through others, or nests too deep.
    fn would_loop(&self, target: &Epoll, depth: usize) -> bool {
        if depth > MAX_NESTS || core::ptr::eq(self, target) {
            return true;
        }
        let inner: Vec<Arc<dyn FileOps>> = target
            .state
            .lock()
            .entries
            .iter()
            .map(|e| e.ops.clone())
            .collect();
        inner.iter().any(|ops| {
            ops.as_any()
                .and_then(|a| a.downcast_ref::<Epoll>())
                .is_some_and(|t| self.would_loop(t, depth + 1))
        })
    }

    /// EPOLL_CTL_ADD.
    pub fn add(&self, file: &Arc<OpenFile>, fd: i32, events: u32, data: u64) -> Result<(), Errno> {
        let queue = file.ops.poll_queue().ok_or(Errno::EPERM)?;
        if let Some(target) = file.ops.as_any().and_then(|a| a.downcast_ref::<Epoll>()) {
            if self.would_loop(target, 1) {
                return Err(Errno::ELOOP);
            }
        }
        let key = key_of(file, fd);
        let watcher: Arc<dyn Watcher> = Arc::new(ItemWatcher {
            epoll: self.me.clone(),
            key,
        });
        {
            let mut st = self.state.lock();
            st.interest.add(key, events, data).map_err(ctl_errno)?;
            st.entries.push(Entry {
                key,
                file: Arc::downgrade(file),
                ops: file.ops.clone(),
                watcher: watcher.clone(),
                notified_deadline: None,
            });
        }
        queue.add_watcher(watcher);
        // Already ready: on the ready list at once, as Linux's ep_insert does.
        self.recheck(key);
        Ok(())
    }

    /// EPOLL_CTL_MOD.
    pub fn modify(
        &self,
        file: &Arc<OpenFile>,
        fd: i32,
        events: u32,
        data: u64,
    ) -> Result<(), Errno> {
        let key = key_of(file, fd);
        self.state
            .lock()
            .interest
            .modify(key, events, data)
            .map_err(ctl_errno)?;
        self.recheck(key);
        Ok(())
    }

    /// EPOLL_CTL_DEL.
    pub fn delete(&self, file: &Arc<OpenFile>, fd: i32) -> Result<(), Errno> {
        let key = key_of(file, fd);
        let mut st = self.state.lock();
        if !st.interest.contains(key) {
            return Err(Errno::ENOENT);
        }
        st.remove_entry(key);
        Ok(())
    }

    fn recheck(&self, key: Key) {
        let ready = {
            let mut st = self.state.lock();
            let ready = st.readiness(key).is_some_and(|ev| ev != 0);
            if ready {
                st.interest.notify(key);
            }
            ready
        };
        if ready {
            self.changed.wake_all();
        }
    }

    /// One harvest: up to `max` (events, data) pairs; otherwise the earliest timer deadline among the items.
    fn harvest(&self, max: usize) -> Result<Vec<(u32, u64)>, Option<u64>> {
        let mut st = self.state.lock();
        let next = st.fire_deadlines(crate::time::monotonic_ns());
        if !st.interest.has_ready() {
            return Err(next);
        }
        let mut gone = Vec::new();
        let st_ref = &mut *st;
        let entries = &st_ref.entries;
        let out = st_ref.interest.collect(max, |key| {
            let r = entries
                .iter()
                .find(|e| e.key == key)
                .and_then(|e| e.file.upgrade())
                .map(|f| u32::from(super::ready::events_of(&*f.ops)));
            if r.is_none() {
                gone.push(key);
            }
            r
        });
        for key in gone {
            st.remove_entry(key);
        }
        if out.is_empty() {
            Err(next)
        } else {
            Ok(out)
        }
    }

    /// epoll_wait: wait until something is ready or the deadline passes (an empty list).
    pub fn wait(&self, max: usize, deadline_ns: Option<u64>) -> Result<Vec<(u32, u64)>, Errno> {
        let queues = [&self.changed];
        Ok(
            super::ready::wait_for(&queues, deadline_ns, || self.harvest(max))
                .map_err(|_| Errno::EINTR)?
                .unwrap_or_default(),
        )
    }
}

impl Drop for Epoll {
    fn drop(&mut self) {
        let st = self.state.get_mut();
        for e in st.entries.drain(..) {
            if let Some(q) = e.ops.poll_queue() {
                q.remove_watcher(&e.watcher);
            }
        }
    }
}

impl FileOps for Epoll {
    fn read(&self, _buf: &mut [u8], _offset: u64, _nonblock: bool) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }

    fn write(&self, _buf: &[u8], _offset: u64, _nonblock: bool) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }

    /// Readable when a ready-listed item is ready now (Linux's ep_eventpoll_poll).
    fn poll_events(&self) -> u16 {
        let mut st = self.state.lock();
        st.fire_deadlines(crate::time::monotonic_ns());
        let st = &*st;
        if st.interest.any_ready(|key| st.readiness(key)) {
            POLLIN
        } else {
            0
        }
    }

    fn poll_queue(&self) -> Option<&WaitQueue> {
        Some(&self.changed)
    }

    fn poll_deadline(&self) -> Option<u64> {
        let st = self.state.lock();
        st.entries
            .iter()
            .filter_map(|e| e.ops.poll_deadline())
            .filter(|d| *d > crate::time::monotonic_ns())
            .min()
    }

    fn as_any(&self) -> Option<&dyn core::any::Any> {
        Some(self)
    }

    fn stat(&self) -> Stat {
        super::anon::stat()
    }
}
