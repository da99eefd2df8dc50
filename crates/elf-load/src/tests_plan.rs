//! Tests for `plan`, on images made by `test_elf` and on host binaries.

use std::format;
use std::string::ToString;
use std::vec;
use std::vec::Vec;

use crate::test_elf::*;
use crate::{plan, ElfError, ElfKind, Segment, MAX_PROGRAM_HEADERS, PAGE_SIZE};

const PIE_BIAS: u64 = 0x5555_5555_4000;

fn plan_exec(builder: &ElfBuilder) -> Result<crate::LoadPlan, ElfError> {
    plan(&builder.build(), 0, USER_END)
}

fn plan_pie(builder: &ElfBuilder) -> Result<crate::LoadPlan, ElfError> {
    plan(&builder.build(), PIE_BIAS, USER_END)
}

#[test]
fn static_executable_plan() {
    let plan = plan_exec(&ElfBuilder::exec()).unwrap();
    assert_eq!(plan.kind, ElfKind::Executable);
    assert_eq!(plan.load_bias, 0);
    assert_eq!(plan.entry, 0x40_0100);
    assert_eq!(
        plan.segments,
        vec![
            Segment {
                vaddr: 0x40_0000,
                mem_size: 0x1000,
                file_offset: 0,
                file_size: 0x1000,
                readable: true,
                writable: false,
                executable: true,
                align: 0x1000,
            },
            Segment {
                vaddr: 0x40_1000,
                mem_size: 0x2000,
                file_offset: 0x1000,
                file_size: 0x100,
                readable: true,
                writable: true,
                executable: false,
                align: 0x1000,
            },
        ]
    );
    // No PT_PHDR: derived from the text segment, which holds file offset 64.
    assert_eq!(plan.phdr_vaddr, Some(0x40_0040));
    assert_eq!((plan.phent, plan.phnum), (56, 3));
    assert_eq!(plan.interpreter, None);
    assert!(!plan.executable_stack);
    assert_eq!(plan.highest_address, 0x40_3000);
}

#[test]
fn executable_ignores_bias() {
    let plan = plan(&ElfBuilder::exec().build(), PIE_BIAS, USER_END).unwrap();
    assert_eq!(plan.load_bias, 0);
    assert_eq!(plan.entry, 0x40_0100);
}

#[test]
fn pie_is_biased_and_has_interpreter() {
    let plan = plan_pie(&ElfBuilder::pie()).unwrap();
    assert_eq!(plan.kind, ElfKind::SharedObject);
    assert_eq!(plan.load_bias, PIE_BIAS);
    assert_eq!(plan.entry, PIE_BIAS + 0x1010);
    let starts: Vec<u64> = plan.segments.iter().map(|s| s.vaddr).collect();
    assert_eq!(starts, vec![PIE_BIAS, PIE_BIAS + 0x1000]);
    assert_eq!(plan.phdr_vaddr, Some(PIE_BIAS + 64));
    assert_eq!(plan.interpreter.as_deref(), Some("/lib/ld.so"));
    assert_eq!(plan.highest_address, PIE_BIAS + 0x2000);
}

#[test]
fn pie_without_bias_would_map_page_zero() {
    assert_eq!(
        plan(&ElfBuilder::pie().build(), 0, USER_END),
        Err(ElfError::OutsideUserRange {
            start: 0,
            end: 0x300
        })
    );
}

#[test]
fn declared_phdr_wins_over_derived() {
    let mut builder = ElfBuilder::exec();
    builder
        .phdrs
        .push(Phdr::other(PT_PHDR, PF_R, 64, 0x40_0abc, 56 * 4));
    assert_eq!(plan_exec(&builder).unwrap().phdr_vaddr, Some(0x40_0abc));
}

#[test]
fn phdr_derived_from_load_with_offset() {
    // The table sits at file offset 0x1010, inside the data segment.
    let mut builder = ElfBuilder::exec();
    builder.phoff = 0x1010;
    builder.file_len = 0x1100;
    assert_eq!(plan_exec(&builder).unwrap().phdr_vaddr, Some(0x40_1010));
}

#[test]
fn phdr_unknown_when_table_is_not_loaded() {
    let mut builder = ElfBuilder::exec();
    builder.phoff = 0x1100;
    builder.file_len = 0x1200;
    assert_eq!(plan_exec(&builder).unwrap().phdr_vaddr, None);
}

#[test]
fn gnu_stack_flags() {
    let mut builder = ElfBuilder::exec();
    builder.phdrs[2].flags = PF_R | PF_W | PF_X;
    assert!(plan_exec(&builder).unwrap().executable_stack);
    builder.phdrs.pop();
    assert!(!plan_exec(&builder).unwrap().executable_stack);
}

#[test]
fn empty_load_segments_are_dropped() {
    let mut builder = ElfBuilder::exec();
    builder.phdrs.push(Phdr::load(PF_R, 0, 0x50_0000, 0, 0));
    assert_eq!(plan_exec(&builder).unwrap().segments.len(), 2);
}

#[test]
fn segments_are_sorted_and_may_touch() {
    let mut builder = ElfBuilder::exec();
    builder.phdrs.swap(0, 1);
    let plan = plan_exec(&builder).unwrap();
    assert_eq!(plan.segments[0].vaddr, 0x40_0000);
    assert_eq!(plan.segments[0].end(), plan.segments[1].vaddr);
}

#[test]
fn interpreter_uses_c_string_up_to_first_nul() {
    let mut builder = ElfBuilder::pie();
    builder.blobs[0].1 = b"/a\0junk\0".to_vec();
    builder.phdrs[1].filesz = 8;
    assert_eq!(
        plan_pie(&builder).unwrap().interpreter.as_deref(),
        Some("/a")
    );
}

fn pie_with_interp(bytes: &[u8], filesz: u64) -> Result<crate::LoadPlan, ElfError> {
    let mut builder = ElfBuilder::pie();
    builder.blobs[0].1 = bytes.to_vec();
    builder.phdrs[1].filesz = filesz;
    plan_pie(&builder)
}

#[test]
fn interpreter_errors() {
    assert_eq!(
        pie_with_interp(b"/lib/ld.so", 10),
        Err(ElfError::InterpreterNotTerminated)
    );
    assert_eq!(
        pie_with_interp(b"", 0),
        Err(ElfError::InterpreterNotTerminated)
    );
    assert_eq!(pie_with_interp(b"\0", 1), Err(ElfError::InterpreterInvalid));
    assert_eq!(
        pie_with_interp(b"/\xff\xfe\0", 4),
        Err(ElfError::InterpreterInvalid)
    );
    assert_eq!(
        pie_with_interp(b"/lib\0", 0x1000),
        Err(ElfError::InterpreterOutsideFile)
    );
    assert_eq!(
        pie_with_interp(b"/lib\0", 5000),
        Err(ElfError::InterpreterTooLong { len: 5000 })
    );
    let mut builder = ElfBuilder::pie();
    builder.phdrs[1].offset = u64::MAX - 2;
    builder.phdrs[1].filesz = 8;
    assert_eq!(plan_pie(&builder), Err(ElfError::InterpreterOutsideFile));
    let mut builder = ElfBuilder::pie();
    let interp = builder.phdrs[1];
    builder.phdrs.push(interp);
    assert_eq!(plan_pie(&builder), Err(ElfError::MultipleInterpreters));
}

#[test]
fn identification_errors() {
    assert_eq!(plan(&[], 0, USER_END), Err(ElfError::NotElf));
    assert_eq!(plan(b"\x7fEL", 0, USER_END), Err(ElfError::NotElf));
    assert_eq!(plan(b"MZ\x90\x00\x03", 0, USER_END), Err(ElfError::NotElf));
    assert_eq!(
        plan(b"\x7fELF", 0, USER_END),
        Err(ElfError::TruncatedHeader)
    );
    assert_eq!(
        plan(b"\x7fELF\x02", 0, USER_END),
        Err(ElfError::TruncatedHeader)
    );
    let image = ElfBuilder::exec().build();
    assert_eq!(
        plan(&image[..63], 0, USER_END),
        Err(ElfError::TruncatedHeader)
    );
    let mut builder = ElfBuilder::exec();
    builder.class = 1;
    assert_eq!(plan_exec(&builder), Err(ElfError::Not64Bit));
    let mut builder = ElfBuilder::exec();
    builder.data = 2;
    assert_eq!(plan_exec(&builder), Err(ElfError::NotLittleEndian));
    let mut builder = ElfBuilder::exec();
    builder.machine = 183;
    assert_eq!(
        plan_exec(&builder),
        Err(ElfError::NotX86_64 { machine: 183 })
    );
    let mut builder = ElfBuilder::exec();
    builder.e_type = 1;
    assert_eq!(
        plan_exec(&builder),
        Err(ElfError::UnsupportedType { elf_type: 1 })
    );
}

#[test]
fn program_header_table_errors() {
    let mut builder = ElfBuilder::exec();
    builder.phentsize = 64;
    assert_eq!(
        plan_exec(&builder),
        Err(ElfError::BadProgramHeaderSize { size: 64 })
    );
    let mut builder = ElfBuilder::exec();
    builder.phnum = Some(MAX_PROGRAM_HEADERS + 1);
    assert_eq!(
        plan_exec(&builder),
        Err(ElfError::TooManyProgramHeaders {
            count: 65,
            limit: 64
        })
    );
    let mut builder = ElfBuilder::exec();
    builder.phoff = 0x10f0;
    let mut image = builder.build();
    image.truncate(0x1100);
    assert_eq!(
        plan(&image, 0, USER_END),
        Err(ElfError::ProgramHeadersOutsideFile)
    );
    let mut builder = ElfBuilder::exec();
    builder.phoff = u64::MAX - 8;
    assert_eq!(
        plan_exec(&builder),
        Err(ElfError::ProgramHeadersOutsideFile)
    );
    let mut builder = ElfBuilder::exec();
    builder.phnum = Some(0);
    assert_eq!(plan_exec(&builder), Err(ElfError::NoLoadSegment));
}

#[test]
fn no_load_segment() {
    let mut builder = ElfBuilder::exec();
    builder.phdrs.drain(..2);
    assert_eq!(plan_exec(&builder), Err(ElfError::NoLoadSegment));
    let mut builder = ElfBuilder::exec();
    builder.phdrs = vec![Phdr::load(PF_R | PF_X, 0, 0x40_0000, 0, 0)];
    assert_eq!(plan_exec(&builder), Err(ElfError::NoLoadSegment));
}

#[test]
fn segment_file_errors() {
    let mut builder = ElfBuilder::exec();
    builder.phdrs[1].filesz = 0x101;
    assert_eq!(
        plan_exec(&builder),
        Err(ElfError::SegmentOutsideFile { index: 1 })
    );
    let mut builder = ElfBuilder::exec();
    builder.phdrs[1].offset = u64::MAX - 0x10;
    builder.phdrs[1].vaddr = u64::MAX - 0x10;
    assert_eq!(
        plan_exec(&builder),
        Err(ElfError::SegmentOutsideFile { index: 1 })
    );
    let mut builder = ElfBuilder::exec();
    builder.phdrs[1].memsz = 0xff;
    assert_eq!(
        plan_exec(&builder),
        Err(ElfError::FileSizeExceedsMemSize { index: 1 })
    );
    let mut builder = ElfBuilder::exec();
    builder.phdrs[1].vaddr += 8;
    assert_eq!(
        plan_exec(&builder),
        Err(ElfError::MisalignedSegment { index: 1 })
    );
}

#[test]
fn address_errors() {
    let mut builder = ElfBuilder::exec();
    builder.phdrs[1].vaddr = u64::MAX - 0xfff;
    assert_eq!(plan_exec(&builder), Err(ElfError::AddressOverflow));
    let mut builder = ElfBuilder::exec();
    builder.phdrs[1].vaddr = 0xffff_ffff_ffff_f000;
    builder.phdrs[1].memsz = 0x1000;
    assert_eq!(plan_exec(&builder), Err(ElfError::AddressOverflow));
    let mut builder = ElfBuilder::pie();
    builder.phdrs[3].vaddr = 0xffff_ffff_ffff_f000;
    builder.phdrs[3].offset = 0;
    assert_eq!(plan_pie(&builder), Err(ElfError::AddressOverflow));
    let mut builder = ElfBuilder::pie();
    builder.phdrs[0].vaddr = u64::MAX - 8;
    assert_eq!(plan_pie(&builder), Err(ElfError::AddressOverflow));
    let mut builder = ElfBuilder::pie();
    builder.entry = u64::MAX - 8;
    assert_eq!(plan_pie(&builder), Err(ElfError::AddressOverflow));
    assert_eq!(
        plan(&ElfBuilder::pie().build(), 0x1234, USER_END),
        Err(ElfError::MisalignedBias { bias: 0x1234 })
    );
}

#[test]
fn user_range_errors() {
    let mut builder = ElfBuilder::exec();
    builder.phdrs[0].vaddr = 0;
    builder.entry = 0x100;
    assert_eq!(
        plan_exec(&builder),
        Err(ElfError::OutsideUserRange {
            start: 0,
            end: 0x1000
        })
    );
    // The last page is rounded out: ending 1 byte into a page past user_end.
    let mut builder = ElfBuilder::exec();
    builder.phdrs[1].vaddr = USER_END - 0x1000;
    builder.phdrs[1].memsz = 0x1001;
    assert_eq!(
        plan_exec(&builder),
        Err(ElfError::OutsideUserRange {
            start: USER_END - 0x1000,
            end: USER_END + 1
        })
    );
    builder.phdrs[1].memsz = 0x1000;
    assert_eq!(plan_exec(&builder).unwrap().highest_address, USER_END);
    assert!(matches!(
        plan(&ElfBuilder::exec().build(), 0, 0x40_2000),
        Err(ElfError::OutsideUserRange { .. })
    ));
}

#[test]
fn overlap_error() {
    let mut builder = ElfBuilder::exec();
    builder.phdrs[0].memsz = 0x1001;
    assert_eq!(
        plan_exec(&builder),
        Err(ElfError::OverlappingSegments {
            first_vaddr: 0x40_0000,
            second_vaddr: 0x40_1000
        })
    );
}

#[test]
fn entry_errors() {
    let mut builder = ElfBuilder::exec();
    builder.entry = 0x40_1010;
    assert_eq!(
        plan_exec(&builder),
        Err(ElfError::EntryNotExecutable { entry: 0x40_1010 })
    );
    builder.entry = 0x40_1000;
    assert!(matches!(
        plan_exec(&builder),
        Err(ElfError::EntryNotExecutable { .. })
    ));
    builder.entry = 0x10;
    assert!(matches!(
        plan_exec(&builder),
        Err(ElfError::EntryNotExecutable { .. })
    ));
}

#[test]
fn every_error_displays() {
    let errors = [
        ElfError::NotElf,
        ElfError::Not64Bit,
        ElfError::NotLittleEndian,
        ElfError::TruncatedHeader,
        ElfError::NotX86_64 { machine: 3 },
        ElfError::UnsupportedType { elf_type: 1 },
        ElfError::BadProgramHeaderSize { size: 1 },
        ElfError::TooManyProgramHeaders {
            count: 99,
            limit: 64,
        },
        ElfError::ProgramHeadersOutsideFile,
        ElfError::NoLoadSegment,
        ElfError::SegmentOutsideFile { index: 1 },
        ElfError::FileSizeExceedsMemSize { index: 1 },
        ElfError::AddressOverflow,
        ElfError::OutsideUserRange { start: 0, end: 1 },
        ElfError::OverlappingSegments {
            first_vaddr: 1,
            second_vaddr: 2,
        },
        ElfError::MisalignedSegment { index: 2 },
        ElfError::MisalignedBias { bias: 3 },
        ElfError::InterpreterOutsideFile,
        ElfError::InterpreterNotTerminated,
        ElfError::InterpreterInvalid,
        ElfError::InterpreterTooLong { len: 5000 },
        ElfError::MultipleInterpreters,
        ElfError::EntryNotExecutable { entry: 4 },
    ];
    let mut texts: Vec<_> = errors.iter().map(ToString::to_string).collect();
    assert!(texts.iter().all(|text| !text.is_empty()));
    texts.sort();
    texts.dedup();
    assert_eq!(texts.len(), errors.len());
    assert_eq!(
        format!("{}", ElfError::NotX86_64 { machine: 40 }),
        "ELF machine 40 is not x86_64"
    );
}

#[test]
fn truncation_at_every_length_never_panics() {
    for image in [ElfBuilder::exec().build(), ElfBuilder::pie().build()] {
        for len in 0..image.len() {
            let _ = plan(&image[..len], PIE_BIAS, USER_END);
        }
    }
}

/// xorshift64*: small deterministic PRNG for the stress tests.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }
}

#[test]
fn random_corruption_never_panics() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let originals = [ElfBuilder::exec().build(), ElfBuilder::pie().build()];
    let mut accepted = 0;
    for round in 0..20_000 {
        let mut image = originals[round % 2].clone();
        // Corrupt mostly the header and program headers, where parsing happens.
        for _ in 0..1 + rng.below(4) {
            let span = if rng.below(4) == 0 {
                image.len()
            } else {
                64 + 56 * 4
            };
            let at = rng.below(span);
            image[at] = rng.next() as u8;
        }
        let bias = if rng.below(8) == 0 {
            rng.next()
        } else {
            PIE_BIAS
        };
        let user_end = if rng.below(8) == 0 {
            rng.next()
        } else {
            USER_END
        };
        if let Ok(plan) = plan(&image, bias, user_end) {
            accepted += 1;
            assert!(!plan.segments.is_empty());
            for segment in &plan.segments {
                assert!(segment.vaddr >= PAGE_SIZE && segment.end() <= user_end);
                assert!(segment.file_size <= segment.mem_size);
                assert!(segment.file_offset + segment.file_size <= image.len() as u64);
            }
            assert!(plan.highest_address <= user_end);
        }
    }
    assert!(accepted > 0);
}

#[test]
fn host_binaries_plan_when_present() {
    let candidates = [
        "/bin/busybox",
        "/bin/ls",
        "/lib64/ld-linux-x86-64.so.2",
        "/bin/sh",
    ];
    for path in candidates {
        let Ok(image) = std::fs::read(path) else {
            continue;
        };
        let plan =
            plan(&image, PIE_BIAS, USER_END).unwrap_or_else(|error| panic!("{path}: {error}"));
        assert!(plan.phdr_vaddr.is_some(), "{path}");
        assert!(plan.segments.iter().any(|s| s.executable), "{path}");
        assert!(!plan.executable_stack, "{path}");
        if path.contains("ld-linux") {
            assert_eq!(plan.interpreter, None);
        }
        if path == "/bin/ls" {
            assert_eq!(
                plan.interpreter.as_deref(),
                Some("/lib64/ld-linux-x86-64.so.2")
            );
            assert_eq!(plan.phdr_vaddr, Some(PIE_BIAS + 64));
        }
    }
}

#[test]
fn plan_from_head_matches_plan_of_the_whole_file() {
    let image = ElfBuilder::pie().build();
    let whole = plan(&image, PIE_BIAS, USER_END).unwrap();
    // Headers, program headers and PT_INTERP lie in the first 0x300 bytes; the second segment lies beyond.
    let head = &image[..0x300];
    let from_head = crate::plan_from_head(head, image.len() as u64, PIE_BIAS, USER_END).unwrap();
    assert_eq!(from_head, whole);
}

#[test]
fn plan_from_head_checks_segments_against_the_file_length() {
    let image = ElfBuilder::exec().build();
    // The text segment (0x1000 file bytes) fits a 0x1000-byte file; the data segment after it does not.
    let head = &image[..0x100];
    assert_eq!(
        crate::plan_from_head(head, 0x1000, 0, USER_END),
        Err(ElfError::SegmentOutsideFile { index: 1 })
    );
}

#[test]
fn plan_from_head_says_when_it_needs_more_of_the_file() {
    let image = ElfBuilder::pie().build();
    for cut in [10, 64, 100] {
        let error = crate::plan_from_head(&image[..cut], image.len() as u64, PIE_BIAS, USER_END)
            .unwrap_err();
        assert!(error.needs_more_of_file(), "cut at {cut}: {error:?}");
    }
    assert!(!ElfError::NotElf.needs_more_of_file());
    assert!(!ElfError::NoLoadSegment.needs_more_of_file());
}
