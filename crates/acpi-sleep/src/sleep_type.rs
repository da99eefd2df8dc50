//! The decoded sleep-type pair.

/// `SLP_EN`: bit 13 of `PM1x_CNT`, which triggers the transition.
const SLP_EN: u16 = 1 << 13;
/// `SLP_TYPx` occupies bits 10..=12 of `PM1x_CNT`.
const SLP_TYP_SHIFT: u16 = 10;
/// `SLP_TYPx` is a 3-bit field.
const SLP_TYP_MASK: u16 = 0b111;

/// The `SLP_TYPa` / `SLP_TYPb` values of one sleep state, as found in its `\_Sx_` package.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SleepType {
    /// Value for the `SLP_TYP` field of `PM1a_CNT`.
    pub slp_typ_a: u16,
    /// Value for the `SLP_TYP` field of `PM1b_CNT` (only used when the FADT has a PM1b block).
    pub slp_typ_b: u16,
}

impl SleepType {
    /// The value to write to `PM1a_CNT` to enter this state: `SLP_TYPa << 10 | SLP_EN`.
    ///
    /// A real kernel should OR this into the current register value (keeping `SCI_EN`);
    /// the low bits are left zero here.
    pub const fn pm1a_control(&self) -> u16 {
        ((self.slp_typ_a & SLP_TYP_MASK) << SLP_TYP_SHIFT) | SLP_EN
    }

    /// The value to write to `PM1b_CNT` to enter this state: `SLP_TYPb << 10 | SLP_EN`.
    pub const fn pm1b_control(&self) -> u16 {
        ((self.slp_typ_b & SLP_TYP_MASK) << SLP_TYP_SHIFT) | SLP_EN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_values_place_type_in_bits_10_to_12_with_enable() {
        let sleep = SleepType {
            slp_typ_a: 5,
            slp_typ_b: 7,
        };
        assert_eq!(sleep.pm1a_control(), (5 << 10) | (1 << 13));
        assert_eq!(sleep.pm1b_control(), (7 << 10) | (1 << 13));
        let masked = SleepType {
            slp_typ_a: 0xFF,
            slp_typ_b: 0,
        };
        assert_eq!(masked.pm1a_control(), (7 << 10) | (1 << 13));
    }
}
