//! Socket inodes (`S_IFSOCK`) bound to kernel objects: what AF_UNIX `bind` creates and `connect` finds by path.
//! The node lives in the filesystem like any other (ls shows it, unlink removes it); the object it stands for
//! lives in this table, weakly, keyed by the node's inode number.
#![forbid(unsafe_code)]

use super::vfs::{self, Loc};
use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use basalt_linux_abi::Errno;
use basalt_memfs::{Access, FileType, NodeKind};
use core::any::Any;
use spin::Mutex;

/// What a socket node stands for (the listening socket, for AF_UNIX).
pub type SocketObject = dyn Any + Send + Sync;

static BOUND: Mutex<BTreeMap<Loc, Weak<SocketObject>>> = Mutex::new(BTreeMap::new());

/// `bind(2)` of a path: creates a socket node at `path` (relative to `dirfd`) with permission bits `perm`
/// (the umask applies) standing for `object`. `EADDRINUSE` if the name exists (even as a dangling symlink);
/// the path errors of mknod (`ENOENT`, `ENOTDIR`, `EACCES`, `ENAMETOOLONG`, `ELOOP`) otherwise.
pub fn bind(dirfd: i32, path: &[u8], perm: u32, object: Weak<SocketObject>) -> Result<(), Errno> {
    let loc =
        crate::syscall::path::mknod_node(dirfd, path, NodeKind::Socket, perm).map_err(|errno| {
            match errno {
                Errno::EEXIST => Errno::EADDRINUSE,
                other => other,
            }
        })?;
    let mut bound = BOUND.lock();
    // Entries of sockets that are gone are dropped here, so the table does not grow.
    bound.retain(|_, weak| weak.strong_count() > 0);
    bound.insert(loc, object);
    Ok(())
}

/// `connect(2)` to a path: the object of the socket node at `path` (symlinks followed). The caller needs write
/// permission on the node (`EACCES`); `ECONNREFUSED` if it is not a socket or nothing is bound to it any more.
pub fn connect(dirfd: i32, path: &[u8]) -> Result<Arc<SocketObject>, Errno> {
    let ns = vfs::namespace()?;
    let creds = crate::task::cred::current();
    let loc = crate::syscall::path::lookup_as(&ns, &creds, dirfd, path, true)?;
    let stat = ns.getattr(loc)?;
    if !basalt_memfs::may_access(&stat, &super::root::credentials(&creds), Access::WRITE) {
        return Err(Errno::EACCES);
    }
    if stat.file_type() != Some(FileType::Socket) {
        return Err(Errno::ECONNREFUSED);
    }
    BOUND
        .lock()
        .get(&loc)
        .and_then(Weak::upgrade)
        .ok_or(Errno::ECONNREFUSED)
}
