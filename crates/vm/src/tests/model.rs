//! Random sequences of `mmap`, `munmap`, `mprotect`, `brk` and `mremap` in a small
//! window, checked after every call against a page-by-page model: the results, the
//! reported ranges, every page's attributes, and the invariants (sorted, disjoint,
//! maximally merged).

use super::*;
use crate::{Backing, MmapOutcome, MremapOutcome, PageMove, Sharing, VmaKind};
use basalt_linux_abi::mman::{MAP_FIXED_NOREPLACE, MREMAP_DONTUNMAP, MREMAP_FIXED, MREMAP_MAYMOVE};
use basalt_linux_abi::Errno;
use std::collections::BTreeMap;
use std::ops::Range;
use std::vec;

const WINDOW: u64 = 0x1000_0000;
const PAGES: u64 = 192;
const TOP: u64 = WINDOW + PAGES * P;
const BRK: u64 = WINDOW + 24 * P;

fn model_layout() -> AddressSpaceLayout {
    AddressSpaceLayout {
        user_end: TOP,
        mmap_base: TOP,
        mmap_min_addr: WINDOW,
        brk_start: BRK,
        brk: BRK,
        stack_limit: 8 << 20,
        stack_guard_gap: 256 * P,
        max_map_count: 65530,
        address_space_limit: u64::MAX,
    }
}

/// xorshift64*: deterministic and good enough to drive the test.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    /// A page in (or occasionally just outside) the window, sometimes unaligned.
    fn addr(&mut self) -> u64 {
        let page = if self.chance(4) {
            [0, WINDOW - P, TOP - P, TOP][self.below(4) as usize]
        } else {
            WINDOW + self.below(PAGES) * P
        };
        if self.chance(4) {
            page + 1 + self.below(P - 1)
        } else {
            page
        }
    }
    /// A length: usually a few pages, sometimes zero, unaligned or huge.
    fn len(&mut self) -> u64 {
        match self.below(100) {
            0..=3 => 0,
            4..=7 => self.below(12) * P + 1 + self.below(P - 1),
            8 => u64::MAX - self.below(3 * P),
            9 => PAGES * P,
            _ => (1 + self.below(12)) * P,
        }
    }
    fn prot(&mut self) -> u64 {
        if self.chance(3) {
            0x80 | 1
        } else {
            self.below(8)
        }
    }
}

/// One page's attributes; file pages carry their own offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Page {
    prot: Prot,
    max_prot: Prot,
    file: Option<(u64, u64)>,
    shared: bool,
    kind: VmaKind,
}

impl Page {
    fn heap() -> Page {
        Page {
            prot: Prot::READ_WRITE,
            max_prot: Prot::ALL,
            file: None,
            shared: false,
            kind: VmaKind::Heap,
        }
    }
    fn advanced(self, bytes: u64) -> Page {
        Page {
            file: self.file.map(|(id, offset)| (id, offset + bytes)),
            ..self
        }
    }
    /// Whether `next`, on the following page, belongs to the same (maximal) area.
    fn continues_into(&self, next: &Page) -> bool {
        *next == self.advanced(P)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Model {
    pages: BTreeMap<u64, Page>,
    brk: u64,
}

impl Model {
    fn is_free(&self, start: u64, end: u64) -> bool {
        self.pages.range(start..end).next().is_none()
    }
    fn mapped_ranges(&self, start: u64, end: u64) -> Vec<Range<u64>> {
        let mut out: Vec<Range<u64>> = Vec::new();
        for &page in self.pages.range(start..end).map(|(page, _)| page) {
            match out.last_mut() {
                Some(last) if last.end == page => last.end += P,
                _ => out.push(page..page + P),
            }
        }
        out
    }
    fn remove(&mut self, start: u64, end: u64) -> Vec<Range<u64>> {
        let ranges = self.mapped_ranges(start, end);
        let keys: Vec<u64> = self
            .pages
            .range(start..end)
            .map(|(page, _)| *page)
            .collect();
        for key in keys {
            self.pages.remove(&key);
        }
        ranges
    }
    fn fill(&mut self, start: u64, end: u64, first: Page) {
        for page in (start..end).step_by(P as usize) {
            self.pages.insert(page, first.advanced(page - start));
        }
    }
    /// The maximal area holding `addr`.
    fn area_of(&self, addr: u64) -> Option<Range<u64>> {
        let page = addr & !(P - 1);
        let mut state = *self.pages.get(&page)?;
        let mut start = page;
        while let Some(prev) = start.checked_sub(P).and_then(|p| self.pages.get(&p)) {
            if !prev.continues_into(&state) {
                break;
            }
            state = *prev;
            start -= P;
        }
        let mut end = page + P;
        let mut last = self.pages[&page];
        while let Some(next) = self.pages.get(&end) {
            if !last.continues_into(next) {
                break;
            }
            last = *next;
            end += P;
        }
        Some(start..end)
    }
    /// The areas intersecting `[start, end)`, clipped to it.
    fn areas_in(&self, start: u64, end: u64) -> Vec<Range<u64>> {
        let mut out = Vec::new();
        let mut cursor = start;
        while cursor < end {
            match self.area_of(cursor) {
                Some(area) => {
                    out.push(cursor..area.end.min(end));
                    cursor = area.end.min(end);
                }
                None => cursor += P,
            }
        }
        out
    }
    /// Where a non-fixed mapping of `len` bytes goes: the hint if free, else top-down.
    fn place(&self, hint: u64, len: u64) -> Option<u64> {
        if hint != 0 && hint <= TOP - len.min(TOP) && len <= TOP && self.is_free(hint, hint + len) {
            return Some(hint);
        }
        let mut start = TOP.checked_sub(len)?;
        while start >= WINDOW {
            if self.is_free(start, start + len) {
                return Some(start);
            }
            start -= P;
        }
        None
    }
}

fn model_of(vmas: &Vmas) -> BTreeMap<u64, Page> {
    let mut pages = BTreeMap::new();
    for vma in vmas.iter() {
        for page in (vma.start..vma.end).step_by(P as usize) {
            let file = match vma.backing {
                Backing::File { file_id, offset } => Some((file_id, offset + (page - vma.start))),
                Backing::Anonymous => None,
            };
            let state = Page {
                prot: vma.prot,
                max_prot: vma.max_prot,
                file,
                shared: vma.sharing == Sharing::Shared,
                kind: vma.kind,
            };
            pages.insert(page, state);
        }
    }
    pages
}

fn align(len: u64) -> u64 {
    len.wrapping_add(P - 1) & !(P - 1)
}

/// The expected result of `munmap`-like removal with Linux's argument checks.
fn expect_munmap(model: &mut Model, addr: u64, len: u64) -> Result<Vec<Range<u64>>, Errno> {
    if !addr.is_multiple_of(P) || addr > TOP || len > TOP - addr || len == 0 {
        return Err(Errno::EINVAL);
    }
    Ok(model.remove(addr, addr + align(len)))
}

fn do_mmap(rng: &mut Rng, vmas: &mut Vmas, model: &mut Model) {
    let fixed = rng.chance(70);
    let noreplace = fixed && rng.chance(15);
    let addr = if fixed || rng.chance(60) {
        rng.addr()
    } else {
        0
    };
    let len = rng.len();
    let prot_bits = rng.below(8);
    let prot = Prot::from_bits(prot_bits);
    let file = rng.chance(50).then(|| MmapFile {
        file_id: 1 + rng.below(2),
        readable: rng.chance(90),
        writable: rng.chance(70),
        noexec: false,
    });
    let shared = file.is_some() && rng.chance(50);
    let mut flags = if shared { MAP_SHARED } else { MAP_PRIVATE };
    if file.is_none() {
        flags |= MAP_ANONYMOUS;
    }
    if fixed {
        flags |= if noreplace {
            MAP_FIXED_NOREPLACE
        } else {
            MAP_FIXED
        };
    }
    let offset = rng.below(8) * P;
    let mut req = MmapRequest::new(addr, len, prot_bits, flags, offset);
    req.file = file;

    let expected = (|| {
        if len == 0 {
            return Err(Errno::EINVAL);
        }
        let len = page_align(len).ok_or(Errno::ENOMEM)?;
        if len > TOP {
            return Err(Errno::ENOMEM);
        }
        let start = if fixed {
            if addr > TOP - len {
                return Err(Errno::ENOMEM);
            }
            if !addr.is_multiple_of(P) {
                return Err(Errno::EINVAL);
            }
            if addr < WINDOW {
                return Err(Errno::EPERM);
            }
            addr
        } else {
            let hint = addr & !(P - 1);
            let hint = if hint != 0 && hint < WINDOW {
                WINDOW
            } else {
                hint
            };
            model.place(hint, len).ok_or(Errno::ENOMEM)?
        };
        if noreplace && !model.is_free(start, start + len) {
            return Err(Errno::EEXIST);
        }
        let mut max_prot = Prot::ALL;
        if let Some(file) = file {
            if shared && prot.write && !file.writable {
                return Err(Errno::EACCES);
            }
            if !file.readable {
                return Err(Errno::EACCES);
            }
            max_prot.write = !shared || file.writable;
        }
        let unmapped = model.remove(start, start + len);
        let state = Page {
            prot,
            max_prot,
            file: file.map(|file| (file.file_id, offset)),
            shared,
            kind: if file.is_some() {
                VmaKind::File
            } else {
                VmaKind::Anon
            },
        };
        model.fill(start, start + len, state);
        Ok(MmapOutcome {
            addr: start,
            unmapped,
            populate: false,
        })
    })();
    assert_eq!(vmas.mmap(req), expected, "mmap {req:x?}");
}

fn page_align(len: u64) -> Option<u64> {
    len.checked_add(P - 1).map(|v| v & !(P - 1))
}

fn do_munmap(rng: &mut Rng, vmas: &mut Vmas, model: &mut Model) {
    let (addr, len) = (rng.addr(), rng.len());
    let expected = expect_munmap(model, addr, len);
    assert_eq!(
        vmas.munmap(addr, len),
        expected,
        "munmap {addr:#x} {len:#x}"
    );
}

fn do_mprotect(rng: &mut Rng, vmas: &mut Vmas, model: &mut Model) {
    let (addr, len, bits) = (rng.addr(), rng.len(), rng.prot());
    let prot = Prot::from_bits(bits);
    let mut changed: Vec<(Range<u64>, Prot)> = Vec::new();
    let error = (|| {
        if !addr.is_multiple_of(P) {
            return Some(Errno::EINVAL);
        }
        if len == 0 {
            return None;
        }
        let end = match addr.checked_add(align(len)) {
            Some(end) if end > addr => end,
            _ => return Some(Errno::ENOMEM),
        };
        if bits & !0xf != 0 {
            return Some(Errno::EINVAL);
        }
        let mut page = addr;
        while page < end {
            let Some(state) = model.pages.get_mut(&page) else {
                return Some(Errno::ENOMEM);
            };
            if !state.max_prot.contains(prot) {
                return Some(Errno::EACCES);
            }
            if state.prot != prot {
                state.prot = prot;
                match changed.last_mut() {
                    Some((last, _)) if last.end == page => last.end += P,
                    _ => changed.push((page..page + P, prot)),
                }
            }
            page += P;
        }
        None
    })();
    let out = vmas.mprotect(addr, len, bits);
    assert_eq!(
        (out.done, out.error),
        (changed, error),
        "mprotect {addr:#x} {len:#x} {bits:#x}"
    );
}

fn do_brk(rng: &mut Rng, vmas: &mut Vmas, model: &mut Model) {
    let requested = if rng.chance(5) {
        0
    } else {
        BRK - 2 * P + rng.below(40 * P)
    };
    let current = model.brk;
    let mut freed = Vec::new();
    let new_brk = (|| {
        if requested < BRK {
            return current;
        }
        let (new_end, old_end) = (align(requested), align(current));
        if new_end == old_end {
            return requested;
        }
        if requested <= current {
            if model.is_free(new_end, old_end) {
                return current;
            }
            freed = model.remove(new_end, old_end);
            return requested;
        }
        let next = model.pages.range(old_end..).next().map(|(page, _)| *page);
        if next.is_some_and(|next| new_end + P > next) || new_end > TOP {
            return current;
        }
        model.fill(old_end, new_end, Page::heap());
        requested
    })();
    model.brk = new_brk;
    let out = vmas.brk(requested);
    assert_eq!(
        (out.brk, out.freed),
        (new_brk, freed),
        "brk {requested:#x} from {current:#x}"
    );
}

/// Moves `[addr, addr + old)` of one area to `target` with length `new`.
fn model_move(
    model: &mut Model,
    addr: u64,
    old: u64,
    new: u64,
    target: u64,
    keep: bool,
) -> Vec<PageMove> {
    let first = model.pages[&addr];
    if !keep {
        model.remove(addr, addr + old);
    }
    model.fill(target, target + new, first);
    if old == 0 {
        vec![]
    } else {
        vec![PageMove {
            from: addr..addr + old,
            to: target,
            source_kept: keep,
        }]
    }
}

fn expect_mremap(
    model: &mut Model,
    addr: u64,
    old: u64,
    new: u64,
    flags: u64,
    new_addr: u64,
) -> Result<MremapOutcome, Errno> {
    let (old, new) = (align(old), align(new));
    let implies = flags & (MREMAP_FIXED | MREMAP_DONTUNMAP) != 0;
    let fixed = flags & MREMAP_FIXED != 0;
    let keep = flags & MREMAP_DONTUNMAP != 0;
    let may_move = flags & MREMAP_MAYMOVE != 0;
    if flags & !7 != 0 || !addr.is_multiple_of(P) || new == 0 || new > TOP {
        return Err(Errno::EINVAL);
    }
    if implies {
        let overlap = addr.saturating_add(old) > new_addr && new_addr.saturating_add(new) > addr;
        if new_addr > TOP - new
            || !new_addr.is_multiple_of(P)
            || !may_move
            || (keep && old != new)
            || overlap
        {
            return Err(Errno::EINVAL);
        }
    }
    if fixed && old == new {
        if !model.pages.contains_key(&addr) {
            return Err(Errno::EFAULT);
        }
        if new_addr < WINDOW {
            return Err(Errno::EPERM);
        }
        let mut outcome = MremapOutcome {
            addr: new_addr,
            moves: vec![],
            freed: vec![],
        };
        for piece in model.areas_in(addr, addr + old) {
            let target = new_addr + (piece.start - addr);
            let len = piece.end - piece.start;
            outcome.freed.extend(model.remove(target, target + len));
            outcome
                .moves
                .extend(model_move(model, piece.start, len, len, target, keep));
        }
        outcome.freed = crate::space::coalesce(outcome.freed.into_iter());
        return Ok(outcome);
    }
    let area = model.area_of(addr).ok_or(Errno::EFAULT)?;
    let grows = new > old;
    if grows || implies {
        if old == 0 && !model.pages[&addr].shared {
            return Err(Errno::EINVAL);
        }
        if old.min(new) > area.end - addr {
            return Err(Errno::EFAULT);
        }
    }
    if implies {
        let target = if fixed {
            new_addr
        } else {
            model.place(new_addr, new).ok_or(Errno::ENOMEM)?
        };
        if target < WINDOW {
            return Err(Errno::EPERM);
        }
        let mut freed = vec![];
        if fixed {
            freed = model.remove(target, target + new);
        }
        let mut old = old;
        if new < old {
            freed.extend(expect_munmap(model, addr + new, old - new)?);
            old = new;
        }
        let moves = model_move(model, addr, old, new, target, keep);
        return Ok(MremapOutcome {
            addr: target,
            moves,
            freed,
        });
    }
    if old == new {
        return Ok(MremapOutcome {
            addr,
            moves: vec![],
            freed: vec![],
        });
    }
    if old > new {
        let freed = expect_munmap(model, addr + new, old - new)?;
        return Ok(MremapOutcome {
            addr,
            moves: vec![],
            freed,
        });
    }
    let delta = new - old;
    if old == area.end - addr
        && area.end + delta <= TOP
        && model.is_free(area.end, area.end + delta)
    {
        let last = model.pages[&(area.end - P)];
        model.fill(area.end, area.end + delta, last.advanced(P));
        return Ok(MremapOutcome {
            addr,
            moves: vec![],
            freed: vec![],
        });
    }
    if !may_move {
        return Err(Errno::ENOMEM);
    }
    let target = model.place(0, new).ok_or(Errno::ENOMEM)?;
    let moves = model_move(model, addr, old, new, target, false);
    Ok(MremapOutcome {
        addr: target,
        moves,
        freed: vec![],
    })
}

fn do_mremap(rng: &mut Rng, vmas: &mut Vmas, model: &mut Model) {
    let mapped: Vec<u64> = model.pages.keys().copied().collect();
    let addr = if !mapped.is_empty() && rng.chance(85) {
        mapped[rng.below(mapped.len() as u64) as usize]
    } else {
        rng.addr()
    };
    let flags = match rng.below(20) {
        0 => 8,
        1..=4 => 0,
        5..=9 => MREMAP_MAYMOVE,
        10..=13 => MREMAP_MAYMOVE | MREMAP_FIXED,
        14..=16 => MREMAP_MAYMOVE | MREMAP_DONTUNMAP,
        17 => MREMAP_MAYMOVE | MREMAP_DONTUNMAP | MREMAP_FIXED,
        _ => MREMAP_FIXED,
    };
    let old = if rng.chance(5) {
        0
    } else {
        rng.below(6) * P + if rng.chance(10) { 1 } else { 0 }
    };
    let new = if flags & MREMAP_DONTUNMAP != 0 && rng.chance(80) || rng.chance(20) {
        old
    } else {
        rng.below(8) * P
    };
    let new_addr = if rng.chance(10) { 0 } else { rng.addr() };
    let before = model.clone();
    let expected = expect_mremap(model, addr, old, new, flags, new_addr);
    if expected.is_err() {
        // A failed call changes nothing.
        *model = before;
    }
    let got = vmas.mremap(addr, old, new, flags, new_addr);
    assert_eq!(
        got, expected,
        "mremap {addr:#x} {old:#x} {new:#x} {flags:#x} {new_addr:#x}"
    );
}

fn run(seed: u64, steps: usize) {
    let mut rng = Rng(seed);
    let mut vmas = Vmas::new(model_layout());
    let mut model = Model {
        pages: BTreeMap::new(),
        brk: BRK,
    };
    for step in 0..steps {
        match rng.below(100) {
            0..=29 => do_mmap(&mut rng, &mut vmas, &mut model),
            30..=49 => do_munmap(&mut rng, &mut vmas, &mut model),
            50..=69 => do_mprotect(&mut rng, &mut vmas, &mut model),
            70..=79 => do_brk(&mut rng, &mut vmas, &mut model),
            _ => do_mremap(&mut rng, &mut vmas, &mut model),
        }
        check_invariants(&vmas);
        assert_eq!(model_of(&vmas), model.pages, "seed {seed:#x} step {step}");
        assert_eq!(vmas.program_break(), model.brk);
    }
}

#[test]
fn random_sequences_match_the_page_model() {
    for seed in 1..=40u64 {
        run(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1, 400);
    }
}

#[test]
fn fork_copies_evolve_independently() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let mut parent = Vmas::new(model_layout());
    let mut model = Model {
        pages: BTreeMap::new(),
        brk: BRK,
    };
    for _ in 0..100 {
        do_mmap(&mut rng, &mut parent, &mut model);
    }
    let snapshot = model.clone();
    let child = parent.fork_copy();
    for _ in 0..100 {
        do_munmap(&mut rng, &mut parent, &mut model);
        do_mprotect(&mut rng, &mut parent, &mut model);
    }
    assert_eq!(model_of(&child), snapshot.pages);
    assert_eq!(model_of(&parent), model.pages);
}

#[test]
fn arbitrary_arguments_never_panic() {
    let mut rng = Rng(0xdead_beef_cafe_f00d);
    let layouts = [
        model_layout(),
        AddressSpaceLayout::linux_x86_64(BRK),
        AddressSpaceLayout {
            user_end: u64::MAX,
            mmap_base: u64::MAX,
            ..model_layout()
        },
    ];
    for layout in layouts {
        let mut vmas = Vmas::new(layout);
        let wild = |rng: &mut Rng| match rng.below(4) {
            0 => rng.next(),
            1 => u64::MAX - rng.below(2 * P),
            2 => rng.below(1 << 48) & !(P - 1),
            _ => WINDOW + rng.below(PAGES) * P,
        };
        for _ in 0..3000 {
            let (a, b, c, d, e) = (
                wild(&mut rng),
                wild(&mut rng),
                rng.next(),
                rng.next(),
                wild(&mut rng),
            );
            let file = rng.chance(50).then(|| MmapFile::read_write(rng.below(3)));
            match rng.below(8) {
                0 => drop(vmas.mmap(MmapRequest {
                    addr: a,
                    len: b,
                    prot: c,
                    flags: d & 0x1ff_ffff,
                    offset: e,
                    file,
                })),
                1 => drop(vmas.munmap(a, b)),
                2 => drop(vmas.mprotect(a, b, c & 0x0300_00ff)),
                3 => drop(vmas.brk(a)),
                4 => drop(vmas.mremap(a, b, wild(&mut rng), d & 0xf, e)),
                5 => drop(vmas.madvise_dontneed(a, b)),
                6 => {
                    let access = [
                        crate::Access::Read,
                        crate::Access::Write,
                        crate::Access::Execute,
                    ][rng.below(3) as usize];
                    let _action =
                        vmas.classify_fault(a, access, rng.chance(50), |id| id.wrapping_mul(c));
                }
                _ => {
                    let vma = Vma::anonymous(a..b, Prot::from_bits(c), VmaKind::Anon);
                    drop(vmas.insert_fixed(vma));
                }
            }
            check_invariants(&vmas);
        }
        assert!(!vmas.format_maps(|_| None).is_empty() || vmas.is_empty());
    }
}
