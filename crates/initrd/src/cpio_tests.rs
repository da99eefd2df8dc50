//! Behaviour tests for `CpioReader` and `find`.

use crate::test_support::{NewcWriter, Rng};
use crate::{find, CpioError, CpioReader, Entry};
use std::string::ToString;
use std::vec::Vec;

fn read_all(archive: &[u8]) -> Result<Vec<Entry<'_>>, CpioError> {
    CpioReader::new(archive).collect()
}

fn names<'a>(entries: &[Entry<'a>]) -> Vec<&'a str> {
    entries.iter().map(|entry| entry.name).collect()
}

fn sample_archive() -> Vec<u8> {
    NewcWriter::new(false)
        .entry(".", 0o040_755, &[])
        .entry("bin", 0o040_755, &[])
        .entry("bin/init", 0o100_755, b"\x7fELF binary")
        .entry("bin/sh", 0o120_777, b"init")
        .entry("dev/console", 0o020_600, &[])
        .trailer()
        .finish()
}

#[test]
fn reads_all_fields_and_types() {
    let archive = sample_archive();
    let entries = read_all(&archive).unwrap();
    assert_eq!(
        names(&entries),
        [".", "bin", "bin/init", "bin/sh", "dev/console"]
    );
    let init = entries[2];
    assert!(init.is_file() && !init.is_dir());
    assert_eq!(init.data, b"\x7fELF binary");
    assert_eq!(
        (init.ino, init.mode, init.uid, init.gid),
        (3, 0o100_755, 1000, 100)
    );
    assert_eq!(
        (init.nlink, init.mtime, init.dev_major, init.dev_minor),
        (1, 1_700_000_000, 8, 1)
    );
    assert_eq!(init.permissions(), 0o755);
    assert!(entries[0].is_dir());
    assert!(entries[3].is_symlink());
    assert_eq!(entries[3].data, b"init");
    let console = entries[4];
    assert!(console.is_device());
    assert_eq!((console.rdev_major, console.rdev_minor), (4, 64));
}

#[test]
fn respects_alignment_for_every_name_and_data_length() {
    let mut writer = NewcWriter::new(false);
    let mut expected = Vec::new();
    for name_len in 1..=9 {
        for data_len in 0..=9 {
            let name = "n".repeat(name_len) + &data_len.to_string();
            let data: Vec<u8> = (0..data_len as u8).map(|b| b + 1).collect();
            writer.entry(&name, 0o100_644, &data);
            expected.push((name, data));
        }
    }
    let archive = writer.trailer().finish();
    let entries = read_all(&archive).unwrap();
    assert_eq!(entries.len(), expected.len());
    for (entry, (name, data)) in entries.iter().zip(&expected) {
        assert_eq!(entry.name, name);
        assert_eq!(entry.data, &data[..]);
    }
}

#[test]
fn empty_input_padding_only_and_missing_trailer_end_cleanly() {
    assert!(read_all(&[]).unwrap().is_empty());
    assert!(read_all(&[0; 64]).unwrap().is_empty());
    let no_trailer = NewcWriter::new(false).entry("a", 0o100_644, b"x").finish();
    assert_eq!(names(&read_all(&no_trailer).unwrap()), ["a"]);
    let only_trailer = NewcWriter::new(false).trailer().finish();
    assert!(read_all(&only_trailer).unwrap().is_empty());
}

#[test]
fn concatenated_archives_with_zero_padding_are_all_read() {
    let archive = NewcWriter::new(false)
        .zeros(8)
        .entry("first", 0o100_644, b"1")
        .trailer()
        .zeros(512)
        .entry("second", 0o100_644, b"22")
        .trailer()
        .entry("third", 0o100_644, b"333")
        .trailer()
        .zeros(4)
        .finish();
    assert_eq!(
        names(&read_all(&archive).unwrap()),
        ["first", "second", "third"]
    );
}

#[test]
fn misaligned_or_garbage_next_archive_is_an_error() {
    let mut archive = NewcWriter::new(false)
        .entry("a", 0o100_644, b"")
        .trailer()
        .zeros(3)
        .finish();
    let misaligned_at = archive.len();
    archive.extend(
        NewcWriter::new(false)
            .entry("b", 0o100_644, b"")
            .trailer()
            .finish(),
    );
    let results: Vec<_> = CpioReader::new(&archive).collect();
    assert_eq!(results.len(), 2);
    assert_eq!(
        results[1],
        Err(CpioError::Misaligned {
            offset: misaligned_at
        })
    );

    let mut garbage = NewcWriter::new(false).trailer().finish();
    let garbage_at = garbage.len();
    garbage.extend_from_slice(b"GARBAGE!");
    assert_eq!(
        read_all(&garbage),
        Err(CpioError::BadMagic { offset: garbage_at })
    );
}

#[test]
fn zero_bytes_between_entries_of_one_archive_are_an_error() {
    let mut archive = NewcWriter::new(false)
        .entry("a", 0o100_644, b"")
        .zeros(4)
        .finish();
    archive.extend(NewcWriter::new(false).entry("b", 0o100_644, b"").finish());
    // "a" ends at 110 + 2 (name) = 112, where the stray zeros begin.
    assert_eq!(read_all(&archive), Err(CpioError::BadMagic { offset: 112 }));
}

#[test]
fn checksummed_entries_are_verified() {
    let archive = NewcWriter::new(true)
        .entry("sum", 0o100_644, b"abc")
        .checksums(false)
        .entry("plain", 0o100_644, b"def")
        .trailer()
        .finish();
    assert_eq!(names(&read_all(&archive).unwrap()), ["sum", "plain"]);

    let mut flipped = archive.clone();
    let data_at = 116; // header 110 + "sum\0" 4 = 114, padded to 116
    flipped[data_at] ^= 0x01;
    assert_eq!(
        read_all(&flipped),
        Err(CpioError::ChecksumMismatch { offset: 0 })
    );
    let mut bad_check_field = archive;
    bad_check_field[109] = if bad_check_field[109] == b'0' {
        b'1'
    } else {
        b'0'
    };
    assert_eq!(
        read_all(&bad_check_field),
        Err(CpioError::ChecksumMismatch { offset: 0 })
    );
}

/// Overwrites header field `index` (0 = ino ... 11 = namesize) of the entry at `offset`.
fn set_field(archive: &mut [u8], offset: usize, index: usize, value: u32) {
    let at = offset + 6 + index * 8;
    archive[at..at + 8].copy_from_slice(std::format!("{value:08x}").as_bytes());
}

#[test]
fn malformed_names_are_rejected() {
    let base = NewcWriter::new(false)
        .entry("abcdef", 0o100_644, b"")
        .trailer()
        .finish();

    let mut empty = base.clone();
    set_field(&mut empty, 0, 11, 0);
    assert_eq!(read_all(&empty), Err(CpioError::BadName { offset: 0 }));

    let mut unterminated = base.clone();
    set_field(&mut unterminated, 0, 11, 3);
    assert_eq!(
        read_all(&unterminated),
        Err(CpioError::BadName { offset: 0 })
    );

    let mut interior_nul = base.clone();
    interior_nul[112] = 0;
    assert_eq!(
        read_all(&interior_nul),
        Err(CpioError::BadName { offset: 0 })
    );

    let mut not_utf8 = base;
    not_utf8[111] = 0xFF;
    assert_eq!(
        read_all(&not_utf8),
        Err(CpioError::NameNotUtf8 { offset: 0 })
    );
}

#[test]
fn oversized_fields_are_truncation_errors() {
    let base = NewcWriter::new(false)
        .entry("a", 0o100_644, b"data")
        .trailer()
        .finish();
    let mut huge_file = base.clone();
    set_field(&mut huge_file, 0, 6, u32::MAX);
    assert_eq!(
        read_all(&huge_file),
        Err(CpioError::Truncated { offset: 0 })
    );
    let mut huge_name = base;
    set_field(&mut huge_name, 0, 11, u32::MAX);
    assert_eq!(
        read_all(&huge_name),
        Err(CpioError::Truncated { offset: 0 })
    );
}

#[test]
fn iteration_stops_after_an_error() {
    let mut archive = sample_archive();
    archive[0] = b'X';
    let mut reader = CpioReader::new(&archive);
    assert_eq!(reader.next(), Some(Err(CpioError::BadMagic { offset: 0 })));
    assert_eq!(reader.next(), None);
    assert_eq!(reader.next(), None);
}

#[test]
fn every_truncation_point_yields_a_prefix_then_at_most_one_error() {
    let archive = NewcWriter::new(true)
        .entry("dir", 0o040_755, &[])
        .entry("dir/file", 0o100_644, b"hello world")
        .trailer()
        .zeros(8)
        .entry("late", 0o100_600, b"x")
        .trailer()
        .finish();
    let full = read_all(&archive).unwrap();
    for cut in 0..archive.len() {
        let results: Vec<_> = CpioReader::new(&archive[..cut]).collect();
        let prefix = match results.split_last() {
            Some((Err(_), prefix)) => prefix,
            _ => &results[..],
        };
        assert!(prefix.len() <= full.len(), "cut {cut}");
        for (result, expected) in prefix.iter().zip(&full) {
            assert_eq!(result.as_ref(), Ok(expected), "cut {cut}");
        }
        let _ = find(&archive[..cut], "dir/file");
    }
}

#[test]
fn find_normalizes_paths_and_last_entry_wins() {
    let mut archive = NewcWriter::new(false)
        .entry(".", 0o040_755, &[])
        .entry("./etc/motd", 0o100_644, b"old")
        .entry("bin/sh", 0o100_755, b"sh")
        .trailer()
        .finish();
    let second_archive_at = archive.len();
    archive.extend(
        NewcWriter::new(false)
            .entry("etc/motd", 0o100_644, b"new")
            .trailer()
            .finish(),
    );
    assert_eq!(find(&archive, "/etc/motd").unwrap().unwrap().data, b"new");
    assert_eq!(find(&archive, "./bin/sh").unwrap().unwrap().data, b"sh");
    assert_eq!(find(&archive, "bin/sh").unwrap().unwrap().name, "bin/sh");
    assert!(find(&archive, "/").unwrap().unwrap().is_dir());
    assert_eq!(find(&archive, "/missing"), Ok(None));
    assert_eq!(find(&archive, "bin/s"), Ok(None));

    // Corruption after the match still fails the lookup.
    let mut corrupt = archive.clone();
    corrupt[second_archive_at] = b'9';
    assert_eq!(
        find(&corrupt, "bin/sh"),
        Err(CpioError::BadMagic {
            offset: second_archive_at
        })
    );
}

#[test]
fn errors_display_with_offsets() {
    let message = CpioError::ChecksumMismatch { offset: 112 }.to_string();
    assert_eq!(message, "cpio: checksum mismatch in entry at offset 112");
    assert!(CpioError::Misaligned { offset: 3 }
        .to_string()
        .contains('3'));
}

#[test]
fn random_mutations_never_panic() {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let base = NewcWriter::new(true)
        .entry(".", 0o040_755, &[])
        .entry("init", 0o100_755, &rng.bytes(40))
        .entry("link", 0o120_777, b"init")
        .trailer()
        .zeros(4)
        .checksums(false)
        .entry("more", 0o100_644, &rng.bytes(7))
        .trailer()
        .finish();
    for _ in 0..5_000 {
        let mut archive = base.clone();
        for _ in 0..=rng.below(4) {
            let at = rng.below(archive.len());
            match rng.below(4) {
                0 => archive[at] ^= 1 << rng.below(8),
                1 => archive[at] = b"0123456789abcdefg\0"[rng.below(18)],
                2 => archive.truncate(at),
                _ => archive.insert(at, rng.next() as u8),
            }
            if archive.is_empty() {
                break;
            }
        }
        let mut count = 0;
        for result in CpioReader::new(&archive) {
            count += 1;
            if let Ok(entry) = result {
                assert!(entry.data.len() <= archive.len());
            }
        }
        assert!(count <= archive.len() / 110 + 1);
        let _ = find(&archive, "init");
    }
}
