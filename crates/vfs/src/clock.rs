//! A map of bounded size that forgets by the clock algorithm (second chance): every hit marks its entry;
//! when the map is full, a hand sweeps the slots, clearing marks, and evicts the first unmarked entry. It is
//! close to LRU at a fraction of the bookkeeping (no list to relink on a hit).
//!
//! Callers hash keys themselves and look them up by hash and equality, so a key stored owned (a name as
//! `Box<[u8]>`) can be found from a borrowed one without allocating.

use alloc::vec::Vec;
use hashbrown::HashTable;

struct Slot<K, V> {
    hash: u64,
    key: K,
    value: V,
    referenced: bool,
}

pub(crate) struct ClockMap<K, V> {
    /// Slot numbers, found by each slot's hash.
    index: HashTable<usize>,
    slots: Vec<Option<Slot<K, V>>>,
    free: Vec<usize>,
    hand: usize,
    capacity: usize,
}

impl<K, V> ClockMap<K, V> {
    /// An empty map that holds at most `capacity` (at least 1) entries. Nothing is allocated until used.
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            index: HashTable::new(),
            slots: Vec::new(),
            free: Vec::new(),
            hand: 0,
            capacity: capacity.max(1),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }

    fn find(&self, hash: u64, mut eq: impl FnMut(&K) -> bool) -> Option<usize> {
        let slots = &self.slots;
        self.index
            .find(hash, |&i| {
                slots[i]
                    .as_ref()
                    .is_some_and(|s| s.hash == hash && eq(&s.key))
            })
            .copied()
    }

    /// The entry's value, marked as used.
    pub(crate) fn get(&mut self, hash: u64, eq: impl FnMut(&K) -> bool) -> Option<&mut V> {
        let i = self.find(hash, eq)?;
        let slot = self.slots[i].as_mut()?;
        slot.referenced = true;
        Some(&mut slot.value)
    }

    /// The entry's value, without marking it.
    pub(crate) fn peek(&self, hash: u64, eq: impl FnMut(&K) -> bool) -> Option<&V> {
        let i = self.find(hash, eq)?;
        self.slots[i].as_ref().map(|s| &s.value)
    }

    /// Adds or replaces the entry for `key` (equal keys must have equal hashes), evicting one if full.
    pub(crate) fn insert(&mut self, hash: u64, key: K, value: V, eq: impl FnMut(&K) -> bool) {
        if let Some(i) = self.find(hash, eq) {
            if let Some(slot) = self.slots[i].as_mut() {
                slot.value = value;
                slot.referenced = true;
                return;
            }
        }
        if self.len() >= self.capacity {
            self.evict_one();
        }
        let slot = Slot {
            hash,
            key,
            value,
            // A new entry gets no second chance until it is used again.
            referenced: false,
        };
        let i = match self.free.pop() {
            Some(i) => {
                self.slots[i] = Some(slot);
                i
            }
            None => {
                self.slots.push(Some(slot));
                self.slots.len() - 1
            }
        };
        let slots = &self.slots;
        self.index
            .insert_unique(hash, i, |&j| slots[j].as_ref().map_or(0, |s| s.hash));
    }

    /// Removes the entry for the key, returning its value.
    pub(crate) fn remove(&mut self, hash: u64, eq: impl FnMut(&K) -> bool) -> Option<V> {
        let i = self.find(hash, eq)?;
        self.take(i)
    }

    fn take(&mut self, i: usize) -> Option<V> {
        let slot = self.slots.get_mut(i)?.take()?;
        if let Ok(entry) = self.index.find_entry(slot.hash, |&j| j == i) {
            entry.remove();
        }
        self.free.push(i);
        Some(slot.value)
    }

    /// Keeps only the entries for which `keep` is true.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&K, &V) -> bool) {
        for i in 0..self.slots.len() {
            let drop = self.slots[i]
                .as_ref()
                .is_some_and(|s| !keep(&s.key, &s.value));
            if drop {
                self.take(i);
            }
        }
    }

    /// The clock: clear marks until an unmarked entry comes under the hand, and evict it. Two sweeps at most.
    fn evict_one(&mut self) {
        let n = self.slots.len();
        for _ in 0..2 * n + 1 {
            if n == 0 {
                return;
            }
            let i = self.hand % n;
            self.hand = (i + 1) % n;
            match self.slots[i].as_mut() {
                Some(slot) if slot.referenced => slot.referenced = false,
                Some(_) => {
                    self.take(i);
                    return;
                }
                None => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(k: u32) -> u64 {
        // A poor hash on purpose: collisions must still find the right key.
        u64::from(k % 3)
    }

    fn put(m: &mut ClockMap<u32, u32>, k: u32, v: u32) {
        m.insert(h(k), k, v, |&x| x == k);
    }

    fn get(m: &mut ClockMap<u32, u32>, k: u32) -> Option<u32> {
        m.get(h(k), |&x| x == k).copied()
    }

    #[test]
    fn inserts_replaces_and_removes() {
        let mut m = ClockMap::new(8);
        put(&mut m, 1, 10);
        put(&mut m, 4, 40);
        put(&mut m, 1, 11);
        assert_eq!(m.len(), 2);
        assert_eq!(get(&mut m, 1), Some(11));
        assert_eq!(get(&mut m, 4), Some(40));
        assert_eq!(get(&mut m, 7), None);
        assert_eq!(m.remove(h(1), |&x| x == 1), Some(11));
        assert_eq!(get(&mut m, 1), None);
        assert_eq!(m.len(), 1);
        put(&mut m, 7, 70);
        assert_eq!(get(&mut m, 7), Some(70));
        assert_eq!(get(&mut m, 4), Some(40));
    }

    #[test]
    fn never_holds_more_than_its_capacity_and_spares_used_entries() {
        let mut m = ClockMap::new(4);
        for k in 0..4 {
            put(&mut m, k, k);
        }
        // 0 and 2 are used; the next inserts evict the unused ones first.
        get(&mut m, 0);
        get(&mut m, 2);
        put(&mut m, 10, 10);
        put(&mut m, 11, 11);
        assert_eq!(m.len(), 4);
        assert_eq!(get(&mut m, 0), Some(0));
        assert_eq!(get(&mut m, 2), Some(2));
        assert_eq!(get(&mut m, 1), None);
        assert_eq!(get(&mut m, 3), None);
        for k in 100..1000 {
            put(&mut m, k, k);
            assert!(m.len() <= 4);
        }
        assert_eq!(get(&mut m, 999), Some(999));
    }

    #[test]
    fn retain_drops_what_it_is_told() {
        let mut m = ClockMap::new(16);
        for k in 0..10 {
            put(&mut m, k, k * 2);
        }
        m.retain(|&k, _| k % 2 == 0);
        assert_eq!(m.len(), 5);
        assert_eq!(get(&mut m, 3), None);
        assert_eq!(get(&mut m, 4), Some(8));
        // Freed slots are reused.
        for k in 20..31 {
            put(&mut m, k, k);
        }
        assert_eq!(m.len(), 16);
        assert!(m.slots.len() <= 16);
    }
}
