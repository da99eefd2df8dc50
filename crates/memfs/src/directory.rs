//! Directory entries: names mapped to inodes, each with a stable position for `getdents64` cookies.

use crate::InodeId;
use alloc::boxed::Box;
use alloc::collections::BTreeMap;

/// Position of the first real entry; 0 and 1 are `.` and `..`.
pub(crate) const FIRST_ENTRY_POSITION: u64 = 2;

/// One directory's entries (without `.` and `..`, which are implicit).
#[derive(Debug)]
pub(crate) struct Directory {
    /// The directory containing this one (itself for the root). Kept after removal so `..` still works from a
    /// removed directory that a process still has as its working directory, as on Linux.
    pub(crate) parent: InodeId,
    /// Set when this directory was removed while held: it then holds its parent in turn (see `MemFs::release`).
    pub(crate) holds_parent: bool,
    by_name: BTreeMap<Box<[u8]>, Slot>,
    by_position: BTreeMap<u64, Box<[u8]>>,
    /// Positions only grow, so a cookie handed out by `getdents64` never names a different entry later: entries
    /// created during a listing come after it, and removed ones simply disappear.
    next_position: u64,
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    ino: InodeId,
    position: u64,
}

impl Directory {
    pub(crate) fn new(parent: InodeId) -> Self {
        Self {
            parent,
            holds_parent: false,
            by_name: BTreeMap::new(),
            by_position: BTreeMap::new(),
            next_position: FIRST_ENTRY_POSITION,
        }
    }

    pub(crate) fn get(&self, name: &[u8]) -> Option<InodeId> {
        self.by_name.get(name).map(|slot| slot.ino)
    }

    pub(crate) fn len(&self) -> usize {
        self.by_name.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// Adds `name` (which must not exist) at the end of the listing order.
    pub(crate) fn insert(&mut self, name: &[u8], ino: InodeId) {
        let position = self.next_position;
        self.next_position = self.next_position.saturating_add(1);
        let name: Box<[u8]> = name.into();
        self.by_position.insert(position, name.clone());
        self.by_name.insert(name, Slot { ino, position });
    }

    /// Points the existing entry `name` at `ino`, keeping its place in the listing (rename over a target).
    pub(crate) fn replace(&mut self, name: &[u8], ino: InodeId) {
        if let Some(slot) = self.by_name.get_mut(name) {
            slot.ino = ino;
        }
    }

    /// Removes `name`, returning the inode it named.
    pub(crate) fn remove(&mut self, name: &[u8]) -> Option<InodeId> {
        let slot = self.by_name.remove(name)?;
        self.by_position.remove(&slot.position);
        Some(slot.ino)
    }

    /// Entries at `position` or later, in listing order, with their positions.
    pub(crate) fn entries_from(
        &self,
        position: u64,
    ) -> impl Iterator<Item = (u64, &[u8], InodeId)> + '_ {
        self.by_position
            .range(position..)
            .filter_map(|(&position, name)| {
                let slot = self.by_name.get(name)?;
                Some((position, &name[..], slot.ino))
            })
    }
}
