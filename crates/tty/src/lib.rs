//! Terminals as Linux presents them, without hardware: the `termios`/`termios2` layouts and the defaults of a fresh
//! terminal (`tty_std_termios`, the pty variants), the N_TTY line discipline (input processing, canonical line
//! editing, echo, signal characters, output post-processing, XON/XOFF), the VMIN/VTIME read rules, `struct winsize`,
//! and the job-control decision a read or write of a terminal makes. The kernel owns the devices, the wait queues
//! and the processes; this crate decides what each byte does.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod job;
pub mod ldisc;
pub mod read;
pub mod termios;
pub mod winsize;

pub use ldisc::{Ldisc, Received, Signal};
pub use termios::Termios;
pub use winsize::Winsize;
