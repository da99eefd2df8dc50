//! Tests of the `build` feature: encoding, ELF symbol collection, embedding.

use std::string::{String, ToString};
use std::vec;
use std::vec::Vec;

use object::write::{Object, StandardSection, Symbol as WriteSymbol, SymbolSection};
use object::{
    Architecture, BinaryFormat, Endianness, SectionKind, SymbolFlags, SymbolKind, SymbolScope,
};

use crate::encode::{encode_table, RawSymbol};
use crate::{build_table, embed, lookup, BuildError, EmbedReport, KsymTable};

const PAGE_FAULT_MANGLED: &str =
    "_ZN13basalt_kernel4arch6x86_643idt10page_fault17h0123456789abcdefE";
const PAGE_FAULT: &str = "basalt_kernel::arch::x86_64::idt::page_fault";

fn raw(start: u64, size: u64, name: &str) -> RawSymbol {
    RawSymbol {
        start,
        size,
        name: name.to_string(),
    }
}

#[test]
fn encode_sorts_dedups_and_round_trips() {
    let table = encode_table(vec![
        raw(0x3000, 0x10, "c"),
        raw(0x1000, 0, "label_at_a"),
        raw(0x1000, 0x40, "a"),
        raw(0x2000, 0, "b"),
        raw(0x1000, 0x40, "z_alias"),
    ])
    .unwrap();
    assert_eq!(table.symbols, 3);
    let bytes = table.bytes;
    assert_eq!(lookup(&bytes, 0x1000), Some(("a", 0)));
    assert_eq!(lookup(&bytes, 0x103f), Some(("a", 0x3f)));
    assert_eq!(lookup(&bytes, 0x1040), None);
    assert_eq!(lookup(&bytes, 0x2abc), Some(("b", 0xabc)));
    assert_eq!(lookup(&bytes, 0x300f), Some(("c", 0xf)));
    assert_eq!(lookup(&bytes, 0x3010), None);
}

#[test]
fn encode_shares_names_and_clamps_sizes() {
    let table = encode_table(vec![
        raw(0x1000, 8, "generic"),
        raw(0x2000, 8, "generic"),
        raw(0x3000, u64::MAX, "huge"),
    ])
    .unwrap()
    .bytes;
    let view = KsymTable::parse(&table).unwrap();
    assert_eq!(table.len(), 16 + 3 * 16 + "generic\0huge\0".len());
    assert_eq!(view.symbol(1).unwrap().name, Some("generic"));
    assert_eq!(view.symbol(2).unwrap().size, u32::MAX);
}

#[test]
fn encode_empty() {
    let table = encode_table(Vec::new()).unwrap();
    assert_eq!(table.symbols, 0);
    assert!(KsymTable::parse(&table.bytes).unwrap().is_empty());
}

fn symbol(
    name: &str,
    value: u64,
    size: u64,
    kind: SymbolKind,
    section: SymbolSection,
) -> WriteSymbol {
    WriteSymbol {
        name: name.as_bytes().to_vec(),
        value,
        size,
        kind,
        scope: SymbolScope::Linkage,
        weak: false,
        section,
        flags: SymbolFlags::None,
    }
}

/// How the test ELF provides `.ksyms`.
enum KsymsSection {
    Absent,
    Progbits(usize),
    Nobits(u64),
}

/// A relocatable x86-64 ELF (symbol values are section offsets, which is
/// all the builder reads) with a mix of symbols the builder must keep or drop.
fn test_elf(ksyms: KsymsSection) -> Vec<u8> {
    let mut obj = Object::new(BinaryFormat::Elf, Architecture::X86_64, Endianness::Little);
    let text = obj.section_id(StandardSection::Text);
    obj.append_section_data(text, &[0x90; 0x200], 16);
    let data = obj.section_id(StandardSection::Data);
    obj.append_section_data(data, &[0; 0x40], 8);
    let in_text = SymbolSection::Section(text);
    let in_data = SymbolSection::Section(data);
    // Kept: a sized Rust function, a v0-mangled one and an asm label.
    obj.add_symbol(symbol(
        PAGE_FAULT_MANGLED,
        0x10,
        0x20,
        SymbolKind::Text,
        in_text,
    ));
    obj.add_symbol(symbol(
        "_RNvNtCs1234_13basalt_kernel3irq7handler",
        0x40,
        0x30,
        SymbolKind::Text,
        in_text,
    ));
    obj.add_symbol(symbol("isr_common", 0x100, 0, SymbolKind::Label, in_text));
    // Dropped: an unsized label at a function's address (duplicate), a local
    // label, a zero-sized function, data, a data label, an undefined symbol.
    obj.add_symbol(symbol(
        "alias_of_page_fault",
        0x10,
        0,
        SymbolKind::Label,
        in_text,
    ));
    obj.add_symbol(symbol(".Llocal", 0x180, 0, SymbolKind::Label, in_text));
    obj.add_symbol(symbol("empty_fn", 0x1f0, 0, SymbolKind::Text, in_text));
    obj.add_symbol(symbol("some_data", 0, 8, SymbolKind::Data, in_data));
    obj.add_symbol(symbol("data_label", 8, 0, SymbolKind::Label, in_data));
    obj.add_symbol(symbol(
        "extern_fn",
        0,
        0,
        SymbolKind::Text,
        SymbolSection::Undefined,
    ));
    match ksyms {
        KsymsSection::Absent => {}
        KsymsSection::Progbits(len) => {
            let section = obj.add_section(Vec::new(), b".ksyms".to_vec(), SectionKind::Data);
            obj.append_section_data(section, &vec![0; len], 8);
        }
        KsymsSection::Nobits(len) => {
            let section = obj.add_section(
                Vec::new(),
                b".ksyms".to_vec(),
                SectionKind::UninitializedData,
            );
            obj.append_section_bss(section, len, 8);
        }
    }
    obj.write().unwrap()
}

fn check_kernel_symbols(table: &[u8]) {
    assert_eq!(KsymTable::parse(table).unwrap().len(), 3);
    assert_eq!(lookup(table, 0x10), Some((PAGE_FAULT, 0)));
    assert_eq!(lookup(table, 0x2f), Some((PAGE_FAULT, 0x1f)));
    assert_eq!(lookup(table, 0x30), None);
    assert_eq!(
        lookup(table, 0x45),
        Some(("basalt_kernel::irq::handler", 5))
    );
    assert_eq!(lookup(table, 0x1ff), Some(("isr_common", 0xff)));
}

#[test]
fn build_table_picks_function_symbols() {
    let table = build_table(&test_elf(KsymsSection::Absent)).unwrap();
    check_kernel_symbols(&table);
}

/// The file bytes of `.ksyms`, found independently with object's reader.
fn ksyms_bytes(elf: &[u8]) -> Vec<u8> {
    use object::{Object as _, ObjectSection as _};
    let file = object::File::parse(elf).unwrap();
    file.section_by_name(".ksyms")
        .unwrap()
        .data()
        .unwrap()
        .to_vec()
}

#[test]
fn embed_writes_table_into_section() {
    let mut elf = test_elf(KsymsSection::Progbits(4096));
    let report = embed(&mut elf).unwrap();
    let section = ksyms_bytes(&elf);
    assert_eq!(
        report,
        EmbedReport {
            symbols: 3,
            bytes_used: build_table(&elf).unwrap().len(),
            capacity: 4096,
        }
    );
    check_kernel_symbols(&section);
    assert!(section[report.bytes_used..].iter().all(|&byte| byte == 0));
    // Idempotent: embedding again changes nothing.
    let before = elf.clone();
    assert_eq!(embed(&mut elf).unwrap(), report);
    assert_eq!(elf, before);
}

#[test]
fn embed_errors_leave_file_unchanged() {
    let mut elf = test_elf(KsymsSection::Absent);
    let before = elf.clone();
    assert!(matches!(embed(&mut elf), Err(BuildError::MissingSection)));
    assert_eq!(elf, before);

    let mut elf = test_elf(KsymsSection::Nobits(4096));
    assert!(matches!(
        embed(&mut elf),
        Err(BuildError::SectionNotInFile { section_type: 8 })
    ));

    let mut elf = test_elf(KsymsSection::Progbits(32));
    let before = elf.clone();
    let needed = build_table(&elf).unwrap().len();
    match embed(&mut elf) {
        Err(BuildError::TableTooLarge {
            needed: reported,
            capacity: 32,
        }) => assert_eq!(reported, needed),
        other => panic!("expected TableTooLarge, got {other:?}"),
    }
    assert_eq!(elf, before);
}

#[test]
fn embed_rejects_section_outside_file() {
    let mut elf = test_elf(KsymsSection::Progbits(64));
    // Point .ksyms's sh_offset past the end of the file.
    let shoff = u64::from_le_bytes(elf[0x28..0x30].try_into().unwrap()) as usize;
    let shnum = u16::from_le_bytes(elf[0x3c..0x3e].try_into().unwrap()) as usize;
    let original = ksyms_bytes(&elf);
    let len = elf.len() as u64;
    let mut patched = false;
    for index in 0..shnum {
        let header = shoff + index * 64;
        let size = u64::from_le_bytes(elf[header + 32..header + 40].try_into().unwrap());
        let sh_type = u32::from_le_bytes(elf[header + 4..header + 8].try_into().unwrap());
        if size == 64 && sh_type == 1 && original.len() == 64 {
            elf[header + 24..header + 32].copy_from_slice(&(len - 8).to_le_bytes());
            patched = true;
        }
    }
    assert!(patched);
    assert!(matches!(
        embed(&mut elf),
        Err(BuildError::SectionOutsideFile)
    ));
}

#[test]
fn unreadable_or_stripped_elf() {
    assert!(matches!(
        build_table(b"not an elf"),
        Err(BuildError::Elf(_))
    ));
    assert!(matches!(build_table(&[]), Err(BuildError::Elf(_))));
    // A bare ELF64 header without sections: readable, but no .symtab.
    let mut header = vec![0u8; 64];
    header[..7].copy_from_slice(b"\x7fELF\x02\x01\x01");
    header[16] = 2; // ET_EXEC
    header[18] = 62; // EM_X86_64
    header[20] = 1; // EV_CURRENT
    header[52] = 64; // e_ehsize
    assert!(matches!(
        build_table(&header),
        Err(BuildError::NoSymbolTable)
    ));
    assert!(matches!(
        embed(&mut header),
        Err(BuildError::MissingSection)
    ));
}

#[test]
fn truncated_elf_never_panics() {
    let elf = test_elf(KsymsSection::Progbits(256));
    for len in (0..elf.len()).step_by(7) {
        let _ = build_table(&elf[..len]);
        let mut copy = elf[..len].to_vec();
        let _ = embed(&mut copy);
    }
}

#[test]
fn own_test_binary_symbolizes() {
    let Ok(path) = std::env::current_exe() else {
        return;
    };
    let Ok(elf) = std::fs::read(path) else {
        return;
    };
    let table = match build_table(&elf) {
        Ok(table) => table,
        // A stripped test binary has nothing to check.
        Err(BuildError::NoSymbolTable) => return,
        Err(other) => panic!("{other}"),
    };
    let view = KsymTable::parse(&table).unwrap();
    assert!(view.len() > 100);
    let names: Vec<String> = view
        .iter()
        .filter_map(|s| s.name.map(String::from))
        .collect();
    assert!(names.iter().any(|name| name.starts_with("basalt_ksyms::")));
    let has_hash = |name: &String| {
        name.rsplit_once("::h").is_some_and(|(_, hash)| {
            hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit())
        })
    };
    assert!(!names.iter().any(has_hash), "hash left in a name");
    let starts: Vec<u64> = view.iter().map(|s| s.start).collect();
    assert!(starts.windows(2).all(|pair| pair[0] < pair[1]));
}

#[test]
fn errors_display() {
    let elf_error = match build_table(b"junk") {
        Err(BuildError::Elf(error)) => error,
        other => panic!("expected an ELF error, got {other:?}"),
    };
    let errors = [
        BuildError::Elf(elf_error),
        BuildError::NoSymbolTable,
        BuildError::TooManySymbols { count: 1 << 33 },
        BuildError::NamesTooLarge { bytes: 1 << 33 },
        BuildError::MissingSection,
        BuildError::SectionNotInFile { section_type: 8 },
        BuildError::SectionOutsideFile,
        BuildError::TableTooLarge {
            needed: 300,
            capacity: 200,
        },
    ];
    let mut texts: Vec<String> = errors.iter().map(ToString::to_string).collect();
    texts.sort();
    texts.dedup();
    assert_eq!(texts.len(), errors.len());
    assert!(errors[7].to_string().contains("300") && errors[7].to_string().contains("200"));
}
