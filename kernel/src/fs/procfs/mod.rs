//! procfs (`mount -t proc proc /proc`): the system files (`meminfo`, `uptime`, `cpuinfo`, `stat`, `loadavg`,
//! `mounts`, `filesystems`, `version`, `cmdline`), `self`, and a directory per process (`stat`, `status`,
//! `cmdline`, `environ`, `maps`, `mounts`, `comm`, `statm`, `exe`, `cwd`, `root`, `fd/`, `task/`). As on Linux,
//! every thread id has a directory too (`/proc/<tid>`, found by name but not listed), and `task/<tid>/` shows
//! each thread on its own. Contents are made when a file is opened (the text comes from basalt-procfs-fmt);
//! every mount shows the same live view.
//!
//! Inode numbers encode what they name, so nothing is stored: [`Node`] ⇄ `u64`.
#![forbid(unsafe_code)]

mod content;
mod cpuinfo;
pub(crate) mod files;

use super::vfs::{Change, FileSystem, Loc, StatFs};
use super::FileOps;
use crate::task::process::{self, Process};
use crate::task::Task;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use basalt_linux_abi::Errno;
use basalt_memfs::{DeviceNumber, Stat, Timestamp};
use basalt_vfs::encode::{self, DirEntry, PROC_SUPER_MAGIC};
use basalt_vfs::encode::{ST_RELATIME, ST_VALID};

/// The files at the top of /proc: (name, what).
const SYSTEM_FILES: [(&str, System); 10] = [
    ("cmdline", System::Cmdline),
    ("cpuinfo", System::Cpuinfo),
    ("filesystems", System::Filesystems),
    ("loadavg", System::Loadavg),
    ("meminfo", System::Meminfo),
    ("mounts", System::Mounts),
    ("stat", System::Stat),
    ("uptime", System::Uptime),
    ("version", System::Version),
    ("self", System::SelfLink),
];

/// A system-wide entry of /proc.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum System {
    Cmdline = 2,
    Cpuinfo,
    Filesystems,
    Loadavg,
    Meminfo,
    /// A symlink to `self/mounts`, as on Linux.
    Mounts,
    Stat,
    Uptime,
    Version,
    SelfLink,
}

/// The entries of /proc/<pid>: (name, what).
const PID_FILES: [(&str, PidFile); 14] = [
    ("cmdline", PidFile::Cmdline),
    ("comm", PidFile::Comm),
    ("cwd", PidFile::Cwd),
    ("environ", PidFile::Environ),
    ("exe", PidFile::Exe),
    ("fd", PidFile::FdDir),
    ("fdinfo", PidFile::FdInfoDir),
    ("maps", PidFile::Maps),
    ("mounts", PidFile::Mounts),
    ("root", PidFile::Root),
    ("stat", PidFile::Stat),
    ("statm", PidFile::Statm),
    ("status", PidFile::Status),
    ("task", PidFile::Task),
];

/// The entries of /proc/<pid>/task/<tid>: those of /proc/<pid> but the thread list.
fn task_files() -> impl Iterator<Item = (&'static str, PidFile)> {
    PID_FILES.into_iter().filter(|(_, f)| *f != PidFile::Task)
}

/// An entry of /proc/<pid>.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PidFile {
    Cmdline = 1,
    Comm,
    Cwd,
    Environ,
    Exe,
    FdDir,
    Maps,
    Mounts,
    Root,
    Stat,
    Statm,
    Status,
    /// The directory of the threads.
    Task,
    FdInfoDir,
}

/// What a procfs inode number names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Node {
    Root,
    System(System),
    /// /proc/<id>: a process, or (by name only) one of its threads.
    PidDir(u32),
    Pid(u32, PidFile),
    Fd(u32, u32),
    /// /proc/<id>/task/<tid>.
    TaskDir(u32, u32),
    /// An entry of /proc/<id>/task/<tid>.
    Task(u32, u32, PidFile),
    /// `/proc/<pid>/fdinfo/<fd>`.
    FdInfo(u32, u32),
}

const ROOT_INO: u64 = 1;
/// Per-process inodes: `pid << 8 | entry` (entry 0: the directory).
const PID_SHIFT: u32 = 8;
/// Descriptor symlinks: this bit, the pid from bit 20, the descriptor below.
const FD_BIT: u64 = 1 << 40;
const FD_PID_SHIFT: u32 = 20;
/// Thread entries: this bit, the id of the /proc directory from bit 24, the tid from bit 8, the entry below
/// (ids stay below 2^16: the pid limit is 32768).
const TASK_BIT: u64 = 1 << 50;
const TASK_ID_SHIFT: u32 = 24;
const TASK_TID_SHIFT: u32 = 8;
const ID_LIMIT: u32 = 1 << 16;
/// Descriptor information files: this bit, then as for descriptor symlinks.
const FDINFO_BIT: u64 = 1 << 41;

impl Node {
    fn ino(self) -> u64 {
        match self {
            Node::Root => ROOT_INO,
            Node::System(s) => s as u64,
            Node::PidDir(pid) => u64::from(pid) << PID_SHIFT,
            Node::Pid(pid, f) => (u64::from(pid) << PID_SHIFT) | f as u64,
            Node::Fd(pid, fd) => FD_BIT | (u64::from(pid) << FD_PID_SHIFT) | u64::from(fd),
            Node::TaskDir(id, tid) => task_ino(id, tid, 0),
            Node::Task(id, tid, f) => task_ino(id, tid, f as u64),
            Node::FdInfo(pid, fd) => FDINFO_BIT | (u64::from(pid) << FD_PID_SHIFT) | u64::from(fd),
        }
    }

    fn from_ino(ino: u64) -> Option<Node> {
        if ino == ROOT_INO {
            return Some(Node::Root);
        }
        if ino & TASK_BIT != 0 {
            let rest = ino & !TASK_BIT;
            let id = u32::try_from(rest >> TASK_ID_SHIFT).ok()?;
            let tid = ((rest >> TASK_TID_SHIFT) & u64::from(ID_LIMIT - 1)) as u32;
            let entry = rest & ((1 << TASK_TID_SHIFT) - 1);
            if entry == 0 {
                return Some(Node::TaskDir(id, tid));
            }
            return task_files()
                .find(|(_, f)| *f as u64 == entry)
                .map(|(_, f)| Node::Task(id, tid, f));
        }
        if ino & (FD_BIT | FDINFO_BIT) != 0 {
            let rest = ino & !(FD_BIT | FDINFO_BIT);
            let pid = u32::try_from(rest >> FD_PID_SHIFT).ok()?;
            let fd = (rest & ((1 << FD_PID_SHIFT) - 1)) as u32;
            return Some(if ino & FD_BIT != 0 {
                Node::Fd(pid, fd)
            } else {
                Node::FdInfo(pid, fd)
            });
        }
        if ino < 1 << PID_SHIFT {
            return SYSTEM_FILES
                .iter()
                .find(|(_, s)| *s as u64 == ino)
                .map(|(_, s)| Node::System(*s));
        }
        let pid = u32::try_from(ino >> PID_SHIFT).ok()?;
        let entry = ino & ((1 << PID_SHIFT) - 1);
        if entry == 0 {
            return Some(Node::PidDir(pid));
        }
        PID_FILES
            .iter()
            .find(|(_, f)| *f as u64 == entry)
            .map(|(_, f)| Node::Pid(pid, *f))
    }
}

fn task_ino(id: u32, tid: u32, entry: u64) -> u64 {
    TASK_BIT | (u64::from(id) << TASK_ID_SHIFT) | (u64::from(tid) << TASK_TID_SHIFT) | entry
}

/// The thread `tid` of `p`, if it is one of its live threads.
pub(crate) fn thread_of(p: &Process, tid: u32) -> Option<Arc<Task>> {
    p.threads_snapshot().into_iter().find(|t| t.tid == tid)
}

/// The process of /proc/<id>: `id` is its pid or the tid of one of its threads.
fn process_of_id(id: u32) -> Result<Arc<Process>, Errno> {
    let p = process_of(id)?;
    if id != p.pid && thread_of(&p, id).is_none() {
        return Err(Errno::ENOENT);
    }
    Ok(p)
}

/// The process a per-process node belongs to, if it still exists.
fn process_of(pid: u32) -> Result<Arc<Process>, Errno> {
    process::find(pid).ok_or(Errno::ENOENT)
}

/// The process of /proc/<id>/task/<tid>, if thread `tid` is still one of its threads.
fn process_of_task(id: u32, tid: u32) -> Result<Arc<Process>, Errno> {
    let p = process_of_id(id)?;
    thread_of(&p, tid).ok_or(Errno::ENOENT)?;
    Ok(p)
}

fn parse_number(name: &[u8]) -> Option<u32> {
    if name.is_empty() || name.len() > 10 || (name.len() > 1 && name[0] == b'0') {
        return None;
    }
    core::str::from_utf8(name).ok()?.parse().ok()
}

/// The procfs instance (one per mount, all showing the same processes).
pub struct ProcFs {
    device: u64,
}

/// A new procfs.
pub fn create(instance: u32) -> Arc<ProcFs> {
    Arc::new(ProcFs {
        device: DeviceNumber::new(0, 1024 + instance).encode(),
    })
}

const S_IFDIR: u32 = 0o040_000;
const S_IFREG: u32 = 0o100_000;
const S_IFLNK: u32 = 0o120_000;

impl ProcFs {
    fn node(&self, ino: u64) -> Result<Node, Errno> {
        let node = Node::from_ino(ino).ok_or(Errno::ENOENT)?;
        // A process that went away takes its entries with it.
        match node {
            Node::PidDir(id) | Node::Pid(id, _) => {
                process_of_id(id)?;
            }
            Node::TaskDir(id, tid) | Node::Task(id, tid, _) => {
                process_of_task(id, tid)?;
            }
            Node::Fd(pid, fd) | Node::FdInfo(pid, fd) => {
                process_of(pid)?.files().lock().get(fd as i32)?;
            }
            _ => {}
        }
        Ok(node)
    }

    fn stat_of(&self, node: Node) -> Result<Stat, Errno> {
        let boot = Timestamp {
            secs: crate::time::boot_unix_seconds() as i64,
            nanos: 0,
        };
        let (mode, owner, nlink, time) = match node {
            Node::Root => (S_IFDIR | 0o555, None, 2, boot),
            Node::System(System::SelfLink | System::Mounts) => (S_IFLNK | 0o777, None, 1, boot),
            Node::System(_) => (S_IFREG | 0o444, None, 1, boot),
            Node::PidDir(pid) | Node::TaskDir(pid, _) => {
                (S_IFDIR | 0o555, Some(pid), 2, start_time(pid)?)
            }
            Node::Pid(pid, file) | Node::Task(pid, _, file) => {
                let mode = match file {
                    PidFile::Cwd | PidFile::Exe | PidFile::Root => S_IFLNK | 0o777,
                    PidFile::FdDir => S_IFDIR | 0o500,
                    PidFile::Task => S_IFDIR | 0o555,
                    PidFile::FdInfoDir => S_IFDIR | 0o555,
                    PidFile::Environ => S_IFREG | 0o400,
                    PidFile::Comm => S_IFREG | 0o644,
                    _ => S_IFREG | 0o444,
                };
                let nlink = match file {
                    PidFile::FdDir | PidFile::FdInfoDir => 2,
                    // Linux counts the threads' directories.
                    PidFile::Task => 2 + process_of(pid)?.threads_snapshot().len() as u64,
                    _ => 1,
                };
                (mode, Some(pid), nlink, start_time(pid)?)
            }
            Node::Fd(pid, fd) => {
                let file = process_of(pid)?.files().lock().get(fd as i32)?;
                // The link's permission bits show the descriptor's access mode, as Linux's.
                let mut perm = 0;
                if file.readable() {
                    perm |= 0o500;
                }
                if file.writable() {
                    perm |= 0o200;
                }
                (S_IFLNK | perm, Some(pid), 1, start_time(pid)?)
            }
            Node::FdInfo(pid, _) => (S_IFREG | 0o444, Some(pid), 1, start_time(pid)?),
        };
        let (uid, gid) = match owner {
            Some(pid) => {
                let creds = process_of(pid)?.creds.get();
                (creds.euid, creds.egid)
            }
            None => (0, 0),
        };
        Ok(Stat {
            dev: self.device,
            ino: node.ino(),
            nlink,
            mode,
            uid,
            gid,
            rdev: 0,
            size: 0,
            blksize: 1024,
            blocks: 0,
            atime: time,
            mtime: time,
            ctime: time,
        })
    }
}

/// The directory-entry type of an entry of /proc/<pid>.
fn dtype_of(file: PidFile) -> u8 {
    match file {
        PidFile::Cwd | PidFile::Exe | PidFile::Root => encode::DT_LNK,
        PidFile::FdDir | PidFile::FdInfoDir | PidFile::Task => encode::DT_DIR,
        _ => encode::DT_REG,
    }
}

/// When process `pid` started, as a wall-clock time (the times of its /proc directory).
fn start_time(pid: u32) -> Result<Timestamp, Errno> {
    let p = process_of(pid)?;
    let ns = crate::time::boot_unix_seconds() * 1_000_000_000 + p.start_ns;
    Ok(Timestamp {
        secs: (ns / 1_000_000_000) as i64,
        nanos: (ns % 1_000_000_000) as u32,
    })
}

impl FileSystem for ProcFs {
    fn type_name(&self) -> &'static str {
        "proc"
    }

    fn root(&self) -> u64 {
        ROOT_INO
    }

    fn lookup(&self, dir: u64, name: &[u8]) -> Result<u64, Errno> {
        let found = match self.node(dir)? {
            Node::Root => match SYSTEM_FILES.iter().find(|(n, _)| n.as_bytes() == name) {
                Some((_, s)) => Node::System(*s),
                None => {
                    // Any thread id: listed are only processes, but every thread is found by name.
                    let id = parse_number(name).ok_or(Errno::ENOENT)?;
                    if id >= ID_LIMIT {
                        return Err(Errno::ENOENT);
                    }
                    process_of_id(id)?;
                    Node::PidDir(id)
                }
            },
            Node::PidDir(pid) => {
                let (_, f) = PID_FILES
                    .iter()
                    .find(|(n, _)| n.as_bytes() == name)
                    .ok_or(Errno::ENOENT)?;
                Node::Pid(pid, *f)
            }
            Node::Pid(id, PidFile::Task) => {
                let tid = parse_number(name).ok_or(Errno::ENOENT)?;
                if tid >= ID_LIMIT {
                    return Err(Errno::ENOENT);
                }
                process_of_task(id, tid)?;
                Node::TaskDir(id, tid)
            }
            Node::TaskDir(id, tid) => {
                let (_, f) = task_files()
                    .find(|(n, _)| n.as_bytes() == name)
                    .ok_or(Errno::ENOENT)?;
                Node::Task(id, tid, f)
            }
            // The threads share the descriptor table: task/<tid>/fd shows the process's descriptors.
            Node::Pid(pid, dir @ (PidFile::FdDir | PidFile::FdInfoDir))
            | Node::Task(pid, _, dir @ (PidFile::FdDir | PidFile::FdInfoDir)) => {
                let fd = parse_number(name).ok_or(Errno::ENOENT)?;
                if fd >= 1 << FD_PID_SHIFT {
                    return Err(Errno::ENOENT);
                }
                process_of(pid)?
                    .files()
                    .lock()
                    .get(fd as i32)
                    .map_err(|_| Errno::ENOENT)?;
                if dir == PidFile::FdDir {
                    Node::Fd(pid, fd)
                } else {
                    Node::FdInfo(pid, fd)
                }
            }
            _ => return Err(Errno::ENOTDIR),
        };
        Ok(found.ino())
    }

    fn parent(&self, dir: u64) -> Result<u64, Errno> {
        Ok(match self.node(dir)? {
            Node::Root | Node::System(_) | Node::PidDir(_) => ROOT_INO,
            Node::Pid(pid, _) => Node::PidDir(pid).ino(),
            Node::Fd(pid, _) => Node::Pid(pid, PidFile::FdDir).ino(),
            Node::TaskDir(id, _) => Node::Pid(id, PidFile::Task).ino(),
            Node::Task(id, tid, _) => Node::TaskDir(id, tid).ino(),
            Node::FdInfo(pid, _) => Node::Pid(pid, PidFile::FdInfoDir).ino(),
        })
    }

    fn getattr(&self, ino: u64) -> Result<Stat, Errno> {
        let node = self.node(ino)?;
        self.stat_of(node)
    }

    fn readlink(&self, ino: u64) -> Result<Vec<u8>, Errno> {
        content::readlink(self.node(ino)?)
    }

    fn read_dir(&self, dir: u64, cookie: u64, max: usize) -> Result<(Vec<u8>, u64), Errno> {
        use encode::{DT_DIR, DT_LNK, DT_REG};
        let node = self.node(dir)?;
        let parent = self.parent(dir)?;
        let mut names: Vec<(String, u64, u8)> = Vec::new();
        names.push((String::from("."), dir, DT_DIR));
        names.push((String::from(".."), parent, DT_DIR));
        match node {
            Node::Root => {
                for (name, s) in SYSTEM_FILES {
                    let dtype = if matches!(s, System::SelfLink | System::Mounts) {
                        DT_LNK
                    } else {
                        DT_REG
                    };
                    names.push((String::from(name), s as u64, dtype));
                }
                let mut pids: Vec<u32> = process::all().iter().map(|p| p.pid).collect();
                pids.sort_unstable();
                for pid in pids {
                    names.push((alloc::format!("{pid}"), Node::PidDir(pid).ino(), DT_DIR));
                }
            }
            Node::PidDir(pid) => {
                for (name, f) in PID_FILES {
                    names.push((String::from(name), Node::Pid(pid, f).ino(), dtype_of(f)));
                }
            }
            Node::Pid(id, PidFile::Task) => {
                let mut tids: Vec<u32> = process_of_id(id)?
                    .threads_snapshot()
                    .iter()
                    .map(|t| t.tid)
                    .collect();
                tids.sort_unstable();
                for tid in tids {
                    names.push((
                        alloc::format!("{tid}"),
                        Node::TaskDir(id, tid).ino(),
                        DT_DIR,
                    ));
                }
            }
            Node::TaskDir(id, tid) => {
                for (name, f) in task_files() {
                    let ino = Node::Task(id, tid, f).ino();
                    names.push((String::from(name), ino, dtype_of(f)));
                }
            }
            Node::Pid(pid, PidFile::FdDir) | Node::Task(pid, _, PidFile::FdDir) => {
                for fd in process_of(pid)?.files().lock().open_fds() {
                    let fd = fd as u32;
                    names.push((alloc::format!("{fd}"), Node::Fd(pid, fd).ino(), DT_LNK));
                }
            }
            Node::Pid(pid, PidFile::FdInfoDir) | Node::Task(pid, _, PidFile::FdInfoDir) => {
                for fd in process_of(pid)?.files().lock().open_fds() {
                    let fd = fd as u32;
                    names.push((alloc::format!("{fd}"), Node::FdInfo(pid, fd).ino(), DT_REG));
                }
            }
            _ => return Err(Errno::ENOTDIR),
        }
        encode::encode_dirents(
            names.iter().map(|(name, ino, dtype)| DirEntry {
                name: name.as_bytes(),
                ino: *ino,
                dtype: *dtype,
            }),
            cookie,
            max,
        )
    }

    fn open(&self, at: Loc) -> Result<Arc<dyn FileOps>, Errno> {
        let node = self.node(at.ino)?;
        let stat = self.stat_of(node)?;
        if stat.mode & S_IFDIR != 0 && stat.mode & S_IFREG == 0 {
            return files::ProcDir::open(at, stat);
        }
        let text = content::file_text(node)?;
        Ok(Arc::new(files::ProcFile::new(text, stat)))
    }

    fn statfs(&self) -> StatFs {
        StatFs {
            magic: PROC_SUPER_MAGIC,
            block_size: 4096,
            name_max: 255,
            flags: ST_VALID | ST_RELATIME,
            ..StatFs::default()
        }
    }

    fn refuse(&self, change: Change) -> Errno {
        // Linux's procfs: no entry can be created (the lookup fails first) and none removed.
        match change {
            Change::Create => Errno::ENOENT,
            Change::Remove | Change::Attr => Errno::EPERM,
        }
    }
}
