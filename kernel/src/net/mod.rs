//! Networking: so far the AF_UNIX family (local sockets).
#![forbid(unsafe_code)]

pub mod unix;
