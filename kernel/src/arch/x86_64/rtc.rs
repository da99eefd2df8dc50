//! The CMOS real-time clock: the wall-clock time at boot.

use x86_64::instructions::port::Port;

/// A date and time as the RTC keeps it (UTC by convention on Linux machines and in QEMU).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateTime {
    pub year: u32,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
}

fn cmos(reg: u8) -> u8 {
    // SAFETY: CMOS index/data ports; bit 7 of the index keeps NMIs enabled state unchanged (0 = enabled).
    unsafe {
        Port::<u8>::new(0x70).write(reg);
        Port::<u8>::new(0x71).read()
    }
}

fn update_in_progress() -> bool {
    cmos(0x0a) & 0x80 != 0
}

fn raw() -> [u8; 7] {
    [
        cmos(0x00),
        cmos(0x02),
        cmos(0x04),
        cmos(0x07),
        cmos(0x08),
        cmos(0x09),
        cmos(0x32),
    ]
}

/// The seconds register, for tests that watch the clock tick.
pub fn seconds() -> u8 {
    let v = cmos(0x00);
    if cmos(0x0b) & 0x04 == 0 {
        (v & 0x0f) + (v >> 4) * 10
    } else {
        v
    }
}

/// Read the RTC consistently (twice the same values outside an update cycle).
pub fn read() -> DateTime {
    let mut last = [0u8; 7];
    for _ in 0..100 {
        let mut spins = 0;
        while update_in_progress() && spins < 1_000_000 {
            spins += 1;
            core::hint::spin_loop();
        }
        let now = raw();
        if now == last {
            break;
        }
        last = now;
    }
    let status_b = cmos(0x0b);
    let bcd = status_b & 0x04 == 0;
    let hour_24 = status_b & 0x02 != 0;
    let conv = |v: u8| if bcd { (v & 0x0f) + (v >> 4) * 10 } else { v };
    let [sec, min, hour_raw, day, month, year, century] = last;
    let pm = hour_raw & 0x80 != 0;
    let mut hour = conv(hour_raw & 0x7f);
    if !hour_24 {
        hour %= 12;
        if pm {
            hour += 12;
        }
    }
    let century = conv(century);
    let century = if (19..=30).contains(&century) {
        century as u32
    } else {
        20
    };
    DateTime {
        year: century * 100 + conv(year) as u32,
        month: conv(month),
        day: conv(day),
        hour,
        minute: conv(min),
        second: conv(sec),
    }
}
