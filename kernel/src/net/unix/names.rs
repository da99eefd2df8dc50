//! Path names of sockets: bind creates a socket inode (S_IFSOCK, mode 0777 less the umask; EADDRINUSE when the
//! name exists) through the VFS, and the world maps its inode number to the socket; connect and send look the
//! inode up (write permission needed; ECONNREFUSED when it is not a socket). Socket nodes can only be made on
//! tmpfs, whose inode numbers are unique across its instances, so the number alone names the node (through any
//! bind mount of it, as on Linux).
#![forbid(unsafe_code)]

use super::with_world;
use crate::fs::{root, vfs};
use crate::syscall::path::{self, AT_FDCWD};
use crate::task::cred;
use basalt_linux_abi::Errno;
use basalt_memfs::{Access, FileType, NodeKind};
use basalt_unix_socket::SocketId;

/// bind(2) to a path.
pub fn bind_path(id: SocketId, name: &[u8]) -> Result<(), Errno> {
    let loc = path::mknod_node(AT_FDCWD, name, NodeKind::Socket, 0o777).map_err(|e| {
        if e == Errno::EEXIST {
            Errno::EADDRINUSE
        } else {
            e
        }
    })?;
    if let Err(e) = with_world(|w| w.bind_inode(id, loc.ino, name)) {
        // Already bound: the new node goes again, as in Linux's unix_bind_bsd.
        let _ = path::remove_node(AT_FDCWD, name, false);
        return Err(e);
    }
    Ok(())
}

/// The socket inode a path names, for connect and sendto.
pub fn lookup_path(name: &[u8]) -> Result<u64, Errno> {
    let creds = cred::current();
    let ns = vfs::namespace()?;
    let loc = path::lookup_as(&ns, &creds, AT_FDCWD, name, true)?;
    let stat = ns.getattr(loc)?;
    if !basalt_memfs::may_access(&stat, &root::credentials(&creds), Access::WRITE) {
        return Err(Errno::EACCES);
    }
    if stat.file_type() != Some(FileType::Socket) {
        return Err(Errno::ECONNREFUSED);
    }
    Ok(loc.ino)
}
