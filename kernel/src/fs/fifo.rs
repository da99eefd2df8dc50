//! Named pipes: every open of a FIFO node attaches to the one pipe of that node, with Linux's fifo_open rules.
//! A reader waits for a writer and a writer for a reader (O_NONBLOCK: a reader goes on at once, a writer gets
//! ENXIO); O_RDWR never waits. The pipe, and what is left in it, goes when the last opener closes.
#![forbid(unsafe_code)]

use super::pipe::Pipe;
use super::vfs::Loc;
use super::{FileOps, O_RDONLY, O_RDWR, O_WRONLY};
use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use basalt_linux_abi::Errno;
use spin::Mutex;

/// The pipes of the FIFO nodes someone has open.
static PIPES: Mutex<BTreeMap<Loc, Weak<Pipe>>> = Mutex::new(BTreeMap::new());

/// The pipe of the node at `loc`, made on first open.
fn pipe_of(loc: Loc) -> Arc<Pipe> {
    let mut pipes = PIPES.lock();
    if let Some(pipe) = pipes.get(&loc).and_then(Weak::upgrade) {
        return pipe;
    }
    // Entries of pipes nobody has open any more go here, so the table does not grow.
    pipes.retain(|_, weak| weak.strong_count() > 0);
    let pipe = Pipe::unopened();
    pipes.insert(loc, Arc::downgrade(&pipe));
    pipe
}

/// open(2) of the FIFO node at `loc` with access mode `access` (O_RDONLY, O_WRONLY or O_RDWR).
pub fn open(loc: Loc, access: u32, nonblock: bool) -> Result<Arc<dyn FileOps>, Errno> {
    let pipe = pipe_of(loc);
    match access {
        O_RDONLY => {
            let end = pipe.open_end(true, false);
            if !nonblock {
                wait_for_other_side(&pipe, false).inspect_err(|_| end.release(O_RDONLY))?;
            }
            Ok(end)
        }
        O_WRONLY => {
            if nonblock && pipe.readers() == 0 {
                return Err(Errno::ENXIO);
            }
            let end = pipe.open_end(false, true);
            wait_for_other_side(&pipe, true).inspect_err(|_| end.release(O_WRONLY))?;
            Ok(end)
        }
        O_RDWR => Ok(pipe.open_end(true, true)),
        _ => Err(Errno::EINVAL),
    }
}

/// Sleep until the other side is open, or has been opened since we started (it may already have closed again).
/// A signal ends the wait (the call restarts under SA_RESTART, as on Linux); the caller then releases its end.
fn wait_for_other_side(pipe: &Pipe, writer: bool) -> Result<(), Errno> {
    let count = |p: &Pipe| if writer { p.readers() } else { p.writers() };
    let opened_before = pipe.opens(writer);
    pipe.open_queue()
        .wait_until(|| (count(pipe) > 0 || pipe.opens(writer) != opened_before).then_some(()))
        .map_err(|_| crate::task::process::ERESTARTSYS)
}
