//! File data: read, write, truncate, holes, the data budget; a randomized test against a `Vec<u8>` model.

use super::support::*;
use crate::{Config, Errno, InodeId, MemFs, NodeKind};
use std::vec;
use std::vec::Vec;

fn file(fs: &mut MemFs) -> InodeId {
    let root = fs.root();
    fs.create(root, b"f", NodeKind::Regular, 0o644, &ROOT, T0)
        .unwrap()
}

fn read_all(fs: &MemFs, ino: InodeId) -> Vec<u8> {
    let size = fs.stat(ino).unwrap().size as usize;
    let mut buf = vec![0xaa; size + 10];
    let n = fs.read_at(ino, 0, &mut buf).unwrap();
    assert_eq!(n, size);
    buf.truncate(n);
    buf
}

#[test]
fn writes_reads_and_holes() {
    let mut fs = new_fs();
    let f = file(&mut fs);
    assert_eq!(fs.write_at(f, 0, b"hello", T1), Ok(5));
    assert_eq!(fs.stat(f).unwrap().mtime, T1);
    assert_eq!(fs.write_at(f, 10_000, b"world", T0), Ok(5));
    let stat = fs.stat(f).unwrap();
    assert_eq!(
        (stat.size, stat.blocks, stat.blksize),
        (10_005, 16, 4096),
        "page 1 is a hole"
    );
    let data = read_all(&fs, f);
    assert_eq!(&data[..5], b"hello");
    assert!(data[5..10_000].iter().all(|&b| b == 0));
    assert_eq!(&data[10_000..], b"world");
    let mut buf = [1u8; 8];
    assert_eq!(fs.read_at(f, 10_003, &mut buf), Ok(2));
    assert_eq!(fs.read_at(f, 10_005, &mut buf), Ok(0));
    assert_eq!(fs.read_at(f, u64::MAX, &mut buf), Ok(0));
    // Empty writes change nothing, not even times.
    assert_eq!(fs.write_at(f, 50_000, b"", T1), Ok(0));
    assert_eq!(fs.stat(f).unwrap().size, 10_005);
    assert_eq!(fs.stat(f).unwrap().mtime, T0);
}

#[test]
fn truncate_discards_and_zero_fills() {
    let mut fs = new_fs();
    let f = file(&mut fs);
    fs.write_at(f, 0, &[9; 9000], T0).unwrap();
    fs.truncate(f, 4100, T1).unwrap();
    assert_eq!(fs.usage().data_bytes, 2 * 4096);
    assert_eq!(fs.stat(f).unwrap().mtime, T1);
    fs.truncate(f, 4096, T1).unwrap();
    assert_eq!(fs.usage().data_bytes, 4096);
    fs.truncate(f, 100, T1).unwrap();
    fs.truncate(f, 5000, T1).unwrap();
    assert_eq!(fs.usage().data_bytes, 4096, "growing makes a hole");
    let data = read_all(&fs, f);
    assert!(data[..100].iter().all(|&b| b == 9));
    assert!(
        data[100..].iter().all(|&b| b == 0),
        "old bytes past the cut must not come back"
    );
    fs.truncate(f, 0, T1).unwrap();
    assert_eq!(fs.usage().data_bytes, 0);
    assert_eq!(fs.truncate(f, i64::MAX as u64, T1), Ok(()));
    assert_eq!(fs.truncate(f, i64::MAX as u64 + 1, T1), Err(Errno::EFBIG));
    assert_eq!(fs.write_at(f, i64::MAX as u64, b"x", T1), Err(Errno::EFBIG));
    assert_eq!(
        fs.write_at(f, i64::MAX as u64 - 2, b"xyz", T1),
        Ok(2),
        "shortened at the limit"
    );
    let mut buf = [0; 4];
    assert_eq!(fs.read_at(f, i64::MAX as u64 - 2, &mut buf), Ok(2));
    assert_eq!(&buf[..2], b"xy");
}

#[test]
fn data_operations_reject_other_types() {
    let mut fs = new_fs();
    let root = fs.root();
    let fifo = fs
        .create(root, b"p", NodeKind::Fifo, 0o644, &ROOT, T0)
        .unwrap();
    let link = fs.symlink(root, b"l", b"p", &ROOT, T0).unwrap();
    let mut buf = [0; 4];
    for ino in [fifo, link] {
        assert_eq!(fs.read_at(ino, 0, &mut buf), Err(Errno::EINVAL));
        assert_eq!(fs.write_at(ino, 0, b"x", T1), Err(Errno::EINVAL));
        assert_eq!(fs.truncate(ino, 0, T1), Err(Errno::EINVAL));
    }
    assert_eq!(fs.read_at(root, 0, &mut buf), Err(Errno::EISDIR));
    assert_eq!(fs.write_at(root, 0, b"x", T1), Err(Errno::EISDIR));
    assert_eq!(fs.truncate(root, 0, T1), Err(Errno::EISDIR));
}

#[test]
fn data_budget_gives_short_writes_then_enospc() {
    let config = Config {
        max_data_bytes: 3 * 4096 + 100,
        ..Config::default()
    };
    let mut fs = MemFs::new(&config, T0);
    let f = file(&mut fs);
    assert_eq!(
        fs.write_at(f, 4000, &[1; 10_000], T1),
        Ok(3 * 4096 - 4000),
        "short write"
    );
    assert_eq!(fs.stat(f).unwrap().size, 3 * 4096);
    assert_eq!(fs.write_at(f, 3 * 4096, b"x", T1), Err(Errno::ENOSPC));
    assert_eq!(fs.write_at(f, 0, b"rewrite in place", T1), Ok(16));
    let root = fs.root();
    assert_eq!(
        fs.symlink(root, b"l", &[b'x'; 101], &ROOT, T1),
        Err(Errno::ENOSPC)
    );
    fs.symlink(root, b"l", &[b'x'; 100], &ROOT, T1).unwrap();
    fs.truncate(f, 0, T1).unwrap();
    assert_eq!(fs.usage().data_bytes, 100);
    fs.unlink(root, b"l", T1).unwrap();
    assert_eq!(fs.usage().data_bytes, 0);
}

#[test]
fn randomized_against_a_vec_model() {
    let config = Config {
        max_data_bytes: 24 * 4096,
        ..Config::default()
    };
    let mut fs = MemFs::new(&config, T0);
    let f = file(&mut fs);
    let mut model: Vec<u8> = Vec::new();
    let mut rng = Rng::new(0x5eed_da7a);
    for step in 0..3000 {
        let offset = rng.below(70_000);
        match rng.below(10) {
            0..=4 => {
                let len = rng.below(9000) as usize;
                let byte = (step % 251) as u8 + 1;
                let data = vec![byte; len];
                let pages_before = fs.usage().data_bytes;
                match fs.write_at(f, offset, &data, T1) {
                    Ok(written) => {
                        let end = offset as usize + written;
                        if model.len() < end {
                            model.resize(end, 0);
                        }
                        model[offset as usize..end].fill(byte);
                        assert!(
                            written == len || fs.usage().data_bytes > config.max_data_bytes - 4096
                        );
                    }
                    Err(errno) => {
                        assert_eq!(errno, Errno::ENOSPC);
                        assert_eq!(fs.usage().data_bytes, pages_before);
                    }
                }
            }
            5..=6 => {
                let size = rng.below(80_000);
                fs.truncate(f, size, T1).unwrap();
                model.resize(size as usize, 0);
            }
            _ => {
                let len = rng.below(10_000) as usize;
                let mut buf = vec![0xee; len];
                let n = fs.read_at(f, offset, &mut buf).unwrap();
                let expected = model
                    .get(offset as usize..)
                    .map_or(&[][..], |rest| &rest[..rest.len().min(len)]);
                assert_eq!(&buf[..n], expected, "step {step}");
            }
        }
        assert_eq!(fs.stat(f).unwrap().size, model.len() as u64, "step {step}");
        assert!(fs.usage().data_bytes <= config.max_data_bytes);
        assert_eq!(fs.usage().data_bytes, fs.stat(f).unwrap().blocks * 512);
    }
    assert_eq!(read_all(&fs, f), model);
}

#[test]
fn inode_numbers_start_at_the_configured_first() {
    let config = Config {
        first_ino: 5 << 32,
        ..Config::default()
    };
    let mut fs = MemFs::new(&config, T0);
    assert_eq!(fs.root().number(), 5 << 32);
    let f = file(&mut fs);
    assert_eq!(f.number(), (5 << 32) + 1);
    assert_eq!(fs.lookup(fs.root(), b"..").unwrap(), fs.root());
}
