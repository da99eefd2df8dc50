//! An epoll instance's interest list and ready list, with Linux's reporting rules.
//!
//! The host kernel calls [`Interest::notify`] whenever a watched file's wait queue is woken (readiness may have
//! changed) and [`Interest::collect`] from epoll_wait, passing a function that polls a file now. As in Linux's
//! eventpoll.c, a woken item joins the ready list once; collecting polls it and reports it if any wanted event
//! is present; a level-triggered item that reported goes back on the list (so the next wait polls it again), an
//! edge-triggered one waits for the next wake-up, and a one-shot one is disabled until EPOLL_CTL_MOD.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

pub const EPOLLIN: u32 = 0x001;
pub const EPOLLPRI: u32 = 0x002;
pub const EPOLLOUT: u32 = 0x004;
pub const EPOLLERR: u32 = 0x008;
pub const EPOLLHUP: u32 = 0x010;
pub const EPOLLRDHUP: u32 = 0x2000;
pub const EPOLLEXCLUSIVE: u32 = 1 << 28;
pub const EPOLLWAKEUP: u32 = 1 << 29;
pub const EPOLLONESHOT: u32 = 1 << 30;
pub const EPOLLET: u32 = 1 << 31;
/// Flags that are not events.
pub const PRIVATE_BITS: u32 = EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE;
/// What an EPOLLEXCLUSIVE registration may ask for.
const EXCLUSIVE_OK_BITS: u32 =
    EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE;

pub const EPOLL_CTL_ADD: u32 = 1;
pub const EPOLL_CTL_DEL: u32 = 2;
pub const EPOLL_CTL_MOD: u32 = 3;

/// epoll_ctl failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CtlError {
    /// ADD of a registered file: EEXIST.
    Exists,
    /// MOD or DEL of an unregistered file: ENOENT.
    NotFound,
    /// A bad combination of flags: EINVAL.
    Invalid,
}

/// Check the events of an ADD or MOD before looking at the interest list. `target_is_epoll`: the file to watch
/// is itself an epoll instance (EPOLLEXCLUSIVE is not allowed on one).
pub fn check_ctl(op: u32, events: u32, target_is_epoll: bool) -> Result<(), CtlError> {
    if events & EPOLLEXCLUSIVE != 0
        && (op == EPOLL_CTL_MOD
            || (op == EPOLL_CTL_ADD && (target_is_epoll || events & !EXCLUSIVE_OK_BITS != 0)))
    {
        return Err(CtlError::Invalid);
    }
    Ok(())
}

struct Item {
    events: u32,
    data: u64,
    queued: bool,
}

/// Registered files (by key) and the ready list.
pub struct Interest<K> {
    items: Vec<(K, Item)>,
    ready: VecDeque<K>,
}

impl<K: Copy + Eq> Default for Interest<K> {
    fn default() -> Self {
        Interest {
            items: Vec::new(),
            ready: VecDeque::new(),
        }
    }
}

impl<K: Copy + Eq> Interest<K> {
    fn find(&mut self, key: K) -> Option<&mut Item> {
        self.items
            .iter_mut()
            .find(|(k, _)| *k == key)
            .map(|(_, i)| i)
    }

    pub fn contains(&self, key: K) -> bool {
        self.items.iter().any(|(k, _)| *k == key)
    }

    pub fn keys(&self) -> impl Iterator<Item = K> + '_ {
        self.items.iter().map(|(k, _)| *k)
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// EPOLL_CTL_ADD. EPOLLERR and EPOLLHUP are always wanted. The caller then polls the file and calls
    /// `notify` if it is ready, as Linux does.
    pub fn add(&mut self, key: K, events: u32, data: u64) -> Result<(), CtlError> {
        if self.contains(key) {
            return Err(CtlError::Exists);
        }
        self.items.push((
            key,
            Item {
                events: events | EPOLLERR | EPOLLHUP,
                data,
                queued: false,
            },
        ));
        Ok(())
    }

    /// EPOLL_CTL_MOD (re-arms a one-shot item). An item registered with EPOLLEXCLUSIVE cannot be modified.
    pub fn modify(&mut self, key: K, events: u32, data: u64) -> Result<(), CtlError> {
        let item = self.find(key).ok_or(CtlError::NotFound)?;
        if item.events & EPOLLEXCLUSIVE != 0 {
            return Err(CtlError::Invalid);
        }
        item.events = events | EPOLLERR | EPOLLHUP;
        item.data = data;
        Ok(())
    }

    /// EPOLL_CTL_DEL (or the file went away).
    pub fn delete(&mut self, key: K) -> Result<(), CtlError> {
        let at = self
            .items
            .iter()
            .position(|(k, _)| *k == key)
            .ok_or(CtlError::NotFound)?;
        self.items.swap_remove(at);
        self.ready.retain(|k| *k != key);
        Ok(())
    }

    /// The file behind `key` was woken: queue it once, unless it is a disabled one-shot item.
    pub fn notify(&mut self, key: K) {
        let Some(item) = self.find(key) else { return };
        if item.queued || item.events & !PRIVATE_BITS == 0 {
            return;
        }
        item.queued = true;
        self.ready.push_back(key);
    }

    /// Whether anything is on the ready list (it may turn out not ready when polled).
    pub fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    /// Whether a ready-listed item has a wanted event now (polling an epoll file), without changing anything.
    pub fn any_ready(&self, mut poll: impl FnMut(K) -> Option<u32>) -> bool {
        self.ready.iter().any(|&key| {
            let wanted = self
                .items
                .iter()
                .find(|(k, _)| *k == key)
                .map_or(0, |(_, i)| i.events & !PRIVATE_BITS);
            poll(key).is_some_and(|now| now & wanted != 0)
        })
    }

    /// epoll_wait's harvest: up to `max` (events, data) pairs. `poll` gives a file's readiness now, or None when
    /// the file is gone (the item is then dropped).
    pub fn collect(
        &mut self,
        max: usize,
        mut poll: impl FnMut(K) -> Option<u32>,
    ) -> Vec<(u32, u64)> {
        let mut out = Vec::new();
        let mut requeue = Vec::new();
        while out.len() < max {
            let Some(key) = self.ready.pop_front() else {
                break;
            };
            let Some(now) = poll(key) else {
                let _ = self.delete(key);
                continue;
            };
            let Some(item) = self.find(key) else { continue };
            item.queued = false;
            let revents = now & item.events & !PRIVATE_BITS;
            if revents == 0 {
                continue;
            }
            out.push((revents, item.data));
            if item.events & EPOLLONESHOT != 0 {
                item.events &= PRIVATE_BITS;
            } else if item.events & EPOLLET == 0 {
                item.queued = true;
                requeue.push(key);
            }
        }
        self.ready.extend(requeue);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctl_errors() {
        let mut i = Interest::<u32>::default();
        assert_eq!(i.modify(1, EPOLLIN, 0), Err(CtlError::NotFound));
        assert_eq!(i.delete(1), Err(CtlError::NotFound));
        i.add(1, EPOLLIN, 7).unwrap();
        assert_eq!(i.add(1, EPOLLIN, 7), Err(CtlError::Exists));
        assert_eq!(
            check_ctl(EPOLL_CTL_MOD, EPOLLIN | EPOLLEXCLUSIVE, false),
            Err(CtlError::Invalid)
        );
        assert_eq!(
            check_ctl(EPOLL_CTL_ADD, EPOLLIN | EPOLLEXCLUSIVE, true),
            Err(CtlError::Invalid)
        );
        assert_eq!(
            check_ctl(EPOLL_CTL_ADD, EPOLLRDHUP | EPOLLEXCLUSIVE, false),
            Err(CtlError::Invalid)
        );
        assert_eq!(
            check_ctl(EPOLL_CTL_ADD, EPOLLIN | EPOLLET | EPOLLEXCLUSIVE, false),
            Ok(())
        );
        i.add(2, EPOLLIN | EPOLLEXCLUSIVE, 0).unwrap();
        assert_eq!(i.modify(2, EPOLLIN, 0), Err(CtlError::Invalid));
    }

    #[test]
    fn level_triggered_reports_until_not_ready() {
        let mut i = Interest::<u32>::default();
        i.add(1, EPOLLIN, 9).unwrap();
        i.notify(1);
        assert_eq!(i.collect(8, |_| Some(EPOLLIN | EPOLLOUT)), [(EPOLLIN, 9)]);
        assert_eq!(i.collect(8, |_| Some(EPOLLIN)), [(EPOLLIN, 9)]);
        assert!(i.collect(8, |_| Some(EPOLLOUT)).is_empty());
        assert!(!i.has_ready());
    }

    #[test]
    fn edge_triggered_waits_for_the_next_wakeup() {
        let mut i = Interest::<u32>::default();
        i.add(1, EPOLLIN | EPOLLET, 0).unwrap();
        i.notify(1);
        i.notify(1);
        assert_eq!(i.collect(8, |_| Some(EPOLLIN)).len(), 1);
        assert!(i.collect(8, |_| Some(EPOLLIN)).is_empty());
        i.notify(1);
        assert_eq!(i.collect(8, |_| Some(EPOLLIN)).len(), 1);
    }

    #[test]
    fn oneshot_until_modified() {
        let mut i = Interest::<u32>::default();
        i.add(1, EPOLLIN | EPOLLONESHOT, 0).unwrap();
        i.notify(1);
        assert_eq!(i.collect(8, |_| Some(EPOLLIN)).len(), 1);
        i.notify(1);
        assert!(i.collect(8, |_| Some(EPOLLIN)).is_empty());
        i.modify(1, EPOLLIN | EPOLLONESHOT, 0).unwrap();
        i.notify(1);
        assert_eq!(i.collect(8, |_| Some(EPOLLIN)).len(), 1);
    }

    #[test]
    fn errors_are_always_reported_and_max_is_respected() {
        let mut i = Interest::<u32>::default();
        for k in 0..3 {
            i.add(k, EPOLLOUT, u64::from(k)).unwrap();
            i.notify(k);
        }
        let first = i.collect(2, |_| Some(EPOLLHUP | EPOLLIN));
        assert_eq!(first, [(EPOLLHUP, 0), (EPOLLHUP, 1)]);
        // Level-triggered: the rest first, then the reported ones again.
        let next = i.collect(3, |_| Some(EPOLLHUP));
        assert_eq!(next, [(EPOLLHUP, 2), (EPOLLHUP, 0), (EPOLLHUP, 1)]);
    }

    #[test]
    fn gone_files_are_dropped() {
        let mut i = Interest::<u32>::default();
        i.add(1, EPOLLIN, 0).unwrap();
        i.notify(1);
        assert!(i.collect(8, |_| None).is_empty());
        assert!(i.is_empty());
    }
}
