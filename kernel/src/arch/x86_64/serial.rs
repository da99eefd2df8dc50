//! 16550 UART on COM1, the console for logs and for the first user program.

use x86_64::instructions::port::Port;

const COM1: u16 = 0x3f8;

/// One 16550 port. Output is polled: the console must work before interrupts do and while panicking.
pub struct Uart {
    base: u16,
    present: bool,
    /// Interrupt-enable bits currently set (bit 0 receive, bit 1 transmit-empty).
    ier: u8,
}

impl Uart {
    /// COM1, not yet initialised.
    pub const fn com1() -> Self {
        Uart {
            base: COM1,
            present: false,
            ier: 0,
        }
    }

    fn reg(&self, offset: u16) -> Port<u8> {
        Port::new(self.base + offset)
    }

    fn write_reg(&mut self, offset: u16, value: u8) {
        // SAFETY: the port range base..base+8 belongs to this UART; writing its registers has no effect on memory.
        unsafe { self.reg(offset).write(value) }
    }

    fn read_reg(&mut self, offset: u16) -> u8 {
        // SAFETY: as in write_reg; reading UART registers only affects the UART.
        unsafe { self.reg(offset).read() }
    }

    /// Program 115200 8N1 with FIFOs; detect whether a UART is there at all (scratch register test).
    pub fn init(&mut self) {
        self.write_reg(7, 0x5a);
        if self.read_reg(7) != 0x5a {
            self.present = false;
            return;
        }
        self.write_reg(1, 0x00); // no interrupts
        self.write_reg(3, 0x80); // DLAB on
        self.write_reg(0, 0x01); // divisor 1 = 115200 baud
        self.write_reg(1, 0x00);
        self.write_reg(3, 0x03); // 8N1, DLAB off
        self.write_reg(2, 0xc7); // FIFOs on, cleared, 14-byte threshold
        self.write_reg(4, 0x0b); // DTR, RTS, OUT2 (OUT2 gates the IRQ line on PCs)
        self.present = true;
    }

    fn put_raw(&mut self, byte: u8) {
        if !self.present {
            return;
        }
        // Bounded wait: a wedged UART must not hang the kernel.
        for _ in 0..100_000 {
            if self.read_reg(5) & 0x20 != 0 {
                break;
            }
            core::hint::spin_loop();
        }
        self.write_reg(0, byte);
    }

    /// Write bytes as they are (terminal output: the tty's OPOST decides about line ends).
    pub fn write_raw(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.put_raw(b);
        }
    }

    /// Write bytes, turning "\n" into "\r\n" as a terminal expects (like the tty's ONLCR).
    pub fn write_bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if b == b'\n' {
                self.put_raw(b'\r');
            }
            self.put_raw(b);
        }
    }

    /// Enable or disable the "transmitter empty" interrupt (used to test IOAPIC routing of IRQ 4).
    pub fn set_tx_interrupt(&mut self, on: bool) {
        self.ier = if on {
            self.ier | 0x02
        } else {
            self.ier & !0x02
        };
        self.write_reg(1, self.ier);
    }

    /// Enable the "data received" interrupt.
    pub fn enable_rx_interrupt(&mut self) {
        self.ier |= 0x01;
        self.write_reg(1, self.ier);
    }

    /// A received byte, if one is waiting.
    pub fn read_byte(&mut self) -> Option<u8> {
        if self.present && self.read_reg(5) & 0x01 != 0 {
            Some(self.read_reg(0))
        } else {
            None
        }
    }

    /// Read the interrupt identification register (acknowledges a THRE interrupt).
    pub fn interrupt_id(&mut self) -> u8 {
        self.read_reg(2)
    }
}

impl core::fmt::Write for Uart {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.write_bytes(s.as_bytes());
        Ok(())
    }
}
