//! Path names of sockets in the root filesystem: bind creates a socket inode (S_IFSOCK, mode 0777 less the
//! umask; EADDRINUSE when the name exists) and the world maps its inode number to the socket; connect and send
//! look the inode up (write permission needed; ECONNREFUSED when it is not a socket).
#![forbid(unsafe_code)]

use super::with_world;
use crate::fs::root;
use crate::task::{cred, process};
use basalt_linux_abi::Errno;
use basalt_memfs::{Access, FileType, InodeId, NodeKind, PathAt};
use basalt_unix_socket::SocketId;

/// Where a relative path starts: the working directory.
fn start(path: &[u8]) -> Result<InodeId, Errno> {
    let fs = root::fs()?;
    if path.first() == Some(&b'/') {
        return Ok(fs.lock().root());
    }
    let p = process::current().ok_or(Errno::ESRCH)?;
    match p.cwd() {
        Some(ino) => Ok(ino),
        None => Ok(fs.lock().root()),
    }
}

/// bind(2) to a path.
pub fn bind_path(id: SocketId, path: &[u8]) -> Result<(), Errno> {
    let creds = cred::current();
    let walker = root::walker(&creds)?;
    let dir = start(path)?;
    let umask = process::current().map_or(0o022, |p| p.umask());
    let fs = root::fs()?;
    let ino = fs
        .lock()
        .mknod_at(
            &walker,
            PathAt::new(dir, path),
            NodeKind::Socket,
            0o777 & !umask,
            root::now(),
        )
        .map_err(|e| {
            if e == Errno::EEXIST {
                Errno::EADDRINUSE
            } else {
                e
            }
        })?;
    if let Err(e) = with_world(|w| w.bind_inode(id, ino.number(), path)) {
        // Already bound: the new node goes again, as in Linux's unix_bind_bsd.
        let _ = fs
            .lock()
            .unlink_at(&walker, PathAt::new(dir, path), root::now());
        return Err(e);
    }
    Ok(())
}

/// The socket inode a path names, for connect and sendto.
pub fn lookup_path(path: &[u8]) -> Result<u64, Errno> {
    let creds = cred::current();
    let walker = root::walker(&creds)?;
    let dir = start(path)?;
    let fs = root::fs()?;
    let fs = fs.lock();
    let ino = fs.lookup_at(&walker, PathAt::new(dir, path), true)?;
    if !fs.may_access(ino, &root::credentials(&creds), Access::WRITE) {
        return Err(Errno::EACCES);
    }
    if fs.file_type(ino)? != FileType::Socket {
        return Err(Errno::ECONNREFUSED);
    }
    Ok(ino.number())
}
