//! Memory-mapping constants of the x86_64 Linux ABI (`<asm-generic/mman-common.h>`,
//! `<linux/mman.h>`): `mmap` protections and flags, `mremap` and `madvise` arguments.

/// Pages may not be accessed.
pub const PROT_NONE: u64 = 0x0;
/// Pages may be read.
pub const PROT_READ: u64 = 0x1;
/// Pages may be written.
pub const PROT_WRITE: u64 = 0x2;
/// Pages may be executed.
pub const PROT_EXEC: u64 = 0x4;
/// Pages may be used for atomic operations (accepted and ignored on x86_64).
pub const PROT_SEM: u64 = 0x8;
/// `mprotect`: extend the change down to the start of a grows-down mapping.
pub const PROT_GROWSDOWN: u64 = 0x0100_0000;
/// `mprotect`: extend the change up to the end of a grows-up mapping (none on x86_64).
pub const PROT_GROWSUP: u64 = 0x0200_0000;

/// Share changes with every other mapping of the object.
pub const MAP_SHARED: u64 = 0x01;
/// Changes are private (copy-on-write).
pub const MAP_PRIVATE: u64 = 0x02;
/// Like `MAP_SHARED`, but fail with `EOPNOTSUPP` on flags the object does not support.
pub const MAP_SHARED_VALIDATE: u64 = 0x03;
/// Linux 6.11+: private anonymous memory the kernel may drop under pressure.
pub const MAP_DROPPABLE: u64 = 0x08;
/// Mask of the mapping type (`MAP_SHARED`, `MAP_PRIVATE`, ...).
pub const MAP_TYPE: u64 = 0x0f;
/// Place the mapping exactly at `addr`, replacing what is there.
pub const MAP_FIXED: u64 = 0x10;
/// Not backed by a file; contents start zeroed.
pub const MAP_ANONYMOUS: u64 = 0x20;
/// x86_64: place the mapping in the low 2 GiB (between 1 GiB and 2 GiB).
pub const MAP_32BIT: u64 = 0x40;
/// The mapping grows down on faults below it (stacks).
pub const MAP_GROWSDOWN: u64 = 0x0100;
/// Ignored (historically: fail if the file is being written).
pub const MAP_DENYWRITE: u64 = 0x0800;
/// Ignored (historically: mark as an executable image).
pub const MAP_EXECUTABLE: u64 = 0x1000;
/// Lock the pages in memory (`mlock`).
pub const MAP_LOCKED: u64 = 0x2000;
/// Do not reserve swap space.
pub const MAP_NORESERVE: u64 = 0x4000;
/// Prefault the pages.
pub const MAP_POPULATE: u64 = 0x8000;
/// With `MAP_POPULATE`: do not block on I/O (disables the prefault).
pub const MAP_NONBLOCK: u64 = 0x1_0000;
/// Hint that the mapping is a thread stack.
pub const MAP_STACK: u64 = 0x2_0000;
/// Use huge pages.
pub const MAP_HUGETLB: u64 = 0x4_0000;
/// Synchronous page faults for DAX files (only with `MAP_SHARED_VALIDATE`).
pub const MAP_SYNC: u64 = 0x8_0000;
/// Like `MAP_FIXED`, but fail with `EEXIST` instead of replacing a mapping.
pub const MAP_FIXED_NOREPLACE: u64 = 0x10_0000;
/// Do not clear anonymous pages (only honoured on kernels built for it).
pub const MAP_UNINITIALIZED: u64 = 0x400_0000;
/// Shift of the huge page size encoding in the flags.
pub const MAP_HUGE_SHIFT: u64 = 26;
/// Mask of the huge page size encoding (after shifting).
pub const MAP_HUGE_MASK: u64 = 0x3f;
/// Huge page size 2 MiB.
pub const MAP_HUGE_2MB: u64 = 21 << MAP_HUGE_SHIFT;
/// Huge page size 1 GiB.
pub const MAP_HUGE_1GB: u64 = 30 << MAP_HUGE_SHIFT;

/// The flags every `mmap` accepts; with `MAP_SHARED_VALIDATE`, any other flag the object does
/// not support fails with `EOPNOTSUPP` (Linux's `LEGACY_MAP_MASK`).
pub const LEGACY_MAP_MASK: u64 = MAP_SHARED
    | MAP_PRIVATE
    | MAP_FIXED
    | MAP_ANONYMOUS
    | MAP_DENYWRITE
    | MAP_EXECUTABLE
    | MAP_UNINITIALIZED
    | MAP_GROWSDOWN
    | MAP_LOCKED
    | MAP_NORESERVE
    | MAP_POPULATE
    | MAP_NONBLOCK
    | MAP_STACK
    | MAP_HUGETLB
    | MAP_32BIT
    | MAP_HUGE_2MB
    | MAP_HUGE_1GB;

/// `msync`: schedule the write-back and return.
pub const MS_ASYNC: u64 = 1;
/// `msync`: drop other cached copies (a no-op on Linux today, except for locked areas: `EBUSY`).
pub const MS_INVALIDATE: u64 = 2;
/// `msync`: write back and wait.
pub const MS_SYNC: u64 = 4;

/// `mremap`: the mapping may move to a new address.
pub const MREMAP_MAYMOVE: u64 = 1;
/// `mremap`: move to exactly `new_addr` (requires `MREMAP_MAYMOVE`).
pub const MREMAP_FIXED: u64 = 2;
/// `mremap`: move the pages but leave the old range mapped (and empty).
pub const MREMAP_DONTUNMAP: u64 = 4;

/// `madvise`: no special treatment.
pub const MADV_NORMAL: u64 = 0;
/// `madvise`: expect random access.
pub const MADV_RANDOM: u64 = 1;
/// `madvise`: expect sequential access.
pub const MADV_SEQUENTIAL: u64 = 2;
/// `madvise`: the pages will be needed soon.
pub const MADV_WILLNEED: u64 = 3;
/// `madvise`: drop the pages; private ones read back as zero (or file contents).
pub const MADV_DONTNEED: u64 = 4;
/// `madvise`: the pages may be freed lazily.
pub const MADV_FREE: u64 = 8;
/// `madvise`: free the pages and the backing store.
pub const MADV_REMOVE: u64 = 9;
/// `madvise`: do not inherit across `fork`.
pub const MADV_DONTFORK: u64 = 10;
/// `madvise`: undo `MADV_DONTFORK`.
pub const MADV_DOFORK: u64 = 11;
/// `madvise`: the child of a `fork` sees zeroes.
pub const MADV_WIPEONFORK: u64 = 18;
/// `madvise`: undo `MADV_WIPEONFORK`.
pub const MADV_KEEPONFORK: u64 = 19;
