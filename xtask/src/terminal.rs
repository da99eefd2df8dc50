//! The little of a terminal that a scripted session needs: it follows the cursor through the guest's output so it
//! can answer cursor position queries (`ESC [ 6 n`, which busybox's shell sends at every prompt and vi sends when it
//! does not know the screen size) the way a real terminal would, and it keeps the output as plain text (escape
//! sequences and carriage returns removed) for matching.

/// Screen size the terminal reports (and the session sets with `stty`).
pub const ROWS: u16 = 24;
pub const COLUMNS: u16 = 80;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Parse {
    Text,
    /// After ESC.
    Escape,
    /// After ESC and one of `( ) * + #`: one more byte belongs to the sequence.
    EscapeArgument,
    /// Inside `ESC [`.
    Csi,
}

/// Output parser with a cursor (1-based, no line wrapping: the guest's programs are told the width).
#[derive(Debug)]
pub struct Terminal {
    state: Parse,
    parameters: Vec<u8>,
    row: u16,
    column: u16,
    /// Everything printable so far, `\n` for line ends and for moves to another row.
    plain: Vec<u8>,
}

impl Default for Terminal {
    fn default() -> Self {
        Self::new()
    }
}

impl Terminal {
    pub fn new() -> Self {
        Self {
            state: Parse::Text,
            parameters: Vec::new(),
            row: 1,
            column: 1,
            plain: Vec::new(),
        }
    }

    /// The plain text of all output so far (only ever grows, so offsets into it stay valid).
    pub fn plain(&self) -> &[u8] {
        &self.plain
    }

    /// Takes output bytes; returns what the terminal answers (cursor position reports).
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut replies = Vec::new();
        for &byte in bytes {
            match self.state {
                Parse::Text => self.text(byte),
                Parse::Escape => self.escape(byte),
                Parse::EscapeArgument => self.state = Parse::Text,
                Parse::Csi => self.csi(byte, &mut replies),
            }
        }
        replies
    }

    fn text(&mut self, byte: u8) {
        match byte {
            0x1b => self.state = Parse::Escape,
            b'\r' => self.column = 1,
            b'\n' => {
                self.row = (self.row + 1).min(ROWS);
                self.plain.push(b'\n');
            }
            0x08 => self.column = self.column.saturating_sub(1).max(1),
            b'\t' => {
                self.column = ((self.column - 1) / 8 * 8 + 9).min(COLUMNS);
                self.plain.push(b'\t');
            }
            // UTF-8 continuation bytes take no column.
            0x80..=0xbf => self.plain.push(byte),
            0x20..=0x7e | 0xc0..=0xff => {
                self.column = (self.column + 1).min(COLUMNS);
                self.plain.push(byte);
            }
            _ => {}
        }
    }

    fn escape(&mut self, byte: u8) {
        self.state = match byte {
            b'[' => {
                self.parameters.clear();
                Parse::Csi
            }
            b'(' | b')' | b'*' | b'+' | b'#' => Parse::EscapeArgument,
            b'c' => {
                self.move_to(1, 1);
                Parse::Text
            }
            _ => Parse::Text,
        };
    }

    fn csi(&mut self, byte: u8, replies: &mut Vec<u8>) {
        if (0x20..=0x3f).contains(&byte) {
            self.parameters.push(byte);
            return;
        }
        self.state = Parse::Text;
        let numbers = self.numbers();
        let first = numbers.first().copied().flatten();
        let count = first.unwrap_or(1).max(1);
        match byte {
            b'H' | b'f' => {
                let row = first.unwrap_or(1);
                let column = numbers.get(1).copied().flatten().unwrap_or(1);
                self.move_to(row, column);
            }
            b'A' => self.move_to(self.row.saturating_sub(count), self.column),
            b'B' => self.move_to(self.row.saturating_add(count), self.column),
            b'C' => self.column = self.column.saturating_add(count).min(COLUMNS),
            b'D' => self.column = self.column.saturating_sub(count).max(1),
            b'G' => self.column = count.min(COLUMNS),
            b'd' => self.move_to(count, self.column),
            b'n' if self.parameters == b"6" => {
                replies.extend_from_slice(format!("\x1b[{};{}R", self.row, self.column).as_bytes());
            }
            _ => {}
        }
    }

    /// `;`-separated decimal parameters (None where empty); a private marker like `?` gives no numbers.
    fn numbers(&self) -> Vec<Option<u16>> {
        if self
            .parameters
            .first()
            .is_some_and(|b| !b.is_ascii_digit() && *b != b';')
        {
            return Vec::new();
        }
        self.parameters
            .split(|&b| b == b';')
            .map(|part| std::str::from_utf8(part).ok()?.parse::<u16>().ok())
            .collect()
    }

    /// Moves the cursor, clamped to the screen; a move to another row ends the plain text's line.
    fn move_to(&mut self, row: u16, column: u16) {
        let row = row.clamp(1, ROWS);
        if row != self.row && self.plain.last().is_some_and(|&b| b != b'\n') {
            self.plain.push(b'\n');
        }
        self.row = row;
        self.column = column.clamp(1, COLUMNS);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_the_cursor_position_after_a_prompt() {
        let mut terminal = Terminal::new();
        assert!(terminal.feed(b"boot\r\n\r\nroot@basalt:~# ").is_empty());
        assert_eq!(terminal.feed(b"\x1b[6n"), b"\x1b[3;16R");
        assert_eq!(terminal.plain(), b"boot\n\nroot@basalt:~# ");
    }

    #[test]
    fn a_far_move_is_clamped_like_vi_expects() {
        let mut terminal = Terminal::new();
        // vi's screen size probe, split across two reads.
        assert!(terminal.feed(b"\x1b[?1049h\x1b[999;9").is_empty());
        assert_eq!(terminal.feed(b"99H\x1b[6n"), b"\x1b[24;80R");
    }

    #[test]
    fn escapes_are_dropped_and_row_moves_end_lines() {
        let mut terminal = Terminal::new();
        terminal.feed(b"\x1b[H\x1b[J~\x1b[2;1H~\x1b[7mPID\x1b[m\x1b(B x\x1bc");
        // The reset moves back to row 1: another line.
        assert_eq!(terminal.plain(), b"~\n~PID x\n");
        terminal.feed(b"ab\x08\x08\x1b[3C\x1b[6n");
        assert_eq!(terminal.row, 1);
        assert_eq!(terminal.column, 4);
    }

    #[test]
    fn relative_moves_stay_on_screen() {
        let mut terminal = Terminal::new();
        terminal.feed(b"\x1b[5A\x1b[200C");
        assert_eq!((terminal.row, terminal.column), (1, COLUMNS));
        terminal.feed(b"\x1b[30B\x1b[2G\x1b[D\x1b[D");
        assert_eq!((terminal.row, terminal.column), (ROWS, 1));
        terminal.feed(b"\x1b[3d\tx");
        assert_eq!((terminal.row, terminal.column), (3, 10));
    }
}
