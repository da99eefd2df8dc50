//! Character devices: the registry of drivers by device number, and devtmpfs, the filesystem that shows a node
//! for every registered device (`mount -t devtmpfs devtmpfs /dev`). Drivers register with
//! [`register_char_device`]; opening any node with that number (in devtmpfs or made with mknod anywhere)
//! reaches the driver's open function.
#![forbid(unsafe_code)]

use super::tmpfs::{self, Tmpfs};
use super::tree_change;
use super::{FileOps, Stat};
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use basalt_linux_abi::Errno;
use basalt_memfs::{Config, DeviceNumber, InodeId, NodeKind};
use basalt_vfs::dcache::TreeChange;
use spin::{Mutex, Once};

/// A driver's open function: the file behind a node of this device (`minor` is the node's minor number).
pub type OpenDevice = fn(minor: u32) -> Result<Arc<dyn FileOps>, Errno>;

struct CharDevice {
    /// Path within /dev (`null`, `pts/0`).
    name: String,
    number: DeviceNumber,
    open: OpenDevice,
}

static DEVICES: Mutex<Vec<CharDevice>> = Mutex::new(Vec::new());
static DEVTMPFS: Once<Arc<Tmpfs>> = Once::new();

/// The one devtmpfs instance (every devtmpfs mount shows it, as on Linux).
pub fn devtmpfs() -> Result<Arc<Tmpfs>, Errno> {
    DEVTMPFS.get().cloned().ok_or(Errno::ENODEV)
}

/// Registers character device `major:minor` as `/dev/<name>` (`name` may hold directories: `pts/3`) with
/// permission bits `mode`, opened through `open`. `EEXIST` if the number or the name is taken, `EINVAL` for an
/// empty name or one with `.`/`..` components. The devtmpfs node appears at once.
pub fn register_char_device(
    name: &str,
    major: u32,
    minor: u32,
    mode: u32,
    open: OpenDevice,
) -> Result<(), Errno> {
    if name.is_empty()
        || name
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == "..")
    {
        return Err(Errno::EINVAL);
    }
    let number = DeviceNumber::new(major, minor);
    {
        let mut devices = DEVICES.lock();
        if devices.iter().any(|d| d.number == number || d.name == name) {
            return Err(Errno::EEXIST);
        }
        devices.push(CharDevice {
            name: String::from(name),
            number,
            open,
        });
    }
    if let Ok(fs) = devtmpfs() {
        add_node(&fs, name, number, mode)?;
    }
    Ok(())
}

// Called by the tty layer (pty slaves come and go); nothing in this tree unregisters yet.
#[allow(dead_code)]
/// Removes device `major:minor` and its devtmpfs node (`ENXIO` if not registered). Open files stay open.
pub fn unregister_char_device(major: u32, minor: u32) -> Result<(), Errno> {
    let number = DeviceNumber::new(major, minor);
    let name = {
        let mut devices = DEVICES.lock();
        let at = devices
            .iter()
            .position(|d| d.number == number)
            .ok_or(Errno::ENXIO)?;
        devices.remove(at).name
    };
    if let Ok(fs) = devtmpfs() {
        let (dir, last) = {
            let mut memfs = fs.lock();
            let (dir, last) = parent_dir(&memfs, &name)?;
            memfs.unlink(dir, last.as_bytes(), super::root::now())?;
            (dir, last)
        };
        let removed = TreeChange::Removed {
            dir: dir.number(),
            name: last.as_bytes(),
        };
        tree_change::changed_directly(fs.as_ref(), &[removed]);
    }
    Ok(())
}

/// Registered terminal devices that sysfs shows (majors 4 and 5: serial lines and virtual terminals, tty,
/// console, ptmx; pty slaves are not in sysfs on Linux) as (name with `/` turned into `!`, as sysfs names
/// them; major; minor).
pub fn terminals() -> Vec<(String, u32, u32)> {
    DEVICES
        .lock()
        .iter()
        .filter(|d| matches!(d.number.major, 4 | 5))
        .map(|d| (d.name.replace('/', "!"), d.number.major, d.number.minor))
        .collect()
}

/// The /dev name of registered device `major:minor`.
pub fn name_of(major: u32, minor: u32) -> Option<String> {
    let number = DeviceNumber::new(major, minor);
    DEVICES
        .lock()
        .iter()
        .find(|d| d.number == number)
        .map(|d| d.name.clone())
}

/// Opens character device `major:minor`: `ENXIO` without a driver, as Linux's `chrdev_open`.
pub fn open_char_device(major: u32, minor: u32) -> Result<Arc<dyn FileOps>, Errno> {
    let number = DeviceNumber::new(major, minor);
    let open = DEVICES
        .lock()
        .iter()
        .find(|d| d.number == number)
        .map(|d| d.open);
    match open {
        Some(open) => open(minor),
        None => Err(Errno::ENXIO),
    }
}

/// The directory of `/dev/<name>` in devtmpfs and the last component.
fn parent_dir<'n>(memfs: &basalt_memfs::MemFs, name: &'n str) -> Result<(InodeId, &'n str), Errno> {
    let mut dir = memfs.root();
    let mut parts = name.split('/').peekable();
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            return Ok((dir, part));
        }
        dir = memfs.lookup(dir, part.as_bytes())?;
    }
    Err(Errno::EINVAL)
}

fn add_node(fs: &Tmpfs, name: &str, number: DeviceNumber, mode: u32) -> Result<(), Errno> {
    // What was made, to tell the dentry cache once the filesystem's lock is dropped: (directory, name, inode).
    let mut made: Vec<(u64, &str, u64)> = Vec::new();
    let result = make_node(fs, name, number, mode, &mut made);
    let changes: Vec<TreeChange<'_>> = made
        .iter()
        .map(|&(dir, name, ino)| TreeChange::Created {
            dir,
            name: name.as_bytes(),
            ino: Some(ino),
        })
        .collect();
    tree_change::changed_directly(fs, &changes);
    result
}

fn make_node<'n>(
    fs: &Tmpfs,
    name: &'n str,
    number: DeviceNumber,
    mode: u32,
    made: &mut Vec<(u64, &'n str, u64)>,
) -> Result<(), Errno> {
    let mut memfs = fs.lock();
    let root_cred = super::root::ROOT_CREDENTIALS;
    let mut dir = memfs.root();
    let mut parts = name.split('/').peekable();
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            let kind = NodeKind::CharDevice(number);
            let ino = memfs.create(
                dir,
                part.as_bytes(),
                kind,
                mode,
                &root_cred,
                super::root::now(),
            )?;
            made.push((dir.number(), part, ino.number()));
            return Ok(());
        }
        dir = match memfs.lookup(dir, part.as_bytes()) {
            Ok(found) => found,
            Err(Errno::ENOENT) => {
                let sub =
                    memfs.mkdir(dir, part.as_bytes(), 0o755, &root_cred, super::root::now())?;
                made.push((dir.number(), part, sub.number()));
                sub
            }
            Err(errno) => return Err(errno),
        };
    }
    Ok(())
}

/// The devices every system has: (name, major, minor, mode, open).
const BUILT_IN: [(&str, u32, u32, u32, OpenDevice); 9] = [
    ("null", 1, 3, 0o666, open_mem),
    ("zero", 1, 5, 0o666, open_mem),
    ("full", 1, 7, 0o666, open_mem),
    ("random", 1, 8, 0o666, open_mem),
    ("urandom", 1, 9, 0o666, open_mem),
    ("tty", 5, 0, 0o666, open_terminal),
    ("console", 5, 1, 0o600, open_terminal),
    ("ttyS0", 4, 64, 0o620, open_serial),
    ("ptmx", 5, 2, 0o666, open_terminal),
];

/// The built-in devices and devtmpfs (at boot). Returns the built-in table for the root's /dev.
pub fn init() -> Result<(), Errno> {
    let config = Config {
        // devtmpfs holds only nodes: no file data.
        max_data_bytes: 1 << 20,
        max_inodes: 1 << 16,
        ..Config::default()
    };
    let fs = tmpfs::create("devtmpfs", config)?;
    DEVTMPFS.call_once(|| fs);
    for (name, major, minor, mode, open) in BUILT_IN {
        register_char_device(name, major, minor, mode, open)?;
    }
    Ok(())
}

/// The built-in nodes, for a root filesystem whose /dev lacks them: (name, device number, mode).
pub fn built_in_nodes() -> impl Iterator<Item = (&'static str, DeviceNumber, u32)> {
    BUILT_IN
        .iter()
        .map(|&(name, major, minor, mode, _)| (name, DeviceNumber::new(major, minor), mode))
}

fn open_mem(minor: u32) -> Result<Arc<dyn FileOps>, Errno> {
    Ok(Arc::new(match minor {
        3 => MemDevice::Null,
        5 => MemDevice::Zero,
        7 => MemDevice::Full,
        8 | 9 => MemDevice::Random,
        _ => return Err(Errno::ENXIO),
    }))
}

// Terminals are opened by `root::device_ops` with the open flags (crate::tty::open_device); these entries make
// their nodes and answer an open that comes without flags.
fn open_terminal(minor: u32) -> Result<Arc<dyn FileOps>, Errno> {
    crate::tty::open_device(5, minor, crate::tty::O_NOCTTY).unwrap_or(Err(Errno::ENXIO))
}

fn open_serial(minor: u32) -> Result<Arc<dyn FileOps>, Errno> {
    crate::tty::open_device(4, minor, crate::tty::O_NOCTTY).unwrap_or(Err(Errno::ENXIO))
}

/// A pty slave (`/dev/pts/N`, registered while its master is open).
pub fn open_pts(minor: u32) -> Result<Arc<dyn FileOps>, Errno> {
    crate::tty::open_device(crate::tty::pty::PTS_MAJOR, minor, crate::tty::O_NOCTTY)
        .unwrap_or(Err(Errno::ENXIO))
}

/// /dev/null, /dev/zero, /dev/full, /dev/random and /dev/urandom.
pub enum MemDevice {
    Null,
    Zero,
    Full,
    Random,
}

impl FileOps for MemDevice {
    fn read(&self, buf: &mut [u8], _offset: u64, _nonblock: bool) -> Result<usize, Errno> {
        match self {
            MemDevice::Null => Ok(0),
            MemDevice::Zero | MemDevice::Full => {
                buf.fill(0);
                Ok(buf.len())
            }
            MemDevice::Random => {
                for chunk in buf.chunks_mut(16) {
                    let r = crate::arch::cpu::random_bytes();
                    chunk.copy_from_slice(&r[..chunk.len()]);
                }
                Ok(buf.len())
            }
        }
    }

    fn write(&self, buf: &[u8], _offset: u64, _nonblock: bool) -> Result<usize, Errno> {
        match self {
            MemDevice::Full => Err(Errno::ENOSPC),
            _ => Ok(buf.len()),
        }
    }

    fn maps_as_anonymous(&self) -> bool {
        matches!(self, MemDevice::Zero)
    }

    fn stat(&self) -> Stat {
        let (minor, mode) = match self {
            MemDevice::Null => (3, 0o666),
            MemDevice::Zero => (5, 0o666),
            MemDevice::Full => (7, 0o666),
            MemDevice::Random => (9, 0o666),
        };
        Stat {
            dev: 6,
            mode: super::S_IFCHR | mode,
            nlink: 1,
            rdev: (1 << 8) | minor,
            blksize: 4096,
            ..Stat::default()
        }
    }

    fn seekable(&self) -> bool {
        true
    }
}
