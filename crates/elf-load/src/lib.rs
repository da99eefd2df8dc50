//! Pure logic behind `execve`: turning an ELF64 image into a [`LoadPlan`] (which
//! bytes go where, with which permissions) and laying out the initial user
//! stack ([`build_stack`]) the way the x86-64 psABI and Linux do. The kernel
//! maps pages and copies bytes itself; nothing here touches memory.
//!
//! # Parser choice
//! Headers are decoded with `goblin` (ELF types only, `default-features =
//! false`, no std). Its `scroll` readers bounds-check every read and return
//! errors, whereas `xmas-elf` slices the input without bounds checks when it
//! locates program headers, so a truncated image could panic the kernel. The
//! semantic checks (user range, overlap, congruence, interpreter, entry) are
//! done here on top.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod auxv;
mod error;
mod header;
mod plan;
mod stack;

pub use error::{ElfError, StackError};
pub use plan::{
    plan, plan_from_head, ElfKind, LoadPlan, Segment, MAX_INTERPRETER_LEN, MAX_PROGRAM_HEADERS,
    PAGE_SIZE,
};
pub use stack::{build_stack, StackArgs, StackImage};

#[cfg(test)]
mod test_elf;
#[cfg(test)]
mod tests_plan;
#[cfg(test)]
mod tests_stack;
