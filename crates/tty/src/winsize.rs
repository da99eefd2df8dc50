//! `struct winsize` (TIOCGWINSZ / TIOCSWINSZ).

/// A terminal's size in characters and pixels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Winsize {
    /// Rows.
    pub row: u16,
    /// Columns.
    pub col: u16,
    /// Width in pixels.
    pub xpixel: u16,
    /// Height in pixels.
    pub ypixel: u16,
}

impl Winsize {
    /// Size of the user structure.
    pub const SIZE: usize = 8;

    /// The user structure's bytes.
    pub fn to_bytes(self) -> [u8; 8] {
        let mut b = [0u8; 8];
        b[0..2].copy_from_slice(&self.row.to_le_bytes());
        b[2..4].copy_from_slice(&self.col.to_le_bytes());
        b[4..6].copy_from_slice(&self.xpixel.to_le_bytes());
        b[6..8].copy_from_slice(&self.ypixel.to_le_bytes());
        b
    }

    /// Decode the user structure.
    pub fn from_bytes(b: [u8; 8]) -> Winsize {
        Winsize {
            row: u16::from_le_bytes([b[0], b[1]]),
            col: u16::from_le_bytes([b[2], b[3]]),
            xpixel: u16::from_le_bytes([b[4], b[5]]),
            ypixel: u16::from_le_bytes([b[6], b[7]]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let w = Winsize {
            row: 24,
            col: 80,
            xpixel: 640,
            ypixel: 480,
        };
        assert_eq!(Winsize::from_bytes(w.to_bytes()), w);
        assert_eq!(w.to_bytes()[0..4], [24, 0, 80, 0]);
    }
}
