//! A user address space: its page tables (and, with the process model's mmap, its memory areas).
#![forbid(unsafe_code)]

use crate::arch::paging;
use crate::mm::frames::OutOfMemory;

/// One process's user memory. Dropping it frees every page it maps that no other address space shares.
pub struct AddressSpace {
    pml4: u64,
}

impl AddressSpace {
    /// An empty user half.
    pub fn new() -> Result<Self, OutOfMemory> {
        Ok(AddressSpace {
            pml4: paging::new_user_pml4()?,
        })
    }

    /// A copy-on-write duplicate (fork).
    pub fn fork(&self) -> Result<Self, OutOfMemory> {
        Ok(AddressSpace {
            pml4: paging::fork_user_space(self.pml4)?,
        })
    }

    /// The top-level page table.
    pub fn pml4(&self) -> u64 {
        self.pml4
    }
}

impl Drop for AddressSpace {
    fn drop(&mut self) {
        paging::destroy_user_space(self.pml4);
    }
}
