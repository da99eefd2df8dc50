//! FUTEX_WAKE_OP's operation word: `op << 28 | cmp << 24 | oparg << 12 | cmparg`, with Linux's evaluation.
//!
//! The operation changes the second futex word atomically and yields its old value; the comparison of that old
//! value decides whether the second futex's waiters are woken too.

/// `FUTEX_OP_OPARG_SHIFT`: the argument is a shift count (`1 << oparg`).
const OPARG_SHIFT: u32 = 8;

/// What the operation stores, given the word's old value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// `FUTEX_OP_SET`: the argument.
    Set,
    /// `FUTEX_OP_ADD`: old + argument.
    Add,
    /// `FUTEX_OP_OR`: old | argument.
    Or,
    /// `FUTEX_OP_ANDN`: old & !argument.
    AndNot,
    /// `FUTEX_OP_XOR`: old ^ argument.
    Xor,
    /// Codes 5–7: `ENOSYS`, the word is left alone.
    Unknown,
}

/// How the old value is compared with `cmparg` (signed, as Linux compares `int`s).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    /// `FUTEX_OP_CMP_EQ`.
    Eq,
    /// `FUTEX_OP_CMP_NE`.
    Ne,
    /// `FUTEX_OP_CMP_LT`.
    Lt,
    /// `FUTEX_OP_CMP_LE`.
    Le,
    /// `FUTEX_OP_CMP_GT`.
    Gt,
    /// `FUTEX_OP_CMP_GE`.
    Ge,
    /// Codes 6–15: `ENOSYS`, reported only after the operation changed the word (as Linux does).
    Unknown,
}

/// A decoded FUTEX_WAKE_OP operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WakeOp {
    /// The change made to the second word.
    pub op: Operation,
    /// Its argument, after sign extension and the optional shift.
    pub oparg: u32,
    /// The test of the old value.
    pub cmp: Comparison,
    /// The value compared with (sign-extended from 12 bits).
    pub cmparg: i32,
}

/// The 12-bit field as a signed number.
fn sign_extend12(v: u32) -> i32 {
    ((v << 20) as i32) >> 20
}

impl WakeOp {
    /// Decode `val3`.
    pub fn decode(encoded: u32) -> WakeOp {
        let code = encoded >> 28;
        let op = match code & 7 {
            0 => Operation::Set,
            1 => Operation::Add,
            2 => Operation::Or,
            3 => Operation::AndNot,
            4 => Operation::Xor,
            _ => Operation::Unknown,
        };
        let cmp = match (encoded >> 24) & 0xf {
            0 => Comparison::Eq,
            1 => Comparison::Ne,
            2 => Comparison::Lt,
            3 => Comparison::Le,
            4 => Comparison::Gt,
            5 => Comparison::Ge,
            _ => Comparison::Unknown,
        };
        let mut oparg = sign_extend12((encoded >> 12) & 0xfff) as u32;
        if code & OPARG_SHIFT != 0 {
            // Linux only warns about a shift outside 0..=31 and uses its low five bits.
            oparg = 1u32 << (oparg & 31);
        }
        WakeOp {
            op,
            oparg,
            cmp,
            cmparg: sign_extend12(encoded & 0xfff),
        }
    }

    /// The value to store over `old`; None for an unknown operation (`ENOSYS`, nothing is written).
    pub fn apply(&self, old: u32) -> Option<u32> {
        Some(match self.op {
            Operation::Set => self.oparg,
            Operation::Add => old.wrapping_add(self.oparg),
            Operation::Or => old | self.oparg,
            Operation::AndNot => old & !self.oparg,
            Operation::Xor => old ^ self.oparg,
            Operation::Unknown => return None,
        })
    }

    /// Whether the second futex's waiters are woken, given the word's old value; None for an unknown comparison
    /// (`ENOSYS`).
    pub fn compare(&self, old: u32) -> Option<bool> {
        let old = old as i32;
        let c = self.cmparg;
        Some(match self.cmp {
            Comparison::Eq => old == c,
            Comparison::Ne => old != c,
            Comparison::Lt => old < c,
            Comparison::Le => old <= c,
            Comparison::Gt => old > c,
            Comparison::Ge => old >= c,
            Comparison::Unknown => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FUTEX_OP(op, oparg, cmp, cmparg) as in linux/futex.h.
    fn encode(op: u32, oparg: u32, cmp: u32, cmparg: u32) -> u32 {
        ((op & 0xf) << 28) | ((cmp & 0xf) << 24) | ((oparg & 0xfff) << 12) | (cmparg & 0xfff)
    }

    #[test]
    fn set_with_cmp_eq_zero() {
        let w = WakeOp::decode(5 << 12);
        assert_eq!(w.op, Operation::Set);
        assert_eq!(w.cmp, Comparison::Eq);
        assert_eq!(w.apply(77), Some(5));
        assert_eq!(w.compare(0), Some(true));
        assert_eq!(w.compare(1), Some(false));
    }

    #[test]
    fn every_operation() {
        let old = 0b1100;
        let run = |op| WakeOp::decode(encode(op, 0b1010, 0, 0)).apply(old);
        assert_eq!(run(0), Some(0b1010));
        assert_eq!(run(1), Some(0b1100 + 0b1010));
        assert_eq!(run(2), Some(0b1110));
        assert_eq!(run(3), Some(0b0100));
        assert_eq!(run(4), Some(0b0110));
        for unknown in 5..8 {
            assert_eq!(run(unknown), None);
        }
    }

    #[test]
    fn add_wraps_and_negative_arguments_sign_extend() {
        let w = WakeOp::decode(encode(1, 0xfff, 0, 0));
        assert_eq!(w.oparg, u32::MAX);
        assert_eq!(w.apply(0), Some(u32::MAX));
        assert_eq!(w.apply(5), Some(4));
        let w = WakeOp::decode(encode(0, 0, 2, 0x800));
        assert_eq!(w.cmparg, -2048);
    }

    #[test]
    fn shifted_argument() {
        let w = WakeOp::decode(encode(OPARG_SHIFT | 2, 4, 0, 0));
        assert_eq!(w.op, Operation::Or);
        assert_eq!(w.oparg, 16);
        assert_eq!(w.apply(1), Some(17));
        let w = WakeOp::decode(encode(OPARG_SHIFT, 31, 0, 0));
        assert_eq!(w.apply(0), Some(0x8000_0000));
        // Out of range: the low five bits (Linux warns and masks).
        let w = WakeOp::decode(encode(OPARG_SHIFT, 33, 0, 0));
        assert_eq!(w.oparg, 2);
        let w = WakeOp::decode(encode(OPARG_SHIFT, 0xfff, 0, 0));
        assert_eq!(w.oparg, 1 << 31);
    }

    #[test]
    fn comparisons_are_signed() {
        let cmp = |c, arg, old| WakeOp::decode(encode(0, 0, c, arg)).compare(old);
        assert_eq!(cmp(0, 3, 3), Some(true));
        assert_eq!(cmp(1, 3, 3), Some(false));
        assert_eq!(cmp(1, 3, 4), Some(true));
        // 0xffffffff is -1: less than 0.
        assert_eq!(cmp(2, 0, u32::MAX), Some(true));
        assert_eq!(cmp(3, 0, 0), Some(true));
        assert_eq!(cmp(3, 0, 1), Some(false));
        assert_eq!(cmp(4, 0, u32::MAX), Some(false));
        assert_eq!(cmp(4, 0xfff, 0), Some(true));
        assert_eq!(cmp(5, 2, 2), Some(true));
        assert_eq!(cmp(5, 2, 1), Some(false));
        for unknown in 6..16 {
            assert_eq!(cmp(unknown, 0, 0), None);
        }
    }
}
