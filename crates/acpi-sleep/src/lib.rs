//! Finds the `\_S5_` (or any `\_Sx_`) sleep-type package in ACPI AML.
//!
//! ACPI poweroff needs only two numbers from the DSDT: `SLP_TYPa` and `SLP_TYPb` from the
//! `\_S5_` package, which are written with `SLP_EN` into `PM1a_CNT` (and `PM1b_CNT`).
//! Running a full AML interpreter for that is overkill (and needs a heap), so this crate
//! scans the AML byte stream for the `Name (_S5_, Package () { ... })` encoding that every
//! firmware (including QEMU's i440fx and q35 DSDTs) emits:
//!
//! ```text
//! NameOp(0x08) ['\'] '_' 'S' '5' '_' PackageOp(0x12) PkgLength NumElements Integer...
//! ```
//!
//! The crate only reads the slice it is given and never panics on malformed input.

#![no_std]
#![forbid(unsafe_code)]

#[cfg(test)]
extern crate std;

mod error;
mod integer;
mod pkg_length;
mod sdt;
mod search;
mod sleep_type;

pub use error::AmlError;
pub use sdt::sdt_body;
pub use search::{find_s5, find_sleep_state};
pub use sleep_type::SleepType;

#[cfg(test)]
mod search_tests;
