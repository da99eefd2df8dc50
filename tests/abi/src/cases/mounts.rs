//! Mounts: mount(2) of tmpfs and bind mounts, umount2's rules (EBUSY, EINVAL, MNT_DETACH), `..` and renames
//! across mount points, chroot, statfs magic numbers. Cases mount on a scratch directory `abi-tmp-mnt`.

use crate::child::close;
use crate::registry::Case;
use crate::scratch::{self, open};
use crate::sys::{cstr, errno_name, nr, outcome, yes, Errno, BAD_PTR};

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case::new("mount.tmpfs_size_statfs", tmpfs_size_statfs),
    Case::new("mount.errors", mount_errors),
    Case::new("mount.unprivileged_eperm", unprivileged),
    Case::new("mount.umount_busy", umount_busy),
    Case::new("mount.umount_errors", umount_errors),
    Case::new("mount.umount_detach_keeps_files", umount_detach),
    Case::new("mount.umount_submount_ebusy", umount_submount),
    Case::new("mount.bind", bind),
    Case::new("mount.bind_errors", bind_errors),
    Case::new("mount.dotdot_leaves_the_mount", dotdot),
    Case::new("mount.rename_link_exdev", exdev),
    Case::new("mount.rmdir_mountpoint_ebusy", rmdir_mountpoint),
    Case::new("mount.proc_mounts_line", proc_mounts_line),
    Case::new("mount.read_only_and_remount", read_only),
    Case::new("mount.move", move_mount),
    Case::new("chroot.errors", chroot_errors),
    Case::new("chroot.jail", chroot_jail),
    Case::new("statfs.magic_numbers", statfs_magic),
    Case::new("statfs.errors", statfs_errors),
];

const MNT: &str = "abi-tmp-mnt";
const MNT_DETACH: usize = 2;
const MS_BIND: usize = 4096;

fn mkdir(path: &str) -> Result<usize, Errno> {
    let c = cstr(path);
    sys!(nr::MKDIRAT, libc::AT_FDCWD, c.as_ptr(), 0o755)
}

fn mount(
    source: &str,
    target: &str,
    fstype: Option<&str>,
    flags: usize,
    data: Option<&str>,
) -> Result<usize, Errno> {
    let s = cstr(source);
    let t = cstr(target);
    let ty = fstype.map(cstr);
    let d = data.map(cstr);
    sys!(
        nr::MOUNT,
        s.as_ptr(),
        t.as_ptr(),
        ty.as_ref().map_or(core::ptr::null(), |c| c.as_ptr()),
        flags,
        d.as_ref().map_or(core::ptr::null(), |c| c.as_ptr())
    )
}

fn umount(target: &str, flags: usize) -> Result<usize, Errno> {
    let t = cstr(target);
    sys!(nr::UMOUNT2, t.as_ptr(), flags)
}

fn tmpfs(target: &str) -> Result<usize, Errno> {
    mount("none", target, Some("tmpfs"), 0, Some("size=1m"))
}

fn stat(path: &str) -> Result<libc::stat, Errno> {
    let c = cstr(path);
    // SAFETY: plain data.
    let mut st: libc::stat = unsafe { core::mem::zeroed() };
    sys!(
        nr::NEWFSTATAT,
        libc::AT_FDCWD,
        c.as_ptr(),
        &mut st as *mut libc::stat,
        0
    )?;
    Ok(st)
}

fn statfs(path: &str) -> Result<libc::statfs, Errno> {
    let c = cstr(path);
    // SAFETY: plain data.
    let mut st: libc::statfs = unsafe { core::mem::zeroed() };
    sys!(nr::STATFS, c.as_ptr(), &mut st as *mut libc::statfs)?;
    Ok(st)
}

fn write_file(path: &str, text: &[u8]) -> Result<(), Errno> {
    let fd = open(path, libc::O_CREAT | libc::O_WRONLY | libc::O_TRUNC, 0o644)?;
    let r = crate::child::write_all(fd, text);
    close(fd);
    r
}

fn read_file(path: &str) -> Result<String, Errno> {
    let fd = open(path, libc::O_RDONLY, 0)?;
    let bytes = crate::child::read_to_end(fd);
    close(fd);
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Runs `body` with `abi-tmp-mnt` created, then unmounts whatever is left there and removes it.
fn with_mountpoint(body: impl FnOnce() -> String) -> String {
    cleanup();
    if let Err(e) = mkdir(MNT) {
        return format!("mkdir {}", errno_name(e));
    }
    let text = body();
    cleanup();
    text
}

fn cleanup() {
    for _ in 0..4 {
        let _ = umount(MNT, MNT_DETACH);
    }
    for sub in ["f", "sub", "file"] {
        scratch::remove(&format!("{MNT}/{sub}"));
    }
    scratch::remove(MNT);
}

fn drop_privileges() -> Result<(), Errno> {
    sys!(nr::SETRESGID, 1000, 1000, 1000)?;
    sys!(nr::SETRESUID, 1000, 1000, 1000)?;
    Ok(())
}

fn tmpfs_size_statfs() -> String {
    with_mountpoint(|| {
        let mounted = outcome(tmpfs(MNT));
        let fs = match statfs(MNT) {
            Ok(s) => format!(
                "type={:#x} bsize={} blocks={} free={} namelen={}",
                s.f_type, s.f_bsize, s.f_blocks, s.f_bfree, s.f_namelen
            ),
            Err(e) => errno_name(e),
        };
        let dev_differs = match (stat(MNT), stat(".")) {
            (Ok(a), Ok(b)) => yes(a.st_dev != b.st_dev),
            _ => "stat failed",
        };
        let root_mode = stat(MNT).map_or(0, |s| s.st_mode & 0o7777);
        let full = match write_file(&format!("{MNT}/f"), &vec![1u8; 2 << 20]) {
            Ok(()) => "wrote 2 MiB".to_string(),
            Err(e) => errno_name(e),
        };
        scratch::remove(&format!("{MNT}/f"));
        let unmounted = outcome(umount(MNT, 0));
        format!(
            "mount {mounted} {fs} own dev {dev_differs} mode {root_mode:o} write past size {full} umount {unmounted}"
        )
    })
}

fn mount_errors() -> String {
    with_mountpoint(|| {
        let unknown = outcome(mount("none", MNT, Some("nosuchfs"), 0, None));
        let no_type = outcome(mount("none", MNT, None, 0, None));
        let missing = outcome(mount("none", "abi-tmp-missing", Some("tmpfs"), 0, None));
        let bad_option = outcome(mount("none", MNT, Some("tmpfs"), 0, Some("bogus=1")));
        let t = cstr(MNT);
        let bad_target =
            errno_name(sys!(nr::MOUNT, t.as_ptr(), BAD_PTR, t.as_ptr(), 0, 0).unwrap_err());
        let _ = scratch::create("mnt-file", b"", 0o644);
        let on_file = outcome(mount(
            "none",
            &scratch::path("mnt-file"),
            Some("tmpfs"),
            0,
            None,
        ));
        scratch::remove(&scratch::path("mnt-file"));
        format!(
            "unknown {unknown} no type {no_type} missing {missing} bad option {bad_option} bad target {bad_target} on file {on_file}"
        )
    })
}

fn unprivileged() -> String {
    with_mountpoint(|| {
        if let Err(e) = drop_privileges() {
            return format!("setresuid {}", errno_name(e));
        }
        format!(
            "mount {} umount {} missing {}",
            outcome(tmpfs(MNT)),
            outcome(umount("/", 0)),
            outcome(tmpfs("abi-tmp-missing"))
        )
    })
}

fn umount_busy() -> String {
    with_mountpoint(|| {
        if let Err(e) = tmpfs(MNT) {
            return format!("mount {}", errno_name(e));
        }
        let file = format!("{MNT}/f");
        let open_file = match open(&file, libc::O_CREAT | libc::O_RDWR, 0o644) {
            Ok(fd) => {
                let busy = outcome(umount(MNT, 0));
                close(fd);
                busy
            }
            Err(e) => format!("open {}", errno_name(e)),
        };
        scratch::remove(&file);
        let c = cstr(MNT);
        let cwd_inside = match sys!(nr::CHDIR, c.as_ptr()) {
            Ok(_) => {
                let busy = outcome(umount(&format!("../{MNT}"), 0));
                let _ = sys!(nr::CHDIR, cstr("..").as_ptr());
                busy
            }
            Err(e) => format!("chdir {}", errno_name(e)),
        };
        let idle = outcome(umount(MNT, 0));
        format!("open file {open_file} cwd inside {cwd_inside} unused {idle}")
    })
}

fn umount_errors() -> String {
    with_mountpoint(|| {
        format!(
            "plain dir {} bad flags {} missing {} efault {}",
            outcome(umount(MNT, 0)),
            outcome(umount(MNT, 0x10)),
            outcome(umount("abi-tmp-missing", 0)),
            errno_name(sys!(nr::UMOUNT2, BAD_PTR, 0).unwrap_err())
        )
    })
}

fn umount_detach() -> String {
    with_mountpoint(|| {
        if let Err(e) = tmpfs(MNT) {
            return format!("mount {}", errno_name(e));
        }
        let fd = match open(&format!("{MNT}/f"), libc::O_CREAT | libc::O_RDWR, 0o644) {
            Ok(fd) => fd,
            Err(e) => return format!("open {}", errno_name(e)),
        };
        let _ = crate::child::write_all(fd, b"kept");
        let detached = outcome(umount(MNT, MNT_DETACH));
        let mut buf = [0u8; 8];
        let read = sys!(nr::PREAD64, fd, buf.as_mut_ptr(), 8, 0)
            .map(|n| String::from_utf8_lossy(&buf[..n]).into_owned());
        close(fd);
        let gone = match (stat(MNT), stat(".")) {
            (Ok(a), Ok(b)) => yes(a.st_dev == b.st_dev),
            _ => "stat failed",
        };
        let read = match read {
            Ok(text) => text,
            Err(e) => errno_name(e),
        };
        format!("detach {detached} fd still reads {read} mount point back to parent fs {gone}")
    })
}

fn umount_submount() -> String {
    with_mountpoint(|| {
        if let Err(e) = tmpfs(MNT) {
            return format!("mount {}", errno_name(e));
        }
        let sub = format!("{MNT}/sub");
        let _ = mkdir(&sub);
        let inner = outcome(tmpfs(&sub));
        let busy = outcome(umount(MNT, 0));
        let detach = outcome(umount(MNT, MNT_DETACH));
        let after = match stat(&sub) {
            Ok(_) => "exists".to_string(),
            Err(e) => errno_name(e),
        };
        format!("inner {inner} umount outer {busy} detach outer {detach} sub afterwards {after}")
    })
}

fn bind() -> String {
    with_mountpoint(|| {
        let src = scratch::path("bind-src");
        scratch::remove(&format!("{src}/file"));
        scratch::remove(&src);
        let _ = mkdir(&src);
        let _ = write_file(&format!("{src}/file"), b"hi");
        let bound = outcome(mount(&src, MNT, None, MS_BIND, None));
        let content = read_file(&format!("{MNT}/file")).unwrap_or_else(errno_name);
        let same_inode = match (stat(&format!("{MNT}/file")), stat(&format!("{src}/file"))) {
            (Ok(a), Ok(b)) => yes(a.st_ino == b.st_ino && a.st_dev == b.st_dev),
            _ => "stat failed",
        };
        let _ = write_file(&format!("{MNT}/file"), b"through bind");
        let seen = read_file(&format!("{src}/file")).unwrap_or_else(errno_name);
        let unmounted = outcome(umount(MNT, 0));
        let after = match stat(&format!("{MNT}/file")) {
            Ok(_) => "exists".to_string(),
            Err(e) => errno_name(e),
        };
        scratch::remove(&format!("{src}/file"));
        scratch::remove(&src);
        format!("bind {bound} reads {content} same inode {same_inode} source sees {seen} umount {unmounted} then {after}")
    })
}

fn bind_errors() -> String {
    with_mountpoint(|| {
        let missing = outcome(mount("abi-tmp-missing", MNT, None, MS_BIND, None));
        let _ = scratch::create("bind-file", b"", 0o644);
        let file = scratch::path("bind-file");
        let file_on_dir = outcome(mount(&file, MNT, None, MS_BIND, None));
        let dir_on_file = outcome(mount(MNT, &file, None, MS_BIND, None));
        let empty = outcome(mount("", MNT, None, MS_BIND, None));
        scratch::remove(&file);
        format!("missing {missing} file on dir {file_on_dir} dir on file {dir_on_file} empty source {empty}")
    })
}

fn dotdot() -> String {
    with_mountpoint(|| {
        if let Err(e) = tmpfs(MNT) {
            return format!("mount {}", errno_name(e));
        }
        let here = stat(".");
        let up = stat(&format!("{MNT}/.."));
        let by_path = match (&here, &up) {
            (Ok(a), Ok(b)) => yes(a.st_ino == b.st_ino && a.st_dev == b.st_dev),
            _ => "stat failed",
        };
        let c = cstr(MNT);
        let cwd = match sys!(nr::CHDIR, c.as_ptr()) {
            Ok(_) => {
                let mut buf = [0u8; 4096];
                let n = sys!(nr::GETCWD, buf.as_mut_ptr(), buf.len()).unwrap_or(1);
                let path = String::from_utf8_lossy(&buf[..n.saturating_sub(1)]).into_owned();
                let from_inside = match (&here, stat("..")) {
                    (Ok(a), Ok(b)) => yes(a.st_ino == b.st_ino && a.st_dev == b.st_dev),
                    _ => "stat failed",
                };
                let _ = sys!(nr::CHDIR, cstr("..").as_ptr());
                format!(
                    "getcwd ends in mount point {} .. from inside {from_inside}",
                    yes(path.ends_with(MNT))
                )
            }
            Err(e) => format!("chdir {}", errno_name(e)),
        };
        format!("path .. {by_path} {cwd}")
    })
}

fn exdev() -> String {
    with_mountpoint(|| {
        if let Err(e) = tmpfs(MNT) {
            return format!("mount {}", errno_name(e));
        }
        let _ = scratch::create("xdev", b"x", 0o644);
        let file = cstr(&scratch::path("xdev"));
        let target = cstr(&format!("{MNT}/f"));
        let rename = outcome(sys!(nr::RENAME, file.as_ptr(), target.as_ptr()));
        let link = outcome(sys!(nr::LINK, file.as_ptr(), target.as_ptr()));
        scratch::remove(&scratch::path("xdev"));
        format!("rename {rename} link {link}")
    })
}

fn rmdir_mountpoint() -> String {
    with_mountpoint(|| {
        if let Err(e) = tmpfs(MNT) {
            return format!("mount {}", errno_name(e));
        }
        let c = cstr(MNT);
        let rmdir = outcome(sys!(
            nr::UNLINKAT,
            libc::AT_FDCWD,
            c.as_ptr(),
            libc::AT_REMOVEDIR
        ));
        let new = cstr(&scratch::path("mnt-renamed"));
        let rename = outcome(sys!(nr::RENAME, c.as_ptr(), new.as_ptr()));
        format!("rmdir {rmdir} rename {rename}")
    })
}

fn proc_mounts_line() -> String {
    with_mountpoint(|| {
        if let Err(e) = tmpfs(MNT) {
            return format!("mount {}", errno_name(e));
        }
        let mounts = match read_file("/proc/self/mounts") {
            Ok(text) => text,
            Err(e) => return format!("read {}", errno_name(e)),
        };
        let line = mounts
            .lines()
            .find(|l| l.split(' ').nth(1).is_some_and(|t| t.ends_with(MNT)));
        match line {
            Some(line) => {
                let fields: Vec<&str> = line.split(' ').collect();
                let target_absolute = fields.get(1).is_some_and(|t| t.starts_with('/'));
                format!(
                    "source {} absolute {} rest {}",
                    fields.first().unwrap_or(&""),
                    yes(target_absolute),
                    fields.get(2..).map(|f| f.join(" ")).unwrap_or_default()
                )
            }
            None => "not listed".to_string(),
        }
    })
}

fn read_only() -> String {
    with_mountpoint(|| {
        const MS_RDONLY: usize = 1;
        const MS_REMOUNT: usize = 32;
        if let Err(e) = mount("none", MNT, Some("tmpfs"), MS_RDONLY, None) {
            return format!("mount {}", errno_name(e));
        }
        let file = format!("{MNT}/f");
        let create = outcome(
            open(&file, libc::O_CREAT | libc::O_WRONLY, 0o644).map(|fd| {
                close(fd);
                0
            }),
        );
        let dir = outcome(mkdir(&format!("{MNT}/sub")));
        let shown = read_file("/proc/self/mounts")
            .ok()
            .and_then(|m| {
                m.lines()
                    .find(|l| l.split(' ').nth(1).is_some_and(|t| t.ends_with(MNT)))
                    .and_then(|l| {
                        l.split(' ')
                            .nth(3)
                            .map(|o| o.split(',').next().unwrap_or("").to_string())
                    })
            })
            .unwrap_or_default();
        // f_flags is the 11th word of x86_64 struct statfs (glibc's libc crate does not name it).
        let mut words = [0u64; 15];
        let c = cstr(MNT);
        let statfs_ro =
            sys!(nr::STATFS, c.as_ptr(), words.as_mut_ptr()).map_or(0, |_| words[10] & 1);
        let remount = outcome(mount("none", MNT, None, MS_REMOUNT, None));
        let after = outcome(
            open(&file, libc::O_CREAT | libc::O_WRONLY, 0o644).map(|fd| {
                close(fd);
                0
            }),
        );
        let remount_plain_dir = outcome(mount("none", ".", None, MS_REMOUNT, None));
        scratch::remove(&file);
        format!("create {create} mkdir {dir} shown {shown} statfs ST_RDONLY {statfs_ro} remount rw {remount} create {after} remount of a non-mount {remount_plain_dir}")
    })
}

fn move_mount() -> String {
    const MS_MOVE: usize = 8192;
    let dest = scratch::path("mnt-moved");
    let _ = umount(&dest, MNT_DETACH);
    scratch::remove(&format!("{dest}/sub"));
    scratch::remove(&dest);
    let text = with_mountpoint(|| {
        if let Err(e) = tmpfs(MNT) {
            return format!("mount {}", errno_name(e));
        }
        let _ = write_file(&format!("{MNT}/f"), b"moved");
        let _ = mkdir(&dest);
        let not_mount = outcome(mount(&dest, MNT, None, MS_MOVE, None));
        let moved = outcome(mount(MNT, &dest, None, MS_MOVE, None));
        let content = read_file(&format!("{dest}/f")).unwrap_or_else(errno_name);
        let old = match stat(&format!("{MNT}/f")) {
            Ok(_) => "exists".to_string(),
            Err(e) => errno_name(e),
        };
        let _ = mkdir(&format!("{dest}/sub"));
        let into_itself = outcome(mount(&dest, &format!("{dest}/sub"), None, MS_MOVE, None));
        scratch::remove(&format!("{dest}/sub"));
        scratch::remove(&format!("{dest}/f"));
        let back = outcome(umount(&dest, 0));
        format!("non-mount source {not_mount} move {moved} reads {content} old place {old} into itself {into_itself} umount at new place {back}")
    });
    scratch::remove(&dest);
    text
}

fn chroot_errors() -> String {
    let _ = scratch::create("chroot-file", b"", 0o644);
    let file = cstr(&scratch::path("chroot-file"));
    let not_dir = outcome(sys!(nr::CHROOT, file.as_ptr()));
    let missing = outcome(sys!(nr::CHROOT, cstr("abi-tmp-missing").as_ptr()));
    let efault = outcome(sys!(nr::CHROOT, BAD_PTR));
    scratch::remove(&scratch::path("chroot-file"));
    let unprivileged = match drop_privileges() {
        Ok(()) => format!(
            "unprivileged {} unprivileged missing {}",
            outcome(sys!(nr::CHROOT, cstr(".").as_ptr())),
            outcome(sys!(nr::CHROOT, cstr("abi-tmp-missing").as_ptr()))
        ),
        Err(e) => format!("setresuid {}", errno_name(e)),
    };
    format!("file {not_dir} missing {missing} efault {efault} {unprivileged}")
}

fn chroot_jail() -> String {
    let jail = scratch::path("jail");
    scratch::remove(&format!("{jail}/inside"));
    scratch::remove(&jail);
    let _ = mkdir(&jail);
    let _ = write_file(&format!("{jail}/inside"), b"in");
    let text = crate::child::ask(|| match sys!(nr::CHROOT, cstr(&jail).as_ptr()) {
        Ok(_) => {
            let inside = read_file("/inside").unwrap_or_else(errno_name);
            let top = match (stat("/"), stat("/../..")) {
                (Ok(a), Ok(b)) => yes(a.st_ino == b.st_ino && a.st_dev == b.st_dev),
                _ => "stat failed",
            };
            // The working directory stayed outside the new root.
            let outside = yes(stat(&format!("{jail}/inside")).is_ok());
            let mut before = [0u8; 4096];
            let n = sys!(nr::GETCWD, before.as_mut_ptr(), before.len()).unwrap_or(1);
            let unreachable = yes(before[..n.saturating_sub(1)].starts_with(b"(unreachable)/"));
            let _ = sys!(nr::CHDIR, cstr("/").as_ptr());
            let mut buf = [0u8; 64];
            let n = sys!(nr::GETCWD, buf.as_mut_ptr(), buf.len()).unwrap_or(1);
            let cwd = String::from_utf8_lossy(&buf[..n.saturating_sub(1)]).into_owned();
            format!("chroot ok /inside {inside} /../.. is / {top} cwd still outside {outside} getcwd (unreachable) {unreachable} after chdir / getcwd {cwd}")
        }
        Err(e) => format!("chroot {}", errno_name(e)),
    });
    // Only the child was chrooted: clean up with the real root.
    scratch::remove(&format!("{jail}/inside"));
    scratch::remove(&jail);
    text
}

fn statfs_magic() -> String {
    let kind = |path: &str| match statfs(path) {
        Ok(s) => format!("{:#x}", s.f_type),
        Err(e) => errno_name(e),
    };
    let (r, w) = crate::child::pipe();
    // SAFETY: plain data.
    let mut st: libc::statfs = unsafe { core::mem::zeroed() };
    let pipe = match sys!(nr::FSTATFS, r, &mut st as *mut libc::statfs) {
        Ok(_) => format!("{:#x}", st.f_type),
        Err(e) => errno_name(e),
    };
    close(r);
    close(w);
    format!(
        "proc {} sys {} dev {} pipe {}",
        kind("/proc"),
        kind("/sys"),
        kind("/dev"),
        pipe
    )
}

fn statfs_errors() -> String {
    // SAFETY: plain data.
    let mut st: libc::statfs = unsafe { core::mem::zeroed() };
    let dot = cstr(".");
    format!(
        "missing {} efault path {} efault buf {} ebadf {}",
        outcome(sys!(
            nr::STATFS,
            cstr("abi-tmp-missing").as_ptr(),
            &mut st as *mut libc::statfs
        )),
        outcome(sys!(nr::STATFS, BAD_PTR, &mut st as *mut libc::statfs)),
        outcome(sys!(nr::STATFS, dot.as_ptr(), BAD_PTR)),
        outcome(sys!(nr::FSTATFS, 999, &mut st as *mut libc::statfs))
    )
}
