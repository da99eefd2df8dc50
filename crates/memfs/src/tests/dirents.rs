//! getdents64 encoding and cookies; a randomized test of listings while the directory changes.

use super::support::*;
use crate::{Errno, NodeKind};
use std::collections::{BTreeMap, BTreeSet};
use std::format;
use std::string::String;
use std::vec::Vec;

#[test]
fn encodes_linux_dirent64_records() {
    let mut fs = new_fs();
    let root = fs.root();
    build(&mut fs, &["d/", "file"]);
    let d = resolve(&fs, "d").unwrap();
    let link = fs
        .symlink(d, b"a_long_symlink_name", b"x", &ROOT, T0)
        .unwrap();
    let (bytes, next) = fs.read_dir(d, 0, 4096).unwrap();
    let records = parse_dirents(&bytes);
    let summary: Vec<_> = records
        .iter()
        .map(|r| {
            (
                r.ino,
                r.off,
                r.reclen,
                r.dtype,
                String::from_utf8(r.name.clone()).unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (d.number(), 1, 24, libc::DT_DIR, String::from(".")),
            (root.number(), 2, 24, libc::DT_DIR, String::from("..")),
            (
                link.number(),
                3,
                40,
                libc::DT_LNK,
                String::from("a_long_symlink_name")
            ),
        ]
    );
    assert_eq!(next, 3);
    assert_eq!(bytes.len(), 88);
    // Exactly: d_ino, d_off, d_reclen, d_type, name, NUL, zero padding.
    assert_eq!(&bytes[0..8], &d.number().to_le_bytes());
    assert_eq!(&bytes[8..16], &1u64.to_le_bytes());
    assert_eq!(&bytes[16..18], &24u16.to_le_bytes());
    assert_eq!(bytes[18], libc::DT_DIR);
    assert_eq!(&bytes[19..24], b".\0\0\0\0");
    assert_eq!(
        fs.read_dir(d, next, 4096),
        Ok((Vec::new(), next)),
        "end of directory"
    );
    assert_eq!(
        fs.read_dir(d, next, 0),
        Ok((Vec::new(), next)),
        "end, even with no room"
    );
    // The root lists itself as "..".
    let root_records = parse_dirents(&fs.read_dir(root, 0, 4096).unwrap().0);
    assert_eq!(root_records[1].ino, root.number());
    assert_eq!(names(&fs, root), ["d", "file"]);
    assert_eq!(root_records[3].dtype, libc::DT_REG);
}

#[test]
fn small_buffers_and_resuming() {
    let mut fs = new_fs();
    build(&mut fs, &["a", "b", "c"]);
    let root = fs.root();
    assert_eq!(fs.read_dir(root, 0, 23), Err(Errno::EINVAL));
    let (one, next) = fs.read_dir(root, 0, 24).unwrap();
    assert_eq!((one.len(), next), (24, 1));
    let (two, next) = fs.read_dir(root, next, 71).unwrap();
    assert_eq!(parse_dirents(&two).len(), 2);
    let (rest, next) = fs.read_dir(root, next, 1000).unwrap();
    let names: Vec<_> = parse_dirents(&rest).into_iter().map(|r| r.name).collect();
    assert_eq!(names, [b"b".to_vec(), b"c".to_vec()]);
    assert_eq!(fs.read_dir(root, next, 1000).unwrap().0, Vec::<u8>::new());
    let f = resolve(&fs, "a").unwrap();
    assert_eq!(fs.read_dir(f, 0, 1000), Err(Errno::ENOTDIR));
    // A record for a 255-byte name is 280 bytes.
    fs.create(root, &[b'n'; 255], NodeKind::Regular, 0o644, &ROOT, T0)
        .unwrap();
    assert_eq!(fs.read_dir(root, next, 279), Err(Errno::EINVAL));
    assert_eq!(fs.read_dir(root, next, 280).unwrap().0.len(), 280);
}

#[test]
fn randomized_listing_while_changing() {
    let mut fs = new_fs();
    let root = fs.root();
    let mut rng = Rng::new(0x000d_1ec7);
    for round in 0..60 {
        let mut present: BTreeMap<String, u64> = BTreeMap::new();
        for i in 0..rng.below(30) {
            let name = format!("r{round}_{i}");
            let ino = fs
                .create(root, name.as_bytes(), NodeKind::Regular, 0o644, &ROOT, T0)
                .unwrap();
            present.insert(name, ino.number());
        }
        let initially: BTreeSet<String> = present.keys().cloned().collect();
        let mut removed: BTreeSet<String> = BTreeSet::new();
        let mut seen: Vec<String> = Vec::new();
        let mut cookie = 0;
        loop {
            let (bytes, next) = fs
                .read_dir(root, cookie, 48 + rng.below(120) as usize)
                .unwrap();
            if bytes.is_empty() {
                break;
            }
            for record in parse_dirents(&bytes) {
                let name = String::from_utf8(record.name).unwrap();
                if name != "." && name != ".." {
                    assert_eq!(
                        present.get(&name),
                        Some(&record.ino),
                        "listed {name} must exist"
                    );
                }
                seen.push(name);
            }
            cookie = next;
            // Change the directory between chunks.
            if rng.below(2) == 0 {
                let name = format!("new{round}_{}", rng.next());
                let ino = fs
                    .create(root, name.as_bytes(), NodeKind::Regular, 0o644, &ROOT, T0)
                    .unwrap();
                present.insert(name, ino.number());
            }
            if rng.below(3) == 0 && !present.is_empty() {
                let victim = present
                    .keys()
                    .nth(rng.below(present.len() as u64) as usize)
                    .unwrap()
                    .clone();
                fs.unlink(root, victim.as_bytes(), T0).unwrap();
                present.remove(&victim);
                removed.insert(victim);
            }
        }
        let unique: BTreeSet<&String> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "no entry twice: {seen:?}");
        assert_eq!(&seen[..2], [".", ".."]);
        for name in initially.difference(&removed) {
            assert!(
                seen.contains(name),
                "{name} existed throughout but was not listed"
            );
        }
        for name in present.keys() {
            fs.unlink(root, name.as_bytes(), T0).unwrap();
        }
    }
    assert_eq!(fs.usage().inodes, 1);
}
