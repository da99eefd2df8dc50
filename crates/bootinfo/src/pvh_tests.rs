//! Tests for PVH start_info parsing.

use crate::test_support::{FakeMemory, PvhImage, PVH_MEMMAP, PVH_START_INFO};
use crate::{
    parse_pvh, parse_pvh_into, BootInfo, BootInfoError, BootProtocol, MemoryRegion, RegionKind,
};
use std::string::ToString;
use std::vec;
use std::vec::Vec;

fn region(start: u64, end: u64, kind: RegionKind) -> MemoryRegion {
    MemoryRegion {
        start,
        len: end - start,
        kind,
    }
}

#[test]
fn parses_qemu_like_start_info() {
    let info = parse_pvh(&PvhImage::qemu_like().build(), PVH_START_INFO).unwrap();
    assert_eq!(info.protocol(), BootProtocol::Pvh);
    assert_eq!(info.cmdline(), "console=ttyS0 quiet");
    assert_eq!(info.initrd(), Some(0x200_0000..0x212_3456));
    assert_eq!(info.rsdp(), Some(0xF_5A40));
    assert_eq!(info.framebuffer(), None);
    assert_eq!(info.bootloader_name(), "");
    assert_eq!(
        info.memory_map(),
        [
            region(0, 0x9_FC00, RegionKind::Usable),
            region(0x9_FC00, 0xA_0000, RegionKind::Reserved),
            region(0xF_0000, 0x10_0000, RegionKind::Reserved),
            region(0x10_0000, 0x7FE_0000, RegionKind::Usable),
            region(0x7FE_0000, 0x800_0000, RegionKind::Reserved),
            region(0xFFFC_0000, 0x1_0000_0000, RegionKind::Reserved),
        ]
    );
    assert_eq!(info.max_usable_address(), 0x7FE_0000);
}

#[test]
fn optional_fields_may_be_absent() {
    let image = PvhImage {
        cmdline: None,
        modules: vec![],
        rsdp: 0,
        ..PvhImage::qemu_like()
    };
    let info = parse_pvh(&image.build(), PVH_START_INFO).unwrap();
    assert_eq!(info.cmdline(), "");
    assert_eq!(info.initrd(), None);
    assert_eq!(info.rsdp(), None);

    let empty_module = PvhImage {
        modules: vec![(0x200_0000, 0)],
        ..PvhImage::qemu_like()
    };
    assert_eq!(
        parse_pvh(&empty_module.build(), PVH_START_INFO)
            .unwrap()
            .initrd(),
        None
    );
}

#[test]
fn newer_versions_are_accepted_and_version_zero_is_not() {
    let newer = PvhImage {
        version: 2,
        ..PvhImage::qemu_like()
    };
    assert!(parse_pvh(&newer.build(), PVH_START_INFO).is_ok());
    let old = PvhImage {
        version: 0,
        ..PvhImage::qemu_like()
    };
    assert_eq!(
        parse_pvh(&old.build(), PVH_START_INFO).unwrap_err(),
        BootInfoError::UnsupportedVersion(0)
    );
}

#[test]
fn bad_magic_is_rejected() {
    let image = PvhImage {
        magic: 0x1BAD_B002,
        ..PvhImage::qemu_like()
    };
    assert_eq!(
        parse_pvh(&image.build(), PVH_START_INFO).unwrap_err(),
        BootInfoError::BadMagic { found: 0x1BAD_B002 }
    );
}

#[test]
fn unreadable_structures_are_reported() {
    let mem = PvhImage::qemu_like().build();
    assert_eq!(
        parse_pvh(&mem, 0x1000).unwrap_err(),
        BootInfoError::Unreadable {
            phys: 0x1000,
            len: 8
        }
    );
    assert_eq!(
        parse_pvh(&mem, u64::MAX - 3).unwrap_err(),
        BootInfoError::AddressOverflow
    );
    // The memory map claims more entries than the readable memory holds.
    let image = PvhImage {
        memmap_entries: Some(100),
        ..PvhImage::qemu_like()
    };
    let mut mem = image.build();
    mem.bytes
        .truncate(usize::try_from(PVH_MEMMAP - PVH_START_INFO).unwrap() + 24 * 10);
    assert_eq!(
        parse_pvh(&mem, PVH_START_INFO).unwrap_err(),
        BootInfoError::Unreadable {
            phys: PVH_MEMMAP + 24 * 10,
            len: 24
        }
    );
}

#[test]
fn memory_map_limits_are_enforced() {
    let missing = PvhImage {
        memmap: vec![],
        ..PvhImage::qemu_like()
    };
    assert_eq!(
        parse_pvh(&missing.build(), PVH_START_INFO).unwrap_err(),
        BootInfoError::MissingMemoryMap
    );
    let too_many = PvhImage {
        memmap_entries: Some(513),
        ..PvhImage::qemu_like()
    };
    assert_eq!(
        parse_pvh(&too_many.build(), PVH_START_INFO).unwrap_err(),
        BootInfoError::TooManyRegions
    );
    let overflow = PvhImage {
        memmap: vec![(u64::MAX - 10, 11, 1)],
        ..PvhImage::qemu_like()
    };
    assert_eq!(
        parse_pvh(&overflow.build(), PVH_START_INFO).unwrap_err(),
        BootInfoError::AddressOverflow
    );
    // 512 raw entries that sanitize to few regions are fine.
    let many: Vec<_> = (0..512u64).map(|i| (i * 0x1000, 0x1000, 1)).collect();
    let image = PvhImage {
        memmap: many,
        ..PvhImage::qemu_like()
    };
    let info = parse_pvh(&image.build(), PVH_START_INFO).unwrap();
    assert_eq!(
        info.memory_map(),
        [region(0, 0x20_0000, RegionKind::Usable)]
    );
}

#[test]
fn cmdline_length_and_encoding_are_checked() {
    let mut exact = vec![b'x'; 4096];
    exact.push(0);
    let image = PvhImage {
        cmdline: Some(exact),
        ..PvhImage::qemu_like()
    };
    assert_eq!(
        parse_pvh(&image.build(), PVH_START_INFO)
            .unwrap()
            .cmdline()
            .len(),
        4096
    );

    let mut long = vec![b'x'; 4097];
    long.push(0);
    let image = PvhImage {
        cmdline: Some(long),
        ..PvhImage::qemu_like()
    };
    assert_eq!(
        parse_pvh(&image.build(), PVH_START_INFO).unwrap_err(),
        BootInfoError::CmdlineTooLong
    );

    let image = PvhImage {
        cmdline: Some(b"a\xFFb\0".to_vec()),
        ..PvhImage::qemu_like()
    };
    assert_eq!(
        parse_pvh(&image.build(), PVH_START_INFO).unwrap_err(),
        BootInfoError::CmdlineNotUtf8
    );

    // A command line running into unreadable memory without a NUL.
    let mut mem = PvhImage::qemu_like().build();
    let tail = mem.bytes.len() - 4;
    mem.write_u64(PVH_START_INFO + 24, mem.base + tail as u64);
    mem.write(mem.base + tail as u64, b"abcd");
    assert!(matches!(
        parse_pvh(&mem, PVH_START_INFO).unwrap_err(),
        BootInfoError::Unreadable { len: 1, .. }
    ));
}

#[test]
fn module_overflow_is_rejected() {
    let image = PvhImage {
        modules: vec![(u64::MAX, 2)],
        ..PvhImage::qemu_like()
    };
    assert_eq!(
        parse_pvh(&image.build(), PVH_START_INFO).unwrap_err(),
        BootInfoError::AddressOverflow
    );
}

#[test]
fn parse_into_resets_on_error() {
    let mut info = BootInfo::empty();
    parse_pvh_into(&mut info, &PvhImage::qemu_like().build(), PVH_START_INFO).unwrap();
    assert!(!info.memory_map().is_empty());
    let bad = PvhImage {
        cmdline: Some(b"\xC3\0".to_vec()),
        ..PvhImage::qemu_like()
    };
    assert!(parse_pvh_into(&mut info, &bad.build(), PVH_START_INFO).is_err());
    assert_eq!(info.protocol(), BootProtocol::None);
    assert!(info.memory_map().is_empty());
    assert_eq!(info.cmdline(), "");
    assert_eq!(info.initrd(), None);
    assert_eq!(info.rsdp(), None);
}

#[test]
fn every_truncation_of_memory_fails_cleanly() {
    let full = PvhImage::qemu_like().build();
    for cut in 0..full.bytes.len() {
        let mem = FakeMemory {
            base: full.base,
            bytes: full.bytes[..cut].to_vec(),
        };
        if let Ok(info) = parse_pvh(&mem, PVH_START_INFO) {
            // Only possible once every structure that is read lies inside the cut.
            assert!(cut > 0x4000, "cut {cut:#x}");
            assert_eq!(info.cmdline(), "console=ttyS0 quiet");
        }
    }
}

#[test]
fn errors_display_meaningfully() {
    assert_eq!(
        BootInfoError::BadMagic { found: 1 }.to_string(),
        "boot info magic mismatch (found 0x00000001)"
    );
    assert_eq!(
        BootInfoError::Unreadable {
            phys: 0x1000,
            len: 8
        }
        .to_string(),
        "cannot read 8 bytes of boot info at 0x1000"
    );
}
