//! setattr, access times, stat values and their encoding.

use super::support::*;
use crate::{encode_stat, Config, Errno, MemFs, NodeKind, SetAttr, TimeUpdate, Timestamp};

#[test]
fn chmod_chown_and_times() {
    let mut fs = new_fs();
    let root = fs.root();
    let f = fs
        .create(root, b"f", NodeKind::Regular, 0o6755, &ROOT, T0)
        .unwrap();
    fs.setattr(f, &SetAttr::default(), T1).unwrap();
    assert_eq!(
        fs.stat(f).unwrap().ctime,
        T0,
        "an empty change changes nothing"
    );
    fs.setattr(
        f,
        &SetAttr {
            perm: Some(0o170_640),
            ..SetAttr::default()
        },
        T1,
    )
    .unwrap();
    let stat = fs.stat(f).unwrap();
    assert_eq!(
        (stat.mode, stat.ctime, stat.mtime),
        (0o100_640, T1, T0),
        "the type never changes"
    );
    // chown clears set-user-id, and set-group-id when group-executable.
    fs.setattr(
        f,
        &SetAttr {
            perm: Some(0o6755),
            ..SetAttr::default()
        },
        T1,
    )
    .unwrap();
    fs.setattr(
        f,
        &SetAttr {
            uid: Some(5),
            ..SetAttr::default()
        },
        T1,
    )
    .unwrap();
    assert_eq!(
        (fs.stat(f).unwrap().mode & 0o7777, fs.stat(f).unwrap().uid),
        (0o755, 5)
    );
    fs.setattr(
        f,
        &SetAttr {
            perm: Some(0o6745),
            ..SetAttr::default()
        },
        T1,
    )
    .unwrap();
    fs.setattr(
        f,
        &SetAttr {
            gid: Some(7),
            ..SetAttr::default()
        },
        T1,
    )
    .unwrap();
    assert_eq!(fs.stat(f).unwrap().mode & 0o7777, 0o2745);
    // Directories keep them; an explicit mode in the same change wins.
    let d = fs.mkdir(root, b"d", 0o755, &ROOT, T0).unwrap();
    fs.setattr(
        d,
        &SetAttr {
            perm: Some(0o2755),
            ..SetAttr::default()
        },
        T1,
    )
    .unwrap();
    fs.setattr(
        d,
        &SetAttr {
            uid: Some(1),
            ..SetAttr::default()
        },
        T1,
    )
    .unwrap();
    assert_eq!(fs.stat(d).unwrap().mode & 0o7777, 0o2755);
    fs.setattr(
        f,
        &SetAttr {
            uid: Some(0),
            perm: Some(0o4755),
            ..SetAttr::default()
        },
        T1,
    )
    .unwrap();
    assert_eq!(fs.stat(f).unwrap().mode & 0o7777, 0o4755);
    let t = Timestamp::new(-5, 7);
    let times = SetAttr {
        atime: Some(TimeUpdate::At(t)),
        mtime: Some(TimeUpdate::Now),
        ..SetAttr::default()
    };
    let now = Timestamp::new(3000, 0);
    fs.setattr(f, &times, now).unwrap();
    let stat = fs.stat(f).unwrap();
    assert_eq!((stat.atime, stat.mtime, stat.ctime), (t, now, now));
    assert_eq!(
        fs.setattr(crate::InodeId(999), &times, now),
        Err(Errno::ENOENT)
    );
}

#[test]
fn relatime() {
    let mut fs = new_fs();
    let f = fs
        .create(fs.root(), b"f", NodeKind::Regular, 0o644, &ROOT, T0)
        .unwrap();
    // atime == mtime: the first read updates it.
    fs.mark_accessed(f, Timestamp::new(1_100, 0)).unwrap();
    assert_eq!(fs.stat(f).unwrap().atime, Timestamp::new(1_100, 0));
    // Newer than mtime and ctime, and less than a day old: left alone.
    fs.mark_accessed(f, Timestamp::new(1_200, 0)).unwrap();
    assert_eq!(fs.stat(f).unwrap().atime, Timestamp::new(1_100, 0));
    fs.mark_accessed(f, Timestamp::new(1_100 + 86_400, 0))
        .unwrap();
    assert_eq!(fs.stat(f).unwrap().atime, Timestamp::new(1_100 + 86_400, 0));
    fs.write_at(f, 0, b"x", Timestamp::new(100_000, 0)).unwrap();
    fs.mark_accessed(f, Timestamp::new(100_001, 0)).unwrap();
    assert_eq!(fs.stat(f).unwrap().atime, Timestamp::new(100_001, 0));
}

#[test]
fn stat_values_and_encoding() {
    let config = Config {
        device: 0x1234,
        root_perm: 0o1777,
        root_uid: 3,
        root_gid: 4,
        ..Config::default()
    };
    let mut fs = MemFs::new(&config, T0);
    let root = fs.root();
    let stat = fs.stat(root).unwrap();
    assert_eq!(
        (stat.ino, stat.dev, stat.mode, stat.uid, stat.gid),
        (1, 0x1234, 0o041_777, 3, 4)
    );
    assert_eq!(
        (stat.size, stat.nlink),
        (40, 2),
        "tmpfs: 20 bytes per entry, . and .. included"
    );
    build(&mut fs, &["a/", "b", "c"]);
    assert_eq!(
        (fs.stat(root).unwrap().size, fs.stat(root).unwrap().nlink),
        (100, 3)
    );
    let b = resolve(&fs, "b").unwrap();
    fs.write_at(b, 0, &[1; 5000], T1).unwrap();
    let stat = fs.stat(b).unwrap();
    let bytes = encode_stat(&stat);
    assert_eq!(
        u64::from_le_bytes(bytes[8..16].try_into().unwrap()),
        b.number()
    );
    assert_eq!(u64::from_le_bytes(bytes[48..56].try_into().unwrap()), 5000);
    assert_eq!(u64::from_le_bytes(bytes[64..72].try_into().unwrap()), 16);
    assert_eq!(
        u64::from_le_bytes(bytes[88..96].try_into().unwrap()),
        T1.secs as u64
    );
    assert_eq!(
        u64::from_le_bytes(bytes[96..104].try_into().unwrap()),
        u64::from(T1.nanos)
    );
}
