//! sysfs (`mount -t sysfs sysfs /sys`), minimal but real: `kernel/{address_bits,cpu_byteorder}`,
//! `devices/system/cpu/{online,possible,present,cpuN/}`, `devices/virtual/tty/<name>/dev` for every registered
//! terminal device of majors 4 and 5, and `class/tty/<name>` symlinks to them, as on Linux. The tree is
//! computed from the system at each lookup; inode numbers are hashes of the paths, so they stay the same.
#![forbid(unsafe_code)]

use super::procfs::files::{ProcDir, ProcFile};
use super::vfs::{Change, FileSystem, Loc, StatFs};
use super::FileOps;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use basalt_linux_abi::Errno;
use basalt_memfs::{DeviceNumber, Stat, Timestamp};
use basalt_vfs::encode::{self, DirEntry, ST_RELATIME, ST_VALID, SYSFS_MAGIC};

/// What a sysfs path is.
#[derive(Clone, Debug)]
enum Kind {
    Dir,
    File(String),
    Link(String),
}

struct Entry {
    path: String,
    kind: Kind,
}

/// FNV-1a of the path: the inode number (the root is 1).
fn ino_of(path: &str) -> u64 {
    if path.is_empty() {
        return 1;
    }
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in path.bytes() {
        hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    hash | 2
}

fn cpu_range(count: usize) -> String {
    if count <= 1 {
        String::from("0\n")
    } else {
        alloc::format!("0-{}\n", count - 1)
    }
}

/// The whole tree, parents before children.
fn tree() -> Vec<Entry> {
    let dir = |path: &str| Entry {
        path: String::from(path),
        kind: Kind::Dir,
    };
    let file = |path: &str, text: String| Entry {
        path: String::from(path),
        kind: Kind::File(text),
    };
    let mut out = Vec::new();
    for d in [
        "",
        "kernel",
        "devices",
        "devices/system",
        "devices/system/cpu",
        "devices/virtual",
        "devices/virtual/tty",
        "class",
        "class/tty",
        "fs",
    ] {
        out.push(dir(d));
    }
    out.push(file("kernel/address_bits", String::from("64\n")));
    out.push(file("kernel/cpu_byteorder", String::from("little\n")));
    let cpus = crate::arch::percpu::online_count().max(1);
    for name in ["online", "possible", "present"] {
        out.push(file(
            &alloc::format!("devices/system/cpu/{name}"),
            cpu_range(cpus),
        ));
    }
    for cpu in 0..cpus {
        out.push(dir(&alloc::format!("devices/system/cpu/cpu{cpu}")));
    }
    for (name, major, minor) in super::devices::terminals() {
        let base = alloc::format!("devices/virtual/tty/{name}");
        out.push(dir(&base));
        out.push(file(
            &alloc::format!("{base}/dev"),
            alloc::format!("{major}:{minor}\n"),
        ));
        out.push(Entry {
            path: alloc::format!("class/tty/{name}"),
            kind: Kind::Link(alloc::format!("../../devices/virtual/tty/{name}")),
        });
    }
    out
}

fn parent_path(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

fn find(ino: u64) -> Result<Entry, Errno> {
    tree()
        .into_iter()
        .find(|e| ino_of(&e.path) == ino)
        .ok_or(Errno::ENOENT)
}

/// A sysfs instance.
pub struct SysFs {
    device: u64,
}

/// A new sysfs.
pub fn create(instance: u32) -> Arc<SysFs> {
    Arc::new(SysFs {
        device: DeviceNumber::new(0, 2048 + instance).encode(),
    })
}

impl FileSystem for SysFs {
    fn type_name(&self) -> &'static str {
        "sysfs"
    }

    fn root(&self) -> u64 {
        1
    }

    fn lookup(&self, dir: u64, name: &[u8]) -> Result<u64, Errno> {
        let dir = find(dir)?;
        if !matches!(dir.kind, Kind::Dir) {
            return Err(Errno::ENOTDIR);
        }
        let name = core::str::from_utf8(name).map_err(|_| Errno::ENOENT)?;
        let path = if dir.path.is_empty() {
            String::from(name)
        } else {
            alloc::format!("{}/{name}", dir.path)
        };
        let ino = ino_of(&path);
        find(ino).map(|_| ino)
    }

    fn parent(&self, dir: u64) -> Result<u64, Errno> {
        Ok(ino_of(parent_path(&find(dir)?.path)))
    }

    fn getattr(&self, ino: u64) -> Result<Stat, Errno> {
        let entry = find(ino)?;
        let mode = match entry.kind {
            Kind::Dir => 0o040_755,
            Kind::File(_) => 0o100_444,
            Kind::Link(_) => 0o120_777,
        };
        let boot = Timestamp {
            secs: crate::time::boot_unix_seconds() as i64,
            nanos: 0,
        };
        Ok(Stat {
            dev: self.device,
            ino,
            nlink: if matches!(entry.kind, Kind::Dir) {
                2
            } else {
                1
            },
            mode,
            uid: 0,
            gid: 0,
            rdev: 0,
            // sysfs attribute files report a page as their size, as Linux's.
            size: if matches!(entry.kind, Kind::File(_)) {
                4096
            } else {
                0
            },
            blksize: 4096,
            blocks: 0,
            atime: boot,
            mtime: boot,
            ctime: boot,
        })
    }

    fn readlink(&self, ino: u64) -> Result<Vec<u8>, Errno> {
        match find(ino)?.kind {
            Kind::Link(target) => Ok(target.into_bytes()),
            _ => Err(Errno::EINVAL),
        }
    }

    fn read_dir(&self, dir: u64, cookie: u64, max: usize) -> Result<(Vec<u8>, u64), Errno> {
        let all = tree();
        let me = all
            .iter()
            .find(|e| ino_of(&e.path) == dir)
            .ok_or(Errno::ENOENT)?;
        if !matches!(me.kind, Kind::Dir) {
            return Err(Errno::ENOTDIR);
        }
        let mut names: Vec<(&str, u64, u8)> = Vec::new();
        names.push((".", dir, encode::DT_DIR));
        names.push(("..", ino_of(parent_path(&me.path)), encode::DT_DIR));
        for e in &all {
            if e.path.is_empty() || parent_path(&e.path) != me.path {
                continue;
            }
            let dtype = match e.kind {
                Kind::Dir => encode::DT_DIR,
                Kind::File(_) => encode::DT_REG,
                Kind::Link(_) => encode::DT_LNK,
            };
            let name = e.path.rsplit('/').next().unwrap_or(&e.path);
            names.push((name, ino_of(&e.path), dtype));
        }
        encode::encode_dirents(
            names.iter().map(|&(name, ino, dtype)| DirEntry {
                name: name.as_bytes(),
                ino,
                dtype,
            }),
            cookie,
            max,
        )
    }

    fn open(&self, at: Loc) -> Result<Arc<dyn FileOps>, Errno> {
        let stat = self.getattr(at.ino)?;
        match find(at.ino)?.kind {
            Kind::Dir => ProcDir::open(at, stat),
            Kind::File(text) => Ok(Arc::new(ProcFile::new(text.into_bytes(), stat))),
            Kind::Link(_) => Err(Errno::ELOOP),
        }
    }

    fn statfs(&self) -> StatFs {
        StatFs {
            magic: SYSFS_MAGIC,
            block_size: 4096,
            name_max: 255,
            flags: ST_VALID | ST_RELATIME,
            ..StatFs::default()
        }
    }

    fn refuse(&self, change: Change) -> Errno {
        // Linux's sysfs: mkdir and removal are EPERM, creating a file EACCES (the directories are 0755 root).
        match change {
            Change::Create => Errno::EACCES,
            Change::Remove | Change::Attr => Errno::EPERM,
        }
    }
}
