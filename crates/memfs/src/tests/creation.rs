//! create, mkdir, symlink, link, open_create.

use super::support::*;
use crate::{Config, Credentials, DeviceNumber, Errno, FileType, MemFs, NodeKind, PathAt};

#[test]
fn creates_each_kind_with_attributes() {
    let mut fs = new_fs();
    let root = fs.root();
    let user = Credentials {
        uid: 1000,
        gid: 100,
        groups: &[],
    };
    let file = fs
        .create(root, b"f", NodeKind::Regular, 0o4644, &user, T1)
        .unwrap();
    let stat = fs.stat(file).unwrap();
    assert_eq!(
        (stat.mode, stat.uid, stat.gid, stat.nlink, stat.size),
        (0o104_644, 1000, 100, 1, 0)
    );
    assert_eq!((stat.atime, stat.mtime, stat.ctime), (T1, T1, T1));
    let tty = fs
        .create(
            root,
            b"tty",
            NodeKind::CharDevice(DeviceNumber::new(4, 64)),
            0o620,
            &ROOT,
            T1,
        )
        .unwrap();
    assert_eq!(fs.stat(tty).unwrap().rdev, libc::makedev(4, 64));
    assert_eq!(fs.stat(tty).unwrap().mode, 0o020_620);
    let sda = fs
        .create(
            root,
            b"sda",
            NodeKind::BlockDevice(DeviceNumber::new(8, 0)),
            0o660,
            &ROOT,
            T1,
        )
        .unwrap();
    assert_eq!(fs.file_type(sda), Ok(FileType::BlockDevice));
    let fifo = fs
        .create(root, b"fifo", NodeKind::Fifo, 0o600, &ROOT, T1)
        .unwrap();
    assert_eq!(fs.stat(fifo).unwrap().mode, 0o010_600);
    let sock = fs
        .create(root, b"sock", NodeKind::Socket, 0o777, &ROOT, T1)
        .unwrap();
    assert_eq!(fs.file_type(sock), Ok(FileType::Socket));
    let dir = fs.mkdir(root, b"d", 0o6777, &ROOT, T1).unwrap();
    assert_eq!(
        fs.stat(dir).unwrap().mode,
        0o040_777,
        "mkdir keeps only rwx and sticky bits"
    );
    assert_eq!(fs.stat(dir).unwrap().nlink, 2);
    assert_eq!(fs.stat(root).unwrap().nlink, 3);
    assert_eq!(
        (fs.stat(root).unwrap().mtime, fs.stat(root).unwrap().ctime),
        (T1, T1)
    );
    let link = fs.symlink(root, b"l", b"d/x", &user, T1).unwrap();
    let stat = fs.stat(link).unwrap();
    assert_eq!((stat.mode, stat.size, stat.uid), (0o120_777, 3, 1000));
    assert_eq!(fs.readlink(link), Ok(&b"d/x"[..]));
    assert_eq!(fs.readlink(file), Err(Errno::EINVAL));
    assert!(fs.stat(file).unwrap().ino != fs.stat(dir).unwrap().ino);
    assert_eq!(fs.lookup(root, b"f"), Ok(file));
    assert_eq!(fs.lookup(dir, b".."), Ok(root));
    assert_eq!(fs.lookup(root, b".."), Ok(root));
    assert_eq!(fs.lookup(dir, b"."), Ok(dir));
}

#[test]
fn creation_errors() {
    let mut fs = new_fs();
    let root = fs.root();
    build(&mut fs, &["f", "d/"]);
    let file = resolve(&fs, "f").unwrap();
    for name in [&b"f"[..], b"d", b".", b".."] {
        assert_eq!(
            fs.create(root, name, NodeKind::Regular, 0o644, &ROOT, T1),
            Err(Errno::EEXIST)
        );
        assert_eq!(fs.mkdir(root, name, 0o755, &ROOT, T1), Err(Errno::EEXIST));
        assert_eq!(fs.symlink(root, name, b"x", &ROOT, T1), Err(Errno::EEXIST));
    }
    assert_eq!(
        fs.create(file, b"x", NodeKind::Regular, 0o644, &ROOT, T1),
        Err(Errno::ENOTDIR)
    );
    assert_eq!(
        fs.mkdir(root, &[b'n'; 256], 0o755, &ROOT, T1),
        Err(Errno::ENAMETOOLONG)
    );
    assert!(fs.mkdir(root, &[b'n'; 255], 0o755, &ROOT, T1).is_ok());
    assert_eq!(fs.mkdir(root, b"", 0o755, &ROOT, T1), Err(Errno::ENOENT));
    assert_eq!(fs.mkdir(root, b"a/b", 0o755, &ROOT, T1), Err(Errno::EINVAL));
    assert_eq!(fs.symlink(root, b"s", b"", &ROOT, T1), Err(Errno::ENOENT));
    assert_eq!(
        fs.symlink(root, b"s", &[b'x'; 4096], &ROOT, T1),
        Err(Errno::ENAMETOOLONG)
    );
    assert!(fs.symlink(root, b"s", &[b'x'; 4095], &ROOT, T1).is_ok());
}

#[test]
fn hard_links_share_the_inode() {
    let mut fs = new_fs();
    let root = fs.root();
    build(&mut fs, &["f", "d/"]);
    let file = resolve(&fs, "f").unwrap();
    let dir = resolve(&fs, "d").unwrap();
    fs.link(dir, b"g", file, T1).unwrap();
    assert_eq!(fs.lookup(dir, b"g"), Ok(file));
    let stat = fs.stat(file).unwrap();
    assert_eq!((stat.nlink, stat.ctime), (2, T1));
    assert_eq!(fs.link(root, b"d2", dir, T1), Err(Errno::EPERM));
    assert_eq!(fs.link(root, b"f", file, T1), Err(Errno::EEXIST));
    assert_eq!(fs.link(root, b"..", file, T1), Err(Errno::EEXIST));
    // An unlinked file that is still open cannot be linked back (no O_TMPFILE here).
    fs.hold(file).unwrap();
    fs.unlink(root, b"f", T1).unwrap();
    fs.unlink(dir, b"g", T1).unwrap();
    assert_eq!(fs.link(root, b"back", file, T1), Err(Errno::ENOENT));
    fs.release(file).unwrap();
    assert_eq!(fs.link(root, b"back", file, T1), Err(Errno::ENOENT));
}

#[test]
fn set_group_id_directories_pass_on_their_group() {
    let mut fs = new_fs();
    let root = fs.root();
    let shared = fs.mkdir(root, b"shared", 0o2775, &ROOT, T0).unwrap();
    fs.setattr(
        shared,
        &crate::SetAttr {
            gid: Some(50),
            perm: Some(0o2777),
            ..Default::default()
        },
        T0,
    )
    .unwrap();
    let user = Credentials {
        uid: 1000,
        gid: 100,
        groups: &[],
    };
    let sub = fs.mkdir(shared, b"sub", 0o755, &user, T0).unwrap();
    let stat = fs.stat(sub).unwrap();
    assert_eq!((stat.gid, stat.mode & 0o7777), (50, 0o2755));
    // Not in group 50: a set-group-id executable loses the bit; a member keeps it.
    let file = fs
        .create(shared, b"x", NodeKind::Regular, 0o2755, &user, T0)
        .unwrap();
    assert_eq!(
        (
            fs.stat(file).unwrap().gid,
            fs.stat(file).unwrap().mode & 0o7777
        ),
        (50, 0o755)
    );
    let member = Credentials {
        uid: 1000,
        gid: 100,
        groups: &[50],
    };
    let file = fs
        .create(shared, b"y", NodeKind::Regular, 0o2755, &member, T0)
        .unwrap();
    assert_eq!(fs.stat(file).unwrap().mode & 0o7777, 0o2755);
    // Without group execute the bit is mandatory locking, and stays.
    let file = fs
        .create(shared, b"z", NodeKind::Regular, 0o2644, &user, T0)
        .unwrap();
    assert_eq!(fs.stat(file).unwrap().mode & 0o7777, 0o2644);
}

#[test]
fn open_create_follows_linux() {
    let mut fs = new_fs();
    let w = root_walker(&fs);
    build(&mut fs, &["d/", "f"]);
    fs.symlink(fs.root(), b"dangling", b"d/target", &ROOT, T0)
        .unwrap();
    fs.symlink(fs.root(), b"dangling_dir", b"nothere/", &ROOT, T0)
        .unwrap();
    fs.symlink(fs.root(), b"to_f", b"/f", &ROOT, T0).unwrap();
    let f = resolve(&fs, "f").unwrap();
    assert_eq!(
        fs.open_create(&w, at(&fs, "f"), 0o644, false, T1),
        Ok((f, false))
    );
    assert_eq!(
        fs.open_create(&w, at(&fs, "to_f"), 0o644, false, T1),
        Ok((f, false))
    );
    assert_eq!(
        fs.open_create(&w, at(&fs, "f"), 0o644, true, T1),
        Err(Errno::EEXIST)
    );
    assert_eq!(
        fs.open_create(&w, at(&fs, "dangling"), 0o644, true, T1),
        Err(Errno::EEXIST)
    );
    let (created, true) = fs
        .open_create(&w, at(&fs, "dangling"), 0o640, false, T1)
        .unwrap()
    else {
        panic!("should create the symlink's target")
    };
    assert_eq!(resolve(&fs, "d/target"), Ok(created));
    assert_eq!(fs.stat(created).unwrap().mode, 0o100_640);
    assert_eq!(
        fs.open_create(&w, at(&fs, "dangling_dir"), 0o644, false, T1),
        Err(Errno::EISDIR)
    );
    for path in ["d", "new/", "f/", ".", "..", "/", "d/.."] {
        let result = fs.open_create(
            &w,
            PathAt::new(fs.root(), path.as_bytes()),
            0o644,
            false,
            T1,
        );
        assert_eq!(result, Err(Errno::EISDIR), "{path}");
    }
    for path in [".", "./", "..", "/", "d/.."] {
        let result = fs.open_create(&w, PathAt::new(fs.root(), path.as_bytes()), 0o644, true, T1);
        assert_eq!(result, Err(Errno::EEXIST), "O_EXCL {path}");
    }
    assert_eq!(
        fs.open_create(&w, at(&fs, "new/"), 0o644, true, T1),
        Err(Errno::EISDIR)
    );
    assert_eq!(
        fs.open_create(&w, at(&fs, "nodir/x"), 0o644, false, T1),
        Err(Errno::ENOENT)
    );
    assert_eq!(
        fs.open_create(&w, at(&fs, "f/x"), 0o644, false, T1),
        Err(Errno::ENOTDIR)
    );
    assert_eq!(
        fs.open_create(&w, at(&fs, ""), 0o644, false, T1),
        Err(Errno::ENOENT)
    );
}

#[test]
fn path_creation_last_component_rules() {
    let mut fs = new_fs();
    let w = root_walker(&fs);
    build(&mut fs, &["d/", "f"]);
    fs.symlink(fs.root(), b"dangling", b"nowhere", &ROOT, T0)
        .unwrap();
    assert!(
        fs.mkdir_at(&w, at(&fs, "new/"), 0o755, T1).is_ok(),
        "mkdir accepts a trailing slash"
    );
    assert_eq!(
        fs.mkdir_at(&w, at(&fs, "f/"), 0o755, T1),
        Err(Errno::EEXIST)
    );
    assert_eq!(
        fs.mkdir_at(&w, at(&fs, "dangling"), 0o755, T1),
        Err(Errno::EEXIST)
    );
    for path in [".", "..", "/", "d/."] {
        assert_eq!(
            fs.mkdir_at(&w, PathAt::new(fs.root(), path.as_bytes()), 0o755, T1),
            Err(Errno::EEXIST)
        );
    }
    assert_eq!(
        fs.mknod_at(&w, at(&fs, "node/"), NodeKind::Fifo, 0o644, T1),
        Err(Errno::ENOENT)
    );
    assert_eq!(
        fs.mknod_at(&w, at(&fs, "f/"), NodeKind::Fifo, 0o644, T1),
        Err(Errno::EEXIST)
    );
    assert_eq!(
        fs.symlink_at(&w, b"x", at(&fs, "sl/"), T1),
        Err(Errno::ENOENT)
    );
    assert_eq!(
        fs.symlink_at(&w, b"", at(&fs, "nodir/x"), T1),
        Err(Errno::ENOENT)
    );
    assert_eq!(
        fs.symlink_at(&w, b"x", at(&fs, "nodir/x"), T1),
        Err(Errno::ENOENT)
    );
    assert_eq!(
        fs.link_at(&w, at(&fs, "f"), false, at(&fs, "g/"), T1),
        Err(Errno::ENOENT)
    );
    assert_eq!(
        fs.link_at(&w, at(&fs, "f/"), false, at(&fs, "g"), T1),
        Err(Errno::ENOTDIR)
    );
    assert_eq!(
        fs.link_at(&w, at(&fs, "d"), false, at(&fs, "g"), T1),
        Err(Errno::EPERM)
    );
    assert_eq!(
        fs.link_at(&w, at(&fs, "dangling"), true, at(&fs, "g"), T1),
        Err(Errno::ENOENT)
    );
    fs.link_at(&w, at(&fs, "dangling"), false, at(&fs, "g"), T1)
        .unwrap();
    assert_eq!(file_type(&fs, "g"), FileType::Symlink);
    fs.link_at(&w, at(&fs, "f"), false, at(&fs, "d/f2"), T1)
        .unwrap();
    assert_eq!(resolve(&fs, "d/f2"), resolve(&fs, "f"));
}

#[test]
fn inode_budget_gives_enospc() {
    let config = Config {
        max_inodes: 3,
        ..Config::default()
    };
    let mut fs = MemFs::new(&config, T0);
    let root = fs.root();
    fs.mkdir(root, b"a", 0o755, &ROOT, T0).unwrap();
    fs.create(root, b"b", NodeKind::Regular, 0o644, &ROOT, T0)
        .unwrap();
    assert_eq!(
        fs.create(root, b"c", NodeKind::Regular, 0o644, &ROOT, T0),
        Err(Errno::ENOSPC)
    );
    assert_eq!(fs.symlink(root, b"c", b"x", &ROOT, T0), Err(Errno::ENOSPC));
    assert_eq!(
        fs.usage().data_bytes,
        0,
        "a failed symlink gives its bytes back"
    );
    fs.unlink(root, b"b", T0).unwrap();
    assert!(fs.symlink(root, b"c", b"xyz", &ROOT, T0).is_ok());
    assert_eq!(fs.usage().data_bytes, 3);
    assert_eq!(fs.usage().inodes, 3);
}
