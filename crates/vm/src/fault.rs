//! What a page fault on a user address should do (Linux's `do_user_addr_fault` on x86_64,
//! `expand_stack` and the generic fault paths, reduced to a decision).

use crate::space::Vmas;
use crate::vma::{Backing, Sharing, Vma, VmaKind};
use crate::{page_align_down, page_align_up};

/// The kind of access that faulted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    /// A load.
    Read,
    /// A store.
    Write,
    /// An instruction fetch.
    Execute,
}

/// The signal a fault raises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaultSignal {
    /// `SIGSEGV`/`SEGV_MAPERR`: nothing is mapped there.
    SegvMapErr,
    /// `SIGSEGV`/`SEGV_ACCERR`: the area does not allow the access.
    SegvAccErr,
    /// `SIGBUS`/`BUS_ADRERR`: the page lies past the end of the mapped file.
    BusAdrErr,
}

impl FaultSignal {
    /// The signal number (`SIGSEGV` 11 or `SIGBUS` 7).
    pub const fn signo(self) -> u32 {
        match self {
            FaultSignal::SegvMapErr | FaultSignal::SegvAccErr => 11,
            FaultSignal::BusAdrErr => 7,
        }
    }

    /// The `si_code` (`SEGV_MAPERR` 1, `SEGV_ACCERR` 2, `BUS_ADRERR` 2).
    pub const fn si_code(self) -> i32 {
        match self {
            FaultSignal::SegvMapErr => 1,
            FaultSignal::SegvAccErr | FaultSignal::BusAdrErr => 2,
        }
    }
}

/// What the kernel should do about a page fault. Pages it maps get the protection of the
/// area ([`Vmas::find`]), except that private pages shared with a file or another process
/// stay read-only until written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultAction {
    /// Map a zeroed page (private anonymous memory).
    MapZero,
    /// A growing stack was extended down to `new_start`; map a zeroed page as for
    /// [`FaultAction::MapZero`].
    GrowStack {
        /// The stack area's new start.
        new_start: u64,
    },
    /// Map the page at `offset` in the file: the page-cache page itself, or a private
    /// copy of it when `private_copy` (a write to a private mapping).
    LoadFile {
        /// The file's identifier.
        file_id: u64,
        /// Page-aligned offset in the file.
        offset: u64,
        /// Map a private copy instead of the shared page.
        private_copy: bool,
    },
    /// A write to a present page of a private mapping: copy it (or, if this process is
    /// the page's only user, just make it writable).
    CopyOnWrite,
    /// The present page already allows the access as far as the area is concerned: its
    /// page-table entry is stale (say, after `mprotect`); refresh it from the area.
    RefreshPermissions,
    /// Deliver this signal (a fault in the kernel on a user copy returns `EFAULT` instead).
    Signal(FaultSignal),
}

impl Vmas {
    /// Classifies a fault at `addr` by an `access` that found the page present or not.
    /// `file_size` gives the current size of a file by its identifier, for `SIGBUS` past
    /// the end. A fault just below a growing stack extends it (within the stack limit and
    /// keeping the guard gap to the area below unless that is `PROT_NONE` or a stack),
    /// which is why this takes `&mut self`.
    pub fn classify_fault(
        &mut self,
        addr: u64,
        access: Access,
        page_present: bool,
        file_size: impl Fn(u64) -> u64,
    ) -> FaultAction {
        let mut grown_to = None;
        let vma = match self.first_ending_after(addr).copied() {
            Some(vma) if vma.start <= addr => vma,
            Some(vma) if vma.grows_down => match self.grow_stack(&vma, addr) {
                Some(grown) => {
                    grown_to = Some(grown.start);
                    grown
                }
                None => return FaultAction::Signal(FaultSignal::SegvMapErr),
            },
            _ => return FaultAction::Signal(FaultSignal::SegvMapErr),
        };
        let allowed = match access {
            Access::Read => vma.prot.is_accessible(),
            Access::Write => vma.prot.write,
            Access::Execute => vma.prot.exec,
        };
        if !allowed {
            return FaultAction::Signal(FaultSignal::SegvAccErr);
        }
        if page_present {
            return if access == Access::Write && vma.sharing == Sharing::Private {
                FaultAction::CopyOnWrite
            } else {
                FaultAction::RefreshPermissions
            };
        }
        if let VmaKind::Special(_) = vma.kind {
            return FaultAction::Signal(FaultSignal::BusAdrErr);
        }
        match vma.backing {
            Backing::Anonymous => match grown_to {
                Some(new_start) => FaultAction::GrowStack { new_start },
                None => FaultAction::MapZero,
            },
            Backing::File { file_id, .. } => {
                let offset = vma.file_offset_of(page_align_down(addr)).unwrap_or(0);
                // Pages up to the one holding the last byte exist; beyond is SIGBUS.
                let file_pages_end = page_align_up(file_size(file_id)).unwrap_or(u64::MAX);
                if offset >= file_pages_end {
                    return FaultAction::Signal(FaultSignal::BusAdrErr);
                }
                FaultAction::LoadFile {
                    file_id,
                    offset,
                    private_copy: access == Access::Write && vma.sharing == Sharing::Private,
                }
            }
        }
    }

    /// Linux's `expand_downwards`: extends the growing area `vma` down to the page of
    /// `addr`, if the stack limit, the guard gap and `mmap_min_addr` allow it.
    fn grow_stack(&mut self, vma: &Vma, addr: u64) -> Option<Vma> {
        let page = page_align_down(addr);
        if page < self.layout.mmap_min_addr || vma.backing != Backing::Anonymous {
            return None;
        }
        let below = self.areas.range(..vma.start).next_back().map(|(_, v)| *v);
        if let Some(below) = below {
            // `below` ends at or under `addr`: `vma` is the first area ending above it.
            let blocks = !below.grows_down && below.prot.is_accessible();
            if blocks && page.saturating_sub(below.end) < self.layout.stack_guard_gap {
                return None;
            }
        }
        if vma.end - page > self.layout.stack_limit || !self.may_expand(vma.start - page) {
            return None;
        }
        let mut grown = self.areas.remove(&vma.start)?;
        grown.start = page;
        self.insert_and_merge(grown);
        self.find(page).copied()
    }
}
