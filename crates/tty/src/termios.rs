//! `struct termios` and `struct termios2` as the kernel's ioctls exchange them, the flag bits, and the settings a
//! new terminal starts with.

/// Input flags (`c_iflag`).
pub mod iflag {
    #![allow(missing_docs)] // Linux's names.
    pub const IGNBRK: u32 = 0o1;
    pub const BRKINT: u32 = 0o2;
    pub const IGNPAR: u32 = 0o4;
    pub const PARMRK: u32 = 0o10;
    pub const INPCK: u32 = 0o20;
    pub const ISTRIP: u32 = 0o40;
    pub const INLCR: u32 = 0o100;
    pub const IGNCR: u32 = 0o200;
    pub const ICRNL: u32 = 0o400;
    pub const IUCLC: u32 = 0o1000;
    pub const IXON: u32 = 0o2000;
    pub const IXANY: u32 = 0o4000;
    pub const IXOFF: u32 = 0o10000;
    pub const IMAXBEL: u32 = 0o20000;
    pub const IUTF8: u32 = 0o40000;
}

/// Output flags (`c_oflag`).
pub mod oflag {
    #![allow(missing_docs)] // Linux's names.
    pub const OPOST: u32 = 0o1;
    pub const OLCUC: u32 = 0o2;
    pub const ONLCR: u32 = 0o4;
    pub const OCRNL: u32 = 0o10;
    pub const ONOCR: u32 = 0o20;
    pub const ONLRET: u32 = 0o40;
    pub const TABDLY: u32 = 0o14000;
    pub const XTABS: u32 = 0o14000;
}

/// Control flags (`c_cflag`).
pub mod cflag {
    #![allow(missing_docs)] // Linux's names.
    pub const CBAUD: u32 = 0o10017;
    pub const B38400: u32 = 0o17;
    pub const CS8: u32 = 0o60;
    pub const CREAD: u32 = 0o200;
    pub const HUPCL: u32 = 0o2000;
    pub const CLOCAL: u32 = 0o4000;
    pub const CBAUDEX: u32 = 0o10000;
    pub const BOTHER: u32 = 0o10000;
}

/// Local flags (`c_lflag`).
pub mod lflag {
    #![allow(missing_docs)] // Linux's names.
    pub const ISIG: u32 = 0o1;
    pub const ICANON: u32 = 0o2;
    pub const XCASE: u32 = 0o4;
    pub const ECHO: u32 = 0o10;
    pub const ECHOE: u32 = 0o20;
    pub const ECHOK: u32 = 0o40;
    pub const ECHONL: u32 = 0o100;
    pub const NOFLSH: u32 = 0o200;
    pub const TOSTOP: u32 = 0o400;
    pub const ECHOCTL: u32 = 0o1000;
    pub const ECHOPRT: u32 = 0o2000;
    pub const ECHOKE: u32 = 0o4000;
    pub const FLUSHO: u32 = 0o10000;
    pub const PENDIN: u32 = 0o40000;
    pub const IEXTEN: u32 = 0o100000;
    pub const EXTPROC: u32 = 0o200000;
}

/// Indices into `c_cc`.
pub mod cc {
    #![allow(missing_docs)] // Linux's names.
    pub const VINTR: usize = 0;
    pub const VQUIT: usize = 1;
    pub const VERASE: usize = 2;
    pub const VKILL: usize = 3;
    pub const VEOF: usize = 4;
    pub const VTIME: usize = 5;
    pub const VMIN: usize = 6;
    pub const VSWTC: usize = 7;
    pub const VSTART: usize = 8;
    pub const VSTOP: usize = 9;
    pub const VSUSP: usize = 10;
    pub const VEOL: usize = 11;
    pub const VREPRINT: usize = 12;
    pub const VDISCARD: usize = 13;
    pub const VWERASE: usize = 14;
    pub const VLNEXT: usize = 15;
    pub const VEOL2: usize = 16;
}

/// Number of control characters in the kernel's structures.
pub const NCCS: usize = 19;

/// Linux's INIT_C_CC: ^C ^\ DEL ^U ^D 0 1 0 ^Q ^S ^Z 0 ^R ^O ^W ^V 0.
pub const INIT_C_CC: [u8; NCCS] = [
    3, 0o34, 0o177, 0o25, 4, 0, 1, 0, 0o21, 0o23, 0o32, 0, 0o22, 0o17, 0o27, 0o26, 0, 0, 0,
];

/// One terminal's settings (`struct termios2`; `struct termios` is its first 36 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Termios {
    /// Input modes.
    pub iflag: u32,
    /// Output modes.
    pub oflag: u32,
    /// Control modes.
    pub cflag: u32,
    /// Local modes.
    pub lflag: u32,
    /// Line discipline number (0: N_TTY).
    pub line: u8,
    /// Control characters.
    pub cc: [u8; NCCS],
    /// Input speed.
    pub ispeed: u32,
    /// Output speed.
    pub ospeed: u32,
}

/// Speeds of the CBAUD codes 0–15 and 0o10001–0o10017 (Linux's `baud_table`).
const BAUD_TABLE: [u32; 31] = [
    0, 50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400, 57600,
    115200, 230400, 460800, 500000, 576000, 921600, 1000000, 1152000, 1500000, 2000000, 2500000,
    3000000, 3500000, 4000000,
];

fn baud_of(cflag: u32) -> u32 {
    let code = cflag & cflag::CBAUD;
    let index = if code & cflag::CBAUDEX != 0 {
        15 + (code & 0o17) as usize
    } else {
        code as usize
    };
    BAUD_TABLE.get(index).copied().unwrap_or(0)
}

impl Termios {
    /// Size of `struct termios`.
    pub const SIZE: usize = 36;
    /// Size of `struct termios2`.
    pub const SIZE2: usize = 44;

    /// Linux's `tty_std_termios`: a cooked terminal at 38400 baud (serial ports and consoles).
    pub const STD: Termios = Termios {
        iflag: iflag::ICRNL | iflag::IXON,
        oflag: oflag::OPOST | oflag::ONLCR,
        cflag: cflag::B38400 | cflag::CS8 | cflag::CREAD | cflag::HUPCL,
        lflag: lflag::ISIG
            | lflag::ICANON
            | lflag::ECHO
            | lflag::ECHOE
            | lflag::ECHOK
            | lflag::ECHOCTL
            | lflag::ECHOKE
            | lflag::IEXTEN,
        line: 0,
        cc: INIT_C_CC,
        ispeed: 38400,
        ospeed: 38400,
    };

    /// A fresh pty slave (Linux's unix98 pts driver: the standard settings without HUPCL).
    pub const PTY_SLAVE: Termios = Termios {
        cflag: cflag::B38400 | cflag::CS8 | cflag::CREAD,
        ..Termios::STD
    };

    /// Whether a local flag is set.
    pub fn l(&self, flag: u32) -> bool {
        self.lflag & flag != 0
    }

    /// Whether an input flag is set.
    pub fn i(&self, flag: u32) -> bool {
        self.iflag & flag != 0
    }

    /// Whether an output flag is set.
    pub fn o(&self, flag: u32) -> bool {
        self.oflag & flag != 0
    }

    /// `struct termios2` bytes.
    pub fn to_bytes2(&self) -> [u8; Self::SIZE2] {
        let mut b = [0u8; Self::SIZE2];
        b[0..4].copy_from_slice(&self.iflag.to_le_bytes());
        b[4..8].copy_from_slice(&self.oflag.to_le_bytes());
        b[8..12].copy_from_slice(&self.cflag.to_le_bytes());
        b[12..16].copy_from_slice(&self.lflag.to_le_bytes());
        b[16] = self.line;
        b[17..36].copy_from_slice(&self.cc);
        b[36..40].copy_from_slice(&self.ispeed.to_le_bytes());
        b[40..44].copy_from_slice(&self.ospeed.to_le_bytes());
        b
    }

    /// `struct termios` bytes.
    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut b = [0u8; Self::SIZE];
        b.copy_from_slice(&self.to_bytes2()[..Self::SIZE]);
        b
    }

    fn word(b: &[u8], at: usize) -> u32 {
        u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
    }

    /// Settings from `struct termios` (TCSETS*): the speeds follow the baud code in `c_cflag`.
    pub fn from_bytes(b: &[u8; Self::SIZE]) -> Termios {
        let mut cc = [0u8; NCCS];
        cc.copy_from_slice(&b[17..36]);
        let cflag = Self::word(b, 8);
        let speed = baud_of(cflag);
        Termios {
            iflag: Self::word(b, 0),
            oflag: Self::word(b, 4),
            cflag,
            lflag: Self::word(b, 12),
            line: b[16],
            cc,
            ispeed: speed,
            ospeed: speed,
        }
    }

    /// Settings from `struct termios2` (TCSETS2*): explicit speeds with BOTHER, else the baud code's.
    pub fn from_bytes2(b: &[u8; Self::SIZE2]) -> Termios {
        let mut head = [0u8; Self::SIZE];
        head.copy_from_slice(&b[..Self::SIZE]);
        let mut t = Termios::from_bytes(&head);
        if t.cflag & cflag::CBAUD == cflag::BOTHER {
            t.ospeed = Self::word(b, 40);
            t.ispeed = Self::word(b, 36);
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn std_matches_linux() {
        let t = Termios::STD;
        assert_eq!(t.iflag, 0o2400);
        assert_eq!(t.oflag, 0o5);
        assert_eq!(t.cflag, 0o2277);
        assert_eq!(t.lflag, 0o105073);
        assert_eq!(t.cc[cc::VMIN], 1);
        assert_eq!(t.cc[cc::VINTR], 3);
    }

    #[test]
    fn round_trips() {
        let t = Termios::PTY_SLAVE;
        assert_eq!(Termios::from_bytes2(&t.to_bytes2()), t);
        assert_eq!(Termios::from_bytes(&t.to_bytes()), t);
        assert_eq!(t.to_bytes()[17], 3);
    }

    #[test]
    fn speeds_follow_cbaud() {
        let mut t = Termios::STD;
        t.cflag = (t.cflag & !cflag::CBAUD) | 0o10002; // B115200
        let back = Termios::from_bytes(&t.to_bytes());
        assert_eq!(back.ospeed, 115200);
        let mut raw = t.to_bytes2();
        raw[8..12].copy_from_slice(&((t.cflag & !cflag::CBAUD) | cflag::BOTHER).to_le_bytes());
        raw[40..44].copy_from_slice(&12345u32.to_le_bytes());
        raw[36..40].copy_from_slice(&54321u32.to_le_bytes());
        let other = Termios::from_bytes2(&raw);
        assert_eq!((other.ispeed, other.ospeed), (54321, 12345));
    }
}
