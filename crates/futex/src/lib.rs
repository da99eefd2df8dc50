//! Linux futex rules that need no kernel: the operation FUTEX_WAKE_OP encodes in `val3`, and the walk of a dying
//! thread's robust futex list (set_robust_list). The kernel supplies user memory and wake-ups through a trait.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod op;
pub mod robust;

pub use op::WakeOp;
pub use robust::{exit_robust_list, RobustMemory};
