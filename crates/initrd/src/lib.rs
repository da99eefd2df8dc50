//! Initramfs handling: fallible gzip unpacking and newc cpio reading.
//!
//! - [`unpack_image`] turns the raw initrd into a cpio archive: gzip images (possibly
//!   several concatenated members) are inflated with every allocation made fallibly, and
//!   anything else is returned borrowed.
//! - [`CpioReader`] walks newc (`070701`) and newc-with-CRC (`070702`) archives, including
//!   several archives concatenated with NUL padding, as Linux's initramfs unpacker accepts.
//! - [`find`] looks a path up the way unpacking would resolve it.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(test)]
extern crate std;

mod cpio;
mod error;
mod gzip;

pub use cpio::{find, CpioReader, Entry};
pub use error::{CpioError, InitrdError};
pub use gzip::unpack_image;

#[cfg(test)]
mod cpio_tests;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod unpack_tests;
