//! The initramfs: the boot loader's initrd (newc cpio, gzip-compressed or plain), unpacked once at boot.
#![forbid(unsafe_code)]

use alloc::borrow::Cow;
use basalt_initrd::{CpioError, Entry};
use spin::Once;

static IMAGE: Once<Cow<'static, [u8]>> = Once::new();

/// Largest uncompressed initramfs accepted: bounded by memory, so a bad size field cannot exhaust it.
fn max_unpacked() -> usize {
    (crate::mm::frames::free_frames() * 4096 / 2) as usize
}

/// Decompress (if needed) and keep the image. Returns the unpacked size.
pub fn init(raw: &'static [u8]) -> Result<usize, basalt_initrd::InitrdError> {
    let image = basalt_initrd::unpack_image(raw, max_unpacked())?;
    let len = image.len();
    IMAGE.call_once(|| image);
    Ok(len)
}

/// The unpacked image (newc cpio), once `init` succeeded.
pub fn image() -> Option<&'static [u8]> {
    IMAGE.get().map(|c| -> &'static [u8] { c })
}

/// Find a file by absolute path.
pub fn find(path: &str) -> Result<Option<Entry<'static>>, CpioError> {
    match IMAGE.get() {
        Some(image) => {
            let image: &'static [u8] = image;
            basalt_initrd::find(image, path)
        }
        None => Ok(None),
    }
}

/// Find a file, following symbolic links (relative or absolute) up to a small depth, as exec would.
pub fn find_following_links(path: &str) -> Result<Option<Entry<'static>>, CpioError> {
    let mut current = alloc::string::String::from(path);
    for _ in 0..8 {
        let Some(entry) = find(&current)? else {
            return Ok(None);
        };
        if !entry.is_symlink() {
            return Ok(Some(entry));
        }
        let Ok(target) = core::str::from_utf8(entry.data) else {
            return Ok(None);
        };
        current = if target.starts_with('/') {
            alloc::string::String::from(target)
        } else {
            let dir = current.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
            alloc::format!("{dir}/{target}")
        };
    }
    Ok(None)
}
