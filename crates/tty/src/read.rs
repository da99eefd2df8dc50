//! What a non-canonical read does next, from VMIN and VTIME (in tenths of a second), as Linux's `n_tty_read`.

/// The next step of a non-canonical read that has `got` bytes so far of `wanted`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Return what has been read (possibly nothing).
    Return,
    /// Sleep until more input arrives, without a time limit.
    Wait,
    /// Sleep until more input arrives or this many nanoseconds pass; on the timeout, return.
    WaitFor(u64),
}

/// Decide after taking all available input. `vmin`/`vtime` from `c_cc`; `got` > 0 restarts the inter-byte timer.
pub fn noncanonical(vmin: u8, vtime: u8, got: usize, wanted: usize) -> Next {
    let timeout = u64::from(vtime) * 100_000_000;
    let min = usize::from(vmin).min(wanted);
    if got >= wanted {
        return Next::Return;
    }
    match (vmin, vtime) {
        // Polling read.
        (0, 0) => Next::Return,
        // A read with a timeout: any byte ends it.
        (0, _) => {
            if got > 0 {
                Next::Return
            } else {
                Next::WaitFor(timeout)
            }
        }
        // Block until VMIN bytes.
        (_, 0) => {
            if got >= min {
                Next::Return
            } else {
                Next::Wait
            }
        }
        // Inter-byte timer, started by the first byte.
        _ => {
            if got >= min {
                Next::Return
            } else if got == 0 {
                Next::Wait
            } else {
                Next::WaitFor(timeout)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polling() {
        assert_eq!(noncanonical(0, 0, 0, 10), Next::Return);
    }

    #[test]
    fn timeout_read() {
        assert_eq!(noncanonical(0, 5, 0, 10), Next::WaitFor(500_000_000));
        assert_eq!(noncanonical(0, 5, 1, 10), Next::Return);
    }

    #[test]
    fn counted_read() {
        assert_eq!(noncanonical(3, 0, 0, 10), Next::Wait);
        assert_eq!(noncanonical(3, 0, 2, 10), Next::Wait);
        assert_eq!(noncanonical(3, 0, 3, 10), Next::Return);
        // A buffer smaller than VMIN returns when full.
        assert_eq!(noncanonical(5, 0, 2, 2), Next::Return);
    }

    #[test]
    fn interbyte_timer() {
        assert_eq!(noncanonical(4, 2, 0, 10), Next::Wait);
        assert_eq!(noncanonical(4, 2, 1, 10), Next::WaitFor(200_000_000));
        assert_eq!(noncanonical(4, 2, 4, 10), Next::Return);
    }
}
