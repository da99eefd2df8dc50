//! unlink, rmdir, and inode lifetime (holds).

use super::support::*;
use crate::{Errno, NodeKind, PathAt};

#[test]
fn unlink_rules() {
    let mut fs = new_fs();
    let root = fs.root();
    build(&mut fs, &["d/", "f", "d/g"]);
    fs.symlink(root, b"to_d", b"d", &ROOT, T0).unwrap();
    assert_eq!(fs.unlink(root, b"d", T1), Err(Errno::EISDIR));
    assert_eq!(fs.unlink(root, b".", T1), Err(Errno::EISDIR));
    assert_eq!(fs.unlink(root, b"..", T1), Err(Errno::EISDIR));
    assert_eq!(fs.unlink(root, b"none", T1), Err(Errno::ENOENT));
    assert_eq!(fs.unlink(root, &[b'x'; 256], T1), Err(Errno::ENAMETOOLONG));
    let f = resolve(&fs, "f").unwrap();
    assert_eq!(fs.unlink(f, b"x", T1), Err(Errno::ENOTDIR));
    fs.unlink(root, b"to_d", T1).unwrap();
    assert!(
        resolve(&fs, "d").is_ok(),
        "unlinking a symlink leaves its target"
    );
    fs.unlink(root, b"f", T1).unwrap();
    assert_eq!(fs.stat(f), Err(Errno::ENOENT), "freed");
    assert_eq!(fs.stat(root).unwrap().mtime, T1);

    let w = root_walker(&fs);
    fs.symlink(root, b"to_d", b"d", &ROOT, T0).unwrap();
    build(&mut fs, &["f"]);
    assert_eq!(fs.unlink_at(&w, at(&fs, "d/"), T1), Err(Errno::EISDIR));
    assert_eq!(fs.unlink_at(&w, at(&fs, "f/"), T1), Err(Errno::ENOTDIR));
    assert_eq!(fs.unlink_at(&w, at(&fs, "to_d/"), T1), Err(Errno::ENOTDIR));
    assert_eq!(fs.unlink_at(&w, at(&fs, "none/"), T1), Err(Errno::ENOENT));
    assert_eq!(fs.unlink_at(&w, at(&fs, "/"), T1), Err(Errno::EISDIR));
    assert_eq!(fs.unlink_at(&w, at(&fs, "none/x"), T1), Err(Errno::ENOENT));
    fs.unlink_at(&w, at(&fs, "to_d/g"), T1).unwrap();
    assert_eq!(resolve(&fs, "d/g"), Err(Errno::ENOENT));
}

#[test]
fn rmdir_rules() {
    let mut fs = new_fs();
    let root = fs.root();
    build(&mut fs, &["d/", "d/e/", "f", "empty/"]);
    fs.symlink(root, b"to_empty", b"empty", &ROOT, T0).unwrap();
    let w = root_walker(&fs);
    assert_eq!(fs.rmdir(root, b"d", T1), Err(Errno::ENOTEMPTY));
    assert_eq!(fs.rmdir(root, b"f", T1), Err(Errno::ENOTDIR));
    assert_eq!(fs.rmdir(root, b"to_empty", T1), Err(Errno::ENOTDIR));
    assert_eq!(fs.rmdir(root, b".", T1), Err(Errno::EINVAL));
    assert_eq!(fs.rmdir(root, b"..", T1), Err(Errno::ENOTEMPTY));
    assert_eq!(fs.rmdir(root, b"none", T1), Err(Errno::ENOENT));
    assert_eq!(fs.rmdir_at(&w, at(&fs, "/"), T1), Err(Errno::EBUSY));
    assert_eq!(fs.rmdir_at(&w, at(&fs, "d/."), T1), Err(Errno::EINVAL));
    assert_eq!(
        fs.rmdir_at(&w, at(&fs, "d/e/.."), T1),
        Err(Errno::ENOTEMPTY)
    );
    assert_eq!(
        fs.rmdir_at(&w, at(&fs, "to_empty/"), T1),
        Err(Errno::ENOTDIR)
    );
    assert_eq!(fs.stat(root).unwrap().nlink, 4);
    fs.rmdir_at(&w, at(&fs, "empty//"), T1).unwrap();
    assert_eq!(fs.stat(root).unwrap().nlink, 3);
    fs.rmdir_at(&w, at(&fs, "d/e"), T1).unwrap();
    assert_eq!(fs.stat(resolve(&fs, "d").unwrap()).unwrap().nlink, 2);
    fs.rmdir(root, b"d", T1).unwrap();
    assert_eq!(fs.stat(root).unwrap().nlink, 2);
}

#[test]
fn held_files_outlive_their_links() {
    let mut fs = new_fs();
    let root = fs.root();
    let f = fs
        .create(root, b"f", NodeKind::Regular, 0o644, &ROOT, T0)
        .unwrap();
    fs.write_at(f, 0, &[7; 10_000], T0).unwrap();
    assert_eq!(fs.usage().data_bytes, 3 * 4096);
    fs.hold(f).unwrap();
    fs.unlink(root, b"f", T1).unwrap();
    assert_eq!(fs.lookup(root, b"f"), Err(Errno::ENOENT));
    let stat = fs.stat(f).unwrap();
    assert_eq!((stat.nlink, stat.ctime), (0, T1));
    fs.write_at(f, 10_000, b"more", T1).unwrap();
    let mut buf = [0; 4];
    assert_eq!(fs.read_at(f, 10_000, &mut buf), Ok(4));
    assert_eq!(fs.usage().inodes, 2);
    fs.release(f).unwrap();
    assert_eq!(fs.stat(f), Err(Errno::ENOENT));
    assert_eq!(fs.usage().data_bytes, 0, "pages are given back");
    assert_eq!(fs.usage().inodes, 1);
    assert_eq!(fs.release(f), Err(Errno::ENOENT));
    let g = fs
        .create(root, b"g", NodeKind::Regular, 0o644, &ROOT, T0)
        .unwrap();
    assert_eq!(fs.release(g), Err(Errno::EINVAL), "nothing held");
    assert_eq!(fs.release(root), Err(Errno::EINVAL));
}

#[test]
fn removed_directory_held_as_working_directory() {
    let mut fs = new_fs();
    let root = fs.root();
    build(&mut fs, &["a/", "a/b/"]);
    let a = resolve(&fs, "a").unwrap();
    let b = resolve(&fs, "a/b").unwrap();
    fs.hold(b).unwrap();
    fs.rmdir(a, b"b", T1).unwrap();
    fs.rmdir(root, b"a", T1).unwrap();
    // Like Linux: the removed directory is empty and unusable, but ".." still leads back up.
    assert_eq!(fs.stat(b).unwrap().nlink, 0);
    assert_eq!(fs.stat(b).unwrap().size, 40);
    assert_eq!(fs.read_dir(b, 0, 4096), Err(Errno::ENOENT));
    assert_eq!(fs.lookup(b, b"x"), Err(Errno::ENOENT));
    assert_eq!(
        fs.create(b, b"x", NodeKind::Regular, 0o644, &ROOT, T1),
        Err(Errno::ENOENT)
    );
    assert_eq!(fs.mkdir(b, b"x", 0o755, &ROOT, T1), Err(Errno::ENOENT));
    let w = root_walker(&fs);
    assert_eq!(
        fs.open_create(&w, PathAt::new(b, b"x"), 0o644, false, T1),
        Err(Errno::ENOENT)
    );
    assert_eq!(fs.lookup_at(&w, PathAt::new(b, b"."), true), Ok(b));
    assert_eq!(
        fs.lookup_at(&w, PathAt::new(b, b".."), true),
        Ok(a),
        "the removed parent is kept alive"
    );
    assert_eq!(fs.lookup_at(&w, PathAt::new(b, b"../.."), true), Ok(root));
    assert_eq!(fs.usage().inodes, 3);
    fs.release(b).unwrap();
    assert_eq!(fs.usage().inodes, 1, "both removed directories are freed");
    assert_eq!(fs.stat(a), Err(Errno::ENOENT));
}
