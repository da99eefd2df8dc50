//! SOL_SOCKET options AF_UNIX sockets answer, with Linux's value rules (`sk_setsockopt`, `sk_getsockopt`).

use basalt_linux_abi::Errno;

pub const SO_REUSEADDR: i32 = 2;
pub const SO_TYPE: i32 = 3;
pub const SO_ERROR: i32 = 4;
pub const SO_SNDBUF: i32 = 7;
pub const SO_RCVBUF: i32 = 8;
pub const SO_KEEPALIVE: i32 = 9;
pub const SO_PASSCRED: i32 = 16;
pub const SO_PEERCRED: i32 = 17;
pub const SO_RCVTIMEO: i32 = 20;
pub const SO_SNDTIMEO: i32 = 21;
pub const SO_ACCEPTCONN: i32 = 30;
pub const SO_PROTOCOL: i32 = 38;
pub const SO_DOMAIN: i32 = 39;

/// net.core.wmem_max / rmem_max and the _default values (Linux's defaults).
pub const BUF_MAX: u32 = 212_992;
pub const BUF_DEFAULT: u32 = 212_992;
/// SOCK_MIN_SNDBUF and SOCK_MIN_RCVBUF: twice and once TCP_SKB_MIN_TRUESIZE (2048 + an aligned sk_buff).
pub const MIN_SNDBUF: u32 = 4608;
pub const MIN_RCVBUF: u32 = 2304;

/// A setsockopt value as an int (`optlen < sizeof(int)` is EINVAL).
pub fn int_value(raw: &[u8]) -> Result<i32, Errno> {
    match raw {
        [a, b, c, d, ..] => Ok(i32::from_le_bytes([*a, *b, *c, *d])),
        _ => Err(Errno::EINVAL),
    }
}

/// SO_SNDBUF: the request (as unsigned, capped at wmem_max) doubled, at least the minimum.
pub fn sndbuf_from(val: i32) -> u32 {
    ((val as u32).min(BUF_MAX) * 2).max(MIN_SNDBUF)
}

/// SO_RCVBUF, likewise.
pub fn rcvbuf_from(val: i32) -> u32 {
    ((val as u32).min(BUF_MAX) * 2).max(MIN_RCVBUF)
}

/// SO_RCVTIMEO/SO_SNDTIMEO (`sock_set_timeout`, old `struct timeval`): None means no timeout. EINVAL for a
/// short value, EDOM for microseconds outside 0..1000000; a negative time is no wait at all... as Linux, which
/// treats negative seconds as zero timeout (returns immediately).
pub fn timeout_from(raw: &[u8]) -> Result<Option<u64>, Errno> {
    if raw.len() < 16 {
        return Err(Errno::EINVAL);
    }
    let word = |i: usize| {
        i64::from_le_bytes([
            raw[i],
            raw[i + 1],
            raw[i + 2],
            raw[i + 3],
            raw[i + 4],
            raw[i + 5],
            raw[i + 6],
            raw[i + 7],
        ])
    };
    let (sec, usec) = (word(0), word(8));
    if !(0..1_000_000).contains(&usec) {
        return Err(Errno::EDOM);
    }
    if sec < 0 {
        return Ok(Some(0));
    }
    if sec == 0 && usec == 0 {
        return Ok(None);
    }
    Ok(Some(
        (sec as u64)
            .saturating_mul(1_000_000_000)
            .saturating_add(usec as u64 * 1000),
    ))
}

/// The `struct timeval` getsockopt reports for a timeout.
pub fn timeout_to(ns: Option<u64>) -> [u8; 16] {
    let ns = ns.unwrap_or(0);
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&((ns / 1_000_000_000) as i64).to_le_bytes());
    b[8..].copy_from_slice(&(((ns % 1_000_000_000) / 1000) as i64).to_le_bytes());
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_double_with_limits() {
        assert_eq!(sndbuf_from(10000), 20000);
        assert_eq!(sndbuf_from(1), MIN_SNDBUF);
        assert_eq!(rcvbuf_from(1), MIN_RCVBUF);
        assert_eq!(sndbuf_from(-1), BUF_MAX * 2);
        assert_eq!(int_value(&[1, 0, 0]), Err(Errno::EINVAL));
    }

    #[test]
    fn timeouts() {
        let mut tv = [0u8; 16];
        assert_eq!(timeout_from(&tv), Ok(None));
        tv[0] = 2;
        tv[8..16].copy_from_slice(&500_000i64.to_le_bytes());
        assert_eq!(timeout_from(&tv), Ok(Some(2_500_000_000)));
        assert_eq!(timeout_to(Some(2_500_000_000)), tv);
        tv[8..16].copy_from_slice(&1_000_000i64.to_le_bytes());
        assert_eq!(timeout_from(&tv), Err(Errno::EDOM));
        assert_eq!(timeout_from(&tv[..8]), Err(Errno::EINVAL));
    }
}
