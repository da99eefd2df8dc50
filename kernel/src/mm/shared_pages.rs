//! The pages of shared memory objects: files mapped with MAP_SHARED and shared anonymous memory. Every mapping of
//! an object maps the object's own frames, so writes through one mapping are seen by the others at once, and
//! `read`/`write` on a mapped file see and change the same bytes.
//!
//! An object is identified by the `file_id` its areas carry in basalt-vm: a tmpfs inode number, or a
//! number with the top bit set for shared anonymous memory. It lives while some address space has an area on it
//! (`attach`/`detach`, counted per address space). Its pages are loaded on first fault; the object holds one
//! reference on each frame (`mm::pageref`) and every page-table entry another, so a frame is freed only when both
//! the object and every mapping have let go.
//!
//! For files the cached page is authoritative while the object lives: `read` overlays it on the filesystem's bytes
//! (`read_file`), `write` and `truncate` update it (`file_written`, `file_resized`), and `msync` or the last detach
//! writes it back. A block-device page cache would keep the same interface, loading and writing back through the
//! device instead of memfs.
#![forbid(unsafe_code)]

use crate::arch::paging::PAGE_SIZE;
use crate::arch::physmem;
use crate::mm::{frames, pageref};
use alloc::collections::BTreeMap;
use basalt_linux_abi::Errno;
use basalt_memfs::InodeId;
use core::sync::atomic::{AtomicU64, Ordering};
use spin::Mutex;

/// Object ids with this bit are shared anonymous memory, never inode numbers.
const ANON_BIT: u64 = 1 << 63;
static NEXT_ANON: AtomicU64 = AtomicU64::new(ANON_BIT);

struct Object {
    /// Page index → frame (the object's own reference).
    pages: BTreeMap<u64, u64>,
    /// Address spaces with an area on the object.
    users: usize,
}

static OBJECTS: Mutex<BTreeMap<u64, Object>> = Mutex::new(BTreeMap::new());

/// Detaches that could not run where they arose (an address space freed with interrupts off, in the scheduler):
/// done by the next attach or by the housekeeping thread. Until then the object stays, so files stay coherent.
static DEFERRED: Mutex<alloc::vec::Vec<u64>> = Mutex::new(alloc::vec::Vec::new());

/// Whether object `id` is shared anonymous memory (not a file).
pub fn is_anonymous(id: u64) -> bool {
    id & ANON_BIT != 0
}

/// A fresh shared anonymous object (MAP_SHARED | MAP_ANONYMOUS, or a shared mapping of /dev/zero). It exists from
/// its first `attach`.
pub fn new_anonymous_id() -> u64 {
    NEXT_ANON.fetch_add(1, Ordering::Relaxed) | ANON_BIT
}

/// One more address space maps object `id`. A file's inode is held (kept even if unlinked) while it is mapped.
pub fn attach(id: u64) -> Result<(), Errno> {
    run_deferred();
    let mut objects = OBJECTS.lock();
    if let Some(object) = objects.get_mut(&id) {
        object.users += 1;
        return Ok(());
    }
    if !is_anonymous(id) {
        crate::fs::root::fs_of(InodeId::from_number(id))?
            .lock()
            .hold(InodeId::from_number(id))?;
    }
    objects.insert(
        id,
        Object {
            pages: BTreeMap::new(),
            users: 1,
        },
    );
    Ok(())
}

/// Like `detach`, for a caller that must not take the filesystem's lock or write back now (interrupts are off).
pub fn detach_later(id: u64) {
    DEFERRED.lock().push(id);
}

/// Carry out the deferred detaches.
pub fn run_deferred() {
    let pending = core::mem::take(&mut *DEFERRED.lock());
    for id in pending {
        detach(id);
    }
}

/// An address space no longer maps object `id`; the last one writes a file's pages back and frees the object.
pub fn detach(id: u64) {
    let mut objects = OBJECTS.lock();
    let Some(object) = objects.get_mut(&id) else {
        return;
    };
    object.users -= 1;
    if object.users > 0 {
        return;
    }
    let Some(object) = objects.remove(&id) else {
        return;
    };
    // Written back before the lock goes, so a new mapping cannot load the file's stale bytes meanwhile.
    if !is_anonymous(id) {
        write_back(id, &object.pages);
        if let Ok(fs) = crate::fs::root::fs_of(InodeId::from_number(id)) {
            let _ = fs.lock().release(InodeId::from_number(id));
        }
    }
    drop(objects);
    for &frame in object.pages.values() {
        if pageref::unshare(frame) {
            frames::free(frame);
        }
    }
}

/// Why a page of an object cannot be had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageError {
    /// No memory for the page.
    OutOfMemory,
    /// The object is gone or its data cannot be read (SIGBUS).
    Unavailable,
}

/// The frame holding page `index` of object `id`, loaded if needed, with one extra reference that the caller owns
/// (it maps the frame, or gives the reference back with `pageref::unshare`).
pub fn get_page(id: u64, index: u64) -> Result<u64, PageError> {
    let mut objects = OBJECTS.lock();
    let object = objects.get_mut(&id).ok_or(PageError::Unavailable)?;
    if let Some(&frame) = object.pages.get(&index) {
        pageref::share(frame);
        return Ok(frame);
    }
    let frame = frames::alloc_zeroed().map_err(|_| PageError::OutOfMemory)?;
    if !is_anonymous(id) {
        let mut data = [0u8; PAGE_SIZE as usize];
        let read = crate::fs::root::fs_of(InodeId::from_number(id)).and_then(|fs| {
            fs.lock()
                .read_at(InodeId::from_number(id), index * PAGE_SIZE, &mut data)
        });
        if read.is_err() {
            frames::free(frame);
            return Err(PageError::Unavailable);
        }
        physmem::write(frame, &data);
    }
    object.pages.insert(index, frame);
    pageref::share(frame);
    Ok(frame)
}

/// The cached pages of `ino` overlapping `[offset, offset + len)`, each with the part of the range inside it:
/// (page offset in the file, frame, start within the page, end within the page).
fn cached_overlaps(
    pages: &BTreeMap<u64, u64>,
    offset: u64,
    len: u64,
) -> impl Iterator<Item = (u64, u64, usize, usize)> + '_ {
    let end = offset.saturating_add(len);
    let first = offset / PAGE_SIZE;
    let last = end.div_ceil(PAGE_SIZE);
    pages.range(first..last).map(move |(&index, &frame)| {
        let page_start = index * PAGE_SIZE;
        let from = offset.max(page_start) - page_start;
        let to = end.min(page_start + PAGE_SIZE) - page_start;
        (page_start, frame, from as usize, to as usize)
    })
}

/// Read regular file `ino` at `offset`: the filesystem's bytes with the mapped pages' current contents on top.
pub fn read_file(ino: InodeId, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
    let count = crate::fs::root::fs_of(ino)?
        .lock()
        .read_at(ino, offset, buf)?;
    let objects = OBJECTS.lock();
    if let Some(object) = objects.get(&ino.number()) {
        for (page_start, frame, from, to) in cached_overlaps(&object.pages, offset, count as u64) {
            let at = (page_start + from as u64 - offset) as usize;
            physmem::read_frame(frame + from as u64, &mut buf[at..at + (to - from)]);
        }
    }
    Ok(count)
}

/// `data` was written to file `ino` at `offset`: mapped pages show it too.
pub fn file_written(ino: InodeId, offset: u64, data: &[u8]) {
    let objects = OBJECTS.lock();
    if let Some(object) = objects.get(&ino.number()) {
        for (page_start, frame, from, to) in
            cached_overlaps(&object.pages, offset, data.len() as u64)
        {
            let at = (page_start + from as u64 - offset) as usize;
            physmem::write(frame + from as u64, &data[at..at + (to - from)]);
        }
    }
}

/// File `ino` changed size from `old` to `new`: mapped bytes between the two sizes read as zeros (a shrink drops
/// them from the file; a growth exposes a hole, whatever was written past the old end through a mapping).
pub fn file_resized(ino: InodeId, old: u64, new: u64) {
    let (low, high) = (old.min(new), old.max(new));
    let objects = OBJECTS.lock();
    if let Some(object) = objects.get(&ino.number()) {
        // Past the last page of the larger size nothing is visible; a shrink may leave bytes up to a page end.
        let high = high.next_multiple_of(PAGE_SIZE);
        let zeros = [0u8; PAGE_SIZE as usize];
        for (_, frame, from, to) in cached_overlaps(&object.pages, low, high - low) {
            physmem::write(frame + from as u64, &zeros[from..to]);
        }
    }
}

/// msync: write object `id`'s pages back to its file (memfs is always coherent through `read_file`; this keeps
/// its own copy current, as a device would need).
pub fn sync(id: u64) {
    if is_anonymous(id) {
        return;
    }
    // Lock order: OBJECTS, then the filesystem (nothing takes them the other way round).
    let objects = OBJECTS.lock();
    if let Some(object) = objects.get(&id) {
        write_back(id, &object.pages);
    }
}

/// sync(2): every file object's pages written back.
pub fn sync_all() {
    let objects = OBJECTS.lock();
    for (&id, object) in objects.iter() {
        if !is_anonymous(id) {
            write_back(id, &object.pages);
        }
    }
}

/// Copy `pages` of file `id` into the filesystem, up to the file's current size.
fn write_back(id: u64, pages: &BTreeMap<u64, u64>) {
    let ino = InodeId::from_number(id);
    let Ok(fs) = crate::fs::root::fs_of(ino) else {
        return;
    };
    let mut data = [0u8; PAGE_SIZE as usize];
    for (&index, &frame) in pages {
        let size = match fs.lock().stat(ino) {
            Ok(s) => s.size,
            Err(_) => return,
        };
        let start = index * PAGE_SIZE;
        if start >= size {
            break;
        }
        let len = (size - start).min(PAGE_SIZE) as usize;
        physmem::read_frame(frame, &mut data[..len]);
        let mut fs = fs.lock();
        let mut current = [0u8; PAGE_SIZE as usize];
        // Only changed pages are written: an unchanged hole stays a hole (no budget spent).
        if fs.read_at(ino, start, &mut current[..len]).is_ok() && current[..len] == data[..len] {
            continue;
        }
        if fs
            .write_at(ino, start, &data[..len], crate::fs::root::now())
            .is_err()
        {
            log::warn!("shared mapping of inode {id}: page {index} could not be written back");
        }
    }
}
