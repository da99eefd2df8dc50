//! Permission rules: may_access, and the checks path operations make.

use super::support::*;
use crate::{
    may_access, Access, Credentials, DeviceNumber, Errno, FileType, NodeKind, PathAt, RenameFlags,
    SetAttr, Stat, Timestamp, Walker,
};

fn stat_with(mode: u32, uid: u32, gid: u32) -> Stat {
    Stat {
        dev: 0,
        ino: 1,
        nlink: 1,
        mode,
        uid,
        gid,
        rdev: 0,
        size: 0,
        blksize: 4096,
        blocks: 0,
        atime: Timestamp::default(),
        mtime: Timestamp::default(),
        ctime: Timestamp::default(),
    }
}

#[test]
fn owner_group_other_classes() {
    let owner = Credentials {
        uid: 10,
        gid: 99,
        groups: &[],
    };
    let member = Credentials {
        uid: 11,
        gid: 99,
        groups: &[20],
    };
    let other = Credentials {
        uid: 12,
        gid: 99,
        groups: &[],
    };
    let file = stat_with(0o100_640, 10, 20);
    assert!(may_access(&file, &owner, Access::READ | Access::WRITE));
    assert!(!may_access(&file, &owner, Access::EXEC));
    assert!(may_access(&file, &member, Access::READ));
    assert!(!may_access(&file, &member, Access::WRITE));
    assert!(!may_access(&file, &other, Access::READ));
    assert!(may_access(&file, &other, Access::empty()));
    // The owner class applies to the owner even when it grants less than the others.
    let odd = stat_with(0o100_077, 10, 20);
    assert!(!may_access(&odd, &owner, Access::READ));
    assert!(may_access(
        &odd,
        &other,
        Access::READ | Access::WRITE | Access::EXEC
    ));
    let primary_group = Credentials {
        uid: 13,
        gid: 20,
        groups: &[],
    };
    assert!(may_access(&file, &primary_group, Access::READ));
}

#[test]
fn root_bypasses_all_but_exec_without_any_x_bit() {
    let root = Credentials::ROOT;
    let all = Access::READ | Access::WRITE | Access::EXEC;
    assert!(may_access(
        &stat_with(0o100_000, 5, 5),
        &root,
        Access::READ | Access::WRITE
    ));
    assert!(!may_access(
        &stat_with(0o100_600, 5, 5),
        &root,
        Access::EXEC
    ));
    assert!(may_access(&stat_with(0o100_001, 5, 5), &root, all));
    assert!(
        may_access(&stat_with(0o040_000, 5, 5), &root, all),
        "directories are always searchable"
    );
}

#[test]
fn directory_write_and_search_are_needed_to_change_entries() {
    let mut fs = new_fs();
    build(&mut fs, &["ro/", "ro/f", "rw/"]);
    let ro = resolve(&fs, "ro").unwrap();
    fs.setattr(
        ro,
        &SetAttr {
            perm: Some(0o555),
            ..SetAttr::default()
        },
        T0,
    )
    .unwrap();
    let rw = resolve(&fs, "rw").unwrap();
    fs.setattr(
        rw,
        &SetAttr {
            perm: Some(0o777),
            ..SetAttr::default()
        },
        T0,
    )
    .unwrap();
    let user = Walker {
        root: fs.root(),
        cred: Credentials {
            uid: 1000,
            gid: 1000,
            groups: &[],
        },
    };
    let root_dir = fs.root();
    let p = |path: &'static str| PathAt::new(root_dir, path.as_bytes());
    assert_eq!(fs.mkdir_at(&user, p("ro/x"), 0o755, T1), Err(Errno::EACCES));
    assert_eq!(
        fs.mkdir_at(&user, p("ro/f"), 0o755, T1),
        Err(Errno::EEXIST),
        "existence is checked first"
    );
    assert_eq!(
        fs.open_create(&user, p("ro/x"), 0o644, false, T1),
        Err(Errno::EACCES)
    );
    assert_eq!(
        fs.open_create(&user, p("ro/f"), 0o644, false, T1)
            .map(|r| r.1),
        Ok(false)
    );
    assert_eq!(fs.unlink_at(&user, p("ro/f"), T1), Err(Errno::EACCES));
    assert_eq!(
        fs.unlink_at(&user, p("ro/x"), T1),
        Err(Errno::ENOENT),
        "missing is reported first"
    );
    assert_eq!(
        fs.symlink_at(&user, b"t", p("ro/s"), T1),
        Err(Errno::EACCES)
    );
    assert_eq!(
        fs.rename_at(&user, p("ro/f"), p("rw/f"), RenameFlags::empty(), T1),
        Err(Errno::EACCES)
    );
    let kind = NodeKind::CharDevice(DeviceNumber::new(1, 3));
    assert_eq!(
        fs.mknod_at(&user, p("rw/null"), kind, 0o666, T1),
        Err(Errno::EPERM)
    );
    let fifo = fs
        .mknod_at(&user, p("rw/fifo"), NodeKind::Fifo, 0o666, T1)
        .unwrap();
    assert_eq!(
        (fs.stat(fifo).unwrap().uid, fs.stat(fifo).unwrap().gid),
        (1000, 1000)
    );
    // Moving a directory between parents rewrites its "..": it needs write permission itself.
    let sub = fs.mkdir_at(&user, p("rw/sub"), 0o555, T1).unwrap();
    fs.mkdir_at(&user, p("rw/other"), 0o755, T1).unwrap();
    assert_eq!(
        fs.rename_at(
            &user,
            p("rw/sub"),
            p("rw/other/sub"),
            RenameFlags::empty(),
            T1
        ),
        Err(Errno::EACCES)
    );
    assert!(fs
        .rename_at(
            &user,
            p("rw/sub"),
            p("rw/renamed"),
            RenameFlags::empty(),
            T1
        )
        .is_ok());
    assert_eq!(fs.lookup(rw, b"renamed"), Ok(sub));
}

#[test]
fn sticky_directories_protect_other_users_entries() {
    let mut fs = new_fs();
    let tmp = fs.mkdir(fs.root(), b"tmp", 0o1777, &ROOT, T0).unwrap();
    let alice = Credentials {
        uid: 1000,
        gid: 1000,
        groups: &[],
    };
    let bob = Credentials {
        uid: 1001,
        gid: 1001,
        groups: &[],
    };
    fs.create(tmp, b"alices", NodeKind::Regular, 0o666, &alice, T0)
        .unwrap();
    let bob_walker = Walker {
        root: fs.root(),
        cred: bob,
    };
    let root_dir = fs.root();
    let p = |path: &'static str| PathAt::new(root_dir, path.as_bytes());
    assert_eq!(
        fs.unlink_at(&bob_walker, p("tmp/alices"), T1),
        Err(Errno::EPERM)
    );
    let none = RenameFlags::empty();
    assert_eq!(
        fs.rename_at(&bob_walker, p("tmp/alices"), p("tmp/mine"), none, T1),
        Err(Errno::EPERM)
    );
    fs.create(tmp, b"bobs", NodeKind::Regular, 0o666, &bob, T0)
        .unwrap();
    assert_eq!(
        fs.rename_at(&bob_walker, p("tmp/bobs"), p("tmp/alices"), none, T1),
        Err(Errno::EPERM)
    );
    let alice_walker = Walker {
        root: fs.root(),
        cred: alice,
    };
    assert!(fs.unlink_at(&alice_walker, p("tmp/alices"), T1).is_ok());
    assert!(fs
        .unlink_at(
            &Walker {
                root: fs.root(),
                cred: ROOT
            },
            p("tmp/bobs"),
            T1
        )
        .is_ok());
}

#[test]
fn protected_hardlinks() {
    let mut fs = new_fs();
    let root = fs.root();
    let pub_dir = fs.mkdir(root, b"pub", 0o777, &ROOT, T0).unwrap();
    let secret = fs
        .create(root, b"secret", NodeKind::Regular, 0o600, &ROOT, T0)
        .unwrap();
    let shared = fs
        .create(root, b"shared", NodeKind::Regular, 0o666, &ROOT, T0)
        .unwrap();
    let setuid = fs
        .create(root, b"setuid", NodeKind::Regular, 0o4777, &ROOT, T0)
        .unwrap();
    let user = Walker {
        root,
        cred: Credentials {
            uid: 1000,
            gid: 1000,
            groups: &[],
        },
    };
    let p = |path: &'static str| PathAt::new(root, path.as_bytes());
    assert_eq!(
        fs.link_at(&user, p("secret"), false, p("pub/a"), T1),
        Err(Errno::EPERM)
    );
    assert_eq!(
        fs.link_at(&user, p("setuid"), false, p("pub/b"), T1),
        Err(Errno::EPERM)
    );
    assert!(fs
        .link_at(&user, p("shared"), false, p("pub/c"), T1)
        .is_ok());
    let mine = fs
        .create(pub_dir, b"mine", NodeKind::Regular, 0o400, &user.cred, T0)
        .unwrap();
    assert!(fs
        .link_at(&user, p("pub/mine"), false, p("pub/d"), T1)
        .is_ok());
    assert_eq!(fs.stat(mine).unwrap().nlink, 2);
    let _ = (secret, shared, setuid);
    assert_eq!(file_type(&fs, "pub/c"), FileType::Regular);
}
