//! Threads in /proc: every thread id has a directory (`/proc/<tid>`, found by name but not listed), and
//! `/proc/<pid>/task/` lists the threads, each with its own `stat`, `status` and `comm`.

use crate::child::close;
use crate::registry::Case;
use crate::scratch::open;
use crate::sys::{errno_name, getpid, gettid, yes, Errno};
use std::sync::mpsc;

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case::new("procfs.thread_dir_by_tid", thread_dir),
    Case::new("procfs.task_dir", task_dir),
];

fn read_file(path: &str) -> Result<String, Errno> {
    let fd = open(path, libc::O_RDONLY, 0)?;
    let bytes = crate::child::read_to_end(fd);
    close(fd);
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn listing(path: &str) -> Result<Vec<String>, Errno> {
    let fd = open(path, libc::O_RDONLY | libc::O_DIRECTORY, 0)?;
    let names = super::procfs::names(fd);
    close(fd);
    Ok(names)
}

/// A `Key:\tvalue` line of a status file.
fn status_value(text: &str, key: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix(key).and_then(|v| v.strip_prefix(":\t")))
        .unwrap_or("")
        .to_string()
}

/// Field `n` (1-based, as proc(5) numbers them) of a stat line.
fn stat_field(text: &str, n: usize) -> String {
    if n == 1 {
        return text.split(' ').next().unwrap_or("").to_string();
    }
    let Some(close_paren) = text.rfind(')') else {
        return String::new();
    };
    let rest: Vec<&str> = text[close_paren + 2..].split_whitespace().collect();
    rest.get(n - 3).copied().unwrap_or("").to_string()
}

/// Runs `check` with a second thread (sleeping until told to go), passing the thread's id.
fn with_thread(check: impl FnOnce(usize) -> String) -> String {
    let (tid_tx, tid_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let thread = std::thread::spawn(move || {
        let _ = tid_tx.send(gettid());
        let _ = go_rx.recv();
    });
    let Ok(tid) = tid_rx.recv() else {
        return "no thread".to_string();
    };
    let out = check(tid);
    let _ = go_tx.send(());
    let _ = thread.join();
    out
}

fn exists(path: &str) -> String {
    match std::fs::metadata(path) {
        Ok(m) => format!("dir {}", yes(m.is_dir())),
        Err(e) => errno_name(Errno(e.raw_os_error().unwrap_or(0) as u16)),
    }
}

fn thread_dir() -> String {
    let pid = getpid();
    let out = with_thread(|tid| {
        let listed = listing("/proc").map(|n| n.iter().any(|x| *x == tid.to_string()));
        let status = read_file(&format!("/proc/{tid}/status")).unwrap_or_default();
        let stat = read_file(&format!("/proc/{tid}/stat")).unwrap_or_default();
        let tasks = listing(&format!("/proc/{tid}/task")).unwrap_or_default();
        format!(
            "/proc/tid {} listed {} status Pid is tid {} Tgid is pid {} Threads {} stat pid is tid {} \
             threads {} task/ of the tid lists the pid {}",
            exists(&format!("/proc/{tid}")),
            listed.map_or_else(errno_name, |b| yes(b).to_string()),
            yes(status_value(&status, "Pid") == tid.to_string()),
            yes(status_value(&status, "Tgid") == pid.to_string()),
            status_value(&status, "Threads"),
            yes(stat_field(&stat, 1) == tid.to_string()),
            stat_field(&stat, 20),
            yes(tasks.iter().any(|x| *x == pid.to_string())),
        )
    });
    format!("{out} pid's own dir {}", exists(&format!("/proc/{pid}")))
}

fn task_dir() -> String {
    let pid = getpid();
    with_thread(|tid| {
        let mut tasks = listing("/proc/self/task").unwrap_or_default();
        tasks.retain(|n| n != "." && n != "..");
        let mut want = vec![pid.to_string(), tid.to_string()];
        want.sort();
        tasks.sort();
        let base = format!("/proc/self/task/{tid}");
        // The thread sends its id before it waits: give it time to fall asleep (bounded).
        for _ in 0..200 {
            let status = read_file(&format!("{base}/status")).unwrap_or_default();
            if status_value(&status, "State").starts_with('S') {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let status = read_file(&format!("{base}/status")).unwrap_or_default();
        let stat = read_file(&format!("{base}/stat")).unwrap_or_default();
        let comm = read_file(&format!("{base}/comm")).unwrap_or_default();
        let own_comm = read_file("/proc/self/comm").unwrap_or_default();
        let entries = listing(&base).unwrap_or_default();
        let has = |n: &str| yes(entries.iter().any(|x| x == n));
        let main_stat = read_file(&format!("/proc/self/task/{pid}/stat")).unwrap_or_default();
        let fds = |dir: &str| {
            let mut names = listing(dir).unwrap_or_default();
            names.sort();
            names
        };
        let same_fds = fds(&format!("{base}/fd")) == fds("/proc/self/fd");
        let fd_link = std::fs::read_link(format!("{base}/fd/0")).ok();
        let same_link = fd_link.is_some() && fd_link == std::fs::read_link("/proc/self/fd/0").ok();
        format!(
            "lists both threads {} thread: dir {} status Pid is tid {} Tgid is pid {} Threads {} State {} \
             stat pid is tid {} state {} threads {} comm is the process's {} entries stat {} status {} comm {} \
             task {} fd {} same descriptors {} same fd 0 link {} main thread's stat pid {} missing tid {} \
             missing entry {}",
            yes(tasks == want),
            exists(&base),
            yes(status_value(&status, "Pid") == tid.to_string()),
            yes(status_value(&status, "Tgid") == pid.to_string()),
            status_value(&status, "Threads"),
            status_value(&status, "State"),
            yes(stat_field(&stat, 1) == tid.to_string()),
            stat_field(&stat, 3),
            stat_field(&stat, 20),
            yes(!comm.is_empty() && comm == own_comm),
            has("stat"),
            has("status"),
            has("comm"),
            has("task"),
            has("fd"),
            yes(same_fds),
            yes(same_link),
            yes(stat_field(&main_stat, 1) == pid.to_string()),
            exists("/proc/self/task/999999"),
            exists(&format!("{base}/task")),
        )
    })
}
