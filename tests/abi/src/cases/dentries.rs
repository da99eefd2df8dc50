//! Walks right after changes: every change to a directory shows in the next lookup of the names involved
//! (Basalt's VFS caches lookups, negative ones included, and walk attributes; these cases would see a stale
//! entry). Directory renames, RENAME_EXCHANGE and RENAME_NOREPLACE, and a chmod that takes away search
//! permission.

use crate::child::ask;
use crate::registry::Case;
use crate::scratch;
use crate::sys::{cstr, errno_name, nr, outcome, Errno};
use std::os::unix::fs::{MetadataExt, PermissionsExt};

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case::new("dentries.each_change_shows_next_walk", each_change),
    Case::new("dentries.renamed_directory_keeps_contents", renamed_dir),
    Case::new("dentries.rename_exchange_and_noreplace", exchange),
    Case::new("dentries.chmod_changes_search", chmod_search),
];

const RENAME_NOREPLACE: usize = 1;
const RENAME_EXCHANGE: usize = 2;

/// What `lstat` finds at `path`: its type, or the errno.
fn kind(path: &str) -> String {
    match std::fs::symlink_metadata(path) {
        Ok(m) => {
            let t = m.file_type();
            if t.is_dir() {
                "dir"
            } else if t.is_symlink() {
                "link"
            } else if t.is_file() {
                "file"
            } else {
                "other"
            }
            .to_string()
        }
        Err(e) => errno_of(&e),
    }
}

fn errno_of(e: &std::io::Error) -> String {
    errno_name(Errno(e.raw_os_error().unwrap_or(0) as u16))
}

fn ino(path: &str) -> u64 {
    std::fs::symlink_metadata(path).map_or(0, |m| m.ino())
}

/// A fresh scratch directory for one case.
fn fresh(name: &str) -> String {
    let dir = scratch::path(name);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::create_dir(&dir);
    dir
}

fn renameat2(from: &str, to: &str, flags: usize) -> String {
    let (a, b) = (cstr(from), cstr(to));
    outcome(sys!(
        nr::RENAMEAT2,
        libc::AT_FDCWD,
        a.as_ptr(),
        libc::AT_FDCWD,
        b.as_ptr(),
        flags
    ))
}

fn each_change() -> String {
    let d = fresh("dentries-each");
    let x = format!("{d}/x");
    let mut out = Vec::new();
    let mut step = |what: &str, path: &str| out.push(format!("{what} {}", kind(path)));
    step("before", &x);
    let _ = std::fs::write(&x, b"");
    step("created", &x);
    let _ = std::fs::hard_link(&x, format!("{d}/y"));
    step("linked", &format!("{d}/y"));
    let _ = std::fs::remove_file(&x);
    step("unlinked", &x);
    step("link stays", &format!("{d}/y"));
    let _ = std::fs::create_dir(&x);
    step("mkdir", &x);
    step("inside new dir", &format!("{x}/z"));
    let _ = std::fs::write(format!("{x}/z"), b"");
    step("file in new dir", &format!("{x}/z"));
    let _ = std::fs::remove_file(format!("{x}/z"));
    let _ = std::fs::remove_dir(&x);
    step("rmdir", &x);
    let _ = std::os::unix::fs::symlink("y", &x);
    step("symlink", &x);
    step("through symlink", &format!("{x}/"));
    let _ = std::fs::remove_file(&x);
    let c = cstr(&x);
    let mknod = outcome(sys!(
        nr::MKNODAT,
        libc::AT_FDCWD,
        c.as_ptr(),
        libc::S_IFIFO | 0o644,
        0
    ));
    step(&format!("mknod {mknod}"), &x);
    let _ = std::fs::rename(format!("{d}/y"), &x);
    step("renamed over", &x);
    step("old name", &format!("{d}/y"));
    let _ = std::fs::remove_dir_all(&d);
    out.join(", ")
}

fn renamed_dir() -> String {
    let d = fresh("dentries-renamed");
    let (a, b) = (format!("{d}/a"), format!("{d}/b"));
    let _ = std::fs::create_dir_all(format!("{a}/sub/deeper"));
    let _ = std::fs::create_dir(&b);
    let _ = std::fs::write(format!("{a}/sub/deeper/f"), b"");
    let before = kind(&format!("{a}/sub/deeper/f"));
    let parent_before = ino(&format!("{a}/sub/..")) == ino(&a);
    let moved = outcome(sys!(
        nr::RENAMEAT2,
        libc::AT_FDCWD,
        cstr(&format!("{a}/sub")).as_ptr(),
        libc::AT_FDCWD,
        cstr(&format!("{b}/moved")).as_ptr(),
        0
    ));
    let text = format!(
        "before {before} parent {parent_before} rename {moved} old path {} new path {} new dir's .. is b {} \
         .. of the moved tree {}",
        kind(&format!("{a}/sub/deeper/f")),
        kind(&format!("{b}/moved/deeper/f")),
        ino(&format!("{b}/moved/..")) == ino(&b),
        kind(&format!("{b}/moved/deeper/../../moved/deeper/f")),
    );
    let _ = std::fs::remove_dir_all(&d);
    text
}

fn exchange() -> String {
    let d = fresh("dentries-exchange");
    let (p, q) = (format!("{d}/p"), format!("{d}/q"));
    let _ = std::fs::create_dir_all(format!("{p}/x"));
    let _ = std::fs::create_dir_all(format!("{q}/y"));
    let _ = std::fs::write(format!("{p}/x/in-x"), b"");
    let _ = std::fs::write(format!("{q}/y/in-y"), b"");
    let _ = std::fs::write(format!("{d}/f1"), b"1");
    let _ = std::fs::write(format!("{d}/f2"), b"2");
    // Walk everything once first.
    let seen = [
        kind(&format!("{p}/x/in-x")),
        kind(&format!("{q}/y/in-y")),
        kind(&format!("{p}/x/..")),
    ]
    .join(" ");
    let ex = renameat2(&format!("{p}/x"), &format!("{q}/y"), RENAME_EXCHANGE);
    let after = format!(
        "p/x/in-y {} p/x/in-x {} q/y/in-x {} p/x/.. is p {} q/y/.. is q {}",
        kind(&format!("{p}/x/in-y")),
        kind(&format!("{p}/x/in-x")),
        kind(&format!("{q}/y/in-x")),
        ino(&format!("{p}/x/..")) == ino(&p),
        ino(&format!("{q}/y/..")) == ino(&q),
    );
    let f2 = ino(&format!("{d}/f2"));
    let noreplace = renameat2(&format!("{d}/f1"), &format!("{d}/f2"), RENAME_NOREPLACE);
    let kept = ino(&format!("{d}/f2")) == f2 && kind(&format!("{d}/f1")) == "file";
    let to_new = renameat2(&format!("{d}/f1"), &format!("{d}/f3"), RENAME_NOREPLACE);
    let text = format!(
        "seen {seen} exchange {ex} {after} noreplace onto existing {noreplace} both kept {kept} \
         noreplace to new {to_new} f1 {} f3 {}",
        kind(&format!("{d}/f1")),
        kind(&format!("{d}/f3")),
    );
    let _ = std::fs::remove_dir_all(&d);
    text
}

fn chmod_search() -> String {
    let d = fresh("dentries-chmod");
    let _ = std::fs::write(format!("{d}/f"), b"");
    let _ = std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755));
    let c = cstr(&d);
    let chown = outcome(sys!(nr::CHOWN, c.as_ptr(), 1000, 1000));
    let text = ask(|| {
        if let Err(e) = sys!(nr::SETRESUID, 1000, 1000, 1000) {
            return format!("setresuid {}", errno_name(e));
        }
        let f = format!("{d}/f");
        let open = kind(&f);
        let mode = |m: u32| {
            std::fs::set_permissions(&d, std::fs::Permissions::from_mode(m))
                .map_or_else(|e| errno_of(&e), |_| "ok".to_string())
        };
        let closed = mode(0o600);
        let shut = kind(&f);
        let reopened = mode(0o700);
        format!(
            "searchable {open} chmod 600 {closed} then {shut} chmod 700 {reopened} then {}",
            kind(&f)
        )
    });
    let _ = std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755));
    let _ = std::fs::remove_dir_all(&d);
    format!("chown {chown} {text}")
}
