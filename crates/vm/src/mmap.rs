//! `mmap(2)`, and [`Vmas::insert_fixed`] for the areas the kernel creates itself.

use crate::prot::Prot;
use crate::space::Vmas;
use crate::vma::{Backing, Sharing, Vma, VmaKind};
use crate::{is_page_aligned, page_align_down, page_align_up, PAGE_SIZE};
use alloc::vec::Vec;
use basalt_linux_abi::mman::{
    LEGACY_MAP_MASK, MAP_32BIT, MAP_ANONYMOUS, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_GROWSDOWN,
    MAP_HUGETLB, MAP_LOCKED, MAP_NONBLOCK, MAP_POPULATE, MAP_PRIVATE, MAP_SHARED,
    MAP_SHARED_VALIDATE, MAP_TYPE,
};
use basalt_linux_abi::Errno;
use core::ops::Range;

/// Largest file size Linux maps (`MAX_LFS_FILESIZE`); larger offsets fail with `EOVERFLOW`.
const MAX_FILE_SIZE: u64 = i64::MAX as u64;

/// The arguments of one `mmap` call, as user space passed them, with the file descriptor
/// already resolved by the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MmapRequest {
    /// The address hint, or the exact address with `MAP_FIXED`/`MAP_FIXED_NOREPLACE`.
    pub addr: u64,
    /// Length in bytes (rounded up to pages).
    pub len: u64,
    /// `PROT_*` bits; unknown bits are ignored, as Linux does for `mmap`.
    pub prot: u64,
    /// `MAP_*` flags.
    pub flags: u64,
    /// File offset (must be page-aligned, even for anonymous mappings).
    pub offset: u64,
    /// The file to map: required unless `MAP_ANONYMOUS` is set (missing: `EBADF`). For
    /// `MAP_SHARED | MAP_ANONYMOUS` it must be a fresh shmem object of `len` bytes, which
    /// Linux creates too (shown as `/dev/zero (deleted)`) so that the pages stay shared
    /// across `fork` (missing: `ENOMEM`); see [`MmapRequest::needs_shmem_object`].
    pub file: Option<MmapFile>,
}

impl MmapRequest {
    /// A request without a file.
    pub fn new(addr: u64, len: u64, prot: u64, flags: u64, offset: u64) -> MmapRequest {
        MmapRequest {
            addr,
            len,
            prot,
            flags,
            offset,
            file: None,
        }
    }

    /// The same request mapping `file`.
    pub fn with_file(self, file: MmapFile) -> MmapRequest {
        MmapRequest {
            file: Some(file),
            ..self
        }
    }

    /// The request as Linux's `/dev/zero` turns it into anonymous memory (`mmap_zero`): a private mapping is
    /// private anonymous memory, a shared one a fresh shared anonymous object. The descriptor's access is checked
    /// first, as for any file: unknown flags with `MAP_SHARED_VALIDATE` `EOPNOTSUPP`, a shared writable mapping
    /// of a descriptor not open for writing `EACCES`, one not open for reading `EACCES`.
    pub fn for_zero_device(self, readable: bool, writable: bool) -> Result<MmapRequest, Errno> {
        let prot = Prot::from_bits(self.prot);
        let map_type = self.flags & MAP_TYPE;
        let shared = match map_type {
            MAP_SHARED_VALIDATE if self.flags & !LEGACY_MAP_MASK != 0 => {
                return Err(Errno::EOPNOTSUPP)
            }
            MAP_SHARED | MAP_SHARED_VALIDATE => true,
            MAP_PRIVATE => false,
            _ => return Err(Errno::EINVAL),
        };
        if (shared && prot.write && !writable) || !readable {
            return Err(Errno::EACCES);
        }
        let sharing = if shared { MAP_SHARED } else { MAP_PRIVATE };
        Ok(MmapRequest {
            flags: (self.flags & !MAP_TYPE) | MAP_ANONYMOUS | sharing,
            file: None,
            ..self
        })
    }

    /// Whether the kernel must create a shmem object for this request and pass it as
    /// `file`: a shared anonymous mapping.
    pub fn needs_shmem_object(&self) -> bool {
        self.flags & MAP_ANONYMOUS != 0 && self.flags & MAP_TYPE == MAP_SHARED
    }
}

/// What `mmap` needs to know about the open file being mapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MmapFile {
    /// The kernel's identifier of the file's inode (or shmem object); opaque here.
    pub file_id: u64,
    /// The descriptor was opened for reading (required for any file mapping: `EACCES`).
    pub readable: bool,
    /// The descriptor was opened for writing (required for shared writable mappings).
    pub writable: bool,
    /// The file is on a `noexec` mount (`PROT_EXEC` fails with `EPERM`).
    pub noexec: bool,
}

impl MmapFile {
    /// A file opened read-write on an ordinary mount (also what a shmem object is).
    pub fn read_write(file_id: u64) -> MmapFile {
        MmapFile {
            file_id,
            readable: true,
            writable: true,
            noexec: false,
        }
    }
}

/// What a successful `mmap` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MmapOutcome {
    /// The mapping's address: the system call's return value.
    pub addr: u64,
    /// Ranges that were mapped before and were replaced (`MAP_FIXED`): the kernel drops
    /// their pages before mapping anything new there.
    pub unmapped: Vec<Range<u64>>,
    /// `MAP_POPULATE` (without `MAP_NONBLOCK`) or `MAP_LOCKED`: fault the pages in now.
    pub populate: bool,
}

/// The attributes of the area an `mmap` request creates, once validated.
struct AreaTemplate {
    max_prot: Prot,
    backing: Backing,
    sharing: Sharing,
    grows_down: bool,
    kind: VmaKind,
}

impl Vmas {
    /// `mmap(2)`. Checks happen in Linux's order, so the error for a request with
    /// several problems is the one Linux returns. Differences from Linux: `MAP_HUGETLB`
    /// fails as on a kernel with no huge pages reserved, `MAP_DROPPABLE` as on kernels
    /// before 6.11 (`EINVAL`), and `MAP_SYNC` as on tmpfs (ignored, `EOPNOTSUPP` with
    /// `MAP_SHARED_VALIDATE`).
    pub fn mmap(&mut self, req: MmapRequest) -> Result<MmapOutcome, Errno> {
        let flags = req.flags;
        let anonymous = flags & MAP_ANONYMOUS != 0;
        // sys_mmap on x86_64 rejects unaligned offsets before anything else.
        if !is_page_aligned(req.offset) {
            return Err(Errno::EINVAL);
        }
        // ksys_mmap_pgoff: the descriptor, then huge pages.
        if !anonymous && req.file.is_none() {
            return Err(Errno::EBADF);
        }
        if flags & MAP_HUGETLB != 0 {
            return Err(if anonymous {
                Errno::ENOMEM
            } else {
                Errno::EINVAL
            });
        }
        // do_mmap.
        if req.len == 0 {
            return Err(Errno::EINVAL);
        }
        let fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) != 0;
        let hint = if fixed {
            req.addr
        } else {
            self.round_hint(req.addr)
        };
        let len = page_align_up(req.len).ok_or(Errno::ENOMEM)?;
        if self.areas.len() > self.layout.max_map_count {
            return Err(Errno::ENOMEM);
        }
        let addr = self.get_unmapped_area(hint, len, fixed, flags & MAP_32BIT != 0)?;
        let end = addr + len;
        if flags & MAP_FIXED_NOREPLACE != 0 && self.is_mapped_anywhere(addr, end) {
            return Err(Errno::EEXIST);
        }
        let prot = Prot::from_bits(req.prot);
        let template = if anonymous {
            anonymous_template(&req)?
        } else {
            file_template(&req, len, prot)?
        };
        // mmap_region: what MAP_FIXED replaces does not count twice against RLIMIT_AS.
        let replaced = self.mapped_pages_in(addr, end) * PAGE_SIZE;
        if !self.may_expand(len - replaced) {
            return Err(Errno::ENOMEM);
        }
        let unmapped = self.unmap_range(addr, end)?;
        self.insert_and_merge(Vma {
            start: addr,
            end,
            prot,
            max_prot: template.max_prot,
            backing: template.backing,
            sharing: template.sharing,
            grows_down: template.grows_down,
            kind: template.kind,
        });
        let populate =
            flags & MAP_LOCKED != 0 || flags & (MAP_POPULATE | MAP_NONBLOCK) == MAP_POPULATE;
        Ok(MmapOutcome {
            addr,
            unmapped,
            populate,
        })
    }

    /// Maps an area the kernel builds itself (ELF segments, the initial stack, a vDSO),
    /// replacing whatever overlaps it like `MAP_FIXED`, and returns the replaced ranges.
    /// Fails with `EINVAL` for an empty or unaligned range, a `prot` beyond `max_prot`, or
    /// a growing area that is not private anonymous memory; `ENOMEM` past the user range;
    /// `EOVERFLOW` when the file offset does not fit.
    pub fn insert_fixed(&mut self, vma: Vma) -> Result<Vec<Range<u64>>, Errno> {
        if vma.is_empty() || !is_page_aligned(vma.start) || !is_page_aligned(vma.end) {
            return Err(Errno::EINVAL);
        }
        if !vma.max_prot.contains(vma.prot) {
            return Err(Errno::EINVAL);
        }
        if vma.grows_down && (vma.backing != Backing::Anonymous || vma.sharing != Sharing::Private)
        {
            return Err(Errno::EINVAL);
        }
        if vma.end > self.layout.user_end {
            return Err(Errno::ENOMEM);
        }
        if let Backing::File { offset, .. } = vma.backing {
            if !is_page_aligned(offset) {
                return Err(Errno::EINVAL);
            }
            if offset
                .checked_add(vma.len())
                .is_none_or(|end| end > MAX_FILE_SIZE)
            {
                return Err(Errno::EOVERFLOW);
            }
        }
        let unmapped = self.unmap_range(vma.start, vma.end)?;
        self.insert_and_merge(vma);
        Ok(unmapped)
    }

    /// Linux's `round_hint_to_min`: a non-zero hint below `mmap_min_addr` is raised to it.
    fn round_hint(&self, addr: u64) -> u64 {
        let hint = page_align_down(addr);
        if hint != 0 && hint < self.layout.mmap_min_addr {
            page_align_up(self.layout.mmap_min_addr).unwrap_or(hint)
        } else {
            hint
        }
    }
}

/// Validates the flags of an anonymous mapping.
fn anonymous_template(req: &MmapRequest) -> Result<AreaTemplate, Errno> {
    match req.flags & MAP_TYPE {
        MAP_SHARED => {
            if req.flags & MAP_GROWSDOWN != 0 {
                return Err(Errno::EINVAL);
            }
            // Linux backs it with a shmem object; creating one is the kernel's job.
            let object = req.file.ok_or(Errno::ENOMEM)?;
            Ok(AreaTemplate {
                max_prot: Prot::ALL,
                backing: Backing::File {
                    file_id: object.file_id,
                    offset: 0,
                },
                sharing: Sharing::Shared,
                grows_down: false,
                kind: VmaKind::Anon,
            })
        }
        MAP_PRIVATE => Ok(AreaTemplate {
            max_prot: Prot::ALL,
            backing: Backing::Anonymous,
            sharing: Sharing::Private,
            grows_down: req.flags & MAP_GROWSDOWN != 0,
            kind: VmaKind::Anon,
        }),
        // MAP_SHARED_VALIDATE is for files only; MAP_DROPPABLE is not supported.
        _ => Err(Errno::EINVAL),
    }
}

/// Validates the flags and permissions of a file mapping of `len` bytes.
fn file_template(req: &MmapRequest, len: u64, prot: Prot) -> Result<AreaTemplate, Errno> {
    let Some(file) = req.file else {
        return Err(Errno::EBADF);
    };
    // file_mmap_ok: the last page's offset must fit below MAX_LFS_FILESIZE.
    if req.offset / PAGE_SIZE > (MAX_FILE_SIZE - len) / PAGE_SIZE {
        return Err(Errno::EOVERFLOW);
    }
    let mut max_prot = Prot::ALL;
    let sharing = match req.flags & MAP_TYPE {
        map_type @ (MAP_SHARED | MAP_SHARED_VALIDATE) => {
            // Plain MAP_SHARED silently drops flags it does not know, for compatibility.
            let flags = if map_type == MAP_SHARED {
                req.flags & LEGACY_MAP_MASK
            } else {
                req.flags
            };
            if flags & !LEGACY_MAP_MASK != 0 {
                return Err(Errno::EOPNOTSUPP);
            }
            if prot.write && !file.writable {
                return Err(Errno::EACCES);
            }
            max_prot.write = file.writable;
            Sharing::Shared
        }
        MAP_PRIVATE => Sharing::Private,
        _ => return Err(Errno::EINVAL),
    };
    if !file.readable {
        return Err(Errno::EACCES);
    }
    if file.noexec {
        if prot.exec {
            return Err(Errno::EPERM);
        }
        max_prot.exec = false;
    }
    if req.flags & MAP_GROWSDOWN != 0 {
        return Err(Errno::EINVAL);
    }
    Ok(AreaTemplate {
        max_prot,
        backing: Backing::File {
            file_id: file.file_id,
            offset: req.offset,
        },
        sharing,
        grows_down: false,
        kind: VmaKind::File,
    })
}
