//! Helpers shared by the execve and execveat cases: argument arrays, running an exec in a child with its stdout
//! captured, and scratch scripts.
//!
//! The new program is this binary again, told what to report by `ABI_EXEC_CHILD` (see `exec_child`). Every exec
//! that is expected to fail still carries `ABI_EXEC_CHILD=exit:99`, so a wrong success shows as `exited 99`.

use std::ffi::CString;

use crate::child::{self, close, pipe, read_to_end, write_all};
use crate::exec_child::self_path;
use crate::scratch;
use crate::sys::{cstr, errno_name, nr};

/// Environment that makes an unexpectedly successful exec of this binary exit at once with 99.
pub const FAIL_ENV: &[&str] = &["ABI_EXEC_CHILD=exit:99"];

/// NUL-terminated strings and the NULL-terminated pointer array to them.
pub struct CArray {
    _strings: Vec<CString>,
    pointers: Vec<*const libc::c_char>,
}

impl CArray {
    pub fn new(items: &[&str]) -> CArray {
        let strings: Vec<CString> = items.iter().map(|s| cstr(s)).collect();
        let mut pointers: Vec<*const libc::c_char> = strings.iter().map(|s| s.as_ptr()).collect();
        pointers.push(core::ptr::null());
        CArray {
            _strings: strings,
            pointers,
        }
    }

    pub fn ptr(&self) -> usize {
        self.pointers.as_ptr() as usize
    }
}

/// `execve` with raw pointers (any of which may be deliberately bad); returns the errno when it fails.
pub fn execve_raw(path: usize, argv: usize, envp: usize) -> String {
    match sys!(nr::EXECVE, path, argv, envp) {
        Ok(_) => "returned 0".to_string(),
        Err(e) => errno_name(e),
    }
}

/// `execve(path, argv, envp)`, expected to fail.
pub fn execve_fails(path: &str, argv: &[&str]) -> String {
    let p = cstr(path);
    let a = CArray::new(argv);
    let e = CArray::new(FAIL_ENV);
    execve_raw(p.as_ptr() as usize, a.ptr(), e.ptr())
}

/// Runs `exec` in a child whose stdout is a pipe; returns `<output>; <how it ended>`.
pub fn exec_in_child(exec: impl FnOnce() -> String) -> String {
    let (r, w) = pipe();
    let pid = child::spawn(|| {
        let _ = sys!(nr::DUP2, w, 1);
        let err = exec();
        let _ = write_all(1, format!("exec failed: {err}").as_bytes());
        127
    });
    close(w);
    let Ok(pid) = pid else {
        return "fork failed".to_string();
    };
    let out = read_to_end(r);
    close(r);
    let status = child::wait_text(pid);
    if out.is_empty() {
        status
    } else {
        format!("{}; {status}", String::from_utf8_lossy(&out))
    }
}

/// Runs this binary in mode `mode` with `argv` and extra environment `env`.
pub fn exec_self(mode: &str, argv: &[&str], env: &[&str]) -> String {
    exec_self_after(|| {}, mode, argv, env)
}

/// As [`exec_self`], running `setup` in the child just before the exec (for state that fork does not copy).
pub fn exec_self_after(setup: impl FnOnce(), mode: &str, argv: &[&str], env: &[&str]) -> String {
    let me = self_path();
    let mut full_env = vec![format!("ABI_EXEC_CHILD={mode}"), format!("ABI_SELF={me}")];
    full_env.extend(env.iter().map(|s| s.to_string()));
    let env_refs: Vec<&str> = full_env.iter().map(String::as_str).collect();
    exec_in_child(|| {
        setup();
        let p = cstr(&me);
        let a = CArray::new(argv);
        let e = CArray::new(&env_refs);
        execve_raw(p.as_ptr() as usize, a.ptr(), e.ptr())
    })
}

/// The environment for a script run: report argv, and say which path is this binary.
pub fn script_env() -> Vec<String> {
    vec![
        "ABI_EXEC_CHILD=argv".to_string(),
        format!("ABI_SELF={}", self_path()),
    ]
}

/// Runs script `path` (whose `#!` line names this binary) with `argv`; returns what this binary reported.
pub fn run_script(path: &str, argv: &[&str]) -> String {
    let env = script_env();
    let env_refs: Vec<&str> = env.iter().map(String::as_str).collect();
    exec_in_child(|| {
        let p = cstr(path);
        let a = CArray::new(argv);
        let e = CArray::new(&env_refs);
        execve_raw(p.as_ptr() as usize, a.ptr(), e.ptr())
    })
}

/// Creates scratch file `name` with `contents` and `mode`, runs `body` with its path, removes it.
pub fn with_file(
    name: &str,
    contents: &[u8],
    mode: u32,
    body: impl FnOnce(&str) -> String,
) -> String {
    match scratch::create(name, contents, mode) {
        Ok(p) => {
            let text = body(&p);
            scratch::remove(&p);
            text
        }
        Err(e) => format!("create {}", errno_name(e)),
    }
}
