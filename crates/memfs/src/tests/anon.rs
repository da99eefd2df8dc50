//! Unnamed files (memfd_create).

use super::support::*;

#[test]
fn unnamed_files_live_while_held() {
    let mut fs = new_fs();
    let ino = fs.create_unnamed(0o777, &ROOT, T0).unwrap();
    fs.hold(ino).unwrap();
    assert_eq!(fs.stat(ino).unwrap().nlink, 0);
    assert_eq!(fs.write_at(ino, 0, b"abc", T0), Ok(3));
    fs.release(ino).unwrap();
    assert!(fs.stat(ino).is_err());
}
