//! Rules of Linux's descriptor objects, independent of the kernel that hosts them: epoll's interest and ready
//! lists (level- and edge-triggered, one-shot), the eventfd counter, timerfd expiry arithmetic and select's fd_set.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod epoll;
pub mod eventfd;
pub mod fdset;
pub mod signalfd;
pub mod timerfd;
