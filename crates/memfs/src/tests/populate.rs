//! Unpacking newc archives.

use super::support::*;
use crate::{populate_from_cpio, Errno, FileType, MemFs, PopulateError, SkippedEntry, Timestamp};
use basalt_initrd::{CpioError, CpioReader};
use std::format;
use std::string::String;
use std::vec::Vec;

/// A newc entry to write.
struct Member<'a> {
    name: &'a str,
    mode: u32,
    ino: u32,
    nlink: u32,
    rdev: (u32, u32),
    data: &'a [u8],
}

fn member<'a>(name: &'a str, mode: u32, data: &'a [u8]) -> Member<'a> {
    Member {
        name,
        mode,
        ino: 0,
        nlink: 1,
        rdev: (0, 0),
        data,
    }
}

/// Writes a newc archive (uid 1000, gid 100, mtime 1_700_000_000) with a trailer.
fn archive(members: &[Member<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut next_ino = 100;
    let trailer = Member {
        name: "TRAILER!!!",
        mode: 0,
        ino: 0,
        nlink: 1,
        rdev: (0, 0),
        data: &[],
    };
    for m in members.iter().chain([&trailer]) {
        let ino = if m.ino == 0 {
            next_ino += 1;
            next_ino
        } else {
            m.ino
        };
        let fields = [
            ino,
            m.mode,
            1000,
            100,
            m.nlink,
            1_700_000_000,
            m.data.len() as u32,
            8,
            1,
            m.rdev.0,
            m.rdev.1,
            m.name.len() as u32 + 1,
            0,
        ];
        out.extend_from_slice(b"070701");
        for field in fields {
            out.extend_from_slice(format!("{field:08x}").as_bytes());
        }
        out.extend_from_slice(m.name.as_bytes());
        out.push(0);
        while out.len() % 4 != 0 {
            out.push(0);
        }
        out.extend_from_slice(m.data);
        while out.len() % 4 != 0 {
            out.push(0);
        }
    }
    out
}

fn contents(fs: &MemFs, path: &str) -> Vec<u8> {
    let ino = resolve(fs, path).unwrap();
    let mut buf = std::vec![0; 1 << 16];
    let n = fs.read_at(ino, 0, &mut buf).unwrap();
    buf.truncate(n);
    buf
}

const MTIME: Timestamp = Timestamp::new(1_700_000_000, 0);

#[test]
fn unpacks_every_type() {
    let bytes = archive(&[
        member(".", 0o040_755, b""),
        member("bin", 0o040_755, b""),
        member("bin/busybox", 0o104_755, b"\x7fELF..."),
        member("bin/sh", 0o120_777, b"busybox"),
        member("./dev", 0o040_755, b""),
        Member {
            rdev: (5, 1),
            ..member("dev/console", 0o020_600, b"")
        },
        Member {
            rdev: (8, 0),
            ..member("dev/sda", 0o060_660, b"")
        },
        member("dev/initctl", 0o010_600, b""),
        member("run/sock", 0o140_755, b""),
        member("/etc/deep/config", 0o100_644, b"key=value\n"),
    ]);
    let mut fs = new_fs();
    let report = populate_from_cpio(&mut fs, CpioReader::new(&bytes), T1).unwrap();
    assert_eq!((report.applied, report.skipped), (10, Vec::new()));
    let busybox = resolve(&fs, "bin/busybox").unwrap();
    assert_eq!(resolve(&fs, "bin/sh"), Ok(busybox));
    let stat = fs.stat(busybox).unwrap();
    assert_eq!(
        (stat.mode, stat.uid, stat.gid),
        (0o104_755, 1000, 100),
        "chmod after chown keeps set-uid"
    );
    assert_eq!((stat.mtime, stat.atime, stat.ctime), (MTIME, MTIME, T1));
    assert_eq!(contents(&fs, "bin/busybox"), b"\x7fELF...");
    let link = fs.resolve(fs.root(), fs.root(), b"bin/sh", false).unwrap();
    assert_eq!(
        (fs.stat(link).unwrap().uid, fs.stat(link).unwrap().mtime),
        (1000, MTIME)
    );
    let console = fs.stat(resolve(&fs, "dev/console").unwrap()).unwrap();
    assert_eq!(
        (console.mode, console.rdev),
        (0o020_600, libc::makedev(5, 1))
    );
    assert_eq!(file_type(&fs, "dev/sda"), FileType::BlockDevice);
    assert_eq!(file_type(&fs, "dev/initctl"), FileType::Fifo);
    assert_eq!(file_type(&fs, "run/sock"), FileType::Socket);
    assert_eq!(contents(&fs, "etc/deep/config"), b"key=value\n");
    // Implied parents are root-owned 0755 directories; listed ones get their mtime after their children.
    let deep = fs.stat(resolve(&fs, "etc/deep").unwrap()).unwrap();
    assert_eq!((deep.mode, deep.uid), (0o040_755, 0));
    let bin = fs.stat(resolve(&fs, "bin").unwrap()).unwrap();
    assert_eq!((bin.mtime, bin.uid), (MTIME, 1000));
    assert_eq!(fs.stat(fs.root()).unwrap().uid, 1000, "\".\" is the root");
}

#[test]
fn hard_links_carry_data_with_the_last_member() {
    let bytes = archive(&[
        Member {
            ino: 7,
            nlink: 3,
            ..member("bin/a", 0o100_755, b"")
        },
        Member {
            ino: 7,
            nlink: 3,
            ..member("bin/b", 0o100_755, b"")
        },
        Member {
            ino: 7,
            nlink: 3,
            ..member("sbin/c", 0o100_755, b"shared data")
        },
        Member {
            ino: 8,
            nlink: 2,
            rdev: (1, 3),
            ..member("dev/null", 0o020_666, b"")
        },
        Member {
            ino: 8,
            nlink: 2,
            rdev: (1, 3),
            ..member("dev/null2", 0o020_666, b"")
        },
    ]);
    let mut fs = new_fs();
    let report = populate_from_cpio(&mut fs, CpioReader::new(&bytes), T1).unwrap();
    assert_eq!(report.applied, 5);
    let a = resolve(&fs, "bin/a").unwrap();
    assert_eq!(resolve(&fs, "bin/b"), Ok(a));
    assert_eq!(resolve(&fs, "sbin/c"), Ok(a));
    assert_eq!(fs.stat(a).unwrap().nlink, 3);
    assert_eq!(contents(&fs, "bin/a"), b"shared data");
    let null = resolve(&fs, "dev/null").unwrap();
    assert_eq!(resolve(&fs, "dev/null2"), Ok(null));
    assert_eq!(fs.stat(null).unwrap().nlink, 2);
}

#[test]
fn later_entries_replace_earlier_ones() {
    let bytes = archive(&[
        member("x", 0o100_644, b"a long first version"),
        member("x", 0o100_600, b"short"),
        member("y", 0o100_644, b"file"),
        member("y", 0o040_700, b""),
        member("z", 0o040_755, b""),
        member("z/inside", 0o100_644, b""),
        member("z", 0o100_644, b"cannot replace a full directory"),
        member("usr", 0o040_755, b""),
        member("usr/lib", 0o040_755, b""),
        member("lib", 0o120_777, b"usr/lib"),
        member("lib/libc.so", 0o100_755, b"libc"),
        member("lib", 0o040_755, b""),
    ]);
    let mut fs = new_fs();
    let report = populate_from_cpio(&mut fs, CpioReader::new(&bytes), T1).unwrap();
    assert_eq!(
        report.skipped,
        [SkippedEntry {
            name: String::from("z"),
            errno: Errno::EISDIR
        }]
    );
    assert_eq!(contents(&fs, "x"), b"short");
    assert_eq!(fs.stat(resolve(&fs, "x").unwrap()).unwrap().mode, 0o100_600);
    assert_eq!(file_type(&fs, "y"), FileType::Directory);
    assert_eq!(file_type(&fs, "z"), FileType::Directory);
    // A directory entry over a symlink to a directory merges into it (Linux follows in clean_path).
    assert_eq!(file_type(&fs, "lib"), FileType::Symlink);
    assert_eq!(contents(&fs, "usr/lib/libc.so"), b"libc");
}

#[test]
fn errors_stop_or_skip() {
    let mut bytes = archive(&[member("ok", 0o100_644, b"1")]);
    bytes.truncate(bytes.len() - 200);
    bytes.extend_from_slice(b"070701garbage");
    let mut fs = new_fs();
    assert!(matches!(
        populate_from_cpio(&mut fs, CpioReader::new(&bytes), T1),
        Err(PopulateError::Archive(
            CpioError::BadHex { .. } | CpioError::Truncated { .. }
        ))
    ));
    let big = std::vec![1u8; 10_000];
    let bytes = archive(&[
        member("file", 0o100_644, b"data"),
        member("file/below", 0o100_644, b""),
        member("empty_link", 0o120_777, b""),
        member("weird", 0o170_644, b""),
        member("big", 0o100_644, &big),
    ]);
    let config = crate::Config {
        max_data_bytes: 8192,
        ..crate::Config::default()
    };
    let mut fs = MemFs::new(&config, T0);
    let error = populate_from_cpio(&mut fs, CpioReader::new(&bytes), T1).unwrap_err();
    assert_eq!(
        error,
        PopulateError::OutOfSpace {
            name: String::from("big"),
            errno: Errno::ENOSPC
        }
    );
    assert!(format!("{error}").contains("big"));
    assert_eq!(contents(&fs, "file"), b"data", "what came before stays");
    let bytes = archive(&[
        member("file", 0o100_644, b"data"),
        member("file/below", 0o100_644, b""),
        member("empty_link", 0o120_777, b""),
        member("weird", 0o170_644, b""),
    ]);
    let mut fs = new_fs();
    let report = populate_from_cpio(&mut fs, CpioReader::new(&bytes), T1).unwrap();
    let skipped: Vec<_> = report
        .skipped
        .iter()
        .map(|s| (s.name.as_str(), s.errno))
        .collect();
    assert_eq!(
        skipped,
        [
            ("file/below", Errno::ENOTDIR),
            ("empty_link", Errno::ENOENT),
            ("weird", Errno::EINVAL)
        ]
    );
}
