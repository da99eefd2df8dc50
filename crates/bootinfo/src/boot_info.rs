//! The protocol-independent boot information.

use crate::framebuffer::Framebuffer;
use crate::memory_map::MemoryMap;
use crate::region::{MemoryRegion, RegionKind};
use crate::text::TextBuffer;
use crate::usable::UsableRanges;
use core::ops::Range;

/// Longest kernel command line kept, in bytes (without the NUL).
pub const MAX_CMDLINE_LEN: usize = 4096;
/// Longest boot loader name kept, in bytes; longer names are cut.
pub const MAX_LOADER_NAME_LEN: usize = 64;

/// Which boot protocol delivered the information.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BootProtocol {
    /// Nothing parsed yet ([`BootInfo::empty`]).
    None,
    /// Xen PVH direct boot (QEMU `-kernel`, Firecracker, Cloud Hypervisor).
    Pvh,
    /// Multiboot2 (GRUB and others).
    Multiboot2,
}

/// Everything the kernel needs from the boot loader, in roughly 7.3 KiB of fixed storage.
///
/// Large enough that it should live in a `static` and be filled in place with
/// [`parse_pvh_into`](crate::parse_pvh_into) or
/// [`parse_multiboot2_into`](crate::parse_multiboot2_into).
#[derive(Debug, Clone)]
pub struct BootInfo {
    pub(crate) protocol: BootProtocol,
    pub(crate) memory: MemoryMap,
    pub(crate) cmdline: TextBuffer<MAX_CMDLINE_LEN>,
    pub(crate) loader_name: TextBuffer<MAX_LOADER_NAME_LEN>,
    /// Start and end of the initrd (a `Range` is not `Copy`, so the bounds are kept).
    pub(crate) initrd: Option<(u64, u64)>,
    pub(crate) framebuffer: Option<Framebuffer>,
    pub(crate) rsdp: Option<u64>,
}

impl Default for BootInfo {
    fn default() -> Self {
        Self::empty()
    }
}

/// Page size used to align [`BootInfo::usable_ranges`].
pub(crate) const PAGE_SIZE: u64 = 4096;

impl BootInfo {
    /// No information at all; usable as a `static` initializer.
    pub const fn empty() -> Self {
        Self {
            protocol: BootProtocol::None,
            memory: MemoryMap::new(),
            cmdline: TextBuffer::new(),
            loader_name: TextBuffer::new(),
            initrd: None,
            framebuffer: None,
            rsdp: None,
        }
    }

    /// Returns to the [`empty`](Self::empty) state without building a new value (so no
    /// large temporary lands on the stack).
    pub(crate) fn reset(&mut self) {
        self.protocol = BootProtocol::None;
        self.memory.clear();
        self.cmdline.clear();
        self.loader_name.clear();
        self.initrd = None;
        self.framebuffer = None;
        self.rsdp = None;
    }

    /// The protocol that delivered this information.
    pub fn protocol(&self) -> BootProtocol {
        self.protocol
    }

    /// The sanitized memory map: sorted by address, non-overlapping, no empty regions,
    /// touching regions of the same kind merged. Where raw entries overlapped, the more
    /// restrictive kind won (Usable < AcpiReclaimable < AcpiNvs < Reserved < Unusable).
    pub fn memory_map(&self) -> &[MemoryRegion] {
        self.memory.regions()
    }

    /// The kernel command line (empty if none was given).
    pub fn cmdline(&self) -> &str {
        self.cmdline.as_str()
    }

    /// Physical range of the initrd (the first module), if one was loaded.
    pub fn initrd(&self) -> Option<Range<u64>> {
        self.initrd.map(|(start, end)| start..end)
    }

    /// The boot loader's framebuffer, if it set one up (Multiboot2 only).
    pub fn framebuffer(&self) -> Option<Framebuffer> {
        self.framebuffer
    }

    /// Physical address of the ACPI RSDP. For Multiboot2 this is the address of the copy
    /// inside the information structure (prefer the ACPI 2.0 copy when both exist), so
    /// that memory must stay intact until the kernel has read it.
    pub fn rsdp(&self) -> Option<u64> {
        self.rsdp
    }

    /// The boot loader's name (Multiboot2 tag 2; empty for PVH), cut to
    /// [`MAX_LOADER_NAME_LEN`] bytes at a character boundary.
    pub fn bootloader_name(&self) -> &str {
        self.loader_name.as_str()
    }

    /// Usable memory as page-aligned ranges (starts rounded up, ends rounded down to
    /// 4096), minus every range in `exclude`. Exclusions are widened to whole pages
    /// (start rounded down, end up) so results stay page-aligned; empty exclusions are
    /// ignored and they may overlap or be unsorted. Ranges come in ascending order and
    /// are never empty.
    pub fn usable_ranges<'a>(&'a self, exclude: &'a [Range<u64>]) -> UsableRanges<'a> {
        UsableRanges::new(self.memory_map(), exclude)
    }

    /// End address of the highest usable region (0 if there is none).
    pub fn max_usable_address(&self) -> u64 {
        self.memory_map()
            .iter()
            .rev()
            .find(|region| region.kind == RegionKind::Usable)
            .map_or(0, MemoryRegion::end)
    }
}
