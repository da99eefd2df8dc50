//! `mprotect(2)`.

use crate::prot::Prot;
use crate::space::{coalesce_with, Vmas};
use crate::{is_page_aligned, page_align_wrapping, PartialOutcome};
use alloc::vec::Vec;
use basalt_linux_abi::mman::{
    PROT_EXEC, PROT_GROWSDOWN, PROT_GROWSUP, PROT_READ, PROT_SEM, PROT_WRITE,
};
use basalt_linux_abi::Errno;
use core::ops::Range;

/// The `PROT_*` bits `mprotect` accepts on x86_64 besides the growth flags.
const VALID_PROT_BITS: u64 = PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM;

impl Vmas {
    /// `mprotect(2)` with raw `PROT_*` bits. Returns the ranges whose protection changed,
    /// with their new protection, for the kernel to update the page tables (keeping
    /// copy-on-write pages read-only).
    ///
    /// Like Linux, areas are changed one after the other and the call stops at the first
    /// problem, keeping earlier changes: `ENOMEM` at a hole (or when a split would exceed
    /// `max_map_count`), `EACCES` at an area that may not get the protection (a shared
    /// mapping of a read-only file made writable). Up front: `EINVAL` for an unaligned
    /// address, unknown bits or both growth flags, `ENOMEM` for a wrapping range.
    /// `PROT_GROWSDOWN` extends the change down to the start of a growing area (`EINVAL`
    /// if the area does not grow down); `PROT_GROWSUP` always fails on x86_64 (`EINVAL`).
    pub fn mprotect(
        &mut self,
        addr: u64,
        len: u64,
        prot_bits: u64,
    ) -> PartialOutcome<Vec<(Range<u64>, Prot)>> {
        let fail = |errno| PartialOutcome {
            done: Vec::new(),
            error: Some(errno),
        };
        let grows = prot_bits & (PROT_GROWSDOWN | PROT_GROWSUP);
        let bits = prot_bits & !(PROT_GROWSDOWN | PROT_GROWSUP);
        if grows == PROT_GROWSDOWN | PROT_GROWSUP || !is_page_aligned(addr) {
            return fail(Errno::EINVAL);
        }
        if len == 0 {
            return PartialOutcome {
                done: Vec::new(),
                error: None,
            };
        }
        let end = match addr.checked_add(page_align_wrapping(len)) {
            Some(end) if end > addr => end,
            _ => return fail(Errno::ENOMEM),
        };
        if bits & !VALID_PROT_BITS != 0 {
            return fail(Errno::EINVAL);
        }
        let Some(first) = self.overlapping(addr, end).next().copied() else {
            return fail(Errno::ENOMEM);
        };
        let start = if grows == PROT_GROWSDOWN {
            if !first.grows_down {
                return fail(Errno::EINVAL);
            }
            first.start
        } else {
            if first.start > addr {
                return fail(Errno::ENOMEM);
            }
            if grows == PROT_GROWSUP {
                // No area grows up on x86_64.
                return fail(Errno::EINVAL);
            }
            addr
        };
        let (changed, error) = self.apply_protection(start, end, Prot::from_bits(bits));
        PartialOutcome {
            done: coalesce_with(changed),
            error,
        }
    }

    /// Gives `[start, end)` protection `prot`, area by area, until a hole or an area whose
    /// `max_prot` forbids it; returns what changed and the error that stopped it.
    fn apply_protection(
        &mut self,
        start: u64,
        end: u64,
        prot: Prot,
    ) -> (Vec<(Range<u64>, Prot)>, Option<Errno>) {
        let mut changed = Vec::new();
        let mut cursor = start;
        let mut error = None;
        while cursor < end {
            let Some(vma) = self.find(cursor).copied() else {
                error = Some(Errno::ENOMEM);
                break;
            };
            if !vma.max_prot.contains(prot) {
                error = Some(Errno::EACCES);
                break;
            }
            let piece_end = vma.end.min(end);
            if vma.prot != prot {
                if let Err(errno) = self
                    .split_at_checked(cursor)
                    .and_then(|()| self.split_at_checked(piece_end))
                {
                    error = Some(errno);
                    break;
                }
                if let Some(piece) = self.areas.get_mut(&cursor) {
                    piece.prot = prot;
                }
                changed.push((cursor..piece_end, prot));
            }
            cursor = piece_end;
        }
        self.merge_around(start, cursor);
        (changed, error)
    }
}
