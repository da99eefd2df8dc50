//! Reading argc, argv and envp from the initial process stack.

use core::ffi::CStr;

/// The argument and environment vectors the kernel placed on the stack.
pub struct InitialStack {
    argc: usize,
    argv: *const *const u8,
    envp: *const *const u8,
}

impl InitialStack {
    /// Interprets the stack pointer found at process entry.
    ///
    /// # Safety
    /// `stack` must point at argc, followed by argc argv pointers, a NULL,
    /// envp pointers and a NULL, with every pointer a NUL-terminated string
    /// that stays valid for the life of the process.
    pub unsafe fn from_raw(stack: *const usize) -> Self {
        // SAFETY: per the contract, `stack` points at argc, followed by argv
        // (argc pointers plus a NULL) and then envp.
        unsafe {
            let argc = *stack;
            let argv = stack.add(1).cast::<*const u8>();
            let envp = argv.add(argc).add(1);
            Self { argc, argv, envp }
        }
    }

    /// Number of arguments.
    pub fn argc(&self) -> usize {
        self.argc
    }

    /// The arguments, in order.
    pub fn args(&self) -> impl Iterator<Item = &'static [u8]> + '_ {
        // SAFETY: `from_raw`'s contract: argv holds argc valid pointers.
        (0..self.argc).map(|index| unsafe { c_string(*self.argv.add(index)) })
    }

    /// The environment strings (`NAME=value`), in order.
    pub fn env(&self) -> impl Iterator<Item = &'static [u8]> + '_ {
        (0..)
            // SAFETY: `from_raw`'s contract: envp is NULL-terminated, and
            // `take_while` stops at that NULL before reading further.
            .map(|index| unsafe { *self.envp.add(index) })
            .take_while(|pointer| !pointer.is_null())
            // SAFETY: non-NULL envp entries are valid C strings.
            .map(|pointer| unsafe { c_string(pointer) })
    }
}

/// The bytes of a NUL-terminated string (without the NUL); NULL reads as "".
///
/// # Safety
/// `pointer` must be NULL or a NUL-terminated string valid forever.
unsafe fn c_string(pointer: *const u8) -> &'static [u8] {
    if pointer.is_null() {
        return b"";
    }
    // SAFETY: the caller guarantees a valid, immortal NUL-terminated string.
    unsafe { CStr::from_ptr(pointer.cast()) }.to_bytes()
}
