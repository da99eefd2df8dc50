//! devpts (`mount -t devpts devpts /dev/pts`): the pty slaves' filesystem. The slaves' nodes live in devtmpfs's
//! `pts` directory (the tty layer registers one per open master); a devpts mount shows that directory, read-only,
//! as a system that mounts devpts itself expects.
#![forbid(unsafe_code)]

use super::tmpfs::Tmpfs;
use super::vfs::{Change, FileSystem, Loc, StatFs};
use super::FileOps;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use basalt_linux_abi::Errno;
use basalt_vfs::encode::{ST_RELATIME, ST_VALID};

/// `DEVPTS_SUPER_MAGIC`.
const DEVPTS_MAGIC: u64 = 0x1cd1;

/// A devpts mount: devtmpfs's `pts` directory as the root.
pub struct DevPts {
    devtmpfs: Arc<Tmpfs>,
    root: u64,
}

/// A devpts instance (every one shows the same slaves: Basalt has a single pty namespace).
pub fn create() -> Result<Arc<dyn FileSystem>, Errno> {
    let devtmpfs = super::devices::devtmpfs()?;
    let root = {
        let mut memfs = devtmpfs.lock();
        let top = memfs.root();
        match memfs.lookup(top, b"pts") {
            Ok(dir) => dir,
            Err(Errno::ENOENT) => memfs.mkdir(
                top,
                b"pts",
                0o755,
                &super::root::ROOT_CREDENTIALS,
                super::root::now(),
            )?,
            Err(errno) => return Err(errno),
        }
    };
    Ok(Arc::new(DevPts {
        devtmpfs,
        root: root.number(),
    }))
}

impl FileSystem for DevPts {
    fn type_name(&self) -> &'static str {
        "devpts"
    }

    fn root(&self) -> u64 {
        self.root
    }

    fn lookup(&self, dir: u64, name: &[u8]) -> Result<u64, Errno> {
        self.devtmpfs.lookup(dir, name)
    }

    fn parent(&self, dir: u64) -> Result<u64, Errno> {
        if dir == self.root {
            return Ok(dir);
        }
        self.devtmpfs.parent(dir)
    }

    fn getattr(&self, ino: u64) -> Result<basalt_memfs::Stat, Errno> {
        self.devtmpfs.getattr(ino)
    }

    fn readlink(&self, _ino: u64) -> Result<Vec<u8>, Errno> {
        Err(Errno::EINVAL)
    }

    fn read_dir(&self, dir: u64, cookie: u64, max: usize) -> Result<(Vec<u8>, u64), Errno> {
        self.devtmpfs.read_dir(dir, cookie, max)
    }

    fn open(&self, at: Loc) -> Result<Arc<dyn FileOps>, Errno> {
        self.devtmpfs.open(at)
    }

    fn statfs(&self) -> StatFs {
        StatFs {
            magic: DEVPTS_MAGIC,
            block_size: 4096,
            name_max: 255,
            flags: ST_VALID | ST_RELATIME,
            ..StatFs::default()
        }
    }

    fn options(&self) -> String {
        // Linux's devpts_show_options for a mount without options.
        String::from(",mode=600,ptmxmode=000")
    }

    fn hold(&self, ino: u64) -> Result<(), Errno> {
        self.devtmpfs.hold(ino)
    }

    fn release(&self, ino: u64) {
        self.devtmpfs.release(ino);
    }

    fn refuse(&self, change: Change) -> Errno {
        // Linux's devpts directory has no create, mkdir or unlink operations: creating a file is EACCES there
        // (vfs_create), the rest EPERM. Changing a node's attributes is not supported here yet.
        match change {
            Change::Create => Errno::EACCES,
            Change::Remove | Change::Attr => Errno::EPERM,
        }
    }
}
