//! execve: error paths, what the new program receives (argv, environment, descriptors, signal state), what
//! survives, and `#!` scripts.

use crate::cases::exec_support::{
    exec_in_child, exec_self, exec_self_after, execve_fails, execve_raw, run_script, with_file,
    CArray, FAIL_ENV,
};
use crate::child::pipe;
use crate::exec_child::self_path;
use crate::registry::Case;
use crate::sig;
use crate::sys::{cstr, nr, BAD_PTR};

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case::new("exec.enoent", enoent),
    Case::new("exec.enoent_missing_dir", enoent_missing_dir),
    Case::new("exec.empty_path_enoent", empty_path),
    Case::new("exec.enotdir", enotdir),
    Case::new("exec.eacces_not_executable", eacces_not_executable),
    Case::new("exec.eacces_directory", eacces_directory),
    Case::new("exec.enoexec_garbage", enoexec_garbage),
    Case::new("exec.efault_path", efault_path),
    Case::new("exec.efault_argv", efault_argv),
    Case::new("exec.efault_argv_element", efault_argv_element),
    Case::new("exec.efault_envp", efault_envp),
    Case::new("exec.e2big_long_argument", e2big_long_argument),
    Case::new("exec.argv_envp_passed", argv_envp_passed),
    Case::new("exec.null_argv", null_argv),
    Case::new("exec.null_envp", null_envp),
    Case::new("exec.exit_status", exit_status),
    Case::new("exec.pid_kept", pid_kept),
    Case::new("exec.cloexec", cloexec),
    Case::new("exec.signal_state", signal_state),
    Case::new("exec.shebang", shebang),
    Case::new("exec.shebang_no_argument", shebang_no_argument),
    Case::new("exec.shebang_whitespace", shebang_whitespace),
    Case::new("exec.shebang_nested", shebang_nested),
    Case::new(
        "exec.shebang_missing_interpreter",
        shebang_missing_interpreter,
    ),
];

fn enoent() -> String {
    execve_fails("abi-tmp-does-not-exist", &["x"])
}

fn enoent_missing_dir() -> String {
    execve_fails("abi-tmp-no-dir/prog", &["x"])
}

fn empty_path() -> String {
    execve_fails("", &["x"])
}

fn enotdir() -> String {
    with_file("exec-file", b"data", 0o755, |p| {
        execve_fails(&format!("{p}/prog"), &["x"])
    })
}

fn eacces_not_executable() -> String {
    let script = format!("#!{}\n", self_path());
    with_file("exec-noexec", script.as_bytes(), 0o644, |p| {
        execve_fails(p, &["x"])
    })
}

fn eacces_directory() -> String {
    execve_fails(".", &["x"])
}

fn enoexec_garbage() -> String {
    with_file("exec-garbage", b"this is not a program\n", 0o755, |p| {
        execve_fails(p, &["x"])
    })
}

fn efault_path() -> String {
    let a = CArray::new(&["x"]);
    let e = CArray::new(FAIL_ENV);
    execve_raw(BAD_PTR, a.ptr(), e.ptr())
}

fn efault_argv() -> String {
    let p = cstr(&self_path());
    let e = CArray::new(FAIL_ENV);
    execve_raw(p.as_ptr() as usize, BAD_PTR, e.ptr())
}

fn efault_argv_element() -> String {
    let p = cstr(&self_path());
    let argv: [usize; 2] = [BAD_PTR, 0];
    let e = CArray::new(FAIL_ENV);
    execve_raw(p.as_ptr() as usize, argv.as_ptr() as usize, e.ptr())
}

fn efault_envp() -> String {
    let p = cstr(&self_path());
    let a = CArray::new(&["x"]);
    execve_raw(p.as_ptr() as usize, a.ptr(), BAD_PTR)
}

fn e2big_long_argument() -> String {
    // A single string longer than MAX_ARG_STRLEN (32 pages).
    let long = "a".repeat(200_000);
    execve_fails(&self_path(), &["x", &long])
}

fn argv_envp_passed() -> String {
    exec_self(
        "argv",
        &["first", "a b", "", "ünï"],
        &["ABI_X=1", "EMPTY=", "K=V=W"],
    )
}

fn null_argv() -> String {
    let me = self_path();
    exec_in_child(|| {
        let p = cstr(&me);
        let e = CArray::new(&["ABI_EXEC_CHILD=argv"]);
        execve_raw(p.as_ptr() as usize, 0, e.ptr())
    })
}

fn null_envp() -> String {
    // Without an environment the child cannot be told its mode: it runs as the suite with `--list`, and we count
    // the lines it prints instead.
    let me = self_path();
    let text = exec_in_child(|| {
        let p = cstr(&me);
        let a = CArray::new(&["abi-tests", "--list"]);
        execve_raw(p.as_ptr() as usize, a.ptr(), 0)
    });
    let (out, status) = text.split_once("; ").unwrap_or(("", &text));
    let listed = out.lines().count();
    format!(
        "listed all cases={} {status}",
        crate::sys::yes(listed == crate::registry::all().len())
    )
}

fn exit_status() -> String {
    exec_self("exit:42", &["x"], &[])
}

fn pid_kept() -> String {
    // The child (which execs) puts its own pid in the environment, so build it after the fork.
    exec_in_child(|| {
        let me = self_path();
        let env = [
            format!("ABI_PID={}", crate::sys::getpid()),
            "ABI_EXEC_CHILD=pid".to_string(),
        ];
        let env_refs: Vec<&str> = env.iter().map(String::as_str).collect();
        let p = cstr(&me);
        let a = CArray::new(&["x"]);
        let e = CArray::new(&env_refs);
        execve_raw(p.as_ptr() as usize, a.ptr(), e.ptr())
    })
}

fn cloexec() -> String {
    let (r1, w1) = pipe(); // close-on-exec
    let mut plain = [0i32; 2];
    let _ = sys!(nr::PIPE2, plain.as_mut_ptr(), 0);
    let mode = format!("fds:{r1},{w1},{},{}", plain[0], plain[1]);
    exec_self(&mode, &["x"], &[])
}

fn signal_state() -> String {
    let setup = || {
        let _ = sig::record_on(libc::SIGUSR1, 0);
        sig::disposition(libc::SIGUSR2, libc::SIG_IGN);
        sig::block(&[libc::SIGHUP]);
        let _ = sig::raise(libc::SIGHUP);
    };
    exec_self_after(setup, "sigs", &["x"], &[])
}

fn shebang() -> String {
    let script = format!("#!{} opt-arg\n", self_path());
    with_file("script", script.as_bytes(), 0o755, |p| {
        run_script(p, &["ignored-argv0", "x"])
    })
}

fn shebang_no_argument() -> String {
    let script = format!("#!{}\nrest of file\n", self_path());
    with_file("script", script.as_bytes(), 0o755, |p| {
        run_script(p, &["ignored-argv0", "x"])
    })
}

fn shebang_whitespace() -> String {
    let script = format!("#!  {} \t a  b \t \n", self_path());
    with_file("script", script.as_bytes(), 0o755, |p| {
        run_script(p, &["ignored-argv0", "x"])
    })
}

fn shebang_nested() -> String {
    let inner = format!("#!{}\n", self_path());
    with_file("script-inner", inner.as_bytes(), 0o755, |inner_path| {
        let outer = format!("#!{inner_path}\n");
        with_file("script-outer", outer.as_bytes(), 0o755, |p| {
            run_script(p, &["ignored-argv0", "x"])
        })
    })
}

fn shebang_missing_interpreter() -> String {
    with_file("script", b"#!abi-tmp-no-such-interpreter\n", 0o755, |p| {
        execve_fails(p, &["x"])
    })
}
