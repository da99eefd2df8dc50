//! Lookup tests on tables made by the test encoder, plus garbage tables.

use std::string::ToString;
use std::vec;
use std::vec::Vec;

use crate::test_encoder::encode;
use crate::{lookup, KsymTable, Symbol, TableError};

fn sample() -> Vec<u8> {
    encode(&[
        (0x1000, 0x10, "a"),
        (0x1010, 0x20, "basalt_kernel::arch::x86_64::idt::page_fault"),
        (0x1100, 0, "isr_common"),
        (0x2000, 0x8, "c"),
    ])
}

#[test]
fn finds_start_middle_and_last_byte() {
    let table = sample();
    assert_eq!(lookup(&table, 0x1000), Some(("a", 0)));
    assert_eq!(lookup(&table, 0x1008), Some(("a", 8)));
    assert_eq!(lookup(&table, 0x100f), Some(("a", 0xf)));
    assert_eq!(
        lookup(&table, 0x1010),
        Some(("basalt_kernel::arch::x86_64::idt::page_fault", 0))
    );
    assert_eq!(lookup(&table, 0x2007), Some(("c", 7)));
}

#[test]
fn gaps_after_sized_symbols_find_nothing() {
    let table = sample();
    assert_eq!(lookup(&table, 0x1030), None);
    assert_eq!(lookup(&table, 0x10ff), None);
    assert_eq!(lookup(&table, 0x2008), None);
    assert_eq!(lookup(&table, u64::MAX), None);
    assert_eq!(lookup(&table, 0xfff), None);
    assert_eq!(lookup(&table, 0), None);
}

#[test]
fn unknown_size_reaches_next_symbol() {
    let table = sample();
    assert_eq!(lookup(&table, 0x1100), Some(("isr_common", 0)));
    assert_eq!(lookup(&table, 0x1fff), Some(("isr_common", 0xeff)));
}

#[test]
fn extreme_addresses() {
    let table = encode(&[(0, 0, "zero"), (u64::MAX, 1, "top")]);
    assert_eq!(lookup(&table, 0), Some(("zero", 0)));
    assert_eq!(lookup(&table, u64::MAX - 1), Some(("zero", u64::MAX - 1)));
    assert_eq!(lookup(&table, u64::MAX), Some(("top", 0)));
}

#[test]
fn table_view_lists_symbols() {
    let bytes = sample();
    let table = KsymTable::parse(&bytes).unwrap();
    assert_eq!(table.len(), 4);
    assert!(!table.is_empty());
    assert_eq!(
        table.symbol(2),
        Some(Symbol {
            start: 0x1100,
            size: 0,
            name: Some("isr_common")
        })
    );
    assert_eq!(table.symbol(4), None);
    let starts: Vec<u64> = table.iter().map(|symbol| symbol.start).collect();
    assert_eq!(starts, vec![0x1000, 0x1010, 0x1100, 0x2000]);
}

#[test]
fn empty_and_zeroed_tables() {
    let empty = encode(&[]);
    assert!(KsymTable::parse(&empty).unwrap().is_empty());
    assert_eq!(lookup(&empty, 0x1000), None);
    let zeroed = vec![0u8; 256 * 1024];
    assert_eq!(KsymTable::parse(&zeroed).err(), Some(TableError::BadMagic));
    assert_eq!(lookup(&zeroed, 0), None);
    // Trailing zeros after a real table (the rest of the section) are fine.
    let mut padded = sample();
    padded.resize(4096, 0);
    assert_eq!(lookup(&padded, 0x1001), Some(("a", 1)));
}

#[test]
fn header_errors() {
    assert_eq!(KsymTable::parse(b"KSYM").err(), Some(TableError::TooShort));
    let mut table = sample();
    table[0] = b'X';
    assert_eq!(KsymTable::parse(&table).err(), Some(TableError::BadMagic));
    let mut table = sample();
    table[4] = 2;
    assert_eq!(
        KsymTable::parse(&table).err(),
        Some(TableError::UnsupportedVersion { version: 2 })
    );
    let mut table = sample();
    table[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(KsymTable::parse(&table).err(), Some(TableError::Truncated));
    let mut table = sample();
    table[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(KsymTable::parse(&table).err(), Some(TableError::Truncated));
    let table = sample();
    assert_eq!(
        KsymTable::parse(&table[..table.len() - 1]).err(),
        Some(TableError::Truncated)
    );
}

#[test]
fn bad_names_give_no_name() {
    let mut table = sample();
    // Entry 0's name offset points past the blob.
    table[16 + 12..16 + 16].copy_from_slice(&9999u32.to_le_bytes());
    assert_eq!(lookup(&table, 0x1000), None);
    // Invalid UTF-8 in entry 0's name ("a" is the first blob byte).
    let mut table = sample();
    let blob = 16 + 4 * 16;
    table[blob] = 0xff;
    assert_eq!(lookup(&table, 0x1000), None);
    // Other symbols still work.
    assert_eq!(lookup(&table, 0x2000), Some(("c", 0)));
}

#[test]
fn errors_display() {
    let errors = [
        TableError::TooShort,
        TableError::BadMagic,
        TableError::UnsupportedVersion { version: 9 },
        TableError::Truncated,
    ];
    let mut texts: Vec<_> = errors.iter().map(ToString::to_string).collect();
    texts.sort();
    texts.dedup();
    assert_eq!(texts.len(), errors.len());
}

#[test]
fn truncation_at_every_length_never_panics() {
    let table = sample();
    for len in 0..=table.len() {
        for addr in [0, 0x1000, 0x1011, 0x1500, 0x2000, u64::MAX] {
            let _ = lookup(&table[..len], addr);
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
}

#[test]
fn garbage_tables_never_panic() {
    let mut rng = Rng(0xdead_beef_cafe_f00d);
    for round in 0..20_000 {
        let len = (rng.next() % 300) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        // Half the time make the header plausible so lookups go deeper.
        if round % 2 == 0 && len >= 16 {
            bytes[..8].copy_from_slice(b"KSYM\x01\x00\x00\x00");
            let count = (rng.next() % 20) as u32;
            bytes[8..12].copy_from_slice(&count.to_le_bytes());
            let names = (rng.next() % 64) as u32;
            bytes[12..16].copy_from_slice(&names.to_le_bytes());
        }
        for _ in 0..4 {
            let _ = lookup(&bytes, rng.next());
        }
        if let Ok(table) = KsymTable::parse(&bytes) {
            for symbol in table.iter() {
                let _ = table.lookup(symbol.start);
            }
        }
    }
}

#[test]
fn random_tables_match_linear_search() {
    let mut rng = Rng(42);
    for _ in 0..300 {
        let mut starts: Vec<u64> = (0..1 + rng.next() % 50)
            .map(|_| rng.next() % 0x10000)
            .collect();
        starts.sort_unstable();
        starts.dedup();
        let names: Vec<std::string::String> =
            (0..starts.len()).map(|i| std::format!("sym{i}")).collect();
        let symbols: Vec<(u64, u32, &str)> = starts
            .iter()
            .zip(&names)
            .map(|(&start, name)| (start, (rng.next() % 64) as u32, name.as_str()))
            .collect();
        let table = encode(&symbols);
        for _ in 0..200 {
            let addr = rng.next() % 0x10100;
            let expected = symbols
                .iter()
                .rev()
                .find(|symbol| symbol.0 <= addr)
                .filter(|symbol| symbol.1 == 0 || addr - symbol.0 < u64::from(symbol.1))
                .map(|symbol| (symbol.2, addr - symbol.0));
            assert_eq!(lookup(&table, addr), expected);
        }
    }
}
