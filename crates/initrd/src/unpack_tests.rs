//! Behaviour tests for `unpack_image`.

use crate::test_support::{gzip_member, GzipOptions, NewcWriter, Rng};
use crate::{unpack_image, CpioReader, InitrdError};
use std::borrow::Cow;
use std::string::ToString;
use std::vec::Vec;

const LIMIT: usize = 16 << 20;

/// Compressible but non-trivial bytes.
fn sample_data(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed);
    (0..len)
        .map(|i| {
            if rng.below(4) == 0 {
                rng.next() as u8
            } else {
                (i / 7) as u8
            }
        })
        .collect()
}

#[test]
fn non_gzip_data_is_borrowed_unchanged() {
    let archive = NewcWriter::new(false)
        .entry("a", 0o100_644, b"x")
        .trailer()
        .finish();
    for data in [&archive[..], b"", b"\x1f", b"\x8b\x1f", b"random bytes"] {
        match unpack_image(data, LIMIT).unwrap() {
            Cow::Borrowed(borrowed) => assert_eq!(borrowed, data),
            Cow::Owned(_) => panic!("copied non-gzip data"),
        }
    }
}

#[test]
fn single_member_round_trips_through_growth() {
    for len in [0, 1, 1000, 64 * 1024, 300_000] {
        let data = sample_data(len, len as u64 + 1);
        let image = gzip_member(&data, GzipOptions::default());
        let unpacked = unpack_image(&image, LIMIT).unwrap();
        assert!(matches!(unpacked, Cow::Owned(_)));
        assert_eq!(unpacked.as_ref(), &data[..], "len {len}");
    }
}

#[test]
fn header_options_are_skipped_and_verified() {
    let data = sample_data(5000, 7);
    let options = GzipOptions {
        extra: Some(b"AP\x02\x00hi"),
        name: Some("initramfs.cpio"),
        comment: Some("built by a test"),
        header_crc: true,
    };
    let image = gzip_member(&data, options);
    assert_eq!(unpack_image(&image, LIMIT).unwrap().as_ref(), &data[..]);

    let mut bad_header_crc = image.clone();
    let crc_at = 10 + 2 + 6 + "initramfs.cpio".len() + 1 + "built by a test".len() + 1;
    bad_header_crc[crc_at] ^= 0xFF;
    assert_eq!(
        unpack_image(&bad_header_crc, LIMIT),
        Err(InitrdError::HeaderCrcMismatch)
    );
}

#[test]
fn concatenated_members_and_trailing_zeros_are_joined() {
    let first = NewcWriter::new(false)
        .entry("a", 0o100_644, b"first")
        .trailer()
        .finish();
    let second = sample_data(100_000, 3);
    let mut image = gzip_member(
        &first,
        GzipOptions {
            name: Some("a"),
            ..GzipOptions::default()
        },
    );
    image.extend(gzip_member(&second, GzipOptions::default()));
    image.extend(gzip_member(&[], GzipOptions::default()));
    image.extend_from_slice(&[0; 13]);
    let unpacked = unpack_image(&image, LIMIT).unwrap();
    assert_eq!(&unpacked[..first.len()], &first[..]);
    assert_eq!(&unpacked[first.len()..], &second[..]);
}

#[test]
fn unpacked_cpio_is_readable() {
    let archive = NewcWriter::new(true)
        .entry("init", 0o100_755, &sample_data(3000, 9))
        .trailer()
        .finish();
    let image = gzip_member(&archive, GzipOptions::default());
    let unpacked = unpack_image(&image, LIMIT).unwrap();
    let names: Vec<_> = CpioReader::new(&unpacked)
        .map(|entry| entry.unwrap().name)
        .collect();
    assert_eq!(names, ["init"]);
}

#[test]
fn flipped_crc_and_size_are_detected() {
    let data = sample_data(2000, 11);
    let image = gzip_member(&data, GzipOptions::default());
    let crc_at = image.len() - 8;

    let mut bad_crc = image.clone();
    bad_crc[crc_at] ^= 0x01;
    let expected = crc32fast::hash(&data);
    assert_eq!(
        unpack_image(&bad_crc, LIMIT),
        Err(InitrdError::CrcMismatch {
            expected: expected ^ 0x01,
            actual: expected
        })
    );

    let mut bad_size = image;
    bad_size[crc_at + 4] ^= 0x01;
    assert_eq!(
        unpack_image(&bad_size, LIMIT),
        Err(InitrdError::SizeMismatch {
            expected: 2001,
            actual: 2000
        })
    );
}

#[test]
fn output_limit_is_enforced_exactly() {
    let data = sample_data(200_000, 5);
    let image = gzip_member(&data, GzipOptions::default());
    assert_eq!(
        unpack_image(&image, data.len()).unwrap().as_ref(),
        &data[..]
    );
    assert_eq!(
        unpack_image(&image, data.len() - 1),
        Err(InitrdError::TooLarge {
            limit: data.len() - 1
        })
    );
    // A lying ISIZE hint must not defeat the limit either.
    let mut lying = image;
    let size_at = lying.len() - 4;
    lying[size_at..].copy_from_slice(&1u32.to_le_bytes());
    assert_eq!(
        unpack_image(&lying, 1000),
        Err(InitrdError::TooLarge { limit: 1000 })
    );
}

#[test]
fn bad_streams_are_rejected() {
    let mut method = gzip_member(b"x", GzipOptions::default());
    method[2] = 9;
    assert_eq!(
        unpack_image(&method, LIMIT),
        Err(InitrdError::UnsupportedMethod(9))
    );
    let mut flags = gzip_member(b"x", GzipOptions::default());
    flags[3] = 0x80;
    assert_eq!(
        unpack_image(&flags, LIMIT),
        Err(InitrdError::ReservedFlags(0x80))
    );

    // BFINAL=1 with the reserved block type 3.
    let mut reserved_block = Vec::from([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, 0x07]);
    reserved_block.extend_from_slice(&[0; 8]);
    assert_eq!(
        unpack_image(&reserved_block, LIMIT),
        Err(InitrdError::CorruptData)
    );

    let mut garbage = gzip_member(b"abc", GzipOptions::default());
    let garbage_at = garbage.len() + 2;
    garbage.extend_from_slice(&[0, 0, b'!', 0]);
    assert_eq!(
        unpack_image(&garbage, LIMIT),
        Err(InitrdError::TrailingGarbage { offset: garbage_at })
    );
}

#[test]
fn every_truncation_point_is_an_error() {
    let image = gzip_member(
        &sample_data(3000, 13),
        GzipOptions {
            name: Some("x.cpio"),
            header_crc: true,
            ..GzipOptions::default()
        },
    );
    for cut in 2..image.len() {
        let result = unpack_image(&image[..cut], LIMIT);
        assert!(result.is_err(), "cut {cut} unexpectedly succeeded");
    }
}

#[test]
fn errors_display_meaningfully() {
    assert_eq!(
        InitrdError::TooLarge { limit: 10 }.to_string(),
        "decompressed initrd exceeds the limit of 10 bytes"
    );
    assert!(InitrdError::CrcMismatch {
        expected: 1,
        actual: 2
    }
    .to_string()
    .contains("0x00000001"));
}

#[test]
fn random_mutations_never_panic() {
    let mut rng = Rng(0x5851_F42D_4C95_7F2D);
    let base = gzip_member(&sample_data(4000, 17), GzipOptions::default());
    for _ in 0..1_500 {
        let mut image = base.clone();
        for _ in 0..=rng.below(3) {
            let at = rng.below(image.len());
            match rng.below(3) {
                0 => image[at] ^= 1 << rng.below(8),
                1 => image[at] = rng.next() as u8,
                _ => image.truncate(at.max(2)),
            }
        }
        if let Ok(unpacked) = unpack_image(&image, 1 << 20) {
            assert!(unpacked.len() <= 1 << 20);
        }
    }
}

#[test]
fn matches_host_gzip_when_available() {
    use std::io::Write;
    use std::process::{Command, Stdio};

    let data = sample_data(50_000, 23);
    let compress = |level: &str| -> Option<Vec<u8>> {
        let mut child = Command::new("gzip")
            .args(["-c", level])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .ok()?;
        child.stdin.take()?.write_all(&data).ok()?;
        let output = child.wait_with_output().ok()?;
        output.status.success().then_some(output.stdout)
    };
    let (Some(fast), Some(best)) = (compress("-1"), compress("-9")) else {
        std::eprintln!("host gzip not available; skipping cross-check");
        return;
    };
    let mut image = fast;
    image.extend(best);
    let unpacked = unpack_image(&image, LIMIT).unwrap();
    assert_eq!(unpacked.len(), 2 * data.len());
    assert_eq!(&unpacked[..data.len()], &data[..]);
    assert_eq!(&unpacked[data.len()..], &data[..]);
}
