//! Boot information from a PVH `hvm_start_info` or a Multiboot2 information structure,
//! gathered into one fixed-size [`BootInfo`] that needs no heap.
//!
//! The parsers never dereference pointers: every physical read goes through the caller's
//! [`PhysRead`], so the crate is safe, host-testable, and robust against bogus addresses.
//! The memory map is sanitized (sorted, non-overlapping, the more restrictive kind wins
//! where entries overlap, adjacent equal kinds merged) so the frame allocator can trust it.

#![no_std]
#![forbid(unsafe_code)]

#[cfg(test)]
extern crate std;

mod boot_info;
mod error;
mod framebuffer;
mod memory_map;
mod multiboot2;
mod phys;
mod pvh;
mod region;
mod text;
mod usable;

pub use boot_info::{BootInfo, BootProtocol, MAX_CMDLINE_LEN, MAX_LOADER_NAME_LEN};
pub use error::BootInfoError;
pub use framebuffer::{ColorField, Framebuffer, FramebufferFormat};
pub use memory_map::{MAX_RAW_REGIONS, MAX_REGIONS};
pub use multiboot2::{parse_multiboot2, parse_multiboot2_into, MULTIBOOT2_BOOTLOADER_MAGIC};
pub use phys::PhysRead;
pub use pvh::{parse_pvh, parse_pvh_into, PVH_START_INFO_MAGIC};
pub use region::{MemoryRegion, RegionKind};
pub use usable::UsableRanges;

#[cfg(test)]
mod multiboot2_tests;
#[cfg(test)]
mod pvh_tests;
#[cfg(test)]
mod sanitize_tests;
#[cfg(test)]
mod test_support;
