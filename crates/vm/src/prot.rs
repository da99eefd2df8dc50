//! Page protections (`PROT_*`).

use basalt_linux_abi::mman::{PROT_EXEC, PROT_READ, PROT_WRITE};
use core::fmt;

/// Which accesses an area allows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Prot {
    /// Loads are allowed.
    pub read: bool,
    /// Stores are allowed.
    pub write: bool,
    /// Instruction fetches are allowed.
    pub exec: bool,
}

impl Prot {
    /// No access (`PROT_NONE`).
    pub const NONE: Prot = Prot::new(false, false, false);
    /// Read only.
    pub const READ: Prot = Prot::new(true, false, false);
    /// Read and write.
    pub const READ_WRITE: Prot = Prot::new(true, true, false);
    /// Read and execute.
    pub const READ_EXEC: Prot = Prot::new(true, false, true);
    /// Everything.
    pub const ALL: Prot = Prot::new(true, true, true);

    /// A protection from its three permissions.
    pub const fn new(read: bool, write: bool, exec: bool) -> Prot {
        Prot { read, write, exec }
    }

    /// The protection described by `PROT_*` bits; other bits are ignored (callers that must
    /// reject them, like `mprotect`, check first).
    pub const fn from_bits(bits: u64) -> Prot {
        Prot::new(
            bits & PROT_READ != 0,
            bits & PROT_WRITE != 0,
            bits & PROT_EXEC != 0,
        )
    }

    /// The `PROT_*` bits of this protection.
    pub const fn bits(self) -> u64 {
        (if self.read { PROT_READ } else { 0 })
            | (if self.write { PROT_WRITE } else { 0 })
            | (if self.exec { PROT_EXEC } else { 0 })
    }

    /// Whether any access is allowed. On x86_64 every such page is readable: page tables
    /// cannot express write-only or execute-only pages.
    pub const fn is_accessible(self) -> bool {
        self.read || self.write || self.exec
    }

    /// Whether every permission of `other` is also in `self`.
    pub const fn contains(self, other: Prot) -> bool {
        (self.read || !other.read) && (self.write || !other.write) && (self.exec || !other.exec)
    }
}

/// `rwx` with dashes, as in `/proc/<pid>/maps`.
impl fmt::Display for Prot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let flag = |set: bool, c: char| if set { c } else { '-' };
        write!(
            f,
            "{}{}{}",
            flag(self.read, 'r'),
            flag(self.write, 'w'),
            flag(self.exec, 'x')
        )
    }
}
