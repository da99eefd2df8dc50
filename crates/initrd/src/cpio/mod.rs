//! newc cpio archives (the initramfs format).

mod entry;
mod find;
mod header;
mod reader;

pub use entry::Entry;
pub use find::find;
pub use reader::CpioReader;
