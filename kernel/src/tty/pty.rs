//! Pseudo-terminals: /dev/ptmx makes a master and slave N, whose node /dev/pts/N exists while the master is open.
//! The slave is an ordinary [`Tty`]; the master reads what the slave's line discipline outputs (program output and
//! echo) and writes what the slave's line discipline receives.
#![forbid(unsafe_code)]

use super::ioctl::{self, Side};
use super::{file::TtyFile, Kind, Tty};
use crate::fs::{FileOps, OpenFile, Stat, POLLHUP, POLLIN, POLLOUT, S_IFCHR};
use crate::task::wait::WaitQueue;
use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use basalt_linux_abi::Errno;
use basalt_memfs::{DeviceNumber, NodeKind};
use basalt_tty::Termios;
use basalt_vfs::dcache::TreeChange;
use spin::Mutex;

/// Major number of pty slaves.
pub const PTS_MAJOR: u32 = 136;
/// A slave node's permissions: devpts's default `mode=600` (glibc's grantpt, not the kernel, makes it 620).
const PTS_MODE: u32 = 0o600;
/// Most ptys at once (Linux's default kernel.pty.max).
const MAX_PTYS: u32 = 4096;

/// Live ptys by index (a pty lives while either side is open).
static PTYS: Mutex<BTreeMap<u32, Weak<Tty>>> = Mutex::new(BTreeMap::new());

fn pts_name(index: u32) -> Vec<u8> {
    alloc::format!("{index}").into_bytes()
}

/// The boot root filesystem (tmpfs instance 0, filled from the initramfs).
fn boot_root() -> Result<Arc<crate::fs::tmpfs::Tmpfs>, Errno> {
    crate::fs::root::fs_of(basalt_memfs::InodeId::from_number(0))
}

/// The /dev/pts directory of the boot root.
fn pts_dir(fs: &basalt_memfs::MemFs) -> Result<basalt_memfs::InodeId, Errno> {
    let dev = fs.lookup(fs.root(), b"dev")?;
    fs.lookup(dev, b"pts")
}

/// open("/dev/ptmx"): a new master.
pub fn open_master() -> Result<Arc<dyn FileOps>, Errno> {
    let cred = crate::task::cred::current();
    let tty = {
        let mut ptys = PTYS.lock();
        ptys.retain(|_, w| w.strong_count() > 0);
        let index = (0..MAX_PTYS)
            .find(|i| !ptys.contains_key(i))
            .ok_or(Errno::ENOSPC)?;
        let tty = Tty::new(Kind::Pty(index), Termios::PTY_SLAVE);
        tty.with(|s| s.owner = cred.fsuid);
        ptys.insert(index, Arc::downgrade(&tty));
        tty
    };
    let Kind::Pty(index) = tty.kind else {
        return Err(Errno::EIO);
    };
    // The slave's node: in devtmpfs (the registry), and in the boot root's /dev/pts when the root has one,
    // owned by the opener as devpts does without mount options.
    let _ = crate::fs::devices::unregister_char_device(PTS_MAJOR, index);
    crate::fs::devices::register_char_device(
        &alloc::format!("pts/{index}"),
        PTS_MAJOR,
        index,
        PTS_MODE,
        crate::fs::devices::open_pts,
    )?;
    if let Ok(root) = boot_root() {
        let name = pts_name(index);
        let made = {
            let mut fs = root.lock();
            match pts_dir(&fs) {
                Ok(dir) => {
                    let _ = fs.unlink(dir, &name, crate::fs::root::now());
                    let made = fs.create(
                        dir,
                        &name,
                        NodeKind::CharDevice(DeviceNumber::new(PTS_MAJOR, index)),
                        PTS_MODE,
                        &crate::fs::root::credentials(&cred),
                        crate::fs::root::now(),
                    );
                    Some((dir, made))
                }
                Err(_) => None,
            }
        };
        if let Some((dir, made)) = made {
            let change = TreeChange::Created {
                dir: dir.number(),
                name: &name,
                ino: made.as_ref().ok().map(|ino| ino.number()),
            };
            crate::fs::tree_change::changed_directly(root.as_ref(), &[change]);
            made?;
        }
    }
    Ok(Arc::new(Master { tty }))
}

/// open("/dev/pts/N").
pub fn open_slave(index: u32) -> Result<Arc<TtyFile>, Errno> {
    let tty = PTYS
        .lock()
        .get(&index)
        .and_then(Weak::upgrade)
        .ok_or(Errno::EIO)?;
    if tty.with(|s| s.locked || s.hung_up) {
        return Err(Errno::EIO);
    }
    Ok(TtyFile::new(tty, PTS_MAJOR, index))
}

/// TIOCGPTPEER: open the slave from its master, as a new descriptor with open flags `flags`.
pub fn open_peer(tty: &Arc<Tty>, flags: u32) -> Result<usize, Errno> {
    use crate::fs::{O_ACCMODE, O_CLOEXEC, O_NONBLOCK};
    const O_NOCTTY: u32 = 0o400;
    if flags & !(O_ACCMODE | O_NONBLOCK | O_NOCTTY | O_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    let Kind::Pty(index) = tty.kind else {
        return Err(Errno::EIO);
    };
    let slave = open_slave(index)?;
    if flags & O_NOCTTY == 0 {
        super::job::on_open(&slave.tty, flags & O_ACCMODE != crate::fs::O_WRONLY);
    }
    let file = OpenFile::new(slave, flags);
    let table = crate::task::process::current().ok_or(Errno::ESRCH)?.files();
    let fd = table.lock().install(file, flags & O_CLOEXEC != 0)?;
    Ok(fd as usize)
}

/// The master side.
pub struct Master {
    tty: Arc<Tty>,
}

impl FileOps for Master {
    fn read(&self, buf: &mut [u8], _offset: u64, nonblock: bool) -> Result<usize, Errno> {
        if buf.is_empty() {
            return Ok(0);
        }
        let take = || {
            self.tty.with(|s| {
                if !s.to_master.is_empty() {
                    let n = buf.len().min(s.to_master.len());
                    for (d, b) in buf.iter_mut().zip(s.to_master.drain(..n)) {
                        *d = b;
                    }
                    Some(Ok(n))
                } else if s.slave_closed {
                    Some(Err(Errno::EIO))
                } else if nonblock {
                    Some(Err(Errno::EAGAIN))
                } else {
                    None
                }
            })
        };
        let r = self
            .tty
            .master_readable
            .wait_until(take)
            .map_err(|_| crate::task::process::ERESTARTSYS)?;
        self.tty.wake_writers();
        r
    }

    fn write(&self, buf: &[u8], _offset: u64, _nonblock: bool) -> Result<usize, Errno> {
        self.tty.input(buf);
        Ok(buf.len())
    }

    fn poll_events(&self) -> u16 {
        let (data, closed) = self.tty.with(|s| (!s.to_master.is_empty(), s.slave_closed));
        let mut ev = POLLOUT;
        if data {
            ev |= POLLIN;
        }
        if closed {
            ev |= POLLHUP;
        }
        ev
    }

    fn poll_queue(&self) -> Option<&WaitQueue> {
        Some(&self.tty.pollers)
    }

    fn ioctl(&self, file: &OpenFile, cmd: u32, arg: u64) -> Result<usize, Errno> {
        ioctl::ioctl(&self.tty, Side::Master, file, cmd, arg)
    }

    fn release(&self, _access: u32) {
        self.tty.hang_up();
        if let Kind::Pty(index) = self.tty.kind {
            let _ = crate::fs::devices::unregister_char_device(PTS_MAJOR, index);
            if let Ok(root) = boot_root() {
                let name = pts_name(index);
                let dir = {
                    let mut fs = root.lock();
                    let dir = pts_dir(&fs);
                    if let Ok(dir) = dir {
                        let _ = fs.unlink(dir, &name, crate::fs::root::now());
                    }
                    dir
                };
                if let Ok(dir) = dir {
                    let dir = dir.number();
                    let change = TreeChange::Removed { dir, name: &name };
                    crate::fs::tree_change::changed_directly(root.as_ref(), &[change]);
                }
            }
        }
    }

    fn stat(&self) -> Stat {
        Stat {
            dev: 6,
            ino: super::file::encode_dev(5, 2) + 0x1000,
            mode: S_IFCHR | 0o666,
            nlink: 1,
            rdev: super::file::encode_dev(5, 2),
            blksize: 1024,
            ..Stat::default()
        }
    }
}
