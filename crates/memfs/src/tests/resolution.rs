//! Path resolution.

use super::support::*;
use crate::{Credentials, Errno, FileType, LastComponent, PathAt, SetAttr, Walker};
use std::format;

#[test]
fn dots_and_slashes() {
    let mut fs = new_fs();
    build(&mut fs, &["a/", "a/b/", "a/b/f"]);
    let root = fs.root();
    let a = resolve(&fs, "a").unwrap();
    let b = resolve(&fs, "a/b").unwrap();
    let f = resolve(&fs, "a/b/f").unwrap();
    for (path, expected) in [
        ("/", root),
        ("///", root),
        (".", root),
        ("..", root),
        ("/../..", root),
        ("a//b///f", f),
        ("./a/./b/../b/f", f),
        ("a/b/..", a),
        ("a/b/../", a),
        ("a/b/.", b),
        ("a/", a),
        ("/a/b/", b),
    ] {
        assert_eq!(resolve(&fs, path), Ok(expected), "{path}");
    }
    assert_eq!(fs.resolve(root, b, b"f", false), Ok(f));
    assert_eq!(fs.resolve(root, b, b"../..", false), Ok(root));
    assert_eq!(fs.resolve(root, b, b"/a", false), Ok(a));
    for (path, errno) in [
        ("", Errno::ENOENT),
        ("x", Errno::ENOENT),
        ("x/", Errno::ENOENT),
        ("a/x/f", Errno::ENOENT),
        ("a/b/f/", Errno::ENOTDIR),
        ("a/b/f/.", Errno::ENOTDIR),
        ("a/b/f/..", Errno::ENOTDIR),
        ("a/b/f/x", Errno::ENOTDIR),
    ] {
        assert_eq!(resolve(&fs, path), Err(errno), "{path}");
    }
}

#[test]
fn length_limits() {
    let mut fs = new_fs();
    let root = fs.root();
    let long = "n".repeat(255);
    fs.mkdir(root, long.as_bytes(), 0o755, &ROOT, T0).unwrap();
    assert!(resolve(&fs, &long).is_ok());
    assert_eq!(resolve(&fs, &"n".repeat(256)), Err(Errno::ENAMETOOLONG));
    assert_eq!(
        resolve(&fs, &format!("x/{}", "n".repeat(256))),
        Err(Errno::ENOENT),
        "earlier errors win"
    );
    assert_eq!(
        resolve(&fs, &format!("{}/x", "n".repeat(256))),
        Err(Errno::ENAMETOOLONG)
    );
    let path_4095 = format!("{}{}", "/".repeat(4095 - 255), long);
    assert!(resolve(&fs, &path_4095).is_ok());
    assert_eq!(
        resolve(&fs, &format!("/{path_4095}")),
        Err(Errno::ENAMETOOLONG)
    );
    assert_eq!(
        fs.resolve_parent(root, root, &[b'/'; 4096]),
        Err(Errno::ENAMETOOLONG)
    );
}

#[test]
fn symlinks() {
    let mut fs = new_fs();
    build(&mut fs, &["a/", "a/b/", "a/b/f", "z/"]);
    let root = fs.root();
    let a = resolve(&fs, "a").unwrap();
    let b = resolve(&fs, "a/b").unwrap();
    let f = resolve(&fs, "a/b/f").unwrap();
    let rel = fs.symlink(a, b"rel", b"b/f", &ROOT, T0).unwrap();
    fs.symlink(a, b"up", b"../a/b", &ROOT, T0).unwrap();
    fs.symlink(a, b"abs", b"/a/b/", &ROOT, T0).unwrap();
    fs.symlink(a, b"slash", b"/", &ROOT, T0).unwrap();
    fs.symlink(a, b"chain", b"up", &ROOT, T0).unwrap();
    fs.symlink(a, b"dangling", b"nothing", &ROOT, T0).unwrap();
    fs.symlink(a, b"to_file_dir", b"b/f/", &ROOT, T0).unwrap();
    assert_eq!(resolve(&fs, "a/rel"), Ok(f));
    assert_eq!(fs.resolve(root, root, b"a/rel", false), Ok(rel));
    assert_eq!(
        fs.resolve(root, root, b"a/rel/", false),
        Err(Errno::ENOTDIR)
    );
    assert_eq!(resolve(&fs, "a/up/f"), Ok(f));
    assert_eq!(
        fs.resolve(root, root, b"a/up/", false),
        Ok(b),
        "a trailing slash follows"
    );
    assert_eq!(resolve(&fs, "a/abs/f"), Ok(f));
    assert_eq!(
        resolve(&fs, "a/abs/.."),
        Ok(a),
        ".. after a symlink is physical"
    );
    assert_eq!(resolve(&fs, "a/slash"), Ok(root));
    assert_eq!(resolve(&fs, "a/slash/a/chain/f"), Ok(f));
    assert_eq!(resolve(&fs, "a/dangling"), Err(Errno::ENOENT));
    assert_eq!(
        fs.file_type(fs.resolve(root, root, b"a/dangling", false).unwrap()),
        Ok(FileType::Symlink)
    );
    assert_eq!(resolve(&fs, "a/dangling/"), Err(Errno::ENOENT));
    assert_eq!(resolve(&fs, "a/to_file_dir"), Err(Errno::ENOTDIR));
    assert_eq!(resolve(&fs, "a/rel/x"), Err(Errno::ENOTDIR));
    // Parent resolution follows intermediate symlinks but never the last component.
    let parent = fs.resolve_parent(root, root, b"a/up/new/").unwrap();
    assert_eq!(
        (parent.dir, parent.last, parent.trailing_slash),
        (b, LastComponent::Name(b"new"), true)
    );
    let parent = fs.resolve_parent(root, root, b"a/rel").unwrap();
    assert_eq!((parent.dir, parent.last), (a, LastComponent::Name(b"rel")));
    let parent = fs.resolve_parent(root, b, b"//").unwrap();
    assert_eq!((parent.dir, parent.last), (root, LastComponent::Root));
    assert_eq!(
        fs.resolve_parent(root, root, b"a/rel/x").map(|p| p.dir),
        Err(Errno::ENOTDIR)
    );
}

#[test]
fn symlink_limit_is_forty() {
    let mut fs = new_fs();
    let root = fs.root();
    build(&mut fs, &["target"]);
    let target = resolve(&fs, "target").unwrap();
    // l0 -> target, l1 -> l0, …: resolving l{n} follows n + 1 links.
    fs.symlink(root, b"l0", b"target", &ROOT, T0).unwrap();
    for n in 1..=40 {
        fs.symlink(
            root,
            format!("l{n}").as_bytes(),
            format!("l{}", n - 1).as_bytes(),
            &ROOT,
            T0,
        )
        .unwrap();
    }
    assert_eq!(resolve(&fs, "l39"), Ok(target));
    assert_eq!(resolve(&fs, "l40"), Err(Errno::ELOOP));
    assert!(
        fs.resolve(root, root, b"l40", false).is_ok(),
        "not following the last costs nothing"
    );
    fs.symlink(root, b"self", b"self", &ROOT, T0).unwrap();
    fs.symlink(root, b"ping", b"pong/x", &ROOT, T0).unwrap();
    fs.symlink(root, b"pong", b"ping/", &ROOT, T0).unwrap();
    assert_eq!(resolve(&fs, "self"), Err(Errno::ELOOP));
    assert_eq!(resolve(&fs, "ping"), Err(Errno::ELOOP));
    assert_eq!(
        fs.resolve_parent(root, root, b"self/x").map(|p| p.dir),
        Err(Errno::ELOOP)
    );
    // The count is per walk, not per nesting level.
    build(&mut fs, &["d/"]);
    fs.symlink(root, b"d0", b"d", &ROOT, T0).unwrap();
    let path: std::string::String = (0..20).map(|_| "d0/../").collect();
    assert_eq!(
        resolve(&fs, &format!("{path}d0")),
        Ok(resolve(&fs, "d").unwrap()),
        "21 links"
    );
    let path: std::string::String = (0..40).map(|_| "d0/../").collect();
    assert_eq!(
        resolve(&fs, &format!("{path}target")),
        Ok(target),
        "40 links"
    );
    assert_eq!(
        resolve(&fs, &format!("{path}d0")),
        Err(Errno::ELOOP),
        "41 links"
    );
}

#[test]
fn chroot_confines_dotdot_and_absolute_links() {
    let mut fs = new_fs();
    build(&mut fs, &["jail/", "jail/etc/", "etc/"]);
    let jail = resolve(&fs, "jail").unwrap();
    let jail_etc = resolve(&fs, "jail/etc").unwrap();
    fs.symlink(jail, b"escape", b"/etc", &ROOT, T0).unwrap();
    let w = Walker {
        root: jail,
        cred: Credentials::ROOT,
    };
    assert_eq!(
        fs.lookup_at(&w, PathAt::new(jail_etc, b"../../.."), true),
        Ok(jail)
    );
    assert_eq!(
        fs.lookup_at(&w, PathAt::new(jail_etc, b"/etc"), true),
        Ok(jail_etc)
    );
    assert_eq!(
        fs.lookup_at(&w, PathAt::new(jail, b"escape"), true),
        Ok(jail_etc)
    );
    assert_eq!(fs.resolve(jail, jail, b"..", true), Ok(jail));
}

#[test]
fn search_permission_is_checked_on_every_directory() {
    let mut fs = new_fs();
    build(&mut fs, &["open/", "open/closed/", "open/closed/f"]);
    let closed = resolve(&fs, "open/closed").unwrap();
    fs.setattr(
        closed,
        &SetAttr {
            perm: Some(0o700),
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
    assert_eq!(
        fs.lookup_at(&user, p("open/closed"), true),
        Ok(closed),
        "the directory itself is reachable"
    );
    assert_eq!(
        fs.lookup_at(&user, p("open/closed/f"), true),
        Err(Errno::EACCES)
    );
    assert_eq!(
        fs.lookup_at(&user, p("open/closed/."), true),
        Err(Errno::EACCES)
    );
    assert_eq!(
        fs.lookup_at(&user, p("open/closed/nothing"), true),
        Err(Errno::EACCES)
    );
    assert_eq!(
        fs.lookup_parent_at(&user, p("open/closed/f"))
            .map(|p| p.dir),
        Err(Errno::EACCES)
    );
    assert!(fs.lookup_parent_at(&user, p("open/closed")).is_ok());
    assert!(fs
        .lookup_at(
            &Walker {
                root: fs.root(),
                cred: ROOT
            },
            p("open/closed/f"),
            true
        )
        .is_ok());
    fs.symlink(fs.root(), b"via", b"open/closed/f", &ROOT, T0)
        .unwrap();
    assert_eq!(fs.lookup_at(&user, p("via"), true), Err(Errno::EACCES));
    assert!(fs.lookup_at(&user, p("via"), false).is_ok());
}
