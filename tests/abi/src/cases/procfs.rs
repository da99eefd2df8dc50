//! /proc and /sys as programs read them: relations between /proc/self/* and the system calls (pid, ppid, exe,
//! fd links, cwd, cmdline, the stack line of maps), the shapes of the system files, procfs's refusals, a few
//! sysfs files, and the device numbers of the /dev nodes.

use crate::child::close;
use crate::registry::Case;
use crate::scratch::{self, open};
use crate::sys::{cstr, errno_name, getpid, nr, outcome, yes, Errno};

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case::new("procfs.self_stat_fields", self_stat),
    Case::new("procfs.self_status_fields", self_status),
    Case::new("procfs.self_exe_is_the_binary", self_exe),
    Case::new("procfs.self_fd_links", self_fd),
    Case::new("procfs.self_cwd_and_root", self_cwd),
    Case::new("procfs.self_cmdline_is_argv", self_cmdline),
    Case::new("procfs.self_maps_stack", self_maps),
    Case::new("procfs.self_is_a_symlink_to_pid", self_link),
    Case::new("procfs.listing_has_self_and_pid", listing),
    Case::new("procfs.system_files_shapes", system_files),
    Case::new("procfs.refusals", refusals),
    Case::new("sys.files", sys_files),
    Case::new("devices.major_minor", dev_numbers),
];

fn read_file(path: &str) -> Result<String, Errno> {
    let fd = open(path, libc::O_RDONLY, 0)?;
    let bytes = crate::child::read_to_end(fd);
    close(fd);
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn readlink(path: &str) -> Result<String, Errno> {
    let c = cstr(path);
    let mut buf = [0u8; 4096];
    let n = sys!(
        nr::READLINKAT,
        libc::AT_FDCWD,
        c.as_ptr(),
        buf.as_mut_ptr(),
        buf.len()
    )?;
    Ok(String::from_utf8_lossy(&buf[..n]).into_owned())
}

fn stat(path: &str, follow: bool) -> Result<libc::stat, Errno> {
    let c = cstr(path);
    // SAFETY: plain data.
    let mut st: libc::stat = unsafe { core::mem::zeroed() };
    let flags = if follow { 0 } else { libc::AT_SYMLINK_NOFOLLOW };
    sys!(
        nr::NEWFSTATAT,
        libc::AT_FDCWD,
        c.as_ptr(),
        &mut st as *mut libc::stat,
        flags
    )?;
    Ok(st)
}

fn same_file(a: &libc::stat, b: &libc::stat) -> bool {
    a.st_ino == b.st_ino && a.st_dev == b.st_dev
}

/// `yes`/`no`, or the errno that kept the relation from being checked.
fn relation(r: Result<bool, Errno>) -> String {
    match r {
        Ok(b) => yes(b).to_string(),
        Err(e) => errno_name(e),
    }
}

fn getppid() -> usize {
    sys!(nr::GETPPID).unwrap_or(0)
}

fn self_stat() -> String {
    let text = match read_file("/proc/self/stat") {
        Ok(t) => t,
        Err(e) => return format!("read {}", errno_name(e)),
    };
    let Some(close_paren) = text.rfind(')') else {
        return "no comm".to_string();
    };
    let pid: usize = text
        .split(' ')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let comm = text.find('(').map_or("", |open| &text[open..=close_paren]);
    let rest: Vec<&str> = text[close_paren + 2..].split_whitespace().collect();
    let field = |n: usize| rest.get(n - 3).copied().unwrap_or("");
    format!(
        "pid {} comm {comm} state {} ppid {} pgrp {} fields {} threads {} ends with newline {}",
        yes(pid == getpid()),
        field(3),
        yes(field(4).parse::<usize>().ok() == Some(getppid())),
        yes(field(5).parse::<usize>().ok() == sys!(nr::GETPGID, 0).ok()),
        rest.len() + 2,
        field(20),
        yes(text.ends_with('\n'))
    )
}

fn self_status() -> String {
    let text = match read_file("/proc/self/status") {
        Ok(t) => t,
        Err(e) => return format!("read {}", errno_name(e)),
    };
    let value = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key).and_then(|v| v.strip_prefix(":\t")))
            .unwrap_or("")
            .to_string()
    };
    let pid_ok = value("Pid").parse::<usize>().ok() == Some(getpid());
    let ppid_ok = value("PPid").parse::<usize>().ok() == Some(getppid());
    let tgid_ok = value("Tgid").parse::<usize>().ok() == Some(getpid());
    format!(
        "Name {} Umask {} State {} Pid {} PPid {} Tgid {} Uid {} Threads {} VmSize kB {}",
        value("Name"),
        value("Umask"),
        value("State"),
        yes(pid_ok),
        yes(ppid_ok),
        yes(tgid_ok),
        value("Uid").replace('\t', " "),
        value("Threads"),
        yes(value("VmSize").ends_with(" kB"))
    )
}

fn self_exe() -> String {
    let argv0 = std::env::args().next().unwrap_or_default();
    let link = readlink("/proc/self/exe");
    let absolute = link.as_ref().is_ok_and(|l| l.starts_with('/'));
    let same = relation(
        stat("/proc/self/exe", true).and_then(|a| Ok(same_file(&a, &stat(&argv0, true)?))),
    );
    let via_link = relation(
        link.and_then(|l| stat(&l, true))
            .and_then(|a| Ok(same_file(&a, &stat(&argv0, true)?))),
    );
    format!("absolute {} stat through link is the binary {same} readlink target is the binary {via_link}", yes(absolute))
}

fn self_fd() -> String {
    let name = scratch::path("procfd");
    let _ = scratch::create("procfd", b"x", 0o644);
    let fd = match open(&name, libc::O_RDONLY, 0) {
        Ok(fd) => fd,
        Err(e) => return format!("open {}", errno_name(e)),
    };
    let link = readlink(&format!("/proc/self/fd/{fd}")).unwrap_or_else(errno_name);
    // SAFETY: plain data.
    let mut st: libc::stat = unsafe { core::mem::zeroed() };
    let _ = sys!(nr::FSTAT, fd, &mut st as *mut libc::stat);
    let same = relation(stat(&format!("/proc/self/fd/{fd}"), true).map(|s| same_file(&s, &st)));
    let mode = stat(&format!("/proc/self/fd/{fd}"), false).map_or(0, |s| s.st_mode);
    let listed = relation(
        open("/proc/self/fd", libc::O_RDONLY | libc::O_DIRECTORY, 0).map(|dfd| {
            let names = names(dfd);
            close(dfd);
            names.contains(&fd.to_string())
        }),
    );
    close(fd);
    scratch::remove(&name);
    let (r, w) = crate::child::pipe();
    let pipe = readlink(&format!("/proc/self/fd/{r}")).unwrap_or_else(errno_name);
    close(r);
    close(w);
    let closed = outcome(readlink(&format!("/proc/self/fd/{fd}")).map(|_| 0));
    format!(
        "path ends with file {} stat is the file {same} link mode {:o} listed {listed} pipe {} closed {closed}",
        yes(link.starts_with('/') && link.ends_with(&name)),
        mode,
        yes(pipe.starts_with("pipe:[") && pipe.ends_with(']')),
    )
}

/// Names in directory `fd`.
pub fn names(fd: i32) -> Vec<String> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 8192];
    while let Ok(n) = sys!(nr::GETDENTS64, fd, buf.as_mut_ptr(), buf.len()) {
        if n == 0 {
            break;
        }
        let mut off = 0;
        while off + 19 <= n {
            let reclen = usize::from(u16::from_ne_bytes([buf[off + 16], buf[off + 17]]));
            if reclen == 0 || off + reclen > n {
                return out;
            }
            let name = &buf[off + 19..off + reclen];
            let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
            out.push(String::from_utf8_lossy(&name[..end]).into_owned());
            off += reclen;
        }
    }
    out
}

fn self_cwd() -> String {
    let mut buf = [0u8; 4096];
    let n = sys!(nr::GETCWD, buf.as_mut_ptr(), buf.len()).unwrap_or(1);
    let cwd = String::from_utf8_lossy(&buf[..n.saturating_sub(1)]).into_owned();
    let link = readlink("/proc/self/cwd").unwrap_or_else(errno_name);
    let root = readlink("/proc/self/root").unwrap_or_else(errno_name);
    format!("cwd matches getcwd {} root {root}", yes(link == cwd))
}

fn self_cmdline() -> String {
    let mut expected = Vec::new();
    for arg in std::env::args_os() {
        use std::os::unix::ffi::OsStrExt;
        expected.extend_from_slice(arg.as_bytes());
        expected.push(0);
    }
    match open("/proc/self/cmdline", libc::O_RDONLY, 0) {
        Ok(fd) => {
            let got = crate::child::read_to_end(fd);
            close(fd);
            format!("argv with NULs {}", yes(got == expected))
        }
        Err(e) => format!("open {}", errno_name(e)),
    }
}

fn self_maps() -> String {
    let text = match read_file("/proc/self/maps") {
        Ok(t) => t,
        Err(e) => return format!("read {}", errno_name(e)),
    };
    let stack = text.lines().find(|l| l.ends_with("[stack]"));
    let here = &text as *const String as usize;
    let covers_local = stack.is_some_and(|line| {
        let range = line.split(' ').next().unwrap_or("");
        let (lo, hi) = range.split_once('-').unwrap_or(("0", "0"));
        let lo = usize::from_str_radix(lo, 16).unwrap_or(0);
        let hi = usize::from_str_radix(hi, 16).unwrap_or(0);
        lo <= here && here < hi
    });
    let perms = stack.and_then(|l| l.split(' ').nth(1)).unwrap_or("none");
    format!(
        "stack line {} perms {perms} holds a local variable {}",
        yes(stack.is_some()),
        yes(covers_local)
    )
}

fn self_link() -> String {
    let link = readlink("/proc/self").unwrap_or_else(errno_name);
    let is_link =
        stat("/proc/self", false).is_ok_and(|s| s.st_mode & libc::S_IFMT == libc::S_IFLNK);
    format!(
        "symlink {} target is pid {}",
        yes(is_link),
        yes(link == getpid().to_string())
    )
}

fn listing() -> String {
    match open("/proc", libc::O_RDONLY | libc::O_DIRECTORY, 0) {
        Ok(fd) => {
            let names = names(fd);
            close(fd);
            let has = |n: &str| yes(names.iter().any(|x| x == n));
            format!(
                "self {} own pid {} meminfo {} dots {}",
                has("self"),
                has(&getpid().to_string()),
                has("meminfo"),
                yes(names.iter().take(2).eq([".", ".."].iter()))
            )
        }
        Err(e) => format!("open {}", errno_name(e)),
    }
}

fn system_files() -> String {
    let meminfo = read_file("/proc/meminfo").unwrap_or_default();
    let kb = |key: &str| {
        meminfo
            .lines()
            .find(|l| l.starts_with(&format!("{key}:")))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
    };
    let mem_ok = matches!((kb("MemTotal"), kb("MemFree")), (Some(t), Some(f)) if f <= t && t > 0);
    let padded = meminfo
        .lines()
        .next()
        .is_some_and(|l| l.len() == "MemTotal:".len() + 7 + 8 + 3 || l.ends_with(" kB"));
    let uptime = read_file("/proc/uptime").unwrap_or_default();
    let uptime_ok = uptime.ends_with('\n')
        && uptime.split_whitespace().count() == 2
        && uptime
            .split_whitespace()
            .all(|f| f.split_once('.').is_some_and(|(_, d)| d.len() == 2));
    let loadavg = read_file("/proc/loadavg").unwrap_or_default();
    let fields: Vec<&str> = loadavg.split_whitespace().collect();
    let load_ok = fields.len() == 5 && fields[3].contains('/');
    let stat = read_file("/proc/stat").unwrap_or_default();
    let cpu_ok = stat.starts_with("cpu  ") && stat.lines().any(|l| l.starts_with("btime "));
    let fs = read_file("/proc/filesystems").unwrap_or_default();
    let fs_ok = ["proc", "sysfs", "tmpfs", "devtmpfs"]
        .iter()
        .all(|name| fs.lines().any(|l| l == format!("nodev\t{name}")));
    let version = read_file("/proc/version").unwrap_or_default();
    let cpuinfo = read_file("/proc/cpuinfo").unwrap_or_default();
    let cpuinfo_ok = cpuinfo.starts_with("processor\t: 0\n") && cpuinfo.contains("\nflags\t\t: ");
    let mounts = readlink("/proc/mounts").unwrap_or_else(errno_name);
    let cmdline = read_file("/proc/cmdline").is_ok_and(|c| c.ends_with('\n'));
    format!(
        "meminfo {} {} uptime {} loadavg {} stat {} filesystems {} version {} cpuinfo {} mounts -> {mounts} cmdline {}",
        yes(mem_ok),
        yes(padded),
        yes(uptime_ok),
        yes(load_ok),
        yes(cpu_ok),
        yes(fs_ok),
        yes(version.starts_with("Linux version ")),
        yes(cpuinfo_ok),
        yes(cmdline)
    )
}

fn refusals() -> String {
    let unlink = outcome(sys!(
        nr::UNLINKAT,
        libc::AT_FDCWD,
        cstr("/proc/uptime").as_ptr(),
        0
    ));
    let mkdir = outcome(sys!(
        nr::MKDIRAT,
        libc::AT_FDCWD,
        cstr("/proc/abi-x").as_ptr(),
        0o755
    ));
    let create = outcome(
        open("/proc/abi-x", libc::O_CREAT | libc::O_WRONLY, 0o644).map(|fd| {
            close(fd);
            0
        }),
    );
    let missing = outcome(stat("/proc/abi-missing", true).map(|_| 0));
    let no_pid = outcome(stat("/proc/1073741824", true).map(|_| 0));
    let write = match open("/proc/uptime", libc::O_WRONLY, 0) {
        Ok(fd) => {
            let r = outcome(sys!(nr::WRITE, fd, b"1".as_ptr(), 1));
            close(fd);
            r
        }
        Err(e) => format!("open {}", errno_name(e)),
    };
    format!("unlink {unlink} mkdir {mkdir} create {create} missing {missing} no such pid {no_pid} write {write}")
}

fn sys_files() -> String {
    let online = read_file("/sys/devices/system/cpu/online").unwrap_or_else(errno_name);
    let shape = {
        let t = online.trim_end();
        t == "0"
            || t.strip_prefix("0-")
                .is_some_and(|n| n.parse::<u32>().is_ok())
    };
    let byteorder = read_file("/sys/kernel/cpu_byteorder").unwrap_or_else(errno_name);
    let console_link = stat("/sys/class/tty/console", false)
        .is_ok_and(|s| s.st_mode & libc::S_IFMT == libc::S_IFLNK);
    let console_dev = read_file("/sys/class/tty/console/dev").unwrap_or_else(errno_name);
    format!(
        "cpu online shape {} ends with newline {} byteorder {} class/tty/console symlink {} dev {}",
        yes(shape),
        yes(online.ends_with('\n')),
        byteorder.trim_end(),
        yes(console_link),
        console_dev.trim_end()
    )
}

fn dev_numbers() -> String {
    let mut parts = Vec::new();
    for name in [
        "null", "zero", "full", "random", "urandom", "tty", "console",
    ] {
        let text = match stat(&format!("/dev/{name}"), true) {
            Ok(st) => format!(
                "{name} {}{}:{}",
                if st.st_mode & libc::S_IFMT == libc::S_IFCHR {
                    "c"
                } else {
                    "?"
                },
                libc::major(st.st_rdev),
                libc::minor(st.st_rdev)
            ),
            Err(e) => format!("{name} {}", errno_name(e)),
        };
        parts.push(text);
    }
    parts.join(" ")
}
