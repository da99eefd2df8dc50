//! Parsing the Multiboot2 boot information structure.
//!
//! Layout: `total_size u32, reserved u32`, then tags, each starting 8-byte aligned with
//! `type u32, size u32` (size covers the tag header but not the padding), ending with a
//! type-0 tag. Tags used here (offsets within the tag):
//! ```text
//!  1 command line       8 NUL-terminated UTF-8
//!  2 boot loader name   8 NUL-terminated string
//!  3 module             8 mod_start u32, 12 mod_end u32, 16 string  (first = initrd)
//!  6 memory map         8 entry_size u32, 12 entry_version u32, 16 entries of
//!                         { base u64, length u64, type u32, reserved u32 } (E820 types)
//!  8 framebuffer        8 addr u64, 16 pitch u32, 20 width u32, 24 height u32,
//!                       28 bpp u8, 29 type u8, 30 reserved u16, 32 colour info
//! 14 ACPI old RSDP      8 copy of the RSDP (ACPI 1.0, 20 bytes)
//! 15 ACPI new RSDP      8 copy of the RSDP (ACPI 2.0+, 36 bytes)
//! ```

use crate::boot_info::{BootInfo, BootProtocol};
use crate::framebuffer::{ColorField, Framebuffer, FramebufferFormat};
use crate::memory_map::MAX_RAW_REGIONS;
use crate::phys::{offset_address, read_array, u32_at, u64_at, u8_at, PhysRead};
use crate::region::RegionKind;
use crate::text::StringEnd;
use crate::BootInfoError;

/// The value a Multiboot2 loader leaves in `%eax`; the caller checks it.
pub const MULTIBOOT2_BOOTLOADER_MAGIC: u32 = 0x36D7_6289;

const TAG_END: u32 = 0;
const TAG_CMDLINE: u32 = 1;
const TAG_LOADER_NAME: u32 = 2;
const TAG_MODULE: u32 = 3;
const TAG_MEMORY_MAP: u32 = 6;
const TAG_FRAMEBUFFER: u32 = 8;
const TAG_RSDP_V1: u32 = 14;
const TAG_RSDP_V2: u32 = 15;

const TAG_HEADER_LEN: u64 = 8;
const TAG_ALIGNMENT: u64 = 8;
/// Sanity bound on `total_size`: real structures are a few KiB, so anything larger means
/// a wrong pointer, and walking it would read garbage for a long time.
const MAX_TOTAL_SIZE: u64 = 1 << 20;
const MODULE_TAG_LEN: u64 = 16;
const MEMORY_MAP_HEADER_LEN: u64 = 16;
const MEMORY_MAP_ENTRY_LEN: u64 = 24;
const FRAMEBUFFER_TAG_LEN: u64 = 32;
const FRAMEBUFFER_RGB_TAG_LEN: u64 = 38;
const RSDP_V1_LEN: u64 = 20;
const RSDP_V2_LEN: u64 = 36;

/// Parses the information structure at physical address `info` (the value in `%ebx`
/// after the caller has checked `%eax == MULTIBOOT2_BOOTLOADER_MAGIC`).
///
/// The returned value is large (see [`BootInfo`]); a kernel should prefer
/// [`parse_multiboot2_into`] on a `static`.
pub fn parse_multiboot2(mem: &impl PhysRead, info: u64) -> Result<BootInfo, BootInfoError> {
    let mut boot_info = BootInfo::empty();
    parse_multiboot2_into(&mut boot_info, mem, info)?;
    Ok(boot_info)
}

/// Like [`parse_multiboot2`], filling `boot_info` in place. On error it is left empty.
pub fn parse_multiboot2_into(
    boot_info: &mut BootInfo,
    mem: &impl PhysRead,
    info: u64,
) -> Result<(), BootInfoError> {
    boot_info.reset();
    let result = fill(boot_info, mem, info);
    if result.is_err() {
        boot_info.reset();
    }
    result
}

/// One tag's location: physical address of its header and its `size` field.
#[derive(Clone, Copy)]
struct Tag {
    phys: u64,
    size: u64,
}

impl Tag {
    fn body(&self) -> Result<u64, BootInfoError> {
        offset_address(self.phys, TAG_HEADER_LEN)
    }

    fn body_len(&self) -> u64 {
        self.size.saturating_sub(TAG_HEADER_LEN)
    }

    /// Fails unless the tag is at least `len` bytes long.
    fn require(&self, len: u64, what: &'static str) -> Result<(), BootInfoError> {
        if self.size < len {
            return Err(BootInfoError::Malformed(what));
        }
        Ok(())
    }
}

fn fill(boot_info: &mut BootInfo, mem: &impl PhysRead, info: u64) -> Result<(), BootInfoError> {
    let fixed: [u8; 8] = read_array(mem, info)?;
    let total_size = u64::from(u32_at(&fixed, 0));
    if total_size < 2 * TAG_HEADER_LEN {
        return Err(BootInfoError::Malformed(
            "total_size too small for an end tag",
        ));
    }
    if total_size > MAX_TOTAL_SIZE {
        return Err(BootInfoError::Malformed("total_size implausibly large"));
    }
    offset_address(info, total_size)?;
    boot_info.protocol = BootProtocol::Multiboot2;

    let mut saw_memory_map = false;
    let mut saw_module = false;
    let mut rsdp_v2 = None;
    let mut rsdp_v1 = None;
    let mut offset = TAG_HEADER_LEN;
    loop {
        if offset + TAG_HEADER_LEN > total_size {
            return Err(BootInfoError::Malformed(
                "tags run past total_size without an end tag",
            ));
        }
        let phys = info + offset;
        let header: [u8; 8] = read_array(mem, phys)?;
        let tag_type = u32_at(&header, 0);
        let tag = Tag {
            phys,
            size: u64::from(u32_at(&header, 4)),
        };
        if tag.size < TAG_HEADER_LEN || offset + tag.size > total_size {
            return Err(BootInfoError::Malformed("tag size out of bounds"));
        }
        match tag_type {
            TAG_END => break,
            TAG_CMDLINE => read_cmdline(boot_info, mem, tag)?,
            TAG_LOADER_NAME => {
                boot_info
                    .loader_name
                    .read_c_string(mem, tag.body()?, tag.body_len())?;
                boot_info.loader_name.keep_valid_prefix();
            }
            TAG_MODULE if !saw_module => {
                saw_module = true;
                boot_info.initrd = read_module(mem, tag)?;
            }
            TAG_MEMORY_MAP => {
                saw_memory_map = true;
                read_memory_map(boot_info, mem, tag)?;
            }
            TAG_FRAMEBUFFER => boot_info.framebuffer = Some(read_framebuffer(mem, tag)?),
            TAG_RSDP_V1 => {
                tag.require(TAG_HEADER_LEN + RSDP_V1_LEN, "ACPI old RSDP tag too short")?;
                rsdp_v1 = Some(tag.body()?);
            }
            TAG_RSDP_V2 => {
                tag.require(TAG_HEADER_LEN + RSDP_V2_LEN, "ACPI new RSDP tag too short")?;
                rsdp_v2 = Some(tag.body()?);
            }
            _ => {}
        }
        // Bounded by total_size above, so neither step can overflow.
        offset = (offset + tag.size).next_multiple_of(TAG_ALIGNMENT);
    }
    if !saw_memory_map {
        return Err(BootInfoError::MissingMemoryMap);
    }
    boot_info.rsdp = rsdp_v2.or(rsdp_v1);
    Ok(())
}

fn read_cmdline(
    boot_info: &mut BootInfo,
    mem: &impl PhysRead,
    tag: Tag,
) -> Result<(), BootInfoError> {
    if boot_info
        .cmdline
        .read_c_string(mem, tag.body()?, tag.body_len())?
        == StringEnd::Truncated
    {
        return Err(BootInfoError::CmdlineTooLong);
    }
    if !boot_info.cmdline.validate() {
        return Err(BootInfoError::CmdlineNotUtf8);
    }
    Ok(())
}

fn read_module(mem: &impl PhysRead, tag: Tag) -> Result<Option<(u64, u64)>, BootInfoError> {
    tag.require(MODULE_TAG_LEN, "module tag too short")?;
    let bounds: [u8; 8] = read_array(mem, tag.body()?)?;
    let start = u64::from(u32_at(&bounds, 0));
    let end = u64::from(u32_at(&bounds, 4));
    if end < start {
        return Err(BootInfoError::Malformed("module ends before it starts"));
    }
    Ok((end > start).then_some((start, end)))
}

fn read_memory_map(
    boot_info: &mut BootInfo,
    mem: &impl PhysRead,
    tag: Tag,
) -> Result<(), BootInfoError> {
    tag.require(MEMORY_MAP_HEADER_LEN, "memory map tag too short")?;
    let layout: [u8; 8] = read_array(mem, tag.body()?)?;
    let entry_size = u64::from(u32_at(&layout, 0));
    // Later versions may append fields, so only a too-small stride is an error.
    if entry_size < MEMORY_MAP_ENTRY_LEN {
        return Err(BootInfoError::Malformed("memory map entry_size too small"));
    }
    let count = (tag.size - MEMORY_MAP_HEADER_LEN) / entry_size;
    if count > MAX_RAW_REGIONS as u64 {
        return Err(BootInfoError::TooManyRegions);
    }
    let entries = offset_address(tag.phys, MEMORY_MAP_HEADER_LEN)?;
    for index in 0..count {
        let entry: [u8; MEMORY_MAP_ENTRY_LEN as usize] =
            read_array(mem, offset_address(entries, index * entry_size)?)?;
        let kind = RegionKind::from_e820(u32_at(&entry, 16));
        boot_info
            .memory
            .add(u64_at(&entry, 0), u64_at(&entry, 8), kind)?;
    }
    Ok(())
}

fn read_framebuffer(mem: &impl PhysRead, tag: Tag) -> Result<Framebuffer, BootInfoError> {
    tag.require(FRAMEBUFFER_TAG_LEN, "framebuffer tag too short")?;
    let fields: [u8; FRAMEBUFFER_RGB_TAG_LEN as usize] = if tag.size >= FRAMEBUFFER_RGB_TAG_LEN {
        read_array(mem, tag.phys)?
    } else {
        let mut padded = [0u8; FRAMEBUFFER_RGB_TAG_LEN as usize];
        let common: [u8; FRAMEBUFFER_TAG_LEN as usize] = read_array(mem, tag.phys)?;
        padded[..FRAMEBUFFER_TAG_LEN as usize].copy_from_slice(&common);
        padded
    };
    let field = |at: usize| ColorField {
        position: u8_at(&fields, at),
        size: u8_at(&fields, at + 1),
    };
    let format = match u8_at(&fields, 29) {
        0 => FramebufferFormat::Indexed,
        1 => {
            tag.require(
                FRAMEBUFFER_RGB_TAG_LEN,
                "RGB framebuffer tag lacks colour info",
            )?;
            FramebufferFormat::Rgb {
                red: field(32),
                green: field(34),
                blue: field(36),
            }
        }
        2 => FramebufferFormat::EgaText,
        other => FramebufferFormat::Unknown(other),
    };
    Ok(Framebuffer {
        phys: u64_at(&fields, 8),
        pitch: u32_at(&fields, 16),
        width: u32_at(&fields, 20),
        height: u32_at(&fields, 24),
        bpp: u8_at(&fields, 28),
        format,
    })
}
