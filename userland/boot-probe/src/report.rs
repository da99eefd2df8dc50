//! What /init prints, and how it ends.

use crate::initial_stack::InitialStack;
use crate::line_writer::LineWriter;
use crate::syscall;
use basalt_linux_abi::reboot;

/// The first line; boot tests look for it.
const GREETING: &[u8] = b"Hello from Basalt /init!";

/// Prints the greeting, `argc=N`, every `argv[i]=...` and `envp[i]=...`.
pub fn print_startup(stack: &InitialStack) {
    let mut line = LineWriter::new();
    line.bytes(GREETING).end_line();
    line.bytes(b"argc=").number(stack.argc()).end_line();
    for (index, argument) in stack.args().enumerate() {
        line.bytes(b"argv[")
            .number(index)
            .bytes(b"]=")
            .bytes(argument)
            .end_line();
    }
    for (index, variable) in stack.env().enumerate() {
        line.bytes(b"envp[")
            .number(index)
            .bytes(b"]=")
            .bytes(variable)
            .end_line();
    }
}

/// As PID 1, powers the machine off — or restarts it when an argument is
/// `reboot` (boot with `-- reboot`); otherwise (e.g. run on a host for a quick
/// check) just exits successfully.
pub fn shut_down(stack: &InitialStack) -> ! {
    if syscall::getpid() != 1 {
        syscall::exit_group(0);
    }
    let command = if stack.args().skip(1).any(|a| a == b"reboot") {
        reboot::CMD_RESTART
    } else {
        reboot::CMD_POWER_OFF
    };
    let errno = syscall::reboot(reboot::MAGIC1, reboot::MAGIC2[0], command);
    LineWriter::new()
        .bytes(b"reboot failed: errno ")
        .number(errno.0)
        .end_line();
    syscall::exit_group(1)
}
