//! The serial console as a terminal: COM1's receive interrupt queues bytes, a kernel thread feeds them to the
//! line discipline (which may signal process groups, and that takes locks interrupts must not), and output goes
//! to the UART.
#![forbid(unsafe_code)]

use super::{file::TtyFile, Kind, Tty};
use crate::task::wait::WaitQueue;
use crate::task::{process::Process, sched, Task};
use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec::Vec;
use basalt_tty::Termios;
use spin::{Mutex, Once};
use x86_64::instructions::interrupts::without_interrupts;

static CONSOLE: Once<Arc<Tty>> = Once::new();
/// Bytes received by the interrupt handler, not yet processed.
static RECEIVED: Mutex<VecDeque<u8>> = Mutex::new(VecDeque::new());
static RECEIVED_READY: WaitQueue = WaitQueue::new();
/// Bytes kept when input arrives faster than it is processed.
const RECEIVED_LIMIT: usize = 4096;

/// The console terminal (COM1).
pub fn tty() -> Arc<Tty> {
    CONSOLE
        .call_once(|| Tty::new(Kind::Serial, Termios::STD))
        .clone()
}

/// A description of the console opened as `major:minor` (5:1 /dev/console, 4:64 /dev/ttyS0, 5:0 /dev/tty).
pub fn open(major: u32, minor: u32) -> Arc<TtyFile> {
    TtyFile::new(tty(), major, minor)
}

/// Called from the serial receive interrupt.
pub fn push_input(byte: u8) {
    without_interrupts(|| {
        let mut q = RECEIVED.lock();
        if q.len() < RECEIVED_LIMIT {
            q.push_back(byte);
        }
    });
    RECEIVED_READY.wake_all();
}

/// Start the thread that feeds received bytes to the console's line discipline.
pub fn start_input_thread() -> Result<(), crate::task::NoMemory> {
    let mm = crate::mm::uspace::AddressSpace::new().map_err(|_| crate::task::NoMemory)?;
    let id = crate::task::process::alloc_id().map_err(|_| crate::task::NoMemory)?;
    let process = Process::new_kernel(id, mm);
    process.set_name("tty-input");
    let task = Task::new(id, process.clone(), input_thread, 0)?;
    process.add_thread(&task);
    sched::spawn(task);
    Ok(())
}

extern "C" fn input_thread(_arg: u64) -> ! {
    sched::finish_switch();
    x86_64::instructions::interrupts::enable();
    let console = tty();
    loop {
        RECEIVED_READY.wait_uninterruptible(|| without_interrupts(|| !RECEIVED.lock().is_empty()));
        let bytes: Vec<u8> = without_interrupts(|| RECEIVED.lock().drain(..).collect());
        console.input(&bytes);
    }
}
