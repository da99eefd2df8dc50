//! The N_TTY line discipline: what each received byte does (input translation, signal characters, flow control,
//! line editing, echo), what reads take, and how written bytes are post-processed — following Linux's
//! `drivers/tty/n_tty.c` rule for rule. Echo and output bytes are appended to a caller's buffer, ready for the wire.

use crate::termios::{cc, iflag, lflag, oflag, Termios};
use alloc::collections::VecDeque;
use alloc::vec::Vec;

/// Most bytes buffered for reading (Linux's N_TTY_BUF_SIZE; one is kept free for a line end).
pub const BUF_SIZE: usize = 4096;

/// A signal a received character asks for, sent to the terminal's foreground process group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// VINTR: SIGINT.
    Interrupt,
    /// VQUIT: SIGQUIT.
    Quit,
    /// VSUSP: SIGTSTP.
    Suspend,
}

impl Signal {
    /// The Linux signal number.
    pub fn number(self) -> u8 {
        match self {
            Signal::Interrupt => 2,
            Signal::Quit => 3,
            Signal::Suspend => 20,
        }
    }
}

/// What receiving one byte did, beyond the echo.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Received {
    /// A signal for the foreground process group.
    pub signal: Option<Signal>,
    /// The driver's pending output must be discarded (a signal character without NOFLSH).
    pub flush_output: bool,
}

/// One terminal's line discipline state.
#[derive(Clone, Debug)]
pub struct Ldisc {
    termios: Termios,
    /// Canonical mode: complete lines (delimiter included; a line ended by VEOF has none, an empty one is EOF).
    lines: VecDeque<Vec<u8>>,
    /// Bytes of the first line already read (a short read leaves the rest of the line).
    line_offset: usize,
    /// Canonical mode: the line being edited.
    edit: Vec<u8>,
    /// Non-canonical mode: bytes ready for reading.
    raw: VecDeque<u8>,
    /// The next byte is literal (VLNEXT).
    lnext: bool,
    /// The output column (for erasing tabs).
    column: usize,
    /// The column where the line being edited started.
    canon_column: usize,
    /// Output stopped by VSTOP (IXON) or TCOOFF.
    stopped: bool,
    /// Echo produced while output was stopped, sent when it starts again.
    held_echo: Vec<u8>,
}

fn is_cntrl(c: u8) -> bool {
    c < 0x20 || c == 0x7f
}

impl Ldisc {
    /// A line discipline with `termios` and nothing buffered.
    pub fn new(termios: Termios) -> Ldisc {
        Ldisc {
            termios,
            lines: VecDeque::new(),
            line_offset: 0,
            edit: Vec::new(),
            raw: VecDeque::new(),
            lnext: false,
            column: 0,
            canon_column: 0,
            stopped: false,
            held_echo: Vec::new(),
        }
    }

    /// The current settings.
    pub fn termios(&self) -> &Termios {
        &self.termios
    }

    fn canonical(&self) -> bool {
        self.termios.l(lflag::ICANON)
    }

    /// Whether canonical mode is on.
    pub fn is_canonical(&self) -> bool {
        self.canonical()
    }

    /// Whether output is stopped (VSTOP or TCOOFF).
    pub fn output_stopped(&self) -> bool {
        self.stopped
    }

    /// Change settings (TCSETS*). Switching canonical mode moves buffered input as Linux does: to raw, everything
    /// typed becomes readable; to canonical, unread raw input becomes one pending line. Turning IXON off restarts
    /// stopped output. Returns echo held back while stopped, if output restarts.
    pub fn set_termios(&mut self, new: Termios, out: &mut Vec<u8>) {
        let was_canonical = self.canonical();
        let had_ixon = self.termios.i(iflag::IXON);
        self.termios = new;
        if was_canonical && !self.canonical() {
            let mut lines = core::mem::take(&mut self.lines);
            if let Some(first) = lines.front_mut() {
                first.drain(..self.line_offset.min(first.len()));
            }
            self.line_offset = 0;
            for line in lines {
                self.raw.extend(line);
            }
            self.raw.extend(self.edit.drain(..));
        } else if !was_canonical && self.canonical() && !self.raw.is_empty() {
            self.lines.push_back(self.raw.drain(..).collect());
        }
        self.lnext = false;
        if had_ixon && !self.termios.i(iflag::IXON) {
            self.start(out);
        }
    }

    /// Discard all buffered input (TCFLSH TCIFLUSH, TCSETSF, a signal character without NOFLSH).
    pub fn flush_input(&mut self) {
        self.lines.clear();
        self.line_offset = 0;
        self.edit.clear();
        self.raw.clear();
        self.lnext = false;
    }

    /// Bytes a read could take now (TIOCINQ / FIONREAD): in canonical mode only complete lines count.
    pub fn input_count(&self) -> usize {
        if self.canonical() {
            self.lines.iter().map(Vec::len).sum::<usize>() - self.line_offset
        } else {
            self.raw.len()
        }
    }

    /// Whether a read would find something (poll). In non-canonical mode without VTIME, VMIN bytes must be there.
    pub fn readable(&self) -> bool {
        if self.canonical() {
            return !self.lines.is_empty();
        }
        let vmin = usize::from(self.termios.cc[cc::VMIN]);
        let needed = if self.termios.cc[cc::VTIME] == 0 && vmin > 0 {
            vmin
        } else {
            1
        };
        self.raw.len() >= needed
    }

    /// Whether any input is ready for a read (a complete line, or any byte in non-canonical mode): a sleeping
    /// reader wakes to take it and decide by VMIN/VTIME.
    pub fn has_data(&self) -> bool {
        if self.canonical() {
            !self.lines.is_empty()
        } else {
            !self.raw.is_empty()
        }
    }

    /// Canonical read: up to one line into `buf`. None: no complete line yet. Some(0): end of file (VEOF at the
    /// start of a line).
    pub fn read_line(&mut self, buf: &mut [u8]) -> Option<usize> {
        let line = self.lines.front()?;
        let rest = &line[self.line_offset..];
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.line_offset += n;
        if self.line_offset >= line.len() {
            self.lines.pop_front();
            self.line_offset = 0;
        }
        Some(n)
    }

    /// Non-canonical read: whatever is there, up to `buf.len()`.
    pub fn read_raw(&mut self, buf: &mut [u8]) -> usize {
        let n = buf.len().min(self.raw.len());
        for (d, s) in buf.iter_mut().zip(self.raw.drain(..n)) {
            *d = s;
        }
        n
    }

    /// Read according to the mode: canonical gives `read_line`, non-canonical what is there (Some(0) if nothing).
    pub fn read(&mut self, buf: &mut [u8]) -> Option<usize> {
        if self.canonical() {
            self.read_line(buf)
        } else {
            Some(self.read_raw(buf))
        }
    }

    fn special(&self, index: usize, c: u8) -> bool {
        let v = self.termios.cc[index];
        v != 0 && v == c
    }

    /// Restart output (VSTART, TCOON): held echo goes out.
    pub fn start(&mut self, out: &mut Vec<u8>) {
        self.stopped = false;
        out.append(&mut self.held_echo);
    }

    /// Stop output (VSTOP, TCOOFF).
    pub fn stop(&mut self) {
        self.stopped = true;
    }

    /// Discard echo held while output is stopped (TCOFLUSH).
    pub fn flush_output(&mut self) {
        self.held_echo.clear();
    }

    /// Receive one byte from the terminal (the keyboard, the pty master). Echo goes to `echo`.
    pub fn receive(&mut self, byte: u8, echo: &mut Vec<u8>) -> Received {
        let mut e = Vec::new();
        let r = self.receive_inner(byte, &mut e);
        if self.stopped {
            self.held_echo.append(&mut e);
        } else {
            echo.append(&mut e);
        }
        r
    }

    fn receive_inner(&mut self, byte: u8, echo: &mut Vec<u8>) -> Received {
        let t = self.termios;
        let mut c = byte;
        if t.i(iflag::ISTRIP) {
            c &= 0x7f;
        }
        if t.i(iflag::IUCLC) && t.l(lflag::IEXTEN) {
            c = c.to_ascii_lowercase();
        }
        if self.lnext {
            self.lnext = false;
            self.regular(c, echo);
            return Received::default();
        }
        if t.i(iflag::IXON) {
            if self.special(cc::VSTART, c) {
                self.start(echo);
                return Received::default();
            }
            if self.special(cc::VSTOP, c) {
                self.stop();
                return Received::default();
            }
        }
        if t.l(lflag::ISIG) {
            let signal = if self.special(cc::VINTR, c) {
                Some(Signal::Interrupt)
            } else if self.special(cc::VQUIT, c) {
                Some(Signal::Quit)
            } else if self.special(cc::VSUSP, c) {
                Some(Signal::Suspend)
            } else {
                None
            };
            if let Some(signal) = signal {
                let flush = !t.l(lflag::NOFLSH);
                if flush {
                    self.flush_input();
                    self.held_echo.clear();
                }
                if t.i(iflag::IXON) {
                    self.start(echo);
                }
                if t.l(lflag::ECHO) {
                    self.echo_char(c, echo);
                }
                return Received {
                    signal: Some(signal),
                    flush_output: flush,
                };
            }
        }
        if self.stopped && t.i(iflag::IXON) && t.i(iflag::IXANY) {
            self.start(echo);
        }
        if c == b'\r' {
            if t.i(iflag::IGNCR) {
                return Received::default();
            }
            if t.i(iflag::ICRNL) {
                c = b'\n';
            }
        } else if c == b'\n' && t.i(iflag::INLCR) {
            c = b'\r';
        }
        if self.canonical() {
            let iexten = t.l(lflag::IEXTEN);
            if self.special(cc::VERASE, c)
                || self.special(cc::VKILL, c)
                || (iexten && self.special(cc::VWERASE, c))
            {
                self.erase(c, echo);
                return Received::default();
            }
            if iexten && self.special(cc::VLNEXT, c) {
                self.lnext = true;
                if t.l(lflag::ECHO) && t.l(lflag::ECHOCTL) {
                    self.output_byte(b'^', echo);
                    self.output_byte(b'\x08', echo);
                }
                return Received::default();
            }
            if iexten && t.l(lflag::ECHO) && self.special(cc::VREPRINT, c) {
                self.echo_char(c, echo);
                self.output_byte(b'\n', echo);
                for b in self.edit.clone() {
                    self.echo_char(b, echo);
                }
                return Received::default();
            }
            if c == b'\n' {
                if t.l(lflag::ECHO) || t.l(lflag::ECHONL) {
                    self.output_byte(b'\n', echo);
                }
                self.end_line(Some(c));
                return Received::default();
            }
            if self.special(cc::VEOF, c) {
                self.end_line(None);
                return Received::default();
            }
            if self.special(cc::VEOL, c) || (iexten && self.special(cc::VEOL2, c)) {
                if t.l(lflag::ECHO) {
                    if self.edit.is_empty() {
                        self.canon_column = self.column;
                    }
                    self.echo_char(c, echo);
                }
                self.end_line(Some(c));
                return Received::default();
            }
        }
        self.regular(c, echo);
        Received::default()
    }

    /// An ordinary character: echoed and stored.
    fn regular(&mut self, c: u8, echo: &mut Vec<u8>) {
        if self.canonical() && self.edit.len() + self.pending_bytes() >= BUF_SIZE - 1 {
            return;
        }
        if !self.canonical() && self.raw.len() >= BUF_SIZE {
            return;
        }
        if self.termios.l(lflag::ECHO) {
            if c == b'\n' {
                self.output_byte(b'\n', echo);
            } else {
                if self.edit.is_empty() {
                    self.canon_column = self.column;
                }
                self.echo_char(c, echo);
            }
        }
        if self.canonical() {
            self.edit.push(c);
        } else {
            self.raw.push_back(c);
        }
    }

    fn pending_bytes(&self) -> usize {
        self.lines.iter().map(Vec::len).sum()
    }

    fn end_line(&mut self, delimiter: Option<u8>) {
        let mut line = core::mem::take(&mut self.edit);
        line.extend(delimiter);
        self.lines.push_back(line);
    }

    /// Echo a character: control characters as `^X` with ECHOCTL (except tab).
    fn echo_char(&mut self, c: u8, echo: &mut Vec<u8>) {
        if self.termios.l(lflag::ECHOCTL) && is_cntrl(c) && c != b'\t' {
            echo.push(b'^');
            echo.push(c ^ 0o100);
            self.column += 2;
        } else {
            self.output_byte(c, echo);
        }
    }

    /// Columns `c` took when echoed at `col` (for erasing).
    fn echo_width(&self, c: u8, col: usize) -> usize {
        if c == b'\t' {
            8 - (col & 7)
        } else if is_cntrl(c) {
            if self.termios.l(lflag::ECHOCTL) {
                2
            } else {
                0
            }
        } else if self.termios.i(iflag::IUTF8) && c & 0xc0 == 0x80 {
            0
        } else {
            1
        }
    }

    /// VERASE, VWERASE and VKILL.
    fn erase(&mut self, key: u8, echo: &mut Vec<u8>) {
        #[derive(PartialEq)]
        enum Kind {
            Erase,
            Word,
            Kill,
        }
        let t = self.termios;
        let kind = if self.special(cc::VERASE, key) {
            Kind::Erase
        } else if self.special(cc::VWERASE, key) {
            Kind::Word
        } else {
            Kind::Kill
        };
        if self.edit.is_empty() {
            return;
        }
        if kind == Kind::Kill {
            if !t.l(lflag::ECHO) {
                self.edit.clear();
                return;
            }
            if !t.l(lflag::ECHOK) || !t.l(lflag::ECHOKE) || !t.l(lflag::ECHOE) {
                self.edit.clear();
                self.echo_char(key, echo);
                if t.l(lflag::ECHOK) {
                    self.output_byte(b'\n', echo);
                }
                return;
            }
        }
        let mut seen_alnums = 0;
        while !self.edit.is_empty() {
            // A UTF-8 character goes as a whole.
            let mut start = self.edit.len() - 1;
            if t.i(iflag::IUTF8) {
                while start > 0 && self.edit[start] & 0xc0 == 0x80 {
                    start -= 1;
                }
            }
            let c = self.edit[start];
            if kind == Kind::Word {
                if c.is_ascii_alphanumeric() || c == b'_' {
                    seen_alnums += 1;
                } else if seen_alnums > 0 {
                    break;
                }
            }
            self.edit.truncate(start);
            if t.l(lflag::ECHO) {
                if kind == Kind::Erase && !t.l(lflag::ECHOE) {
                    self.echo_char(key, echo);
                } else if c == b'\t' {
                    let mut col = self.canon_column;
                    for &b in &self.edit {
                        col += self.echo_width(b, col);
                    }
                    while self.column > col {
                        self.output_byte(b'\x08', echo);
                    }
                } else {
                    let rubout = |s: &mut Ldisc, echo: &mut Vec<u8>| {
                        for &b in b"\x08 \x08" {
                            s.output_byte(b, echo);
                        }
                    };
                    if is_cntrl(c) && t.l(lflag::ECHOCTL) {
                        rubout(self, echo);
                    }
                    if !is_cntrl(c) || t.l(lflag::ECHOCTL) {
                        rubout(self, echo);
                    }
                }
            }
            if kind == Kind::Erase {
                break;
            }
        }
    }

    /// Post-process one output byte (OPOST: ONLCR, OCRNL, ONOCR, ONLRET, OLCUC, XTABS) and track the column.
    fn output_byte(&mut self, c: u8, out: &mut Vec<u8>) {
        let t = self.termios;
        if !t.o(oflag::OPOST) {
            out.push(c);
            return;
        }
        match c {
            b'\n' => {
                if t.o(oflag::ONLRET) {
                    self.column = 0;
                }
                if t.o(oflag::ONLCR) {
                    self.column = 0;
                    self.canon_column = 0;
                    out.extend_from_slice(b"\r\n");
                    return;
                }
                self.canon_column = self.column;
                out.push(c);
            }
            b'\r' => {
                if t.o(oflag::ONOCR) && self.column == 0 {
                    return;
                }
                if t.o(oflag::OCRNL) {
                    if t.o(oflag::ONLRET) {
                        self.column = 0;
                        self.canon_column = 0;
                    }
                    out.push(b'\n');
                    return;
                }
                self.column = 0;
                self.canon_column = 0;
                out.push(c);
            }
            b'\t' => {
                let spaces = 8 - (self.column & 7);
                self.column += spaces;
                if t.oflag & oflag::TABDLY == oflag::XTABS {
                    out.extend(core::iter::repeat_n(b' ', spaces));
                } else {
                    out.push(c);
                }
            }
            b'\x08' => {
                self.column = self.column.saturating_sub(1);
                out.push(c);
            }
            _ => {
                let mut c = c;
                if !is_cntrl(c) {
                    if t.o(oflag::OLCUC) {
                        c = c.to_ascii_uppercase();
                    }
                    if !(t.i(iflag::IUTF8) && c & 0xc0 == 0x80) {
                        self.column += 1;
                    }
                }
                out.push(c);
            }
        }
    }

    /// Post-process bytes a program writes to the terminal.
    pub fn output(&mut self, data: &[u8], out: &mut Vec<u8>) {
        for &c in data {
            self.output_byte(c, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::termios::cflag;

    fn feed(l: &mut Ldisc, input: &[u8]) -> (Vec<u8>, Vec<Received>) {
        let mut echo = Vec::new();
        let mut r = Vec::new();
        for &b in input {
            let got = l.receive(b, &mut echo);
            if got != Received::default() {
                r.push(got);
            }
        }
        (echo, r)
    }

    fn read_all(l: &mut Ldisc) -> Vec<u8> {
        let mut buf = [0u8; 256];
        let n = l.read(&mut buf).unwrap_or(0);
        buf[..n].to_vec()
    }

    fn std() -> Ldisc {
        Ldisc::new(Termios::STD)
    }

    #[test]
    fn canonical_line_with_echo() {
        let mut l = std();
        let (echo, _) = feed(&mut l, b"ls");
        assert_eq!(echo, b"ls");
        assert!(!l.readable());
        let (echo, _) = feed(&mut l, b"\r");
        assert_eq!(echo, b"\r\n");
        assert!(l.readable());
        assert_eq!(l.input_count(), 3);
        assert_eq!(read_all(&mut l), b"ls\n");
        assert!(!l.readable());
    }

    #[test]
    fn reads_return_one_line_at_a_time() {
        let mut l = std();
        feed(&mut l, b"a\nbc\n");
        assert_eq!(read_all(&mut l), b"a\n");
        let mut small = [0u8; 1];
        assert_eq!(l.read(&mut small), Some(1));
        assert_eq!(&small, b"b");
        assert_eq!(read_all(&mut l), b"c\n");
        assert_eq!(l.read(&mut small), None);
    }

    #[test]
    fn eof_ends_a_line_or_reads_zero() {
        let mut l = std();
        let (echo, _) = feed(&mut l, b"ab\x04");
        assert_eq!(echo, b"ab");
        assert_eq!(read_all(&mut l), b"ab");
        feed(&mut l, b"\x04");
        assert_eq!(l.read(&mut [0u8; 8]), Some(0));
        assert_eq!(l.read(&mut [0u8; 8]), None);
    }

    #[test]
    fn erase_kill_werase() {
        let mut l = std();
        let (echo, _) = feed(&mut l, b"ab\x7f");
        assert_eq!(echo, b"ab\x08 \x08");
        feed(&mut l, b"c\n");
        assert_eq!(read_all(&mut l), b"ac\n");
        let (echo, _) = feed(&mut l, b"xy\x15");
        assert_eq!(echo, b"xy\x08 \x08\x08 \x08");
        feed(&mut l, b"one two  \x17three\n");
        assert_eq!(read_all(&mut l), b"one three\n");
        // Erasing an empty line does nothing.
        let (echo, _) = feed(&mut l, b"\x7f");
        assert!(echo.is_empty());
    }

    #[test]
    fn erase_of_control_and_tab() {
        let mut l = std();
        let (echo, _) = feed(&mut l, b"\x01");
        assert_eq!(echo, b"^A");
        let (echo, _) = feed(&mut l, b"\x7f");
        assert_eq!(echo, b"\x08 \x08\x08 \x08");
        let (echo, _) = feed(&mut l, b"ab\t");
        assert_eq!(echo, b"ab\t");
        let (echo, _) = feed(&mut l, b"\x7f");
        assert_eq!(echo, b"\x08\x08\x08\x08\x08\x08");
    }

    #[test]
    fn kill_without_echoke_echoes_the_character() {
        let mut t = Termios::STD;
        t.lflag &= !lflag::ECHOKE;
        let mut l = Ldisc::new(t);
        let (echo, _) = feed(&mut l, b"ab\x15");
        assert_eq!(echo, b"ab^U\r\n");
        feed(&mut l, b"\n");
        assert_eq!(read_all(&mut l), b"\n");
    }

    #[test]
    fn erase_without_echoe_echoes_the_character() {
        let mut t = Termios::STD;
        t.lflag &= !lflag::ECHOE;
        let mut l = Ldisc::new(t);
        let (echo, _) = feed(&mut l, b"ab\x7f");
        assert_eq!(echo, b"ab^?");
    }

    #[test]
    fn lnext_takes_the_next_byte_literally() {
        let mut l = std();
        let (echo, _) = feed(&mut l, b"\x16\x03");
        assert_eq!(echo, b"^\x08^C");
        let (_, r) = feed(&mut l, b"\x16\x7f\n");
        assert!(r.is_empty());
        assert_eq!(read_all(&mut l), b"\x03\x7f\n");
    }

    #[test]
    fn reprint() {
        let mut l = std();
        let (echo, _) = feed(&mut l, b"ab\x12");
        assert_eq!(echo, b"ab^R\r\nab");
    }

    #[test]
    fn eol_is_a_delimiter() {
        let mut t = Termios::STD;
        t.cc[cc::VEOL] = b';';
        let mut l = Ldisc::new(t);
        let (echo, _) = feed(&mut l, b"a;");
        assert_eq!(echo, b"a;");
        assert_eq!(read_all(&mut l), b"a;");
    }

    #[test]
    fn signals_flush_and_echo() {
        let mut l = std();
        let (echo, r) = feed(&mut l, b"abc\x03");
        assert_eq!(echo, b"abc^C");
        assert_eq!(
            r,
            [Received {
                signal: Some(Signal::Interrupt),
                flush_output: true
            }]
        );
        feed(&mut l, b"\n");
        assert_eq!(read_all(&mut l), b"\n");
        let (_, r) = feed(&mut l, b"\x1c\x1a");
        let sigs: Vec<_> = r.iter().filter_map(|r| r.signal).collect();
        assert_eq!(sigs, [Signal::Quit, Signal::Suspend]);
        assert_eq!(Signal::Suspend.number(), 20);
    }

    #[test]
    fn noflsh_keeps_input_and_isig_off_stores_the_byte() {
        let mut t = Termios::STD;
        t.lflag |= lflag::NOFLSH;
        let mut l = Ldisc::new(t);
        let (_, r) = feed(&mut l, b"ab\x03\n");
        assert!(!r[0].flush_output);
        assert_eq!(read_all(&mut l), b"ab\n");
        t.lflag &= !lflag::ISIG;
        let mut l = Ldisc::new(t);
        let (_, r) = feed(&mut l, b"\x03\n");
        assert!(r.is_empty());
        assert_eq!(read_all(&mut l), b"\x03\n");
    }

    #[test]
    fn input_translation() {
        let mut t = Termios::STD;
        t.iflag = iflag::IGNCR;
        let mut l = Ldisc::new(t);
        feed(&mut l, b"a\rb\n");
        assert_eq!(read_all(&mut l), b"ab\n");
        t.iflag = iflag::INLCR;
        t.lflag &= !lflag::ICANON;
        let mut l = Ldisc::new(t);
        feed(&mut l, b"\n");
        assert_eq!(read_all(&mut l), b"\r");
        t.iflag = iflag::ISTRIP;
        let mut l = Ldisc::new(t);
        feed(&mut l, &[0xc1]);
        assert_eq!(read_all(&mut l), b"A");
    }

    #[test]
    fn echo_flags() {
        let mut t = Termios::STD;
        t.lflag &= !lflag::ECHO;
        let mut l = Ldisc::new(t);
        let (echo, _) = feed(&mut l, b"secret\n");
        assert!(echo.is_empty());
        t.lflag |= lflag::ECHONL;
        let mut l = Ldisc::new(t);
        let (echo, _) = feed(&mut l, b"secret\n");
        assert_eq!(echo, b"\r\n");
        t = Termios::STD;
        t.lflag &= !lflag::ECHOCTL;
        let mut l = Ldisc::new(t);
        let (echo, _) = feed(&mut l, b"\x01");
        assert_eq!(echo, b"\x01");
    }

    #[test]
    fn raw_mode() {
        let mut t = Termios::STD;
        t.lflag &= !(lflag::ICANON | lflag::ECHO);
        t.cc[cc::VMIN] = 2;
        let mut l = Ldisc::new(t);
        feed(&mut l, b"x");
        assert!(!l.readable(), "poll waits for VMIN bytes");
        feed(&mut l, b"\x7f");
        assert!(l.readable());
        assert_eq!(read_all(&mut l), b"x\x7f");
        t.cc[cc::VTIME] = 1;
        l.set_termios(t, &mut Vec::new());
        feed(&mut l, b"y");
        assert!(l.readable(), "with VTIME one byte is enough");
    }

    #[test]
    fn mode_switches_move_input() {
        let mut l = std();
        feed(&mut l, b"ab\ncd");
        let mut raw = Termios::STD;
        raw.lflag &= !lflag::ICANON;
        l.set_termios(raw, &mut Vec::new());
        assert_eq!(read_all(&mut l), b"ab\ncd");
        feed(&mut l, b"ef");
        l.set_termios(Termios::STD, &mut Vec::new());
        assert_eq!(read_all(&mut l), b"ef");
    }

    #[test]
    fn flow_control_holds_echo() {
        let mut l = std();
        let (_, _) = feed(&mut l, b"\x13");
        assert!(l.output_stopped());
        let (echo, _) = feed(&mut l, b"a");
        assert!(echo.is_empty());
        let (echo, _) = feed(&mut l, b"\x11");
        assert_eq!(echo, b"a");
        assert!(!l.output_stopped());
        // IXANY: any character restarts.
        let mut t = Termios::STD;
        t.iflag |= iflag::IXANY;
        let mut l = Ldisc::new(t);
        feed(&mut l, b"\x13");
        feed(&mut l, b"z");
        assert!(!l.output_stopped());
        // Turning IXON off restarts output.
        let mut l = std();
        feed(&mut l, b"\x13");
        let mut t = Termios::STD;
        t.iflag &= !iflag::IXON;
        l.set_termios(t, &mut Vec::new());
        assert!(!l.output_stopped());
    }

    #[test]
    fn output_processing() {
        let mut l = std();
        let mut out = Vec::new();
        l.output(b"a\nb", &mut out);
        assert_eq!(out, b"a\r\nb");
        let mut t = Termios::STD;
        t.oflag = oflag::OPOST | oflag::OCRNL | oflag::OLCUC | oflag::XTABS;
        let mut l = Ldisc::new(t);
        let mut out = Vec::new();
        l.output(b"a\r\tb", &mut out);
        assert_eq!(out, b"A\n       B");
        t.oflag = oflag::OPOST | oflag::ONOCR;
        let mut l = Ldisc::new(t);
        let mut out = Vec::new();
        l.output(b"\rx\r", &mut out);
        assert_eq!(out, b"x\r");
        t.oflag = 0;
        let mut l = Ldisc::new(t);
        let mut out = Vec::new();
        l.output(b"a\n", &mut out);
        assert_eq!(out, b"a\n");
    }

    #[test]
    fn canonical_buffer_is_bounded() {
        let mut l = std();
        let big = alloc::vec![b'x'; BUF_SIZE + 100];
        feed(&mut l, &big);
        feed(&mut l, b"\n");
        let mut buf = alloc::vec![0u8; BUF_SIZE * 2];
        let n = l.read(&mut buf).unwrap_or(0);
        assert_eq!(n, BUF_SIZE);
        assert_eq!(buf[n - 1], b'\n');
    }

    #[test]
    fn flush_input_clears_everything() {
        let mut l = std();
        feed(&mut l, b"ab\ncd");
        l.flush_input();
        assert_eq!(l.input_count(), 0);
        assert!(!l.readable());
        let _ = cflag::CREAD;
    }
}
