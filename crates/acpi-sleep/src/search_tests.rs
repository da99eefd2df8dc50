//! Tests for `find_s5` / `find_sleep_state` over hand-assembled AML.

use crate::{find_s5, find_sleep_state, sdt_body, AmlError, SleepType};
use std::vec;
use std::vec::Vec;

/// QEMU's DSDT encoding: `Name (_S5, Package (0x04) { Zero, Zero, Zero, Zero })`.
const QEMU_S5: [u8; 12] = [
    0x08, 0x5F, 0x53, 0x35, 0x5F, 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00,
];

/// Assembles `Name ([\]_Sx_, Package (count) { elements })` with a one-byte PkgLength.
fn name_package(root: bool, state: u8, count: u8, elements: &[u8]) -> Vec<u8> {
    let mut aml = vec![0x08];
    if root {
        aml.push(b'\\');
    }
    aml.extend_from_slice(&[b'_', b'S', b'0' + state, b'_', 0x12]);
    let pkg_length = u8::try_from(1 + 1 + elements.len()).unwrap();
    assert!(pkg_length < 0x40);
    aml.push(pkg_length);
    aml.push(count);
    aml.extend_from_slice(elements);
    aml
}

fn sleep(a: u16, b: u16) -> SleepType {
    SleepType {
        slp_typ_a: a,
        slp_typ_b: b,
    }
}

#[test]
fn decodes_qemu_s5_package() {
    assert_eq!(find_s5(&QEMU_S5), Ok(sleep(0, 0)));
}

#[test]
fn decodes_root_prefixed_byte_prefix_form() {
    // Name (\_S5, Package () { 0x05, 0x05, Zero, Zero }) as older firmware emits it.
    let aml = name_package(true, 5, 4, &[0x0A, 0x05, 0x0A, 0x05, 0x00, 0x00]);
    assert_eq!(find_s5(&aml), Ok(sleep(5, 5)));
}

#[test]
fn decodes_one_ones_word_dword_and_qword_elements() {
    let aml = name_package(false, 5, 2, &[0x01, 0x0B, 0x07, 0x00]);
    assert_eq!(find_s5(&aml), Ok(sleep(1, 7)));
    let aml = name_package(
        false,
        5,
        2,
        &[0x0C, 0x02, 0, 0, 0, 0x0E, 3, 0, 0, 0, 0, 0, 0, 0],
    );
    assert_eq!(find_s5(&aml), Ok(sleep(2, 3)));
}

#[test]
fn finds_object_inside_surrounding_aml_and_selects_state() {
    let mut aml = vec![
        0x10, 0x0C, b'\\', b'_', b'S', b'B', b'_', 0x14, 0x05, b'F', b'O', b'O',
    ];
    aml.extend(name_package(false, 3, 4, &[0x0A, 0x01, 0x0A, 0x01, 0, 0]));
    aml.extend(name_package(false, 4, 4, &[0x0A, 0x02, 0x0A, 0x02, 0, 0]));
    aml.extend(name_package(false, 5, 4, &[0x0A, 0x07, 0x0A, 0x06, 0, 0]));
    aml.extend_from_slice(&[0xA4, 0x00]);
    assert_eq!(find_sleep_state(&aml, 3), Ok(sleep(1, 1)));
    assert_eq!(find_sleep_state(&aml, 4), Ok(sleep(2, 2)));
    assert_eq!(find_s5(&aml), Ok(sleep(7, 6)));
    assert_eq!(find_sleep_state(&aml, 1), Err(AmlError::NotFound));
    assert_eq!(find_sleep_state(&aml, 6), Err(AmlError::InvalidState(6)));
}

#[test]
fn decodes_multi_byte_pkg_length() {
    // Two elements followed by padding Zero elements make a package longer than 63 bytes.
    let mut elements = vec![0x0A, 0x05, 0x0A, 0x04];
    elements.resize(100, 0x00);
    let body_len = 2 + 1 + elements.len(); // PkgLength (2 bytes) + NumElements + elements
    let mut aml = vec![0x08, b'_', b'S', b'5', b'_', 0x12];
    aml.push(0x40 | u8::try_from(body_len & 0x0F).unwrap());
    aml.push(u8::try_from(body_len >> 4).unwrap());
    aml.push(98);
    aml.extend_from_slice(&elements);
    assert_eq!(find_s5(&aml), Ok(sleep(5, 4)));
}

#[test]
fn single_element_package_is_legacy_packed_form() {
    let aml = name_package(false, 5, 1, &[0x0B, 0x05, 0x07]);
    assert_eq!(find_s5(&aml), Ok(sleep(5, 7)));
}

#[test]
fn missing_object_is_not_found() {
    assert_eq!(find_s5(&[]), Err(AmlError::NotFound));
    assert_eq!(
        find_s5(&[0x10, 0x05, b'_', b'S', b'B', b'_']),
        Err(AmlError::NotFound)
    );
    // The name used as a reference (no NameOp before it) is not a definition.
    assert_eq!(
        find_s5(&[0x70, b'_', b'S', b'5', b'_', 0x12, 0x03, 0x01, 0x00]),
        Err(AmlError::NotFound)
    );
}

#[test]
fn malformed_objects_report_their_error() {
    assert_eq!(
        find_s5(&[0x08, b'_', b'S', b'5', b'_', 0x0A, 0x05]),
        Err(AmlError::NotAPackage)
    );
    assert_eq!(
        find_s5(&name_package(false, 5, 0, &[])),
        Err(AmlError::EmptyPackage)
    );
    let ones = name_package(false, 5, 2, &[0xFF, 0x00]);
    assert_eq!(find_s5(&ones), Err(AmlError::ValueTooLarge(u64::MAX)));
    let string = name_package(false, 5, 2, &[0x0D, b'x', 0x00]);
    assert_eq!(find_s5(&string), Err(AmlError::UnsupportedElement(0x0D)));
    // PkgLength claims more bytes than the package has elements for.
    let short = [0x08, b'_', b'S', b'5', b'_', 0x12, 0x04, 0x02, 0x0A, 0x05];
    assert_eq!(find_s5(&short), Err(AmlError::Truncated));
    let bad_length = [0x08, b'_', b'S', b'5', b'_', 0x12, 0x41, 0x00, 0x01];
    assert_eq!(find_s5(&bad_length), Err(AmlError::BadPkgLength));
}

#[test]
fn decoy_candidate_does_not_hide_real_object() {
    let mut aml = vec![0x08, b'_', b'S', b'5', b'_', 0x0A, 0x01];
    aml.extend(name_package(true, 5, 2, &[0x0A, 0x05, 0x0A, 0x03]));
    assert_eq!(find_s5(&aml), Ok(sleep(5, 3)));
}

#[test]
fn every_truncation_point_is_an_error_until_complete() {
    let aml = name_package(true, 5, 4, &[0x0A, 0x05, 0x0B, 0x05, 0x00, 0x00, 0x00]);
    for cut in 0..aml.len() {
        let result = find_s5(&aml[..cut]);
        let expected_truncated = cut >= 6; // NameOp, '\', and the four name bytes present
        match result {
            Err(AmlError::Truncated) => assert!(expected_truncated, "cut {cut}"),
            Err(AmlError::NotFound) => assert!(!expected_truncated, "cut {cut}"),
            other => panic!("cut {cut}: unexpected {other:?}"),
        }
    }
    assert_eq!(find_s5(&aml), Ok(sleep(5, 5)));
}

#[test]
fn works_on_body_returned_by_sdt_body() {
    let mut table = Vec::from(*b"DSDT");
    table.extend_from_slice(&u32::try_from(36 + QEMU_S5.len()).unwrap().to_le_bytes());
    table.resize(36, 0);
    table.extend_from_slice(&QEMU_S5);
    let sum = table.iter().fold(0u8, |acc, &b| acc.wrapping_add(b));
    table[9] = 0u8.wrapping_sub(sum);
    assert_eq!(sdt_body(&table).and_then(find_s5), Ok(sleep(0, 0)));
}

/// xorshift64* so the randomized test is deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    // Bytes biased toward the interesting opcodes so candidates actually occur.
    let alphabet = [
        0x00, 0x01, 0x08, 0x0A, 0x0B, 0x0C, 0x0E, 0x12, 0x40, 0x80, 0xC0, 0xFF, b'\\', b'_', b'S',
        b'5',
    ];
    for _ in 0..20_000 {
        let len = rng.below(48);
        let mut aml: Vec<u8> = (0..len)
            .map(|_| {
                if rng.below(4) == 0 {
                    rng.next() as u8
                } else {
                    alphabet[rng.below(alphabet.len())]
                }
            })
            .collect();
        if rng.below(2) == 0 && len > 8 {
            let at = rng.below(len - 6);
            aml[at..at + 6].copy_from_slice(&[0x08, b'_', b'S', b'5', b'_', 0x12]);
        }
        for state in 0..=6 {
            let _ = find_sleep_state(&aml, state);
        }
        let _ = sdt_body(&aml);
    }
}
