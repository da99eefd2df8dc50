//! `mremap(2)`: resizing and moving mappings.

use crate::space::Vmas;
use crate::vma::{Sharing, Vma, VmaKind};
use crate::{is_page_aligned, page_align_wrapping};
use alloc::vec;
use alloc::vec::Vec;
use basalt_linux_abi::mman::{MREMAP_DONTUNMAP, MREMAP_FIXED, MREMAP_MAYMOVE};
use basalt_linux_abi::Errno;
use core::cmp::Ordering;
use core::ops::Range;

/// Page-table entries the kernel must move.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageMove {
    /// The pages to move.
    pub from: Range<u64>,
    /// Where `from.start` goes.
    pub to: u64,
    /// `MREMAP_DONTUNMAP`: `from` stays mapped, now without pages (private memory reads
    /// back as zeroes, file mappings from the file).
    pub source_kept: bool,
}

/// What a successful `mremap` did. The kernel first frees `freed`, then applies `moves`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MremapOutcome {
    /// The mapping's (possibly new) address: the system call's return value.
    pub addr: u64,
    /// Page moves, in order.
    pub moves: Vec<PageMove>,
    /// Ranges unmapped (a shrunk tail, or what `MREMAP_FIXED` replaced).
    pub freed: Vec<Range<u64>>,
}

impl MremapOutcome {
    fn in_place(addr: u64, freed: Vec<Range<u64>>) -> MremapOutcome {
        MremapOutcome {
            addr,
            moves: Vec::new(),
            freed,
        }
    }
}

/// One validated `mremap` request, lengths rounded up to pages.
#[derive(Clone, Copy)]
struct Remap {
    addr: u64,
    old_len: u64,
    new_len: u64,
    new_addr: u64,
    flags: u64,
}

impl Remap {
    fn may_move(&self) -> bool {
        self.flags & MREMAP_MAYMOVE != 0
    }
    fn fixed(&self) -> bool {
        self.flags & MREMAP_FIXED != 0
    }
    fn keep_source(&self) -> bool {
        self.flags & MREMAP_DONTUNMAP != 0
    }
    /// `MREMAP_FIXED` or `MREMAP_DONTUNMAP`: the caller named (or forced) a new address.
    fn implies_new_addr(&self) -> bool {
        self.flags & (MREMAP_FIXED | MREMAP_DONTUNMAP) != 0
    }
}

impl Vmas {
    /// `mremap(2)`, following Linux 6.18:
    /// - shrinking unmaps the tail (which may span several areas);
    /// - growing extends in place when `[old_addr, old_addr + old_len)` ends its area and
    ///   the space after it is free, else moves (with `MREMAP_MAYMOVE`) or fails `ENOMEM`;
    /// - `MREMAP_FIXED` moves to `new_addr`, replacing what is there; with equal lengths it
    ///   moves every area in the range, keeping the gaps between them;
    /// - `MREMAP_DONTUNMAP` moves the pages but leaves the old range mapped;
    /// - `old_len == 0` on a shared mapping maps the same pages a second time.
    ///
    /// Errors: `EINVAL` for unknown flags, an unaligned address, a zero or oversized new
    /// length, `FIXED`/`DONTUNMAP` without `MAYMOVE`, `DONTUNMAP` with a resize,
    /// overlapping old and new ranges, or duplicating a private mapping; `EFAULT` when
    /// `old_addr` is unmapped or the range runs past its area; `ENOMEM` when there is no
    /// room; `EPERM` for a new address below `mmap_min_addr`. One difference from Linux:
    /// `MREMAP_FIXED` to an address below `mmap_min_addr` fails before the destination is
    /// unmapped (Linux unmaps it first; nothing can be mapped there anyway).
    pub fn mremap(
        &mut self,
        old_addr: u64,
        old_len: u64,
        new_len: u64,
        flags: u64,
        new_addr: u64,
    ) -> Result<MremapOutcome, Errno> {
        let req = Remap {
            addr: old_addr,
            old_len: page_align_wrapping(old_len),
            new_len: page_align_wrapping(new_len),
            new_addr,
            flags,
        };
        self.check_remap_params(&req)?;
        // Linux refuses early when the worst case (both ranges split in three) could
        // exceed max_map_count, so nothing below fails half way for lack of areas.
        if self.areas.len() + 4 > self.layout.max_map_count {
            return Err(Errno::ENOMEM);
        }
        if req.fixed() && req.old_len == req.new_len {
            return self.move_all_areas(&req);
        }
        let vma = self.checked_source(&req)?;
        if req.implies_new_addr() {
            return self.remap_to(&req);
        }
        match req.old_len.cmp(&req.new_len) {
            Ordering::Equal => Ok(MremapOutcome::in_place(req.addr, Vec::new())),
            Ordering::Greater => {
                let freed = self.munmap(req.addr + req.new_len, req.old_len - req.new_len)?;
                Ok(MremapOutcome::in_place(req.addr, freed))
            }
            Ordering::Less => self.expand(&req, &vma),
        }
    }

    /// Linux's `check_mremap_params`: everything that needs no area.
    fn check_remap_params(&self, req: &Remap) -> Result<(), Errno> {
        let user_end = self.layout.user_end;
        if req.flags & !(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP) != 0
            || !is_page_aligned(req.addr)
            || req.new_len == 0
            || req.new_len > user_end
        {
            return Err(Errno::EINVAL);
        }
        if !req.implies_new_addr() {
            return Ok(());
        }
        let old_end = req.addr.saturating_add(req.old_len);
        let new_end = req.new_addr.saturating_add(req.new_len);
        if req.new_addr > user_end - req.new_len
            || !is_page_aligned(req.new_addr)
            || !req.may_move()
            || (req.keep_source() && req.old_len != req.new_len)
            || (old_end > req.new_addr && new_end > req.addr)
        {
            return Err(Errno::EINVAL);
        }
        Ok(())
    }

    /// Linux's `check_prep_vma`: the area holding `old_addr`, checked for what the
    /// request will do with it.
    fn checked_source(&self, req: &Remap) -> Result<Vma, Errno> {
        let vma = *self.find(req.addr).ok_or(Errno::EFAULT)?;
        let grows = req.new_len > req.old_len;
        if !grows && !req.implies_new_addr() {
            return Ok(vma);
        }
        if req.old_len == 0 && vma.sharing == Sharing::Private {
            return Err(Errno::EINVAL);
        }
        // Kernel-provided areas are VM_DONTEXPAND in Linux.
        let special = matches!(vma.kind, VmaKind::Special(_));
        if special && req.keep_source() {
            return Err(Errno::EINVAL);
        }
        // A shrink may unmap past the area; only the part that stays must be inside it.
        let kept = req.old_len.min(req.new_len);
        if kept > vma.end - req.addr {
            return Err(Errno::EFAULT);
        }
        if grows {
            if special {
                return Err(Errno::EFAULT);
            }
            if let Some(offset) = vma.file_offset_of(req.addr) {
                offset.checked_add(req.new_len).ok_or(Errno::EINVAL)?;
            }
            if !self.may_expand(req.new_len - req.old_len) {
                return Err(Errno::ENOMEM);
            }
        }
        // MREMAP_DONTUNMAP keeps the source: the address space grows by the whole length.
        if req.keep_source() && !self.may_expand(req.old_len) {
            return Err(Errno::ENOMEM);
        }
        Ok(vma)
    }

    /// Growing without a named address: in place if possible, else moving.
    fn expand(&mut self, req: &Remap, vma: &Vma) -> Result<MremapOutcome, Errno> {
        let delta = req.new_len - req.old_len;
        if req.old_len == vma.end - req.addr && self.can_extend(vma, delta) {
            if let Some(area) = self.areas.get_mut(&vma.start) {
                area.end += delta;
            }
            self.merge_around(vma.start, vma.end + delta);
            return Ok(MremapOutcome::in_place(req.addr, Vec::new()));
        }
        if !req.may_move() {
            return Err(Errno::ENOMEM);
        }
        let target = self.get_unmapped_area(0, req.new_len, false, false)?;
        Ok(self.move_area(vma, req, target, Vec::new()))
    }

    /// Whether `vma` can grow by `delta` bytes in place (Linux's `vma_expandable`).
    fn can_extend(&self, vma: &Vma, delta: u64) -> bool {
        let Some(end) = vma.end.checked_add(delta) else {
            return false;
        };
        !self.is_mapped_anywhere(vma.end, end)
            && self
                .get_unmapped_area(vma.start, end - vma.start, true, false)
                .is_ok()
    }

    /// Linux's `mremap_to`: moving to a named (`FIXED`) or hinted (`DONTUNMAP`) address.
    fn remap_to(&mut self, req: &Remap) -> Result<MremapOutcome, Errno> {
        let target = self.get_unmapped_area(req.new_addr, req.new_len, req.fixed(), false)?;
        let mut freed = Vec::new();
        if req.fixed() {
            freed = self.unmap_range(target, target + req.new_len)?;
        }
        let mut req = *req;
        if req.new_len < req.old_len {
            freed.extend(self.munmap(req.addr + req.new_len, req.old_len - req.new_len)?);
            req.old_len = req.new_len;
        }
        // The destination or the shrink may have split the source's area.
        let vma = *self.find(req.addr).ok_or(Errno::EFAULT)?;
        Ok(self.move_area(&vma, &req, target, freed))
    }

    /// `MREMAP_FIXED` with equal lengths (Linux 6.17+): every area in the range moves,
    /// the gaps between them preserved. The range must start inside an area.
    fn move_all_areas(&mut self, req: &Remap) -> Result<MremapOutcome, Errno> {
        let end = req.addr.saturating_add(req.old_len);
        let pieces: Vec<Vma> = self
            .overlapping(req.addr, end)
            .map(|vma| vma.slice(req.addr, end))
            .collect();
        match pieces.first() {
            Some(first) if first.start == req.addr => {}
            _ => return Err(Errno::EFAULT),
        }
        self.get_unmapped_area(req.new_addr, req.new_len, true, false)?;
        let mut outcome = MremapOutcome::in_place(req.new_addr, Vec::new());
        for piece in pieces {
            let target = req.new_addr + (piece.start - req.addr);
            outcome.freed.extend(
                self.carve(target, target + piece.len())
                    .iter()
                    .map(Vma::range),
            );
            let single = Remap {
                addr: piece.start,
                old_len: piece.len(),
                new_len: piece.len(),
                ..*req
            };
            let moved = self.move_area(&piece, &single, target, Vec::new());
            outcome.moves.extend(moved.moves);
        }
        outcome.freed = crate::space::coalesce(outcome.freed.into_iter());
        Ok(outcome)
    }

    /// Linux's `move_vma`: maps `[addr, addr + old_len)` of `vma` at `target` with the new
    /// length and removes the source unless `DONTUNMAP`. `old_len == 0` duplicates.
    fn move_area(
        &mut self,
        vma: &Vma,
        req: &Remap,
        target: u64,
        freed: Vec<Range<u64>>,
    ) -> MremapOutcome {
        let moved = Vma {
            start: target,
            end: target + req.new_len,
            backing: vma.backing.advanced(req.addr - vma.start),
            ..*vma
        };
        let source_end = req.addr + req.old_len;
        if !req.keep_source() {
            self.carve(req.addr, source_end);
        }
        self.insert_and_merge(moved);
        let moves = if req.old_len == 0 {
            Vec::new()
        } else {
            vec![PageMove {
                from: req.addr..source_end,
                to: target,
                source_kept: req.keep_source(),
            }]
        };
        MremapOutcome {
            addr: target,
            moves,
            freed,
        }
    }
}
