//! What fstat says about files with no inode of their own (eventfd, timerfd, signalfd, epoll): Linux gives them
//! all one inode of the anonymous-inode filesystem, mode 0600 with no file type.
#![forbid(unsafe_code)]

use super::Stat;

pub fn stat() -> Stat {
    Stat {
        dev: 0xd,
        ino: 1,
        mode: 0o600,
        nlink: 1,
        blksize: 4096,
        ..Stat::default()
    }
}
