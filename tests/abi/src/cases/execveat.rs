//! execveat: directory descriptors, AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW, and `#!` scripts reached through a
//! descriptor (which the interpreter sees as `/dev/fd/N/...`).

use crate::cases::exec_support::{exec_in_child, script_env, with_file, CArray, FAIL_ENV};
use crate::child::close;
use crate::exec_child::self_path;
use crate::registry::Case;
use crate::scratch;
use crate::sys::{cstr, errno_name, nr};

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case::new("execveat.enoent", execveat_enoent),
    Case::new("execveat.ebadf", execveat_ebadf),
    Case::new("execveat.bad_flags_einval", execveat_bad_flags),
    Case::new("execveat.empty_path_fd", execveat_empty_path_fd),
    Case::new(
        "execveat.empty_path_without_flag_enoent",
        execveat_empty_path_without_flag,
    ),
    Case::new("execveat.dirfd_script", execveat_dirfd_script),
    Case::new(
        "execveat.dirfd_cloexec_script_enoent",
        execveat_dirfd_cloexec_script,
    ),
    Case::new(
        "execveat.dirfd_not_directory_enotdir",
        execveat_dirfd_not_directory,
    ),
    Case::new(
        "execveat.absolute_ignores_dirfd",
        execveat_absolute_ignores_dirfd,
    ),
    Case::new("execveat.symlink_nofollow_eloop", execveat_symlink_nofollow),
];

/// `execveat(dirfd, path, argv, envp, flags)` with raw pointers.
fn execveat_raw(dirfd: i32, path: usize, argv: usize, envp: usize, flags: i32) -> String {
    match sys!(nr::EXECVEAT, dirfd, path, argv, envp, flags) {
        Ok(_) => "returned 0".to_string(),
        Err(e) => errno_name(e),
    }
}

/// `execveat` expected to fail.
fn execveat_fails(dirfd: i32, path: &str, flags: i32) -> String {
    let p = cstr(path);
    let a = CArray::new(&["x"]);
    let e = CArray::new(FAIL_ENV);
    execveat_raw(dirfd, p.as_ptr() as usize, a.ptr(), e.ptr(), flags)
}

fn execveat_enoent() -> String {
    execveat_fails(libc::AT_FDCWD, "abi-tmp-does-not-exist", 0)
}

fn execveat_ebadf() -> String {
    execveat_fails(999, "relative", 0)
}

fn execveat_bad_flags() -> String {
    execveat_fails(libc::AT_FDCWD, &self_path(), 0x1)
}

fn execveat_empty_path_fd() -> String {
    let fd = match crate::scratch::open(&self_path(), libc::O_RDONLY | libc::O_CLOEXEC, 0) {
        Ok(fd) => fd,
        Err(e) => return format!("open self {}", errno_name(e)),
    };
    let env = script_env();
    let env_refs: Vec<&str> = env.iter().map(String::as_str).collect();
    exec_in_child(|| {
        let p = cstr("");
        let a = CArray::new(&["by-fd"]);
        let e = CArray::new(&env_refs);
        execveat_raw(
            fd,
            p.as_ptr() as usize,
            a.ptr(),
            e.ptr(),
            libc::AT_EMPTY_PATH,
        )
    })
}

fn execveat_empty_path_without_flag() -> String {
    match crate::scratch::open(&self_path(), libc::O_RDONLY | libc::O_CLOEXEC, 0) {
        Ok(fd) => execveat_fails(fd, "", 0),
        Err(e) => format!("open self {}", errno_name(e)),
    }
}

/// Runs a script through `execveat(dir, "abi-tmp-script")`, `dir` being "." opened with `open_flags`.
///
/// The interpreter then gets the script as `/dev/fd/<dir>/abi-tmp-script`; the number is printed as `N`.
fn execveat_script_in_dir(open_flags: i32) -> String {
    let script = format!("#!{} via-dirfd\n", self_path());
    with_file("script", script.as_bytes(), 0o755, |p| {
        let dir =
            match crate::scratch::open(".", libc::O_RDONLY | libc::O_DIRECTORY | open_flags, 0) {
                Ok(fd) => fd,
                Err(e) => return format!("open . {}", errno_name(e)),
            };
        let env = script_env();
        let env_refs: Vec<&str> = env.iter().map(String::as_str).collect();
        let text = exec_in_child(|| {
            let path = cstr(p);
            let a = CArray::new(&["ignored", "y"]);
            let e = CArray::new(&env_refs);
            execveat_raw(dir, path.as_ptr() as usize, a.ptr(), e.ptr(), 0)
        });
        close(dir);
        text.replace(&format!("/dev/fd/{dir}/"), "/dev/fd/N/")
    })
}

fn execveat_dirfd_script() -> String {
    execveat_script_in_dir(0)
}

fn execveat_dirfd_cloexec_script() -> String {
    // The interpreter could not open /dev/fd/N/... once the close-on-exec directory is gone: Linux refuses.
    execveat_script_in_dir(libc::O_CLOEXEC)
}

fn execveat_dirfd_not_directory() -> String {
    with_file(
        "exec-file",
        b"data",
        0o644,
        |p| match crate::scratch::open(p, libc::O_RDONLY, 0) {
            Ok(fd) => execveat_fails(fd, "relative", 0),
            Err(e) => errno_name(e),
        },
    )
}

fn execveat_absolute_ignores_dirfd() -> String {
    execveat_fails(999, "/abi-tmp-does-not-exist/prog", 0)
}

fn execveat_symlink_nofollow() -> String {
    let link = scratch::path("link");
    scratch::remove(&link);
    let target = cstr(&self_path());
    let l = cstr(&link);
    if let Err(e) = sys!(nr::SYMLINKAT, target.as_ptr(), libc::AT_FDCWD, l.as_ptr()) {
        return format!("symlink {}", errno_name(e));
    }
    let text = execveat_fails(libc::AT_FDCWD, &link, libc::AT_SYMLINK_NOFOLLOW);
    scratch::remove(&link);
    text
}
