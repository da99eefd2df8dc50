//! rename and renameat2.

use super::support::*;
use crate::{Errno, NodeKind, PathAt, RenameFlags};

const NONE: RenameFlags = RenameFlags::empty();

#[test]
fn renames_and_replaces() {
    let mut fs = new_fs();
    let root = fs.root();
    build(&mut fs, &["a", "b", "d/", "e/", "e/x", "empty/"]);
    let a = resolve(&fs, "a").unwrap();
    let b = resolve(&fs, "b").unwrap();
    fs.rename(root, b"a", root, b"b", NONE, T1).unwrap();
    assert_eq!(resolve(&fs, "b"), Ok(a));
    assert_eq!(resolve(&fs, "a"), Err(Errno::ENOENT));
    assert_eq!(fs.stat(b), Err(Errno::ENOENT), "the replaced file is freed");
    assert_eq!(fs.stat(a).unwrap().ctime, T1);
    // Directories: onto an empty directory only; types must agree.
    assert_eq!(
        fs.rename(root, b"d", root, b"e", NONE, T1),
        Err(Errno::ENOTEMPTY)
    );
    assert_eq!(
        fs.rename(root, b"d", root, b"b", NONE, T1),
        Err(Errno::ENOTDIR)
    );
    assert_eq!(
        fs.rename(root, b"b", root, b"d", NONE, T1),
        Err(Errno::EISDIR)
    );
    let d = resolve(&fs, "d").unwrap();
    fs.rename(root, b"d", root, b"empty", NONE, T1).unwrap();
    assert_eq!(resolve(&fs, "empty"), Ok(d));
    assert_eq!(fs.stat(root).unwrap().nlink, 4, "root, ., e, empty");
    // Moving a directory re-parents it.
    let e = resolve(&fs, "e").unwrap();
    fs.rename(root, b"empty", e, b"moved", NONE, T1).unwrap();
    assert_eq!(fs.lookup(d, b".."), Ok(e));
    assert_eq!(
        (fs.stat(root).unwrap().nlink, fs.stat(e).unwrap().nlink),
        (3, 3)
    );
    assert_eq!(fs.stat(e).unwrap().mtime, T1);
}

#[test]
fn rename_edge_cases() {
    let mut fs = new_fs();
    let root = fs.root();
    build(&mut fs, &["f", "a/", "a/b/", "a/b/c/"]);
    let f = resolve(&fs, "f").unwrap();
    fs.link(root, b"g", f, T0).unwrap();
    // Same inode: nothing happens, both names stay.
    fs.rename(root, b"f", root, b"g", NONE, T1).unwrap();
    assert_eq!((resolve(&fs, "f"), resolve(&fs, "g")), (Ok(f), Ok(f)));
    assert_eq!(fs.stat(f).unwrap().ctime, T0);
    fs.rename(root, b"f", root, b"f", NONE, T1).unwrap();
    let a = resolve(&fs, "a").unwrap();
    let b = resolve(&fs, "a/b").unwrap();
    let c = resolve(&fs, "a/b/c").unwrap();
    // Into its own subtree.
    assert_eq!(fs.rename(root, b"a", b, b"x", NONE, T1), Err(Errno::EINVAL));
    assert_eq!(fs.rename(root, b"a", a, b"x", NONE, T1), Err(Errno::EINVAL));
    // Onto an ancestor of the source.
    assert_eq!(
        fs.rename(b, b"c", root, b"a", NONE, T1),
        Err(Errno::ENOTEMPTY)
    );
    assert_eq!(fs.rename(c, b".", root, b"x", NONE, T1), Err(Errno::EBUSY));
    assert_eq!(
        fs.rename(root, b"f", root, b"..", NONE, T1),
        Err(Errno::EBUSY)
    );
    assert_eq!(
        fs.rename(root, b"f", root, b".", RenameFlags::NOREPLACE, T1),
        Err(Errno::EEXIST)
    );
    assert_eq!(
        fs.rename(root, b"none", root, b"x", NONE, T1),
        Err(Errno::ENOENT)
    );
    assert_eq!(
        fs.rename(root, b"f", f, b"x", NONE, T1),
        Err(Errno::ENOTDIR)
    );
    assert_eq!(
        fs.rename(root, b"f", root, &[b'x'; 256], NONE, T1),
        Err(Errno::ENAMETOOLONG)
    );
    // A directory may move up next to its ancestor.
    fs.rename(b, b"c", root, b"c", NONE, T1).unwrap();
    assert_eq!(fs.lookup(c, b".."), Ok(root));
}

#[test]
fn noreplace_and_exchange() {
    let mut fs = new_fs();
    let root = fs.root();
    build(&mut fs, &["f", "d/", "d/x", "e/"]);
    let f = resolve(&fs, "f").unwrap();
    let d = resolve(&fs, "d").unwrap();
    let e = resolve(&fs, "e").unwrap();
    assert_eq!(RenameFlags::from_linux(3), Err(Errno::EINVAL));
    assert_eq!(
        RenameFlags::from_linux(4),
        Err(Errno::EINVAL),
        "RENAME_WHITEOUT"
    );
    assert_eq!(RenameFlags::from_linux(2), Ok(RenameFlags::EXCHANGE));
    assert_eq!(
        fs.rename(root, b"f", root, b"d", RenameFlags::all(), T1),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        fs.rename(root, b"f", root, b"e", RenameFlags::NOREPLACE, T1),
        Err(Errno::EEXIST)
    );
    fs.rename(root, b"f", root, b"g", RenameFlags::NOREPLACE, T1)
        .unwrap();
    assert_eq!(
        fs.rename(root, b"g", root, b"none", RenameFlags::EXCHANGE, T1),
        Err(Errno::ENOENT)
    );
    // Exchange a file in the root with a directory in the root, then a file across directories.
    fs.rename(root, b"g", root, b"d", RenameFlags::EXCHANGE, T1)
        .unwrap();
    assert_eq!((resolve(&fs, "g"), resolve(&fs, "d")), (Ok(d), Ok(f)));
    assert_eq!(fs.stat(root).unwrap().nlink, 4);
    fs.rename(root, b"d", d, b"x", RenameFlags::EXCHANGE, T1)
        .unwrap();
    assert_eq!(resolve(&fs, "g/x"), Ok(f));
    // A directory and a file across directories: link counts follow the directory.
    fs.rename(root, b"e", d, b"x", RenameFlags::EXCHANGE, T1)
        .unwrap();
    assert_eq!(resolve(&fs, "g/x"), Ok(e));
    assert_eq!(resolve(&fs, "e"), Ok(f));
    assert_eq!(fs.lookup(e, b".."), Ok(d));
    assert_eq!(
        (fs.stat(root).unwrap().nlink, fs.stat(d).unwrap().nlink),
        (3, 3)
    );
    // Exchange cannot move an ancestor into its descendant either way.
    assert_eq!(
        fs.rename(root, b"g", d, b"x", RenameFlags::EXCHANGE, T1),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        fs.rename(d, b"x", root, b"g", RenameFlags::EXCHANGE, T1),
        Err(Errno::EINVAL)
    );
}

#[test]
fn rename_at_trailing_slashes_and_path_order() {
    let mut fs = new_fs();
    let w = root_walker(&fs);
    build(&mut fs, &["f", "d/"]);
    let root_dir = fs.root();
    let p = |path: &'static str| PathAt::new(root_dir, path.as_bytes());
    assert_eq!(
        fs.rename_at(&w, p("f/"), p("g"), NONE, T1),
        Err(Errno::ENOTDIR)
    );
    assert_eq!(
        fs.rename_at(&w, p("f"), p("g/"), NONE, T1),
        Err(Errno::ENOTDIR)
    );
    assert_eq!(
        fs.rename_at(&w, p("none/"), p("g/"), NONE, T1),
        Err(Errno::ENOENT)
    );
    assert_eq!(
        fs.rename_at(&w, p("none"), p("nodir/x"), NONE, T1),
        Err(Errno::ENOENT)
    );
    assert_eq!(
        fs.rename_at(&w, p("f"), p("f/x"), NONE, T1),
        Err(Errno::ENOTDIR)
    );
    assert_eq!(
        fs.rename_at(&w, p("d"), p("/"), NONE, T1),
        Err(Errno::EBUSY)
    );
    assert_eq!(
        fs.rename_at(&w, p("f"), p("d/."), RenameFlags::NOREPLACE, T1),
        Err(Errno::EEXIST)
    );
    fs.rename_at(&w, p("d/"), p("e/"), NONE, T1).unwrap();
    fs.rename_at(&w, p("f"), p("e/f"), NONE, T1).unwrap();
    assert!(resolve(&fs, "e/f").is_ok());
    let e = resolve(&fs, "e").unwrap();
    let f = fs
        .create(e, b"x", NodeKind::Regular, 0o644, &ROOT, T0)
        .unwrap();
    assert_eq!(
        fs.rename_at(&w, p("e/x"), p("e/f/"), RenameFlags::EXCHANGE, T1),
        Err(Errno::ENOTDIR)
    );
    fs.rename_at(&w, p("e/x"), p("e/f"), RenameFlags::EXCHANGE, T1)
        .unwrap();
    assert_eq!(resolve(&fs, "e/f"), Ok(f));
}

#[test]
fn replaced_directory_that_is_held_stays_usable_upwards() {
    let mut fs = new_fs();
    let root = fs.root();
    build(&mut fs, &["src/", "dst/"]);
    let dst = resolve(&fs, "dst").unwrap();
    fs.hold(dst).unwrap();
    fs.rename(root, b"src", root, b"dst", NONE, T1).unwrap();
    assert_eq!(fs.stat(dst).unwrap().nlink, 0);
    assert_eq!(fs.stat(root).unwrap().nlink, 3);
    assert_eq!(fs.lookup(dst, b".."), Ok(root));
    fs.release(dst).unwrap();
    assert_eq!(fs.stat(dst), Err(Errno::ENOENT));
    assert_eq!(fs.usage().inodes, 2);
}
