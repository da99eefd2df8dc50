//! One virtual memory area: a page-aligned range with uniform attributes.

use crate::prot::Prot;
use core::ops::Range;

/// What a area's pages hold before they are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backing {
    /// Zero-filled memory.
    Anonymous,
    /// The bytes of a file (or of a shmem object), from `offset` at the area's start.
    File {
        /// The kernel's identifier for the open file's inode; opaque here.
        file_id: u64,
        /// Byte offset in the file of the area's first page (page-aligned).
        offset: u64,
    },
}

impl Backing {
    /// The backing of the part of an area that starts `delta` bytes into it.
    ///
    /// File offsets never overflow here: every file area is created with
    /// `offset + length` checked to fit, and sub-ranges only shrink it.
    pub(crate) fn advanced(self, delta: u64) -> Backing {
        match self {
            Backing::Anonymous => Backing::Anonymous,
            Backing::File { file_id, offset } => Backing::File {
                file_id,
                offset: offset.saturating_add(delta),
            },
        }
    }
}

/// Whether writes are seen by other mappings of the same object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Sharing {
    /// Copy-on-write (`MAP_PRIVATE`).
    Private,
    /// Writes go to the shared object (`MAP_SHARED`).
    Shared,
}

/// What an area is for; decides its `/proc/<pid>/maps` name and keeps areas of different
/// purposes from merging.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VmaKind {
    /// Text of an ELF image, mapped by `execve`.
    Code,
    /// Data or bss of an ELF image, mapped by `execve`.
    Data,
    /// The `brk` heap (`[heap]`).
    Heap,
    /// The main thread's stack (`[stack]`).
    Stack,
    /// An anonymous `mmap`.
    Anon,
    /// A file `mmap`.
    File,
    /// A kernel-provided mapping such as `[vdso]` or `[vvar]`, named as given. The kernel
    /// maps all of its pages itself; a fault on a missing page is `SIGBUS`.
    Special(&'static str),
}

/// A virtual memory area `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Vma {
    /// First address (page-aligned).
    pub start: u64,
    /// One past the last address (page-aligned, above `start`).
    pub end: u64,
    /// Current protection.
    pub prot: Prot,
    /// The most `mprotect` may grant (Linux's `VM_MAY*`): a shared mapping of a read-only
    /// file can never become writable, a `noexec` mount's file never executable.
    pub max_prot: Prot,
    /// What the pages hold.
    pub backing: Backing,
    /// Private (copy-on-write) or shared.
    pub sharing: Sharing,
    /// Grows down on faults just below it (a stack, `MAP_GROWSDOWN`).
    pub grows_down: bool,
    /// What the area is for.
    pub kind: VmaKind,
}

impl Vma {
    /// A private anonymous area that may later be given any protection.
    pub fn anonymous(range: Range<u64>, prot: Prot, kind: VmaKind) -> Vma {
        Vma {
            start: range.start,
            end: range.end,
            prot,
            max_prot: Prot::ALL,
            backing: Backing::Anonymous,
            sharing: Sharing::Private,
            grows_down: false,
            kind,
        }
    }

    /// An area mapping `file_id` from `offset`, which may later be given any protection.
    pub fn file(
        range: Range<u64>,
        prot: Prot,
        file_id: u64,
        offset: u64,
        sharing: Sharing,
        kind: VmaKind,
    ) -> Vma {
        Vma {
            backing: Backing::File { file_id, offset },
            sharing,
            ..Vma::anonymous(range, prot, kind)
        }
    }

    /// The same area, growing down on faults below it (a stack).
    pub fn growing_down(self) -> Vma {
        Vma {
            grows_down: true,
            ..self
        }
    }

    /// Length in bytes.
    pub fn len(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }

    /// Whether the area is empty (never true for an area held by [`crate::Vmas`]).
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }

    /// The address range.
    pub fn range(&self) -> Range<u64> {
        self.start..self.end
    }

    /// Whether `addr` is inside the area.
    pub fn contains(&self, addr: u64) -> bool {
        self.start <= addr && addr < self.end
    }

    /// The file offset of `addr` (inside the area), for file-backed areas.
    pub fn file_offset_of(&self, addr: u64) -> Option<u64> {
        match self.backing.advanced(addr.saturating_sub(self.start)) {
            Backing::File { offset, .. } => Some(offset),
            Backing::Anonymous => None,
        }
    }

    /// The part of the area inside `[start, end)`, which must intersect it.
    pub(crate) fn slice(&self, start: u64, end: u64) -> Vma {
        let start = start.max(self.start);
        Vma {
            start,
            end: end.min(self.end),
            backing: self.backing.advanced(start - self.start),
            ..*self
        }
    }

    /// Where the gap that must stay free below the area begins: a stack keeps
    /// `guard_gap` bytes free below it for growth (Linux's `vm_start_gap`).
    pub(crate) fn start_gap(&self, guard_gap: u64) -> u64 {
        if self.grows_down {
            self.start.saturating_sub(guard_gap)
        } else {
            self.start
        }
    }

    /// Whether Linux would merge `self` with `next`, which starts where `self` ends.
    pub(crate) fn can_merge_with(&self, next: &Vma) -> bool {
        let backing_continues = match (self.backing, next.backing) {
            (Backing::Anonymous, Backing::Anonymous) => true,
            (
                Backing::File { file_id, offset },
                Backing::File {
                    file_id: next_id,
                    offset: next_offset,
                },
            ) => file_id == next_id && offset.checked_add(self.len()) == Some(next_offset),
            _ => false,
        };
        self.end == next.start
            && backing_continues
            && self.prot == next.prot
            && self.max_prot == next.max_prot
            && self.sharing == next.sharing
            && self.grows_down == next.grows_down
            && self.kind == next.kind
    }
}
