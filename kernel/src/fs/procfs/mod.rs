//! procfs (`mount -t proc proc /proc`): the system files (`meminfo`, `uptime`, `cpuinfo`, `stat`, `loadavg`,
//! `mounts`, `filesystems`, `version`, `cmdline`), `self`, and a directory per process (`stat`, `status`,
//! `cmdline`, `environ`, `maps`, `mounts`, `comm`, `statm`, `exe`, `cwd`, `root`, `fd/`). Contents are made
//! when a file is opened (the text comes from basalt-procfs-fmt); every mount shows the same live view.
//!
//! Inode numbers encode what they name, so nothing is stored: [`Node`] ⇄ `u64`.
#![forbid(unsafe_code)]

mod content;
mod cpuinfo;
pub(crate) mod files;

use super::vfs::{Change, FileSystem, Loc, StatFs};
use super::FileOps;
use crate::task::process::{self, Process};
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
const PID_FILES: [(&str, PidFile); 13] = [
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
];

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
    FdInfoDir,
}

/// What a procfs inode number names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Node {
    Root,
    System(System),
    PidDir(u32),
    Pid(u32, PidFile),
    Fd(u32, u32),
    /// `/proc/<pid>/fdinfo/<fd>`.
    FdInfo(u32, u32),
}

const ROOT_INO: u64 = 1;
/// Per-process inodes: `pid << 8 | entry` (entry 0: the directory).
const PID_SHIFT: u32 = 8;
/// Descriptor symlinks: this bit, the pid from bit 20, the descriptor below.
const FD_BIT: u64 = 1 << 40;
const FD_PID_SHIFT: u32 = 20;
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
            Node::FdInfo(pid, fd) => FDINFO_BIT | (u64::from(pid) << FD_PID_SHIFT) | u64::from(fd),
        }
    }

    fn from_ino(ino: u64) -> Option<Node> {
        if ino == ROOT_INO {
            return Some(Node::Root);
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

/// The process a per-process node belongs to, if it still exists.
fn process_of(pid: u32) -> Result<Arc<Process>, Errno> {
    process::find(pid).ok_or(Errno::ENOENT)
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
            Node::PidDir(pid) | Node::Pid(pid, _) => {
                process_of(pid)?;
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
            Node::PidDir(pid) => (S_IFDIR | 0o555, Some(pid), 2, start_time(pid)?),
            Node::Pid(pid, file) => {
                let mode = match file {
                    PidFile::Cwd | PidFile::Exe | PidFile::Root => S_IFLNK | 0o777,
                    PidFile::FdDir => S_IFDIR | 0o500,
                    PidFile::FdInfoDir => S_IFDIR | 0o555,
                    PidFile::Environ => S_IFREG | 0o400,
                    PidFile::Comm => S_IFREG | 0o644,
                    _ => S_IFREG | 0o444,
                };
                let nlink = if matches!(file, PidFile::FdDir | PidFile::FdInfoDir) {
                    2
                } else {
                    1
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
                    let pid = parse_number(name).ok_or(Errno::ENOENT)?;
                    process_of(pid)?;
                    Node::PidDir(pid)
                }
            },
            Node::PidDir(pid) => {
                let (_, f) = PID_FILES
                    .iter()
                    .find(|(n, _)| n.as_bytes() == name)
                    .ok_or(Errno::ENOENT)?;
                Node::Pid(pid, *f)
            }
            Node::Pid(pid, dir @ (PidFile::FdDir | PidFile::FdInfoDir)) => {
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
                    let dtype = match f {
                        PidFile::Cwd | PidFile::Exe | PidFile::Root => DT_LNK,
                        PidFile::FdDir | PidFile::FdInfoDir => DT_DIR,
                        _ => DT_REG,
                    };
                    names.push((String::from(name), Node::Pid(pid, f).ino(), dtype));
                }
            }
            Node::Pid(pid, PidFile::FdDir) => {
                for fd in process_of(pid)?.files().lock().open_fds() {
                    let fd = fd as u32;
                    names.push((alloc::format!("{fd}"), Node::Fd(pid, fd).ino(), DT_LNK));
                }
            }
            Node::Pid(pid, PidFile::FdInfoDir) => {
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
