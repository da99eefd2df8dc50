//! AF_UNIX sockets as Linux implements them (`net/unix/af_unix.c`, `net/core/scm.c`, `net/socket.c`), without
//! the kernel: socket(2) argument rules, `sockaddr_un` parsing and encoding (path, abstract and autobind names),
//! `cmsghdr` encodings with CMSG_ALIGN (SCM_RIGHTS, SCM_CREDENTIALS, MSG_CTRUNC), socket options, and the protocol
//! state machines of stream, datagram and seqpacket sockets in one [`World`]. The kernel supplies user copies,
//! file descriptors (the rights payload `R`), path lookups and sleeping.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod addr;
pub mod args;
pub mod cmsg;
pub mod options;
mod queue;
pub mod world;

pub use addr::{BindTarget, Name};
pub use args::{SockType, SocketArgs};
pub use cmsg::Ucred;
pub use world::{Dest, Received, SocketId, World};

/// Linux's socket-level message flags that AF_UNIX looks at.
pub mod msg {
    pub const MSG_OOB: u32 = 0x1;
    pub const MSG_PEEK: u32 = 0x2;
    pub const MSG_CTRUNC: u32 = 0x8;
    pub const MSG_TRUNC: u32 = 0x20;
    pub const MSG_DONTWAIT: u32 = 0x40;
    pub const MSG_EOR: u32 = 0x80;
    pub const MSG_WAITALL: u32 = 0x100;
    pub const MSG_NOSIGNAL: u32 = 0x4000;
    pub const MSG_CMSG_CLOEXEC: u32 = 0x4000_0000;
}

/// Poll bits sockets report.
pub mod poll {
    pub const POLLIN: u16 = 0x001;
    pub const POLLOUT: u16 = 0x004;
    pub const POLLERR: u16 = 0x008;
    pub const POLLHUP: u16 = 0x010;
    pub const POLLRDNORM: u16 = 0x040;
    pub const POLLWRNORM: u16 = 0x100;
    pub const POLLWRBAND: u16 = 0x200;
    pub const POLLRDHUP: u16 = 0x2000;
}
