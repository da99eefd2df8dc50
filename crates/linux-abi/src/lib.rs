//! Constants of the Linux x86_64 user ABI that both the kernel and tests need.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod errno;
pub mod mman;
mod signals;
mod syscalls;

pub use errno::Errno;
pub use signals::signal_name;
pub use syscalls::{nr, syscall_name, SYSCALL_NAMES};

/// `reboot(2)` magic numbers and commands.
pub mod reboot {
    /// First magic argument.
    pub const MAGIC1: u32 = 0xfee1_dead;
    /// Accepted second magic arguments (Linus' and his daughters' birthdays).
    pub const MAGIC2: [u32; 4] = [672_274_793, 85_072_278, 369_367_448, 537_993_216];
    /// Restart the system.
    pub const CMD_RESTART: u32 = 0x0123_4567;
    /// Halt the system.
    pub const CMD_HALT: u32 = 0xcdef_0123;
    /// Power the system off.
    pub const CMD_POWER_OFF: u32 = 0x4321_fedc;
    /// Ctrl-Alt-Del reboots immediately.
    pub const CMD_CAD_ON: u32 = 0x89ab_cdef;
    /// Ctrl-Alt-Del sends SIGINT to init.
    pub const CMD_CAD_OFF: u32 = 0x0000_0000;
    /// Restart with a command string.
    pub const CMD_RESTART2: u32 = 0xa1b2_c3d4;
    /// Suspend to disk.
    pub const CMD_SW_SUSPEND: u32 = 0xd000_fce2;
    /// Execute a loaded kexec kernel.
    pub const CMD_KEXEC: u32 = 0x4558_4543;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syscall_names_match_numbers() {
        assert_eq!(syscall_name(nr::WRITE), Some("write"));
        assert_eq!(syscall_name(nr::EXIT_GROUP), Some("exit_group"));
        assert_eq!(syscall_name(nr::REBOOT), Some("reboot"));
        assert_eq!(syscall_name(nr::CLONE3), Some("clone3"));
        assert_eq!(syscall_name(100_000), None);
        assert_eq!(syscall_name(335), None);
    }

    #[test]
    fn errno_values_and_names() {
        assert_eq!(Errno::ENOSYS.0, 38);
        assert_eq!(Errno::EFAULT.name(), Some("EFAULT"));
        assert_eq!(Errno::EAGAIN.name(), Some("EAGAIN"));
        assert_eq!(Errno::EINVAL.as_return() as isize, -22);
        assert_eq!(Errno(9999).name(), None);
        extern crate std;
        use std::format;
        assert_eq!(
            format!("{}", Errno::ENOENT),
            "ENOENT (No such file or directory)"
        );
    }
}
