//! Linear framebuffer description (Multiboot2 tag 8).

/// Position and width of one colour channel inside a pixel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColorField {
    /// Bit offset of the channel's least significant bit.
    pub position: u8,
    /// Number of bits in the channel.
    pub size: u8,
}

/// How pixels are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FramebufferFormat {
    /// Palette-indexed pixels (the palette is not copied).
    Indexed,
    /// Direct colour with the given channel layout.
    Rgb {
        /// Red channel.
        red: ColorField,
        /// Green channel.
        green: ColorField,
        /// Blue channel.
        blue: ColorField,
    },
    /// EGA text mode: `width`×`height` characters of two bytes each.
    EgaText,
    /// A type this crate does not know.
    Unknown(u8),
}

/// A linear framebuffer set up by the boot loader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Framebuffer {
    /// Physical address of the first pixel.
    pub phys: u64,
    /// Bytes per scan line.
    pub pitch: u32,
    /// Width in pixels (characters for EGA text).
    pub width: u32,
    /// Height in pixels (characters for EGA text).
    pub height: u32,
    /// Bits per pixel.
    pub bpp: u8,
    /// Pixel encoding.
    pub format: FramebufferFormat,
}
