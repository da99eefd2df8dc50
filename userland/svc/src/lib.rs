//! Basalt's init and service manager: the logic (definitions, graph, restart policy, logs, protocol) in
//! host-tested modules, the process handling in `supervisor`, the `init` and `svc` programs in `bin/`.
#![forbid(unsafe_code)]

pub mod account;
pub mod catalog;
pub mod def;
pub mod exec_helper;
pub mod graph;
pub mod logring;
pub mod pid1;
pub mod protocol;
pub mod restart;
pub mod supervisor;
pub mod tty;
