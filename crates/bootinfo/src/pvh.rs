//! Parsing the PVH `hvm_start_info` (Xen's x86 HVM direct boot ABI).
//!
//! Layout (all little-endian):
//! ```text
//! hvm_start_info         0 magic u32, 4 version u32, 8 flags u32, 12 nr_modules u32,
//!                       16 modlist_paddr u64, 24 cmdline_paddr u64, 32 rsdp_paddr u64,
//!   (version >= 1)      40 memmap_paddr u64, 48 memmap_entries u32, 52 reserved u32
//! hvm_modlist_entry      0 paddr u64, 8 size u64, 16 cmdline_paddr u64, 24 reserved u64
//! hvm_memmap_table_entry 0 addr u64, 8 size u64, 16 type u32 (E820), 20 reserved u32
//! ```

use crate::boot_info::{BootInfo, BootProtocol};
use crate::memory_map::MAX_RAW_REGIONS;
use crate::phys::{offset_address, read_array, u32_at, u64_at, PhysRead};
use crate::region::RegionKind;
use crate::text::StringEnd;
use crate::BootInfoError;

/// `hvm_start_info.magic` ("xEn3" with the high bit of the last byte set).
pub const PVH_START_INFO_MAGIC: u32 = 0x336E_C578;

const START_INFO_LEN: usize = 56;
const MODLIST_ENTRY_LEN: usize = 32;
const MEMMAP_ENTRY_LEN: usize = 24;
/// First version with the memory map fields.
const MEMMAP_VERSION: u32 = 1;

/// Parses the start_info at physical address `start_info` (the value in `%ebx` at the
/// PVH entry point).
///
/// The returned value is large (see [`BootInfo`]); a kernel should prefer
/// [`parse_pvh_into`] on a `static`.
pub fn parse_pvh(mem: &impl PhysRead, start_info: u64) -> Result<BootInfo, BootInfoError> {
    let mut info = BootInfo::empty();
    parse_pvh_into(&mut info, mem, start_info)?;
    Ok(info)
}

/// Like [`parse_pvh`], filling `info` in place. On error `info` is left empty.
pub fn parse_pvh_into(
    info: &mut BootInfo,
    mem: &impl PhysRead,
    start_info: u64,
) -> Result<(), BootInfoError> {
    info.reset();
    let result = fill(info, mem, start_info);
    if result.is_err() {
        info.reset();
    }
    result
}

fn fill(info: &mut BootInfo, mem: &impl PhysRead, start_info: u64) -> Result<(), BootInfoError> {
    // Check magic and version before reading fields a version 0 structure lacks.
    let prefix: [u8; 8] = read_array(mem, start_info)?;
    let magic = u32_at(&prefix, 0);
    if magic != PVH_START_INFO_MAGIC {
        return Err(BootInfoError::BadMagic { found: magic });
    }
    let version = u32_at(&prefix, 4);
    if version < MEMMAP_VERSION {
        // Version 0 carries no memory map, and this kernel has no other source for one.
        return Err(BootInfoError::UnsupportedVersion(version));
    }
    let header: [u8; START_INFO_LEN] = read_array(mem, start_info)?;
    info.protocol = BootProtocol::Pvh;

    read_memory_map(info, mem, u64_at(&header, 40), u32_at(&header, 48))?;

    let cmdline_paddr = u64_at(&header, 24);
    if cmdline_paddr != 0 {
        if info.cmdline.read_c_string(mem, cmdline_paddr, u64::MAX)? == StringEnd::Truncated {
            return Err(BootInfoError::CmdlineTooLong);
        }
        if !info.cmdline.validate() {
            return Err(BootInfoError::CmdlineNotUtf8);
        }
    }

    let nr_modules = u32_at(&header, 12);
    let modlist_paddr = u64_at(&header, 16);
    if nr_modules > 0 && modlist_paddr != 0 {
        let module: [u8; MODLIST_ENTRY_LEN] = read_array(mem, modlist_paddr)?;
        let start = u64_at(&module, 0);
        let size = u64_at(&module, 8);
        let end = start
            .checked_add(size)
            .ok_or(BootInfoError::AddressOverflow)?;
        if size > 0 {
            info.initrd = Some((start, end));
        }
    }

    let rsdp = u64_at(&header, 32);
    info.rsdp = (rsdp != 0).then_some(rsdp);
    Ok(())
}

fn read_memory_map(
    info: &mut BootInfo,
    mem: &impl PhysRead,
    table: u64,
    entries: u32,
) -> Result<(), BootInfoError> {
    if table == 0 || entries == 0 {
        return Err(BootInfoError::MissingMemoryMap);
    }
    let entries = usize::try_from(entries).map_err(|_| BootInfoError::TooManyRegions)?;
    if entries > MAX_RAW_REGIONS {
        return Err(BootInfoError::TooManyRegions);
    }
    // Entries are read one at a time so no raw-map buffer is needed.
    for index in 0..entries {
        let offset = (index * MEMMAP_ENTRY_LEN) as u64;
        let entry: [u8; MEMMAP_ENTRY_LEN] = read_array(mem, offset_address(table, offset)?)?;
        let kind = RegionKind::from_e820(u32_at(&entry, 16));
        info.memory
            .add(u64_at(&entry, 0), u64_at(&entry, 8), kind)?;
    }
    Ok(())
}
