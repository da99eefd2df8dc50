//! Linux process credentials as logic the kernel drives: the ids a process has (real, effective, saved and
//! filesystem uid and gid, supplementary groups), the transitions of `setuid`/`setreuid`/`setresuid`/`setfsuid`,
//! their gid twins and `setgroups` exactly as Linux applies them, who may signal whom, and the argument checks
//! of the privileged settings calls (`sethostname`, `clock_settime`, `settimeofday`).
//!
//! Privilege ("capable") is an effective uid of 0, as Linux behaves without file capabilities or
//! `PR_SET_KEEPCAPS`: the capabilities follow the effective uid (and, for file access, the fsuid).
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;
#[cfg(test)]
extern crate std;

mod cred;
mod groups;
mod settings;

pub use cred::{Cred, UNCHANGED};
pub use groups::{getgroups_count, setgroups_count, NGROUPS_MAX};
pub use settings::{
    check_clock_set, check_timeofday_usec, check_uts_name, settime, SetTime, Timezone, NEW_UTS_LEN,
    SETTOD_SEC_MAX,
};

#[cfg(test)]
mod tests;
