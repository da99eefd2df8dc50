//! Tests for Multiboot2 information parsing.

use crate::test_support::{mb2_memory, Mb2Builder, Rng, MB2_BASE};
use crate::{
    parse_multiboot2, parse_multiboot2_into, BootInfo, BootInfoError, BootProtocol, ColorField,
    Framebuffer, FramebufferFormat, MemoryRegion, RegionKind,
};
use std::vec::Vec;

const MAP: [(u64, u64, u32); 4] = [
    (0, 0x9_F000, 1),
    (0x9_F000, 0x1000, 2),
    (0x10_0000, 0x3FF0_0000, 1),
    (0x3FFF_0000, 0x1_0000, 3),
];

fn framebuffer_body(kind: u8, color: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&0xFD00_0000u64.to_le_bytes());
    body.extend_from_slice(&4096u32.to_le_bytes());
    body.extend_from_slice(&1024u32.to_le_bytes());
    body.extend_from_slice(&768u32.to_le_bytes());
    body.extend_from_slice(&[32, kind, 0, 0]);
    body.extend_from_slice(color);
    body
}

fn with_map() -> Mb2Builder {
    let mut builder = Mb2Builder::new();
    builder.memory_map(24, &MAP);
    builder
}

fn parse(bytes: &[u8]) -> Result<BootInfo, BootInfoError> {
    parse_multiboot2(&mb2_memory(bytes), MB2_BASE)
}

#[test]
fn parses_grub_like_structure() {
    let mut builder = Mb2Builder::new();
    builder
        .string_tag(1, b"root=/dev/sda1 quiet")
        .string_tag(2, b"GRUB 2.12")
        .module(0x80_0000, 0x90_0000, "/boot/initrd.img")
        .module(0xA0_0000, 0xA0_1000, "second")
        .tag(4, &[0x7F, 2, 0, 0, 0x00, 0xFC, 0x0F, 0])
        .memory_map(24, &MAP)
        .tag(8, &framebuffer_body(1, &[16, 8, 8, 8, 0, 8]))
        .tag(14, &[b'R'; 20]);
    let rsdp_v2_tag = builder.next_offset();
    builder.tag(15, &[b'R'; 36]).tag(21, &[0; 4]);
    let info = parse(&builder.finish()).unwrap();

    assert_eq!(info.protocol(), BootProtocol::Multiboot2);
    assert_eq!(info.cmdline(), "root=/dev/sda1 quiet");
    assert_eq!(info.bootloader_name(), "GRUB 2.12");
    assert_eq!(info.initrd(), Some(0x80_0000..0x90_0000));
    assert_eq!(info.rsdp(), Some(MB2_BASE + rsdp_v2_tag + 8));
    assert_eq!(
        info.framebuffer(),
        Some(Framebuffer {
            phys: 0xFD00_0000,
            pitch: 4096,
            width: 1024,
            height: 768,
            bpp: 32,
            format: FramebufferFormat::Rgb {
                red: ColorField {
                    position: 16,
                    size: 8
                },
                green: ColorField {
                    position: 8,
                    size: 8
                },
                blue: ColorField {
                    position: 0,
                    size: 8
                },
            },
        })
    );
    assert_eq!(
        info.memory_map(),
        [
            MemoryRegion {
                start: 0,
                len: 0x9_F000,
                kind: RegionKind::Usable
            },
            MemoryRegion {
                start: 0x9_F000,
                len: 0x1000,
                kind: RegionKind::Reserved
            },
            // The ACPI entry overlaps the end of the usable one and wins.
            MemoryRegion {
                start: 0x10_0000,
                len: 0x3FEF_0000,
                kind: RegionKind::Usable
            },
            MemoryRegion {
                start: 0x3FFF_0000,
                len: 0x1_0000,
                kind: RegionKind::AcpiReclaimable
            },
        ]
    );
}

#[test]
fn old_rsdp_is_used_when_it_is_the_only_copy() {
    let mut builder = with_map();
    let rsdp_tag = builder.next_offset();
    builder.tag(14, &[0; 20]);
    assert_eq!(
        parse(&builder.finish()).unwrap().rsdp(),
        Some(MB2_BASE + rsdp_tag + 8)
    );
    assert_eq!(parse(&with_map().finish()).unwrap().rsdp(), None);
    let mut short = with_map();
    short.tag(15, &[0; 20]);
    assert_eq!(
        parse(&short.finish()).unwrap_err(),
        BootInfoError::Malformed("ACPI new RSDP tag too short")
    );
}

#[test]
fn minimal_structure_has_defaults() {
    let info = parse(&with_map().finish()).unwrap();
    assert_eq!(info.cmdline(), "");
    assert_eq!(info.bootloader_name(), "");
    assert_eq!(info.initrd(), None);
    assert_eq!(info.framebuffer(), None);
}

#[test]
fn missing_memory_map_is_an_error() {
    let mut builder = Mb2Builder::new();
    builder.string_tag(1, b"x");
    assert_eq!(
        parse(&builder.finish()).unwrap_err(),
        BootInfoError::MissingMemoryMap
    );
}

#[test]
fn wider_memory_map_entries_are_strided_correctly() {
    let mut builder = Mb2Builder::new();
    builder.memory_map(40, &MAP);
    assert_eq!(parse(&builder.finish()).unwrap().memory_map().len(), 4);
    let mut narrow = Mb2Builder::new();
    narrow.memory_map(20, &MAP[..1]);
    assert_eq!(
        parse(&narrow.finish()).unwrap_err(),
        BootInfoError::Malformed("memory map entry_size too small")
    );
    let too_many: Vec<_> = (0..513u64).map(|i| (i * 0x1000, 0x1000, 1)).collect();
    let mut huge = Mb2Builder::new();
    huge.memory_map(24, &too_many);
    assert_eq!(
        parse(&huge.finish()).unwrap_err(),
        BootInfoError::TooManyRegions
    );
}

#[test]
fn structural_errors_are_detected() {
    assert_eq!(
        parse(&with_map().finish_without_end()).unwrap_err(),
        BootInfoError::Malformed("tags run past total_size without an end tag")
    );
    let mut tiny_tag = with_map();
    tiny_tag.raw_tag(1, 4, &[]);
    assert_eq!(
        parse(&tiny_tag.finish()).unwrap_err(),
        BootInfoError::Malformed("tag size out of bounds")
    );
    let mut long_tag = with_map();
    long_tag.raw_tag(1, 0x1000, b"abc\0");
    assert_eq!(
        parse(&long_tag.finish()).unwrap_err(),
        BootInfoError::Malformed("tag size out of bounds")
    );

    let mut bytes = with_map().finish();
    bytes[..4].copy_from_slice(&8u32.to_le_bytes());
    assert_eq!(
        parse(&bytes).unwrap_err(),
        BootInfoError::Malformed("total_size too small for an end tag")
    );
    bytes[..4].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(
        parse(&bytes).unwrap_err(),
        BootInfoError::Malformed("total_size implausibly large")
    );
    assert_eq!(
        parse_multiboot2(&mb2_memory(&[]), MB2_BASE).unwrap_err(),
        BootInfoError::Unreadable {
            phys: MB2_BASE,
            len: 8
        }
    );
    // total_size claims more than is readable.
    let mut short = with_map().finish();
    short.truncate(short.len() - 8);
    assert!(matches!(
        parse(&short).unwrap_err(),
        BootInfoError::Unreadable { .. }
    ));
}

#[test]
fn module_bounds_are_checked() {
    let mut backwards = with_map();
    backwards.module(0x2000, 0x1000, "");
    assert_eq!(
        parse(&backwards.finish()).unwrap_err(),
        BootInfoError::Malformed("module ends before it starts")
    );
    let mut empty = with_map();
    empty.module(0x2000, 0x2000, "");
    assert_eq!(parse(&empty.finish()).unwrap().initrd(), None);
    let mut short = with_map();
    short.tag(3, &[0; 4]);
    assert_eq!(
        parse(&short.finish()).unwrap_err(),
        BootInfoError::Malformed("module tag too short")
    );
}

#[test]
fn cmdline_rules() {
    let mut unterminated = with_map();
    unterminated.tag(1, b"no nul here");
    assert_eq!(
        parse(&unterminated.finish()).unwrap().cmdline(),
        "no nul here"
    );

    let mut too_long = with_map();
    too_long.string_tag(1, &[b'a'; 4097]);
    assert_eq!(
        parse(&too_long.finish()).unwrap_err(),
        BootInfoError::CmdlineTooLong
    );
    let mut exact = with_map();
    exact.string_tag(1, &[b'a'; 4096]);
    assert_eq!(parse(&exact.finish()).unwrap().cmdline().len(), 4096);

    let mut invalid = with_map();
    invalid.string_tag(1, b"\xE2\x82");
    assert_eq!(
        parse(&invalid.finish()).unwrap_err(),
        BootInfoError::CmdlineNotUtf8
    );
}

#[test]
fn loader_name_is_cut_at_a_character_boundary() {
    let mut long = with_map();
    long.string_tag(2, &[b'n'; 100]);
    assert_eq!(parse(&long.finish()).unwrap().bootloader_name().len(), 64);

    // 63 ASCII bytes then a two-byte character that would straddle the limit.
    let mut name = [b'n'; 63].to_vec();
    name.extend_from_slice("é".as_bytes());
    let mut straddling = with_map();
    straddling.string_tag(2, &name);
    assert_eq!(
        parse(&straddling.finish()).unwrap().bootloader_name().len(),
        63
    );

    let mut garbage = with_map();
    garbage.string_tag(2, b"ok\xFFrest");
    assert_eq!(parse(&garbage.finish()).unwrap().bootloader_name(), "ok");
}

#[test]
fn framebuffer_formats() {
    for (kind, expected) in [
        (0, FramebufferFormat::Indexed),
        (2, FramebufferFormat::EgaText),
        (9, FramebufferFormat::Unknown(9)),
    ] {
        let mut builder = with_map();
        builder.tag(8, &framebuffer_body(kind, &[]));
        let framebuffer = parse(&builder.finish()).unwrap().framebuffer().unwrap();
        assert_eq!(framebuffer.format, expected);
        assert_eq!(
            (framebuffer.width, framebuffer.height, framebuffer.bpp),
            (1024, 768, 32)
        );
    }
    let mut rgb_without_colors = with_map();
    rgb_without_colors.tag(8, &framebuffer_body(1, &[]));
    assert_eq!(
        parse(&rgb_without_colors.finish()).unwrap_err(),
        BootInfoError::Malformed("RGB framebuffer tag lacks colour info")
    );
    let mut short = with_map();
    short.tag(8, &[0; 16]);
    assert_eq!(
        parse(&short.finish()).unwrap_err(),
        BootInfoError::Malformed("framebuffer tag too short")
    );
}

#[test]
fn parse_into_resets_on_error() {
    let mut info = BootInfo::empty();
    let mut good = with_map();
    good.string_tag(1, b"keep").module(1, 2, "");
    parse_multiboot2_into(&mut info, &mb2_memory(&good.finish()), MB2_BASE).unwrap();
    assert_eq!(info.cmdline(), "keep");
    let mut bad = with_map();
    bad.string_tag(1, b"x").module(5, 1, "");
    assert!(parse_multiboot2_into(&mut info, &mb2_memory(&bad.finish()), MB2_BASE).is_err());
    assert_eq!(info.protocol(), BootProtocol::None);
    assert_eq!(info.cmdline(), "");
    assert!(info.memory_map().is_empty());
}

#[test]
fn truncations_and_mutations_never_panic() {
    let mut builder = Mb2Builder::new();
    builder
        .string_tag(1, b"console=ttyS0")
        .string_tag(2, b"loader")
        .module(0x1000, 0x2000, "initrd")
        .memory_map(24, &MAP)
        .tag(8, &framebuffer_body(1, &[16, 8, 8, 8, 0, 8]))
        .tag(15, &[0; 36]);
    let full = builder.finish();
    for cut in 0..full.len() {
        assert!(parse(&full[..cut]).is_err(), "cut {cut}");
    }
    let mut rng = Rng(0x0123_4567_89AB_CDEF);
    for _ in 0..5_000 {
        let mut bytes = full.clone();
        for _ in 0..=rng.below(4) {
            let at = rng.below(bytes.len() as u64) as usize;
            bytes[at] = rng.next() as u8;
        }
        if let Ok(info) = parse(&bytes) {
            assert!(info.cmdline().len() <= 4096);
            assert!(info
                .memory_map()
                .windows(2)
                .all(|pair| pair[0].end() <= pair[1].start));
        }
    }
}
